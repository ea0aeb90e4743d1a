"""Convolution: the ``conv`` primitive, its two transposes, and its front-end.

Convolution is three primitives that are each other's transposes: ``conv`` (y = x * w),
``conv_input_grad`` (the VJP in x) and ``conv_weight_grad`` (the VJP in w). Each one's rules
are written with the other two, so every order of derivative, forward mode included, comes
from the same three kernels. At stride 1 (groups 1) they run on the flat-spatial kernels of
``_flatconv``; other strides copy one block per kernel offset (im2col) for one batched BLAS
call, and groups contract strided windows with einsum.

The front-end (``conv``) checks its arguments with PyTorch's rules (``window_args``), takes
unbatched inputs, and names the op as the user called it (conv1d, conv2d, conv3d).

The transposed convolution (``conv_transpose``: conv_transpose1d/2d/3d) is no new kernel: it
is ``conv_input_grad`` with the output's shape as ``in_shape``, so its derivatives of every
order, forward mode included, are conv's own.
"""
from __future__ import annotations

import math

import numpy as np

from .._backend import NUMPY_ARRAYS
from ..autograd.primitives import Primitive, apply, call, defjvp, defvjp, defvjp_all
from ..errors import OpError
from . import _flatconv
from . import shape as sh
from ._util import shape_of
from ._window import (col2im, im2col, im2row, out_shape, pad_spatial, row2im, unit_stride,
                      used_offsets, window_view)
from .window_args import (SPATIAL_DIMS, as_tuple, check_steps, check_window, pad_right,
                          positive_int, string_padding, with_batch_axis)

__all__ = ["conv_p", "conv_input_grad_p", "conv_weight_grad_p", "conv", "conv_transpose",
           "transpose_out_size"]


def _empty_conv(xp, x, w, bias, stride, padding, dilation):
    """The output of a convolution with no terms to sum (an empty batch or no input
    channels): zeros, plus the bias. The kernels cannot reshape a size-0 axis by -1."""
    padded = tuple(s + 2 * p for s, p in zip(x.shape[2:], padding))
    out = xp.zeros((x.shape[0], w.shape[0]) + out_shape(padded, w.shape[2:], stride, dilation),
                   dtype=xp.result_type(x, w) if bias is None else xp.result_type(x, w, bias))
    if bias is not None:
        out += bias.reshape((-1,) + (1,) * (w.ndim - 2))
    return out


def _flat_pays(in_sp, kernel, stride, padding, dilation) -> bool:
    """Whether the stride-1 flat kernels suit this geometry: they compute an output at
    every position of the padded input, so when the valid outputs are a small part of it
    (a kernel about as large as the input, as in a transposed conv from 1x1), im2col's one
    matrix product is many times faster."""
    if not unit_stride(stride):
        return False
    padded = math.prod([n + 2 * p for n, p in zip(in_sp, padding)])
    valid = math.prod([max(n + 2 * p - d * (k - 1), 0)
                       for n, k, p, d in zip(in_sp, kernel, padding, dilation)])
    return padded < 8 * valid


def _kept(w, ranges):
    """The weight's kept kernel offsets, channels last: (O, kept * C), offset-major."""
    nd = w.ndim - 2
    kept = w[(slice(None), slice(None)) + tuple(slice(lo, hi) for lo, hi in ranges)]
    return kept.transpose((0,) + tuple(range(2, 2 + nd)) + (1,)).reshape(w.shape[0], -1)


def _g_rows(xp, g):
    """g (N, O, *out) as the matrix (N * out positions, O) of the rows' GEMMs."""
    n, o = g.shape[:2]
    return xp.ascontiguousarray(g.reshape(n, o, -1).transpose(0, 2, 1)).reshape(-1, o)


# Bytes of rows per chunk of the batch: the rows are copied and at once multiplied while
# they are in cache (measured: a quarter faster than the whole batch's rows at 14x14).
_ROWS_CHUNK_BYTES = 2 << 20


