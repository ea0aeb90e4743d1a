"""The nn.functional activations beyond the core set (celu, selu, hardtanh, prelu, rrelu,
glu, softmin, the shrinks...), their modules, their inplace flags, and binary
cross-entropy at probabilities of exactly 0 and 1: known values, gradchecks (first and
second order, reverse and forward mode), errors, and PyTorch as the oracle."""
import math
import warnings

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn.functional as F
from chainrule.autograd import gradcheck, gradgradcheck
from conftest import make

# Points on both sides of every kink, and the kinks themselves (-3, 3, 0, +-0.5, +-1, 6),
# where the gradient is a convention that must be PyTorch's.
GRID = np.array([-7.0, -3.5, -3.0, -2.2, -1.0, -0.7, -0.5, -0.3, 0.0, 0.2, 0.5, 0.8, 1.0,
                 2.5, 3.0, 4.0, 6.0, 7.5, -25.0, 25.0])

# name, chainrule call, torch call (same arguments)
CASES = [
    ("celu", lambda F, x: F.celu(x)),
    ("celu-alpha", lambda F, x: F.celu(x, 0.5)),
    ("selu", lambda F, x: F.selu(x)),
    ("softsign", lambda F, x: F.softsign(x)),
    ("logsigmoid", lambda F, x: F.logsigmoid(x)),
    ("hardsigmoid", lambda F, x: F.hardsigmoid(x)),
    ("hardswish", lambda F, x: F.hardswish(x)),
    ("relu6", lambda F, x: F.relu6(x)),
    ("mish", lambda F, x: F.mish(x)),
    ("hardtanh", lambda F, x: F.hardtanh(x)),
    ("hardtanh-bounds", lambda F, x: F.hardtanh(x, -0.5, 2.5)),
    ("rrelu-eval", lambda F, x: F.rrelu(x)),
    ("rrelu-eval-bounds", lambda F, x: F.rrelu(x, 0.1, 0.3, False)),
    ("threshold", lambda F, x: F.threshold(x, 0.5, -2.0)),
    ("tanhshrink", lambda F, x: F.tanhshrink(x)),
    ("softshrink", lambda F, x: F.softshrink(x)),
    ("softshrink-1", lambda F, x: F.softshrink(x, 1.0)),
    ("hardshrink", lambda F, x: F.hardshrink(x)),
    ("hardshrink-1", lambda F, x: F.hardshrink(x, 1.0)),
    ("elu", lambda F, x: F.elu(x, 0.7)),
    ("leaky_relu", lambda F, x: F.leaky_relu(x, 0.2)),
    ("silu", lambda F, x: F.silu(x)),
    ("gelu-tanh", lambda F, x: F.gelu(x, approximate="tanh")),
    ("glu", lambda F, x: F.glu(x.reshape(4, 5), 0)),
    ("glu-last", lambda F, x: F.glu(x.reshape(5, 4))),
    ("softmin", lambda F, x: F.softmin(x.reshape(4, 5), dim=1)),
    ("softmin-dtype", lambda F, x: F.softmin(x.reshape(4, 5), 0, dtype=x.dtype)),
]
IDS = [c[0] for c in CASES]


# ----- known values, without torch ---------------------------------------------------------
def _t(values):
    return cr.tensor(np.array(values, dtype=np.float64))


def _val(t):
    return np.asarray(t.detach().numpy())


def _grad(fn, values):
    x = _t(values).requires_grad_(True)
    fn(x).sum().backward()
    return np.asarray(x.grad.numpy())


