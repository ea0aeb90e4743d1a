"""Indexing primitives: getitem (basic slicing gives a view, advanced indexing a copy),
its transpose scatter (repeated indices accumulate), functional setitem, and gather.

Index checks follow PyTorch. In ``x[index]`` a negative entry (an int, or an entry of an
index tensor) counts from the end, as in Python. The dim-wise ops (gather, take_along_dim,
index_select, scatter_add, index_add) never wrap: an index outside [0, size) raises
IndexOutOfRangeError, where NumPy would silently read -1 as the last entry."""
from __future__ import annotations

import numpy as np

from ..autograd.primitives import Primitive, apply, call, defjvp, defvjp, linear
from ..autograd.tensor import Tensor
from . import elementwise as ew
from ..errors import IndexOutOfRangeError, OpError, OpTypeError
from ._util import (check_index_dtype, check_index_range, data_of, index_error, ndim_of,
                    normalize_dim, shape_of)
from .shape import clone, reshape

__all__ = ["getitem_view_p", "getitem_copy_p", "scatter_p", "setitem_p", "gather_p",
           "scatter_add_p", "normalize_index", "getitem", "empty_selection", "index_put", "gather",
           "take_along_dim", "take_along_axis", "index_select", "scatter_add", "index_add",
           "check_mask", "masked_fill"]


def _getitem(xp, x, index, in_shape, accumulate):
    return x[index]


def _getitem_vjp(xp, g, ans, x, index, in_shape, accumulate):
    return call(xp, scatter_p, g, index=index, shape=in_shape, accumulate=accumulate)


getitem_view_p = linear(Primitive("getitem_view", _getitem, saves=(), saves_ans=False,
                                  is_view=True))
getitem_copy_p = linear(Primitive("getitem_copy", _getitem, saves=(), saves_ans=False))
defvjp(getitem_view_p, _getitem_vjp)
defvjp(getitem_copy_p, _getitem_vjp)


def _scatter(xp, g, index, shape, accumulate):
    out = xp.zeros(shape, dtype=g.dtype)
    if accumulate:
        xp.add.at(out, index, g)
    else:
        out[index] = g
    return out


scatter_p = linear(Primitive("scatter", _scatter, saves=(), saves_ans=False))
defvjp(scatter_p, lambda xp, g, ans, v, index, shape, accumulate:
       call(xp, getitem_copy_p, g, index=index, in_shape=shape, accumulate=accumulate))


def _setitem(xp, x, value, index, basic):
    out = x.copy()
    out[index] = value
    return out


setitem_p = Primitive("setitem", _setitem, complex_ok=True, saves=(), saves_ans=False)
defvjp(setitem_p,
       lambda xp, g, ans, x, value, index, basic: call(xp, setitem_p, g, 0.0, index=index,
                                                       basic=basic),
       lambda xp, g, ans, x, value, index, basic: call(
           xp, getitem_copy_p, g, index=index, in_shape=g.shape, accumulate=False))


defjvp(setitem_p, lambda xp, ts, ans, x, value, index, basic: call(
    xp, setitem_p, ts[0] if ts[0] is not None else xp.zeros_like(ans),
    ts[1] if ts[1] is not None else 0.0, index=index, basic=basic))


def _along_index(xp, index, axis: int, shape: tuple):
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
        ar = xp.arange(n) if shape[d] == n else xp.zeros(n, dtype=xp.intp)
        full.append(ar.reshape((1,) * d + (n,) + (1,) * (nd - d - 1)))
    return tuple(full)


def _gather(xp, x, index, axis, in_shape):
    return xp.take_along_axis(x, index, axis)


def _scatter_along(xp, g, index, axis, shape):
    out = xp.zeros(shape, dtype=g.dtype)
    xp.add.at(out, _along_index(xp, index, axis, shape), g)
    return out


gather_p = linear(Primitive("gather", _gather, saves=(), saves_ans=False))
scatter_add_p = linear(Primitive("scatter_add", _scatter_along, saves=(), saves_ans=False))
defvjp(gather_p, lambda xp, g, ans, x, index, axis, in_shape:
       call(xp, scatter_add_p, g, index=index, axis=axis, shape=in_shape))
