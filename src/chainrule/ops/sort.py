"""Sorting, selection and scans with indices, and the order statistics built on them: sort,
argsort, msort, topk, kthvalue, median, mode, cummax, cummin, logcumsumexp, searchsorted,
bucketize, unique and quantile, with PyTorch's semantics.

No new primitive: the indices are found on the raw array (they have no gradient) and the
values are gathered from the input with ``gather``, whose rules carry the gradient to the
chosen elements, to any order and in both modes. Ops returning values and indices return a
named tuple with ``.values`` and ``.indices``, as ``torch.return_types`` does.
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from ..autograd.primitives import apply
from ..autograd.tensor import Tensor, make_tensor
from ..errors import IndexOutOfRangeError, OpError, OpTypeError
from . import elementwise as ew
from . import index as ix
from . import reduce
from . import shape as sh
from ._util import data_of, normalize_axes, normalize_dim

__all__ = ["sort", "argsort", "msort", "topk", "kthvalue", "median", "mode", "cummax",
           "cummin", "logcumsumexp", "searchsorted", "bucketize", "unique", "quantile"]


def _values_indices(name: str):
    return namedtuple(name, ["values", "indices"])


_Sort, _Topk, _Kthvalue = (_values_indices(n) for n in ("sort", "topk", "kthvalue"))
_Median, _Mode = _values_indices("median"), _values_indices("mode")
_Cummax, _Cummin = _values_indices("cummax"), _values_indices("cummin")


def _raw(x):
    return np.asarray(data_of(x))


def _indices(idx) -> Tensor:
    return make_tensor(np.array(idx, dtype=np.int64, order="C"))


def _argsort(a, axis: int, descending: bool):
    """Stable argsort along ``axis``; NaN counts as the largest value (first when
    descending), and equal values keep their order either way, as PyTorch's stable sort."""
    if not descending:
        return np.argsort(a, axis=axis, kind="stable")
    n = a.shape[axis]
    rev = np.argsort(np.flip(a, axis), axis=axis, kind="stable")
    return n - 1 - np.flip(rev, axis)


def _take(x, dim: int, idx):
    """The elements of ``x`` at ``idx`` along ``dim`` (an index of x's rank): gradients
    flow back to them."""
    if not np.ndim(data_of(x)):
        return sh.clone(x)
    return ix.gather(x, dim, idx)


def _squeeze(t, dim: int, keepdim: bool):
    return t if keepdim or t.ndim == 0 else sh.squeeze(t, dim)


def sort(input, dim: int = -1, descending: bool = False, *, stable: bool = False):
    """The values along ``dim`` in order, and their indices: ``(values, indices)``. The sort
    is always stable; NaN sorts as the largest value.

    >>> from chainrule import tensor
    >>> sort(tensor([3., 1., 2.])).indices
    tensor([1, 2, 0])
    """
    a = _raw(input)
    dim = normalize_dim("sort", dim, a.ndim)
    idx = _argsort(a, dim, descending) if a.ndim else np.zeros((), np.int64)
    return _Sort(_take(input, dim, idx), _indices(idx))


def argsort(input, dim: int = -1, descending: bool = False, *, stable: bool = False) -> Tensor:
    """The indices that sort ``input`` along ``dim`` (int64, no gradient; always stable).

    >>> from chainrule import tensor
    >>> argsort(tensor([3., 1., 2.]), descending=True)
    tensor([0, 2, 1])
    """
    a = _raw(input)
    dim = normalize_dim("argsort", dim, a.ndim)
    return _indices(_argsort(a, dim, descending) if a.ndim else np.zeros((), np.int64))


def msort(input) -> Tensor:
    """``input`` sorted along dim 0 (the values of ``sort(input, 0)``).

    >>> from chainrule import tensor
    >>> msort(tensor([[2., 1.], [0., 3.]]))
    tensor([[0., 1.],
            [2., 3.]])
    """
    return sort(input, 0).values


