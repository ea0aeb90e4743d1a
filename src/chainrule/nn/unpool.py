"""Max unpooling, as in ``torch.nn.functional``: max_unpool1d/2d/3d put each value back at
the position max pooling took it from (its ``return_indices``), zeros elsewhere, and the
Modules ``MaxUnpool1d``/``2d``/``3d``.

The unpooling is one scatter into zeros (``ops.index.scatter_p``): linear, with a gather
at the indices as its VJP, so derivatives of every order and forward mode come for free.
As in PyTorch, a repeated index keeps one of its values, and every input reads the
gradient at its index.

>>> import chainrule as cr
>>> from chainrule.nn.pooling import max_pool2d
>>> x = cr.tensor([[[[1., 2.], [4., 3.]]]])
>>> values, indices = max_pool2d(x, 2, return_indices=True)
>>> max_unpool2d(values, indices, 2).tolist()
[[[[0.0, 0.0], [4.0, 0.0]]]]
"""
from __future__ import annotations

from typing import Optional, Sequence, Union

import numpy as np

from .._backend import array_module, is_floating
from ..autograd.primitives import apply
from ..errors import OpError, OpTypeError
from ..ops import index as ix
from ..ops import shape as sh
from ..ops._util import data_of, shape_of
from ..ops.window_args import as_tuple, with_batch_axis
from .module import Module

__all__ = ["max_unpool1d", "max_unpool2d", "max_unpool3d", "MaxUnpool1d", "MaxUnpool2d",
           "MaxUnpool3d"]

_Size = Union[int, Sequence[int]]


def _geometry(op: str, nd: int, kernel_size, stride, padding) -> tuple:
    """kernel, stride (the kernel by default, as max pooling) and padding as tuples."""
    kernel = as_tuple(kernel_size, nd, "kernel_size", op)
    stride = kernel if stride is None else as_tuple(stride, nd, "stride", op)
    padding = as_tuple(padding, nd, "padding", op)
    # PyTorch does not check these and writes past the output or makes nonsense sizes.
    for name, values in (("kernel_size", kernel), ("stride", stride)):
        if min(values) <= 0:
            raise OpError(f"{op}: {name} must be positive, got {name}={values}")
    if min(padding) < 0:
        raise OpError(f"{op}: padding must be non-negative, got padding={padding}")
    return kernel, stride, padding


def _output_size(op: str, in_sp: tuple, kernel, stride, padding, output_size) -> tuple:
    """PyTorch's rule: by default (n - 1) * stride + kernel - 2 * padding per dim (the
    largest input that pools to n); a given size (nd entries, or nd + 2 with N and C
    first) must lie strictly within one stride of that, as the pooled sizes allow."""
    nd = len(kernel)
    default = tuple((n - 1) * s + k - 2 * p for n, k, s, p in zip(in_sp, kernel, stride, padding))
    if output_size is None:
        sizes = default
    else:
        if not isinstance(output_size, (tuple, list)):
            raise OpTypeError(f"{op}: output_size must be a sequence of {nd} or {nd + 2} ints, "
                              f"got {output_size!r}")
        sizes = tuple(output_size)
        if len(sizes) == nd + 2:
            sizes = sizes[2:]
        if len(sizes) != nd:
            raise OpError(f"{op}: output_size should be a sequence of {nd} or {nd + 2} "
                          f"elements, but it has a length of {len(sizes)}")
        try:
            sizes = tuple(int(o) for o in sizes)
        except (TypeError, ValueError):
            raise OpTypeError(f"{op}: output_size must hold ints, got {output_size!r}") \
                from None
        for d, (o, m, s) in enumerate(zip(sizes, default, stride)):
            if not m - s < o < m + s:
                raise OpError(f"{op}: invalid output_size {sizes} (dim {d} must be between "
                              f"{m - s} and {m + s}, exclusive, for an input of spatial size "
                              f"{tuple(in_sp)} with kernel_size={kernel}, stride={stride}, "
                              f"padding={padding})")
    if min(sizes) <= 0:
        raise OpError(f"{op}: the output's spatial size {sizes} must be positive (input of "
                      f"spatial size {tuple(in_sp)}, kernel_size={kernel}, stride={stride}, "
                      f"padding={padding}); use less padding or give output_size")
    return sizes


