"""Tensor constructors, with PyTorch's names and defaults, and PyTorch's argument checks:
a negative size, a zero step or an empty range raises OpError naming the function."""
from __future__ import annotations as _annotations

import math as _math
import operator as _operator
from typing import Any as _Any

import numpy as _np

from . import _backend
from .autograd.tensor import _check_can_require_grad
from .autograd.tensor import Tensor as _Tensor
from .autograd.tensor import make_tensor as _make_tensor
from .errors import OpError as _OpError
from .errors import OpTypeError as _OpTypeError
from .ops._util import check_size as _check_size
from .ops._util import size_arg as _size_arg

__all__ = ["tensor", "as_tensor", "asarray", "from_numpy", "zeros", "ones", "empty", "full",
           "arange",
           "linspace", "eye", "rand", "randn", "randint", "zeros_like", "ones_like",
           "empty_like", "rand_like", "randn_like", "full_like", "randint_like"]


def _finish(data, requires_grad: bool, device, name=None, op="tensor") -> _Tensor:
    _backend.normalize_device(device)
    if requires_grad:
        _check_can_require_grad(data.dtype, op)
    t = _make_tensor(data, None, bool(requires_grad))
    t.name = name
    return t


def _float(dtype):
    return _np.dtype(dtype) if dtype is not None else _backend.get_default_dtype()


def tensor(data: _Any, dtype=None, device=None, requires_grad: bool = False,
           name: str | None = None) -> _Tensor:
    """A new tensor holding a copy of ``data``.

    >>> tensor([[1., 2.], [3., 4.]], requires_grad=True)
    tensor([[1., 2.],
            [3., 4.]], requires_grad=True)
    """
    return _Tensor(data, dtype=dtype, device=device, requires_grad=requires_grad, name=name)


def as_tensor(data: _Any, dtype=None, device=None) -> _Tensor:
    """``data`` as a tensor, sharing memory where it can (a tensor or NumPy array already
    of ``dtype``), else a converted copy, as ``torch.as_tensor``.

    >>> import numpy as np
    >>> a = np.zeros(2, dtype=np.float32)
    >>> as_tensor(a)[0] = 1; a
    array([1., 0.], dtype=float32)
    """
    if device is not None:
        _backend.normalize_device(device)
    if isinstance(data, _Tensor):
        return data if dtype is None or data.dtype == _np.dtype(dtype) else data.to(dtype)
    if isinstance(data, _np.ndarray) and (dtype is None or data.dtype == _np.dtype(dtype)):
        if data.dtype.kind in "biufc":
            return _make_tensor(data)
    return tensor(data, dtype=dtype)


def asarray(obj: _Any, *, dtype=None, device=None, copy=None, requires_grad=False) -> _Tensor:
    """``torch.asarray``: ``as_tensor``, or a copy when ``copy=True``."""
    t = tensor(obj, dtype=dtype) if copy else as_tensor(obj, dtype, device)
    if copy is False and isinstance(obj, _np.ndarray) and t._data is not obj:
        raise ValueError("asarray: copy=False, but converting the array needs a copy")
    return t.requires_grad_(requires_grad) if requires_grad else t


