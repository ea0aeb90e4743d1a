"""Pooling functions, as in ``torch.nn.functional``: max_pool1d/2d/3d and avg_pool1d/2d/3d
(on the pooling primitives), and the adaptive poolings, which take an output size and
pool over PyTorch's regions.
"""
from __future__ import annotations

import numpy as np

from .._backend import array_module
from ..autograd.tensor import make_tensor
from ..errors import OpError, OpTypeError
from ..ops import index as ix
from ..ops import linalg, reduce
from ..ops import shape as sh
from ..ops._util import data_of, shape_of
from ..ops.pool import avg_pool, max_pool, take_plane
from ..ops.window_args import with_batch_axis

__all__ = ["max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "avg_pool2d", "avg_pool3d",
           "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d",
           "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d"]


def _pool_fn(nd: int, kind: str):
    """PyTorch's max_pool{nd}d or avg_pool{nd}d (avg_pool1d has no divisor_override)."""
    if kind == "max":
        def pool(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                 return_indices=False):
            return max_pool(x, kernel_size, stride, padding, dilation, ceil_mode=ceil_mode,
                            nd=nd, return_indices=return_indices)
        pool.__doc__ = (f"Max pooling of (N, C, *spatial) or (C, *spatial) over {nd} spatial "
                        f"dim(s), as PyTorch's max_pool{nd}d; with ``return_indices``, "
                        f"``(values, indices)``: each maximum's flat position (int64) in its "
                        f"(N, C) plane of the input, what max_unpool{nd}d takes.")
    elif nd == 1:
        def pool(x, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True):
            return avg_pool(x, kernel_size, stride, padding, count_include_pad, None,
                            ceil_mode=ceil_mode, nd=1)
        pool.__doc__ = "Average pooling of (N, C, L) or (C, L), as PyTorch's avg_pool1d."
    else:
        def pool(x, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):
            return avg_pool(x, kernel_size, stride, padding, count_include_pad,
                            divisor_override, ceil_mode=ceil_mode, nd=nd)
        pool.__doc__ = (f"Average pooling of (N, C, *spatial) or (C, *spatial) over {nd} "
                        f"spatial dims, as PyTorch's avg_pool{nd}d.")
    pool.__name__ = pool.__qualname__ = f"{kind}_pool{nd}d"
    return pool


max_pool1d, max_pool2d, max_pool3d = (_pool_fn(nd, "max") for nd in (1, 2, 3))
avg_pool1d, avg_pool2d, avg_pool3d = (_pool_fn(nd, "avg") for nd in (1, 2, 3))