def test_known_values():
    x = [-4.0, -3.0, -1.0, 0.0, 0.25, 1.0, 3.0, 4.0]
    np.testing.assert_allclose(_val(F.hardsigmoid(_t(x))),
                               [0, 0, 1 / 3, 0.5, 0.25 / 6 + 0.5, 2 / 3, 1, 1])
    np.testing.assert_allclose(_val(F.hardswish(_t(x))),
                               [0, 0, -1 / 3, 0, 0.25 * 3.25 / 6, 2 / 3, 3, 4])
    np.testing.assert_allclose(_val(F.relu6(_t([-1.0, 3.0, 7.0]))), [0, 3, 6])
    np.testing.assert_allclose(_val(F.hardtanh(_t(x))), [-1, -1, -1, 0, 0.25, 1, 1, 1])
    np.testing.assert_allclose(_val(F.softsign(_t([1.0, -3.0, 0.0]))), [0.5, -0.75, 0])
    np.testing.assert_allclose(_val(F.softshrink(_t([-2.0, 0.25, 2.0]))), [-1.5, 0, 1.5])
    np.testing.assert_allclose(_val(F.hardshrink(_t([-2.0, 0.25, 0.5, 2.0]))), [-2, 0, 0, 2])
    np.testing.assert_allclose(_val(F.threshold(_t([0.5, 1.0, 2.0]), 1.0, -1.0)), [-1, -1, 2])
    np.testing.assert_allclose(_val(F.tanhshrink(_t([1.0]))), [1 - math.tanh(1.0)])
    np.testing.assert_allclose(_val(F.logsigmoid(_t([0.0, -800.0, 800.0]))),
                               [-math.log(2), -800, 0], atol=1e-12)
    np.testing.assert_allclose(_val(F.celu(_t([-1.0, 2.0]), 2.0)),
                               [2 * (math.exp(-0.5) - 1), 2])
    alpha, scale = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
    np.testing.assert_allclose(_val(F.selu(_t([-1.0, 2.0]))),
                               [scale * alpha * (math.exp(-1) - 1), scale * 2])
    np.testing.assert_allclose(_val(F.mish(_t([1.0]))), [math.tanh(math.log1p(math.e))])
    np.testing.assert_allclose(_val(F.prelu(_t([-2.0, 3.0]), _t([0.25]))), [-0.5, 3])
    np.testing.assert_allclose(_val(F.rrelu(_t([-2.0, 3.0]), 0.25, 0.75)), [-1, 3])
    np.testing.assert_allclose(_val(F.glu(_t([[2.0, 0.0], [1.0, 100.0]]))), [[1.0], [1.0]])
    np.testing.assert_allclose(_val(F.softmin(_t([0.0, math.log(3.0)]), dim=0)), [0.75, 0.25])


def test_gradients_at_the_kinks_are_pytorchs():
    """PyTorch's conventions at the kinks (the values its kernels give)."""
    np.testing.assert_array_equal(_grad(F.hardtanh, [-1.0, 0.0, 1.0]), [0, 1, 0])
    np.testing.assert_array_equal(_grad(F.relu6, [0.0, 3.0, 6.0]), [0, 1, 0])
    np.testing.assert_allclose(_grad(F.hardsigmoid, [-3.0, 0.0, 3.0]), [0, 1 / 6, 0])
    np.testing.assert_allclose(_grad(F.hardswish, [-3.0, 0.0, 3.0]), [0, 0.5, 1])
    np.testing.assert_array_equal(_grad(F.softshrink, [-0.5, 0.5, 0.6]), [0, 0, 1])
    np.testing.assert_array_equal(_grad(F.hardshrink, [-0.5, 0.5, 0.6]), [0, 0, 1])
    np.testing.assert_array_equal(_grad(lambda x: F.threshold(x, 1.0, 5.0), [1.0, 1.5]), [0, 1])
    np.testing.assert_allclose(_grad(lambda x: F.prelu(x, _t([0.25])), [0.0, 1.0]), [0.25, 1])
    np.testing.assert_allclose(_grad(F.rrelu, [0.0, 1.0]), [(1 / 8 + 1 / 3) / 2, 1])


def test_dtype_and_shape_are_kept():
    x = cr.tensor(np.linspace(-4, 4, 6, dtype=np.float32))
    for name, fn in CASES:
        if "glu" in name or "softmin" in name:
            continue
        out = fn(F, x)
        assert out.dtype == x.dtype and tuple(out.shape) == (6,), name
    empty = cr.tensor(np.zeros((0, 3)))
    for fn in (F.hardtanh, F.hardswish, F.celu, F.softshrink, F.mish, F.logsigmoid):
        assert tuple(fn(empty).shape) == (0, 3)
    zero_d = _t(-2.0)
    assert F.hardtanh(zero_d).item() == -1.0 and F.relu6(zero_d).item() == 0.0


