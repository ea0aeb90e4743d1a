"""Indexing primitives: getitem (basic slicing gives a view, advanced indexing a copy),
its transpose scatter (repeated indices accumulate), functional setitem, and gather."""
from __future__ import annotations

import numpy as np

from ..autograd.primitives import Primitive, apply, call, defjvp, defvjp
from ..autograd.tensor import Tensor
from . import elementwise as ew
from ._util import data_of, ndim_of, normalize_axis, shape_of
from .shape import linear, reshape


def _getitem(x, index, in_shape, accumulate):
    return x[index]


def _getitem_vjp(xp, g, ans, x, index, in_shape, accumulate):
    return call(xp, scatter_p, g, index=index, shape=in_shape, accumulate=accumulate)


getitem_view_p = linear(Primitive("slice", _getitem, saves=(), saves_ans=False, is_view=True))
getitem_copy_p = linear(Primitive("index", _getitem, saves=(), saves_ans=False))
defvjp(getitem_view_p, _getitem_vjp)
defvjp(getitem_copy_p, _getitem_vjp)


def _scatter(g, index, shape, accumulate):
    out = np.zeros(shape, dtype=g.dtype)
    if accumulate:
        np.add.at(out, index, g)
    else:
        out[index] = g
    return out


scatter_p = linear(Primitive("index_put", _scatter, saves=(), saves_ans=False))
defvjp(scatter_p, lambda xp, g, ans, v, index, shape, accumulate:
       call(xp, getitem_copy_p, g, index=index, in_shape=shape, accumulate=accumulate))


def _setitem(x, value, index, basic):
    out = x.copy()
    out[index] = value
    return out


setitem_p = Primitive("setitem", _setitem, saves=(), saves_ans=False)
setitem_p.complex_ok = True
defvjp(setitem_p,
       lambda xp, g, ans, x, value, index, basic: call(xp, setitem_p, g, 0.0, index=index,
                                                       basic=basic),
       lambda xp, g, ans, x, value, index, basic: call(
           xp, getitem_copy_p, g, index=index, in_shape=g.shape, accumulate=False))


defjvp(setitem_p, lambda xp, ts, ans, x, value, index, basic: call(
    xp, setitem_p, ts[0] if ts[0] is not None else xp.zeros_like(ans),
    ts[1] if ts[1] is not None else 0.0, index=index, basic=basic))


def _along_index(index, axis: int, shape: tuple):
    """The full advanced index that ``take_along_axis(x, index, axis)`` reads from x."""
    out_shape = np.broadcast_shapes(tuple(n if i != axis else 1 for i, n in enumerate(shape)),
                                    tuple(n if i != axis else 1 for i, n in enumerate(index.shape)))
    nd = len(shape)
    full = []
    for d in range(nd):
        if d == axis:
            full.append(index)
            continue
        n = out_shape[d]
        ar = np.arange(n) if shape[d] == n else np.zeros(n, dtype=np.intp)
        full.append(ar.reshape((1,) * d + (n,) + (1,) * (nd - d - 1)))
    return tuple(full)


def _gather(x, index, axis, in_shape):
    return np.take_along_axis(x, index, axis)


def _scatter_along(g, index, axis, shape):
    out = np.zeros(shape, dtype=g.dtype)
    np.add.at(out, _along_index(index, axis, shape), g)
    return out


gather_p = linear(Primitive("gather", _gather, saves=(), saves_ans=False))
scatter_along_p = linear(Primitive("scatter_add", _scatter_along, saves=(), saves_ans=False))
defvjp(gather_p, lambda xp, g, ans, x, index, axis, in_shape:
       call(xp, scatter_along_p, g, index=index, axis=axis, shape=in_shape))
defvjp(scatter_along_p, lambda xp, g, ans, v, index, axis, shape:
       call(xp, gather_p, g, index=index, axis=axis, in_shape=shape))


# ----- front-ends -----------------------------------------------------------------------
_BASIC = (int, np.integer, slice, type(None), type(Ellipsis))


