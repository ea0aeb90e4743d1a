"""fold/unfold (im2col/col2im), affine_grid and grid_sample, and the Fold/Unfold Modules:
known values, PyTorch as the oracle (values and gradients, every mode, padding mode and
align_corners), gradchecks in float64 (reverse and forward mode, first and second order),
and PyTorch's errors."""
import itertools

import numpy as np
import pytest

import chainrule as cr
from chainrule.autograd import gradcheck, gradgradcheck
from chainrule.errors import OpError
from chainrule.nn.fold import Fold, Unfold, fold, unfold
from chainrule.nn.grid import affine_grid, grid_sample

rng = np.random.default_rng(0)


def t(a, grad=False, dtype=np.float64):
    return cr.tensor(np.asarray(a, dtype=dtype), requires_grad=grad)


def arr(x):
    return x.detach().numpy()


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


# ----- fold / unfold --------------------------------------------------------------------
FOLD_CASES = [
    dict(kernel_size=2),
    dict(kernel_size=(2, 3), stride=(2, 1), padding=(1, 2), dilation=(2, 1)),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=(1, 2), dilation=2),
]


def test_unfold_fold_known_values():
    x = cr.arange(16.).reshape(1, 1, 4, 4)
    cols = unfold(x, 2, stride=2)
    assert cols.shape == (1, 4, 4) and cols.dtype == np.float32
    np.testing.assert_array_equal(arr(cols)[0, :, 0], [0., 1., 4., 5.])
    np.testing.assert_array_equal(arr(cols)[0, :, 3], [10., 11., 14., 15.])
    # disjoint blocks: fold undoes unfold
    np.testing.assert_array_equal(arr(fold(cols, (4, 4), 2, stride=2)), arr(x))
    # overlapping blocks: each pixel counted once per block holding it
    counts = arr(fold(cr.ones(1, 4, 9), (4, 4), 2))[0, 0]
    np.testing.assert_array_equal(counts, [[1, 2, 2, 1], [2, 4, 4, 2], [2, 4, 4, 2],
                                           [1, 2, 2, 1]])
    # unbatched forms
    assert unfold(cr.zeros(3, 5, 5), 2).shape == (12, 16)
    assert fold(cr.zeros(12, 16), (5, 5), 2).shape == (3, 5, 5)
    # empty batch
    assert unfold(cr.zeros(0, 3, 5, 5), 2).shape == (0, 12, 16)
    assert fold(cr.zeros(0, 12, 16), 5, 2).shape == (0, 3, 5, 5)


def test_fold_is_unfold_transpose():
    x, c = rng.standard_normal((2, 3, 6, 5)), rng.standard_normal((2, 18, 21))
    kw = FOLD_CASES[1]
    lhs = np.sum(arr(unfold(t(x), **kw)) * c)
    rhs = np.sum(x * arr(fold(t(c), (6, 5), **kw)))
    assert lhs == pytest.approx(rhs)


@pytest.mark.parametrize("kw", FOLD_CASES)
def test_unfold_fold_vs_torch(torch, kw):
    F = torch.nn.functional
    x = rng.standard_normal((2, 3, 7, 6))
    xt, xc = torch.tensor(x, requires_grad=True), t(x, True)
    out_t, out_c = F.unfold(xt, **kw), unfold(xc, **kw)
    np.testing.assert_allclose(arr(out_c), out_t.detach().numpy(), atol=1e-12)
    g = rng.standard_normal(out_t.shape)
    out_t.backward(torch.tensor(g))
    out_c.backward(t(g))
    np.testing.assert_allclose(xc.grad.numpy(), xt.grad.numpy(), atol=1e-12)
    c = rng.standard_normal(tuple(out_t.shape))
    ct, cc = torch.tensor(c, requires_grad=True), t(c, True)
    f_t, f_c = F.fold(ct, (7, 6), **kw), fold(cc, (7, 6), **kw)
    np.testing.assert_allclose(arr(f_c), f_t.detach().numpy(), atol=1e-12)
    g = rng.standard_normal(f_t.shape)
    f_t.backward(torch.tensor(g))
    f_c.backward(t(g))
    np.testing.assert_allclose(cc.grad.numpy(), ct.grad.numpy(), atol=1e-12)
    # unbatched, float32
    x32 = x[0].astype(np.float32)
    u = unfold(cr.tensor(x32), **kw)
    assert u.dtype == np.float32
    np.testing.assert_allclose(arr(u), F.unfold(torch.tensor(x32), **kw).numpy(), rtol=1e-6)
    c32 = c[0].astype(np.float32)
    np.testing.assert_allclose(arr(fold(cr.tensor(c32), (7, 6), **kw)),
                               F.fold(torch.tensor(c32), (7, 6), **kw).numpy(), rtol=1e-5,
                               atol=1e-6)


