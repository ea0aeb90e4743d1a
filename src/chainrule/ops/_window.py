"""Sliding windows over the spatial axes of (N, C, *spatial) arrays, shared by the convolution
and pooling kernels: padding, the output's size, each kernel offset's strided region, and
copies in and out of column form (im2col and its transpose, col2im). Nothing here is
differentiated; the helpers that make arrays take the array namespace ``xp`` of their data.
"""
from __future__ import annotations

import itertools
from functools import lru_cache

__all__ = ["pad_spatial", "window_view", "out_shape", "kernel_offsets", "offset_region",
           "im2col", "col2im", "offset_views", "unit_stride", "used_offsets", "im2row",
           "row2im"]


def pad_spatial(xp, x, padding):
    """x zero-padded by ``padding[i]`` on both sides of spatial axis i (itself when none)."""
    if not any(padding):
        return x
    pad = [(0, 0), (0, 0)] + [(p, p) for p in padding]
    return xp.pad(x, pad)


def window_view(xp, x, kernel, stride, padding, dilation):
    """(N, C, *out, *kernel) strided view of the padded input."""
    padded = pad_spatial(xp, x, padding)
    nd = len(kernel)
    span = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    w = xp.lib.stride_tricks.sliding_window_view(padded, span, axis=tuple(range(2, 2 + nd)))
    index = (slice(None), slice(None)) + tuple(slice(None, None, s) for s in stride) + \
        tuple(slice(None, None, d) for d in dilation)
    return w[index]


def out_shape(in_sp, kernel, stride, dilation):
    """The output's spatial shape over the (already padded) spatial sizes ``in_sp``."""
    return tuple((s - d * (k - 1) - 1) // st + 1
                 for s, k, st, d in zip(in_sp, kernel, stride, dilation))


def kernel_offsets(kernel):
    """Every kernel offset, in C order (np.ndindex's, without its per-call cost)."""
    return itertools.product(*(range(k) for k in kernel))


def offset_region(k, stride, dilation, out_sp):
    """The strided slice of the padded input that kernel offset ``k`` reads."""
    return (slice(None), slice(None)) + tuple(
        slice(ki * d, ki * d + st * (m - 1) + 1, st)
        for ki, d, st, m in zip(k, dilation, stride, out_sp))


def im2col(xp, x, kernel, stride, padding, dilation, fill=0.0):
    """(N, C, *kernel, *out): one block copy per kernel offset (each a large strided
    slice), far faster than copying out of a 2n-dimensional window view."""
    if any(padding):
        x = xp.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in padding], constant_values=fill)
    out_sp = out_shape(x.shape[2:], kernel, stride, dilation)
    cols = xp.empty(x.shape[:2] + tuple(kernel) + out_sp, dtype=x.dtype)
    for k in kernel_offsets(kernel):
        cols[(slice(None), slice(None)) + k] = x[offset_region(k, stride, dilation, out_sp)]
    return cols, out_sp


def unit_stride(stride) -> bool:
    """Whether every stride is 1 (the flat-spatial kernels' case)."""
    return all(s == 1 for s in stride)


def col2im(xp, cols, in_shape, kernel, stride, padding, dilation):
    """Transpose of im2col: add each kernel offset's block back where it was read."""
    n, c = in_shape[:2]
    out_sp = cols.shape[2 + len(kernel):]
    padded = xp.zeros((n, c) + tuple(s + 2 * p for s, p in zip(in_shape[2:], padding)),
                      dtype=cols.dtype)
    for k in kernel_offsets(kernel):
        padded[offset_region(k, stride, dilation, out_sp)] += \
            cols[(slice(None), slice(None)) + k]
    crop = tuple(slice(p, p + s) for p, s in zip(padding, in_shape[2:]))
    return padded[(slice(None), slice(None)) + crop]


def offset_views(xp, x, kernel, stride, padding, dilation, fill=0.0):
    """For each kernel offset, the strided view (N, C, *out) of the padded input that it
    reads: pooling runs over these few views instead of copying out every window."""
    if any(padding):
        x = xp.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in padding], constant_values=fill)
    out_sp = out_shape(x.shape[2:], kernel, stride, dilation)
    return [x[offset_region(k, stride, dilation, out_sp)] for k in kernel_offsets(kernel)]


