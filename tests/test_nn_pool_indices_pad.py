"""max_pool/adaptive_max_pool with return_indices, max_unpool1d/2d/3d and their Modules, and
F.pad in every mode with negative widths: known values, gradchecks in float64 (first and
second order, reverse and forward mode), and PyTorch as the oracle."""
import itertools

import numpy as np
import pytest

import chainrule as cr
from chainrule.autograd import gradcheck, gradgradcheck
from chainrule.errors import OpError, OpTypeError
from chainrule.nn.layers import AdaptiveMaxPool2d, MaxPool1d, MaxPool2d
from chainrule.nn.pooling import (adaptive_max_pool1d, adaptive_max_pool2d,
                                  adaptive_max_pool3d, max_pool1d, max_pool2d, max_pool3d)
from chainrule.nn.shape import pad
from chainrule.nn.unpool import (MaxUnpool1d, MaxUnpool2d, MaxUnpool3d, max_unpool1d,
                                 max_unpool2d, max_unpool3d)

MAX_POOL = {1: max_pool1d, 2: max_pool2d, 3: max_pool3d}
ADAPTIVE = {1: adaptive_max_pool1d, 2: adaptive_max_pool2d, 3: adaptive_max_pool3d}
UNPOOL = {1: max_unpool1d, 2: max_unpool2d, 3: max_unpool3d}


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def t(a, grad=False, dtype=np.float64):
    return cr.tensor(np.asarray(a, dtype=dtype), requires_grad=grad)


def distinct(shape, seed=0):
    """float64 values with no ties (finite differences need a unique maximum)."""
    rng = np.random.default_rng(seed)
    return rng.permutation(int(np.prod(shape))).reshape(shape) / 7.0 + \
        rng.uniform(0, 0.01, shape)


def tied(shape, seed=0):
    """Small integers: many ties, to pin down which maximum an index names."""
    return np.random.default_rng(seed).integers(-2, 3, shape).astype(np.float64)


# ----- known values (no torch) ---------------------------------------------------------------
def test_known_values():
    x = t([[[[1., 2.], [4., 3.]]]])
    v, i = max_pool2d(x, 2, return_indices=True)
    assert v.tolist() == [[[[4.]]]] and i.tolist() == [[[[2]]]] and i.dtype == np.int64
    assert not i.requires_grad
    v, i = max_pool1d(t([[1., 5., 5., 0., 9.]]), 2, stride=1, return_indices=True)
    assert v.tolist() == [[5., 5., 5., 9.]] and i.tolist() == [[1, 1, 2, 4]]  # first max
    # ceil_mode and padding index the unpadded input
    v, i = max_pool1d(t([[3., 1., 2., 7., 4.]]), 2, padding=1, ceil_mode=True,
                      return_indices=True)
    assert v.tolist() == [[3., 2., 7.]] and i.tolist() == [[0, 2, 3]]
    # a NaN wins, the last one (PyTorch's kernels take every NaN they meet)
    _, i = max_pool1d(t([[np.nan, 1., np.nan, 0.]]), 4, return_indices=True)
    assert i.tolist() == [[2]]
    # a window of -inf names its first element inside the input, never the padding
    _, i = max_pool1d(t([[-np.inf] * 4]), 3, stride=1, padding=1, return_indices=True)
    assert i.tolist() == [[0, 0, 1, 2]]
    _, i = adaptive_max_pool2d(t([[[0., 5.], [5., 0.]]]), 1, return_indices=True)
    assert i.tolist() == [[[1]]]  # the first maximum in C order
    _, i = adaptive_max_pool1d(t([[1., np.nan, 3., np.nan, 2., np.nan]]), 4,
                               return_indices=True)
    assert i.tolist() == [[1, 1, 3, 5]]
    y = max_unpool2d(*max_pool2d(x, 2, return_indices=True), 2)
    assert y.tolist() == [[[[0., 0.], [4., 0.]]]]
    y = max_unpool1d(t([[5., 7.]]), cr.tensor([[1, 2]]), 2, output_size=(5,))
    assert y.tolist() == [[0., 5., 7., 0., 0.]]
    assert MaxUnpool1d(2)(t([[5., 7.]]), cr.tensor([[1, 2]])).tolist() == [[0., 5., 7., 0.]]
    assert pad(t([[1., 2., 3.]]), (2, -1), mode="reflect").tolist() == [[3., 2., 1., 2.]]
    assert pad(t([[1., 2., 3.]]), (1, -1), mode="circular").tolist() == [[2., 1., 2.]]
    assert pad(t([[1., 2., 3.]]), (-2, 2), mode="replicate").tolist() == [[3., 3., 3.]]
    assert pad(t([1., 2., 3.]), pad=(-1, 1), value=9.).tolist() == [2., 3., 9.]
    assert pad(input=t([1., 2.]), pad=[1, 0]).tolist() == [0., 1., 2.]


