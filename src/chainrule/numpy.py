"""A NumPy-compatible namespace of differentiable functions: NumPy's names and signatures
(``axis``, ``keepdims``), returning chainrule Tensors.

It is what VJP rules run against when a backward pass is recorded (``create_graph=True``),
and what users may import: ``import chainrule.numpy as cnp``.

>>> import chainrule.numpy as cnp
>>> from chainrule import tensor
>>> cnp.sum(cnp.sin(tensor([0., 0.])), axis=0)
tensor(0.)
"""
from __future__ import annotations

import sys as _sys

import numpy as _np

from .autograd.engine import set_graph_namespace
from .autograd.primitive import apply as _apply
from .autograd.tensor import Tensor as _Tensor
from .autograd.tensor import make_tensor as _make
from .creation import tensor as _tensor
from .ops import elementwise as _ew
from .ops import index as _ix
from .ops import linalg as _linalg
from .ops import reduce as _reduce
from .ops import shape as _sh
from .ops._util import data_of as _data

pi, e, inf, nan, newaxis = _np.pi, _np.e, _np.inf, _np.nan, _np.newaxis
float16, float32, float64 = _np.float16, _np.float32, _np.float64
int8, int16, int32, int64, uint8, bool_ = _np.int8, _np.int16, _np.int32, _np.int64, _np.uint8, _np.bool_


def _unary(prim):
    def fn(x):
        return _apply(prim, (x,))
    fn.__name__ = prim.name
    fn.__doc__ = f"Differentiable numpy.{prim.name}."
    return fn


def _binary(prim):
    def fn(x1, x2):
        return _apply(prim, (x1, x2))
    fn.__name__ = prim.name
    fn.__doc__ = f"Differentiable numpy.{prim.name}."
    return fn


negative, positive, absolute = _unary(_ew.neg), _unary(_ew.positive), _unary(_ew.abs_)
abs = absolute
exp, exp2, expm1 = _unary(_ew.exp), _unary(_ew.exp2), _unary(_ew.expm1)
log, log1p, log2, log10 = _unary(_ew.log), _unary(_ew.log1p), _unary(_ew.log2), _unary(_ew.log10)
sqrt, cbrt, square, reciprocal = (_unary(_ew.sqrt), _unary(_ew.cbrt), _unary(_ew.square),
                                  _unary(_ew.reciprocal))
sin, cos, tan = _unary(_ew.sin), _unary(_ew.cos), _unary(_ew.tan)
arcsin, arccos, arctan = _unary(_ew.arcsin), _unary(_ew.arccos), _unary(_ew.arctan)
sinh, cosh, tanh = _unary(_ew.sinh), _unary(_ew.cosh), _unary(_ew.tanh)
arcsinh, arccosh, arctanh = _unary(_ew.arcsinh), _unary(_ew.arccosh), _unary(_ew.arctanh)
sign, floor, ceil, trunc, rint = (_unary(_ew.sign), _unary(_ew.floor), _unary(_ew.ceil),
                                  _unary(_ew.trunc), _unary(_ew.rint))
fix = trunc
add, subtract, multiply = _binary(_ew.add), _binary(_ew.sub), _binary(_ew.mul)
divide = true_divide = _binary(_ew.div)
power = _binary(_ew.pow_)
maximum, minimum = _binary(_ew.maximum), _binary(_ew.minimum)
fmax, fmin = maximum, minimum
arctan2, hypot, logaddexp = _binary(_ew.arctan2), _binary(_ew.hypot), _binary(_ew.logaddexp)
floor_divide, remainder, fmod = _binary(_ew.floor_divide), _binary(_ew.remainder), _binary(_ew.fmod)
mod = remainder
matmul = _linalg.matmul


def round(a, decimals=0):
    return _ew.round(a, decimals)


around = round


def clip(a, a_min=None, a_max=None):
    return _ew.clamp(a, a_min, a_max)


def where(condition, x=None, y=None):
    """Differentiable in ``x`` and ``y``; with one argument, the indices (no gradient)."""
    if x is None and y is None:
        return tuple(_make(i) for i in _np.nonzero(_data(condition)))
    return _apply(_ew.where_, (_data(condition), x, y))


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


def reshape(a, newshape=None, order="C", *, shape=None):
    if order != "C":
        raise NotImplementedError("chainrule.numpy.reshape: only order='C' is supported")
    target = shape if shape is not None else newshape
    return _sh.reshape(a, target if isinstance(target, (tuple, list)) else (target,))


def ravel(a):
    return _sh.ravel(a)


def transpose(a, axes=None):
    return _sh.permute(a, *(axes or ()))


swapaxes, moveaxis = _sh.swapaxes, _sh.moveaxis
expand_dims = _sh.unsqueeze


def squeeze(a, axis=None):
    return _sh.squeeze(a, axis)


def broadcast_to(array, shape):
    return _sh.broadcast_to(array, shape)


def concatenate(arrays, axis=0):
    return _sh.concatenate(arrays, axis)


def stack(arrays, axis=0):
    return _sh.stack(arrays, axis)


def flip(m, axis=None):
    return _sh.flip(m, axis)


def roll(a, shift, axis=None):
    return _sh.roll(a, shift, axis)


def tile(A, reps):
    return _sh.tile(A, reps)


def pad(array, pad_width, mode="constant", constant_values=0):
    return _sh.pad(array, pad_width, mode, constant_values)


def take_along_axis(arr, indices, axis):
    return _ix.take_along_dim(arr, indices, axis)


def asarray(a, dtype=None):
    if isinstance(a, _Tensor):
        return a if dtype is None else _sh.cast(a, dtype)
    return _make(_np.asarray(a, dtype=dtype))


def zeros(shape, dtype=float):
    return _make(_np.zeros(shape, dtype))


def ones(shape, dtype=float):
    return _make(_np.ones(shape, dtype))


def zeros_like(a, dtype=None):
    return _make(_np.zeros_like(_data(a), dtype=dtype))


def ones_like(a, dtype=None):
    return _make(_np.ones_like(_data(a), dtype=dtype))


def full_like(a, fill_value, dtype=None):
    return _make(_np.full_like(_data(a), fill_value, dtype=dtype))


array = _tensor

set_graph_namespace(_sys.modules[__name__])