def test_integer_inputs():
    ints = cr.tensor(np.array([-2, 0, 3, 8]))
    for fn, want in ((F.hardtanh, [-1, 0, 1, 1]), (F.relu6, [0, 0, 3, 6]),
                     (lambda x: F.threshold(x, 1, 5), [5, 5, 3, 8])):
        out = fn(ints)
        assert out.dtype == ints.dtype
        np.testing.assert_array_equal(out.numpy(), want)
    assert F.softsign(ints).numpy().dtype.kind == "f"  # true division, as PyTorch's
    np.testing.assert_allclose(F.softsign(ints).numpy(), [-2 / 3, 0, 0.75, 8 / 9], rtol=1e-6)
    for fn in (F.celu, F.selu, F.hardsigmoid, F.hardswish, F.mish, F.logsigmoid, F.softshrink,
               F.hardshrink, F.rrelu, F.glu):
        with pytest.raises(TypeError, match="not implemented"):
            fn(ints)


# ----- gradchecks: first and second order, reverse and forward mode -------------------------
GRAD_CASES = [
    (F.celu, (-2, 2)), (lambda x: F.celu(x, 0.4), (-2, 2)), (F.selu, (-2, 2)),
    (F.softsign, (-2, 2)), (F.logsigmoid, (-30, 30)), (F.hardsigmoid, (-5, 5)),
    (F.hardswish, (-5, 5)), (F.relu6, (-3, 8)), (F.mish, (-4, 4)), (F.hardtanh, (-2, 2)),
    (F.rrelu, (-2, 2)), (lambda x: F.threshold(x, 0.3, 2.0), (-2, 2)), (F.tanhshrink, (-2, 2)),
    (F.softshrink, (-2, 2)), (F.hardshrink, (-2, 2)), (lambda x: F.glu(x, 0), (-2, 2)),
    (lambda x: F.softmin(x, 1), (-2, 2)),
]


@pytest.mark.parametrize("k", range(len(GRAD_CASES)))
@pytest.mark.parametrize("shape,noncontiguous", [((4, 3), False), ((4, 3), True), ((), False),
                                                 ((0, 2), False)])
def test_gradcheck(k, shape, noncontiguous):
    fn, (low, high) = GRAD_CASES[k]
    if shape == () and k in (15, 16):  # glu and softmin need a dim
        return
    x = make(shape, low, high, seed=k + 3, noncontiguous=noncontiguous)
    if not all(shape) and shape:  # empty: (gradcheck itself cannot take an empty input)
        out = fn(x)
        out.sum().backward()
        assert tuple(x.grad.shape) == shape and out.detach().numpy().size == 0
        return
    assert gradcheck(fn, (x,))
    if shape:
        assert gradgradcheck(fn, (make(shape, low, high, seed=k + 3),))


def test_prelu_gradcheck_broadcast_and_second_order():
    x = make((2, 3, 4), seed=1)
    w = make((3,), 0.1, 0.5, seed=2)
    assert gradcheck(F.prelu, (x, w)) and gradgradcheck(F.prelu, (x, w))
    x1, w1 = make((5,), seed=3), make((1,), 0.1, 0.5, seed=4)
    assert gradcheck(F.prelu, (x1, w1)) and gradgradcheck(F.prelu, (x1, w1))
    assert gradcheck(F.prelu, (make((), seed=5), w1))
    xn = make((3, 4), seed=6, noncontiguous=True)
    assert gradcheck(F.prelu, (xn, make((4,), 0.1, 0.5, seed=7)))


# ----- rrelu in training --------------------------------------------------------------------
def test_rrelu_training_draws_slopes_and_differentiates_through_them():
    cr.manual_seed(7)
    x = make((200,), seed=1)
    out = F.rrelu(x, 0.1, 0.3, training=True)
    out.sum().backward()
    data, got, grad = x.detach().numpy(), out.detach().numpy(), x.grad.numpy()
    pos = data > 0
    np.testing.assert_array_equal(got[pos], data[pos])
    np.testing.assert_array_equal(grad[pos], 1.0)
    slopes = got[~pos] / data[~pos]
    assert np.all((slopes >= 0.1) & (slopes <= 0.3)) and np.ptp(slopes) > 0.05
    np.testing.assert_allclose(grad[~pos], slopes)
    cr.manual_seed(7)
    again = F.rrelu(x.detach(), 0.1, 0.3, training=True)
    np.testing.assert_array_equal(again.numpy(), got)  # the seed decides the slopes


def test_rrelu_module_follows_training_flag():
    m = cr.nn.RReLU(0.1, 0.3)
    x = _t(-np.ones(50))
    assert len(np.unique(m(x).numpy())) > 1
    m.eval()
    np.testing.assert_allclose(m(x).numpy(), -0.2)


