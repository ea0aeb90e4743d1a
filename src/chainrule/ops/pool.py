"""Pooling: the max and average pooling primitives, and their front-ends.

Max pooling keeps each window's argmax from the forward as a residual for its VJP (a scatter
to the argmax); that scatter and its transpose (a gather at the argmax) are primitives too,
so derivatives of every order come from the same kernels. Average pooling is linear: its
VJP is a scatter of each output gradient over its window, and the two are transposes.

The front-ends (``max_pool``, ``avg_pool``) check their arguments with PyTorch's rules
(``window_args``), take unbatched inputs, honour ``ceil_mode``, and name the op as the user
called it (max_pool2d, avg_pool3d...).
"""
from __future__ import annotations

import math

import numpy as np

from .. import _fastnp as fnp
from ..autograd.primitives import Primitive, apply, call, defjvp, defvjp
from ..errors import OpError
from ..autograd.tensor import make_tensor
from .._backend import array_module, rule_namespace
from . import index as ix
from . import shape as sh
from ._util import data_of, shape_of
from ._window import col2im, offset_views, window_view
from .window_args import as_tuple, check_window, pad_right, with_batch_axis

__all__ = ["max_pool_p", "max_pool_scatter_p", "max_pool_gather_p", "avg_pool_p",
           "avg_pool_scatter_p", "max_pool", "avg_pool", "take_plane"]


def _pool_geometry(x_shape, kernel, stride, padding, dilation):
    return {"kernel": kernel, "stride": stride, "padding": padding, "dilation": dilation,
            "in_shape": tuple(x_shape)}


def _max_pool_argmax(xp, x, kernel, stride, padding, dilation):
    """Each window's maximum and its offset in C order over the kernel (the first one on
    ties; the last NaN if any: PyTorch's kernels take every NaN they meet), by a running
    comparison over the kernel offsets. The offset is updated by arithmetic: np.where and
    masked copies are many times slower here."""
    views = offset_views(xp, x, kernel, stride, padding, dilation, fill=-math.inf)

    def scan(nan_wins: bool):
        best = views[0].copy()
        arg = xp.zeros(best.shape, dtype=np.int8 if len(views) < 128 else np.int32)
        better = xp.empty(best.shape, dtype=bool)
        for k in range(1, len(views)):
            xp.greater(views[k], best, out=better)
            if nan_wins:  # a NaN beats everything, an earlier NaN too (as PyTorch)
                better |= xp.isnan(views[k])
            xp.maximum(best, views[k], out=best)
            arg += better * xp.subtract(arg.dtype.type(k), arg)  # k where better
        return best, arg

    best, arg = scan(False)
    # NaN compares false, so only if a maximum came out NaN is the scan redone with NaN rules
    return scan(True) if xp.isnan(best).any() else (best, arg)


def _max_pool(xp, x, kernel, stride, padding, dilation, in_shape, residual=False):
    """Max pooling; with ``residual``, also each window's argmax, for the VJP."""
    if residual:
        return _max_pool_argmax(xp, x, kernel, stride, padding, dilation)
    views = offset_views(xp, x, kernel, stride, padding, dilation, fill=-math.inf)
    best = views[0].copy()
    for view in views[1:]:
        xp.maximum(best, view, out=best)
    return best, None


def _max_pool_scatter(xp, g, x, arg=None, *, kernel, stride, padding, dilation, in_shape):
    """The VJP of max pooling: each output gradient goes to its window's argmax (from the
    forward, or found again from ``x``)."""
    if arg is None:
        arg = _max_pool_argmax(xp, x, kernel, stride, padding, dilation)[1]
    padded = xp.zeros(tuple(in_shape[:2]) + tuple(s + 2 * p for s, p in
                                                  zip(in_shape[2:], padding)), dtype=g.dtype)
    outs = offset_views(xp, padded, kernel, stride, (0,) * len(kernel), dilation)
    # g * mask is exact unless g holds infinities or NaNs (0 * inf is NaN); where windows do
    # not overlap it is written straight into the gradient.
    finite = bool(xp.isfinite(g).all())
    disjoint = all(st >= d * (k - 1) + 1 for k, st, d in zip(kernel, stride, dilation))
    hit = xp.empty(arg.shape, dtype=bool)
    for k, out in enumerate(outs):
        xp.equal(arg, k, out=hit)
        if not finite:
            out += xp.where(hit, g, 0)  # written through to ``padded``
        elif disjoint:
            xp.multiply(g, hit, out=out)
        else:
            out += g * hit
    crop = tuple(slice(p, p + s) for p, s in zip(padding, in_shape[2:]))
    return padded[(slice(None), slice(None)) + crop]


def _max_pool_gather(xp, v, x, kernel, stride, padding, dilation, in_shape):
    """Transpose of the scatter: read ``v`` at each window's argmax (x fixes the argmax)."""
    _, arg = _max_pool_argmax(xp, x, kernel, stride, padding, dilation)
    views = offset_views(xp, v, kernel, stride, padding, dilation)
    out = views[0].copy()
    for k in range(1, len(views)):
        out = xp.where(arg == k, views[k], out)
    return out


