"""interpolate (every mode), its deprecated aliases and the Upsample Modules: known values,
PyTorch's values, input gradients and source indices, gradchecks in float64 (both modes,
first and second order), and PyTorch's errors."""
import itertools
import warnings

import numpy as np
import pytest

import chainrule as cr
from chainrule.autograd import gradcheck, gradgradcheck
from chainrule.errors import OpError, OpTypeError
from chainrule.nn.upsampling import (Upsample, UpsamplingBilinear2d, UpsamplingNearest2d,
                                     interpolate, upsample, upsample_bilinear,
                                     upsample_nearest)

rng = np.random.default_rng(0)

_RANK = {"nearest": None, "nearest-exact": None, "area": None, "linear": 3, "bilinear": 4,
         "bicubic": 4, "trilinear": 5}


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def t64(a, grad=False):
    return cr.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def test_known_values():
    x = cr.tensor([[[0., 1.]]])
    np.testing.assert_allclose(interpolate(x, scale_factor=2, mode="linear").numpy(),
                               [[[0., .25, .75, 1.]]])
    np.testing.assert_allclose(
        interpolate(x, size=3, mode="linear", align_corners=True).numpy(), [[[0., .5, 1.]]])
    np.testing.assert_array_equal(interpolate(cr.tensor([[[1., 2.]]]), scale_factor=2).numpy(),
                                  [[[1., 1., 2., 2.]]])
    # nearest takes floor(i * 3/2) = 0, 1, 3; nearest-exact floor((i + .5) * 3/2) = 0, 2, 3
    y = cr.tensor([[[0., 1., 2.]]])
    np.testing.assert_array_equal(interpolate(y, size=2).numpy(), [[[0., 1.]]])
    np.testing.assert_array_equal(interpolate(y, size=2, mode="nearest-exact").numpy(),
                                  [[[0., 2.]]])
    np.testing.assert_allclose(interpolate(cr.tensor([[[1., 2., 3., 6.]]]), size=2,
                                           mode="area").numpy(), [[[1.5, 4.5]]])
    z = cr.arange(4.).reshape(1, 1, 2, 2)
    np.testing.assert_allclose(
        interpolate(z, size=3, mode="bilinear", align_corners=True).numpy()[0, 0],
        [[0., .5, 1.], [1., 1.5, 2.], [2., 2.5, 3.]])
    # bicubic reproduces a linear ramp away from the border (its weights sum to 1 and
    # reproduce degree-1 polynomials)
    ramp = cr.arange(8.).reshape(1, 1, 1, 8)
    out = interpolate(ramp, size=(1, 15), mode="bicubic", align_corners=True).numpy()[0, 0, 0]
    np.testing.assert_allclose(out[2:-2], np.arange(15)[2:-2] * 0.5, atol=1e-6)
    # same size: a copy, not the input itself
    assert interpolate(x, size=2, mode="linear") is not x


def _case(mode, spatial, kw, ac):
    """An input of the mode's rank with the given spatial sizes."""
    rank = _RANK[mode] or 2 + len(spatial)
    shape = (2, 3) + tuple(spatial)[:rank - 2]
    if isinstance(kw.get("size"), tuple):
        kw = dict(kw, size=kw["size"][:rank - 2])
    if isinstance(kw.get("scale_factor"), tuple):
        kw = dict(kw, scale_factor=kw["scale_factor"][:rank - 2])
    return shape, kw


_SIZE_KWS = [dict(size=(7, 5, 4)), dict(size=(3, 2, 2)), dict(size=(4, 9, 3)),
             dict(scale_factor=2), dict(scale_factor=0.6), dict(scale_factor=(1.7, 0.5, 3)),
             dict(scale_factor=(2.5, 1.3, 0.75), recompute_scale_factor=True), dict(size=1)]
_MODE_AC = [("nearest", None), ("nearest-exact", None), ("area", None), ("linear", False),
            ("linear", True), ("bilinear", False), ("bilinear", True), ("bicubic", False),
            ("bicubic", True), ("trilinear", False), ("trilinear", True)]


