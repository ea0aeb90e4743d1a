"""Indexing and sorting functions: ``take``, ``take_along_axis``, ``sort``, ``partition``.
The gradient of a value goes back to the place it was taken from."""
from __future__ import annotations as _annotations

import numpy as _np

from ..ops import index as _ix
from ..ops._util import data_of as _data
from ._creation import asarray as _asarray
from ._out import finish as _finish
from ._shape import ravel as _ravel

__all__ = ["take", "take_along_axis", "sort", "partition"]


def take_along_axis(arr, indices, axis):
    """Differentiable numpy.take_along_axis (a negative index counts from the end)."""
    indices = _np.asarray(_data(indices))
    if axis is None:
        return _ix.take_along_axis(_ravel(_asarray(arr)), _np.ravel(indices), 0)
    return _ix.take_along_axis(_asarray(arr), indices, axis)


def take(a, indices, axis=None, out=None, mode="raise"):
    """Differentiable numpy.take (``mode`` 'raise', 'wrap' or 'clip'; ``out`` written)."""
    return _finish(_take(_asarray(a), indices, axis, mode), out)


def _take(a, indices, axis, mode):
    if mode not in ("raise", "wrap", "clip"):
        raise ValueError(f"clipmode must be one of 'clip', 'raise', or 'wrap' (got {mode!r})")
    if mode != "raise":
        n = a._data.size if axis is None else _np.shape(_data(a))[axis]
        idx = _np.asarray(_data(indices))
        indices = idx % n if mode == "wrap" else _np.clip(idx, 0, n - 1)
    if axis is None:
        return _ix.getitem(_ravel(a), _data(indices))
    lead = (slice(None),) * (axis % _np.ndim(_data(a)))
    return _ix.getitem(a, lead + (_np.asarray(_data(indices)),))


def sort(a, axis=-1, kind=None, order=None, *, stable=None):
    """Sorted values; the gradient goes back to where each value came from."""
    if order is not None:
        raise NotImplementedError("chainrule.numpy.sort: order= (structured arrays) is not "
                                  "supported")
    a = _asarray(a)
    if stable:
        kind = "stable"
    if axis is None:
        a, axis = _ravel(a), 0
    indices = _np.argsort(_data(a), axis=axis, kind=kind)
    return take_along_axis(a, indices, axis)


def partition(a, kth, axis=-1, kind="introselect", order=None):
    if order is not None:
        raise NotImplementedError("chainrule.numpy.partition: order= is not supported")
    a = _asarray(a)
    if axis is None:
        a, axis = _ravel(a), 0
    return take_along_axis(a, _np.argpartition(_data(a), kth, axis=axis), axis)
