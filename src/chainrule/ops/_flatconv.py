"""Stride-1 convolution kernels on the flattened spatial axis.

With stride 1, the input element that output position ``p`` reads at kernel offset ``k`` is
``p + shift[k]`` on the flattened (row-major) spatial axis of the padded input, where
``shift[k]`` is the offset's flat distance. So if outputs are laid out on the input's own
grid ("full width": positions past the last valid column are computed and thrown away),
each kernel offset reads the input shifted by one distance: the column matrix of a
sample is K shifted copies of its whole (C, P) block, and the input gradient is the sum of
K shifted runs, one reduction over a strided view (NumPy pays per row, so short strided
rows cost several times more). Columns are ordered (offset, channel) for that reason.
Positions that run off a channel's end into the next one only ever meet thrown-away
outputs, or zeros of the full-width gradient. The weight gradient needs no columns at all:
the shifted input is a strided matrix that BLAS reads in place. Work runs over chunks of
the batch small enough for the columns to stay in cache between the copy and the matrix
product.

>>> x = np.arange(2 * 1 * 4 * 4, dtype=np.float64).reshape(2, 1, 4, 4)
>>> w = np.ones((1, 1, 3, 3))
>>> conv(np, x, w, (1, 1))[0, 0]
array([[45., 54.],
       [81., 90.]])
"""
from __future__ import annotations

import itertools
import math
import threading
from functools import lru_cache

import numpy as np

__all__ = ["conv", "backward", "scratch"]


# Bytes of columns per chunk: small enough to stay in a core's L2 cache.
_CHUNK_BYTES = 1 << 20
# Scratch arrays up to _KEEP_BYTES are kept between calls, per thread, up to _CACHE_BYTES
# in all: a fresh array costs a page fault per 4 KiB on first touch, as slow as filling it.
_KEEP_BYTES = 1 << 22
_CACHE_BYTES = 1 << 24
_scratch = threading.local()


def _buffer(xp, tag, shape: tuple, dtype, zeroed: bool = False):
    """A scratch array of namespace ``xp``, reused by later calls on this thread when small.
    ``zeroed``: made full of zeros, for callers that read positions they do not write."""
    make = xp.zeros if zeroed else xp.empty
    dtype = np.dtype(dtype)
    size = math.prod(shape) * dtype.itemsize
    if size > _KEEP_BYTES:
        return make(shape, dtype)
    cache = getattr(_scratch, "buffers", None)
    if cache is None:
        cache = _scratch.buffers = {}
    key = (tag, shape, dtype, xp)
    buf = cache.get(key)
    if buf is None:
        if size + sum(b.nbytes for b in cache.values()) > _CACHE_BYTES:
            cache.clear()
        buf = cache[key] = make(shape, dtype)
    return buf


def scratch(xp, tag, shape: tuple, dtype):
    """A scratch array for a caller's own use (not zeroed), kept per thread as ``_buffer``
    keeps this module's: a caller must be done with it before asking again for ``tag``."""
    return _buffer(xp, ("ext", tag), tuple(shape), dtype)


def _steps(in_sp: tuple, dilation: tuple) -> tuple:
    """Flat distance on the input's grid of one step along each kernel axis."""
    return tuple(d * math.prod(in_sp[i + 1:]) for i, d in enumerate(dilation))


@lru_cache(maxsize=256)
def _shifts(in_sp: tuple, kernel: tuple, dilation: tuple) -> tuple:
    """Flat distance of each kernel offset (np.ndindex order) on the input's grid."""
    steps = _steps(in_sp, dilation)
    return tuple(sum(k * s for k, s in zip(ks, steps))
                 for ks in itertools.product(*(range(k) for k in kernel)))


def _shifted(xp, xf, start: int, stop: int, kernel: tuple, steps: tuple, span: int):
    """(b, *kernel, span, C): for every kernel offset, each sample's input shifted by it
    and cut to ``span``, transposed; a read-only strided view (no copy)."""
    part = xf[start:stop]
    item = part.itemsize
    return xp.lib.stride_tricks.as_strided(
        part, (stop - start,) + tuple(kernel) + (span, part.shape[1]),
        (part.strides[0],) + tuple(s * item for s in steps) + (item, part.strides[1]),
        writeable=False)