# ----- inplace --------------------------------------------------------------------------------
@pytest.mark.parametrize("fn", [
    lambda x, **k: F.elu(x, 0.5, **k), lambda x, **k: F.leaky_relu(x, 0.1, **k),
    lambda x, **k: F.relu(x, **k), lambda x, **k: F.silu(x, **k),
    lambda x, **k: F.celu(x, **k), lambda x, **k: F.selu(x, **k),
    lambda x, **k: F.hardtanh(x, **k), lambda x, **k: F.relu6(x, **k),
    lambda x, **k: F.hardsigmoid(x, **k), lambda x, **k: F.hardswish(x, **k),
    lambda x, **k: F.mish(x, **k), lambda x, **k: F.rrelu(x, **k),
    lambda x, **k: F.threshold(x, 0.1, 3.0, **k)])
def test_inplace_writes_the_input_and_keeps_the_gradient(fn):
    base = np.array([-2.0, -0.4, 0.3, 1.7])
    want = fn(_t(base)).numpy()
    plain = _t(base)
    assert fn(plain, inplace=True) is plain
    np.testing.assert_allclose(plain.numpy(), want)
    # on a non-leaf, the gradient flows through the write
    w = _t(base).requires_grad_(True)
    y = w * 1.0
    fn(y, inplace=True).sum().backward()
    w2 = _t(base).requires_grad_(True)
    fn(w2 * 1.0).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), w2.grad.numpy())
    # a leaf that requires grad is refused, as PyTorch does
    with pytest.raises(RuntimeError, match="leaf"):
        fn(_t(base).requires_grad_(True), inplace=True)


def test_inplace_modules():
    x = _t([-1.0, 2.0])
    assert cr.nn.ELU(inplace=True)(x) is x
    np.testing.assert_allclose(x.numpy(), [math.exp(-1) - 1, 2])
    y = _t([-1.0, 2.0])
    assert cr.nn.ReLU(True)(y) is y and y.numpy().tolist() == [0, 2]
    assert repr(cr.nn.ReLU(inplace=True)) == "ReLU(inplace=True)"
    assert repr(cr.nn.ReLU()) == "ReLU()"


# ----- errors ---------------------------------------------------------------------------------
def test_errors_name_the_op_and_the_fix():
    x = _t([1.0, -1.0])
    with pytest.raises(ValueError, match="hardtanh: min_val cannot be greater"):
        F.hardtanh(x, 1.0, -1.0)
    with pytest.raises(RuntimeError, match="softshrink: lambd must be non-negative"):
        F.softshrink(x, -1.0)
    with pytest.raises(RuntimeError, match="celu: alpha cannot be 0"):
        F.celu(x, 0.0)
    with pytest.raises(RuntimeError, match="rrelu: lower bound"):
        F.rrelu(x, 0.5, 0.1)
    with pytest.raises(RuntimeError, match=r"glu: halving dimension must be even.*size 3"):
        F.glu(_t([1.0, 2.0, 3.0]))
    with pytest.raises(RuntimeError, match="glu: does not support scalars"):
        F.glu(_t(1.0))
    with pytest.raises(IndexError):
        F.glu(_t(np.ones((2, 4))), 3)
    with pytest.raises(RuntimeError, match="prelu: mismatch.*2 slopes.*3 channel"):
        F.prelu(_t(np.ones((2, 3))), _t([1.0, 1.0]))
    with pytest.raises(RuntimeError, match="prelu: expected `weight` to be a scalar or 1D"):
        F.prelu(_t(np.ones((2, 3))), _t(np.ones((1, 3))))
    with pytest.raises(RuntimeError, match="prelu: type promoting"):
        F.prelu(_t(np.ones(3)), cr.tensor(np.ones(1, np.float32)))
    with pytest.raises(ValueError, match="Softmax2d: expected input to be 3D or 4D, got 2D"):
        cr.nn.Softmax2d()(_t(np.ones((2, 3))))
    with pytest.raises(TypeError, match="Threshold.*missing"):
        cr.nn.Threshold(0.5)
    with pytest.raises(TypeError, match="unexpected keyword"):
        cr.nn.Hardtanh(low=1.0)


