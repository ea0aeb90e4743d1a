"""``unfold`` (im2col) and ``fold`` (col2im) of ``torch.nn.functional``, and the Modules
``Unfold`` and ``Fold``.

``unfold`` copies every sliding block of a (N, C, H, W) input into a column of a
(N, C*kh*kw, L) array; ``fold`` adds such columns back into a (N, C, H, W) array, summing
where blocks overlap. Each is linear and the other's transpose, so the two primitives here
are each other's VJP and their own JVP: derivatives of every order come from the same two
kernels (``ops._window.im2col`` and ``col2im``, shared with convolution).

(Not to be confused with ``Tensor.unfold(dim, size, step)``, a strided view along one dim.)
"""
from __future__ import annotations

import math

from ..autograd.primitives import apply
from ..errors import OpError, OpTypeError
from ..ops._util import data_of, shape_of
from ..ops.fold import fold_p, unfold_p
from ..ops.window_args import as_tuple, check_steps
from .module import Module

__all__ = ["unfold", "fold", "Unfold", "Fold", "unfold_p", "fold_p"]


def _geometry(op: str, kernel_size, dilation, padding, stride) -> tuple:
    kernel = as_tuple(kernel_size, 2, "kernel_size", op)
    dilation = as_tuple(dilation, 2, "dilation", op)
    padding = as_tuple(padding, 2, "padding", op)
    stride = as_tuple(stride, 2, "stride", op)
    check_steps(op, kernel, stride, padding, dilation)
    return kernel, stride, padding, dilation


def _check_float(op: str, x) -> None:
    dtype = data_of(x).dtype
    if dtype.kind not in "fc":
        raise OpTypeError(f"{op}: expected a floating-point input, got dtype {dtype}; convert "
                          f"it first, e.g. x.float()")


def _blocks(spatial: tuple, kernel, stride, padding, dilation) -> tuple:
    """How many sliding blocks fit along each spatial dim (PyTorch's formula)."""
    return tuple((s + 2 * p - d * (k - 1) - 1) // st + 1 for s, k, st, p, d in
                 zip(spatial, kernel, stride, padding, dilation))


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Every sliding ``kernel_size`` block of a (N, C, H, W) input as a column:
    (N, C*kh*kw, L), L the number of blocks (an unbatched (C, H, W) input gives
    (C*kh*kw, L)), as PyTorch's ``F.unfold``.

    >>> from chainrule import arange
    >>> unfold(arange(16.).reshape(1, 1, 4, 4), 2, stride=2).shape
    (1, 4, 4)
    """
    op = "unfold"
    shape = tuple(shape_of(input))
    if len(shape) not in (3, 4) or 0 in shape[-3:]:
        raise OpError(f"{op}: expected a 3-D (unbatched: C, H, W) or 4-D (batched: N, C, H, W) "
                      f"input with non-zero C, H and W, got shape {shape}")
    _check_float(op, input)
    kernel, stride, padding, dilation = _geometry(op, kernel_size, dilation, padding, stride)
    x = input if len(shape) == 4 else input.reshape((1,) + shape)
    blocks = _blocks(shape[-2:], kernel, stride, padding, dilation)
    if min(blocks) < 1:
        raise OpError(f"{op}: the input's spatial size {shape[-2:]} with kernel_size={kernel}, "
                      f"dilation={dilation}, padding={padding} holds {blocks} sliding blocks; "
                      f"each must be at least 1: use a smaller kernel or more padding")
    out = apply(unfold_p, (x,), {"kernel": kernel, "stride": stride, "padding": padding,
                                 "dilation": dilation, "in_shape": tuple(shape_of(x))})
    return out if len(shape) == 4 else out.reshape(shape_of(out)[1:])


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """The sum of columns (N, C*kh*kw, L) put back as blocks of a (N, C, *output_size)
    output, overlaps added: the transpose of ``unfold`` (a 2-D input (C*kh*kw, L) gives
    (C, *output_size)), as PyTorch's ``F.fold``.

    >>> from chainrule import ones
    >>> fold(ones(1, 4, 9), (4, 4), 2).numpy()[0, 0, 1]  # each inner pixel in 2 or 4 blocks
    array([2., 4., 4., 2.], dtype=float32)
    """
    op = "fold"
    shape = tuple(shape_of(input))
    if len(shape) not in (2, 3) or 0 in shape[-2:]:
        raise OpError(f"{op}: expected a 2-D (unbatched: C*kh*kw, L) or 3-D (batched: N, "
                      f"C*kh*kw, L) input with non-zero sizes, got shape {shape}")
    _check_float(op, input)
    out_size = as_tuple(output_size, 2, "output_size", op)
    kernel, stride, padding, dilation = _geometry(op, kernel_size, dilation, padding, stride)
    if min(out_size) <= 0:
        raise OpError(f"{op}: output_size must be positive, got {out_size}")
    ckk, length = shape[-2:]
    if ckk % math.prod(kernel):
        raise OpError(f"{op}: the input's dim {len(shape) - 2} (size {ckk}) must be divisible "
                      f"by the product of kernel_size={kernel} ({math.prod(kernel)})")
    blocks = _blocks(out_size, kernel, stride, padding, dilation)
    if min(blocks) < 1 or math.prod(blocks) != length:
        raise OpError(f"{op}: given output_size={out_size}, kernel_size={kernel}, "
                      f"dilation={dilation}, padding={padding}, stride={stride}, the input's "
                      f"last dim must be the number of sliding blocks {blocks[0]} * {blocks[1]}"
                      f" = {max(0, blocks[0]) * max(0, blocks[1])}, got {length} (shape "
                      f"{shape})")
    cols = input if len(shape) == 3 else input.reshape((1,) + shape)
    n = shape_of(cols)[0]
    in_shape = (n, ckk // math.prod(kernel)) + out_size
    out = apply(fold_p, (cols,), {"kernel": kernel, "stride": stride, "padding": padding,
                                  "dilation": dilation, "in_shape": in_shape})
    return out if len(shape) == 3 else out.reshape(in_shape[1:])


class Unfold(Module):
    """``unfold(x, kernel_size, dilation, padding, stride)`` as a Module."""

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.kernel_size, self.dilation, self.padding, self.stride = \
            kernel_size, dilation, padding, stride

    def forward(self, input):
        return unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")


class Fold(Module):
    """``fold(x, output_size, kernel_size, dilation, padding, stride)`` as a Module."""

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.output_size, self.kernel_size = output_size, kernel_size
        self.dilation, self.padding, self.stride = dilation, padding, stride

    def forward(self, input):
        return fold(input, self.output_size, self.kernel_size, self.dilation, self.padding,
                    self.stride)

    def extra_repr(self) -> str:
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, "
                f"dilation={self.dilation}, padding={self.padding}, stride={self.stride}")


def __dir__():  # dir() and tab completion show what the module exports, not its helpers
    return __all__
