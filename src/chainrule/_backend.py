"""Devices and dtypes: which array module holds a tensor's data, and the dtype defaults.

The CPU runs on NumPy; CUDA (later) on CuPy, imported only when asked for.
"""
from __future__ import annotations

import numpy as np

from . import _fastnp

float16, float32, float64 = np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64)
int8, int16, int32, int64 = np.dtype(np.int8), np.dtype(np.int16), np.dtype(np.int32), np.dtype(np.int64)
uint8, bool_ = np.dtype(np.uint8), np.dtype(np.bool_)
half, double, long = float16, float64, int64

complex64, complex128 = np.dtype(np.complex64), np.dtype(np.complex128)
FLOAT_DTYPES = frozenset((float16, float32, float64))
COMPLEX_DTYPES = frozenset((complex64, complex128))
DIFFERENTIABLE_DTYPES = FLOAT_DTYPES | COMPLEX_DTYPES

_default_float = float32


def get_default_dtype() -> np.dtype:
    """The dtype that Python floats become (float32 unless changed).

    >>> get_default_dtype()
    dtype('float32')
    """
    return _default_float


def set_default_dtype(dtype) -> None:
    """Make Python floats become ``dtype`` (float32 or float64), as ``torch.set_default_dtype``."""
    global _default_float
    dtype = np.dtype(dtype)
    if dtype not in FLOAT_DTYPES:
        raise TypeError(f"set_default_dtype: only floating dtypes are allowed, got {dtype}")
    _default_float = dtype


def is_floating(dtype) -> bool:
    return dtype in FLOAT_DTYPES


def array_module(array):
    """numpy for NumPy arrays and scalars, cupy for CuPy arrays."""
    if type(array).__module__.startswith("cupy"):
        import cupy
        return cupy
    return np


def rule_namespace(array):
    """The namespace VJP rules get for raw arrays: NumPy with fast paths on the CPU."""
    if type(array) is np.ndarray:
        return _fastnp
    if type(array).__module__.startswith("cupy"):
        import cupy
        return cupy
    return _fastnp


def device_of(array) -> str:
    return "cuda" if type(array).__module__.startswith("cupy") else "cpu"


def normalize_device(device) -> str:
    if device is None:
        return "cpu"
    name = str(device)
    if name == "cpu":
        return name
    if name.startswith("cuda"):
        raise NotImplementedError(
            f"device {name!r}: CUDA tensors are not available yet; use device='cpu'")
    raise ValueError(f"unknown device {name!r}; expected 'cpu' or 'cuda'")


_generator = np.random.default_rng()


def manual_seed(seed: int) -> None:
    """Seed chainrule's random number generator (rand, randn, randint, dropout, init).

    >>> manual_seed(0)
    """
    global _generator
    _generator = np.random.default_rng(seed)


def generator() -> np.random.Generator:
    return _generator