def test_softmin_implicit_dim_warns_and_picks_pytorchs_dim():
    x = _t(np.arange(24.0).reshape(2, 3, 4))
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmin"):
        out = F.softmin(x)
    np.testing.assert_allclose(out.numpy().sum(axis=0), 1.0)  # dim 0 for a 3-d input
    with pytest.warns(UserWarning):
        out2 = F.softmin(_t(np.ones((2, 5))))
    np.testing.assert_allclose(out2.numpy().sum(axis=1), 1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.softmin(x, 2)


# ----- modules --------------------------------------------------------------------------------
def test_prelu_module_learns_its_weight():
    m = cr.nn.PReLU(3, init=0.1, dtype="float64")
    assert list(m.state_dict()) == ["weight"] and tuple(m.weight.shape) == (3,)
    np.testing.assert_allclose(m.weight.detach().numpy(), 0.1)
    assert repr(m) == "PReLU(num_parameters=3)"
    x = _t(-np.ones((2, 3, 2)))
    m(x).sum().backward()
    np.testing.assert_allclose(m.weight.grad.numpy(), -4.0)
    assert len(list(cr.nn.PReLU().parameters())) == 1


def test_softmax2d_is_softmax_over_channels():
    x = _t(np.random.default_rng(0).normal(size=(2, 3, 4, 5)))
    out = cr.nn.Softmax2d()(x)
    np.testing.assert_allclose(out.numpy().sum(axis=1), 1.0)
    np.testing.assert_allclose(cr.nn.Softmax2d()(x[0]).numpy(), out.numpy()[0])


def test_module_reprs():
    assert repr(cr.nn.Hardtanh()) == "Hardtanh(min_val=-1.0, max_val=1.0)"
    assert repr(cr.nn.Threshold(1.0, 2.0)) == "Threshold(threshold=1.0, value=2.0)"
    assert repr(cr.nn.Softmin()) == "Softmin(dim=None)"
    assert repr(cr.nn.CELU()) == "CELU(alpha=1.0)"
    assert repr(cr.nn.Softshrink()) == "Softshrink(0.5)"
    assert repr(cr.nn.Hardshrink(0.3)) == "Hardshrink(0.3)"
    assert repr(cr.nn.RReLU()) == f"RReLU(lower={1 / 8}, upper={1 / 3})"


def test_every_new_name_is_exported():
    for name in ("celu", "selu", "softsign", "logsigmoid", "hardsigmoid", "hardswish", "relu6",
                 "mish", "hardtanh", "prelu", "rrelu", "glu", "threshold", "softmin",
                 "tanhshrink", "softshrink", "hardshrink"):
        assert name in F.__all__ and callable(getattr(F, name)), name
        assert getattr(F, name).__doc__, name
    for name in ("CELU", "SELU", "Softsign", "LogSigmoid", "Hardsigmoid", "Hardswish", "ReLU6",
                 "Mish", "Hardtanh", "PReLU", "RReLU", "GLU", "Threshold", "Softmin",
                 "Tanhshrink", "Softshrink", "Hardshrink", "Softmax2d"):
        assert name in cr.nn.__all__ and isinstance(getattr(cr.nn, name)(
            *((1.0, 2.0) if name == "Threshold" else ())), cr.nn.Module), name


# ----- binary cross-entropy at 0 and 1 --------------------------------------------------------
P_EDGE = np.array([0.0, 1.0, 0.0, 1.0, 0.3, 1e-50, 1.0 - 1e-17])
T_EDGE = np.array([0.0, 1.0, 1.0, 0.0, 0.6, 1.0, 0.0])


def test_bce_is_finite_at_zero_and_one():
    p = _t(P_EDGE).requires_grad_(True)
    loss = F.binary_cross_entropy(p, _t(T_EDGE), reduction="none")
    np.testing.assert_allclose(loss.detach().numpy()[:4], [0, 0, 100, 100], atol=1e-12)
    loss.sum().backward()
    g = p.grad.numpy()
    assert np.all(np.isfinite(g))
    # PyTorch's (p - t) / max(p (1 - p), 1e-12)
    np.testing.assert_allclose(g[:4], [0, 0, -1e12, 1e12])
    np.testing.assert_allclose(g[4], (0.3 - 0.6) / (0.3 * 0.7))
    t = _t(T_EDGE).requires_grad_(True)
    F.binary_cross_entropy(_t(P_EDGE), t, reduction="sum").backward()
    assert np.all(np.isfinite(t.grad.numpy()))
    # d/dt = log(1 - p) - log(p), each log clamped at -100
    np.testing.assert_allclose(t.grad.numpy()[:4], [100.0, -100.0, 100.0, -100.0])


def test_bce_gradcheck_inside_and_weighted():
    p, t, w = make((3, 4), 0.05, 0.95, seed=1), make((3, 4), 0, 1, seed=2), make((3, 4), 0.5, 2,
                                                                                 seed=3)
    for red in ("mean", "sum", "none"):
        fn = lambda p, t, w: F.binary_cross_entropy(p, t, w, reduction=red)  # noqa: E731
        assert gradcheck(fn, (p, t, w)) and gradgradcheck(fn, (p, t, w))
    pn = make((3, 4), 0.05, 0.95, seed=4, noncontiguous=True)
    assert gradcheck(lambda p: F.binary_cross_entropy(p, t.detach()), (pn,))
    assert gradcheck(lambda p: F.binary_cross_entropy(p, _t(0.3)), (make((), 0.1, 0.9),))


def test_bce_module_uses_it():
    p = _t([0.0, 1.0]).requires_grad_(True)
    cr.nn.BCELoss()(p, _t([1.0, 1.0])).backward()
    np.testing.assert_allclose(p.grad.numpy(), [-0.5e12, 0.0])


# ----- PyTorch as the oracle --------------------------------------------------------------------
@pytest.mark.oracle
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_values_and_gradients_match_torch(case):
    torch = pytest.importorskip("torch")
    import torch.nn.functional as TF
    _, fn = case
    data = GRID
    x = cr.tensor(data.copy()).requires_grad_(True)
    xt = torch.tensor(data.copy(), requires_grad=True)
    out, out_t = fn(F, x), fn(TF, xt)
    np.testing.assert_allclose(out.detach().numpy(), out_t.detach().numpy(), rtol=1e-12,
                               atol=1e-12)
    cot = np.random.default_rng(0).normal(size=out_t.shape)
    (out * cr.tensor(cot)).sum().backward()
    (out_t * torch.tensor(cot)).sum().backward()
    # (PyTorch's kernels round a few constants, 1/6 in hardsigmoid and 1/alpha in celu, to
    # float32: its float64 gradients are that close to exact)
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-6, atol=1e-12)
    # float32 keeps its dtype and agrees to float32 precision
    x32 = cr.tensor(data.astype(np.float32))
    got = fn(F, x32)
    assert str(got.dtype).endswith("float32")
    np.testing.assert_allclose(got.numpy(), fn(TF, torch.tensor(data.astype(np.float32))).numpy(),
                               rtol=1e-5, atol=1e-6)


