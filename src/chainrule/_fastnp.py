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


_ZEROS_MAX = 1 << 22  # elements: what one kept buffer of zeros may grow to, per dtype
_zero_buffers = {}  # dtype -> a read-only flat array of zeros, as long as the largest input
_buffer_zeros = _np.zeros  # (a name no trace wraps: the kept buffer is never a traced array)


def zero_operand(xp, x):
    """The 0 of ``maximum(x, 0)`` and ``minimum(x, 0)`` as NumPy runs them fastest, with the
    same bits in the result (NaN kept, -0.0 -> +0.0): read-only zeros of ``x``'s shape. Why:
    NumPy's SIMD loops for maximum and minimum take two arrays, and a scalar operand costs
    2.7x as much (NumPy 2.4: 94 against 35 us on 300 k float32; 1.3 against 0.5 us on 2 k).
    A view of one kept buffer per dtype; an ndarray subclass (a compiling trace's) gets
    zeros from its namespace ``xp``, which the trace folds into a constant of the program.
    The scalar 0 where neither applies (not a C-contiguous array, or a very large one)."""
    if not isinstance(x, _np.ndarray) or not x.flags.c_contiguous or x.size > _ZEROS_MAX:
        return 0
    if x.__class__ is not _np.ndarray:
        return xp.zeros(x.shape, x.dtype)
    buf = _zero_buffers.get(x.dtype)
    if buf is None or buf.size < x.size:
        buf = _buffer_zeros(x.size if x.size > 4096 else 4096, x.dtype)  # (max: NumPy's here)
        buf.flags.writeable = False
        _zero_buffers[x.dtype] = buf
    return buf[:x.size].reshape(x.shape)


_SELECT_MIN = 16384  # elements: below, np.where's own loop costs about as much or less
_UINT = {2: _np.uint16, 4: _np.uint32, 8: _np.uint64}


def where(condition, x=None, y=None):
    """``np.where``; on a large boolean mask with float operands of its shape, a select by
    bit masks, with the same bits in the result. Why: np.where branches on every element,
    and on an unpredictable mask (ReLU's, dropout's) it pays a misprediction each time
    (NumPy 2.4: 1.1 ms on 300 k float32, against 90 us for the five branch-free calls)."""
    if y is None:  # (np.where's operands are both given or neither; None is no operand)
        return _np.where(condition) if x is None else _np.where(condition, x, y)
    # (the size first: small masks, most of a small network's, pay one check)
    if isinstance(condition, _np.ndarray) and condition.size >= _SELECT_MIN:
        out = _select(condition, x, y)
        if out is not None:
            return out
    return _np.where(condition, x, y)


def _select(c, x, y):
    """``y ^ ((x ^ y) & mask)`` on the bit patterns, mask all ones where ``c`` (a large
    array: ``where`` checked): None where that is not np.where's result for sure (other
    dtypes, shapes, layouts, or a Python number that the array's dtype does not hold
    exactly)."""
    # (isinstance: a compiling trace's arrays, an ndarray subclass, record these calls too)
    if c.dtype != bool or not c.flags.c_contiguous:
        return None
    arr = x if isinstance(x, _np.ndarray) else y
    if not isinstance(arr, _np.ndarray) or arr.dtype.kind != "f" or \
            arr.dtype.itemsize not in _UINT:
        return None
    dtype, uint = arr.dtype, _UINT[arr.dtype.itemsize]
    bits = []
    for v in (x, y):
        if isinstance(v, _np.ndarray):
            if v.dtype != dtype or v.shape != c.shape or not v.flags.c_contiguous:
                return None
            bits.append(v.view(uint))
        elif v.__class__ is float or v.__class__ is int:  # weak: the array's dtype (NEP 50)
            scalar = dtype.type(v)
            if scalar != v:
                return None
            bits.append(scalar.view(uint))
        else:
            return None
    bx, by = bits
    mask = c.view(_np.uint8).astype(uint)
    if not isinstance(by, _np.ndarray) and not by:  # where(c, x, 0): x & mask
        _np.negative(mask, out=mask)  # 1 -> all ones
        return _np.bitwise_and(bx, mask, out=mask).view(dtype)
    if not isinstance(bx, _np.ndarray) and not bx:  # where(c, 0, y): y & ~mask
        _np.subtract(mask, 1, out=mask)  # 0 -> all ones, 1 -> 0
        return _np.bitwise_and(by, mask, out=mask).view(dtype)
    _np.negative(mask, out=mask)
    out = _np.bitwise_xor(bx, by)
    _np.bitwise_and(out, mask, out=out)
    return _np.bitwise_xor(out, by, out=out).view(dtype)


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