def test_modules_and_layers():
    x = t(distinct((2, 3, 6)))
    v, i = MaxPool1d(2, return_indices=True)(x)
    assert v.shape == (2, 3, 3) and i.shape == (2, 3, 3)
    np.testing.assert_array_equal(MaxUnpool1d(2)(v, i).numpy(),
                                  max_unpool1d(v, i, 2).numpy())
    v, i = MaxPool2d(2, 1, return_indices=True)(t(distinct((3, 4, 4))))
    assert MaxUnpool2d(2, 1)(v, i).shape == (3, 4, 4)
    v, i = AdaptiveMaxPool2d((2, 3), return_indices=True)(t(distinct((1, 2, 5, 7))))
    assert v.shape == i.shape == (1, 2, 2, 3)
    assert repr(MaxUnpool2d(2)) == "MaxUnpool2d(kernel_size=(2, 2), stride=(2, 2), " \
                                   "padding=(0, 0))"
    assert repr(MaxUnpool3d((1, 2, 3), 1, 1)) == \
        "MaxUnpool3d(kernel_size=(1, 2, 3), stride=(1, 1, 1), padding=(1, 1, 1))"


# ----- max pooling's indices vs PyTorch ------------------------------------------------------
POOL_CASES = [  # nd, shape, kernel, stride, padding, dilation, ceil_mode
    (1, (2, 3, 9), 3, 2, 1, 1, False),
    (1, (2, 3, 10), 3, 2, 1, 2, True),
    (1, (3, 8), 2, None, 0, 1, True),  # unbatched
    (2, (2, 2, 7, 6), 2, None, 0, 1, False),
    (2, (2, 2, 7, 6), 3, 2, 1, 1, True),
    (2, (1, 3, 8, 7), (3, 2), (1, 2), (1, 0), (2, 1), False),
    (2, (2, 7, 7), 3, 2, 1, 2, True),  # unbatched
    (2, (0, 2, 5, 5), 2, 1, 0, 1, False),  # empty batch
    (3, (1, 2, 5, 6, 5), 2, None, 0, 1, True),
    (3, (2, 1, 6, 5, 7), (3, 2, 3), (2, 1, 2), (1, 1, 0), (1, 2, 1), False),
    (3, (2, 4, 5, 5), 3, 2, 1, 1, True),  # unbatched
]