@pytest.mark.oracle
def test_prelu_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    for xs, ws in (((2, 3, 4), (3,)), ((2, 3), (1,)), ((5,), (1,)), ((), (1,)), ((4,), ())):
        xd, wd = rng.normal(size=xs), rng.uniform(0.1, 0.5, size=ws)
        if xs:
            xd.flat[0] = 0.0  # the kink: PyTorch gives it the slope
        x, w = cr.tensor(xd).requires_grad_(True), cr.tensor(wd).requires_grad_(True)
        xt, wt = torch.tensor(xd, requires_grad=True), torch.tensor(wd, requires_grad=True)
        out, out_t = F.prelu(x, w), torch.nn.functional.prelu(xt, wt)
        np.testing.assert_allclose(out.detach().numpy(), out_t.detach().numpy())
        out.sum().backward()
        out_t.sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy())
        np.testing.assert_allclose(w.grad.numpy(), wt.grad.numpy())


@pytest.mark.oracle
def test_bce_matches_torch_at_zero_and_one():
    torch = pytest.importorskip("torch")
    for red in ("none", "mean", "sum"):
        p = cr.tensor(P_EDGE.copy()).requires_grad_(True)
        pt = torch.tensor(P_EDGE.copy(), requires_grad=True)
        w = np.linspace(0.5, 2.0, P_EDGE.size)
        loss = F.binary_cross_entropy(p, cr.tensor(T_EDGE), cr.tensor(w), reduction=red)
        loss_t = torch.nn.functional.binary_cross_entropy(pt, torch.tensor(T_EDGE),
                                                          torch.tensor(w), reduction=red)
        np.testing.assert_allclose(loss.detach().numpy(), loss_t.detach().numpy(), rtol=1e-12)
        loss.sum().backward()
        loss_t.sum().backward()
        np.testing.assert_allclose(p.grad.numpy(), pt.grad.numpy(), rtol=1e-12)