@pytest.mark.parametrize("kw", FOLD_CASES[:2])
def test_unfold_fold_gradcheck(kw):
    x = t(rng.standard_normal((2, 2, 5, 4)), True)
    assert gradcheck(lambda x: unfold(x, **kw), (x,))
    assert gradgradcheck(lambda x: unfold(x, **kw) ** 2, (x,))
    n = unfold(x, **kw).shape
    c = t(rng.standard_normal(n), True)
    assert gradcheck(lambda c: fold(c, (5, 4), **kw), (c,))
    assert gradgradcheck(lambda c: fold(c, (5, 4), **kw) ** 2, (c,))


def test_unfold_non_contiguous(torch):
    x = rng.standard_normal((2, 3, 5, 6))
    xc = t(x).transpose(2, 3)  # (2, 3, 6, 5), a strided view
    expect = torch.nn.functional.unfold(torch.tensor(x).transpose(2, 3), 2, padding=1)
    np.testing.assert_allclose(arr(unfold(xc, 2, padding=1)), expect.numpy())
    xg = t(x, True)
    assert gradcheck(lambda x: unfold(x.transpose(2, 3), 2, padding=1), (xg,))


def test_fold_unfold_modules(torch):
    assert repr(Unfold(2)) == repr(torch.nn.Unfold(2))
    assert repr(Fold((4, 4), 2)) == repr(torch.nn.Fold((4, 4), 2))
    x = t(rng.standard_normal((1, 2, 4, 4)))
    np.testing.assert_allclose(arr(Unfold(2, padding=1)(x)), arr(unfold(x, 2, padding=1)))
    c = t(rng.standard_normal((1, 8, 9)))
    np.testing.assert_allclose(arr(Fold((4, 4), 2)(c)), arr(fold(c, (4, 4), 2)))


UNFOLD_BAD = [
    ((5, 5), dict(kernel_size=2)),
    ((1, 1, 2, 5, 5), dict(kernel_size=2)),
    ((2, 3, 5, 5), dict(kernel_size=6)),
    ((2, 3, 5, 5), dict(kernel_size=0)),
    ((2, 3, 5, 5), dict(kernel_size=2, padding=-1)),
    ((2, 3, 5, 5), dict(kernel_size=2, stride=0)),
    ((2, 3, 5, 5), dict(kernel_size=2, dilation=0)),
    ((2, 3, 5, 5), dict(kernel_size=(2, 2, 2))),
    ((2, 0, 5, 5), dict(kernel_size=2)),
]
FOLD_BAD = [
    ((2, 12, 16), dict(output_size=(6, 6), kernel_size=2)),
    ((2, 13, 16), dict(output_size=(5, 5), kernel_size=2)),
    ((2, 12, 17), dict(output_size=(5, 5), kernel_size=2)),
    ((12,), dict(output_size=(5, 5), kernel_size=2)),
    ((2, 12, 16), dict(output_size=(1, 1), kernel_size=2)),
    ((2, 0, 16), dict(output_size=(5, 5), kernel_size=2)),
    ((2, 12, 16), dict(output_size=(5, 5), kernel_size=2, stride=0)),
]


@pytest.mark.parametrize("shape, kw", UNFOLD_BAD)
def test_unfold_errors(shape, kw):
    with pytest.raises(OpError, match="unfold"):
        unfold(cr.zeros(*shape), **kw)


@pytest.mark.parametrize("shape, kw", FOLD_BAD)
def test_fold_errors(shape, kw):
    with pytest.raises(OpError, match="fold"):
        fold(cr.zeros(*shape), **kw)


def test_fold_unfold_errors_match_torch(torch):
    F = torch.nn.functional
    for shape, kw in UNFOLD_BAD:
        with pytest.raises((RuntimeError, IndexError)):
            F.unfold(torch.zeros(*shape), **kw)
    for shape, kw in FOLD_BAD:
        with pytest.raises(RuntimeError):
            F.fold(torch.zeros(*shape), **kw)