def normalize_index(index):
    """The index on raw arrays; whether it is basic (a view); whether it has integer arrays
    (whose repeats must accumulate in the gradient)."""
    items = index if isinstance(index, tuple) else (index,)
    basic, has_int_array, out = True, False, []
    for item in items:
        if isinstance(item, Tensor):
            item = item._data
        elif isinstance(item, (list, tuple)):
            item = np.asarray(item)
        if isinstance(item, bool) or not isinstance(item, _BASIC):
            basic = False
            arr = np.asarray(item) if not hasattr(item, "dtype") else item
            if arr.dtype.kind in "iu":
                has_int_array = True
            elif arr.dtype.kind != "b":
                raise IndexError(f"index: tensors used as indices must be integer or bool, "
                                 f"got {arr.dtype}")
            item = arr
        out.append(item)
    raw = tuple(out) if isinstance(index, tuple) else out[0]
    return raw, basic, has_int_array


def getitem(x, index):
    """``x[index]`` with NumPy's rules: basic slicing gives a view, advanced indexing a
    copy; gradients of repeated indices add up."""
    raw, basic, accumulate = normalize_index(index)
    params = {"index": raw, "in_shape": shape_of(x), "accumulate": accumulate}
    if basic:
        out = apply(getitem_view_p, (x,), params)
        if isinstance(x, Tensor):
            out._base = (x, raw)
        return out
    return apply(getitem_copy_p, (x,), params)


def index_put(x, index, value):
    """Functional ``x[index] = value``: a new tensor (the in-place form is __setitem__)."""
    raw, basic, _ = normalize_index(index)
    return apply(setitem_p, (x, value), {"index": raw, "basic": basic})


def gather(x, dim: int = None, index=None, *, axis=None):
    """PyTorch's gather: ``out[i][j] = x[i][index[i][j]]`` for dim 1."""
    dim = dim if axis is None else axis
    idx = data_of(index)
    nd = ndim_of(x)
    dim = normalize_axis("gather", dim, nd)
    if np.ndim(idx) != nd:
        raise ValueError(f"gather: index has {np.ndim(idx)} dims but the input has {nd}")
    shape = shape_of(x)
    if any(i != dim and idx.shape[i] > shape[i] for i in range(nd)):
        raise ValueError(f"gather: index shape {idx.shape} exceeds input shape {shape} outside "
                         f"dim {dim}")
    if any(i != dim and idx.shape[i] < shape[i] for i in range(nd)):
        x = getitem(x, tuple(slice(0, idx.shape[i]) if i != dim else slice(None)
                             for i in range(nd)))
        shape = shape_of(x)
    return apply(gather_p, (x,), {"index": idx, "axis": dim, "in_shape": shape})


def take_along_dim(x, indices, dim=None, *, axis=None):
    """NumPy's take_along_axis (broadcasting); with no dim, over the flattened tensor."""
    dim = dim if axis is None else axis
    idx = data_of(indices)
    if dim is None:
        x, idx, dim = reshape(x, (-1,)), np.reshape(idx, (-1,)), 0
    dim = normalize_axis("take_along_dim", dim, ndim_of(x))
    return apply(gather_p, (x,), {"index": idx, "axis": dim, "in_shape": shape_of(x)})


def index_select(x, dim: int = None, index=None, *, axis=None):
    """Select entries of ``index`` (1-D) along ``dim``."""
    dim = dim if axis is None else axis
    dim = normalize_axis("index_select", dim, ndim_of(x))
    idx = np.asarray(data_of(index))
    if idx.ndim != 1:
        raise ValueError(f"index_select: index must be 1-D, got shape {idx.shape}")
    return getitem(x, (slice(None),) * dim + (idx,))


def masked_fill(x, mask, value):
    """``value`` where ``mask`` is true, ``x`` elsewhere."""
    return apply(ew.where_, (data_of(mask), value, x))
