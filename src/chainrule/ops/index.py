"""Indexing primitives: getitem (basic slicing gives a view, advanced indexing a copy),
its transpose scatter (repeated indices accumulate), functional setitem, and gather.

Index checks follow PyTorch. In ``x[index]`` a negative entry (an int, or an entry of an
index tensor) counts from the end, as in Python. The dim-wise ops (gather, take_along_dim,
index_select, scatter_add, index_add) never wrap: an index outside [0, size) raises
IndexOutOfRangeError, where NumPy would silently read -1 as the last entry."""
from __future__ import annotations

import operator

import numpy as np

from ..autograd.primitives import Primitive, apply, call, defjvp, defvjp, linear
from ..autograd.tensor import Tensor, make_tensor
from . import elementwise as ew
from ..errors import IndexOutOfRangeError, OpError, OpTypeError
from ._util import (check_index_dtype, check_index_range, data_of, index_error, ndim_of,
                    normalize_dim, shape_of)
from .shape import cast, clone, concatenate, expand, moveaxis, pad, reshape

__all__ = ["getitem_view_p", "getitem_copy_p", "scatter_p", "setitem_p", "gather_p",
           "scatter_add_p", "normalize_index", "getitem", "empty_selection", "index_put", "gather",
           "take_along_dim", "take_along_axis", "index_select", "scatter_add", "index_add",
           "check_mask", "masked_fill", "narrow", "diagonal", "diag", "diag_embed", "unfold",
           "repeat_interleave", "scatter", "scatter_reduce", "index_copy", "index_fill",
           "masked_select", "masked_scatter", "nonzero", "take", "put"]


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
    out = xp.zeros_like(g, shape=shape)  # made from g: a batched pullback batches it too
    if accumulate:
        xp.add.at(out, index, g)
    else:
        out[index] = g
    return out


scatter_p = linear(Primitive("scatter", _scatter, saves=(), saves_ans=False))
defvjp(scatter_p, lambda xp, g, ans, v, index, shape, accumulate:
       call(xp, getitem_copy_p, g, index=index, in_shape=shape, accumulate=accumulate))