def _check_k(op: str, k: int, size: int, low: int) -> None:
    if not low <= k <= size:
        raise IndexOutOfRangeError(f"{op}: k={k} is out of range for a dim of size {size} "
                                   f"(expected {low} <= k <= {size})")


def topk(input, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):
    """The ``k`` largest (``largest=False``: smallest) values along ``dim`` and their
    indices, largest first (smallest first).

    >>> from chainrule import tensor
    >>> topk(tensor([1., 5., 3., 4.]), 2)
    topk(values=tensor([5., 4.]), indices=tensor([1, 3]))
    """
    a = _raw(input)
    dim = normalize_dim("topk", dim, a.ndim)
    _check_k("topk", k, a.shape[dim] if a.ndim else 1, 0)
    if not a.ndim:  # one element: k is 0 or 1, and PyTorch returns it 0-d either way
        return _Topk(sh.clone(input), _indices(np.zeros((), np.int64)))
    idx = np.take(_argsort(a, dim, largest), np.arange(k), axis=dim)
    return _Topk(_take(input, dim, idx), _indices(idx))


def _picked(result, input, dim, idx, keepdim: bool):
    """``result(values, indices)`` of kthvalue, median and mode: ``input`` taken at the
    indices ``idx`` (keepdims) along ``dim``; a 0-d input (``dim`` None) is its own value,
    at index 0."""
    if dim is None:
        return result(sh.clone(input), _indices(np.zeros((), np.int64)))
    return result(_squeeze(_take(input, dim, idx), dim, keepdim),
                  _indices(idx if keepdim else np.squeeze(idx, dim)))


def kthvalue(input, k: int, dim: int = -1, keepdim: bool = False):
    """The ``k``-th smallest value along ``dim`` (k from 1) and its index.

    >>> from chainrule import tensor
    >>> kthvalue(tensor([3., 1., 2.]), 2).values
    tensor(2.)
    """
    a = _raw(input)
    dim = normalize_dim("kthvalue", dim, a.ndim)
    _check_k("kthvalue", k, a.shape[dim] if a.ndim else 1, 1)
    if not a.ndim:
        return _picked(_Kthvalue, input, None, None, False)
    idx = np.take(_argsort(a, dim, False), [k - 1], axis=dim)
    return _picked(_Kthvalue, input, dim, idx, keepdim)