max_pool_p = Primitive("max_pool", _max_pool, saves=(0,), residual=True)
max_pool_scatter_p = Primitive("max_pool_scatter", _max_pool_scatter, saves=(1, 2),
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


def _max_pool_indices(xp, x, kernel, stride, padding, dilation, in_sp):
    """PyTorch's ``return_indices``: each window's argmax as a flat (int64) index into its
    (N, C) plane of the unpadded input of spatial shape ``in_sp`` (x is that input, padded
    on the right where ceil_mode needs it): the window's start plus the argmax offset's
    place, each from a small table, so the full-size array sees two operations."""
    best, arg = _max_pool_argmax(xp, x, kernel, stride, padding, dilation)
    nd, out_sp = len(kernel), arg.shape[2:]
    steps = [int(np.prod(in_sp[i + 1:], dtype=np.int64)) for i in range(nd)]
    offsets = np.zeros((), dtype=np.int64)  # the flat offset of each kernel offset, C order
    starts = np.zeros((), dtype=np.int64)  # the flat position of each window's start
    firsts = np.zeros((), dtype=np.int64)  # ... of its first element inside the input
    for i in range(nd):
        offsets = offsets[..., None] + np.arange(kernel[i]) * dilation[i] * steps[i]
        start = np.arange(out_sp[i], dtype=np.int64) * stride[i] - padding[i]
        first = np.where(start < 0, start + (-start + dilation[i] - 1) // dilation[i]
                         * dilation[i], start)
        starts = starts[..., None] + start * steps[i]
        firsts = firsts[..., None] + first * steps[i]
    flat = xp.asarray(starts) + xp.asarray(offsets.reshape(-1))[arg]
    if any(padding):
        # A window that holds only -inf picks offset 0, which may lie in the padding;
        # PyTorch then names the window's first element inside the input.
        lost = best == -np.inf
        if lost.any():
            flat = xp.where(lost, xp.asarray(firsts), flat)
    return flat


def take_plane(x, indices):
    """``x`` (N, C, *spatial) read at ``indices`` (a raw int64 array (N, C, *out) of flat
    positions in each (N, C) plane, as max pooling's indices): one gather, whose gradient
    scatters (repeats add up) to exactly those positions."""
    shape = shape_of(x)
    plane = int(np.prod(shape[2:], dtype=np.int64))
    xp = array_module(indices)
    base = xp.arange(shape[0] * shape[1], dtype=np.int64).reshape(
        shape[:2] + (1,) * (indices.ndim - 2)) * plane
    flat = (indices + base).reshape(-1)
    out = apply(ix.getitem_copy_p, (sh.reshape(x, (-1,)),),
                {"index": flat, "in_shape": (int(np.prod(shape, dtype=np.int64)),),
                 "accumulate": True})
    return sh.reshape(out, indices.shape)


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
    cols = window_view(np, counted, kernel, stride, padding, (1,) * len(kernel))
    return fnp.sum(cols, axis=tuple(range(cols.ndim - len(kernel), cols.ndim)))


def _avg_forward(xp, x, kernel, stride, padding, div):
    cols = window_view(xp, x, kernel, stride, padding, (1,) * len(kernel))
    return xp.sum(cols, axis=tuple(range(cols.ndim - len(kernel), cols.ndim))) / div


def _avg_scatter(xp, g, kernel, stride, padding, div, in_shape):
    nk = len(kernel)
    scaled = (g / div).astype(g.dtype, copy=False)
    # Every kernel offset's block is ``scaled``: a view with zero strides on the kernel axes
    # (what np.broadcast_to makes; _fastnp's broadcast_to is a copy). col2im only reads it.
    cols = xp.lib.stride_tricks.as_strided(
        scaled, g.shape[:2] + tuple(kernel) + g.shape[2:],
        scaled.strides[:2] + (0,) * nk + scaled.strides[2:])
    return col2im(xp, cols, in_shape, kernel, stride, padding, (1,) * nk)


avg_pool_p = Primitive("avg_pool", lambda xp, x, kernel, stride, padding, div, in_shape:
                       _avg_forward(xp, x, kernel, stride, padding, div), saves=(),
                       saves_ans=False)
avg_pool_scatter_p = Primitive("avg_pool_scatter", _avg_scatter, saves=(), saves_ans=False)
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
             nd: int = None, return_indices: bool = False):
    """Max pooling over the last ``nd`` dims of (N, C, *spatial) or (C, *spatial), as
    PyTorch's max_pool1d/2d/3d (``nd`` names the op; by default all dims past (N, C)).
    With ``return_indices``: ``(values, indices)``, the indices as PyTorch's (int64, each
    maximum's flat position in its (N, C) plane of the unpadded input; ties go to the
    first maximum, NaN to the last NaN), and the gradient goes to exactly those."""
    nd = _pool_rank(x, nd)
    x, unbatched, kernel, stride, padding, dilation, extra = _pool_args(
        f"max_pool{nd}d", nd, x, kernel_size, stride, padding, dilation, ceil_mode)
    if return_indices:
        data = data_of(x)
        xp = rule_namespace(data)
        if any(extra):
            data = xp.pad(data, [(0, 0), (0, 0)] + [(0, e) for e in extra],
                          constant_values=-np.inf)
        idx = _max_pool_indices(xp, data, kernel, stride, padding, dilation, shape_of(x)[2:])
        out = take_plane(x, idx)
        if unbatched:
            out, idx = sh.squeeze(out, 0), idx[0]
        return out, make_tensor(idx)
    x = pad_right(x, extra, -np.inf)
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
    x = pad_right(x, extra)
    out = apply(avg_pool_p, (x,), {"kernel": kernel, "stride": stride, "padding": padding,
                                   "div": div, "in_shape": shape_of(x)})
    return sh.squeeze(out, 0) if unbatched else out


def __dir__():  # dir() and tab completion show what the module exports, not its helpers
    return __all__