def _setitem(xp, x, value, index, basic):
    # a copy; xp.array for 0-d, where x may be a NumPy scalar (a 0-d cotangent), read-only
    out = x.copy() if x.ndim else xp.array(x)
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
    out = xp.zeros_like(g, shape=shape)
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
    the caller, which NumPy has refused, then returns (or writes) an empty selection. A 0-d
    index is an integer to PyTorch, checked at once (``x[[], 1]`` of a 1-column x raises)."""
    items = raw if isinstance(raw, tuple) else (raw,)
    zeroed = tuple(np.zeros_like(i) if isinstance(i, np.ndarray) and i.dtype.kind in "iu"
                   and i.ndim else i for i in items)
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
    sub = tuple(k if i != dim else n for i, (k, n) in enumerate(zip(idx.shape, shape)))
    update = apply(scatter_add_p, (src,), {"index": idx, "axis": dim, "shape": sub})
    if sub != shape:  # an index smaller than x outside dim: the rest gets nothing
        update = pad(update, tuple((0, n - k) for k, n in zip(sub, shape)))
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


# ----- slices, diagonals, windows and repeats (composites of getitem and scatter) ----------
def _int_arg(op: str, name: str, v) -> int:
    if isinstance(v, Tensor) and v._data.ndim == 0 and v._data.dtype.kind in "iu":
        return int(v._data)
    try:
        return operator.index(v)
    except TypeError:
        raise OpTypeError(f"{op}: {name} must be an int, got {type(v).__name__}") from None


def narrow(x, dim: int, start, length: int):
    """The slice ``start:start + length`` of dim ``dim`` (a view); ``start`` may count from
    the end, and may be a 0-d integer tensor.

    >>> from chainrule import arange
    >>> narrow(arange(6).reshape(2, 3), 1, 1, 2).tolist()
    [[1, 2], [4, 5]]
    """
    shape = shape_of(x)
    if not shape:
        raise OpError("narrow: cannot be applied to a 0-d tensor; reshape it to 1-d first")
    dim = normalize_dim("narrow", dim, len(shape))
    start, length = _int_arg("narrow", "start", start), _int_arg("narrow", "length", length)
    n = shape[dim]
    if not -n <= start <= n:
        raise IndexOutOfRangeError(f"narrow: start {start} is out of range for dim {dim} of "
                                   f"size {n} (shape {shape}); expected one in [{-n}, {n}]")
    if start < 0:
        start += n
    if length < 0 or start + length > n:
        raise OpError(f"narrow: start ({start}) + length ({length}) exceeds the size {n} of "
                      f"dim {dim} (shape {shape}); length must be in [0, {n - start}]")
    return getitem(x, (slice(None),) * dim + (slice(start, start + length),))


def _diag_index(k: int, offset: int):
    return np.arange(k) + max(-offset, 0), np.arange(k) + max(offset, 0)


def _two_dims(op: str, dim1, dim2, nd: int):
    d1, d2 = normalize_dim(op, dim1, nd), normalize_dim(op, dim2, nd)
    if d1 == d2:
        raise OpError(f"{op}: dim1 and dim2 name the same dim {d1}; give two different dims")
    return d1, d2


def diagonal(x, offset: int = 0, dim1: int = 0, dim2: int = 1):
    """The diagonal ``offset`` (above the main one when positive) of the matrices in dims
    ``dim1`` and ``dim2``, as the last dim of the result (the others keep their order).

    >>> from chainrule import arange
    >>> diagonal(arange(9).reshape(3, 3), 1).tolist()
    [1, 5]
    """
    shape = shape_of(x)
    if len(shape) < 2:
        raise OpError(f"diagonal: the input must have at least 2 dims, got shape {shape}")
    d1, d2 = _two_dims("diagonal", dim1, dim2, len(shape))
    offset = _int_arg("diagonal", "offset", offset)
    n, m = shape[d1], shape[d2]
    k = max(0, min(n + min(offset, 0), m - max(offset, 0)))
    return getitem(moveaxis(x, (d1, d2), (-2, -1)), (Ellipsis,) + _diag_index(k, offset))


_diagonal_of = diagonal  # (diag's own argument is named diagonal, as in PyTorch)


def diag_embed(x, offset: int = 0, dim1: int = -2, dim2: int = -1):
    """Matrices in dims ``dim1`` and ``dim2`` (of the result) with the last dim of ``x`` on
    their diagonal ``offset`` and 0 elsewhere.

    >>> from chainrule import tensor
    >>> diag_embed(tensor([1, 2])).tolist()
    [[1, 0], [0, 2]]
    """
    shape = shape_of(x)
    if not shape:
        raise OpError("diag_embed: the input must have at least 1 dim, got a 0-d tensor")
    d1, d2 = _two_dims("diag_embed", dim1, dim2, len(shape) + 1)
    offset = _int_arg("diag_embed", "offset", offset)
    k = shape[-1]
    size = k + abs(offset)
    out = apply(scatter_p, (x,), {"index": (Ellipsis,) + _diag_index(k, offset),
                                  "shape": shape[:-1] + (size, size), "accumulate": False})
    return moveaxis(out, (-2, -1), (d1, d2))


def diag(x, diagonal: int = 0):
    """For a vector, the square matrix with it on diagonal ``diagonal``; for a matrix, that
    diagonal as a vector.

    >>> from chainrule import tensor
    >>> diag(tensor([1, 2]), 1).tolist()
    [[0, 1, 0], [0, 0, 2], [0, 0, 0]]
    """
    nd = ndim_of(x)
    if nd == 1:
        return diag_embed(x, diagonal, 0, 1)
    if nd == 2:
        return _diagonal_of(x, diagonal)
    raise OpError(f"diag: expects a vector or a matrix, got shape {shape_of(x)}; use "
                  f"diagonal() or diag_embed() for batches")


def unfold(x, dimension: int, size: int, step: int):
    """Tensor.unfold: the windows of ``size`` along ``dimension``, ``step`` apart, as a new
    last dim (dim ``dimension`` becomes the window count).

    >>> from chainrule import arange
    >>> unfold(arange(5), 0, 2, 2).tolist()
    [[0, 1], [2, 3]]
    """
    shape = shape_of(x)
    dim = normalize_dim("unfold", dimension, len(shape))
    size, step = _int_arg("unfold", "size", size), _int_arg("unfold", "step", step)
    n = shape[dim] if shape else 1
    if size < 0 or size > n:
        raise OpError(f"unfold: size {size} is out of range for dim {dim} of size {n} (shape "
                      f"{shape}); the largest window is {n}")
    if step <= 0:
        raise OpError(f"unfold: step is {step} but must be > 0")
    if not shape:
        return getitem(reshape(x, (1,)), slice(0, size))
    count = (n - size) // step + 1
    windows = np.arange(count)[:, None] * step + np.arange(size)[None, :]
    out = getitem(x, (slice(None),) * dim + (windows,))
    return moveaxis(out, dim + 1, -1)


def repeat_interleave(x, repeats=None, dim=None, *, output_size=None):
    """Each entry repeated ``repeats`` times (an int, or one count per entry) along ``dim``
    (over the flattened tensor when None). With the counts alone, the index that repeats
    each position that many times.

    >>> from chainrule import tensor
    >>> repeat_interleave(tensor([1, 2]), 2).tolist()
    [1, 1, 2, 2]
    """
    if repeats is None:  # repeat_interleave(counts): the indices 0, 0, 1, ...
        counts = _counts("repeat_interleave", np.asarray(data_of(x)), None)
        return _no_grad(np.repeat(np.arange(counts.size, dtype=np.int64), counts))
    if dim is None:
        x, dim = reshape(x, (-1,)), 0
    elif ndim_of(x) == 0:  # PyTorch takes no dim (not even 0 or -1) for a 0-d input
        normalize_dim("repeat_interleave", dim, 0, scalar_ok=False)
    shape = shape_of(x)
    dim = normalize_dim("repeat_interleave", dim, len(shape))
    n = shape[dim]
    if isinstance(repeats, (Tensor, np.ndarray, list, tuple)):
        counts = _counts("repeat_interleave", np.asarray(data_of(repeats)), n)
    else:
        counts = np.full(n, _int_arg("repeat_interleave", "repeats", repeats), np.int64)
        if n and counts[0] < 0:
            raise OpError(f"repeat_interleave: repeats must be >= 0, got {counts[0]}")
    idx = np.repeat(np.arange(n), counts)
    if output_size is not None and output_size != idx.size:
        raise OpError(f"repeat_interleave: output_size {output_size} differs from the "
                      f"{idx.size} entries the repeats make")
    return getitem(x, (slice(None),) * dim + (idx,))


def _counts(op: str, counts, n):
    if counts.dtype.kind not in "iu" or counts.ndim > 1:
        raise OpError(f"{op}: repeats must be a 0-d or 1-d integer tensor, got "
                      f"{counts.dtype} of shape {counts.shape}")
    counts = counts.reshape(-1)
    if n is not None and counts.size == 1:
        counts = np.repeat(counts, n)
    if n is not None and counts.size != n:
        raise OpError(f"{op}: {counts.size} repeats for a dim of size {n}; give one count per "
                      f"entry (or a single int)")
    if counts.size and counts.min() < 0:
        raise OpError(f"{op}: repeats must be >= 0, got {int(counts.min())}")
    return counts


def _no_grad(data) -> Tensor:
    return make_tensor(np.asarray(data))


# ----- scatter with reductions, index_copy/fill, masks, flat take/put -------------------
_REDUCE_PAD = {"sum": 0, "mean": 0, "prod": 1, "amax": -np.inf, "amin": np.inf}


def _long_index(op: str, index):
    idx = _index_array(index)
    check_index_dtype(op, idx, ("int64",))
    return idx


def _flat_targets(idx, dim: int, shape: tuple):
    """The positions in x read as 1-d that a dim-wise scatter writes: ``idx[i][j]`` (for dim
    1) goes to ``x[i][idx[i][j]]``, in the index's C order."""
    coords = list(np.indices(idx.shape, sparse=True))
    coords[dim] = idx
    return np.ravel_multi_index(np.broadcast_arrays(*coords), shape).reshape(-1)