@pytest.mark.parametrize("nd,shape,k,s,p,d,ceil", POOL_CASES)
@pytest.mark.parametrize("data", ["tied", "nan"])
def test_max_pool_indices_match_torch(torch, nd, shape, k, s, p, d, ceil, data):
    x = tied(shape, seed=len(shape))
    if data == "nan" and x.size:
        x.ravel()[::5] = np.nan
        x.ravel()[1::7] = -np.inf
    xt = torch.tensor(x, requires_grad=True)
    ref_v, ref_i = getattr(torch.nn.functional, f"max_pool{nd}d")(
        xt, k, s, p, d, ceil_mode=ceil, return_indices=True)
    xc = t(x, grad=True)
    v, i = MAX_POOL[nd](xc, k, s, p, d, ceil, True)
    np.testing.assert_array_equal(v.detach().numpy(), ref_v.detach().numpy())
    np.testing.assert_array_equal(i.numpy(), ref_i.numpy())
    assert i.dtype == np.int64 and v.dtype == np.float64
    if not x.size:
        return
    # the gradient goes to the indices, as PyTorch's (repeated indices add up)
    g = np.random.default_rng(1).standard_normal(ref_v.shape)
    ref_v.backward(torch.tensor(g))
    v.backward(t(g))
    np.testing.assert_allclose(xc.grad.numpy(), xt.grad.numpy(), rtol=1e-12, atol=1e-12)
    # the same values as without indices
    np.testing.assert_array_equal(MAX_POOL[nd](t(x), k, s, p, d, ceil).numpy(),
                                  v.detach().numpy())


def test_max_pool_indices_float32_and_noncontiguous(torch):
    x = tied((2, 3, 6, 5)).astype(np.float32)
    xt = np.ascontiguousarray(x.transpose(0, 1, 3, 2))  # the oracle's copy
    xc = cr.tensor(x).transpose(2, 3)  # a non-contiguous view
    v, i = max_pool2d(xc, 2, 1, return_indices=True)
    ref_v, ref_i = torch.nn.functional.max_pool2d(torch.tensor(xt), 2, 1, return_indices=True)
    assert v.dtype == np.float32
    np.testing.assert_array_equal(v.numpy(), ref_v.numpy())
    np.testing.assert_array_equal(i.numpy(), ref_i.numpy())


ADAPTIVE_CASES = [  # nd, shape, output_size
    (1, (2, 3, 9), 4), (1, (2, 3, 8), 4), (1, (3, 7), 3), (1, (2, 2, 5), 7),
    (2, (2, 2, 7, 6), (3, 4)), (2, (2, 2, 6, 6), 3), (2, (3, 5, 7), (None, 2)),
    (2, (1, 2, 3, 4), (0, 2)), (2, (0, 2, 4, 4), 3),
    (3, (1, 2, 5, 6, 7), (2, 3, 4)), (3, (2, 4, 4, 6), (2, 2, 3)), (3, (1, 1, 3, 4, 5), 2),
]


@pytest.mark.parametrize("nd,shape,size", ADAPTIVE_CASES)
@pytest.mark.parametrize("data", ["tied", "nan"])
def test_adaptive_max_pool_indices_match_torch(torch, nd, shape, size, data):
    x = tied(shape, seed=len(shape) + 5)
    if data == "nan" and x.size:
        x.ravel()[::4] = np.nan
    xt = torch.tensor(x, requires_grad=True)
    ref_v, ref_i = getattr(torch.nn.functional, f"adaptive_max_pool{nd}d")(
        xt, size, return_indices=True)
    xc = t(x, grad=True)
    v, i = ADAPTIVE[nd](xc, size, return_indices=True)
    np.testing.assert_array_equal(v.detach().numpy(), ref_v.detach().numpy())
    np.testing.assert_array_equal(i.numpy(), ref_i.numpy())
    assert i.dtype == np.int64
    if not ref_v.numel():
        return
    g = np.random.default_rng(2).standard_normal(ref_v.shape)
    ref_v.backward(torch.tensor(g))
    v.backward(t(g))
    np.testing.assert_allclose(xc.grad.numpy(), xt.grad.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(ADAPTIVE[nd](t(x), size).numpy(), v.detach().numpy())


# ----- gradchecks -----------------------------------------------------------------------------
GRAD_CASES = [
    ("max_pool1d", lambda x: max_pool1d(x, 3, 2, 1, 2, True, True)[0], (2, 2, 9)),
    ("max_pool2d", lambda x: max_pool2d(x, 3, 2, 1, 1, True, True)[0], (1, 2, 5, 5)),
    ("max_pool2d_overlap", lambda x: max_pool2d(x, 2, 1, return_indices=True)[0], (2, 4, 4)),
    ("max_pool3d", lambda x: max_pool3d(x, 2, 1, 1, 1, False, True)[0], (1, 1, 3, 3, 3)),
    ("adaptive_max_pool1d", lambda x: adaptive_max_pool1d(x, 4, True)[0], (2, 2, 7)),
    ("adaptive_max_pool2d", lambda x: adaptive_max_pool2d(x, (2, 3), True)[0], (1, 2, 5, 4)),
    ("adaptive_max_pool3d", lambda x: adaptive_max_pool3d(x, 2, True)[0], (1, 1, 3, 4, 3)),
]


@pytest.mark.parametrize("name,fn,shape", GRAD_CASES, ids=[c[0] for c in GRAD_CASES])
def test_pool_values_gradcheck(name, fn, shape):
    x = t(distinct(shape), grad=True)
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))
    # a non-contiguous input
    xt = t(distinct(shape[::-1]), grad=True)
    assert gradcheck(lambda a: fn(a.permute(*range(len(shape) - 1, -1, -1))), (xt,))


