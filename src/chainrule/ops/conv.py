"""Convolution: the ``conv`` primitive, its two transposes, and its front-end.

Convolution is three primitives that are each other's transposes: ``conv`` (y = x * w),
``conv_input_grad`` (the VJP in x) and ``conv_weight_grad`` (the VJP in w). Each one's rules
are written with the other two, so every order of derivative, forward mode included, comes
from the same three kernels. At stride 1 (groups 1) they run on the flat-spatial kernels of
``_flatconv``; other strides copy one block per kernel offset (im2col) for one batched BLAS
call, and groups contract strided windows with einsum.

The front-end (``conv``) checks its arguments with PyTorch's rules (``window_args``), takes
unbatched inputs, and names the op as the user called it (conv1d, conv2d, conv3d).
"""
from __future__ import annotations

import math

import numpy as np

from ..autograd.primitives import Primitive, apply, call, defjvp, defvjp, defvjp_all
from ..errors import OpError
from . import _flatconv
from . import shape as sh
from ._util import shape_of
from ._window import col2im, im2col, out_shape, pad_spatial, unit_stride, window_view
from .window_args import (SPATIAL_DIMS, as_tuple, check_window, pad_right, positive_int,
                          string_padding, with_batch_axis)

__all__ = ["conv_p", "conv_input_grad_p", "conv_weight_grad_p", "conv"]


def _empty_conv(xp, x, w, bias, stride, padding, dilation):
    """The output of a convolution with no terms to sum (an empty batch or no input
    channels): zeros, plus the bias. The kernels cannot reshape a size-0 axis by -1."""
    padded = tuple(s + 2 * p for s, p in zip(x.shape[2:], padding))
    out = xp.zeros((x.shape[0], w.shape[0]) + out_shape(padded, w.shape[2:], stride, dilation),
                   dtype=xp.result_type(x, w) if bias is None else xp.result_type(x, w, bias))
    if bias is not None:
        out += bias.reshape((-1,) + (1,) * (w.ndim - 2))
    return out


def _conv(xp, x, w, bias=None, *, stride, padding, dilation, groups):
    """Convolution of x with w, plus ``bias`` (O,) when given: the stride-1 kernel adds it
    as it copies its output out, the others after."""
    if not (x.size and w.size):
        return _empty_conv(xp, x, w, bias, stride, padding, dilation)
    if groups == 1 and unit_stride(stride):
        return _flatconv.conv(xp, pad_spatial(xp, x, padding), w, dilation, bias)
    out = _conv_unbiased(xp, x, w, stride, padding, dilation, groups)
    if bias is not None:
        out = out + bias.reshape((-1,) + (1,) * (w.ndim - 2))
    return out