MODULES = [
    ("CELU", (0.7,)), ("SELU", ()), ("Softsign", ()), ("LogSigmoid", ()), ("Hardsigmoid", ()),
    ("Hardswish", ()), ("ReLU6", ()), ("Mish", ()), ("Hardtanh", (-0.5, 2.0)),
    ("GLU", (1,)), ("Threshold", (0.5, -1.0)), ("Softmin", (1,)), ("Tanhshrink", ()),
    ("Softshrink", (0.7,)), ("Hardshrink", (0.3,)), ("Softmax2d", ()), ("ELU", (0.5,)),
    ("LeakyReLU", (0.2,)), ("ReLU", ()), ("SiLU", ()),
]


@pytest.mark.oracle
@pytest.mark.parametrize("name,args", MODULES, ids=[m[0] for m in MODULES])
def test_modules_match_torch(name, args):
    torch = pytest.importorskip("torch")
    data = np.random.default_rng(5).normal(scale=3, size=(2, 4, 3, 2))
    x = cr.tensor(data).requires_grad_(True)
    xt = torch.tensor(data, requires_grad=True)
    mine, theirs = getattr(cr.nn, name)(*args), getattr(torch.nn, name)(*args)
    out, out_t = mine(x), theirs(xt)
    np.testing.assert_allclose(out.detach().numpy(), out_t.detach().numpy(), rtol=1e-12,
                               atol=1e-12)
    out.sum().backward()
    out_t.sum().backward()
    # (PyTorch's kernels round a few constants, 1/6 in hardsigmoid and 1/alpha in celu, to
    # float32: its float64 gradients are that close to exact)
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-6, atol=1e-12)
    assert list(mine.state_dict()) == list(theirs.state_dict())
    assert repr(mine) == repr(theirs)


@pytest.mark.oracle
def test_prelu_and_rrelu_modules_match_torch():
    torch = pytest.importorskip("torch")
    data = np.random.default_rng(6).normal(size=(2, 3, 4))
    mine, theirs = cr.nn.PReLU(3, 0.2, dtype="float64"), torch.nn.PReLU(3, 0.2,
                                                                        dtype=torch.float64)
    x, xt = cr.tensor(data), torch.tensor(data)
    out, out_t = mine(x), theirs(xt)
    np.testing.assert_allclose(out.detach().numpy(), out_t.detach().numpy())
    out.sum().backward()
    out_t.sum().backward()
    np.testing.assert_allclose(mine.weight.grad.numpy(), theirs.weight.grad.numpy())
    assert repr(mine) == repr(theirs)
    r, rt = cr.nn.RReLU(0.1, 0.2).eval(), torch.nn.RReLU(0.1, 0.2).eval()
    np.testing.assert_allclose(r(x).numpy(), rt(xt).numpy())


@pytest.mark.oracle
def test_errors_match_torch_types():
    torch = pytest.importorskip("torch")
    import torch.nn.functional as TF
    calls = [
        lambda F, t: F.hardtanh(t(np.ones(2)), 1.0, -1.0),
        lambda F, t: F.softshrink(t(np.ones(2)), -1.0),
        lambda F, t: F.celu(t(np.ones(2)), 0.0),
        lambda F, t: F.rrelu(t(np.ones(2)), 0.5, 0.1),
        lambda F, t: F.glu(t(np.ones(3))),
        lambda F, t: F.glu(t(np.array(1.0))),
        lambda F, t: F.prelu(t(np.ones((2, 3))), t(np.ones(2))),
        lambda F, t: F.prelu(t(np.ones((2, 3))), t(np.ones((1, 3)))),
    ]
    for call in calls:
        with pytest.raises(Exception) as theirs:
            call(TF, torch.tensor)
        with pytest.raises(type(theirs.value)):
            call(F, cr.tensor)
    # PyTorch's NotImplementedError and chainrule's OpTypeError are both RuntimeErrors
    with pytest.raises(RuntimeError):
        TF.mish(torch.tensor([1, 2]))
    with pytest.raises(RuntimeError):
        F.mish(cr.tensor(np.array([1, 2])))
