"""Reductions and scans with NumPy's signatures (``axis``, ``keepdims``, ``ddof``): sums,
products, extrema, statistics, cumulative sums and differences."""
from __future__ import annotations as _annotations

import builtins as _builtins

import numpy as _np

from ..ops import index as _ix
from ..ops import reduce as _reduce
from ..ops import shape as _sh
from ..ops._util import data_of as _data
from ._creation import ones_like as _ones_like
from ._elementwise import divide as _divide
from ._elementwise import multiply as _multiply
from ._elementwise import subtract as _subtract
from ._elementwise import where as _where
from ._indexing import sort as _sort
from ._shape import broadcast_to as _broadcast_to
from ._shape import concatenate as _concatenate
from ._shape import ravel as _ravel
from ._shape import reshape as _reshape

__all__ = ["sum", "mean", "prod", "amax", "amin", "max", "min", "var", "std", "cumsum",
           "cumprod", "argmax", "argmin", "ptp", "average", "median", "nansum", "nanmean",
           "diff"]


def _reduction(fn, name):
    def reduction(a, axis=None, dtype=None, out=None, keepdims=False):
        if out is not None:
            raise TypeError(f"chainrule.numpy.{name}: out= is not supported; use the result")
        if dtype is not None:
            a = _sh.cast(a, dtype)
        return fn(a, axis=axis, keepdims=keepdims)
    reduction.__name__ = name
    reduction.__doc__ = f"Differentiable numpy.{name}."
    return reduction


sum = _reduction(_reduce.sum, "sum")
mean = _reduction(_reduce.mean, "mean")
prod = _reduction(_reduce.prod, "prod")


def amax(a, axis=None, out=None, keepdims=False):
    return _reduce.amax(a, axis=axis, keepdims=keepdims)


def amin(a, axis=None, out=None, keepdims=False):
    return _reduce.amin(a, axis=axis, keepdims=keepdims)


max, min = amax, amin


def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    return _reduce.var(a, axis=axis, correction=ddof, keepdims=keepdims)


def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    return _reduce.std(a, axis=axis, correction=ddof, keepdims=keepdims)


def cumsum(a, axis=None):
    return _reduce.cumsum(a, axis=axis)


def cumprod(a, axis=None):
    return _reduce.cumprod(a, axis=axis)


def argmax(a, axis=None, keepdims=False):
    return _reduce.argmax(a, axis=axis, keepdims=keepdims)


def argmin(a, axis=None, keepdims=False):
    return _reduce.argmin(a, axis=axis, keepdims=keepdims)


def ptp(a, axis=None, keepdims=False):
    return amax(a, axis=axis, keepdims=keepdims) - amin(a, axis=axis, keepdims=keepdims)


def average(a, axis=None, weights=None, returned=False, keepdims=False):
    if weights is None:
        avg = mean(a, axis=axis, keepdims=keepdims)
        total = _np.asarray(_data(a)).size / _builtins.max(_np.asarray(_data(avg)).size, 1)
    else:
        w = weights
        if _np.ndim(_data(w)) != _np.ndim(_data(a)) and axis is not None:
            shape = [1] * _np.ndim(_data(a))
            shape[axis] = -1
            w = _reshape(w, tuple(shape))
        total = sum(_multiply(_ones_like(a), w), axis=axis, keepdims=keepdims)
        avg = _divide(sum(_multiply(a, w), axis=axis, keepdims=keepdims), total)
    return (avg, total) if returned else avg


def median(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """The median: the middle of the sorted values (mean of the two middle ones)."""
    if axis is None:
        a, axis = _ravel(a), 0
    ordered = _sort(a, axis=axis)
    n = _np.shape(_data(ordered))[axis]
    lead = (slice(None),) * (axis % _np.ndim(_data(ordered)))
    mid = _ix.getitem(ordered, lead + (slice((n - 1) // 2, n // 2 + 1),))
    return mean(mid, axis=axis, keepdims=keepdims)


def nansum(a, axis=None, dtype=None, out=None, keepdims=False):
    return sum(_where(_np.isnan(_data(a)), 0.0, a), axis=axis, keepdims=keepdims)


def nanmean(a, axis=None, dtype=None, out=None, keepdims=False):
    valid = ~_np.isnan(_data(a))
    return _divide(nansum(a, axis=axis, keepdims=keepdims),
                   _np.sum(valid, axis=axis, keepdims=keepdims))


def diff(a, n=1, axis=-1, prepend=None, append=None):
    nd = _np.ndim(_data(a))
    axis = axis % nd
    if prepend is not None or append is not None:
        parts = [p for p in (prepend, a, append) if p is not None]
        parts = [p if _np.ndim(_data(p)) == nd else _broadcast_to(
            p, tuple(1 if i == axis else m for i, m in enumerate(_np.shape(_data(a)))))
            for p in parts]
        a = _concatenate(parts, axis=axis)
    lead = (slice(None),) * axis
    for _ in range(n):
        a = _subtract(_ix.getitem(a, lead + (slice(1, None),)),
                      _ix.getitem(a, lead + (slice(None, -1),)))
    return a
