"""Argument normalization shared by the op front-ends."""
from __future__ import annotations

import operator

from ..autograd.tensor import Tensor


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


def normalize_axis(op: str, axis, ndim: int) -> int:
    try:
        axis = operator.index(axis)
    except TypeError:
        raise TypeError(f"{op}: dim must be an int, got {type(axis).__name__}") from None
    if not -max(ndim, 1) <= axis < max(ndim, 1):
        raise IndexError(f"{op}: dim {axis} is out of range for a tensor of {ndim} dimensions "
                         f"(expected {-max(ndim, 1)} to {max(ndim, 1) - 1})")
    return axis % ndim if ndim else 0


def normalize_axes(op: str, axis, ndim: int):
    """None (all axes) or a sorted tuple of distinct non-negative axes."""
    if axis is None:
        return None
    if isinstance(axis, (tuple, list)):
        axes = tuple(sorted({normalize_axis(op, a, ndim) for a in axis}))
        if len(axes) != len(axis):
            raise ValueError(f"{op}: dim {tuple(axis)} names an axis twice")
        return axes
    return (normalize_axis(op, axis, ndim),)


def reduced_shape(shape: tuple, axes) -> tuple:
    """``shape`` with the reduced axes kept as 1 (the keepdims shape)."""
    if axes is None:
        return (1,) * len(shape)
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def shape_arg(op: str, shape) -> tuple:
    """Accept f(2, 3) and f((2, 3))."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    try:
        return tuple(operator.index(s) for s in shape)
    except TypeError:
        raise TypeError(f"{op}: a shape must be ints, got {shape!r}") from None