@pytest.mark.parametrize("mode,ac", _MODE_AC)
@pytest.mark.parametrize("kw", _SIZE_KWS, ids=lambda kw: "-".join(map(str, kw.values())))
def test_values_and_grads_match_torch(torch, mode, ac, kw):
    spatial = (5, 4, 3)
    for rank in ([_RANK[mode]] if _RANK[mode] else [3, 4, 5]):
        sp = spatial[:rank - 2]
        shape, kw2 = _case(mode, sp, kw, ac)
        a = rng.standard_normal(shape).astype(np.float32)
        x = cr.tensor(a, requires_grad=True)
        tx = torch.tensor(a, requires_grad=True)
        ref = torch.nn.functional.interpolate(tx, mode=mode, align_corners=ac, **kw2)
        out = interpolate(x, mode=mode, align_corners=ac, **kw2)
        assert out.shape == tuple(ref.shape)
        assert out.dtype == np.float32
        np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-5,
                                   atol=2e-6)
        g = rng.standard_normal(tuple(ref.shape)).astype(np.float32)
        ref.backward(torch.tensor(g))
        out.backward(cr.tensor(g))
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_source_indices_match_torch_exactly(torch, dtype):
    """The index and weight formulas, to the bit: odd scale factors, sizes up to 400 (where
    a rounding of the source index shows), scale given vs recomputed."""
    r = np.random.default_rng(1)
    for trial in range(150):
        n_in = int(r.integers(1, 300))
        if trial % 3 == 0:
            kw = dict(size=int(r.integers(1, 700)))
        else:
            s = float(r.choice([r.uniform(0.1, 4), 1 / r.integers(1, 9), 1.0001, 2 / 3, 0.7]))
            if int(n_in * s) < 1:
                continue
            kw = dict(scale_factor=s, recompute_scale_factor=bool(trial % 2))
        for mode, ac in [("nearest", None), ("nearest-exact", None), ("linear", False),
                         ("linear", True)]:
            if mode.startswith("nearest"):  # the values are the source indices
                a = np.arange(n_in, dtype=dtype).reshape(1, 1, n_in)
            else:
                a = r.standard_normal((1, 1, n_in)).astype(dtype)
            ref = torch.nn.functional.interpolate(torch.from_numpy(a), mode=mode,
                                                  align_corners=ac, **kw).numpy()
            out = interpolate(cr.tensor(a), mode=mode, align_corners=ac, **kw).numpy()
            tol = 0 if mode.startswith("nearest") else (1e-6 if dtype == np.float32 else 1e-14)
            np.testing.assert_allclose(out, ref, rtol=0, atol=tol,
                                       err_msg=f"n_in={n_in} {kw} {mode} {ac}")


def test_bicubic_weights_match_torch(torch):
    """Bicubic's weight matrix (interpolating the identity) to a few ulps (the order of
    the four taps' sum differs where the border clamps them onto one pixel)."""
    for n_in, n_out, ac in itertools.product([1, 2, 5, 7], [1, 3, 9, 20], [False, True]):
        for dtype, tol in ((np.float32, 1e-6), (np.float64, 4e-15)):
            a = np.eye(n_in, dtype=dtype).reshape(1, n_in, n_in, 1)
            ref = torch.nn.functional.interpolate(torch.from_numpy(a), size=(n_out, 1),
                                                  mode="bicubic", align_corners=ac).numpy()
            out = interpolate(cr.tensor(a), size=(n_out, 1), mode="bicubic",
                              align_corners=ac).numpy()
            np.testing.assert_allclose(out, ref, rtol=0, atol=tol)


@pytest.mark.parametrize("mode,ac", _MODE_AC)
def test_gradcheck(mode, ac):
    rank = _RANK[mode] or 4
    shape = (1, 2) + (3, 4, 2)[:rank - 2]
    x = t64(rng.standard_normal(shape), grad=True)
    for kw in (dict(scale_factor=2), dict(size=(2, 3, 3)[:rank - 2])):
        def f(x):
            return interpolate(x, mode=mode, align_corners=ac, **kw)
        assert gradcheck(f, (x,))
        assert gradgradcheck(f, (x,))


def test_gradcheck_module_and_noncontiguous():
    a = rng.standard_normal((1, 3, 2, 4))
    x = t64(a.transpose(0, 1, 3, 2), grad=True)  # not contiguous
    m = Upsample(scale_factor=(1.5, 2), mode="bicubic", align_corners=False)
    assert gradcheck(m, (x,))
    np.testing.assert_allclose(m(x).detach().numpy(),
                               m(t64(np.ascontiguousarray(a.transpose(0, 1, 3, 2)))).numpy())


def test_noncontiguous_and_float64_match_torch(torch):
    a = rng.standard_normal((2, 5, 3, 4)).transpose(0, 3, 1, 2)  # (2, 4, 5, 3), strided
    for mode, ac in (("bilinear", False), ("nearest", None), ("bicubic", True)):
        ref = torch.nn.functional.interpolate(torch.from_numpy(a), size=(7, 2), mode=mode,
                                              align_corners=ac).numpy()
        out = interpolate(cr.tensor(a), size=(7, 2), mode=mode, align_corners=ac)
        assert out.dtype == np.float64
        np.testing.assert_allclose(out.numpy(), ref, rtol=1e-12, atol=1e-12)


def test_empty_batch_and_integer_nearest(torch):
    out = interpolate(cr.zeros(0, 2, 3), size=5, mode="linear")
    assert out.shape == (0, 2, 5)
    a = np.arange(6, dtype=np.uint8).reshape(1, 2, 3)
    ref = torch.nn.functional.interpolate(torch.from_numpy(a), size=5).numpy()
    out = interpolate(cr.tensor(a), size=5)
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out.numpy(), ref)