def _adaptive_axis(x, axis: int, n: int, out: int, kind: str):
    """Adaptive pooling along one axis: output i covers [floor(i*n/out), ceil((i+1)*n/out)),
    PyTorch's regions. Rectangular regions are products of these, and mean and max over a
    product are one axis after the other, so n-d pooling is a 1-d pass per axis."""
    bounds = [((i * n) // out, -((-(i + 1) * n) // out)) for i in range(out)]
    if kind == "avg":  # one matmul with the (n, out) matrix of region weights
        weights = np.zeros((n, out), dtype=data_of(x).dtype)
        for i, (lo, hi) in enumerate(bounds):
            weights[lo:hi, i] = 1.0 / (hi - lo)
        return sh.moveaxis(linalg.matmul(sh.moveaxis(x, axis, -1), weights), -1, axis)
    before = (slice(None),) * axis
    if not bounds:  # an empty output along this axis
        return ix.getitem(x, before + (slice(0, 0),))
    return sh.stack([reduce.amax(ix.getitem(x, before + (slice(lo, hi),)), dim=axis)
                     for lo, hi in bounds], axis=axis)


def _first_max(xp, a, axis: int):
    """The argmax along ``axis`` (kept), by PyTorch's rule: the first maximum, or the last
    NaN where there is one."""
    arg = xp.argmax(a, axis=axis, keepdims=True)  # NumPy's: the first NaN, if any
    nan = xp.isnan(a) if a.dtype.kind in "fc" else None
    if nan is not None and nan.any():
        last = a.shape[axis] - 1 - xp.argmax(xp.flip(nan, axis), axis=axis, keepdims=True)
        arg = xp.where(nan.any(axis=axis, keepdims=True), last, arg)
    return arg


def _adaptive_indices(xp, data, sizes: tuple):
    """Adaptive max pooling's indices (flat in each (N, C) plane, int64) over raw data
    (N, C, *spatial): one pass per axis over its regions, the last axis first, so that a
    tie goes to the first maximum in C order (PyTorch's scan order)."""
    in_sp = data.shape[2:]
    if 0 in sizes:
        return xp.zeros(data.shape[:2] + tuple(sizes), dtype=np.int64)
    idx = xp.broadcast_to(xp.arange(int(np.prod(in_sp)), dtype=np.int64).reshape(
        (1, 1) + tuple(in_sp)), data.shape)
    for axis in range(len(in_sp) + 1, 1, -1):
        n, out = in_sp[axis - 2], sizes[axis - 2]
        vals, picks = [], []
        for i in range(out):
            region = (slice(None),) * axis + (slice((i * n) // out, -((-(i + 1) * n) // out)),)
            arg = _first_max(xp, data[region], axis)
            vals.append(xp.take_along_axis(data[region], arg, axis))
            picks.append(xp.take_along_axis(idx[region], arg, axis))
        data, idx = xp.concatenate(vals, axis), xp.concatenate(picks, axis)
    return idx


def _adaptive_pool(kind: str, nd: int, x, output_size, return_indices: bool = False):
    op = f"adaptive_{kind}_pool{nd}d"
    given = shape_of(x)
    x, unbatched = with_batch_axis(op, x, nd)
    in_sp = shape_of(x)[2:]
    # PyTorch's rules: the spatial sizes must be non-zero, and for max pooling and 3-d
    # average pooling every dim after the first (so an unbatched input may have no channels).
    if 0 in in_sp or ((kind == "max" or nd == 3) and 0 in given[1:]):
        raise OpError(f"{op}: expected non-zero sizes in the non-batch dims, got an input of "
                      f"shape {tuple(given)}")
    sizes = (output_size,) * nd if output_size is None or isinstance(output_size, int) \
        else tuple(output_size)
    if len(sizes) != nd:
        raise OpError(f"{op}: output_size must be an int or a tuple of {nd}, got "
                      f"{output_size!r}")
    sizes = tuple(n if o is None else o for o, n in zip(sizes, in_sp))
    if any(type(o) is not int for o in sizes):
        raise OpTypeError(f"{op}: output_size must hold ints (or None), got {output_size!r}")
    if min(sizes) < 0:
        raise OpError(f"{op}: output_size must be non-negative, got {sizes}")
    if return_indices:
        if shape_of(x)[1] and all(o and n % o == 0 for o, n in zip(sizes, in_sp)):
            k = tuple(n // o for o, n in zip(sizes, in_sp))  # whole windows
            out, idx = max_pool(x, k, k, nd=nd, return_indices=True)
        else:
            data = data_of(x)
            idx = make_tensor(_adaptive_indices(array_module(data), data, sizes))
            out = take_plane(x, idx._data)
        return (sh.squeeze(out, 0), sh.squeeze(idx, 0)) if unbatched else (out, idx)
    if shape_of(x)[1] and all(o and n % o == 0 for o, n in zip(sizes, in_sp)):
        # whole windows: one pooling call
        k = tuple(n // o for o, n in zip(sizes, in_sp))
        out = max_pool(x, k, k, nd=nd) if kind == "max" else \
            avg_pool(x, k, k, nd=nd)
    else:
        out = x
        for axis, (n, o) in enumerate(zip(in_sp, sizes), start=2):
            if n != o:
                out = _adaptive_axis(out, axis, n, o, kind)
    return sh.squeeze(out, 0) if unbatched else out


def _adaptive_fn(nd: int, kind: str):
    """PyTorch's adaptive_{kind}_pool{nd}d (only max has return_indices)."""
    if kind == "avg":
        def pool(x, output_size):
            return _adaptive_pool(kind, nd, x, output_size)
    else:
        def pool(x, output_size, return_indices=False):
            return _adaptive_pool(kind, nd, x, output_size, return_indices)
    pool.__name__ = pool.__qualname__ = f"adaptive_{kind}_pool{nd}d"
    pool.__doc__ = (f"Adaptive {kind} pooling of (N, C, *spatial) or (C, *spatial) to "
                    f"``output_size`` over {nd} spatial dim(s), with PyTorch's regions "
                    f"[floor(i*n/out), ceil((i+1)*n/out)); None keeps a size." +
                    (" With ``return_indices`` (max only), ``(values, indices)`` as "
                     "PyTorch's: each maximum's flat position (int64) in its (N, C) plane."
                     if kind == "max" else ""))
    return pool


adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d = (
    _adaptive_fn(nd, "avg") for nd in (1, 2, 3))
adaptive_max_pool1d, adaptive_max_pool2d, adaptive_max_pool3d = (
    _adaptive_fn(nd, "max") for nd in (1, 2, 3))


def __dir__():  # dir() and tab completion show what the module exports, not its helpers
    return __all__
