"""NumPy's constants and dtypes, and the functions that make arrays: ``array``,
``asarray``, ``zeros``, ``ones``, the ``*_like`` family, ``copy``, ``eye``.

As in NumPy, Python floats become float64 and nested lists become arrays; a list holding
traced tensors becomes a traced array (stacked), so gradients flow through it.

>>> import chainrule as cr, chainrule.numpy as cnp
>>> x = cr.tensor(2.0, dtype="float64", requires_grad=True)
>>> cnp.array([x, 3.0]).requires_grad
True
"""
from __future__ import annotations as _annotations

import numpy as _np

from ..autograd.tensor import Tensor as _Tensor
from ..autograd.tensor import make_tensor as _make
from ..ops import shape as _sh
from ..ops._util import data_of as _data

__all__ = ["pi", "e", "inf", "nan", "newaxis", "float16", "float32", "float64", "int8",
           "int16", "int32", "int64", "uint8", "bool_", "array", "asarray", "zeros", "ones",
           "zeros_like", "ones_like", "full_like", "copy", "eye"]

pi, e, inf, nan, newaxis = _np.pi, _np.e, _np.inf, _np.nan, _np.newaxis
float16, float32, float64 = _np.float16, _np.float32, _np.float64
int8, int16, int32, int64 = _np.int8, _np.int16, _np.int32, _np.int64
uint8, bool_ = _np.uint8, _np.bool_


def _holds_tensor(a) -> bool:
    if isinstance(a, _Tensor):
        return True
    return isinstance(a, (list, tuple)) and any(_holds_tensor(x) for x in a)


def _stacked(a):
    """A (nested) list holding tensors, as one tensor: the parts stacked, in the dtype
    NumPy would give the list (a Python float counts as float64)."""
    if not isinstance(a, (list, tuple)):
        return a if isinstance(a, _Tensor) else _make(_np.asarray(a))
    if not a:
        return _make(_np.asarray(a, dtype=float))
    parts = [_stacked(x) for x in a]
    shapes = {tuple(p.shape) for p in parts}
    if len(shapes) != 1:
        raise ValueError(f"setting an array element with a sequence: the parts have shapes "
                         f"{sorted(shapes)} (an inhomogeneous list)")
    dtype = _np.result_type(*(p._data.dtype for p in parts))
    return _sh.stack([_sh.cast(p, dtype) for p in parts], 0)


def asarray(a, dtype=None, order=None, *, copy=None, like=None):
    """``a`` as a tensor: a tensor as it is (cast to ``dtype``), anything else as
    ``numpy.asarray`` makes it; a list holding tensors is stacked (gradients flow)."""
    if order not in (None, "C", "K", "A"):
        raise NotImplementedError(f"chainrule.numpy.asarray: order={order!r} is not supported; "
                                  f"arrays are C-ordered")
    if like is not None:
        raise TypeError("chainrule.numpy.asarray: like= is not supported")
    if isinstance(a, _Tensor):
        out = a if dtype is None else _sh.cast(a, dtype)
        return _sh.clone(out) if copy and out is a else out
    if _holds_tensor(a):
        out = _stacked(a)
        return out if dtype is None else _sh.cast(out, dtype)
    if copy is False:
        raise ValueError("chainrule.numpy.asarray: copy=False cannot be honoured for "
                         f"{type(a).__name__} input")
    return _make(_np.array(a, dtype=dtype))


def array(object, dtype=None, *, copy=True, order="K", subok=False, ndmin=0, like=None):
    """``numpy.array``: a new array (a copy, still in the graph, for a tensor); float64 for
    Python floats; a list holding tensors is stacked so gradients flow through it."""
    if subok:
        raise TypeError("chainrule.numpy.array: subok=True is not supported")
    out = asarray(object, dtype, order, copy=None, like=like)
    if copy and (out is object):
        out = _sh.clone(out)
    nd = out._data.ndim
    if ndmin > nd:
        out = _sh.reshape(out, (1,) * (ndmin - nd) + tuple(out.shape))
    return out


def _no_like(name, like):
    if like is not None:
        raise TypeError(f"chainrule.numpy.{name}: like= is not supported")


def zeros(shape, dtype=float, order="C", *, like=None):
    _no_like("zeros", like)
    return _make(_np.zeros(shape, dtype, order))


def ones(shape, dtype=float, order="C", *, like=None):
    _no_like("ones", like)
    return _make(_np.ones(shape, dtype, order))


def eye(N, M=None, k=0, dtype=float, order="C", *, like=None):
    """The identity matrix (a constant: no gradient), as ``numpy.eye``."""
    _no_like("eye", like)
    return _make(_np.eye(N, M, k, dtype=dtype, order=order))


def zeros_like(a, dtype=None, order="K", subok=True, shape=None):
    return _make(_np.zeros_like(_data(a), dtype=dtype, order=order, shape=shape))


def ones_like(a, dtype=None, order="K", subok=True, shape=None):
    return _make(_np.ones_like(_data(a), dtype=dtype, order=order, shape=shape))


def full_like(a, fill_value, dtype=None, order="K", subok=True, shape=None):
    """``numpy.full_like``; a traced ``fill_value`` keeps its gradient (broadcast)."""
    if isinstance(fill_value, _Tensor):
        base = _np.empty_like(_data(a), dtype=dtype, shape=shape)
        return _sh.broadcast_to(_sh.cast(fill_value, base.dtype), base.shape)
    return _make(_np.full_like(_data(a), fill_value, dtype=dtype, order=order, shape=shape))


def copy(a, order="K", subok=False):
    """A copy; gradients flow through it."""
    return _sh.clone(a) if isinstance(a, _Tensor) else asarray(_np.copy(a, order=order))


def __dir__():
    return __all__