_SCATTER_REDUCE = {"add": "sum", "multiply": "prod"}


def scatter(x, dim: int, index, src=None, *, value=None, reduce: str = None):
    """PyTorch's scatter (functional): ``x`` with ``out[i][index[i][j]] = src[i][j]`` (for
    dim 1), or ``value`` (a number) at every indexed place. Every index must lie in
    [0, x.shape[dim]); the index may not be larger than ``src`` in any dim, nor than ``x``
    outside ``dim``. Where an index repeats, which write wins is unspecified (as in
    PyTorch). The gradient of ``x`` is zero where overwritten; ``src`` gets the output's
    gradient at the places it was written to. PyTorch's deprecated ``reduce`` ("add" or
    "multiply") accumulates instead, as scatter_reduce's "sum" and "prod".

    >>> from chainrule import tensor, zeros
    >>> scatter(zeros(2, 3), 1, tensor([[2], [0]]), tensor([[5.], [7.]])).tolist()
    [[0.0, 0.0, 5.0], [7.0, 0.0, 0.0]]
    >>> zeros(3).scatter(0, tensor([1]), 2.5).tolist()
    [0.0, 2.5, 0.0]
    """
    op = "scatter"
    if src is not None and value is not None:
        raise OpTypeError(f"{op}: give either src (a tensor) or value (a number), not both")
    if isinstance(src, np.ndarray):
        src = make_tensor(src)
    elif src is not None and not isinstance(src, Tensor):
        src, value = None, src  # scatter(dim, index, 1.5): the value form, as in PyTorch
    if src is None and value is None:
        raise OpTypeError(f"{op}: missing src (a tensor) or value (a number)")
    if reduce is not None and reduce not in _SCATTER_REDUCE:
        raise OpError(f"{op}: reduce must be 'add' or 'multiply', got {reduce!r} (for "
                      f"other reductions use scatter_reduce)")
    nd = ndim_of(x)
    dim = normalize_dim(op, dim, nd)
    idx = _index_array(index)
    if src is not None:
        _same_dtype(op, x, src)
    if not idx.size:  # PyTorch checks neither dtype nor shapes then: nothing is written
        return clone(x)
    check_index_dtype(op, idx)
    if reduce is not None:
        if src is None:
            src = make_tensor(np.full(idx.shape, value, dtype=np.result_type(data_of(x))))
        return scatter_reduce(x, dim, idx.astype(np.int64), src, _SCATTER_REDUCE[reduce])
    out_shape = shape_of(x)
    x, idx = _promote_scalars(x, idx)
    shape = shape_of(x)
    _check_fits(op, idx.shape, shape, dim, "input")
    if src is not None:
        if ndim_of(src) == 0:
            src = reshape(src, (1,))
        _check_fits(op, idx.shape, shape_of(src), None, "source")
    check_index_range(op, idx, dim, shape[dim])
    if src is not None:
        if shape_of(src) != idx.shape:
            src = getitem(src, tuple(slice(0, k) for k in idx.shape))
        value = reshape(src, (-1,))
    out = apply(setitem_p, (reshape(x, (-1,)), value),
                {"index": _flat_targets(idx, dim, shape), "basic": False})
    return reshape(out, out_shape)


