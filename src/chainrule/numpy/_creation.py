"""NumPy's constants and dtypes, and the functions that make arrays: ``asarray``,
``zeros``, ``ones``, the ``*_like`` family, ``copy``."""
from __future__ import annotations as _annotations

import numpy as _np

from ..autograd.tensor import Tensor as _Tensor
from ..autograd.tensor import make_tensor as _make
from ..creation import tensor as _tensor
from ..ops import shape as _sh
from ..ops._util import data_of as _data

__all__ = ["pi", "e", "inf", "nan", "newaxis", "float16", "float32", "float64", "int8",
           "int16", "int32", "int64", "uint8", "bool_", "array", "asarray", "zeros", "ones",
           "zeros_like", "ones_like", "full_like", "copy", "eye"]

pi, e, inf, nan, newaxis = _np.pi, _np.e, _np.inf, _np.nan, _np.newaxis
float16, float32, float64 = _np.float16, _np.float32, _np.float64
int8, int16, int32, int64 = _np.int8, _np.int16, _np.int32, _np.int64
uint8, bool_ = _np.uint8, _np.bool_

array = _tensor


def asarray(a, dtype=None):
    if isinstance(a, _Tensor):
        return a if dtype is None else _sh.cast(a, dtype)
    return _make(_np.asarray(a, dtype=dtype))


def zeros(shape, dtype=float):
    return _make(_np.zeros(shape, dtype))


def ones(shape, dtype=float):
    return _make(_np.ones(shape, dtype))


def eye(N, M=None, k=0, dtype=float):
    """The identity matrix (a constant: no gradient), as ``numpy.eye``."""
    return _make(_np.eye(N, M, k, dtype=dtype))


def zeros_like(a, dtype=None):
    return _make(_np.zeros_like(_data(a), dtype=dtype))


def ones_like(a, dtype=None):
    return _make(_np.ones_like(_data(a), dtype=dtype))


def full_like(a, fill_value, dtype=None):
    return _make(_np.full_like(_data(a), fill_value, dtype=dtype))


def copy(a, order="K"):
    return _sh.clone(a) if isinstance(a, _Tensor) else asarray(_np.copy(a))