@lru_cache(maxsize=512)
def used_offsets(in_sp: tuple, kernel: tuple, stride: tuple, padding: tuple,
                 dilation: tuple):
    """Per spatial dim, the range ``(lo, hi + 1)`` of kernel offsets that read the input
    (not only padding) at some output position; None when some dim has none (the output
    is all zeros). On small maps most offsets can be padding alone: a 3x3 kernel with
    padding 1 on a 1x1 map reads the input only at its centre."""
    ranges = []
    for n, k, st, p, d in zip(in_sp, kernel, stride, padding, dilation):
        m = (n + 2 * p - d * (k - 1) - 1) // st + 1
        used = [ki for ki in range(k)
                if any(p <= j * st + ki * d < p + n for j in range(m))]
        if not used:
            return None
        ranges.append((used[0], used[-1] + 1))
    return tuple(ranges)


def _padded_last(xp, x, padding):
    """x (N, C, *spatial) zero-padded and channels-last: (N, *padded, C), contiguous."""
    nd = x.ndim - 2
    xl = x.transpose((0,) + tuple(range(2, 2 + nd)) + (1,))
    if not any(padding):
        return xp.ascontiguousarray(xl)
    padded = xp.zeros((x.shape[0],) + tuple(s + 2 * p for s, p in zip(x.shape[2:], padding))
                      + (x.shape[1],), dtype=x.dtype)
    padded[(slice(None),) + tuple(slice(p, p + s) for p, s in zip(padding, x.shape[2:]))] = xl
    return padded


def im2row(xp, x, kernel, stride, padding, dilation, ranges, out=None):
    """Channels-last columns: (N, *out, *kept, C), contiguous, where ``kept`` are the
    kernel offsets in ``ranges`` (per dim ``(lo, hi)``, as ``used_offsets`` gives). Its
    reshape to (N * out positions, kept * C) is one matrix for one GEMM; the copy is one
    strided read with the channels innermost. Written into ``out`` when given (a
    contiguous array of that shape). Returns the rows and the output's shape."""
    nd = len(kernel)
    xl = _padded_last(xp, x, padding)
    out_sp = out_shape(xl.shape[1:1 + nd], kernel, stride, dilation)
    base = xl[(slice(None),) + tuple(slice(lo * d, None) for (lo, _), d in zip(ranges, dilation))]
    st = base.strides
    view = xp.lib.stride_tricks.as_strided(
        base, (x.shape[0],) + out_sp + tuple(hi - lo for lo, hi in ranges) + (x.shape[1],),
        (st[0],) + tuple(st[1 + i] * s for i, s in enumerate(stride)) +
        tuple(st[1 + i] * d for i, d in enumerate(dilation)) + (st[-1],), writeable=False)
    if out is None:
        return xp.ascontiguousarray(view), out_sp
    out[...] = view
    return out, out_sp


def row2im(xp, rows, in_shape, kernel, stride, padding, dilation, ranges, out=None):
    """Transpose of im2row: rows (N, *out, *kept, C) added back where they were read,
    one strided add per kept kernel offset; returns (N, C, *in_shape[2:]), contiguous
    (written into ``out`` when given)."""
    nd = len(kernel)
    n, c = in_shape[:2]
    out_sp = rows.shape[1:1 + nd]
    padded = xp.zeros((n,) + tuple(s + 2 * p for s, p in zip(in_shape[2:], padding)) + (c,),
                      dtype=rows.dtype)
    kept = [range(lo, hi) for lo, hi in ranges]
    for k in itertools.product(*kept):
        region = (slice(None),) + tuple(slice(ki * d, ki * d + st * (m - 1) + 1, st)
                                        for ki, d, st, m in zip(k, dilation, stride, out_sp))
        padded[region] += rows[(slice(None),) * (1 + nd) +
                               tuple(ki - lo for ki, (lo, _) in zip(k, ranges))]
    crop = tuple(slice(p, p + s) for p, s in zip(padding, in_shape[2:]))
    inner = padded[(slice(None),) + crop].transpose((0, 1 + nd) + tuple(range(1, 1 + nd)))
    if out is None:
        return xp.ascontiguousarray(inner)
    out[...] = inner
    return out
