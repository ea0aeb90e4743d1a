"""The linear maps of a layer's input: ``linear`` (a matrix product), ``conv1d`` /
``conv2d`` / ``conv3d`` (its sliding-window form) and their transposes
``conv_transpose1d/2d/3d``, as in ``torch.nn.functional``.
"""
from __future__ import annotations

import math

from ..autograd.primitives import Primitive, apply, call
from ..autograd.tensor import Tensor
from ..errors import OpError
from ..ops import linalg
from ..ops import shape as sh
from ..ops._util import shape_of
from ..ops.conv import conv, conv_transpose
from ..ops.linalg import matmul_p

__all__ = ["linear_p", "linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
           "conv_transpose2d", "conv_transpose3d"]


def _linear_forward(xp, x, weight, bias=None):
    out = xp.matmul(x, weight.T)  # the transposed view: BLAS reads it as it is, no copy
    if bias is not None:
        out += bias  # into the product's fresh array: one pass, no second output
    return out


def _linear_vjp_x(xp, g, ans, x, weight, bias=None):
    return call(xp, matmul_p, g, weight)


def _linear_vjp_weight(xp, g, ans, x, weight, bias=None):
    # g^T x: (out, in) in the weight's own layout, a fresh array the engine stores as .grad
    # without a copy ((x^T g)^T would be a transposed view, copied into place).
    return call(xp, matmul_p, xp.swapaxes(g, 0, 1), x)


def _linear_vjp_bias(xp, g, ans, x, weight, bias=None):
    return xp.sum(g, axis=0)


def _linear_jvp(xp, tangents, ans, x, weight, bias=None):
    tx, tw = tangents[0], tangents[1]
    tb = tangents[2] if len(tangents) > 2 else None
    parts = ([] if tx is None else [call(xp, linear_p, tx, weight)]) + \
            ([] if tw is None else [call(xp, linear_p, x, tw)]) + ([] if tb is None else [tb])
    total = parts[0]
    for part in parts[1:]:
        total = total + part
    return total


# PyTorch's addmm for a Linear layer: one node where the composite (transpose, matmul, add)
# would make three and a transposed weight gradient to copy into place.
linear_p = Primitive("linear", _linear_forward, saves_ans=False, saves_for=((1,), (0,), ()),
                     vjps=(_linear_vjp_x, _linear_vjp_weight, _linear_vjp_bias),
                     jvp=_linear_jvp,
                     doc="x @ weight.T + bias for 2-D x (N, in), weight (out, in), bias (out,)")


def _fused(x, weight, bias) -> bool:
    """Whether linear_p takes these operands: real floating tensors of one dtype, a 2-D
    weight and a bias of one entry per output (or none); ``x`` of rank 2 or more."""
    if not (isinstance(x, Tensor) and isinstance(weight, Tensor)):
        return False
    xd, wd = x._data, weight._data
    if wd.ndim != 2 or xd.ndim < 2 or xd.dtype != wd.dtype or wd.dtype.kind != "f":
        return False
    if bias is None:
        return True
    return isinstance(bias, Tensor) and bias._data.dtype == wd.dtype and \
        bias._data.shape == (wd.shape[0],)


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
    if _fused(x, weight, bias):
        if len(xs) == 2:
            return apply(linear_p, (x, weight) if bias is None else (x, weight, bias))
        # Leading dims flattened: one GEMM forward and one per gradient, where an N-D @ 2-D
        # matmul's weight gradient would be a stack of per-batch products summed after.
        flat = sh.reshape(x, (math.prod(xs[:-1]), xs[-1]))
        out = apply(linear_p, (flat, weight) if bias is None else (flat, weight, bias))
        return sh.reshape(out, tuple(xs[:-1]) + (ws[0],))
    if len(xs) > 2 and len(ws) == 2:
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
