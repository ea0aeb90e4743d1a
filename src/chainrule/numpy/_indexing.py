"""Indexing and sorting functions: ``take``, ``take_along_axis``, ``sort``, ``partition``.
The gradient of a value goes back to the place it was taken from."""
from __future__ import annotations as _annotations

import numpy as _np

from ..ops import index as _ix
from ..ops._util import data_of as _data
from ._shape import ravel as _ravel

__all__ = ["take", "take_along_axis", "sort", "partition"]


def take_along_axis(arr, indices, axis):
    """Differentiable numpy.take_along_axis (a negative index counts from the end)."""
    return _ix.take_along_axis(arr, indices, axis)


def take(a, indices, axis=None):
    if axis is None:
        return _ix.getitem(_ravel(a), _data(indices))
    lead = (slice(None),) * (axis % _np.ndim(_data(a)))
    return _ix.getitem(a, lead + (_np.asarray(_data(indices)),))


def sort(a, axis=-1, kind=None, order=None):
    """Sorted values; the gradient goes back to where each value came from."""
    if axis is None:
        a, axis = _ravel(a), 0
    indices = _np.argsort(_data(a), axis=axis, kind=kind)
    return take_along_axis(a, indices, axis)


def partition(a, kth, axis=-1):
    if axis is None:
        a, axis = _ravel(a), 0
    return take_along_axis(a, _np.argpartition(_data(a), kth, axis=axis), axis)
