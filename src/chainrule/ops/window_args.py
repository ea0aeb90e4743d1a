"""The arguments of a sliding-window op (convolution, pooling), by PyTorch's rules: ints or
tuples of ints per spatial dim, positive kernel, stride and dilation, a window that fits the
padded input, ``padding='same'``/``'valid'``, and an optional batch axis. One validator for
every such op, which names the op as the user called it (conv2d, max_pool3d...) in its
errors. Each check is a few comparisons of small tuples: a valid call pays next to nothing.
"""
from __future__ import annotations

import operator

from ..errors import OpError, OpTypeError
from . import shape as sh
from ._util import shape_of
from ._window import unit_stride

__all__ = ["SPATIAL_DIMS", "as_tuple", "check_steps", "check_window", "with_batch_axis",
           "positive_int", "string_padding", "pad_right"]

# The spatial dims' names, by rank, for the error messages.
SPATIAL_DIMS = {1: "L", 2: "H, W", 3: "D, H, W"}


def as_tuple(v, nd: int, name: str, op: str = None) -> tuple:
    """An int, or a sequence of 1 or ``nd`` ints (PyTorch repeats a single one), as a tuple
    of ``nd`` ints."""
    if type(v) is int:
        return (v,) * nd
    where = f"{op}: " if op else ""
    try:
        v = tuple(operator.index(i) for i in v) if isinstance(v, (tuple, list)) else \
            (operator.index(v),)
    except TypeError:
        raise OpTypeError(f"{where}{name} must be an int or a tuple of {nd} ints, got "
                          f"{v!r}") from None
    if len(v) == 1:
        return v * nd
    if len(v) != nd:
        raise OpError(f"{where}{name} must be an int or a tuple of {nd} ints, got {v}")
    return v


def check_steps(op: str, kernel: tuple, stride: tuple, padding: tuple, dilation: tuple,
                pool: bool = False) -> None:
    """PyTorch's rules for a sliding window (convolution, or pooling when ``pool``) that
    need no input: positive kernel, stride and dilation, non-negative padding, and (when
    pooling) padding at most half the kernel."""
    if min(kernel) > 0 and min(stride) > 0 and min(dilation) > 0 and min(padding) >= 0 and \
            not (pool and max([2 * p - k for p, k in zip(padding, kernel)]) > 0):
        return  # the common case, in a few comparisons; the messages below name the fault
    for name, values in (("kernel_size", kernel), ("stride", stride), ("dilation", dilation)):
        if min(values) <= 0:
            raise OpError(f"{op}: {name} must be positive, got {name}={values}")
    if min(padding) < 0:
        raise OpError(f"{op}: padding must be non-negative, got padding={padding}")
    raise OpError(f"{op}: padding {padding} must be at most half the kernel size {kernel}: "
                  f"use padding <= {tuple(k // 2 for k in kernel)}")


def check_window(op: str, in_sp: tuple, kernel: tuple, stride: tuple, padding: tuple,
                 dilation: tuple, pool: bool = False, ceil_mode: bool = False) -> tuple:
    """Check a sliding window's geometry over the spatial sizes ``in_sp`` (``check_steps``,
    and a window that fits in the padded input at least once) and return the output's
    spatial shape, by PyTorch's formula (``ceil_mode`` rounds up, as pooling may)."""
    check_steps(op, kernel, stride, padding, dilation, pool)
    if ceil_mode:
        out = []
        for n, k, s, p, d in zip(in_sp, kernel, stride, padding, dilation):
            m = (n + 2 * p - d * (k - 1) - 1 + s - 1) // s + 1
            out.append(m - 1 if (m - 1) * s >= n + p else m)  # no window starts in padding
        out = tuple(out)
    else:
        out = tuple([(n + 2 * p - d * (k - 1) - 1) // s + 1
                     for n, k, s, p, d in zip(in_sp, kernel, stride, padding, dilation)])
    if min(out) < 1:  # in floor mode, exactly when the window is larger than the input
        raise OpError(f"{op}: the window (kernel_size={kernel}, dilation={dilation}) is larger "
                      f"than the input's spatial size {tuple(in_sp)} with padding={padding}; "
                      f"use a smaller kernel or dilation, or more padding")
    return out


def with_batch_axis(op: str, x, nd: int):
    """``(x, unbatched)``: x as (N, C, *spatial), given that or one sample (C, *spatial)
    (which PyTorch takes too, and answers without the batch axis)."""
    shape = shape_of(x)
    if len(shape) == nd + 2:
        return x, False
    if len(shape) == nd + 1:
        return sh.unsqueeze(x, 0), True
    dims = SPATIAL_DIMS.get(nd, "...")
    raise OpError(f"{op}: expected a {nd + 1}-D (unbatched: C, {dims}) or {nd + 2}-D (batched: "
                  f"N, C, {dims}) input, got shape {tuple(shape)}")


def positive_int(op: str, name: str, v) -> int:
    """``v`` as a positive int (an int-like, such as a NumPy integer, is taken)."""
    try:
        v = operator.index(v)
    except TypeError:
        raise OpTypeError(f"{op}: {name} must be an int, got {v!r}") from None
    if v <= 0:
        raise OpError(f"{op}: {name} must be a positive integer, got {name}={v}")
    return v


def string_padding(op: str, mode: str, kernel: tuple, stride: tuple, dilation: tuple):
    """``padding='valid'`` (none) or ``'same'`` (the output as large as the input; stride 1
    only) as ``(both_sides, extra_right)``: an even span needs one more on the right/bottom
    than on the left/top, as in PyTorch."""
    nd = len(kernel)
    if mode == "valid":
        return (0,) * nd, (0,) * nd
    if mode != "same":
        raise OpError(f"{op}: padding must be an int, a tuple of ints, 'same' or 'valid', got "
                      f"{mode!r}")
    if not unit_stride(stride):
        raise OpError(f"{op}: padding='same' is not supported for strided convolutions "
                      f"(stride={stride}); use stride=1 or give the padding as numbers")
    total = tuple(d * (k - 1) for k, d in zip(kernel, dilation))
    return tuple(t // 2 for t in total), tuple(t % 2 for t in total)


def pad_right(x, extra: tuple, value: float = 0.0):
    """x padded by ``extra`` (one per spatial dim) at the end of each spatial axis."""
    if not any(extra):
        return x
    return sh.pad(x, ((0, 0), (0, 0)) + tuple((0, e) for e in extra), value=value)


def __dir__():  # dir() and tab completion show what the module exports, not its helpers
    return __all__
