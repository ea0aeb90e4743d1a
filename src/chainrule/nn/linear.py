"""The linear maps of a layer's input: ``linear`` (a matrix product), ``conv1d`` /
``conv2d`` / ``conv3d`` (its sliding-window form) and their transposes
``conv_transpose1d/2d/3d``, as in ``torch.nn.functional``.
"""
from __future__ import annotations

import math

from ..errors import OpError
from ..ops import linalg
from ..ops import shape as sh
from ..ops._util import shape_of
from ..ops.conv import conv, conv_transpose

__all__ = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d"]


def linear(x, weight, bias=None):
    """``x @ weight.T + bias`` for ``x`` of shape (..., in_features) and ``weight`` of shape
    (out_features, in_features).

    >>> import chainrule as cr
    >>> linear(cr.ones(5, 3, 4), cr.ones(2, 4)).shape
    (5, 3, 2)
    """
    xs, ws = shape_of(x), shape_of(weight)
    if not xs or (len(ws) == 2 and xs[-1] != ws[1]):
        raise OpError(f"linear: the input of shape {tuple(xs)} does not fit the weight of shape "
                      f"{tuple(ws)}: its last dim must be in_features = weight.shape[1]")
    if len(xs) > 2 and len(ws) == 2:
        # Leading dims flattened: one GEMM forward and one per gradient, where an N-D @ 2-D
        # matmul's weight gradient would be a stack of per-batch products summed after.
        out = linalg.matmul(sh.reshape(x, (math.prod(xs[:-1]), xs[-1])), sh.permute(weight))
        out = sh.reshape(out, tuple(xs[:-1]) + (ws[0],))
    else:
        out = linalg.matmul(x, sh.permute(weight))
    return out if bias is None else out + bias


def conv1d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution of (N, C, L) or (C, L) with weight (O, C/groups, k); ``padding``
    may be numbers, 'valid' or 'same'."""
    return conv(x, weight, bias, stride, padding, dilation, groups, nd=1)


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution of (N, C, H, W) or (C, H, W) with weight (O, C/groups, kh, kw)."""
    return conv(x, weight, bias, stride, padding, dilation, groups, nd=2)


def conv3d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-D convolution of (N, C, D, H, W) or (C, D, H, W) with weight
    (O, C/groups, kd, kh, kw)."""
    return conv(x, weight, bias, stride, padding, dilation, groups, nd=3)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    """1-D transposed convolution of (N, C_in, L) or (C_in, L) with weight
    (C_in, C_out/groups, k): the input gradient of conv1d, so an upsampling. The output
    has length ``(L - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1``.

    >>> import chainrule as cr
    >>> conv_transpose1d(cr.ones(1, 1, 3), cr.ones(1, 1, 2), stride=2).shape
    (1, 1, 6)
    """
    return conv_transpose(input, weight, bias, stride, padding, output_padding, groups,
                          dilation, nd=1)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    """2-D transposed convolution of (N, C_in, H, W) or (C_in, H, W) with weight
    (C_in, C_out/groups, kh, kw), in PyTorch's argument order (groups before dilation)."""
    return conv_transpose(input, weight, bias, stride, padding, output_padding, groups,
                          dilation, nd=2)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    """3-D transposed convolution of (N, C_in, D, H, W) or (C_in, D, H, W) with weight
    (C_in, C_out/groups, kd, kh, kw)."""
    return conv_transpose(input, weight, bias, stride, padding, output_padding, groups,
                          dilation, nd=3)


def __dir__():  # dir() and tab completion show what the module exports, not its helpers
    return __all__