def scatter_reduce(x, dim: int, index, src, reduce: str, *, include_self: bool = True):
    """PyTorch's scatter_reduce: ``x`` with each ``src[i][j]`` (for dim 1) reduced into
    ``out[i][index[i][j]]`` by ``reduce`` ("sum", "prod", "mean", "amax", "amin"), the
    value already in ``x`` included unless ``include_self`` is False. Gradients flow to
    both (ties of amax/amin share it evenly). Indices must lie in [0, x.shape[dim]).

    >>> from chainrule import tensor
    >>> scatter_reduce(tensor([1., 2.]), 0, tensor([0, 0]), tensor([4., 7.]), "amax").tolist()
    [7.0, 2.0]
    """
    op = "scatter_reduce"
    if reduce not in _REDUCE_PAD:
        raise OpError(f"{op}: reduce must be one of {sorted(_REDUCE_PAD)}, got {reduce!r}")
    nd = ndim_of(x)
    dim = normalize_dim(op, dim, nd)
    idx = _index_array(index)
    _same_dtype(op, x, src)
    if not idx.size:
        return clone(x)
    check_index_dtype(op, idx, ("int64",))
    out_shape = shape_of(x)
    x, idx = _promote_scalars(x, idx)
    if ndim_of(src) == 0:
        src = reshape(src, (1,))
    shape = shape_of(x)
    _check_fits(op, idx.shape, shape, dim, "input")
    _check_fits(op, idx.shape, shape_of(src), None, "source")
    check_index_range(op, idx, dim, shape[dim])
    if shape_of(src) != idx.shape:
        src = getitem(src, tuple(slice(0, k) for k in idx.shape))
    targets = _flat_targets(idx, dim, shape)
    # Group the sources by target: one row per target, padded with the reduction's unit.
    order = np.argsort(targets, kind="stable")
    uniq, start, counts = np.unique(targets[order], return_index=True, return_counts=True)
    group = np.repeat(np.arange(uniq.size), counts)
    rows = np.full((uniq.size, int(counts.max())), targets.size)
    rows[group, np.arange(targets.size) - start[group]] = order
    dtype = np.result_type(data_of(x))
    unit = _REDUCE_PAD[reduce]
    if dtype.kind == "b":
        unit = unit > 0  # amax pads with False, amin and prod with True
    elif dtype.kind in "iu" and not np.isfinite(unit):
        unit = np.iinfo(dtype).min if unit < 0 else np.iinfo(dtype).max
    flat_src = concatenate([reshape(src, (-1,)), np.full((1,), unit, dtype)])
    table = getitem(flat_src, rows)
    flat_x = reshape(x, (-1,))
    if include_self:
        table = concatenate([reshape(getitem(flat_x, uniq), (-1, 1)), table], 1)
    # Through the Tensor methods: the reductions module builds on this one.
    res = getattr(table, "sum" if reduce == "mean" else reduce)(1)
    if reduce == "mean":
        n = (counts + bool(include_self)).astype(dtype if dtype.kind in "fc" else np.int64)
        res = apply(ew.div, (res, n)) if dtype.kind in "fc" else \
            _no_grad(np.floor_divide(data_of(res), n))
    res = cast(res, dtype)
    out = apply(setitem_p, (flat_x, res), {"index": uniq, "basic": False})
    return reshape(out, out_shape)


