"""Tensor constructors, with PyTorch's names and defaults."""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from . import _backend
from .autograd.tensor import Tensor, _check_can_require_grad, make_tensor
from .ops._util import shape_arg


def _finish(data, requires_grad: bool, device, name=None, op="tensor") -> Tensor:
    _backend.normalize_device(device)
    if requires_grad:
        _check_can_require_grad(data.dtype, op)
    t = make_tensor(data, None, bool(requires_grad))
    t.name = name
    return t


def _float(dtype):
    return np.dtype(dtype) if dtype is not None else _backend.get_default_dtype()


def tensor(data: Any, dtype=None, device=None, requires_grad: bool = False,
           name: Optional[str] = None) -> Tensor:
    """A new tensor holding a copy of ``data``.

    >>> tensor([[1., 2.], [3., 4.]], requires_grad=True)
    tensor([[1., 2.],
            [3., 4.]], requires_grad=True)
    """
    return Tensor(data, dtype=dtype, device=device, requires_grad=requires_grad, name=name)


Variable = Tensor


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``array`` (changes to one show in the other)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
    return make_tensor(array)


def zeros(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A tensor of zeros: ``zeros(2, 3)`` or ``zeros((2, 3))``."""
    return _finish(np.zeros(shape_arg("zeros", size), _float(dtype)), requires_grad, device)


def ones(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A tensor of ones."""
    return _finish(np.ones(shape_arg("ones", size), _float(dtype)), requires_grad, device)


def empty(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    """An uninitialized tensor."""
    return _finish(np.empty(shape_arg("empty", size), _float(dtype)), requires_grad, device)


def full(size, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A tensor filled with ``fill_value`` (its dtype inferred from the value as PyTorch
    does: float -> default float, int -> int64, bool -> bool)."""
    if dtype is None:
        dtype = (np.bool_ if isinstance(fill_value, (bool, np.bool_)) else
                 np.int64 if isinstance(fill_value, (int, np.integer)) else _float(None))
    return _finish(np.full(shape_arg("full", (size,)), fill_value, dtype), requires_grad, device)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Values from ``start`` up to (not including) ``end``; ints give int64, floats the
    default float dtype."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        is_int = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = np.int64 if is_int else _float(None)
    return _finish(np.arange(start, end, step, dtype=dtype), requires_grad, device)


def linspace(start, end, steps: int, dtype=None, device=None, requires_grad=False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    return _finish(np.linspace(start, end, steps, dtype=_float(dtype)), requires_grad, device)


def eye(n: int, m: Optional[int] = None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """The identity matrix (n x m)."""
    return _finish(np.eye(n, m, dtype=_float(dtype)), requires_grad, device)


def rand(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Uniform samples in [0, 1); reproducible with ``manual_seed``."""
    data = _backend.generator().random(shape_arg("rand", size), dtype=np.float64)
    return _finish(data.astype(_float(dtype), copy=False), requires_grad, device)


def randn(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Standard normal samples; reproducible with ``manual_seed``."""
    data = _backend.generator().standard_normal(shape_arg("randn", size))
    return _finish(data.astype(_float(dtype), copy=False), requires_grad, device)


def randint(low, high=None, size=(), dtype=None, device=None, requires_grad=False) -> Tensor:
    """Integers in [low, high) (``randint(high, size)`` also works)."""
    if high is None:
        low, high = 0, low
    elif isinstance(high, (tuple, list)):
        low, high, size = 0, low, high
    data = _backend.generator().integers(low, high, size=tuple(size))
    return _finish(data.astype(dtype or np.int64), requires_grad, device)


def _like(fn):
    def like(x, dtype=None, device=None, requires_grad=False, **kwargs):
        shape = x.shape
        dtype = dtype if dtype is not None else x.dtype
        data = fn(*shape, **kwargs)._data.astype(dtype, copy=False)
        return _finish(data, requires_grad, device)
    like.__name__ = fn.__name__ + "_like"
    like.__doc__ = f"{fn.__name__} with the shape (and by default the dtype) of ``x``."
    return like


zeros_like = _like(zeros)
ones_like = _like(ones)
empty_like = _like(empty)
rand_like = _like(rand)
randn_like = _like(randn)


def full_like(x, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A tensor shaped like ``x`` filled with ``fill_value``."""
    dtype = dtype if dtype is not None else x.dtype
    return _finish(np.full(x.shape, fill_value, dtype), requires_grad, device)


def randint_like(x, low, high=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    return randint(low, high, x.shape, dtype=dtype or x.dtype, device=device)
