"""Values and gradients against PyTorch (float64), when PyTorch is installed."""
import numpy as np
import pytest

import chainrule as cr

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.oracle

# (name, chainrule fn, torch fn, input domains)
CASES = [
    ("gelu", lambda x: x.gelu(), lambda x: torch.nn.functional.gelu(x), [(-3, 3)]),
    ("gelu_tanh", lambda x: x.gelu("tanh"),
     lambda x: torch.nn.functional.gelu(x, approximate="tanh"), [(-3, 3)]),
    ("silu", lambda x: x.silu(), lambda x: torch.nn.functional.silu(x), [(-3, 3)]),
    ("elu", lambda x: x.elu(0.5), lambda x: torch.nn.functional.elu(x, 0.5), [(-3, 3)]),
    ("softplus", lambda x: x.softplus(2.0, 1.0),
     lambda x: torch.nn.functional.softplus(x, 2.0, 1.0), [(-3, 3)]),
    ("leaky_relu", lambda x: x.leaky_relu(0.2),
     lambda x: torch.nn.functional.leaky_relu(x, 0.2), [(-3, 3)]),
    ("erf", lambda x: x.erf(), lambda x: torch.erf(x), [(-2, 2)]),
    ("sigmoid", lambda x: x.sigmoid(), lambda x: torch.sigmoid(x), [(-9, 9)]),
    ("rsqrt", lambda x: x.rsqrt(), lambda x: torch.rsqrt(x), [(0.1, 3)]),
    ("pow_tensor", lambda x, y: x ** y, lambda x, y: x ** y, [(0.1, 2), (-2, 2)]),
    ("atan2", lambda x, y: cr.atan2(x, y), lambda x, y: torch.atan2(x, y), [(-2, 2), (-2, 2)]),
    ("remainder", lambda x, y: x % y, lambda x, y: torch.remainder(x, y), [(-5, 5), (1, 2)]),
    ("maximum_ties", lambda x, y: cr.maximum(x, y.detach() * 0 + x.detach()),
     lambda x, y: torch.maximum(x, y.detach() * 0 + x.detach()), [(-2, 2), (-2, 2)]),
    ("var", lambda x: x.var(1), lambda x: x.var(1), [(-2, 2)]),
    ("std_keep", lambda x: x.std(0, keepdim=True, correction=0),
     lambda x: x.std(0, keepdim=True, correction=0), [(-2, 2)]),
    ("logsumexp", lambda x: x.logsumexp(1), lambda x: x.logsumexp(1), [(-2, 2)]),
    ("prod", lambda x: x.prod(1), lambda x: x.prod(1), [(-2, 2)]),
    ("cumprod", lambda x: x.cumprod(1), lambda x: x.cumprod(1), [(-2, 2)]),
    ("norm", lambda x: x.norm(dim=1), lambda x: x.norm(dim=1), [(-2, 2)]),
    ("max_dim", lambda x: x.max(1).values, lambda x: x.max(1).values, [(-2, 2)]),
    ("amax", lambda x: x.amax(0), lambda x: x.amax(0), [(-2, 2)]),
    ("clamp", lambda x: x.clamp(-0.5, 0.5), lambda x: x.clamp(-0.5, 0.5), [(-2, 2)]),
    ("matmul_batched", lambda x, y: x.reshape(2, 2, 3) @ y.reshape(3, 4),
     lambda x, y: x.reshape(2, 2, 3) @ y.reshape(3, 4), [(-2, 2), (-2, 2)]),
    ("index", lambda x: x[[0, 3, 3], 1:], lambda x: x[[0, 3, 3], 1:], [(-2, 2)]),
    ("gather", lambda x: x.gather(1, cr.tensor([[0, 2], [1, 1], [2, 0], [0, 0]])),
     lambda x: x.gather(1, torch.tensor([[0, 2], [1, 1], [2, 0], [0, 0]])), [(-2, 2)]),
    ("repeat", lambda x: x.repeat(2, 3), lambda x: x.repeat(2, 3), [(-2, 2)]),
    ("roll_flip", lambda x: x.roll(1, 0).flip(1), lambda x: x.roll(1, 0).flip(1), [(-2, 2)]),
    ("pad", lambda x: cr.pad(x, (1, 2, 0, 1), value=0.5),
     lambda x: torch.nn.functional.pad(x, (1, 2, 0, 1), value=0.5), [(-2, 2)]),
]


@pytest.mark.parametrize("name,ours,theirs,domains", CASES, ids=[c[0] for c in CASES])
def test_against_pytorch(name, ours, theirs, domains):
    rng = np.random.default_rng(0)
    arrays = [rng.uniform(lo, hi, size=(4, 3)) for lo, hi in domains]
    xs = [cr.tensor(a, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, ref = ours(*xs), theirs(*ts)
    assert np.allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-10, atol=1e-12)
    cot = rng.standard_normal(ref.shape)
    out.backward(cot)
    ref.backward(torch.tensor(cot))
    for x, t in zip(xs, ts):
        if t.grad is None:
            assert x.grad is None
            continue
        assert np.allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_complex_gradients_follow_pytorchs_convention():
    rng = np.random.default_rng(3)
    z0 = rng.standard_normal(6) + 1j * rng.standard_normal(6)
    z = cr.tensor(z0, requires_grad=True)
    zt = torch.tensor(z0, requires_grad=True)
    ours = (np.abs(np.fft.fft(z * (1 + 2j))) ** 2).sum() + np.real(np.exp(z * 0.5j)).sum()
    theirs = (torch.abs(torch.fft.fft(zt * (1 + 2j))) ** 2).sum() + \
        torch.real(torch.exp(zt * 0.5j)).sum()
    ours.backward()
    theirs.backward()
    assert np.isclose(ours.item(), theirs.item())
    assert np.allclose(z.grad.numpy(), zt.grad.numpy())
    x0 = rng.standard_normal(8)
    x, xt = cr.tensor(x0, requires_grad=True), torch.tensor(x0, requires_grad=True)
    np.fft.irfft(np.fft.rfft(x) * np.arange(5)).sum().backward()
    torch.fft.irfft(torch.fft.rfft(xt) * torch.arange(5)).sum().backward()
    assert np.allclose(x.grad.numpy(), xt.grad.numpy())