def _median_index(a, dim: int):
    """The index of the lower median along ``dim`` (keepdims); the first NaN where a slice
    holds one, so its median is NaN, as in PyTorch."""
    order = _argsort(a, dim, False)
    n = a.shape[dim]
    nans = np.sum(np.isnan(a), axis=dim, keepdims=True) if a.dtype.kind in "fc" else 0
    rank = np.where(nans > 0, n - nans, (n - 1) // 2)
    return np.take_along_axis(order, np.broadcast_to(rank, order.shape[:dim] + (1,) +
                                                     order.shape[dim + 1:]), axis=dim)


def median(input, dim=None, keepdim: bool = False):
    """The lower median. Without ``dim``: of all elements, a 0-d tensor whose gradient is
    shared evenly by the elements equal to it (NaN for an empty tensor). With ``dim``:
    ``(values, indices)``, the gradient going to the chosen index.

    >>> from chainrule import tensor
    >>> median(tensor([4., 1., 3., 2.]))
    tensor(2.)
    """
    a = _raw(input)
    if dim is None:
        if not a.size:
            return reduce.sum(input) * float("nan")
        flat = a.reshape(-1)
        m = flat[_median_index(flat, 0)[0]]
        if a.dtype.kind != "f":  # no gradient: the value itself
            return make_tensor(np.asarray(m))
        # Where x equals the median, x, else -inf: amax shares the gradient among ties.
        ties = np.isnan(a) if np.isnan(m) else a == m
        return reduce.amax(apply(ew.where_p, (ties, input, -np.inf)))
    dim = normalize_dim("median", dim, a.ndim)
    if not a.ndim:
        return _picked(_Median, input, None, None, False)
    if not a.shape[dim]:
        raise IndexOutOfRangeError(f"median: expected reduction dim {dim} to have non-zero "
                                   f"size (shape {a.shape})")
    idx = _median_index(a, dim)
    return _picked(_Median, input, dim, idx, keepdim)


def mode(input, dim: int = -1, keepdim: bool = False):
    """The most frequent value along ``dim`` (the smallest of several) and the index of its
    last occurrence: ``(values, indices)``.

    >>> from chainrule import tensor
    >>> mode(tensor([1., 3., 3., 2., 2., 5.]))
    mode(values=tensor(2.), indices=tensor(4))
    """
    a = _raw(input)
    dim = normalize_dim("mode", dim, a.ndim)
    if not a.ndim:
        return _picked(_Mode, input, None, None, False)
    if not a.shape[dim]:
        raise IndexOutOfRangeError(f"mode: expected reduction dim {dim} to have non-zero size "
                                   f"(shape {a.shape})")
    rows = np.moveaxis(a, dim, -1).reshape(-1, a.shape[dim])
    n = rows.shape[1]
    best = np.empty(rows.shape[0], np.int64)
    for r, row in enumerate(rows):
        values, counts = np.unique(row, return_counts=True)  # sorted: ties go to the smallest
        v = values[np.argmax(counts)]
        hits = np.flatnonzero((row == v) | (np.isnan(row) & np.isnan(v)))
        best[r] = hits[-1] if hits.size else n - 1
    idx = np.moveaxis(best.reshape(np.moveaxis(a, dim, -1).shape[:-1] + (1,)), -1, dim)
    return _picked(_Mode, input, dim, idx, keepdim)


def _cumulative(op: str, better, out_type, input, dim):
    a = _raw(input)
    dim = normalize_dim(op, dim, a.ndim)
    if not a.ndim or not a.size:
        idx = np.zeros(a.shape, np.int64)
        return out_type(sh.clone(input), _indices(idx))
    m = np.moveaxis(a, dim, -1)
    idx = np.zeros(m.shape, np.int64)
    best, where = m[..., 0], np.zeros(m.shape[:-1], np.int64)
    for i in range(1, m.shape[-1]):
        v = m[..., i]
        # A later tie takes the index; NaN, once seen, stays (PyTorch's cummax and cummin).
        take = better(v, best) if a.dtype.kind not in "fc" else \
            np.isnan(v) | (~np.isnan(best) & better(v, best))
        best, where = np.where(take, v, best), np.where(take, i, where)
        idx[..., i] = where
    idx = np.moveaxis(idx, -1, dim)
    return out_type(_take(input, dim, idx), _indices(idx))


def cummax(input, dim: int):
    """The running maximum along ``dim`` and the index where each was found.

    >>> from chainrule import tensor
    >>> cummax(tensor([1., 3., 2., 5.]), 0).indices
    tensor([0, 1, 1, 3])
    """
    return _cumulative("cummax", np.greater_equal, _Cummax, input, dim)


def cummin(input, dim: int):
    """The running minimum along ``dim`` and the index where each was found.

    >>> from chainrule import tensor
    >>> cummin(tensor([3., 1., 2., 0.]), 0).values
    tensor([3., 1., 1., 0.])
    """
    return _cumulative("cummin", np.less_equal, _Cummin, input, dim)


def logcumsumexp(input, dim: int) -> Tensor:
    """log(cumsum(exp(x))) along ``dim``, shifted by each slice's maximum against overflow
    (an element more than ~700 (float64) or ~87 (float32) below its slice's maximum and
    before every larger element underflows); floating point tensors only.

    >>> from chainrule import tensor
    >>> logcumsumexp(tensor([0., 0.]), 0)
    tensor([0.0000000, 0.6931472])
    """
    a = _raw(input)
    if a.dtype.kind != "f":
        raise OpTypeError(f"logcumsumexp: only real floating point tensors are supported, "
                          f"got {a.dtype}; convert with .float() first")
    dim = normalize_dim("logcumsumexp", dim, a.ndim)
    if not a.ndim or not a.size:
        return sh.clone(input)
    shift = np.amax(a, axis=dim, keepdims=True)
    shift = np.where(np.isfinite(shift), shift, 0).astype(a.dtype)
    summed = reduce.cumsum(apply(ew.exp, (input - shift,)), dim)
    with np.errstate(divide="ignore"):  # log(0) = -inf where every element so far is -inf
        return apply(ew.log, (summed,)) + shift


def searchsorted(sorted_sequence, input, *, out_int32: bool = False, right: bool = False,
                 side=None, sorter=None) -> Tensor:
    """Where ``input``'s values would be inserted into ``sorted_sequence`` (along its last
    dim) to keep it sorted: the first such place, or the last with ``right=True`` /
    ``side="right"``. A 1-D sequence serves every value; an N-D one has one row per
    leading index of ``input``. No gradient.

    >>> from chainrule import tensor
    >>> searchsorted(tensor([1, 3, 5, 7]), tensor([3, 6]))
    tensor([1, 3])
    """
    seq, values = _raw(sorted_sequence), _raw(input)
    if side is not None:
        if side not in ("left", "right"):
            raise OpError(f"searchsorted: side must be 'left' or 'right', got {side!r}")
        if right and side == "left":
            raise OpError("searchsorted: right=True and side='left' disagree; give one")
        right = side == "right"
    if sorter is not None:
        order = _raw(sorter)
        if order.shape != seq.shape:
            raise OpError(f"searchsorted: sorter of shape {order.shape} must have the shape "
                          f"of sorted_sequence {seq.shape}")
        seq = np.take_along_axis(seq, order.astype(np.int64), axis=-1)
    side = "right" if right else "left"
    if seq.ndim == 0:
        raise OpError("searchsorted: sorted_sequence must have at least one dim, got a 0-d "
                      "tensor")
    if seq.ndim == 1:
        out = np.searchsorted(seq, values, side=side)
    else:
        if values.ndim != seq.ndim or values.shape[:-1] != seq.shape[:-1]:
            raise OpError(f"searchsorted: the leading dims of sorted_sequence {seq.shape} and "
                          f"input {values.shape} must match (all but the last); or give a "
                          f"1-D sorted_sequence")
        out = np.empty(values.shape, np.int64)
        for lead in np.ndindex(*seq.shape[:-1]):
            out[lead] = np.searchsorted(seq[lead], values[lead], side=side)
    return make_tensor(np.asarray(out, np.int32 if out_int32 else np.int64))


def bucketize(input, boundaries, *, out_int32: bool = False, right: bool = False) -> Tensor:
    """The bucket of each value of ``input`` among the 1-D ``boundaries``: i with
    boundaries[i-1] < x <= boundaries[i] (``right=True``: boundaries[i-1] <= x <
    boundaries[i]). No gradient.

    >>> from chainrule import tensor
    >>> bucketize(tensor([1, 4, 9]), tensor([1, 5, 9]))
    tensor([0, 1, 2])
    """
    if np.ndim(_raw(boundaries)) != 1:
        raise OpError(f"bucketize: boundaries must be 1-D, got shape {_raw(boundaries).shape}")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


def unique(input, sorted: bool = True, return_inverse: bool = False,
           return_counts: bool = False, dim=None):
    """The distinct values (over the flattened tensor, or the distinct slices along
    ``dim``), in ascending order; with ``return_inverse``, where each element (slice) went,
    and with ``return_counts``, how often each occurs. No gradient.

    >>> from chainrule import tensor
    >>> unique(tensor([3, 1, 3, 2]), return_counts=True)
    (tensor([1, 2, 3]), tensor([1, 1, 2]))
    """
    a = _raw(input)
    axis = None if dim is None else normalize_dim("unique", dim, a.ndim, scalar_ok=False)
    # Every NaN is distinct, as in PyTorch (NumPy would merge them)
    nan_kw = {"equal_nan": False} if axis is None else {}
    values, inverse, counts = np.unique(a, return_inverse=True, return_counts=True, axis=axis,
                                        **nan_kw)
    inverse = inverse.reshape(a.shape if axis is None else (a.shape[axis],))
    out = (make_tensor(np.array(values, order="C")),)
    if return_inverse:
        out += (_indices(inverse),)
    if return_counts:
        out += (_indices(counts),)
    return out[0] if len(out) == 1 else out


_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def quantile(input, q, dim=None, keepdim: bool = False, *, interpolation: str = "linear"):
    """The ``q``-th quantiles (``q`` a number or a 1-D tensor in [0, 1]) over ``dim`` (all
    elements when None); a tensor ``q`` adds a leading dim of its length. A slice holding
    NaN gives NaN. Gradients flow to the elements interpolated between.

    >>> from chainrule import tensor
    >>> quantile(tensor([1., 2., 3., 4.]), 0.5)
    tensor(2.5)
    """
    a = _raw(input)
    if a.dtype not in (np.float32, np.float64):
        raise OpTypeError(f"quantile: input must be float32 or float64, got {a.dtype}; "
                          f"convert with .float() first")
    if interpolation not in _INTERPOLATIONS:
        raise OpError(f"quantile: interpolation must be one of {_INTERPOLATIONS}, got "
                      f"{interpolation!r}")
    if isinstance(q, Tensor) and q.dtype != a.dtype:
        raise OpTypeError(f"quantile: q must have the input's dtype {a.dtype}, got {q.dtype}")
    qs = np.asarray(data_of(q), np.float64)
    if qs.ndim > 1:
        raise OpError(f"quantile: q must be a number or a 0-d or 1-D tensor, got shape "
                      f"{qs.shape}")
    if np.any((qs < 0) | (qs > 1)) or np.any(np.isnan(qs)):
        raise OpError(f"quantile: q values must be in [0, 1], got {qs.tolist()}")
    if not a.size:
        raise OpError(f"quantile: the input must be non-empty, got shape {a.shape}")
    ndim = a.ndim
    if dim is None or ndim == 0:
        if dim is not None:
            normalize_axes("quantile", dim, 0)
        x, axis = sh.reshape(input, (-1,)), 0
    else:
        x, axis = input, normalize_dim("quantile", dim, ndim)
    ordered = sh.moveaxis(sort(x, axis).values, axis, -1)  # (..., n)
    od = ordered._data
    n = od.shape[-1]
    has_nan = np.isnan(od[..., -1:])  # NaN sorts last
    rank = np.where(has_nan, n - 1, qs.reshape(-1) * (n - 1))  # (..., nq)
    if interpolation == "nearest":
        rank = np.round(rank)  # halves to even, as PyTorch
    lo = np.floor(rank).astype(np.int64)
    hi = np.ceil(rank).astype(np.int64)
    if interpolation == "lower" or interpolation == "nearest":
        out = ix.take_along_dim(ordered, lo, -1)
    elif interpolation == "higher":
        out = ix.take_along_dim(ordered, hi, -1)
    else:
        if interpolation == "midpoint":
            weight = make_tensor(np.full(rank.shape, 0.5, a.dtype))
        elif isinstance(q, Tensor) and q.requires_grad:
            # a tensor q gets its gradient too, (hi - lo) * (n - 1), as in PyTorch
            weight = apply(ew.where_p, (has_nan, 0.0, sh.reshape(q, (-1,)) * (n - 1) - lo))
        else:
            weight = make_tensor((rank - lo).astype(a.dtype))
        out = ew.lerp(ix.take_along_dim(ordered, lo, -1), ix.take_along_dim(ordered, hi, -1),
                      weight)
    out = sh.moveaxis(out, -1, 0)  # (nq, ...)
    if keepdim:
        kept = (1,) * ndim if dim is None or ndim == 0 else \
            a.shape[:axis] + (1,) + a.shape[axis + 1:]
        out = sh.reshape(out, (out.shape[0],) + kept)
    return sh.reshape(out, out.shape[1:]) if qs.ndim == 0 else out


def __dir__():  # dir() and tab completion show what the module exports, not its helpers
    return __all__
