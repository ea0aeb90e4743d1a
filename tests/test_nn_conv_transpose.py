"""conv_transpose1d/2d/3d and ConvTranspose1d/2d/3d: known values, PyTorch as the oracle
(values and gradients in input, weight and bias), gradchecks in float64 of the first and
second order in both modes, PyTorch's errors, and the modules' state_dict and output_size."""
import numpy as np
import pytest

import chainrule as cr
from chainrule.autograd import gradcheck, gradgradcheck
from chainrule.errors import OpError, OpTypeError
from chainrule.nn.layers import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from chainrule.nn.linear import conv_transpose1d, conv_transpose2d, conv_transpose3d

rng = np.random.default_rng(0)
FN = {1: conv_transpose1d, 2: conv_transpose2d, 3: conv_transpose3d}


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def t(a, grad=False):
    return cr.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def test_known_values():
    # Each input element scatters a copy of the kernel, ``stride`` apart, summing overlaps.
    out = conv_transpose1d(t([[[1., 2.]]]), t([[[1., 10., 100.]]]), stride=2)
    np.testing.assert_array_equal(out.numpy(), [[[1., 10., 102., 20., 200.]]])
    # padding crops each end; output_padding adds rows at the end (zero but for the bias)
    out = conv_transpose1d(t([[[1., 2.]]]), t([[[1., 10., 100.]]]), t([5.]), stride=2,
                           padding=1, output_padding=1)
    np.testing.assert_array_equal(out.numpy(), [[[15., 107., 25., 205.]]])
    out = conv_transpose2d(t(np.ones((1, 1, 1, 1))), t(np.arange(4.).reshape(1, 1, 2, 2)))
    np.testing.assert_array_equal(out.numpy(), [[[[0., 1.], [2., 3.]]]])
    # groups: each group of input channels makes its own output channels
    x = t(np.array([1., 2.]).reshape(1, 2, 1))
    w = t(np.array([1., 3.]).reshape(2, 1, 1))
    np.testing.assert_array_equal(conv_transpose1d(x, w, groups=2).numpy(), [[[1.], [6.]]])
    assert conv_transpose2d(cr.zeros(4, 5, 5), cr.zeros(4, 3, 3, 3)).shape == (3, 7, 7)


def test_dtype_and_empty_batch():
    x = cr.ones(2, 3, 4, dtype="float32")
    w = cr.ones(3, 2, 3, dtype="float32")
    assert conv_transpose1d(x, w).dtype == np.float32
    out = conv_transpose2d(cr.zeros(0, 4, 5, 5), cr.ones(4, 2, 3, 3), cr.ones(2))
    assert out.shape == (0, 2, 7, 7)


CASES = [
    # (nd, x shape, weight shape, kwargs)
    (1, (2, 4, 7), (4, 3, 3), {}),
    (1, (2, 4, 7), (4, 3, 3), dict(stride=3, padding=2, output_padding=2, dilation=2)),
    (1, (4, 6), (4, 3, 2), dict(stride=2, groups=2)),                 # unbatched
    (2, (2, 3, 5, 4), (3, 2, 3, 3), dict(padding=1)),
    (2, (2, 4, 5, 6), (4, 3, 3, 2), dict(stride=2, padding=1, output_padding=1)),
    (2, (2, 4, 4, 5), (4, 2, 3, 3), dict(stride=(2, 3), padding=(1, 2), output_padding=(1, 2),
                                         groups=2, dilation=(1, 2))),
    (2, (2, 4, 4, 4), (4, 3, 3, 3), dict(dilation=3, output_padding=2)),  # op >= stride
    (2, (2, 4, 3, 3), (4, 2, 3, 3), dict(stride=2, dilation=3, output_padding=2, groups=4)),
    (2, (3, 4, 5), (3, 2, 2, 3), dict(stride=2)),                    # unbatched
    (2, (8, 100, 1, 1), (100, 16, 4, 4), {}),                         # DCGAN's first layer
    (2, (4, 16, 4, 4), (16, 8, 4, 4), dict(stride=2, padding=1)),     # and its next
    (3, (2, 2, 3, 4, 3), (2, 3, 2, 3, 2), dict(stride=(1, 2, 2), padding=(0, 1, 1),
                                               output_padding=(0, 1, 0))),
    (3, (4, 3, 3, 3), (4, 1, 2, 2, 2), dict(stride=2, groups=2)),    # unbatched
]


