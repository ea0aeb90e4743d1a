"""Elementwise fast paths give NumPy's own results bit for bit: ReLU (and ELU's minimum)
against a kept buffer of zeros (NumPy's two-array SIMD loop) equals ``np.maximum(x, 0)`` on
every dtype, layout and special value, and the buffer stays zeros; the rules' ``where`` (a
select by bit masks on large masks) equals ``np.where`` on every operand it takes, and hands
the rest to it."""
import numpy as np
import pytest

import chainrule as cr
from chainrule import _fastnp
from conftest import same_bits

SPECIAL = [-0.0, 0.0, np.nan, -np.nan, np.inf, -np.inf, 1e-45, -1e-45, -3.5, 2.0]


def layouts(t):
    """A tensor and views of it: transposed (F-contiguous: the scalar path), strided."""
    yield t
    if t.ndim >= 2:
        yield t.T
        yield t[:, ::2]
    yield t.reshape(-1)[: t.numel() // 2]


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.int32, np.int64])
@pytest.mark.parametrize("shape", [(), (0,), (1,), (10,), (32, 64), (8, 16, 24, 24)])
def test_relu_is_maximum_with_zero_bit_for_bit(dtype, shape):
    rng = np.random.default_rng(0)
    base = (rng.standard_normal(shape) * 4).astype(dtype)
    if base.dtype.kind == "f" and base.size >= len(SPECIAL):
        base.reshape(-1)[: len(SPECIAL)] = np.array(SPECIAL).astype(dtype)
    for t in layouts(cr.tensor(base)):
        x = t.numpy()
        got, want = cr.relu(t).numpy(), np.maximum(x, 0)
        assert same_bits(got, want), (dtype, shape, x.strides)
        assert got.strides == want.strides
        assert same_bits(np.minimum(x, _fastnp.zero_operand(np, x)), np.minimum(x, 0))  # ELU's


def test_relu_gradient_unchanged_and_the_zero_buffer_stays_zero():
    big = cr.tensor(np.linspace(-3, 3, 50_000), requires_grad=True)
    cr.relu(big).sum().backward()
    assert np.array_equal(big.grad.numpy(), (big.detach().numpy() > 0).astype(np.float64))
    small = cr.tensor(np.array([-1.0, 2.0]))
    assert cr.relu(small).numpy().tolist() == [0.0, 2.0]
    for buf in _fastnp._zero_buffers.values():
        assert not buf.flags.writeable and not buf.any()
    with pytest.raises(ValueError):
        _fastnp.zero_operand(np, np.ones(3))[...] = 1.0


def test_relu_beyond_the_buffer_cap_takes_the_scalar_path(monkeypatch):
    monkeypatch.setattr(_fastnp, "_ZEROS_MAX", 8)
    x = np.array([-0.0, np.nan, -1.0, 3.0] * 4, np.float32)
    assert same_bits(cr.relu(cr.tensor(x)).numpy(), np.maximum(x, 0))


def test_relu_in_a_compiled_step_folds_its_zeros():
    layer = cr.nn.Sequential(cr.nn.Linear(6, 5), cr.nn.ReLU())
    step = cr.compile(lambda x: layer(x).sum())
    x = cr.tensor(np.random.default_rng(1).standard_normal((4, 6)).astype(np.float32))
    for _ in range(3):
        assert same_bits(step(x).detach().numpy(), layer(x).sum().detach().numpy())
    assert "zeros" not in step.source()  # made once, by the trace


def where_cases(n, dtype, rng):
    a = rng.standard_normal(n).astype(dtype)
    b = rng.standard_normal(n).astype(dtype)
    a[:6] = np.array([-0.0, np.nan, np.inf, -np.inf, 0.0, -np.nan]).astype(dtype)
    b[:6] = np.array([0.0, -0.0, np.nan, 1.0, -np.inf, 2.0]).astype(dtype)
    return a, b, [(a, b), (a, 0.0), (0.0, b), (a, 0), (0, b), (a, 1.0), (2.5, b), (a, -0.0),
                  (-0.0, b), (a, 0.1), (a, 1e300), (a, True), (a, b.astype(np.float64)),
                  (a, b[:1]), (a, np.float32(0)), (0.0, 1.0)]


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("n", [10, _fastnp._SELECT_MIN - 1, _fastnp._SELECT_MIN, 70_000])
def test_where_is_np_where_bit_for_bit(dtype, n):
    rng = np.random.default_rng(n)
    a, b, cases = where_cases(n, dtype, rng)
    for c in (rng.random(n) > 0.5, np.ones(n, bool), np.zeros(n, bool)):
        for x, y in cases:
            with np.errstate(over="ignore"):
                got, want = _fastnp.where(c, x, y), np.where(c, x, y)
            assert same_bits(got, want), (dtype, n, type(x), type(y))


def test_where_hands_other_operands_to_numpy():
    rng = np.random.default_rng(3)
    n = 2 * _fastnp._SELECT_MIN
    a = rng.standard_normal((2, n // 2))
    c = a > 0
    for args in ((c.T, a.T, 0.0), (c[:, ::2], a[:, ::2], 1.0), (c.astype(np.int8), a, 0.0),
                 (c, a.astype(np.int64), 0), (c, a.astype(np.complex128), 0.0),
                 (c[0], a, 0.0), (c,)):
        got, want = _fastnp.where(*args), np.where(*args)
        for g, w in zip(got if isinstance(got, tuple) else (got,),
                        want if isinstance(want, tuple) else (want,)):
            assert same_bits(g, w)


def test_where_backed_gradients_match_torch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(4).standard_normal((4, 8, 30, 30)).astype(np.float32)
    F, tF = cr.nn.functional, torch.nn.functional
    for ours, theirs in ((lambda t: F.leaky_relu(t, 0.1), lambda t: tF.leaky_relu(t, 0.1)),
                         (lambda t: t.clamp(-0.5, 0.5), lambda t: t.clamp(-0.5, 0.5)),
                         (lambda t: cr.where(t > 0, t, t * 2),
                          lambda t: torch.where(t > 0, t, t * 2))):
        a = cr.tensor(x, requires_grad=True)
        b = torch.tensor(x, requires_grad=True)
        (ours(a) ** 2).sum().backward()
        (theirs(b) ** 2).sum().backward()
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-6, atol=1e-6)


def test_where_in_a_compiled_step_replays_the_bit_select():
    nn, F = cr.nn, cr.nn.functional
    rng = np.random.default_rng(5)
    x = cr.tensor(rng.standard_normal((256, 96)).astype(np.float32))
    y = cr.tensor(rng.integers(0, 4, 256))

    def make():
        cr.manual_seed(0)
        return nn.Sequential(nn.Linear(96, 128), nn.LeakyReLU(0.1), nn.Linear(128, 128),
                             nn.ELU(), nn.Linear(128, 4))
    models = [make(), make()]
    opts = [cr.optim.SGD(m.parameters(), lr=0.1) for m in models]

    def step(i):
        opts[i].zero_grad()
        loss = F.cross_entropy(models[i](x), y)
        loss.backward()
        opts[i].step()
        return loss
    compiled = cr.compile(lambda: step(1))
    for _ in range(3):
        assert same_bits(step(0).detach().numpy(), compiled().detach().numpy())
        for p, q in zip(*(m.parameters() for m in models)):
            assert same_bits(p.detach().numpy(), q.detach().numpy())
    used = {getattr(v, "__name__", None) for v in compiled._last.replay.__globals__.values()}
    assert "bitwise_and" in used and "where" not in used
