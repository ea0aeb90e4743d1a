"""Neural-network primitives: convolution, pooling, softmax, fused cross-entropy.

Convolution is three primitives that are each other's transposes: ``conv`` (y = x * w),
``conv_input_grad`` (the VJP in x) and ``conv_weight_grad`` (the VJP in w). Each one's rules
are written with the other two, so every order of derivative, forward mode included, comes
from the same three kernels. At stride 1 (groups 1) they run on the flat-spatial kernels of
``_flatconv``; other strides copy one block per kernel offset (im2col) for one batched BLAS
call, and groups contract strided windows with einsum. Max pooling and cross-entropy keep
what their VJPs need from the forward (argmax, softmax) as residuals.

The front-ends (``conv``, ``max_pool``, ``avg_pool``) check their arguments with PyTorch's
rules through one validator (``check_window``), take unbatched inputs, and name the op as
the user called it (conv2d, max_pool3d...) in every error.
"""
from __future__ import annotations

import itertools
import operator

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .. import _fastnp as fnp
from . import _flatconv
from ..autograd.primitives import Primitive, apply, call, defjvp, defvjp, defvjp_all
from ..errors import OpError, OpTypeError
from . import shape as sh
from ._util import shape_of


def _padded(x, padding):
    if not any(padding):
        return x
    pad = [(0, 0), (0, 0)] + [(p, p) for p in padding]
    return np.pad(x, pad)


def _windows(x, kernel, stride, padding, dilation):
    """(N, C, *out, *kernel) strided view of the padded input."""
    xp_ = _padded(x, padding)
    nd = len(kernel)
    span = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    w = sliding_window_view(xp_, span, axis=tuple(range(2, 2 + nd)))
    index = (slice(None), slice(None)) + tuple(slice(None, None, s) for s in stride) + \
        tuple(slice(None, None, d) for d in dilation)
    return w[index]


def _out_shape(in_sp, kernel, stride, dilation):
    return tuple((s - d * (k - 1) - 1) // st + 1
                 for s, k, st, d in zip(in_sp, kernel, stride, dilation))


def _offsets(kernel):
    """Every kernel offset, in C order (np.ndindex's, without its per-call cost)."""
    return itertools.product(*(range(k) for k in kernel))


def _offset_region(k, stride, dilation, out_sp):
    """The strided slice of the padded input that kernel offset ``k`` reads."""
    return (slice(None), slice(None)) + tuple(
        slice(ki * d, ki * d + st * (m - 1) + 1, st)
        for ki, d, st, m in zip(k, dilation, stride, out_sp))


def _im2col(x, kernel, stride, padding, dilation, fill=0.0):
    """(N, C, *kernel, *out): one block copy per kernel offset (each a large strided
    slice), far faster than copying out of a 2n-dimensional window view."""
    if any(padding):
        x = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in padding], constant_values=fill)
    out_sp = _out_shape(x.shape[2:], kernel, stride, dilation)
    cols = np.empty(x.shape[:2] + tuple(kernel) + out_sp, dtype=x.dtype)
    for k in _offsets(kernel):
        cols[(slice(None), slice(None)) + k] = x[_offset_region(k, stride, dilation, out_sp)]
    return cols, out_sp


def _unit(stride) -> bool:
    return all(s == 1 for s in stride)


def _empty_conv(x, w, bias, stride, padding, dilation):
    """The output of a convolution with no terms to sum (an empty batch or no input
    channels): zeros, plus the bias. The kernels cannot reshape a size-0 axis by -1."""
    padded = tuple(s + 2 * p for s, p in zip(x.shape[2:], padding))
    out = np.zeros((x.shape[0], w.shape[0]) + _out_shape(padded, w.shape[2:], stride, dilation),
                   dtype=np.result_type(x, w) if bias is None else np.result_type(x, w, bias))
    if bias is not None:
        out += bias.reshape((-1,) + (1,) * (w.ndim - 2))
    return out