@pytest.mark.parametrize("nd, xs, ws, kw", CASES)
def test_matches_torch(torch, nd, xs, ws, kw):
    x = rng.standard_normal(xs)
    w = rng.standard_normal(ws)
    b = rng.standard_normal(ws[1] * kw.get("groups", 1))
    xc, wc, bc = t(x, True), t(w, True), t(b, True)
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    out = FN[nd](xc, wc, bc, **kw)
    ref = getattr(torch.nn.functional, f"conv_transpose{nd}d")(xt, wt, bt, **kw)
    assert out.shape == tuple(ref.shape)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-10,
                               atol=1e-10)
    v = rng.standard_normal(out.shape)
    (out * t(v)).sum().backward()
    (ref * torch.tensor(v)).sum().backward()
    for mine, theirs in ((xc, xt), (wc, wt), (bc, bt)):
        np.testing.assert_allclose(mine.grad.numpy(), theirs.grad.numpy(), rtol=1e-10,
                                   atol=1e-10)
    # float32 in, float32 out, and torch's values there too
    out32 = FN[nd](cr.tensor(x.astype(np.float32)), cr.tensor(w.astype(np.float32)),
                   cr.tensor(b.astype(np.float32)), **kw)
    assert out32.dtype == np.float32
    np.testing.assert_allclose(out32.numpy(), ref.detach().numpy(), rtol=1e-4, atol=1e-4)


def test_non_contiguous_input(torch):
    x = rng.standard_normal((2, 5, 6, 3)).transpose(0, 3, 1, 2)  # (2, 3, 5, 6), not C order
    w = rng.standard_normal((3, 2, 3, 3))
    out = conv_transpose2d(t(x), t(w), stride=2, padding=1)
    ref = torch.nn.functional.conv_transpose2d(torch.tensor(x), torch.tensor(w), stride=2,
                                               padding=1)
    np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-10, atol=1e-10)


GRAD_CASES = [
    (1, (2, 2, 3), (2, 2, 2), dict(stride=2, padding=1, output_padding=1)),
    (1, (1, 2, 3), (2, 2, 2), dict(dilation=2, output_padding=1)),
    (2, (1, 4, 2, 3), (4, 1, 2, 2), dict(stride=(2, 1), padding=(1, 0), groups=2,
                                         output_padding=(1, 0))),
    (2, (2, 3, 1, 1), (3, 2, 2, 2), {}),
    (3, (1, 2, 2, 2, 1), (2, 1, 2, 1, 2), dict(stride=(2, 1, 1))),
]


@pytest.mark.parametrize("nd, xs, ws, kw", GRAD_CASES)
def test_gradcheck(nd, xs, ws, kw):
    x = t(rng.standard_normal(xs), True)
    w = t(rng.standard_normal(ws), True)
    b = t(rng.standard_normal(ws[1] * kw.get("groups", 1)), True)

    def fn(x, w, b):
        return FN[nd](x, w, b, **kw)

    assert gradcheck(fn, (x, w, b))
    assert gradgradcheck(fn, (x, w, b))


def test_errors():
    x, w = cr.zeros(1, 4, 5, 5), cr.zeros(4, 2, 3, 3)
    with pytest.raises(OpError, match="conv_transpose2d: output_padding must be smaller"):
        conv_transpose2d(x, w, stride=2, output_padding=2)
    with pytest.raises(OpError, match="conv_transpose2d: output_padding must be smaller"):
        conv_transpose2d(x, w, stride=(2, 1), output_padding=1)
    with pytest.raises(OpError, match="conv_transpose2d: output_padding must be non-neg"):
        conv_transpose2d(x, w, output_padding=-1)
    with pytest.raises(OpError, match=r"conv_transpose2d: .* expects 4 input channels"):
        conv_transpose2d(cr.zeros(1, 3, 5, 5), w)
    with pytest.raises(OpError, match="conv_transpose2d: in_channels .* groups=3"):
        conv_transpose2d(x, w, groups=3)
    with pytest.raises(OpError, match=r"conv_transpose2d: expected a 3-D .* got shape \(5, 5\)"):
        conv_transpose2d(cr.zeros(5, 5), w)
    with pytest.raises(OpError, match="conv_transpose2d: weight must be 4-D"):
        conv_transpose2d(x, cr.zeros(4, 2, 3))
    with pytest.raises(OpError, match="conv_transpose1d: weight must be 3-D"):
        conv_transpose1d(cr.zeros(1, 4, 5), w)
    with pytest.raises(OpError, match="conv_transpose2d: the output would have spatial size"):
        conv_transpose2d(x, w, padding=5)
    with pytest.raises(OpError, match="conv_transpose2d: padding must be non-negative"):
        conv_transpose2d(x, w, padding=-1)
    with pytest.raises(OpError, match="conv_transpose2d: stride must be positive"):
        conv_transpose2d(x, w, stride=0)
    with pytest.raises(OpError, match=r"conv_transpose2d: bias must have shape \(2,\)"):
        conv_transpose2d(x, w, cr.zeros(3))
    with pytest.raises(OpTypeError, match="conv_transpose2d: padding"):
        conv_transpose2d(x, w, padding="same")
    with pytest.raises(OpError, match="conv_transpose3d: stride must be"):
        conv_transpose3d(cr.zeros(1, 4, 2, 2, 2), cr.zeros(4, 1, 1, 1, 1), stride=(1, 2))