@pytest.mark.parametrize("nd,lead,k,s,p", [
    (1, (2, 3), 2, None, 0), (1, (3,), 3, 3, 1), (2, (2, 2), 2, 3, 0), (2, (3,), 3, None, 1),
    (3, (1, 2), 2, None, 0), (3, (2,), (1, 2, 2), (2, 3, 2), (0, 1, 0)),
])
def test_max_unpool_gradcheck(nd, lead, k, s, p):
    # Indices of windows that do not overlap: each output entry is one input's (with
    # repeated indices one value wins, and the gradient, as PyTorch's, reaches them all).
    big = t(distinct(lead + (9,) * nd, seed=3))
    pooled, idx = MAX_POOL[nd](big, k, s, p, return_indices=True)
    planes = idx.numpy().reshape(-1, int(np.prod(idx.shape[-nd:])))
    assert all(len(np.unique(row)) == row.size for row in planes)
    x = t(distinct(tuple(pooled.shape), seed=4), grad=True)

    def fn(v):
        return UNPOOL[nd](v, idx, k, s, p, output_size=(9,) * nd)
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


# ----- round trip max_pool -> max_unpool vs PyTorch --------------------------------------------
UNPOOL_CASES = [  # nd, shape, kernel, stride, padding, output_size given
    (1, (2, 3, 9), 2, None, 0, False), (1, (2, 3, 9), 2, None, 0, True),
    (1, (3, 10), 3, 2, 1, True), (1, (2, 2, 8), 3, 1, 1, False),
    (2, (2, 2, 6, 6), 2, None, 0, False), (2, (2, 2, 7, 5), 2, None, 0, True),
    (2, (2, 7, 7), 3, 2, 1, True), (2, (1, 2, 6, 5), (3, 2), 1, (1, 0), False),
    (2, (0, 2, 4, 4), 2, None, 0, False),
    (3, (1, 2, 4, 4, 4), 2, None, 0, False), (3, (2, 5, 4, 6), (2, 3, 2), (1, 2, 2), 1, True),
    (3, (1, 1, 5, 5, 5), 3, 2, 1, False),
]