def test_modules_and_aliases(torch):
    assert repr(Upsample(scale_factor=2)) == "Upsample(scale_factor=2.0, mode='nearest')"
    assert repr(Upsample(size=(3, 4), mode="bilinear")) == \
        "Upsample(size=(3, 4), mode='bilinear')"
    assert repr(UpsamplingBilinear2d(scale_factor=(2, 3))) == \
        "UpsamplingBilinear2d(scale_factor=(2.0, 3.0), mode='bilinear')"
    assert repr(UpsamplingNearest2d(4)) == "UpsamplingNearest2d(size=4, mode='nearest')"
    assert repr(Upsample(scale_factor=2)) == repr(torch.nn.Upsample(scale_factor=2))
    a = rng.standard_normal((1, 2, 3, 4)).astype(np.float32)
    x, tx = cr.tensor(a), torch.tensor(a)
    pairs = [(UpsamplingBilinear2d(scale_factor=2), torch.nn.UpsamplingBilinear2d(
        scale_factor=2)), (UpsamplingNearest2d(size=(5, 3)), torch.nn.UpsamplingNearest2d(
            size=(5, 3))), (Upsample(scale_factor=1.5, mode="bicubic"),
                            torch.nn.Upsample(scale_factor=1.5, mode="bicubic"))]
    for ours, theirs in pairs:
        np.testing.assert_allclose(ours(x).numpy(), theirs(tx).numpy(), rtol=1e-5, atol=1e-6)
    assert list(Upsample(scale_factor=2).parameters()) == []
    with pytest.warns(UserWarning, match="deprecated"):
        np.testing.assert_allclose(upsample_bilinear(x, size=(4, 6)).numpy(),
                                   torch.nn.functional.interpolate(
                                       tx, size=(4, 6), mode="bilinear",
                                       align_corners=True).numpy(), rtol=1e-5, atol=1e-6)
    with pytest.warns(UserWarning, match="deprecated"):
        np.testing.assert_array_equal(upsample_nearest(x, scale_factor=2).numpy(),
                                      interpolate(x, scale_factor=2).numpy())
    with pytest.warns(UserWarning, match="deprecated"):
        np.testing.assert_array_equal(upsample(x, size=5, mode="area").numpy(),
                                      interpolate(x, size=5, mode="area").numpy())


_BAD = [
    (dict(size=3, scale_factor=2.0), (3, "nearest"), OpError, "only one of size"),
    (dict(), (3, "nearest"), OpError, "either size or scale_factor"),
    (dict(size=3, align_corners=False), (3, "nearest"), OpError, "align_corners"),
    (dict(size=3, align_corners=True), (3, "area"), OpError, "align_corners"),
    (dict(size=5, recompute_scale_factor=True), (3, "nearest"), OpError, "recompute"),
    (dict(size=(5, 5)), (3, "nearest"), OpError, "spatial dims"),
    (dict(scale_factor=(2., 2.)), (3, "linear"), OpError, "spatial dims"),
    (dict(size=(5.,)), (3, "nearest"), OpTypeError, "size must be"),
    (dict(size=2), (4, "linear"), NotImplementedError, "linear mode needs a 3-d"),
    (dict(size=2), (3, "bilinear"), NotImplementedError, "bilinear mode needs a 4-d"),
    (dict(size=2), (3, "bicubic"), NotImplementedError, "bicubic"),
    (dict(size=2), (5, "bicubic"), NotImplementedError, "bicubic"),
    (dict(size=2), (4, "trilinear"), NotImplementedError, "trilinear mode needs a 5-d"),
    (dict(size=2), (2, "nearest"), NotImplementedError, "got 2-d"),
    (dict(size=2), (6, "nearest"), NotImplementedError, "got 6-d"),
    (dict(size=2), (3, "bogus"), NotImplementedError, "bogus"),
    (dict(size=0), (3, "nearest"), OpError, "greater than 0"),
    (dict(scale_factor=0.1), (3, "linear"), OpError, "greater than 0"),
    (dict(size=2, antialias=True), (3, "linear"), OpError, "antialias"),
    (dict(size=2, antialias=True), (4, "bilinear"), OpError, "antialias"),
]


@pytest.mark.parametrize("kw,spec,err,match", _BAD, ids=[b[3] for b in _BAD])
def test_errors_as_torch(torch, kw, spec, err, match):
    rank, mode = spec
    a = np.zeros((1, 1) + (4,) * (rank - 2), dtype=np.float32)[(0,) * max(0, 2 - rank)]
    with pytest.raises(err, match=match):
        interpolate(cr.tensor(a), mode=mode, **kw)
    # PyTorch raises too (antialias=True is the one it supports and we do not)
    if not (kw.get("antialias") and mode == "bilinear" and rank == 4):
        with pytest.raises(Exception):
            torch.nn.functional.interpolate(torch.from_numpy(a), mode=mode, **kw)


def test_errors_dtype_and_empty():
    with pytest.raises(OpTypeError, match="floating-point"):
        interpolate(cr.tensor(np.zeros((1, 1, 3), dtype=np.int64)), size=4, mode="linear")
    with pytest.raises(OpError, match="non-empty"):
        interpolate(cr.zeros(1, 0, 3), size=4)
    with pytest.raises(OpError, match="greater than 0"):
        interpolate(cr.zeros(1, 1, 0), size=4, mode="linear")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        interpolate(cr.zeros(1, 1, 3), size=4)  # no warning from the function itself