def test_module_state_dict_and_init(torch):
    for nd, cls in ((1, ConvTranspose1d), (2, ConvTranspose2d), (3, ConvTranspose3d)):
        args = (4, 6, 3)
        kw = dict(stride=2, padding=1, output_padding=1, groups=2, dilation=1)
        mine = cls(*args, **kw)
        theirs = getattr(torch.nn, f"ConvTranspose{nd}d")(*args, **kw)
        sd, ref = mine.state_dict(), theirs.state_dict()
        assert list(sd) == list(ref)
        assert all(tuple(sd[k].shape) == tuple(ref[k].shape) for k in sd)
        assert repr(mine) == repr(theirs)
        assert sd["weight"].shape == (4, 3) + (3,) * nd
    no_bias = ConvTranspose2d(2, 3, (2, 4), bias=False)
    assert list(no_bias.state_dict()) == ["weight"] and no_bias.bias is None
    assert repr(no_bias) == repr(torch.nn.ConvTranspose2d(2, 3, (2, 4), bias=False))
    # PyTorch's init: kaiming_uniform(a=sqrt(5)) and a bias bound of 1/sqrt(fan_in), both
    # from the transposed weight's fan-in, out_channels/groups * prod(kernel) = 3 * 27
    big = ConvTranspose3d(40, 6, 3, groups=2)
    bound = 1 / np.sqrt(3 * 27)
    assert np.abs(big.weight.detach().numpy()).max() <= bound
    assert np.abs(big.weight.detach().numpy()).max() > 0.9 * bound
    assert np.abs(big.bias.detach().numpy()).max() <= bound


def test_module_loads_torch_weights(torch):
    theirs = torch.nn.ConvTranspose2d(5, 4, 3, stride=2, padding=1, output_padding=1,
                                      groups=1, dilation=2).double()
    mine = ConvTranspose2d(5, 4, 3, stride=2, padding=1, output_padding=1, dilation=2,
                           dtype="float64")
    mine.load_state_dict({k: cr.tensor(v.detach().numpy()) for k, v in
                          theirs.state_dict().items()})
    x = rng.standard_normal((2, 5, 4, 6))
    ref = theirs(torch.tensor(x)).detach().numpy()
    np.testing.assert_allclose(mine(t(x)).detach().numpy(), ref, rtol=1e-10, atol=1e-10)


def test_module_output_size(torch):
    theirs = torch.nn.ConvTranspose2d(4, 2, 3, stride=2).double()
    mine = ConvTranspose2d(4, 2, 3, stride=2, dtype="float64")
    mine.load_state_dict({k: cr.tensor(v.detach().numpy()) for k, v in
                          theirs.state_dict().items()})
    x = rng.standard_normal((1, 4, 5, 5))
    for size in ((12, 12), (11, 12), (1, 2, 12, 11), [11, 11]):
        out = mine(t(x), output_size=size)
        ref = theirs(torch.tensor(x), output_size=size)
        assert out.shape == tuple(ref.shape)
        np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-10,
                               atol=1e-10)
    assert mine(t(x[0]), output_size=(2, 12, 12)).shape == (2, 12, 12)
    with pytest.raises(OpError, match=r"ConvTranspose2d: requested an output size of \(13, 13\)"
                                      r".* from \(11, 11\) to \(12, 12\)"):
        mine(t(x), output_size=(13, 13))
    with pytest.raises(OpError, match="ConvTranspose2d: for a 4-D input, output_size must have "
                                      "2 or 4 elements"):
        mine(t(x), output_size=(12,))
    with pytest.raises(OpError, match="for a 3-D input, output_size must have 2 or 3"):
        mine(t(x[0]), output_size=(1, 2, 12, 12))


def test_module_errors():
    with pytest.raises(OpError, match='ConvTranspose2d: only "zeros" padding mode'):
        ConvTranspose2d(4, 2, 3, padding_mode="reflect")
    with pytest.raises(OpError, match="ConvTranspose2d: in_channels .* divisible by groups"):
        ConvTranspose2d(4, 3, 3, groups=2)
    with pytest.raises(OpError, match="ConvTranspose1d: groups must be a positive integer"):
        ConvTranspose1d(4, 2, 3, groups=0)
    with pytest.raises(OpError, match="ConvTranspose3d: kernel_size must be positive"):
        ConvTranspose3d(4, 2, 0)


def test_dcgan_generator_trains():
    cr.manual_seed(0)
    gen = cr.nn.Sequential(ConvTranspose2d(8, 6, 4, 1, 0), cr.nn.ReLU(),
                           ConvTranspose2d(6, 3, 4, 2, 1), cr.nn.Tanh())
    z = cr.randn(4, 8, 1, 1)
    out = gen(z)
    assert out.shape == (4, 3, 8, 8)
    out.square().mean().backward()
    assert all(p.grad is not None and p.grad.shape == p.shape for p in gen.parameters())