def test_fold_unfold_integer_input():
    with pytest.raises(TypeError, match="unfold.*float"):
        unfold(cr.tensor(np.zeros((1, 1, 3, 3), np.int64)), 2)
    with pytest.raises(TypeError, match="fold.*float"):
        fold(cr.tensor(np.zeros((1, 4, 4), np.int64)), 3, 2)


# ----- affine_grid ----------------------------------------------------------------------
def test_affine_grid_known_values():
    eye = t([[[1., 0., 0.], [0., 1., 0.]]])
    g = arr(affine_grid(eye, (1, 1, 2, 3), align_corners=True))
    np.testing.assert_allclose(g[0, :, :, 0], [[-1, 0, 1], [-1, 0, 1]])
    np.testing.assert_allclose(g[0, :, :, 1], [[-1, -1, -1], [1, 1, 1]])
    g = arr(affine_grid(eye, (1, 1, 2, 2), align_corners=False))
    np.testing.assert_allclose(g[0, 0], [[-0.5, -0.5], [0.5, -0.5]])
    shift = t([[[1., 0., 0.5], [0., 1., 0.]]])
    np.testing.assert_allclose(arr(affine_grid(shift, (1, 1, 1, 1)))[0, 0, 0], [0.5, 0.])
    assert affine_grid(eye.float(), (1, 3, 4, 5)).dtype == np.float32


@pytest.mark.parametrize("size", [(2, 3, 4, 5), (2, 1, 1, 3), (2, 3, 3, 4, 5), (2, 1, 1, 2, 1)])
@pytest.mark.parametrize("align_corners", [False, True])
def test_affine_grid_vs_torch(torch, size, align_corners):
    nd = len(size) - 2
    theta = rng.standard_normal((2, nd, nd + 1))
    tt, tc = torch.tensor(theta, requires_grad=True), t(theta, True)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out_t = torch.nn.functional.affine_grid(tt, size, align_corners=align_corners)
    out_c = affine_grid(tc, size, align_corners=align_corners)
    np.testing.assert_allclose(arr(out_c), out_t.detach().numpy(), atol=1e-12)
    g = rng.standard_normal(out_t.shape)
    out_t.backward(torch.tensor(g))
    out_c.backward(t(g))
    np.testing.assert_allclose(tc.grad.numpy(), tt.grad.numpy(), atol=1e-12)


def test_affine_grid_gradcheck():
    theta = t(rng.standard_normal((2, 2, 3)), True)
    assert gradcheck(lambda th: affine_grid(th, (2, 1, 3, 4)), (theta,))
    assert gradgradcheck(lambda th: affine_grid(th, (2, 1, 3, 4)) ** 2, (theta,))
    theta3 = t(rng.standard_normal((1, 3, 4)), True)
    assert gradcheck(lambda th: affine_grid(th, (1, 1, 2, 3, 2), align_corners=True), (theta3,))


AFFINE_BAD = [
    ((2, 2, 3), (3, 3, 4, 5), OpError),  # batch mismatch
    ((2, 2, 3), (2, 3, 0, 5), OpError),
    ((2, 2, 3), (2, 3, 5), NotImplementedError),
    ((2, 2, 3), (2, 3, 4, 5, 6), OpError),
    ((2, 3, 4), (2, 3, 4, 5), OpError),
    ((2, 2, 3), (0, 3, 4, 5), OpError),
]


@pytest.mark.parametrize("theta_shape, size, exc", AFFINE_BAD)
def test_affine_grid_errors(torch, theta_shape, size, exc):
    with pytest.raises(exc, match="affine_grid"):
        affine_grid(cr.zeros(*theta_shape), size)
    with pytest.raises((RuntimeError, ValueError, NotImplementedError)):
        torch.nn.functional.affine_grid(torch.zeros(*theta_shape), size, align_corners=False)


def test_affine_grid_integer_theta():
    with pytest.raises(TypeError, match="affine_grid.*floating"):
        affine_grid(cr.tensor(np.zeros((1, 2, 3), np.int64)), (1, 1, 2, 2))


