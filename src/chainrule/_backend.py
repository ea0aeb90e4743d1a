"""Devices and dtypes: which array module holds a tensor's data, and the dtype defaults.

The CPU runs on NumPy; CUDA (later) on CuPy, imported only when asked for.
"""
from __future__ import annotations

import numpy as np

from . import _fastnp
from .errors import OpTypeError

float16, float32, float64 = np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64)
int8, int16, int32, int64 = (np.dtype(np.int8), np.dtype(np.int16), np.dtype(np.int32),
                              np.dtype(np.int64))
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


# ----- PyTorch's type promotion -------------------------------------------------------------
# Tensor code follows PyTorch, not NumPy: float32 with int64 stays float32, an integer tensor
# with a Python float becomes the default float dtype, and a 0-d tensor or a Python number
# only counts when its category is higher than that of every dimensioned operand.
_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}  # bool < integer < floating < complex
# PyTorch promotes these unsigned types with no other integer or bool dtype.
_LIMITED_UNSIGNED = frozenset(np.dtype(t) for t in ("uint16", "uint32", "uint64"))
_TO_COMPLEX = {float32: complex64, float64: complex128}


def default_complex_dtype() -> np.dtype:
    """The dtype Python complex numbers become: complex64, or complex128 when the default
    float dtype is float64 (as in PyTorch)."""
    return complex128 if _default_float == float64 else complex64


def promote_types(a, b) -> np.dtype:
    """``torch.promote_types``: the smallest dtype both ``a`` and ``b`` convert to. Across
    categories the higher one's dtype wins (int64 with float16 is float16, not NumPy's
    float64); within one it is NumPy's rule.

    >>> promote_types(np.int64, np.float16), promote_types(np.uint8, np.int8)
    (dtype('float16'), dtype('int16'))
    """
    a, b = np.dtype(a), np.dtype(b)
    if a == b:
        return a
    ca, cb = _CATEGORY[a.kind], _CATEGORY[b.kind]
    if ca <= 1 and cb <= 1 and (a in _LIMITED_UNSIGNED or b in _LIMITED_UNSIGNED):
        raise OpTypeError(f"type promotion: {a} and {b} do not promote (PyTorch promotes "
                          f"uint16, uint32 and uint64 with no other integer or bool dtype); "
                          f"convert one operand with .to() first")
    if ca != cb:
        high, low = (a, b) if ca > cb else (b, a)
        if high.kind == "c" and low.kind == "f":
            return np.promote_types(high, low)  # complex64 with float64 is complex128
        return high
    return np.promote_types(a, b)


def scalar_dtype(value) -> np.dtype:
    """The dtype a Python (or NumPy) number takes part in promotion with: bool, int64, the
    default float dtype or the default complex dtype, by its kind (PyTorch's wrapped
    numbers)."""
    if isinstance(value, np.generic):
        kind = value.dtype.kind
    else:
        kind = {bool: "b", int: "i", float: "f", complex: "c"}.get(type(value))
        if kind is None:  # int, float, complex subclasses
            kind = ("b" if isinstance(value, bool) else "i" if isinstance(value, int) else
                    "f" if isinstance(value, float) else "c")
    if kind == "f":
        return _default_float
    if kind == "c":
        return default_complex_dtype()
    return bool_ if kind == "b" else int64


def _combine(higher, lower):
    """PyTorch's ``combine_categories``: ``lower`` (0-d tensors, numbers) counts only if its
    category is above ``higher``'s (the dimensioned operands')."""
    if higher is None:
        return lower
    if lower is None or higher.kind == "c":
        return higher
    if lower.kind == "c":
        if higher.kind != "f":
            return lower
        complex_type = _TO_COMPLEX.get(higher)
        if complex_type is None:
            raise OpTypeError(f"type promotion: {higher} with a complex number would be "
                              f"complex32, which chainrule does not support; convert to "
                              f"float32 first")
        return complex_type
    if higher.kind == "f":
        return higher
    if higher.kind == "b" or lower.kind == "f":
        return promote_types(higher, lower)
    return higher


def result_type(*operands) -> np.dtype:
    """``torch.result_type`` for arrays (a tensor's data) and numbers: dimensioned arrays
    promote fully; 0-d arrays only when their category is above the dimensioned ones';
    numbers only when theirs is above both (a float is the default float dtype, a complex
    the default complex dtype, an int int64).

    >>> result_type(np.ones(2, np.float32), np.ones(2, np.int64))
    dtype('float32')
    >>> result_type(np.ones(2, np.int32), 2.5), result_type(np.ones(2, np.int32), 7)
    (dtype('float32'), dtype('int32'))
    """
    dims = zeros = numbers = None
    for a in operands:
        if a is None:
            continue
        dtype = getattr(a, "dtype", None)
        if dtype is None or isinstance(a, np.generic):
            d = scalar_dtype(a)
            numbers = d if numbers is None else promote_types(numbers, d)
        elif a.ndim:
            dims = dtype if dims is None else promote_types(dims, dtype)
        else:
            zeros = dtype if zeros is None else promote_types(zeros, dtype)
    return _combine(dims, _combine(zeros, numbers))


def array_module(array):
    """numpy for NumPy arrays and scalars, cupy for CuPy arrays."""
    if type(array).__module__.startswith("cupy"):
        import cupy
        return cupy
    return np


# NumPy's own array classes: ndarray, and the ndarray subclass a compiling trace gives code
# (chainrule.compiler adds it). Code with a NumPy-only path asks ``type(x) in NUMPY_ARRAYS``:
# exact types, so that any other array-like (CuPy's, a test's checking subclass) takes the
# namespace's route.
NUMPY_ARRAYS = {np.ndarray}


def rule_namespace(array):
    """The namespace VJP rules get for raw arrays: NumPy with fast paths on the CPU."""
    if type(array) is np.ndarray:
        return _fastnp
    if type(array).__module__.startswith("cupy"):
        import cupy
        return cupy
    return _fastnp


def special_functions(xp):
    """The special-function library (erf, expit, gammaln, polygamma) of the namespace
    ``xp``: its ``special`` attribute (SciPy's for NumPy, when the scipy extra is there),
    ``cupyx.scipy.special`` for CuPy; None when it has none."""
    special = getattr(xp, "special", None)
    if special is None and getattr(xp, "__name__", "").startswith("cupy"):
        import cupyx.scipy.special as special
    return special


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