def _chunk(per_sample_bytes: int, n: int) -> int:
    return min(n, max(1, _CHUNK_BYTES // max(1, per_sample_bytes)))


def _valid(full, out_sp: tuple):
    """The valid outputs of a full-width array (N, C, *in_sp): a strided view."""
    return full[(slice(None), slice(None)) + tuple(slice(0, m) for m in out_sp)]


def _offset_major(w):
    """(O, C, *kernel) -> (O, K*C), columns ordered (kernel offset, channel)."""
    return w.transpose((0,) + tuple(range(2, w.ndim)) + (1,)).reshape(w.shape[0], -1)


def _columns(xp, xf, start: int, stop: int, shifts: list, chunk: int):
    """(b, K*C, P) columns of samples start:stop of the flat input ``xf`` (N, C, P)."""
    n, c, p = xf.shape
    size = c * p
    # Made zeroed, so that the runs' tails (past the last channel, feeding only thrown-away
    # outputs) hold finite values: zeros, or inputs of an earlier call.
    buf = _buffer(xp, "cols", (chunk, len(shifts), size), xf.dtype, zeroed=True)
    cols = buf[:stop - start]
    flat = xf[start:stop].reshape(stop - start, size)
    for k, s in enumerate(shifts):
        cols[:, k, :size - s] = flat[:, s:]
    return cols.reshape(stop - start, -1, p)


def _full_width(xp, g, start: int, stop: int, in_sp: tuple, chunk: int):
    """Samples start:stop of ``g`` (N, C, *out_sp) on the input's grid, zeros past the
    valid positions, flattened: (b, C, P)."""
    out_sp = g.shape[2:]
    # Keyed by out_sp too: every call with this key writes the same positions, so the
    # others stay zero.
    buf = _buffer(xp, ("grid", out_sp), (chunk, g.shape[1]) + tuple(in_sp), g.dtype, zeroed=True)
    part = buf[:stop - start]
    _valid(part, out_sp)[...] = g[start:stop]
    return part.reshape(stop - start, g.shape[1], -1)


def conv(xp, x, w, dilation: tuple, bias=None):
    """Stride-1 convolution of the (already padded) ``x`` with ``w``, groups 1, plus
    ``bias`` (O,) when given."""
    n, c = x.shape[:2]
    o, kernel = w.shape[0], w.shape[2:]
    in_sp = tuple(x.shape[2:])
    out_sp = tuple(s - d * (k - 1) for s, k, d in zip(in_sp, kernel, dilation))
    shifts = _shifts(in_sp, kernel, dilation)
    xf = xp.ascontiguousarray(x).reshape(n, c, -1)
    wm = _offset_major(w)
    dtype = xp.result_type(x, w) if bias is None else xp.result_type(x, w, bias)
    out = xp.empty((n, o) + out_sp, dtype=dtype)
    b = _chunk(xf[0].nbytes * len(shifts), n)
    grid = _buffer(xp, "out", (b, o, xf.shape[2]), dtype)
    for s in range(0, n, b):
        e = min(n, s + b)
        full = xp.matmul(wm, _columns(xp, xf, s, e, shifts, b), out=grid[:e - s])
        out[s:e] = _valid(full.reshape((e - s, o) + in_sp), out_sp)
    if bias is not None:  # once over the compact output: long rows, one call
        flat = out.reshape(n, o, -1)
        flat += bias.reshape(1, o, 1)
    return out


def backward(xp, g, w_shape: tuple, dilation: tuple, in_sp: tuple, w=None, x=None):
    """The transposes of ``conv``: in x (on the padded input's grid) when ``w`` is given,
    in w when the padded input ``x`` is given; both at once share each chunk's full-width
    copy of ``g``. Returns ``(grad_x, grad_w)``, None for the one not asked for."""
    n, o = g.shape[:2]
    c, kernel = w_shape[1], tuple(w_shape[2:])
    shifts = _shifts(in_sp, kernel, dilation)
    size = c * math.prod(in_sp)
    gx = gw = None
    per_sample = 0
    steps = _steps(in_sp, dilation)
    if w is not None:
        wt = xp.ascontiguousarray(_offset_major(w).T)  # (K*C, O)
        gx = xp.empty((n, size), dtype=xp.result_type(g, w))
        per_sample = len(shifts) * size * gx.itemsize
    if x is not None:
        xf = xp.ascontiguousarray(x).reshape(n, c, -1)
        gw = xp.zeros((len(shifts), o, c), dtype=xp.result_type(x, g))
        span = size // c - shifts[-1]  # past it, the full-width g is zero
        per_sample = max(per_sample, o * (size // c) * g.itemsize)
    b = _chunk(per_sample, n)
    if gx is not None:
        buf = _buffer(xp, "tcols", (b, len(shifts) * c, size // c), gx.dtype)
    if gw is not None:
        prods = _buffer(xp, "wprods", (b,) + kernel + (o, c), gw.dtype)
        lift = (slice(None),) + (None,) * len(kernel)  # full: (b, o, span) -> (b, 1.., o, span)
    for s in range(0, n, b):
        e = min(n, s + b)
        full = _full_width(xp, g, s, e, in_sp, b)
        if gx is not None:
            cols = xp.matmul(wt, full, out=buf[:e - s])
            # gx[j] = sum over offsets k of cols[k][j - shift_k]: one reduction over a view
            # in which each offset's run starts shift_k early. Those first shift_k values
            # are the previous offset's last ones, which are zero (past every valid output).
            item = cols.itemsize
            runs = xp.lib.stride_tricks.as_strided(
                cols, (e - s,) + kernel + (size,),
                (cols.strides[0],) + tuple((math.prod(kernel[i + 1:]) * size - st) * item
                                           for i, st in enumerate(steps)) + (item,),
                writeable=False)
            xp.sum(runs, axis=tuple(range(1, 1 + len(kernel))), out=gx[s:e])
        if gw is not None:
            # Against the shifted input itself, strided matrices that BLAS reads directly: no
            # column copy (each product is small, o x c), one call for every offset.
            xp.matmul(full[:, :, :span][lift], _shifted(xp, xf, s, e, kernel, steps, span),
                      out=prods[:e - s])
            gw += prods[:e - s].sum(0).reshape(gw.shape)
    if gx is not None:
        gx = gx.reshape((n, c) + tuple(in_sp))
    if gw is not None:
        nd = len(kernel)
        gw = xp.ascontiguousarray(gw.reshape(kernel + (o, c)).transpose(
            (nd, nd + 1) + tuple(range(nd))))
    return gx, gw