def _max_unpool(nd: int, input, indices, kernel_size, stride, padding, output_size):
    op = f"max_unpool{nd}d"
    kernel, stride, padding = _geometry(op, nd, kernel_size, stride, padding)
    dtype = np.result_type(data_of(input))
    if not is_floating(dtype):
        raise OpTypeError(f"{op}: the input must be floating point, got {dtype}; convert it "
                          f"with .float()")
    idx = data_of(indices)
    if not hasattr(idx, "dtype"):
        idx = np.asarray(idx)
    if idx.dtype != np.int64:
        raise OpTypeError(f"{op}: the indices must be int64 (as max_pool{nd}d returns them), "
                          f"got {idx.dtype}; convert them with .long()")
    given = tuple(shape_of(input))
    if tuple(idx.shape) != given:
        raise OpError(f"{op}: the indices must have the input's shape {given}, got "
                      f"{tuple(idx.shape)}")
    x, unbatched = with_batch_axis(op, input, nd)
    shape = tuple(shape_of(x))
    if 0 in shape[1:]:
        raise OpError(f"{op}: expected non-zero sizes in the non-batch dims, got an input of "
                      f"shape {given}")
    out_sp = _output_size(op, shape[2:], kernel, stride, padding, output_size)
    plane = int(np.prod(out_sp))
    if idx.size and (idx.min() < 0 or idx.max() >= plane):
        bad = int(idx.min()) if idx.min() < 0 else int(idx.max())
        raise OpError(f"{op}: found an invalid max index {bad}: the output planes are of "
                      f"size {'x'.join(map(str, out_sp))} ({plane} entries); give the indices "
                      f"max_pool{nd}d returned and its input's size as output_size")
    n, c = shape[:2]
    xp = array_module(idx)
    base = xp.arange(n * c, dtype=np.int64).reshape(n, c) * plane
    flat = (idx.reshape(n, c, int(np.prod(shape[2:]))) + base[:, :, None]).reshape(-1)
    # Assignment, not accumulation: a repeated index (overlapping windows) keeps one value.
    out = apply(ix.scatter_p, (sh.reshape(x, (-1,)),),
                {"index": flat, "shape": (n * c * plane,), "accumulate": False})
    out = sh.reshape(out, (n, c) + out_sp)
    return sh.squeeze(out, 0) if unbatched else out


def max_unpool1d(input, indices, kernel_size: _Size, stride: Optional[_Size] = None,
                 padding: _Size = 0, output_size: Optional[Sequence[int]] = None):
    """The inverse of max_pool1d over (N, C, L) or (C, L): each value of ``input`` put at
    its position in ``indices`` (max_pool1d's, with ``return_indices=True``), zeros
    elsewhere. The output's length is ``(L - 1) * stride + kernel_size - 2 * padding``, or
    ``output_size`` (within one stride of that: the pooled input's own size).

    >>> import chainrule as cr
    >>> max_unpool1d(cr.tensor([[5., 7.]]), cr.tensor([[1, 2]]), 2).tolist()
    [[0.0, 5.0, 7.0, 0.0]]
    """
    return _max_unpool(1, input, indices, kernel_size, stride, padding, output_size)


def max_unpool2d(input, indices, kernel_size: _Size, stride: Optional[_Size] = None,
                 padding: _Size = 0, output_size: Optional[Sequence[int]] = None):
    """The inverse of max_pool2d over (N, C, H, W) or (C, H, W), as ``max_unpool1d``."""
    return _max_unpool(2, input, indices, kernel_size, stride, padding, output_size)


def max_unpool3d(input, indices, kernel_size: _Size, stride: Optional[_Size] = None,
                 padding: _Size = 0, output_size: Optional[Sequence[int]] = None):
    """The inverse of max_pool3d over (N, C, D, H, W) or (C, D, H, W), as ``max_unpool1d``."""
    return _max_unpool(3, input, indices, kernel_size, stride, padding, output_size)


_FUNCTIONS = {1: max_unpool1d, 2: max_unpool2d, 3: max_unpool3d}


class _MaxUnpoolNd(Module):
    nd = 2

    def __init__(self, kernel_size: _Size, stride: Optional[_Size] = None, padding: _Size = 0):
        super().__init__()
        op = f"MaxUnpool{self.nd}d"
        # PyTorch keeps the tuples (its repr shows them).
        self.kernel_size, self.stride, self.padding = _geometry(op, self.nd, kernel_size,
                                                                stride, padding)

    def forward(self, input, indices, output_size: Optional[Sequence[int]] = None):
        return _FUNCTIONS[self.nd](input, indices, self.kernel_size, self.stride,
                                   self.padding, output_size)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpoolNd):
    """``max_unpool1d`` as a Module: ``MaxUnpool1d(k)(values, indices, output_size=None)``."""

    nd = 1


class MaxUnpool2d(_MaxUnpoolNd):
    """``max_unpool2d`` as a Module: ``MaxUnpool2d(k)(values, indices, output_size=None)``."""

    nd = 2


class MaxUnpool3d(_MaxUnpoolNd):
    """``max_unpool3d`` as a Module: ``MaxUnpool3d(k)(values, indices, output_size=None)``."""

    nd = 3


def __dir__():  # dir() and tab completion show what the module exports, not its helpers
    return __all__
