"""The linear maps of a layer's input: ``linear`` (a matrix product) and ``conv1d`` /
``conv2d`` / ``conv3d`` (its sliding-window form), as in ``torch.nn.functional``.
"""
from __future__ import annotations

from ..errors import OpError
from ..ops import linalg
from ..ops import shape as sh
from ..ops._util import shape_of
from ..ops.conv import conv

__all__ = ["linear", "conv1d", "conv2d", "conv3d"]


def linear(x, weight, bias=None):
    """x @ weight.T + bias."""
    xs, ws = shape_of(x), shape_of(weight)
    if not xs or (len(ws) == 2 and xs[-1] != ws[1]):
        raise OpError(f"linear: the input of shape {tuple(xs)} does not fit the weight of shape "
                      f"{tuple(ws)}: its last dim must be in_features = weight.shape[1]")
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


def __dir__():  # dir() and tab completion show what the module exports, not its helpers
    return __all__