@pytest.mark.parametrize("nd,shape,k,s,p,sized", UNPOOL_CASES)
def test_max_unpool_round_trip_matches_torch(torch, nd, shape, k, s, p, sized):
    F = torch.nn.functional
    x = distinct(shape, seed=7)
    pooled, ref_i = getattr(F, f"max_pool{nd}d")(torch.tensor(x), k, s, p, return_indices=True)
    size = tuple(shape[-nd:]) if sized else None
    src = distinct(tuple(pooled.shape), seed=8)
    st = torch.tensor(src, requires_grad=True)
    ref = getattr(F, f"max_unpool{nd}d")(st, ref_i, k, s, p, output_size=size)
    v, i = MAX_POOL[nd](t(x), k, s, p, return_indices=True)
    np.testing.assert_array_equal(i.numpy(), ref_i.numpy())
    sc = t(src, grad=True)
    out = UNPOOL[nd](sc, i, k, s, p, size)
    assert out.shape == tuple(ref.shape) and out.dtype == np.float64
    # Where overlapping windows send several values to one place, which one lands is
    # unspecified (PyTorch's own winner depends on its threads): compare the rest, and
    # check those places hold one of their candidates.
    planes = i.numpy().reshape(int(np.prod(i.shape[:-nd])), int(np.prod(i.shape[-nd:])))
    flat_out = out.detach().numpy().reshape(planes.shape[0], int(np.prod(out.shape[-nd:])))
    flat_ref = ref.detach().numpy().reshape(flat_out.shape)
    flat_src = src.reshape(planes.shape)
    for row, idx in enumerate(planes):
        shared = np.zeros(flat_out.shape[1], bool)
        values, counts = np.unique(idx, return_counts=True)
        shared[values[counts > 1]] = True
        np.testing.assert_array_equal(flat_out[row][~shared], flat_ref[row][~shared])
        for place in np.flatnonzero(shared):
            assert flat_out[row][place] in flat_src[row][idx == place]
    # unpooling the pooled values puts every maximum back where it was
    back = UNPOOL[nd](v, i, k, s, p, size).numpy()
    ref_back = getattr(F, f"max_unpool{nd}d")(pooled, ref_i, k, s, p, output_size=size)
    np.testing.assert_array_equal(back, ref_back.numpy())  # (repeats carry equal values)
    if not src.size:
        return
    g = np.random.default_rng(9).standard_normal(tuple(ref.shape))
    ref.backward(torch.tensor(g))
    out.backward(t(g))
    np.testing.assert_array_equal(sc.grad.numpy(), st.grad.numpy())
    # the Module, with output_size at call time (N, C first is taken too)
    module = {1: MaxUnpool1d, 2: MaxUnpool2d, 3: MaxUnpool3d}[nd](k, s, p)
    full = None if size is None else tuple(ref.shape[:-nd]) + size
    if full is None or len(full) == nd + 2:
        np.testing.assert_array_equal(module(t(src), i, full).numpy(), out.detach().numpy())


def test_max_unpool_float32_and_noncontiguous(torch):
    x = distinct((2, 3, 4, 6), seed=11).astype(np.float32)
    v, i = max_pool2d(cr.tensor(x), 2, return_indices=True)
    vt = v.transpose(0, 1).contiguous().transpose(0, 1)  # same values, permuted strides
    out = max_unpool2d(vt, i, 2)
    ref = torch.nn.functional.max_unpool2d(torch.tensor(v.numpy()), torch.tensor(i.numpy()), 2)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.numpy(), ref.numpy())


UNPOOL_ERRORS = [  # (args as numpy shapes / tweaks), PyTorch raises too
    ("int32_indices", lambda v, i: (v, i.astype(np.int32), 2), {}, OpTypeError, "int64"),
    ("float_indices", lambda v, i: (v, i.astype(np.float32), 2), {}, OpTypeError, "int64"),
    ("shape_mismatch", lambda v, i: (v, i[..., :1], 2), {}, OpError, "input's shape"),
    ("output_size_far", lambda v, i: (v, i, 2), {"output_size": (6, 5)}, OpError,
     r"invalid output_size \(6, 5\) \(dim 0 must be between 2 and 6"),
    ("output_size_length", lambda v, i: (v, i, 2), {"output_size": (1, 5, 5)}, OpError,
     "3"),
    ("index_past_end", lambda v, i: (v, i + 100, 2), {}, OpError, "invalid max index 1"),
    ("index_negative", lambda v, i: (v, i - 100, 2), {}, OpError, "invalid max index -"),
    ("small_output", lambda v, i: (v, i, 2), {"output_size": (3, 3)}, OpError,
     "invalid max index 1[15]: the output planes are of size 3x3"),
    ("rank", lambda v, i: (v[0, 0], i[0, 0], 2), {}, OpError, "3-D .* or 4-D"),
    ("empty_channels", lambda v, i: (v[:, :0], i[:, :0], 2), {}, OpError, "non-zero"),
    ("int_input", lambda v, i: (v.astype(np.int64), i, 2), {}, OpTypeError, "floating"),
]