# ----- grid_sample ----------------------------------------------------------------------
def test_grid_sample_known_values():
    x = cr.arange(4.).reshape(1, 1, 2, 2)
    pts = t([[[[0., 0.], [-1., -1.], [1., 1.], [1., -1.]]]], dtype=np.float32)
    np.testing.assert_allclose(arr(grid_sample(x, pts, align_corners=True))[0, 0, 0],
                               [1.5, 0., 3., 1.])
    # align_corners=False: the corners +-1 are pixel edges, half outside (zeros padding)
    np.testing.assert_allclose(arr(grid_sample(x, pts))[0, 0, 0], [1.5, 0., 0.75, 0.25])
    np.testing.assert_allclose(arr(grid_sample(x, pts, padding_mode="border"))[0, 0, 0],
                               [1.5, 0., 3., 1.])
    np.testing.assert_allclose(arr(grid_sample(x, pts, mode="nearest",
                                               align_corners=True))[0, 0, 0], [0., 0., 3., 1.])
    # the identity map reproduces the input, in every mode
    img = t(rng.standard_normal((2, 3, 4, 5)))
    eye = t(np.tile([[1., 0., 0.], [0., 1., 0.]], (2, 1, 1)))
    for ac in (False, True):
        grid = affine_grid(eye, (2, 3, 4, 5), align_corners=ac)
        for mode in ("bilinear", "nearest", "bicubic"):
            np.testing.assert_allclose(arr(grid_sample(img, grid, mode, align_corners=ac)),
                                       arr(img), atol=1e-12)
    assert grid_sample(x, pts).dtype == np.float32


SAMPLE_CASES = [(nd, mode, pm, ac)
                for nd, mode, pm, ac in itertools.product(
                    (2, 3), ("bilinear", "nearest", "bicubic"), ("zeros", "border", "reflection"),
                    (False, True))
                if not (nd == 3 and mode == "bicubic")]


@pytest.mark.parametrize("nd, mode, padding_mode, align_corners", SAMPLE_CASES)
def test_grid_sample_vs_torch(torch, nd, mode, padding_mode, align_corners):
    xs = (2, 3) + ((4, 5) if nd == 2 else (3, 4, 5))
    gs = (2,) + ((3, 4) if nd == 2 else (2, 3, 2)) + (nd,)
    x, g = rng.standard_normal(xs), rng.uniform(-1.7, 1.7, gs)  # in and out of [-1, 1]
    xt, gt = torch.tensor(x, requires_grad=True), torch.tensor(g, requires_grad=True)
    xc, gc = t(x, True), t(g, True)
    kw = dict(mode=mode, padding_mode=padding_mode, align_corners=align_corners)
    out_t = torch.nn.functional.grid_sample(xt, gt, **kw)
    out_c = grid_sample(xc, gc, **kw)
    np.testing.assert_allclose(arr(out_c), out_t.detach().numpy(), atol=1e-12)
    go = rng.standard_normal(out_t.shape)
    out_t.backward(torch.tensor(go))
    out_c.backward(t(go))
    np.testing.assert_allclose(xc.grad.numpy(), xt.grad.numpy(), atol=1e-12)
    if mode == "nearest":  # piecewise constant in the grid: no gradient flows to it
        assert gc.grad is None or not np.any(gc.grad.numpy())
        assert not np.any(gt.grad.numpy())
    else:
        np.testing.assert_allclose(gc.grad.numpy(), gt.grad.numpy(), atol=1e-10)
    # float32 in, float32 out, close to torch's float32
    x32, g32 = x.astype(np.float32), g.astype(np.float32)
    o32 = grid_sample(cr.tensor(x32), cr.tensor(g32), **kw)
    assert o32.dtype == np.float32
    np.testing.assert_allclose(arr(o32), torch.nn.functional.grid_sample(
        torch.tensor(x32), torch.tensor(g32), **kw).numpy(), atol=1e-5)


@pytest.mark.parametrize("mode, padding_mode, align_corners", [
    ("bilinear", "zeros", False), ("bilinear", "border", True),
    ("bilinear", "reflection", False), ("bicubic", "zeros", True),
    ("bicubic", "reflection", False)])
def test_grid_sample_gradcheck(mode, padding_mode, align_corners):
    x = t(rng.standard_normal((1, 2, 3, 4)), True)
    g = t(rng.uniform(-1.3, 1.3, (1, 2, 3, 2)), True)
    kw = dict(mode=mode, padding_mode=padding_mode, align_corners=align_corners)
    assert gradcheck(lambda x, g: grid_sample(x, g, **kw), (x, g))
    assert gradgradcheck(lambda x, g: grid_sample(x, g, **kw), (x, g))