def _dim_index(op: str, x, dim, index):
    """dim (normalized), the int64 index vector, and x read as 1-d when 0-d."""
    nd = ndim_of(x)
    dim = normalize_dim(op, dim, nd)
    idx = _vector_index(op, index)
    check_index_dtype(op, idx, ("int64",))
    idx = idx.reshape(-1)
    if nd == 0:
        x = reshape(x, (1,))
    check_index_range(op, idx, dim, shape_of(x)[dim])
    return x, dim, idx


def index_copy(x, dim: int, index, source):
    """``x`` with the slices ``index`` (an int64 vector) of dim ``dim`` replaced by those of
    ``source``, in order; gradients flow to both.

    >>> from chainrule import tensor, zeros
    >>> index_copy(zeros(3), 0, tensor([2]), tensor([5.])).tolist()
    [0.0, 0.0, 5.0]
    """
    out_shape = shape_of(x)
    x, dim, idx = _dim_index("index_copy", x, dim, index)
    _same_dtype("index_copy", x, source)
    shape = shape_of(x)
    want = shape[:dim] + (idx.size,) + shape[dim + 1:]
    if ndim_of(source) == 0 and want == (1,):
        source = reshape(source, (1,))
    if shape_of(source) != want:
        raise OpError(f"index_copy: the source has shape {shape_of(source)} but {idx.size} "
                      f"slices of dim {dim} of the input (shape {out_shape}) need {want}")
    out = apply(setitem_p, (x, source), {"index": (slice(None),) * dim + (idx,),
                                         "basic": False})
    return reshape(out, out_shape) if shape != out_shape else out


def index_fill(x, dim: int, index, value):
    """``x`` with the slices ``index`` (an int64 vector) of dim ``dim`` set to ``value`` (a
    number or a 0-d tensor, which gets the gradient of every entry it fills)."""
    out_shape = shape_of(x)
    if isinstance(value, Tensor) and value._data.ndim:
        raise OpError(f"index_fill: the value must be a number or a 0-d tensor, got shape "
                      f"{value.shape}")
    x, dim, idx = _dim_index("index_fill", x, dim, index)
    out = apply(setitem_p, (x, value), {"index": (slice(None),) * dim + (idx,),
                                        "basic": False})
    return reshape(out, out_shape) if shape_of(x) != out_shape else out


def _broadcast_mask(op: str, x, mask):
    """``x`` and the bool ``mask`` broadcast together (x expanded where it must grow), as
    PyTorch's masked_select/masked_scatter do: returns (x, the mask as a NumPy array)."""
    m = data_of(mask)
    m = np.asarray(m) if not hasattr(m, "dtype") else m
    if m.dtype != np.bool_:
        raise OpTypeError(f"{op}: the mask must be bool, got {m.dtype}; compare to get one "
                          f"(mask != 0)")
    try:
        shape = np.broadcast_shapes(shape_of(x), m.shape)
    except ValueError:
        raise OpError(f"{op}: the input of shape {shape_of(x)} and the mask of "
                      f"shape {m.shape} do not broadcast") from None
    if shape_of(x) != shape:
        x = expand(x, shape)
    return x, np.broadcast_to(m, shape)