def _conv(x, w, bias=None, *, stride, padding, dilation, groups):
    """Convolution of x with w, plus ``bias`` (O,) when given: the stride-1 kernel adds it
    as it copies its output out, the others after."""
    if not (x.size and w.size):
        return _empty_conv(x, w, bias, stride, padding, dilation)
    if groups == 1 and _unit(stride):
        return _flatconv.conv(_padded(x, padding), w, dilation, bias)
    out = _conv_unbiased(x, w, stride, padding, dilation, groups)
    if bias is not None:
        out = out + bias.reshape((-1,) + (1,) * (w.ndim - 2))
    return out


def _conv_unbiased(x, w, stride, padding, dilation, groups):
    nd = w.ndim - 2
    o = w.shape[0]
    if groups == 1:
        # One batched BLAS call: (O, C*k) @ (N, C*k, out) -> (N, O, out).
        cols, out_sp = _im2col(x, w.shape[2:], stride, padding, dilation)
        n = x.shape[0]
        out = np.matmul(w.reshape(o, -1), cols.reshape(n, -1, int(np.prod(out_sp))))
        return out.reshape((n, o) + out_sp)
    letters, ks = "hwd"[:nd], "ijk"[:nd]
    cols = _windows(x, w.shape[2:], stride, padding, dilation)
    n, c = cols.shape[:2]
    out_sp = cols.shape[2:2 + nd]
    g = groups
    cols = cols.reshape((n, g, c // g) + cols.shape[2:])
    wg = w.reshape((g, o // g) + w.shape[1:])
    out = np.einsum(f"ngc{letters}{ks},goc{ks}->ngo{letters}", cols, wg, optimize=True)
    return out.reshape((n, o) + out_sp)


def _col2im(cols, in_shape, kernel, stride, padding, dilation):
    """Transpose of _im2col: add each kernel offset's block back where it was read."""
    n, c = in_shape[:2]
    out_sp = cols.shape[2 + len(kernel):]
    padded = np.zeros((n, c) + tuple(s + 2 * p for s, p in zip(in_shape[2:], padding)),
                      dtype=cols.dtype)
    for k in _offsets(kernel):
        padded[_offset_region(k, stride, dilation, out_sp)] += \
            cols[(slice(None), slice(None)) + k]
    crop = tuple(slice(p, p + s) for p, s in zip(padding, in_shape[2:]))
    return padded[(slice(None), slice(None)) + crop]


def _flat_backward(g, w_shape, padding, dilation, in_shape, w=None, x=None):
    """The stride-1 transposes of conv (``_flatconv.backward``) on the unpadded input: in x
    when ``w`` is given, in w when ``x`` is given."""
    padded_sp = tuple(s + 2 * p for s, p in zip(in_shape[2:], padding))
    gx, gw = _flatconv.backward(g, w_shape, dilation, padded_sp, w=w,
                                x=None if x is None else _padded(x, padding))
    if gx is not None:
        gx = gx[(slice(None), slice(None)) +
                tuple(slice(p, p + s) for p, s in zip(padding, in_shape[2:]))]
    return gx, gw


def _conv_input_grad(g, w, stride, padding, dilation, groups, in_shape):
    """The transpose of conv in x: scatter each output gradient back over its window."""
    nd = w.ndim - 2
    n, c = in_shape[:2]
    o = w.shape[0]
    kernel = w.shape[2:]
    if not (g.size and w.size):  # nothing flows back (an empty batch or no channels)
        return np.zeros(in_shape, dtype=np.result_type(g, w))
    if groups == 1 and _unit(stride):
        return _flat_backward(g, w.shape, padding, dilation, in_shape, w=w)[0]
    if groups == 1:
        cols = np.matmul(w.reshape(o, -1).T, g.reshape(n, o, -1))
        cols = cols.reshape((n, c) + kernel + g.shape[2:])
    else:
        letters, ks = "hwd"[:nd], "ijk"[:nd]
        gg = g.reshape((n, groups, o // groups) + g.shape[2:])
        wg = w.reshape((groups, o // groups) + w.shape[1:])
        cols = np.einsum(f"ngo{letters},goc{ks}->ngc{ks}{letters}", gg, wg, optimize=True)
        cols = cols.reshape((n, c) + cols.shape[3:])
    return _col2im(cols, in_shape, kernel, stride, padding, dilation)


def _conv_weight_grad(x, g, stride, padding, dilation, groups, w_shape):
    nd = len(w_shape) - 2
    n, o = g.shape[:2]
    if not (x.size and g.size):  # an empty batch or no channels: no terms to sum
        return np.zeros(w_shape, dtype=np.result_type(x, g))
    if groups == 1 and _unit(stride):
        return _flat_backward(g, w_shape, padding, dilation, x.shape, x=x)[1]
    if groups == 1:
        cols, out_sp = _im2col(x, w_shape[2:], stride, padding, dilation)
        mat = cols.reshape(n, -1, int(np.prod(out_sp)))
        return np.matmul(g.reshape(n, o, -1), mat.transpose(0, 2, 1)).sum(0).reshape(w_shape)
    letters, ks = "hwd"[:nd], "ijk"[:nd]
    cols = _windows(x, w_shape[2:], stride, padding, dilation)
    c = cols.shape[1]
    cols = cols.reshape((n, groups, c // groups) + cols.shape[2:])
    gg = g.reshape((n, groups, o // groups) + g.shape[2:])
    out = np.einsum(f"ngc{letters}{ks},ngo{letters}->goc{ks}", cols, gg, optimize=True)
    return out.reshape(w_shape)


_conv_args = ("stride", "padding", "dilation", "groups")

conv_p = Primitive("convolution", _conv)
conv_input_grad_p = Primitive("convolution_input_grad", _conv_input_grad)
conv_weight_grad_p = Primitive("convolution_weight_grad", _conv_weight_grad)


def _geometry(p):
    return {k: p[k] for k in _conv_args}


def _bias_grad(xp, g):
    """The sum of g over every axis but the channels (1)."""
    if isinstance(g, np.ndarray) and g.ndim > 2 and g.dtype.kind == "f" and g.size:
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
    if needs[0] and needs[1] and isinstance(g, np.ndarray) and p["groups"] == 1 and \
            _unit(p["stride"]) and g.size and x.size and w.size:
        grads[0], grads[1] = _flat_backward(g, w.shape, p["padding"], p["dilation"], x.shape,
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


# ----- argument checks shared by convolution and pooling -------------------------------------
# Each is a few comparisons of small tuples: a valid call pays next to nothing for them.
_SPATIAL = {1: "L", 2: "H, W", 3: "D, H, W"}


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
    dims = _SPATIAL.get(nd, "...")
    raise OpError(f"{op}: expected a {nd + 1}-D (unbatched: C, {dims}) or {nd + 2}-D (batched: "
                  f"N, C, {dims}) input, got shape {tuple(shape)}")


def _positive_int(op: str, name: str, v) -> int:
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
    if not _unit(stride):
        raise OpError(f"{op}: padding='same' is not supported for strided convolutions "
                      f"(stride={stride}); use stride=1 or give the padding as numbers")
    total = tuple(d * (k - 1) for k, d in zip(kernel, dilation))
    return tuple(t // 2 for t in total), tuple(t % 2 for t in total)


def _pad_right(x, extra: tuple, value: float = 0.0):
    """x padded by ``extra`` (one per spatial dim) at the end of each spatial axis."""
    if not any(extra):
        return x
    return sh.pad(x, ((0, 0), (0, 0)) + tuple((0, e) for e in extra), value=value)


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
                      f"{_SPATIAL.get(nd, '...')} of the kernel), got shape {tuple(ws)}")
    given = shape_of(x)
    x, unbatched = with_batch_axis(op, x, nd)
    groups = groups if type(groups) is int and groups > 0 else \
        _positive_int(op, "groups", groups)
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
        x = _pad_right(x, extra)
    else:
        padding = as_tuple(padding, nd, "padding", op)
    check_window(op, shape_of(x)[2:], ws[2:], stride, padding, dilation)
    if bias is not None and shape_of(bias) != (ws[0],):
        raise OpError(f"{op}: bias must have shape ({ws[0]},) (one per output channel), got "
                      f"{tuple(shape_of(bias))}")
    out = apply(conv_p, (x, weight) if bias is None else (x, weight, bias),
                {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups})
    return sh.squeeze(out, 0) if unbatched else out


# ----- pooling ------------------------------------------------------------------------------
def _pool_geometry(x_shape, kernel, stride, padding, dilation):
    return {"kernel": kernel, "stride": stride, "padding": padding, "dilation": dilation,
            "in_shape": tuple(x_shape)}


def _offset_views(x, kernel, stride, padding, dilation, fill=0.0):
    """For each kernel offset, the strided view (N, C, *out) of the padded input that it
    reads: pooling runs over these few views instead of copying out every window."""
    if any(padding):
        x = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in padding], constant_values=fill)
    out_sp = _out_shape(x.shape[2:], kernel, stride, dilation)
    return [x[_offset_region(k, stride, dilation, out_sp)] for k in _offsets(kernel)]


def _max_pool_argmax(x, kernel, stride, padding, dilation):
    """Each window's maximum and its offset (the first one on ties, as argmax; the first
    NaN if any, as PyTorch), by a running comparison over the kernel offsets. The offset is
    updated by arithmetic: np.where and masked copies are many times slower here."""
    views = _offset_views(x, kernel, stride, padding, dilation, fill=-np.inf)

    def scan(nan_wins: bool):
        best = views[0].copy()
        arg = np.zeros(best.shape, dtype=np.int8 if len(views) < 128 else np.int32)
        better = np.empty(best.shape, dtype=bool)
        for k in range(1, len(views)):
            np.greater(views[k], best, out=better)
            if nan_wins:  # a NaN beats everything but an earlier NaN
                better |= np.isnan(views[k]) & ~np.isnan(best)
            np.maximum(best, views[k], out=best)
            arg += better * (arg.dtype.type(k) - arg)  # k where better
        return best, arg

    best, arg = scan(False)
    # NaN compares false, so only if a maximum came out NaN is the scan redone with NaN rules
    return scan(True) if np.isnan(best).any() else (best, arg)


def _max_pool(x, kernel, stride, padding, dilation, in_shape, residual=False):
    """Max pooling; with ``residual``, also each window's argmax, for the VJP."""
    if residual:
        return _max_pool_argmax(x, kernel, stride, padding, dilation)
    views = _offset_views(x, kernel, stride, padding, dilation, fill=-np.inf)
    best = views[0].copy()
    for view in views[1:]:
        np.maximum(best, view, out=best)
    return best, None


def _max_pool_scatter(g, x, arg=None, *, kernel, stride, padding, dilation, in_shape):
    """The VJP of max pooling: each output gradient goes to its window's argmax (from the
    forward, or found again from ``x``)."""
    if arg is None:
        arg = _max_pool_argmax(x, kernel, stride, padding, dilation)[1]
    padded = np.zeros(tuple(in_shape[:2]) + tuple(s + 2 * p for s, p in
                                                  zip(in_shape[2:], padding)), dtype=g.dtype)
    outs = _offset_views(padded, kernel, stride, (0,) * len(kernel), dilation)
    # g * mask is exact unless g holds infinities or NaNs (0 * inf is NaN); where windows do
    # not overlap it is written straight into the gradient.
    finite = bool(np.isfinite(g).all())
    disjoint = all(st >= d * (k - 1) + 1 for k, st, d in zip(kernel, stride, dilation))
    hit = np.empty(arg.shape, dtype=bool)
    for k, out in enumerate(outs):
        np.equal(arg, k, out=hit)
        if not finite:
            out += np.where(hit, g, 0)  # written through to ``padded``
        elif disjoint:
            np.multiply(g, hit, out=out)
        else:
            out += g * hit
    crop = tuple(slice(p, p + s) for p, s in zip(padding, in_shape[2:]))
    return padded[(slice(None), slice(None)) + crop]


def _max_pool_gather(v, x, kernel, stride, padding, dilation, in_shape):
    """Transpose of the scatter: read ``v`` at each window's argmax (x fixes the argmax)."""
    _, arg = _max_pool_argmax(x, kernel, stride, padding, dilation)
    views = _offset_views(v, kernel, stride, padding, dilation)
    out = views[0].copy()
    for k in range(1, len(views)):
        out = np.where(arg == k, views[k], out)
    return out


max_pool_p = Primitive("max_pool", _max_pool, saves=(0,), residual=True)
max_pool_scatter_p = Primitive("max_pool_backward", _max_pool_scatter, saves=(1, 2),
                               saves_ans=False)
max_pool_gather_p = Primitive("max_pool_gather", _max_pool_gather, saves=(1,), saves_ans=False)
# ``arg``: the forward's argmax (None when it was not kept: the scatter finds it again).
defvjp(max_pool_p, lambda xp, g, arg, x, **p: call(xp, max_pool_scatter_p, g, x, arg, **p))
defjvp(max_pool_p, lambda xp, ts, ans, x, **p: call(xp, max_pool_gather_p, ts[0], x, **p))
# The scatter and gather are linear in their first input and transposes of each other; the
# argmax (from x) is piecewise constant, so x gets no gradient through them.
defvjp(max_pool_scatter_p,
       lambda xp, v, ans, g, x, arg=None, **p: call(xp, max_pool_gather_p, v, x, **p),
       lambda xp, v, ans, g, x, arg=None, **p: xp.zeros_like(x))
defvjp(max_pool_gather_p, lambda xp, v, ans, u, x, **p: call(xp, max_pool_scatter_p, v, x, **p),
       lambda xp, v, ans, u, x, **p: xp.zeros_like(x))
defjvp(max_pool_scatter_p, lambda xp, ts, ans, g, x, arg=None, **p: None if ts[0] is None else
       call(xp, max_pool_scatter_p, ts[0], x, arg, **p))
defjvp(max_pool_gather_p, lambda xp, ts, ans, u, x, **p: None if ts[0] is None else
       call(xp, max_pool_gather_p, ts[0], x, **p))


def _avg_divisor(kernel, stride, padding, count_include_pad, divisor_override, in_shape,
                 extra):
    """What each window's sum is divided by, as PyTorch: the window's size, or (without
    ``count_include_pad``) how many input elements it covers; the positions that
    ceil_mode adds past the padding (``extra``) never count."""
    if divisor_override:
        return float(divisor_override)
    if not any(extra) and (count_include_pad or not any(padding)):
        return float(np.prod(kernel))
    if count_include_pad:  # the padding counts: ones over the padded input
        counted = np.ones((1, 1) + tuple(s + 2 * p for s, p in zip(in_shape[2:], padding)))
        padding = (0,) * len(kernel)
    else:
        counted = np.ones((1, 1) + tuple(in_shape[2:]))
    counted = np.pad(counted, [(0, 0), (0, 0)] + [(0, e) for e in extra])
    cols = _windows(counted, kernel, stride, padding, (1,) * len(kernel))
    return fnp.sum(cols, axis=tuple(range(cols.ndim - len(kernel), cols.ndim)))


def _avg_forward(x, kernel, stride, padding, div):
    cols = _windows(x, kernel, stride, padding, (1,) * len(kernel))
    return fnp.sum(cols, axis=tuple(range(cols.ndim - len(kernel), cols.ndim))) / div


def _avg_scatter(g, kernel, stride, padding, div, in_shape):
    scaled = (g / div).astype(g.dtype, copy=False)
    cols = np.broadcast_to(np.expand_dims(scaled, tuple(range(2, 2 + len(kernel)))),
                           g.shape[:2] + tuple(kernel) + g.shape[2:])
    return _col2im(cols, in_shape, kernel, stride, padding, (1,) * len(kernel))


avg_pool_p = Primitive("avg_pool", lambda x, kernel, stride, padding, div, in_shape:
                       _avg_forward(x, kernel, stride, padding, div), saves=(),
                       saves_ans=False)
avg_pool_scatter_p = Primitive("avg_pool_backward", _avg_scatter, saves=(), saves_ans=False)
defvjp(avg_pool_p, lambda xp, g, ans, x, **p: call(xp, avg_pool_scatter_p, g, **p))
defvjp(avg_pool_scatter_p, lambda xp, v, ans, g, **p: call(xp, avg_pool_p, v, **p))
defjvp(avg_pool_p, lambda xp, ts, ans, x, **p: call(xp, avg_pool_p, ts[0], **p))
defjvp(avg_pool_scatter_p, lambda xp, ts, ans, g, **p: call(xp, avg_pool_scatter_p, ts[0], **p))


def _pool_args(op, nd, x, kernel_size, stride, padding, dilation, ceil_mode):
    """The checked geometry of a pooling call, and x with a batch axis."""
    given = shape_of(x)
    x, unbatched = with_batch_axis(op, x, nd)
    if 0 in given[-nd - 1:]:
        raise OpError(f"{op}: the channel and spatial sizes must be non-zero (only the batch "
                      f"may be empty), got an input of shape {tuple(given)}")
    kernel = as_tuple(kernel_size, nd, "kernel_size", op)
    if stride is None or (isinstance(stride, (tuple, list)) and not stride):
        stride = kernel  # PyTorch's default: windows side by side
    else:
        stride = as_tuple(stride, nd, "stride", op)
    padding = as_tuple(padding, nd, "padding", op)
    dilation = as_tuple(dilation, nd, "dilation", op)
    out_sp = check_window(op, shape_of(x)[2:], kernel, stride, padding, dilation, pool=True,
                          ceil_mode=ceil_mode)
    # ceil_mode's last windows may run past the padded input: pad that much more on the
    # right, so the kernels see only whole windows.
    extra = tuple(max(0, (m - 1) * s + d * (k - 1) + 1 - (n + 2 * p)) for m, s, d, k, n, p in
                  zip(out_sp, stride, dilation, kernel, shape_of(x)[2:], padding))
    return x, unbatched, kernel, stride, padding, dilation, extra


def _pool_rank(x, nd):
    """The spatial rank a pooling call means: given, or every dim past (N, C)."""
    if nd is None:
        nd = len(shape_of(x)) - 2
        if nd < 1:
            raise OpError(f"pooling: expected an input of shape (N, C, *spatial), got "
                          f"{tuple(shape_of(x))}")
    return nd


def max_pool(x, kernel_size, stride=None, padding=0, dilation=1, *, ceil_mode=False,
             nd: int = None):
    """Max pooling over the last ``nd`` dims of (N, C, *spatial) or (C, *spatial), as
    PyTorch's max_pool1d/2d/3d (``nd`` names the op; by default all dims past (N, C))."""
    nd = _pool_rank(x, nd)
    x, unbatched, kernel, stride, padding, dilation, extra = _pool_args(
        f"max_pool{nd}d", nd, x, kernel_size, stride, padding, dilation, ceil_mode)
    x = _pad_right(x, extra, -np.inf)
    out = apply(max_pool_p, (x,), _pool_geometry(shape_of(x), kernel, stride, padding,
                                                  dilation))
    return sh.squeeze(out, 0) if unbatched else out


def avg_pool(x, kernel_size, stride=None, padding=0, count_include_pad=True,
             divisor_override=None, *, ceil_mode=False, nd: int = None):
    """Average pooling, as PyTorch's avg_pool1d/2d/3d (see ``max_pool``)."""
    nd = _pool_rank(x, nd)
    op = f"avg_pool{nd}d"
    x, unbatched, kernel, stride, padding, _, extra = _pool_args(
        op, nd, x, kernel_size, stride, padding, 1, ceil_mode)
    if nd == 3 and any(n < k for n, k in zip(shape_of(x)[2:], kernel)):
        # avg_pool3d's own rule in PyTorch: the unpadded input holds the kernel
        raise OpError(f"{op}: the input's spatial size {tuple(shape_of(x)[2:])} is smaller than "
                      f"the kernel size {kernel}")
    if divisor_override is not None and divisor_override == 0:
        raise OpError(f"{op}: divisor_override must be non-zero (None divides by the window "
                      f"size)")
    div = _avg_divisor(kernel, stride, padding, count_include_pad, divisor_override,
                       shape_of(x), extra)
    x = _pad_right(x, extra)
    out = apply(avg_pool_p, (x,), {"kernel": kernel, "stride": stride, "padding": padding,
                                   "div": div, "in_shape": shape_of(x)})
    return sh.squeeze(out, 0) if unbatched else out


# ----- softmax and cross-entropy ---------------------------------------------------------------
def _log_softmax(x, axis):
    m = fnp.amax(x, axis=axis, keepdims=True)
    shifted = x - m
    return shifted - np.log(fnp.sum(np.exp(shifted), axis=axis, keepdims=True))


def _softmax(x, axis):
    e = np.exp(x - fnp.amax(x, axis=axis, keepdims=True))
    e /= fnp.sum(e, axis=axis, keepdims=True)
    return e


log_softmax_p = Primitive("log_softmax", _log_softmax, saves=(), saves_ans=True)
defvjp(log_softmax_p, lambda xp, g, ans, x, axis:
       g - xp.exp(ans) * xp.sum(g, axis=axis, keepdims=True))
defjvp(log_softmax_p, lambda xp, ts, ans, x, axis:
       ts[0] - xp.sum(xp.exp(ans) * ts[0], axis=axis, keepdims=True))

softmax_p = Primitive("softmax", _softmax, saves=(), saves_ans=True)
defvjp(softmax_p, lambda xp, g, ans, x, axis:
       ans * (g - xp.sum(g * ans, axis=axis, keepdims=True)))
defjvp(softmax_p, lambda xp, ts, ans, x, axis:
       ans * (ts[0] - xp.sum(ts[0] * ans, axis=axis, keepdims=True)))


def _cross_entropy_rows(logits, q):
    """Per row: -sum_c q_c log softmax(z)_c = (sum_c q_c) lse - sum_c q_c z_c."""
    m = fnp.amax(logits, axis=1, keepdims=True)
    lse = np.log(fnp.sum(np.exp(logits - m), axis=1, keepdims=True)) + m
    return fnp.sum(q * (lse - logits), axis=1)


def _ce_vjp_logits(xp, g, ans, z, q):
    p = call(xp, softmax_p, z, axis=1)
    return xp.expand_dims(g, 1) * (p * xp.sum(q, axis=1, keepdims=True) - q)


def _ce_vjp_q(xp, g, ans, z, q):
    return -xp.expand_dims(g, 1) * call(xp, log_softmax_p, z, axis=1)


cross_entropy_p = Primitive("cross_entropy", _cross_entropy_rows, saves=(0, 1),
                            saves_ans=False)
defvjp(cross_entropy_p, _ce_vjp_logits, _ce_vjp_q)


def _ce_jvp(xp, ts, ans, z, q):
    total = None
    if ts[0] is not None:
        p = call(xp, softmax_p, z, axis=1)
        total = xp.sum(ts[0] * (p * xp.sum(q, axis=1, keepdims=True) - q), axis=1)
    if ts[1] is not None:
        term = -xp.sum(ts[1] * call(xp, log_softmax_p, z, axis=1), axis=1)
        total = term if total is None else total + term
    return total


defjvp(cross_entropy_p, _ce_jvp)


def _row_factor(g, scale, divisor):
    """What each row's loss is multiplied by: ``g``, the row weights, 1 / divisor."""
    f = g / divisor if divisor != 1 else g
    return f if scale is None else f * scale


def _ce_classes(z, idx, scale, divisor, reduced, residual=False):
    """Cross-entropy of logits ``z`` (N, C) at class indices ``idx`` (N,), each row weighted
    by ``scale`` (None: 1), divided by ``divisor``, summed when ``reduced``:
    lse(z_i) - z_i[idx_i] per row."""
    m = fnp.amax(z, axis=1, keepdims=True)
    e = np.exp(z - m)
    s = fnp.sum(e, axis=1, keepdims=True)
    per = np.log(s[:, 0]) + m[:, 0] - z[np.arange(z.shape[0]), idx]
    if scale is not None:
        per *= scale
    if divisor != 1:
        per /= divisor
    if residual:
        e /= s  # the softmax, which the VJP needs
    return (fnp.sum(per) if reduced else per), (e if residual else None)


def _ce_classes_vjp(xp, g, p, z, idx, scale, divisor, reduced):
    # softmax(z) - onehot(idx), each row times its factor; ``p`` is the forward's softmax
    # (None in a recorded backward pass). It is not written to: a retained graph reuses it.
    if p is None:
        p = call(xp, softmax_p, z, axis=1)
    rows = np.arange(len(idx))
    factor = _row_factor(g, scale, divisor)
    if isinstance(p, np.ndarray):
        out = p * (xp.expand_dims(factor, 1) if factor.ndim else factor)
        out[rows, idx] -= factor
        return out
    onehot = np.zeros(shape_of(z), dtype=p.dtype)
    onehot[rows, idx] = 1.0
    return (p - onehot) * (xp.expand_dims(factor, 1) if factor.ndim else factor)


def _ce_classes_jvp(xp, ts, ans, z, idx, scale, divisor, reduced):
    t = ts[0]
    p = call(xp, softmax_p, z, axis=1)
    per = xp.sum(p * t, axis=1) - t[np.arange(shape_of(z)[0]), idx]
    per = _row_factor(per, scale, divisor)
    return xp.sum(per) if reduced else per


cross_entropy_classes_p = Primitive("cross_entropy", _ce_classes, saves=(0, 1), residual=True)
defvjp(cross_entropy_classes_p, _ce_classes_vjp)
defjvp(cross_entropy_classes_p, _ce_classes_jvp)


# ----- normalization -----------------------------------------------------------------------
def _normalize(x, axes, eps):
    mu = fnp.mean(x, axis=axes, keepdims=True)
    centered = x - mu
    var = fnp.mean(centered * centered, axis=axes, keepdims=True)
    return centered / np.sqrt(var + eps)


def _rstd(xp, x, axes, eps):
    centered = x - xp.mean(x, axis=axes, keepdims=True)
    return 1.0 / xp.sqrt(xp.mean(centered * centered, axis=axes, keepdims=True) + eps)


def _normalize_scale(xp, v, ans, x, axes, eps):
    # d xhat = rstd (v - mean(v) - xhat mean(v xhat)): the same map for VJP and JVP.
    return _rstd(xp, x, axes, eps) * (v - xp.mean(v, axis=axes, keepdims=True)
                                      - ans * xp.mean(v * ans, axis=axes, keepdims=True))


normalize_p = Primitive("native_layer_norm", _normalize, saves=(0,), saves_ans=True)
defvjp(normalize_p, _normalize_scale)
defjvp(normalize_p, lambda xp, ts, ans, x, axes, eps: _normalize_scale(xp, ts[0], ans, x,
                                                                       axes, eps))


def normalize(x, axes, eps: float = 1e-5):
    """(x - mean) / sqrt(var + eps) over ``axes`` (biased variance), as one primitive."""
    nd = len(shape_of(x))
    return apply(normalize_p, (x,), {"axes": tuple(sorted(a % nd for a in axes)), "eps": eps})