@pytest.mark.parametrize("name,make,kwargs,exc,match", UNPOOL_ERRORS,
                         ids=[e[0] for e in UNPOOL_ERRORS])
def test_max_unpool_errors_where_torch_raises(torch, name, make, kwargs, exc, match):
    x = distinct((1, 1, 4, 4))
    v, i = torch.nn.functional.max_pool2d(torch.tensor(x), 2, return_indices=True)
    v, i = v.numpy(), i.numpy()
    args = make(v, i)
    with pytest.raises((RuntimeError, ValueError, NotImplementedError)):
        torch.nn.functional.max_unpool2d(*(torch.tensor(a) if isinstance(a, np.ndarray) else a
                                           for a in args), **kwargs)
    with pytest.raises(exc, match=match) as info:
        max_unpool2d(*(cr.tensor(a) if isinstance(a, np.ndarray) else a for a in args),
                     **kwargs)
    assert "max_unpool2d" in str(info.value)


def test_max_unpool_own_errors():
    v, i = max_pool1d(t(distinct((1, 2, 6))), 2, return_indices=True)
    with pytest.raises(OpError, match="max_unpool1d: kernel_size must be positive"):
        max_unpool1d(v, i, 0)
    with pytest.raises(OpError, match="max_unpool1d: stride must be positive"):
        max_unpool1d(v, i, 2, 0)
    with pytest.raises(OpError, match="max_unpool1d: padding must be non-negative"):
        max_unpool1d(v, i, 2, padding=-1)
    with pytest.raises(OpError, match="max_unpool1d: the output's spatial size"):
        max_unpool1d(v[..., :1], i[..., :1], 2, padding=1)
    with pytest.raises(OpTypeError, match="max_unpool1d: output_size must be a sequence"):
        max_unpool1d(v, i, 2, output_size=6)
    with pytest.raises(OpError, match=r"max_unpool1d: expected a 2-D"):
        max_unpool1d(v[0, 0], i[0, 0], 2)
    with pytest.raises(OpError, match=r"max_unpool3d: expected a 4-D"):
        max_unpool3d(v, i, 2)


# ----- pad vs PyTorch ------------------------------------------------------------------------
PAD_CASES = [  # shape, pad
    ((2, 5), (1, 2)), ((2, 3, 5), (-1, 3)), ((2, 3, 5), (2, -1)), ((2, 3, 5), (-2, -1)),
    ((2, 3, 5), (4, 0)), ((2, 3, 5), (-3, 3)), ((2, 3, 5), (0, 0)),
    ((3, 4, 5), (1, 1, 2, 0)), ((2, 3, 4, 5), (-1, 2, 3, -2)), ((2, 3, 4, 5), (2, 2, -1, -1)),
    ((2, 3, 4, 5), (0, 0, 1, 1)),
    ((2, 3, 4, 5), (1, -1, 2, 0, -1, 3)), ((1, 2, 3, 4, 5), (2, 1, 0, -1, 1, 2)),
    ((0, 2, 4), (1, 1)), ((0, 2, 3, 4), (1, 1, 1, 1)),
]
MODES = ["constant", "reflect", "replicate", "circular"]