def masked_select(x, mask):
    """The entries of ``x`` where ``mask`` (bool; x and mask broadcast together) holds, as
    a 1-d tensor.

    >>> from chainrule import tensor
    >>> masked_select(tensor([1, 2, 3]), tensor([True, False, True])).tolist()
    [1, 3]
    """
    x, m = _broadcast_mask("masked_select", x, mask)
    return getitem(reshape(x, (-1,)), m.reshape(-1))


def masked_scatter(x, mask, source):
    """``x`` with the entries where ``mask`` (bool) holds replaced, in order, by the first
    entries of ``source``; gradients flow to both. As in PyTorch, x and the mask broadcast
    together (the in-place form needs the mask to broadcast to x).

    >>> from chainrule import tensor
    >>> masked_scatter(tensor([0., 0., 0.]), tensor([True, False, True]),
    ...                tensor([4., 5.])).tolist()
    [4.0, 0.0, 5.0]
    """
    x, m = _broadcast_mask("masked_scatter", x, mask)
    _same_dtype("masked_scatter", x, source)
    count = int(np.count_nonzero(m))
    have = int(np.prod(shape_of(source)))
    if have < count:
        raise OpError(f"masked_scatter: the mask selects {count} entries but the source has "
                      f"only {have} (shape {shape_of(source)})")
    taken = getitem(reshape(source, (-1,)), slice(0, count))
    return apply(setitem_p, (x, taken), {"index": m, "basic": False})


def nonzero(x, *, as_tuple: bool = False):
    """The indices of the nonzero entries: an int64 tensor of shape (count, ndim), or with
    ``as_tuple`` one index vector per dim (a 0-d input counts as 1-d). No gradient.

    >>> from chainrule import tensor
    >>> nonzero(tensor([0, 3, 5])).tolist()
    [[1], [2]]
    """
    data = np.asarray(data_of(x))
    if as_tuple:
        return tuple(_no_grad(i.astype(np.int64)) for i in np.nonzero(np.atleast_1d(data)))
    if data.ndim == 0:
        return _no_grad(np.zeros((int(data != 0), 0), np.int64))
    return _no_grad(np.argwhere(data).astype(np.int64))


def _flat_index(op: str, index, n: int):
    """The int64 entries of ``index`` as positions in a flattened tensor of ``n`` entries:
    in [-n, n), the negative ones counting from the end; anything else raises."""
    idx = _long_index(op, index)
    if idx.size and (idx.min() < -n or idx.max() >= n):
        bad = int(idx.min()) if idx.min() < -n else int(idx.max())
        raise IndexOutOfRangeError(f"{op}: index {bad} is out of range for a tensor of {n} "
                                   f"elements; indices must be in [{-n}, {n})")
    return np.where(idx < 0, idx + n, idx)


def take(x, index):
    """The entries of ``x``, read as 1-d, at ``index`` (int64, any shape: the result's).

    >>> from chainrule import tensor
    >>> take(tensor([[1, 2], [3, 4]]), tensor([0, -1])).tolist()
    [1, 4]
    """
    n = int(np.prod(shape_of(x)))
    idx = _flat_index("take", index, n)
    return reshape(getitem(reshape(x, (-1,)), idx.reshape(-1)), idx.shape)


def put(x, index, source, accumulate: bool = False):
    """``x`` with the entries at ``index`` (of x read as 1-d) set to (or with
    ``accumulate``, increased by) those of ``source``, one per index."""
    shape = shape_of(x)
    idx = _flat_index("put", index, int(np.prod(shape))).reshape(-1)
    if int(np.prod(shape_of(source))) != idx.size:
        raise OpError(f"put: {idx.size} indices but the source has "
                      f"{int(np.prod(shape_of(source)))} entries; give one per index")
    _same_dtype("put", x, source)
    flat, src = reshape(x, (-1,)), reshape(source, (-1,))
    if accumulate:
        update = apply(scatter_p, (src,), {"index": idx, "shape": (flat.shape[0],),
                                           "accumulate": True})
        out = apply(ew.add, (flat, update))
    else:
        out = apply(setitem_p, (flat, src), {"index": idx, "basic": False})
    return reshape(out, shape)


def __dir__():  # dir() and tab completion show what the module exports, not its helpers
    return __all__