defvjp(scatter_add_p, lambda xp, g, ans, v, index, axis, shape:
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
                # PyTorch raises IndexError here, so the class is the IndexError one.
                raise IndexOutOfRangeError(f"index: tensors used as indices must be integer "
                                           f"or bool, got {arr.dtype}; convert with .long()")
            item = arr
        out.append(item)
    raw = tuple(out) if isinstance(index, tuple) else out[0]
    return raw, basic, has_int_array


def getitem(x, index):
    """``x[index]`` with NumPy's rules: basic slicing gives a view, advanced indexing a
    copy; gradients of repeated indices add up. Negative indices count from the end; an
    index past either end raises IndexOutOfRangeError."""
    raw, basic, accumulate = normalize_index(index)
    params = {"index": raw, "in_shape": shape_of(x), "accumulate": accumulate}
    # NumPy checks the bounds; its error is made readable only when there is one.
    try:
        if basic:
            out = apply(getitem_view_p, (x,), params)
            if isinstance(x, Tensor):
                out._base = (x, raw)
            return out
        return apply(getitem_copy_p, (x,), params)
    except OpError as exc:
        zeroed = empty_selection(data_of(x), raw)
        if zeroed is None:
            raise index_error("index", exc, shape_of(x))
    params["index"] = zeroed
    return apply(getitem_copy_p, (x,), params)


def empty_selection(data, raw):
    """``raw`` with its index arrays zeroed, when that selects nothing from ``data``; else
    None. PyTorch checks the entries of index tensors only while it copies, so an index
    past the end whose selection is empty anyway (``x[1:, [5]]`` of a 1-row x) passes;
    the caller, which NumPy has refused, then returns (or writes) an empty selection."""
    items = raw if isinstance(raw, tuple) else (raw,)
    zeroed = tuple(np.zeros_like(i) if isinstance(i, np.ndarray) and i.dtype.kind in "iu"
                   else i for i in items)
    try:
        picked = data[zeroed if isinstance(raw, tuple) else zeroed[0]]
    except (IndexError, ValueError, TypeError):
        return None
    if np.size(picked) or all(z is i for z, i in zip(zeroed, items)):
        return None
    return zeroed if isinstance(raw, tuple) else zeroed[0]


def index_put(x, index, value):
    """Functional ``x[index] = value``: a new tensor (the in-place form is __setitem__)."""
    raw, basic, _ = normalize_index(index)
    try:
        return apply(setitem_p, (x, value), {"index": raw, "basic": basic})
    except OpError as exc:
        raise index_error("index_put", exc, shape_of(x))


def _index_array(index):
    return np.asarray(data_of(index))


def _promote_scalars(x, idx):
    """PyTorch's dim-wise ops read a 0-d tensor or index as 1-d of size 1."""
    if ndim_of(x) == 0:
        x = reshape(x, (1,))
    return x, idx.reshape(1) if idx.ndim == 0 else idx


def _check_fits(op: str, idx_shape: tuple, shape: tuple, dim: int, what: str) -> None:
    """Raise unless the index is no larger than ``shape`` (the input's, or the source's)
    in every dim but ``dim`` (None: in every dim)."""
    if len(idx_shape) != len(shape):
        raise OpError(f"{op}: the index has {len(idx_shape)} dims but the {what} has "
                      f"{len(shape)} (shapes {idx_shape} and {shape}); give them the same "
                      f"number of dims")
    if idx_shape != shape and any(k > n and i != dim
                                  for i, (k, n) in enumerate(zip(idx_shape, shape))):
        apart = "" if dim is None else f" apart from dim {dim}"
        raise OpError(f"{op}: index of shape {idx_shape} is larger than the {what} of shape "
                      f"{shape}{apart}")


def gather(x, dim: int = None, index=None, *, axis=None):
    """PyTorch's gather: ``out[i][j] = x[i][index[i][j]]`` for dim 1. Every index must lie
    in [0, x.shape[dim]); the index may be smaller than x in the other dims."""
    return _gather("gather", x, dim if axis is None else axis, _index_array(index))


def _gather(op: str, x, dim, idx):
    dim = normalize_dim(op, dim, ndim_of(x))
    out_shape = idx.shape
    if not idx.size:  # PyTorch checks neither dtype nor shapes: an empty result, in the graph
        return reshape(getitem(reshape(x, (-1,)), slice(0, 0)), out_shape)
    check_index_dtype(op, idx)
    x, idx = _promote_scalars(x, idx)
    shape = shape_of(x)
    _check_fits(op, idx.shape, shape, dim, "input")
    check_index_range(op, idx, dim, shape[dim])
    if idx.shape[:dim] + idx.shape[dim + 1:] != shape[:dim] + shape[dim + 1:]:
        x = getitem(x, tuple(slice(0, k) if i != dim else slice(None)
                             for i, k in enumerate(idx.shape)))
        shape = shape_of(x)
    out = apply(gather_p, (x,), {"index": idx, "axis": dim, "in_shape": shape})
    return out if out_shape == idx.shape else reshape(out, out_shape)


def take_along_dim(x, indices, dim=None, *, axis=None):
    """PyTorch's take_along_dim: gather with the index broadcast against the input
    outside ``dim``; with no dim, over the flattened tensor. Indices are never wrapped."""
    dim = dim if axis is None else axis
    idx = _index_array(indices)
    if dim is None:  # PyTorch: x.view(-1).gather(0, indices.view(-1))
        return _gather("take_along_dim", reshape(x, (-1,)), 0, idx.reshape(-1))
    nd = ndim_of(x)
    if idx.ndim != nd:
        raise OpError(f"take_along_dim: the input has {nd} dims but the indices have "
                      f"{idx.ndim} (shapes {shape_of(x)} and {idx.shape}); give them the "
                      f"same number of dims")
    check_index_dtype("take_along_dim", idx, ("int64",))
    dim = normalize_dim("take_along_dim", dim, nd, scalar_ok=False)
    shape = shape_of(x)
    try:
        np.broadcast_shapes(shape[:dim] + shape[dim + 1:], idx.shape[:dim] + idx.shape[dim + 1:])
    except ValueError:
        raise OpError(f"take_along_dim: the input of shape {shape} and the indices of shape "
                      f"{idx.shape} do not broadcast outside dim {dim}") from None
    check_index_range("take_along_dim", idx, dim, shape[dim])
    return apply(gather_p, (x,), {"index": idx, "axis": dim, "in_shape": shape})


def take_along_axis(arr, indices, axis):
    """NumPy's take_along_axis, for chainrule.numpy: NumPy's rules, so a negative index
    counts from the end (Tensor code uses take_along_dim, which never wraps)."""
    idx = _index_array(indices)
    if axis is None:
        arr, axis = reshape(arr, (-1,)), 0
    axis = normalize_dim("take_along_axis", axis, ndim_of(arr))
    try:
        return apply(gather_p, (arr,), {"index": idx, "axis": axis, "in_shape": shape_of(arr)})
    except OpError as exc:
        raise index_error("take_along_axis", exc, shape_of(arr))


def _vector_index(op: str, index):
    """The index of index_select/index_add: an int32/int64 vector (a 0-d one counts as one
    entry)."""
    idx = _index_array(index)
    if idx.ndim > 1:
        # PyTorch raises IndexError here, so the class is the IndexError one.
        raise IndexOutOfRangeError(f"{op}: the index must be a vector (0-d or 1-d), got "
                                   f"shape {idx.shape}; flatten it first")
    return idx


def index_select(x, dim: int = None, index=None, *, axis=None):
    """Select the entries ``index`` (a vector of int32/int64 in [0, x.shape[dim])) along
    ``dim``; a copy."""
    dim = dim if axis is None else axis
    nd = ndim_of(x)
    dim = normalize_dim("index_select", dim, nd)
    idx = _vector_index("index_select", index)
    if nd == 0 and idx.size != 1:
        raise OpError(f"index_select: a 0-d input takes an index of exactly 1 entry, got "
                      f"{idx.size}")
    check_index_dtype("index_select", idx)
    x, idx = _promote_scalars(x, idx)
    check_index_range("index_select", idx, dim, shape_of(x)[dim])
    out = getitem(x, (slice(None),) * dim + (idx,))
    return reshape(out, ()) if nd == 0 else out


def _same_dtype(op: str, x, src) -> None:
    dx, ds = np.result_type(data_of(x)), np.result_type(data_of(src))
    if dx != ds:
        raise OpError(f"{op}: the input is {dx} but the source is {ds}; they must have the "
                      f"same dtype (convert one with .to())")


def scatter_add(x, dim: int, index, src):
    """PyTorch's scatter_add (functional): ``x`` with ``src[i][j]`` added at
    ``out[i][index[i][j]]`` for dim 1; repeated indices add up. Every index must lie in
    [0, x.shape[dim]); the index may not be larger than ``src`` in any dim, nor than ``x``
    outside ``dim``."""
    nd = ndim_of(x)
    dim = normalize_dim("scatter_add", dim, nd)
    idx = _index_array(index)
    _same_dtype("scatter_add", x, src)
    if not idx.size:  # PyTorch checks neither dtype nor shapes then: nothing is added
        return clone(x)
    check_index_dtype("scatter_add", idx)
    out_shape = shape_of(x)
    x, idx = _promote_scalars(x, idx)
    if ndim_of(src) == 0:
        src = reshape(src, (1,))
    shape = shape_of(x)
    _check_fits("scatter_add", idx.shape, shape, dim, "input")
    _check_fits("scatter_add", idx.shape, shape_of(src), None, "source")
    check_index_range("scatter_add", idx, dim, shape[dim])
    if shape_of(src) != idx.shape:
        src = getitem(src, tuple(slice(0, k) for k in idx.shape))
    update = apply(scatter_add_p, (src,), {"index": idx, "axis": dim, "shape": shape})
    out = apply(ew.add, (x, update))
    return out if out_shape == shape else reshape(out, out_shape)


def index_add(x, dim: int, index, source, *, alpha=1):
    """PyTorch's index_add (functional): ``x`` with ``alpha * source`` added along ``dim``
    at the entries ``index`` (a vector in [0, x.shape[dim]), one per entry of ``source``
    along ``dim``); repeated entries add up."""
    nd = ndim_of(x)
    dim = normalize_dim("index_add", dim, nd)
    idx = _vector_index("index_add", index)
    check_index_dtype("index_add", idx)
    _same_dtype("index_add", x, source)
    shape, src_shape = shape_of(x), shape_of(source)
    if not src_shape:
        if idx.size != 1:  # PyTorch raises IndexError here, so the class is that one
            raise IndexOutOfRangeError(f"index_add: a 0-d source takes exactly 1 index, got "
                                       f"{idx.size}")
    elif dim >= len(src_shape):
        raise OpError(f"index_add: dim {dim} is out of range for the source of shape "
                      f"{src_shape}")
    elif src_shape[dim] != idx.size:
        raise OpError(f"index_add: {idx.size} indices but the source has {src_shape[dim]} "
                      f"entries along dim {dim}; give one index per entry")
    if len(src_shape) != nd or \
            src_shape[:dim] + src_shape[dim + 1:] != shape[:dim] + shape[dim + 1:]:
        raise OpError(f"index_add: the source of shape {src_shape} must match the input of "
                      f"shape {shape} outside dim {dim}")
    out_shape = shape
    if nd == 0:  # a 0-d input and source read as 1-d of size 1
        x, source = reshape(x, (1,)), reshape(source, (1,))
        shape = (1,)
    check_index_range("index_add", idx, dim, shape[dim])
    if alpha != 1:
        source = apply(ew.mul, (source, alpha))
    update = apply(scatter_p, (source,), {"index": (slice(None),) * dim + (idx.reshape(-1),),
                                          "shape": shape, "accumulate": True})
    out = apply(ew.add, (x, update))
    return out if out_shape == shape else reshape(out, out_shape)


def check_mask(op: str, mask, shape: tuple):
    """The raw mask of masked_fill(_) after PyTorch's checks: bool, and broadcastable to the
    input's ``shape`` (an integer mask would otherwise index rows)."""
    m = data_of(mask)
    if not hasattr(m, "dtype"):  # a list or a Python bool
        m = np.asarray(m)
    m_dtype, m_shape = m.dtype, m.shape
    if m_dtype != np.bool_:
        raise OpTypeError(f"{op}: the mask must be bool, got {m_dtype}; compare to get one "
                          f"(mask != 0)")
    if m_shape != shape:
        try:
            fits = np.broadcast_shapes(m_shape, shape) == shape
        except ValueError:
            fits = False
        if not fits:
            raise OpError(f"{op}: a mask of shape {m_shape} does not broadcast to the "
                          f"input's shape {shape}")
    return m


def masked_fill(x, mask, value):
    """``value`` where ``mask`` (bool, broadcastable to x's shape) is true, ``x`` elsewhere."""
    return apply(ew.where_p, (check_mask("masked_fill", mask, shape_of(x)), value, x))


def __dir__():  # dir() and tab completion show what the module exports, not its helpers
    return __all__
