"""NumPy as rules and forwards see it on the CPU: the whole ``numpy`` namespace, with the
functions whose Python-level wrappers dominate small-array cost (np.sum, np.reshape,
np.broadcast_to, ... cost several microseconds each) replaced by direct ufunc and method
calls. Same names, same semantics for the arguments the rules pass.
"""
from __future__ import annotations

import numpy as _np
from numpy import fft, lib, linalg  # noqa: F401  (NumPy 2 loads these lazily: bind them)

globals().update({k: v for k, v in vars(_np).items() if not k.startswith("__")})

_add_reduce = _np.add.reduce
_max_reduce = _np.maximum.reduce
_min_reduce = _np.minimum.reduce
_mul_reduce = _np.multiply.reduce
_empty = _np.empty
_zeros = _np.zeros


def sum(a, axis=None, dtype=None, out=None, keepdims=False):
    return _add_reduce(a, axis=axis, dtype=dtype, out=out, keepdims=keepdims)


def prod(a, axis=None, dtype=None, out=None, keepdims=False):
    return _mul_reduce(a, axis=axis, dtype=dtype, out=out, keepdims=keepdims)


def amax(a, axis=None, out=None, keepdims=False):
    return _max_reduce(a, axis=axis, out=out, keepdims=keepdims)


def amin(a, axis=None, out=None, keepdims=False):
    return _min_reduce(a, axis=axis, out=out, keepdims=keepdims)


def mean(a, axis=None, dtype=None, out=None, keepdims=False):
    if a.dtype == _np.float16:  # NumPy accumulates float16 in float32; keep that
        return _np.mean(a, axis=axis, keepdims=keepdims)
    total = _add_reduce(a, axis=axis, keepdims=keepdims)
    n = a.size if axis is None else _count(a.shape, axis)
    return _np.true_divide(total, n, dtype=total.dtype if a.dtype.kind == "f" else None)


def _count(shape, axis):
    if isinstance(axis, int):
        return shape[axis]
    n = 1
    for i in axis:
        n *= shape[i]
    return n


def reshape(a, shape, order="C"):
    return a.reshape(shape)


def broadcast_to(a, shape):
    # A writable copy rather than a read-only view: rules use it as a fresh gradient.
    out = _empty(shape, dtype=_np.result_type(a))
    out[...] = a
    return out


def transpose(a, axes=None):
    return a.transpose(axes)


def swapaxes(a, axis1, axis2):
    return a.swapaxes(axis1, axis2)


def expand_dims(a, axis):
    shape = list(a.shape)
    shape.insert(axis if axis >= 0 else len(shape) + axis + 1, 1)
    return a.reshape(shape)


def zeros_like(a, dtype=None, shape=None):
    return _zeros(a.shape if shape is None else shape, dtype=a.dtype if dtype is None else dtype)


def ones_like(a, dtype=None, shape=None):
    out = _empty(a.shape if shape is None else shape, dtype=a.dtype if dtype is None else dtype)
    out.fill(1)
    return out


def cumsum(a, axis=None):
    return a.cumsum(axis)


def cumprod(a, axis=None):
    return a.cumprod(axis)


def __getattr__(name):
    # ``special``: SciPy's special functions (the scipy extra), imported on first use, as
    # the CPU backend's special-function library; None without SciPy.
    if name == "special":
        try:
            import scipy.special as special
        except ImportError:
            return None
        globals()["special"] = special
        return special
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