def _conv_unbiased(xp, x, w, stride, padding, dilation, groups):
    nd = w.ndim - 2
    o = w.shape[0]
    if groups == 1:
        # One batched BLAS call: (O, C*k) @ (N, C*k, out) -> (N, O, out).
        cols, out_sp = im2col(xp, x, w.shape[2:], stride, padding, dilation)
        n = x.shape[0]
        out = xp.matmul(w.reshape(o, -1), cols.reshape(n, -1, math.prod(out_sp)))
        return out.reshape((n, o) + out_sp)
    letters, ks = "hwd"[:nd], "ijk"[:nd]
    cols = window_view(xp, x, w.shape[2:], stride, padding, dilation)
    n, c = cols.shape[:2]
    out_sp = cols.shape[2:2 + nd]
    g = groups
    cols = cols.reshape((n, g, c // g) + cols.shape[2:])
    wg = w.reshape((g, o // g) + w.shape[1:])
    out = xp.einsum(f"ngc{letters}{ks},goc{ks}->ngo{letters}", cols, wg, optimize=True)
    return out.reshape((n, o) + out_sp)


def _flat_backward(xp, g, w_shape, padding, dilation, in_shape, w=None, x=None):
    """The stride-1 transposes of conv (``_flatconv.backward``) on the unpadded input: in x
    when ``w`` is given, in w when ``x`` is given."""
    padded_sp = tuple(s + 2 * p for s, p in zip(in_shape[2:], padding))
    gx, gw = _flatconv.backward(xp, g, w_shape, dilation, padded_sp, w=w,
                                x=None if x is None else pad_spatial(xp, x, padding))
    if gx is not None:
        gx = gx[(slice(None), slice(None)) +
                tuple(slice(p, p + s) for p, s in zip(padding, in_shape[2:]))]
    return gx, gw


def _conv_input_grad(xp, g, w, stride, padding, dilation, groups, in_shape):
    """The transpose of conv in x: scatter each output gradient back over its window."""
    nd = w.ndim - 2
    n, c = in_shape[:2]
    o = w.shape[0]
    kernel = w.shape[2:]
    if not (g.size and w.size):  # nothing flows back (an empty batch or no channels)
        return xp.zeros(in_shape, dtype=xp.result_type(g, w))
    if groups == 1 and unit_stride(stride):
        return _flat_backward(xp, g, w.shape, padding, dilation, in_shape, w=w)[0]
    if groups == 1:
        cols = xp.matmul(w.reshape(o, -1).T, g.reshape(n, o, -1))
        cols = cols.reshape((n, c) + kernel + g.shape[2:])
    else:
        letters, ks = "hwd"[:nd], "ijk"[:nd]
        gg = g.reshape((n, groups, o // groups) + g.shape[2:])
        wg = w.reshape((groups, o // groups) + w.shape[1:])
        cols = xp.einsum(f"ngo{letters},goc{ks}->ngc{ks}{letters}", gg, wg, optimize=True)
        cols = cols.reshape((n, c) + cols.shape[3:])
    return col2im(xp, cols, in_shape, kernel, stride, padding, dilation)


def _conv_weight_grad(xp, x, g, stride, padding, dilation, groups, w_shape):
    nd = len(w_shape) - 2
    n, o = g.shape[:2]
    if not (x.size and g.size):  # an empty batch or no channels: no terms to sum
        return xp.zeros(w_shape, dtype=xp.result_type(x, g))
    if groups == 1 and unit_stride(stride):
        return _flat_backward(xp, g, w_shape, padding, dilation, x.shape, x=x)[1]
    if groups == 1:
        cols, out_sp = im2col(xp, x, w_shape[2:], stride, padding, dilation)
        mat = cols.reshape(n, -1, math.prod(out_sp))
        return xp.matmul(g.reshape(n, o, -1), mat.transpose(0, 2, 1)).sum(0).reshape(w_shape)
    letters, ks = "hwd"[:nd], "ijk"[:nd]
    cols = window_view(xp, x, w_shape[2:], stride, padding, dilation)
    c = cols.shape[1]
    cols = cols.reshape((n, groups, c // groups) + cols.shape[2:])
    gg = g.reshape((n, groups, o // groups) + g.shape[2:])
    out = xp.einsum(f"ngc{letters}{ks},ngo{letters}->goc{ks}", cols, gg, optimize=True)
    return out.reshape(w_shape)


_conv_args = ("stride", "padding", "dilation", "groups")

conv_p = Primitive("conv", _conv)
conv_input_grad_p = Primitive("conv_input_grad", _conv_input_grad)
conv_weight_grad_p = Primitive("conv_weight_grad", _conv_weight_grad)


def _geometry(p):
    return {k: p[k] for k in _conv_args}


def _bias_grad(xp, g):
    """The sum of g over every axis but the channels (1)."""
    # (An exact-type check: a CuPy array, or any other ndarray-like, takes the xp route.)
    if type(g) is np.ndarray and g.ndim > 2 and g.dtype.kind == "f" and g.size:
        # As a matrix-vector product per sample (BLAS): a third of a strided sum's time.
        n, o = g.shape[:2]
        rows = g.reshape(n, o, -1)
        return np.add.reduce(np.matmul(rows, np.ones(rows.shape[2], g.dtype)), axis=0)
    return xp.sum(g, axis=(0,) + tuple(range(2, g.ndim)))


def _conv_vjp(xp, g, ans, inputs, needs, **p):
    """y = conv(x, w) (+ b):  <v, y> = <Cx^T(v, w), x> = <Cw^T(x, v), w> (+ <sum v, b>).
    On raw arrays at stride 1, both transposes run in one pass over g."""
    x, w = inputs[0], inputs[1]
    geo = _geometry(p)
    grads = [None] * len(inputs)
    if needs[0] and needs[1] and type(g) is np.ndarray and p["groups"] == 1 and \
            unit_stride(p["stride"]) and g.size and x.size and w.size:
        grads[0], grads[1] = _flat_backward(xp, g, w.shape, p["padding"], p["dilation"], x.shape,
                                            w=w, x=x)
    else:
        if needs[0]:
            grads[0] = call(xp, conv_input_grad_p, g, w, in_shape=x.shape, **geo)
        if needs[1]:
            grads[1] = call(xp, conv_weight_grad_p, x, g, w_shape=w.shape, **geo)
    if len(inputs) > 2 and needs[2]:
        grads[2] = _bias_grad(xp, g)
    return grads


defvjp_all(conv_p, _conv_vjp)
defvjp(conv_input_grad_p,
       lambda xp, v, ans, g, w, **p: call(xp, conv_p, v, w, **_geometry(p)),
       lambda xp, v, ans, g, w, **p: call(xp, conv_weight_grad_p, v, g, w_shape=w.shape,
                                          **_geometry(p)))
defvjp(conv_weight_grad_p,
       lambda xp, v, ans, x, g, **p: call(xp, conv_input_grad_p, g, v, in_shape=x.shape,
                                          **_geometry(p)),
       lambda xp, v, ans, x, g, **p: call(xp, conv_p, x, v, **_geometry(p)))


def _bilinear_jvp(prim):
    def jvp(xp, ts, ans, a, b, bias=None, **p):
        total = None
        if ts[0] is not None:
            total = call(xp, prim, ts[0], b, **p)
        if ts[1] is not None:
            term = call(xp, prim, a, ts[1], **p)
            total = term if total is None else total + term
        if len(ts) > 2 and ts[2] is not None:  # conv's bias
            term = xp.reshape(ts[2], (-1,) + (1,) * (len(ans.shape) - 2))
            total = term if total is None else total + term
        return total
    return jvp


for _p in (conv_p, conv_input_grad_p, conv_weight_grad_p):
    defjvp(_p, _bilinear_jvp(_p))


def conv(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, nd: int = None):
    """N-d convolution (cross-correlation), as PyTorch's conv1d/conv2d/conv3d: ``nd`` is
    the number of spatial dims the caller means (by default the weight's), and names the
    op in errors. Takes (N, C, *spatial) or one sample (C, *spatial); ``padding`` may be
    numbers, 'valid' or 'same'."""
    ws = shape_of(weight)
    nd = len(ws) - 2 if nd is None else nd
    op = f"conv{nd}d"
    if len(ws) != nd + 2:
        raise OpError(f"{op}: weight must be {nd + 2}-D (out_channels, in_channels/groups, "
                      f"{SPATIAL_DIMS.get(nd, '...')} of the kernel), got shape "
                      f"{tuple(ws)}")
    given = shape_of(x)
    x, unbatched = with_batch_axis(op, x, nd)
    groups = groups if type(groups) is int and groups > 0 else \
        positive_int(op, "groups", groups)
    if ws[0] == 0 or ws[0] % groups:
        raise OpError(f"{op}: out_channels (weight.shape[0] = {ws[0]}) must be a positive "
                      f"multiple of groups={groups}")
    channels = shape_of(x)[1]
    if channels != ws[1] * groups:
        raise OpError(f"{op}: the weight of shape {tuple(ws)} with groups={groups} expects "
                      f"{ws[1] * groups} input channels, but the input of shape "
                      f"{tuple(given)} has {channels}")
    stride = as_tuple(stride, nd, "stride", op)
    dilation = as_tuple(dilation, nd, "dilation", op)
    if isinstance(padding, str):
        padding, extra = string_padding(op, padding, ws[2:], stride, dilation)
        x = pad_right(x, extra)
    else:
        padding = as_tuple(padding, nd, "padding", op)
    check_window(op, shape_of(x)[2:], ws[2:], stride, padding, dilation)
    if bias is not None and shape_of(bias) != (ws[0],):
        raise OpError(f"{op}: bias must have shape ({ws[0]},) (one per output channel), got "
                      f"{tuple(shape_of(bias))}")
    out = apply(conv_p, (x, weight) if bias is None else (x, weight, bias),
                {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups})
    return sh.squeeze(out, 0) if unbatched else out


def __dir__():  # dir() and tab completion show what the module exports, not its helpers
    return __all__