def from_numpy(array: _np.ndarray) -> _Tensor:
    """A tensor sharing memory with ``array`` (changes to one show in the other)."""
    if not isinstance(array, _np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
    return _make_tensor(array)


def _new(op: str, make, shape: tuple, *args, **kwargs):
    """``make(shape, *args, **kwargs)``, NumPy's constructor: it refuses a negative size
    itself, so only its error is reworded (a valid size pays for no check)."""
    try:
        return make(shape, *args, **kwargs)
    except ValueError:
        _check_size(op, shape)  # raises, naming the negative size
        raise


def zeros(*size, dtype=None, device=None, requires_grad=False) -> _Tensor:
    """A tensor of zeros: ``zeros(2, 3)`` or ``zeros((2, 3))``."""
    data = _new("zeros", _np.zeros, _size_arg("zeros", size), _float(dtype))
    return _finish(data, requires_grad, device)


def ones(*size, dtype=None, device=None, requires_grad=False) -> _Tensor:
    """A tensor of ones."""
    data = _new("ones", _np.ones, _size_arg("ones", size), _float(dtype))
    return _finish(data, requires_grad, device)


def empty(*size, dtype=None, device=None, requires_grad=False) -> _Tensor:
    """An uninitialized tensor."""
    data = _new("empty", _np.empty, _size_arg("empty", size), _float(dtype))
    return _finish(data, requires_grad, device)


def full(size, fill_value, dtype=None, device=None, requires_grad=False) -> _Tensor:
    """A tensor filled with ``fill_value`` (its dtype inferred from the value as PyTorch
    does: float -> default float, int -> int64, bool -> bool)."""
    if dtype is None:
        dtype = (_np.bool_ if isinstance(fill_value, (bool, _np.bool_)) else
                 _np.int64 if isinstance(fill_value, (int, _np.integer)) else _float(None))
    data = _new("full", _np.full, _size_arg("full", (size,)), fill_value, dtype)
    return _finish(data, requires_grad, device)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False) -> _Tensor:
    """Values from ``start`` up to (not including) ``end``; ints give int64, floats the
    default float dtype. ``step`` must be nonzero and point from ``start`` to ``end``. As
    in PyTorch, an integer dtype truncates the bounds and step to ints first, and a float
    one computes ``start + i * step`` in float64 before rounding to it."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        is_int = all(isinstance(v, (int, _np.integer)) for v in (start, end, step))
        dtype = _np.int64 if is_int else _float(None)
    dtype = _np.dtype(dtype)
    if dtype.kind == "b":
        raise _OpError("arange: dtype bool is not supported; use an integer dtype and "
                       "compare, or cast the result")
    if not all(_math.isfinite(v) for v in (start, end, step)):
        raise _OpError(f"arange: unsupported range {start} -> {end} with step {step}; the "
                       f"bounds and step must be finite")
    # PyTorch checks the arguments as given, then truncates them for an integer dtype.
    if step == 0:
        raise _OpError(f"arange: step must be nonzero (start={start}, end={end})")
    if dtype.kind in "iu" and int(step) == 0:
        raise _OpError(f"arange: step {step} truncates to 0 in {dtype}; step must be nonzero "
                       f"(use a float dtype for fractional steps)")
    if (end - start) * step < 0:
        raise _OpError(f"arange: the range {start} -> {end} goes the other way from step "
                       f"{step}; flip the sign of step, or swap start and end")
    if dtype.kind in "iu":
        start, end, step = int(start), int(end), int(step)
        data = _np.arange(start, end, step, dtype=dtype)
    else:
        n = _math.ceil((end - start) / step)
        data = (_np.arange(n, dtype=_np.float64) * step + start).astype(dtype)
    return _finish(data, requires_grad, device)


def linspace(start, end, steps: int, dtype=None, device=None, requires_grad=False) -> _Tensor:
    """``steps`` (>= 0) evenly spaced values from ``start`` to ``end`` inclusive."""
    steps = _count("linspace", "steps", steps)
    dtype = _float(dtype)
    if dtype.kind == "b" and steps:  # (PyTorch lets an empty one through)
        raise _OpError("linspace: dtype bool is not supported; use a numeric dtype")
    if dtype.kind in "iu":
        data = _int_linspace(start, end, steps).astype(dtype)
    else:
        data = _np.linspace(start, end, steps, dtype=dtype)
    return _finish(data, requires_grad, device)


def _int_linspace(start, end, steps: int):
    """PyTorch's integer linspace, in float64 before truncation: the bounds are truncated
    to ints first, and the second half counts back from ``end`` (NumPy floors instead)."""
    start, end = int(start), int(end)
    if steps <= 1:
        return _np.full(steps, start, dtype=_np.float64)
    i = _np.arange(steps, dtype=_np.float64)
    step = (end - start) / (steps - 1)
    return _np.where(i < steps // 2, start + step * i, end - step * (steps - 1 - i))


def _count(op: str, name: str, n) -> int:
    """A non-negative int argument (a size given on its own)."""
    try:
        n = _operator.index(n)
    except TypeError:
        raise _OpTypeError(f"{op}: {name} must be an int, got {type(n).__name__}") from None
    if n < 0:
        raise _OpError(f"{op}: {name} must be >= 0, got {n}")
    return n


def eye(n: int, m: int | None = None, dtype=None, device=None, requires_grad=False) -> _Tensor:
    """The identity matrix (n x m)."""
    n = _count("eye", "n", n)
    m = n if m is None else _count("eye", "m", m)
    return _finish(_np.eye(n, m, dtype=_float(dtype)), requires_grad, device)


def _random_float(op: str, dtype, shape: tuple, even_empty: bool):
    """The dtype of rand/randn: floating (PyTorch has no integer uniform or normal; its
    randn only notices when there is a sample to draw, its rand always)."""
    dtype = _float(dtype)
    if dtype.kind not in "fc" and (even_empty or _math.prod(shape)):
        raise _OpTypeError(f"{op}: samples need a floating dtype, got {dtype}; use randint "
                           f"for integers")
    return dtype


def rand(*size, dtype=None, device=None, requires_grad=False) -> _Tensor:
    """Uniform samples in [0, 1); reproducible with ``manual_seed``."""
    shape = _size_arg("rand", size)
    dtype = _random_float("rand", dtype, shape, even_empty=True)
    data = _new("rand", _backend.generator().random, shape, dtype=_np.float64)
    return _finish(data.astype(dtype, copy=False), requires_grad, device)


def randn(*size, dtype=None, device=None, requires_grad=False) -> _Tensor:
    """Standard normal samples; reproducible with ``manual_seed``."""
    shape = _size_arg("randn", size)
    dtype = _random_float("randn", dtype, shape, even_empty=False)
    data = _new("randn", _backend.generator().standard_normal, shape)
    return _finish(data.astype(dtype, copy=False), requires_grad, device)


def randint(low, high=None, size=(), dtype=None, device=None, requires_grad=False) -> _Tensor:
    """Integers in [low, high) (``randint(high, size)`` also works); low < high."""
    if high is None:
        low, high = 0, low
    elif isinstance(high, (tuple, list)):
        low, high, size = 0, low, high
    size = _size_arg("randint", (size,))
    low, high = _count_or_int("randint", "low", low), _count_or_int("randint", "high", high)
    if low >= high:
        raise _OpError(f"randint: low must be less than high, got low={low} >= high={high}")
    data = _new("randint", lambda shape: _backend.generator().integers(low, high, size=shape),
                size)
    return _finish(data.astype(dtype or _np.int64), requires_grad, device)


def _count_or_int(op: str, name: str, v) -> int:
    try:
        return _operator.index(v)
    except TypeError:
        raise _OpTypeError(f"{op}: {name} must be an int, got {type(v).__name__}") from None


def _like(fn):
    def like(x, dtype=None, device=None, requires_grad=False, **kwargs):
        shape = x.shape
        dtype = dtype if dtype is not None else x.dtype
        data = fn(tuple(shape), **kwargs)._data.astype(dtype, copy=False)
        return _finish(data, requires_grad, device)
    like.__name__ = fn.__name__ + "_like"
    like.__doc__ = f"{fn.__name__} with the shape (and by default the dtype) of ``x``."
    return like


zeros_like = _like(zeros)
ones_like = _like(ones)
empty_like = _like(empty)
rand_like = _like(rand)
randn_like = _like(randn)


def full_like(x, fill_value, dtype=None, device=None, requires_grad=False) -> _Tensor:
    """A tensor shaped like ``x`` filled with ``fill_value``."""
    dtype = dtype if dtype is not None else x.dtype
    return _finish(_np.full(x.shape, fill_value, dtype), requires_grad, device)


def randint_like(x, low, high=None, dtype=None, device=None, requires_grad=False) -> _Tensor:
    return randint(low, high, x.shape, dtype=dtype or x.dtype, device=device)