def _torch_or_error(fn):
    try:
        return fn(), None
    except (RuntimeError, ValueError, NotImplementedError, TypeError, IndexError) as exc:
        return None, exc


def _circular_overreach(widths, shape) -> bool:
    """Whether circular padding wraps past what is left after its cropping: PyTorch then
    copies from the output it is writing (an error, or uninitialized memory); we raise."""
    for i in range(len(widths) // 2):
        lo, hi, n = widths[2 * i], widths[2 * i + 1], shape[len(shape) - 1 - i]
        if max(lo, hi) > n - max(-lo, 0) - max(-hi, 0):
            return True
    return False


@pytest.mark.parametrize("shape,widths", PAD_CASES)
@pytest.mark.parametrize("mode", MODES)
def test_pad_matches_torch(torch, shape, widths, mode):
    x = distinct(shape, seed=12)
    xt = torch.tensor(x, requires_grad=True)
    ref, err = _torch_or_error(lambda: torch.nn.functional.pad(xt, widths, mode=mode))
    # where PyTorch refuses (or writes uninitialized memory), so do we
    if err is not None or mode == "circular" and _circular_overreach(widths, shape):
        with pytest.raises((OpError, OpTypeError), match="pad"):
            pad(t(x), widths, mode=mode)
        return
    xc = t(x, grad=True)
    out = pad(xc, widths, mode=mode)
    assert out.shape == tuple(ref.shape) and out.dtype == np.float64
    np.testing.assert_array_equal(out.detach().numpy(), ref.detach().numpy())
    if not ref.numel() or not x.size:
        return
    g = np.random.default_rng(13).standard_normal(tuple(ref.shape))
    ref.backward(torch.tensor(g))
    out.backward(t(g))
    np.testing.assert_allclose(xc.grad.numpy(), xt.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mode", MODES)
def test_pad_negative_1d_sweep_matches_torch(torch, mode):
    """Every (left, right) in [-5, 5]^2 on a length-4 row: values or an error, as PyTorch."""
    x = np.arange(8.).reshape(2, 4) + 1
    for lo, hi in itertools.product(range(-5, 6), repeat=2):
        ref, err = _torch_or_error(lambda: torch.nn.functional.pad(torch.tensor(x), (lo, hi),
                                                                   mode=mode))
        if err is not None or mode == "circular" and _circular_overreach((lo, hi), x.shape):
            with pytest.raises(OpError, match="pad"):
                pad(t(x), (lo, hi), mode=mode)
        else:
            np.testing.assert_array_equal(pad(t(x), (lo, hi), mode=mode).numpy(), ref.numpy(),
                                          err_msg=f"{mode} {(lo, hi)}")


def test_pad_constant_values_and_dtypes(torch):
    x = np.arange(6).reshape(2, 3)
    for value in (None, 2, -1.0):
        ref = torch.nn.functional.pad(torch.tensor(x, dtype=torch.float32), (1, -1, -1, 2),
                                      value=value)
        out = pad(cr.tensor(x.astype(np.float32)), (1, -1, -1, 2), value=value)
        assert out.dtype == np.float32
        np.testing.assert_array_equal(out.numpy(), ref.numpy())
    ref = torch.nn.functional.pad(torch.tensor(x), (2, 0), mode="circular")
    np.testing.assert_array_equal(pad(cr.tensor(x), (2, 0), mode="circular").numpy(),
                                  ref.numpy())
    ref = torch.nn.functional.pad(torch.tensor(x), (1, 1), mode="reflect")
    np.testing.assert_array_equal(pad(cr.tensor(x), (1, 1), mode="reflect").numpy(),
                                  ref.numpy())
    # an empty pad: a copy
    y = pad(t(x), ())
    np.testing.assert_array_equal(y.numpy(), x)
    assert pad(t(3.0), ()).item() == 3.0


@pytest.mark.parametrize("mode", MODES)
def test_pad_noncontiguous(torch, mode):
    x = distinct((2, 5, 4), seed=14)
    ref = torch.nn.functional.pad(torch.tensor(x).transpose(1, 2), (2, -1, 1, 1), mode=mode)
    out = pad(t(x).transpose(1, 2), (2, -1, 1, 1), mode=mode)
    np.testing.assert_array_equal(out.numpy(), ref.numpy())


PAD_ERRORS = [  # shape, pad, kwargs, match
    ((2, 3, 4), (1, 1, 1), {}, "divisible by 2"),
    ((2, 3, 4), (1, 1, 1, 1, 1, 1, 1, 1), {}, "pads 4 dims .* has only 3"),
    ((), (1, 1), {}, "pads 1 dims"),
    ((2, 3, 4), (-5, 1), {}, "crop more"),
    ((4,), (1, 1), {"mode": "reflect"}, "not supported for a 1-D input"),
    ((1, 1, 2, 3, 4), (1, 1, 1, 1), {"mode": "replicate"}, "not supported for a 5-D"),
    ((1, 1, 1, 2, 3, 4), (1,) * 6, {"mode": "circular"}, "not supported for a 6-D"),
    ((2, 3, 3), (), {"mode": "reflect"}, "0 numbers"),
    ((2, 3, 4), (4, 0), {"mode": "reflect"}, "less than the dim's size 4"),
    ((2, 3, 4), (0, -4), {"mode": "reflect"}, "output size of 0"),
    ((2, 3, 4), (-4, 0), {"mode": "replicate"}, "output size of 0"),
    ((2, 3, 4), (5, 0), {"mode": "circular"}, "more than once"),
    ((2, 0, 4), (1, 1), {"mode": "reflect"}, "non-zero"),
    ((2, 2, 0), (1, 1), {"mode": "replicate"}, "non-zero"),
    ((0, 4), (1, 1), {"mode": "reflect"}, "non-zero"),
    ((2, 2, 0), (1, 1), {"mode": "circular"}, "more than once"),
    ((2, 3, 4), (1, 1), {"mode": "reflect", "value": 2.0}, "takes no value"),
    ((2, 3, 4), (1, 1), {"mode": "foo"}, "mode must be"),
]


@pytest.mark.parametrize("shape,widths,kwargs,match", PAD_ERRORS)
def test_pad_errors_where_torch_raises(torch, shape, widths, kwargs, match):
    x = np.zeros(shape)
    with pytest.raises((RuntimeError, ValueError, NotImplementedError)):
        torch.nn.functional.pad(torch.tensor(x), widths, **kwargs)
    with pytest.raises(OpError, match=match) as info:
        pad(t(x), widths, **kwargs)
    assert str(info.value).startswith("pad")


def test_pad_type_errors(torch):
    x = t(np.zeros((2, 3)))
    for bad in ((1.5, 1), (True, 1), 2):
        with pytest.raises(TypeError):
            torch.nn.functional.pad(torch.zeros(2, 3), bad)
        with pytest.raises(OpTypeError, match="pad: pad must be a tuple of ints"):
            pad(x, bad)
    with pytest.raises(OpTypeError, match="bool"):
        pad(cr.tensor([[True, False]]), (1, 1), mode="reflect")
    assert pad(x, (np.int64(1), 0)).shape == (2, 4)
    assert pad(x, (1, 1), mode="reflect", value=0).shape == (2, 5)  # as PyTorch


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("widths,shape", [((2, -1), (2, 4)), ((1, -2, -1, 2), (1, 2, 4, 3)),
                                          ((1, 0, -1, 1, 1, -1), (1, 3, 3, 4))])
def test_pad_gradcheck(mode, widths, shape):
    x = t(distinct(shape, seed=15), grad=True)

    def fn(a):
        return pad(a, widths, mode=mode, value=1.5 if mode == "constant" else None)
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))
