"""Argument normalization and the checks shared by the op front-ends.

Every shape op normalizes its dims through :func:`normalize_dim`, every creation op its
size through :func:`size_arg` and :func:`check_size`, and every indexing op checks its index
array through :func:`check_index_dtype` and :func:`check_index_range`, so that one kind of bad
argument gets one kind of error (PyTorch's type, chainrule's message) wherever it is passed."""
from __future__ import annotations

import operator

import numpy as np

from ..autograd.tensor import Tensor
from ..errors import IndexOutOfRangeError, OpError, OpTypeError


def data_of(x):
    return x._data if isinstance(x, Tensor) else x


def ndim_of(x) -> int:
    return x._data.ndim if isinstance(x, Tensor) else getattr(x, "ndim", 0)


def shape_of(x) -> tuple:
    return x._data.shape if isinstance(x, Tensor) else getattr(x, "shape", ())


def pick(op: str, value, alias, alias_name: str, name: str):
    """Accept NumPy's and PyTorch's spelling of one argument (axis/dim, keepdims/keepdim)."""
    if alias is None:
        return value
    if value is not None and value is not False and value != alias:
        raise TypeError(f"{op}: got both {name}={value!r} and {alias_name}={alias!r}; give one")
    return alias


def normalize_dim(op: str, dim, ndim: int, scalar_ok: bool = True) -> int:
    """``dim`` as a non-negative int, for a tensor of ``ndim`` dims (negative dims count from
    the end). A 0-d tensor accepts dim 0 and -1, as PyTorch's ops do, unless ``scalar_ok``
    is False (roll, split, chunk, unbind: ops that need a real dim)."""
    try:
        dim = operator.index(dim)
    except TypeError:
        raise OpTypeError(f"{op}: dim must be an int, got {type(dim).__name__}") from None
    if ndim == 0 and not scalar_ok:
        raise IndexOutOfRangeError(f"{op}: dim {dim} was given but the tensor is 0-d (has no "
                                   f"dimensions); reshape it to 1-d first")
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexOutOfRangeError(f"{op}: dim {dim} is out of range for a tensor of {ndim} "
                                   f"dimensions (expected a dim in [{-n}, {n - 1}])")
    return dim % n


normalize_axis = normalize_dim  # the NumPy spelling, used by the reductions


def normalize_axes(op: str, axis, ndim: int):
    """None (all axes) or a sorted tuple of distinct non-negative axes."""
    if axis is None:
        return None
    if isinstance(axis, (tuple, list)):
        axes = tuple(sorted({normalize_dim(op, a, ndim) for a in axis}))
        if len(axes) != len(axis):
            raise OpError(f"{op}: dims {tuple(axis)} name a dim more than once; list each "
                          f"dim once")
        return axes
    return (normalize_dim(op, axis, ndim),)


def reduced_shape(shape: tuple, axes) -> tuple:
    """``shape`` with the reduced axes kept as 1 (the keepdims shape)."""
    if axes is None:
        return (1,) * len(shape)
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def shape_arg(op: str, shape) -> tuple:
    """Accept f(2, 3) and f((2, 3)); a tuple of ints (which may still be negative)."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    try:
        return tuple(operator.index(s) for s in shape)
    except TypeError:
        raise OpTypeError(f"{op}: a shape must be a sequence of ints, got {shape!r}") from None


def size_arg(op: str, size) -> tuple:
    """The size of a new tensor, given as ``f(2, 3)`` or ``f((2, 3))``: :func:`shape_arg`.
    As in PyTorch, ``f()`` is refused (``f(())`` is 0-d). Negative entries are left for
    NumPy to refuse, the caller then raising :func:`check_size`'s error: a valid size pays
    for no check."""
    if not size:
        raise OpTypeError(f"{op}: missing the size; give {op}(2, 3), {op}((2, 3)), or "
                          f"{op}(()) for a 0-d tensor")
    return shape_arg(op, size)


def check_size(op: str, shape: tuple) -> None:
    """Raise if a tensor of ``shape`` cannot exist (an entry is negative)."""
    for n in shape:
        if n < 0:
            raise OpError(f"{op}: trying to create a tensor with negative dimension {n}: "
                          f"{list(shape)}; sizes must be >= 0")


_INDEX_SIZES = {"int32": 4, "int64": 8}  # signed ints, by itemsize (fast to read)
_UNSIGNED = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}


def check_index_dtype(op: str, idx, allowed: tuple = ("int32", "int64")) -> None:
    """Raise unless the index array's dtype is one of ``allowed`` (PyTorch's gather and
    index_select take int32/int64, take_along_dim int64 only)."""
    dtype = idx.dtype  # read by kind and size: dtype.name builds a string on every call
    if dtype.kind != "i" or not any(dtype.itemsize == _INDEX_SIZES[a] for a in allowed):
        raise OpTypeError(f"{op}: expected an index of dtype {' or '.join(allowed)}, got "
                          f"{dtype}; convert it with .long()")


def check_index_range(op: str, idx, dim: int, size: int) -> None:
    """Raise unless every entry of ``idx`` (an integer array) lies in [0, size): an index is
    never wrapped (NumPy would read -1 as the last entry) nor clipped. One max over the
    array, read as unsigned so that a negative entry counts as huge; nothing for an empty
    one."""
    if not idx.size:
        return
    unsigned = idx.view(_UNSIGNED[idx.dtype.itemsize]) if idx.dtype.kind == "i" else idx
    if np.maximum.reduce(unsigned, axis=None) >= size:
        low = np.minimum.reduce(idx, axis=None)
        bad = low if low < 0 else np.maximum.reduce(idx, axis=None)
        raise IndexOutOfRangeError(f"{op}: index {int(bad)} is out of bounds for dimension "
                                   f"{dim} with size {size}; indices must be in [0, {size})")


def index_error(op: str, exc: BaseException, shape: tuple) -> BaseException:
    """The error to raise, in an ``except`` clause, for a failed NumPy indexing operation
    (``exc``: NumPy's error, or the OpError apply() made of it): IndexOutOfRangeError for
    an index out of range, too many indices or a mask of the wrong shape (PyTorch's
    IndexError); anything else is ``exc`` itself, to be re-raised as it is."""
    cause = exc.__cause__ if isinstance(exc, OpError) else exc
    if not isinstance(cause, IndexError):
        return exc
    text = str(cause).replace("axis", "dimension")
    err = IndexOutOfRangeError(f"{op}: {text} (indexing a tensor of shape {tuple(shape)})")
    err.__suppress_context__ = True  # NumPy's error says nothing more
    return err