def _row_chunks(xp, x, kernel, stride, padding, dilation, ranges):
    """The output's shape, the chunk size b, and an iterator over chunks of the batch
    yielding ``(start, stop, rows)``: x[start:stop]'s rows (b * out, kept * C), in a
    scratch buffer that the next chunk overwrites."""
    kept = tuple(hi - lo for lo, hi in ranges)
    out_sp = out_shape([s + 2 * p for s, p in zip(x.shape[2:], padding)], kernel, stride,
                       dilation)
    per_sample = math.prod(out_sp) * math.prod(kept) * x.shape[1] * x.itemsize
    n = x.shape[0]
    b = min(n, max(1, _ROWS_CHUNK_BYTES // max(1, per_sample)))
    buf = _flatconv.scratch(xp, "rows", (b,) + out_sp + kept + (x.shape[1],), x.dtype)

    def chunks():
        for s in range(0, n, b):
            e = min(n, s + b)
            rows, _ = im2row(xp, x[s:e], kernel, stride, padding, dilation, ranges,
                             out=buf[:e - s])
            yield s, e, rows.reshape((e - s) * math.prod(out_sp), -1)
    return out_sp, b, chunks()


def _rows_conv(xp, x, w, bias, stride, padding, dilation, ranges, g=None):
    """Convolution as GEMMs of channels-last rows (b * out, kept * C) by the weight, a
    chunk of the batch at a time. With ``g`` (the output's cotangent) given, returns also
    the weight gradient ``Cw^T(x, g)`` from the same rows: ``(out, grad_w)``."""
    n, o = x.shape[0], w.shape[0]
    wt = _kept(w, ranges).T
    out_sp, b, chunks = _row_chunks(xp, x, w.shape[2:], stride, padding, dilation, ranges)
    m = math.prod(out_sp)
    dtype = xp.result_type(x, w)
    res = _flatconv.scratch(xp, "rows_out", (b * m, o), dtype)
    out = xp.empty((n, o) + out_sp, dtype=dtype if bias is None else
                   xp.result_type(dtype, bias))
    flat = out.reshape(n, o, m)
    g_rows = None if g is None else _g_rows(xp, g)
    gk = None
    for s, e, rows in chunks:
        prod = xp.matmul(rows, wt, out=res[:(e - s) * m]).reshape(e - s, m, o)
        if bias is None:
            flat[s:e] = prod.transpose(0, 2, 1)
        else:  # added as the product is copied to (N, O, out): one pass
            xp.add(prod.transpose(0, 2, 1), bias.reshape(1, o, 1), out=flat[s:e])
        if g_rows is not None:
            part = xp.matmul(g_rows[s * m:e * m].T, rows)
            gk = part if gk is None else gk + part
    if g is None:
        return out
    return out, _full_weight(xp, gk, w.shape, ranges)


def _full_weight(xp, gk, w_shape, ranges):
    """The weight gradient (O, C, *kernel) from its kept offsets' (O, kept * C)."""
    nd = len(w_shape) - 2
    kept = tuple(hi - lo for lo, hi in ranges)
    gk = gk.reshape((w_shape[0],) + kept + (w_shape[1],))
    gk = gk.transpose((0, 1 + nd) + tuple(range(1, 1 + nd)))
    if kept == tuple(w_shape[2:]):
        return xp.ascontiguousarray(gk)
    gw = xp.zeros(w_shape, dtype=gk.dtype)  # offsets that read only padding: no gradient
    gw[(slice(None), slice(None)) + tuple(slice(lo, hi) for lo, hi in ranges)] = gk
    return gw


def _rows_input_grad(xp, g, g_rows, w, in_shape, stride, padding, dilation, ranges):
    """The transpose of ``_rows_conv`` in x. At stride 1 on the larger maps, the
    convolution of g by the flipped, transposed weight (its rows copied from g, a third
    cheaper than adding rows back); otherwise GEMMs to rows (from ``g_rows``, g as a
    matrix, made here when None) and one strided add per kernel offset, by chunks."""
    n, c = in_shape[:2]
    out_sp = g.shape[2:]
    nd = len(out_sp)
    kernel = w.shape[2:]
    back = tuple(d * (k - 1) - p for k, p, d in zip(kernel, padding, dilation))
    if unit_stride(stride) and min(back) >= 0 and math.prod(out_sp) >= _FLIPPED_MIN_POSITIONS:
        ones = (1,) * nd
        flipped = used_offsets(tuple(out_sp), tuple(kernel), ones, back, tuple(dilation))
        if flipped is not None:
            wt = w.transpose((1, 0) + tuple(range(2, 2 + nd)))[
                (slice(None), slice(None)) + (slice(None, None, -1),) * nd]
            return _rows_conv(xp, g, wt, None, ones, back, dilation, flipped)
    if g_rows is None:
        g_rows = _g_rows(xp, g)
    kept = tuple(hi - lo for lo, hi in ranges)
    wm = _kept(w, ranges)
    m = math.prod(out_sp)
    b = min(n, max(1, _ROWS_CHUNK_BYTES // max(1, m * wm.shape[1] * g.itemsize)))
    buf = _flatconv.scratch(xp, "rows", (b * m, wm.shape[1]), xp.result_type(g, w))
    gx = xp.empty(in_shape, dtype=buf.dtype)
    for s in range(0, n, b):
        e = min(n, s + b)
        rows = xp.matmul(g_rows[s * m:e * m], wm, out=buf[:(e - s) * m])
        row2im(xp, rows.reshape((e - s,) + tuple(out_sp) + kept + (c,)), (e - s,) + in_shape[1:],
               kernel, stride, padding, dilation, ranges, out=gx[s:e])
    return gx


def _rows_weight_grad(xp, x, g_rows, w_shape, stride, padding, dilation, ranges):
    """The transpose of ``_rows_conv`` in w: GEMMs of g's rows with x's, by chunks."""
    out_sp, _, chunks = _row_chunks(xp, x, w_shape[2:], stride, padding, dilation, ranges)
    m = math.prod(out_sp)
    gk = None
    for s, e, rows in chunks:
        part = xp.matmul(g_rows[s * m:e * m].T, rows)
        gk = part if gk is None else gk + part
    return _full_weight(xp, gk, w_shape, ranges)


def _path(in_sp, kernel, stride, padding, dilation, channels, groups):
    """Which kernels suit a convolution's geometry: "flat" (stride 1, on large maps),
    "rows" (one GEMM over channels-last rows: small maps, many channels) or "cols" (one
    block copy per kernel offset and a batched GEMM: few channels, larger maps)."""
    if groups != 1:
        return "cols", None
    ranges = used_offsets(tuple(in_sp), tuple(kernel), tuple(stride), tuple(padding),
                          tuple(dilation))
    if ranges is None:
        return "cols", None
    out_sp = out_shape([n + 2 * p for n, p in zip(in_sp, padding)], kernel, stride, dilation)
    positions = math.prod(out_sp)
    if channels >= 16 and positions <= _ROWS_MAX_POSITIONS:
        return "rows", ranges
    if _flat_pays(in_sp, kernel, stride, padding, dilation):
        return "flat", None
    return "cols", None


# Output positions per sample up to which the rows kernels beat the others, and from which
# the input gradient is best a convolution of g (measured, float32, one thread).
_ROWS_MAX_POSITIONS = 200
_FLIPPED_MIN_POSITIONS = 64


def _conv(xp, x, w, bias=None, *, stride, padding, dilation, groups):
    """Convolution of x with w, plus ``bias`` (O,) when given: the stride-1 kernel adds it
    as it copies its output out, the others after."""
    if not (x.size and w.size):
        return _empty_conv(xp, x, w, bias, stride, padding, dilation)
    path, ranges = _path(x.shape[2:], w.shape[2:], stride, padding, dilation, x.shape[1],
                         groups)
    if path == "rows":
        return _rows_conv(xp, x, w, bias, stride, padding, dilation, ranges)
    if path == "flat":
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
    path, ranges = _path(in_shape[2:], kernel, stride, padding, dilation, c, groups)
    if path == "rows":
        return _rows_input_grad(xp, g, None, w, in_shape, stride, padding, dilation, ranges)
    if path == "flat":
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


def _weight_grad_of_cols(xp, g, mat, w_shape):
    """The weight gradient from the columns ``mat`` (N, C*k, M) of the input."""
    n, o, m = g.shape[0], g.shape[1], mat.shape[2]
    if o > m:
        # Few output positions (a transposed conv's small input): one GEMM over the batch
        # beats N products of shape (O, C*k) to sum, whose stack is then the larger.
        return xp.tensordot(g.reshape(n, o, m), mat, axes=([0, 2], [0, 2])).reshape(w_shape)
    return xp.matmul(g.reshape(n, o, m), mat.transpose(0, 2, 1)).sum(0).reshape(w_shape)


def _conv_weight_grad(xp, x, g, stride, padding, dilation, groups, w_shape):
    nd = len(w_shape) - 2
    n, o = g.shape[:2]
    if not (x.size and g.size):  # an empty batch or no channels: no terms to sum
        return xp.zeros(w_shape, dtype=xp.result_type(x, g))
    path, ranges = _path(x.shape[2:], w_shape[2:], stride, padding, dilation, x.shape[1],
                         groups)
    if path == "rows":
        return _rows_weight_grad(xp, x, _g_rows(xp, g), w_shape, stride, padding, dilation,
                                 ranges)
    if path == "flat":
        return _flat_backward(xp, g, w_shape, padding, dilation, x.shape, x=x)[1]
    if groups == 1:
        cols, out_sp = im2col(xp, x, w_shape[2:], stride, padding, dilation)
        return _weight_grad_of_cols(xp, g, cols.reshape(n, -1, math.prod(out_sp)), w_shape)
    letters, ks = "hwd"[:nd], "ijk"[:nd]
    cols = window_view(xp, x, w_shape[2:], stride, padding, dilation)
    c = cols.shape[1]
    cols = cols.reshape((n, groups, c // groups) + cols.shape[2:])
    gg = g.reshape((n, groups, o // groups) + g.shape[2:])
    out = xp.einsum(f"ngc{letters}{ks},ngo{letters}->goc{ks}", cols, gg, optimize=True)
    return out.reshape(w_shape)


_conv_args = ("stride", "padding", "dilation", "groups")

# The VJPs read the inputs, never the output: an in-place op on a conv's output (a
# LeakyReLU(inplace=True) after it) is then legal, as in PyTorch.
conv_p = Primitive("conv", _conv, saves_ans=False)
conv_input_grad_p = Primitive("conv_input_grad", _conv_input_grad, saves_ans=False)
conv_weight_grad_p = Primitive("conv_weight_grad", _conv_weight_grad, saves_ans=False)


def _geometry(p):
    return {k: p[k] for k in _conv_args}


def _bias_grad(xp, g):
    """The sum of g over every axis but the channels (1)."""
    # (A CuPy array, or any other array-like, takes the xp route.)
    if type(g) in NUMPY_ARRAYS and g.ndim > 2 and g.dtype.kind == "f" and g.size:
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
    stride, padding, dilation = p["stride"], p["padding"], p["dilation"]
    path, ranges = _path(x.shape[2:], w.shape[2:], stride, padding, dilation, x.shape[1],
                         p["groups"])
    if needs[0] and needs[1] and type(g) in NUMPY_ARRAYS and path != "cols" and \
            g.size and x.size and w.size:
        if path == "flat":
            grads[0], grads[1] = _flat_backward(xp, g, w.shape, padding, dilation, x.shape,
                                                w=w, x=x)
        else:  # g's rows, shared by both products
            rows = _g_rows(xp, g)
            grads[0] = _rows_input_grad(xp, g, rows, w, x.shape, stride, padding, dilation,
                                        ranges)
            grads[1] = _rows_weight_grad(xp, x, rows, w.shape, stride, padding, dilation,
                                         ranges)
    else:
        if needs[0]:
            grads[0] = call(xp, conv_input_grad_p, g, w, in_shape=x.shape, **geo)
        if needs[1]:
            grads[1] = call(xp, conv_weight_grad_p, x, g, w_shape=w.shape, **geo)
    if len(inputs) > 2 and needs[2]:
        grads[2] = _bias_grad(xp, g)
    return grads


defvjp_all(conv_p, _conv_vjp)


def _conv_input_grad_vjp(xp, v, ans, inputs, needs, **p):
    """y = Cx^T(g, w):  <v, y> = <conv(v, w), g> = <Cw^T(v, g), w>. On raw arrays off the
    flat kernels' geometry (a transposed conv's forward is this op), both share v's
    columns: one im2col instead of two."""
    g, w = inputs
    geo = _geometry(p)
    stride, padding, dilation = p["stride"], p["padding"], p["dilation"]
    path, ranges = _path(v.shape[2:], w.shape[2:], stride, padding, dilation, v.shape[1],
                         p["groups"])
    both = needs[0] and needs[1] and type(v) in NUMPY_ARRAYS and v.size and g.size and w.size
    if both and path == "rows":  # v's rows, shared by both products
        return list(_rows_conv(xp, v, w, None, stride, padding, dilation, ranges, g=g))
    if both and path == "cols" and p["groups"] == 1:
        cols, out_sp = im2col(xp, v, w.shape[2:], stride, padding, dilation)
        mat = cols.reshape(v.shape[0], -1, math.prod(out_sp))
        gg = xp.matmul(w.reshape(w.shape[0], -1), mat).reshape(g.shape)
        return [gg, _weight_grad_of_cols(xp, g, mat, w.shape)]
    return [call(xp, conv_p, v, w, **geo) if needs[0] else None,
            call(xp, conv_weight_grad_p, v, g, w_shape=w.shape, **geo) if needs[1] else None]


defvjp_all(conv_input_grad_p, _conv_input_grad_vjp)
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


def _checked_operands(kind, x, weight, nd, groups, channels):
    """The checks conv and conv_transpose share: the weight's rank, the input with a batch
    axis, and ``groups`` dividing weight.shape[0]. ``channels`` names the weight's first two
    dims (conv: out, in; transposed: in, out). Returns (op, weight shape, nd, the input's
    given shape, the batched input, whether it was unbatched, groups)."""
    first, second = channels
    ws = shape_of(weight)
    nd = len(ws) - 2 if nd is None else nd
    op = f"{kind}{nd}d"
    if len(ws) != nd + 2:
        raise OpError(f"{op}: weight must be {nd + 2}-D ({first}, {second}/groups, "
                      f"{SPATIAL_DIMS.get(nd, '...')} of the kernel), got shape "
                      f"{tuple(ws)}")
    given = shape_of(x)
    x, unbatched = with_batch_axis(op, x, nd)
    groups = groups if type(groups) is int and groups > 0 else \
        positive_int(op, "groups", groups)
    if ws[0] == 0 or ws[0] % groups:
        raise OpError(f"{op}: {first} (weight.shape[0] = {ws[0]}) must be a positive "
                      f"multiple of groups={groups}")
    return op, ws, nd, given, x, unbatched, groups


def conv(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, nd: int = None):
    """N-d convolution (cross-correlation), as PyTorch's conv1d/conv2d/conv3d: ``nd`` is
    the number of spatial dims the caller means (by default the weight's), and names the
    op in errors. Takes (N, C, *spatial) or one sample (C, *spatial); ``padding`` may be
    numbers, 'valid' or 'same'."""
    op, ws, nd, given, x, unbatched, groups = _checked_operands(
        "conv", x, weight, nd, groups, ("out_channels", "in_channels"))
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


def transpose_out_size(in_sp, kernel, stride, padding, dilation, output_padding=None) -> tuple:
    """The spatial shape of a transposed convolution's output, by PyTorch's formula
    ``(n - 1) * s - 2 * p + d * (k - 1) + output_padding + 1`` (one per spatial dim)."""
    output_padding = output_padding or (0,) * len(kernel)
    return tuple((n - 1) * s - 2 * p + d * (k - 1) + o + 1 for n, k, s, p, d, o in
                 zip(in_sp, kernel, stride, padding, dilation, output_padding))


def conv_transpose(x, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                   dilation=1, nd: int = None):
    """N-d transposed convolution, as PyTorch's conv_transpose1d/2d/3d (and in its argument
    order): the transpose (input gradient) of the convolution by ``weight`` of shape
    (in_channels, out_channels/groups, *kernel). Takes (N, C_in, *spatial) or one sample
    (C_in, *spatial); ``output_padding`` (smaller than the stride or the dilation, per dim)
    adds that many rows at the end of each spatial dim.

    >>> import chainrule as cr
    >>> conv_transpose(cr.ones(1, 1, 2), cr.ones(1, 1, 2), stride=2).tolist()
    [[[1.0, 1.0, 1.0, 1.0]]]
    """
    op, ws, nd, given, x, unbatched, groups = _checked_operands(
        "conv_transpose", x, weight, nd, groups, ("in_channels", "out_channels"))
    xs = shape_of(x)
    if xs[1] != ws[0]:
        raise OpError(f"{op}: the weight of shape {tuple(ws)} expects {ws[0]} input channels "
                      f"(weight.shape[0]), but the input of shape {tuple(given)} has {xs[1]}")
    stride = as_tuple(stride, nd, "stride", op)
    padding = as_tuple(padding, nd, "padding", op)
    dilation = as_tuple(dilation, nd, "dilation", op)
    output_padding = as_tuple(output_padding, nd, "output_padding", op)
    kernel = tuple(ws[2:])
    check_steps(op, kernel, stride, padding, dilation)
    if min(output_padding) < 0:
        raise OpError(f"{op}: output_padding must be non-negative, got {output_padding}")
    if any(o >= s and o >= d for o, s, d in zip(output_padding, stride, dilation)):
        raise OpError(f"{op}: output_padding must be smaller than either stride or dilation "
                      f"in each dim, got output_padding={output_padding} with "
                      f"stride={stride}, dilation={dilation}")
    out_sp = transpose_out_size(xs[2:], kernel, stride, padding, dilation, output_padding)
    # PyTorch: an empty batch may give an empty output (size 0, never below); a sample
    # needs an output of size 1 or more.
    if min(out_sp) < (0 if xs[0] == 0 else 1):
        raise OpError(f"{op}: the output would have spatial size {out_sp} for the input of "
                      f"shape {tuple(given)} (kernel_size={kernel}, stride={stride}, "
                      f"padding={padding}, dilation={dilation}): use less padding")
    out_channels = ws[1] * groups
    if bias is not None and shape_of(bias) != (out_channels,):
        raise OpError(f"{op}: bias must have shape ({out_channels},) (one per output channel: "
                      f"weight.shape[1] * groups), got {tuple(shape_of(bias))}")
    # An output_padding of a stride or more (allowed below the dilation) makes the
    # convolution of the output longer than the input by output_padding // stride: those
    # input rows are zeros, so that conv_input_grad's geometry is conv's own.
    x = pad_right(x, tuple(o // s for o, s in zip(output_padding, stride)))
    out = apply(conv_input_grad_p, (x, weight),
                {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups,
                 "in_shape": (xs[0], out_channels) + out_sp})
    if bias is not None:
        out = out + sh.reshape(bias, (out_channels,) + (1,) * nd)
    return sh.squeeze(out, 0) if unbatched else out


def __dir__():  # dir() and tab completion show what the module exports, not its helpers
    return __all__