def test_grid_sample_gradcheck_3d_and_nearest():
    x = t(rng.standard_normal((1, 1, 2, 3, 3)), True)
    g = t(rng.uniform(-1.2, 1.2, (1, 2, 1, 2, 3)), True)
    assert gradcheck(lambda x, g: grid_sample(x, g, padding_mode="reflection"), (x, g))
    assert gradgradcheck(lambda x, g: grid_sample(x, g), (x, g))
    x2 = t(rng.standard_normal((1, 2, 3, 4)), True)
    g2 = t(rng.uniform(-1.3, 1.3, (1, 2, 3, 2)))
    assert gradcheck(lambda x: grid_sample(x, g2, mode="nearest"), (x2,))
    assert gradgradcheck(lambda x: grid_sample(x, g2, mode="nearest") ** 2, (x2,))


def test_grid_sample_non_contiguous_and_empty(torch):
    x = rng.standard_normal((2, 3, 5, 4))
    g = rng.uniform(-1, 1, (2, 2, 3, 4))
    xc, gc = t(x).transpose(2, 3), t(g).permute(0, 2, 3, 1)  # strided views
    expect = torch.nn.functional.grid_sample(torch.tensor(x).transpose(2, 3),
                                             torch.tensor(g).permute(0, 2, 3, 1),
                                             align_corners=False)
    np.testing.assert_allclose(arr(grid_sample(xc, gc)), expect.numpy(), atol=1e-12)
    assert grid_sample(cr.zeros(0, 3, 4, 4), cr.zeros(0, 2, 2, 2)).shape == (0, 3, 2, 2)
    assert grid_sample(cr.zeros(2, 0, 4, 4), cr.zeros(2, 2, 2, 2)).shape == (2, 0, 2, 2)
    assert grid_sample(cr.zeros(2, 3, 4, 4), cr.zeros(2, 0, 2, 2)).shape == (2, 3, 0, 2)


def test_grid_sample_infinite_outside_value_does_not_leak():
    x = t([[[[np.inf, 1.], [2., 3.]]]])
    g = t([[[[1.0, 1.0]]]])  # reads (1, 1) only: the (0, 0) corner it clamps to is masked
    out = grid_sample(x, g, align_corners=True)
    assert np.isfinite(arr(out)).all()


GRID_BAD = [
    ((2, 3, 5, 5), (1, 4, 4, 2), {}, OpError),
    ((2, 3, 5, 5), (2, 4, 4, 3), {}, OpError),
    ((2, 3, 5, 5), (2, 4, 4, 1, 2), {}, OpError),
    ((3, 5, 5), (4, 4, 2), {}, OpError),
    ((2, 3, 0, 5), (2, 4, 4, 2), {}, OpError),
    ((1, 1, 2, 3, 3), (1, 2, 2, 2, 3), {"mode": "bicubic"}, NotImplementedError),
    ((1, 1, 2, 3, 3), (1, 2, 2, 2, 2), {}, OpError),
    ((2, 3, 5, 5), (2, 4, 4, 2), {"mode": "foo"}, ValueError),
    ((2, 3, 5, 5), (2, 4, 4, 2), {"padding_mode": "wrap"}, ValueError),
]


@pytest.mark.parametrize("xs, gs, kw, exc", GRID_BAD)
def test_grid_sample_errors(torch, xs, gs, kw, exc):
    with pytest.raises(exc, match="grid_sample"):
        grid_sample(cr.zeros(*xs), cr.zeros(*gs), **kw)
    with pytest.raises((RuntimeError, ValueError)):
        torch.nn.functional.grid_sample(torch.zeros(*xs), torch.zeros(*gs), align_corners=False,
                                        **kw)


def test_grid_sample_dtype_errors():
    with pytest.raises(TypeError, match="grid_sample.*same dtype"):
        grid_sample(cr.zeros(1, 1, 2, 2), cr.zeros(1, 1, 1, 2, dtype=np.float64))
    with pytest.raises(TypeError, match="grid_sample.*floating"):
        grid_sample(cr.tensor(np.zeros((1, 1, 2, 2), np.int64)),
                    cr.tensor(np.zeros((1, 1, 1, 2), np.int64)))
