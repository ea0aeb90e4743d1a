"""Resampling, as PyTorch's ``F.interpolate`` (with its deprecated aliases ``upsample``,
``upsample_nearest`` and ``upsample_bilinear``) and the Modules ``Upsample``,
``UpsamplingNearest2d`` and ``UpsamplingBilinear2d``.

Every mode is separable: the output along each spatial axis is a fixed sum of at most four
gathers of the input along that axis, weighted by constants. So each axis is one to four
``index_select`` calls and products with constant weights, and the VJP and JVP, first and
higher order, come from those ops; no primitive of its own. The source indices and weights
follow PyTorch's CPU kernels (``UpSample.h``) to the bit where it matters: the scale is
``1 / scale_factor`` when a scale factor is given (and not recomputed), ``in / out``
otherwise, ``(in - 1) / (out - 1)`` with ``align_corners``; it is computed in float32 for
float32 inputs, and the nearest modes always compute in float32, as PyTorch does.
"""
from __future__ import annotations

import numbers
import warnings

import numpy as np

from ..autograd.tensor import Tensor, make_tensor
from ..errors import OpError, OpTypeError
from ..ops import index as ix
from ..ops._util import data_of, shape_of
from .module import Module
from .pooling import adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d

__all__ = ["interpolate", "upsample", "upsample_nearest", "upsample_bilinear", "Upsample",
           "UpsamplingNearest2d", "UpsamplingBilinear2d"]

_MODES = "nearest | linear | bilinear | bicubic | trilinear | area | nearest-exact"
_LINEAR_RANK = {"linear": 3, "bilinear": 4, "bicubic": 4, "trilinear": 5}
_AREA = {1: adaptive_avg_pool1d, 2: adaptive_avg_pool2d, 3: adaptive_avg_pool3d}
_CUBIC_A = -0.75  # PyTorch's (and OpenCV's) bicubic coefficient


class InterpolateModeError(OpError, NotImplementedError):
    """A mode that does not fit the input's rank, or is unknown: PyTorch raises
    NotImplementedError there, so this is one too (and an OpError)."""


def _tensor(x) -> Tensor:
    return x if isinstance(x, Tensor) else make_tensor(x)


def _is_int(v) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def _is_number(v) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


def _sizes_and_scales(x_shape: tuple, nd: int, size, scale_factor, recompute_scale_factor,
                      mode: str):
    """PyTorch's argument rules: exactly one of size and scale_factor, each an int/float or
    a tuple of ``nd``. Returns the output sizes and the scales the kernel sees (None where
    the scale is in / out)."""
    spatial = list(x_shape[2:])
    if size is not None and scale_factor is not None:
        raise OpError("interpolate: only one of size or scale_factor should be defined; "
                      "pass one of them")
    if size is not None:
        sizes = tuple(size) if isinstance(size, (list, tuple)) else (size,) * nd
        if isinstance(size, (list, tuple)) and len(sizes) != nd:
            raise OpError(f"interpolate: the input has {nd} spatial dims {spatial} but size "
                          f"is {size!r}; pass an int or a tuple of {nd} ints (the input is "
                          f"(N, C, d1, ..., dK))")
        if not all(_is_int(s) for s in sizes):
            raise OpTypeError(f"interpolate: size must be an int or a tuple of ints, got "
                              f"{size!r}")
        if recompute_scale_factor:
            raise OpError("interpolate: recompute_scale_factor is not meaningful with an "
                          "explicit size; drop it or pass scale_factor instead")
        return tuple(int(s) for s in sizes), (None,) * nd
    if scale_factor is None:
        raise OpError("interpolate: either size or scale_factor should be defined")
    if isinstance(scale_factor, (list, tuple)):
        scales = tuple(scale_factor)
        if len(scales) != nd:
            raise OpError(f"interpolate: the input has {nd} spatial dims {spatial} but "
                          f"scale_factor is {scale_factor!r}; pass a number or a tuple of "
                          f"{nd} (the input is (N, C, d1, ..., dK))")
    else:
        scales = (scale_factor,) * nd
    if not all(_is_number(s) for s in scales):
        raise OpTypeError(f"interpolate: scale_factor must be a number or a tuple of numbers, "
                          f"got {scale_factor!r}")
    scales = tuple(float(s) for s in scales)
    # Python's int() of the product, as PyTorch's _sym_int (and the kernel's cast) do.
    sizes = tuple(int(n * s) for n, s in zip(spatial, scales))
    if recompute_scale_factor or mode == "area":  # area always works from the sizes
        return sizes, (None,) * nd
    return sizes, scales


def _scale(n_in: int, n_out: int, scale, align_corners: bool, dt):
    """PyTorch's area_pixel_compute_scale, in the kernel's compute type ``dt``."""
    if align_corners:
        return dt(n_in - 1) / dt(n_out - 1) if n_out > 1 else dt(0)
    if scale is not None and scale > 0:
        return dt(1.0 / scale)
    return dt(n_in) / dt(n_out)


def _fma(a, b, c, dt):
    """``a * b + c`` rounded once, as the fused multiply-adds of PyTorch's compiled kernels
    (two roundings put the source index an ulp off: 2e-5 at index 300 in float32).
    float32: exact in float64. float64: Dekker's exact product and Knuth's two-sum."""
    a, b, c = (np.asarray(v, dtype=dt) for v in (a, b, c))
    if dt == np.float32:
        return (a.astype(np.float64) * b.astype(np.float64) + c).astype(dt)
    p = a * b
    split = 134217729.0  # 2**27 + 1: Veltkamp's split of a double into two 26-bit halves
    a_hi = split * a - (split * a - a)
    b_hi = split * b - (split * b - b)
    a_lo, b_lo = a - a_hi, b - b_hi
    p_err = ((a_hi * b_hi - p) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo
    total = p + c
    back = total - p
    s_err = (p - (total - back)) + (c - back)
    return total + (s_err + p_err)


def _half_pixel(r, i, dt):
    """PyTorch's half-pixel source index ``r * (i + 0.5) - 0.5`` (one fused rounding)."""
    return _fma(r, i.astype(dt) + dt(0.5), dt(-0.5), dt)


def _floor_index(real, n_in: int):
    """PyTorch's guard_index_and_lambda: floorf (so in float32 even for float64 inputs),
    then no index past the last."""
    return np.minimum(np.floor(real.astype(np.float32)).astype(np.int64), n_in - 1)


def _nearest_taps(n_in: int, n_out: int, scale, exact: bool, dt):
    """PyTorch's nearest and nearest-exact source indices: floor(scale * i) and
    floor(scale * (i + 0.5)), in the kernel's compute type ``dt``."""
    i = np.arange(n_out, dtype=np.int64)
    s = _scale(n_in, n_out, scale, False, dt)
    if exact:  # i + 0.5 is a double in C++, so the product is too
        real = (i + 0.5) * np.float64(s)
    else:
        real = i.astype(dt) * s
    return [(_floor_index(real, n_in), None)]


def _linear_taps(n_in: int, n_out: int, scale, align_corners: bool, dt):
    """PyTorch's compute_source_index_and_lambda: two taps with weights 1 - l and l."""
    if n_out == n_in:
        return None  # PyTorch copies (even when a scale factor says otherwise)
    i = np.arange(n_out, dtype=dt)
    r = _scale(n_in, n_out, scale, align_corners, dt)
    if align_corners:
        real = r * i
    else:
        real = np.maximum(_half_pixel(r, i, dt), dt(0))
    i0 = _floor_index(real, n_in)
    lam1 = np.clip(real - i0.astype(dt), dt(0), dt(1)).astype(dt)
    i1 = i0 + (i0 < n_in - 1)
    return [(i0, dt(1) - lam1), (i1, lam1)]


def _cubic_taps(n_in: int, n_out: int, scale, align_corners: bool, dt):
    """PyTorch's bicubic: four taps at floor(x) - 1 ... floor(x) + 2, clamped to the border,
    with the cubic convolution weights of A = -0.75."""
    i = np.arange(n_out, dtype=dt)
    r = _scale(n_in, n_out, scale, align_corners, dt)
    real = r * i if align_corners else _half_pixel(r, i, dt)  # no clamp for cubic
    i0 = _floor_index(real, n_in)
    t = np.clip(real - i0.astype(dt), dt(0), dt(1)).astype(dt)
    a = dt(_CUBIC_A)

    # Horner's rule with fused multiply-adds, as the compiled kernel evaluates it: the
    # polynomials cancel (8a = -6 against 4a = -3), so two roundings cost a few ulps.
    def near(v):  # ((a + 2) v - (a + 3)) v^2 + 1, for |v| <= 1
        return _fma(_fma(a + dt(2), v, -(a + dt(3)), dt) * v, v, dt(1), dt)

    def far(v):  # ((a v - 5a) v + 8a) v - 4a, for 1 < |v| < 2
        return _fma(_fma(_fma(a, v, -(dt(5) * a), dt), v, dt(8) * a, dt), v, -(dt(4) * a), dt)

    weights = (far(t + dt(1)), near(t), near(dt(1) - t), far(dt(2) - t))
    return [(np.clip(i0 - 1 + j, 0, n_in - 1), w.astype(dt)) for j, w in enumerate(weights)]


def _resample_axis(x, axis: int, taps):
    """sum_j w_j * x.index_select(axis, idx_j), the weights broadcast along ``axis``."""
    out = None
    nd = len(shape_of(x))
    dtype = data_of(x).dtype
    for idx, w in taps:
        g = ix.index_select(x, axis, idx)
        if w is not None:
            g = g * w.astype(dtype, copy=False).reshape((-1,) + (1,) * (nd - 1 - axis))
        out = g if out is None else out + g
    return out


def interpolate(input, size=None, scale_factor=None, mode: str = "nearest",
                align_corners=None, recompute_scale_factor=None,
                antialias: bool = False) -> Tensor:
    """Resample (N, C, d1, ..., dK) to ``size`` or by ``scale_factor``, as PyTorch's
    ``F.interpolate``.

    ``mode``: 'nearest', 'nearest-exact', 'linear' (3-d input), 'bilinear' and 'bicubic'
    (4-d), 'trilinear' (5-d) or 'area' (adaptive average pooling). ``align_corners``
    (interpolating modes only) maps the corner pixels' centres onto each other.
    ``recompute_scale_factor=True`` uses in / out as the scale instead of the given factor.
    ``antialias=True`` is not supported yet.

    >>> import chainrule as cr
    >>> interpolate(cr.tensor([[[0., 1.]]]), scale_factor=2, mode="linear")
    tensor([[[0.00, 0.25, 0.75, 1.00]]])
    """
    x = _tensor(input)
    shape = tuple(shape_of(x))
    rank = len(shape)
    if mode in ("nearest", "nearest-exact", "area"):
        if align_corners is not None:
            raise OpError(f"interpolate: align_corners can only be set with the "
                          f"interpolating modes linear | bilinear | bicubic | trilinear, not "
                          f"{mode!r}; leave it None")
    else:
        align_corners = bool(align_corners) if align_corners is not None else False
    nd = rank - 2
    sizes, scales = _sizes_and_scales(shape, nd, size, scale_factor, recompute_scale_factor,
                                      mode)
    if antialias and not (mode in ("bilinear", "bicubic") and rank == 4):
        raise OpError("interpolate: antialias is restricted to the bilinear and bicubic "
                      "modes and needs a 4-d input")
    if mode in _LINEAR_RANK and rank != _LINEAR_RANK[mode] and rank in (3, 4, 5):
        raise InterpolateModeError(f"interpolate: got a {rank}-d input of shape {shape}, but "
                                   f"{mode} mode needs a {_LINEAR_RANK[mode]}-d input (N, C, "
                                   f"...); pick the mode that fits the spatial dims")
    if rank not in (3, 4, 5) or mode not in _MODES.split(" | "):
        raise InterpolateModeError(f"interpolate: only 3-d, 4-d and 5-d inputs are supported "
                                   f"(got {rank}-d, shape {shape}) for the modes {_MODES} "
                                   f"(got {mode!r})")
    if antialias:
        raise OpError(f"interpolate: antialias=True ({mode}) is not supported yet; use "
                      f"antialias=False, or smooth first (e.g. avg_pool2d) when downsampling")
    if mode == "area":
        return _AREA[nd](x, sizes)
    if min(shape[2:]) <= 0 or min(sizes) <= 0:
        raise OpError(f"interpolate: input and output sizes should be greater than 0, got "
                      f"input {shape[2:]} and output {sizes}")
    if shape[1] == 0:
        raise OpError(f"interpolate: expected a non-empty {rank}-d input, got shape {shape}")
    kind = data_of(x).dtype
    if mode not in ("nearest", "nearest-exact") and kind.kind != "f":
        raise OpTypeError(f"interpolate: {mode} mode needs a floating-point input, got "
                          f"{kind}; cast it first, e.g. x.float()")
    # The kernel's compute type: float64 for float64 inputs, float32 otherwise.
    dt = np.float64 if kind == np.float64 else np.float32
    plans = []
    for axis, (n_in, n_out, s) in enumerate(zip(shape[2:], sizes, scales), start=2):
        if mode in ("nearest", "nearest-exact"):
            taps = _nearest_taps(n_in, n_out, s, mode == "nearest-exact", dt)
        elif mode == "bicubic":
            taps = _cubic_taps(n_in, n_out, s, align_corners, dt)
        else:
            taps = _linear_taps(n_in, n_out, s, align_corners, dt)
        if taps is not None and not (n_out == n_in and len(taps) == 1
                                     and (taps[0][0] == np.arange(n_in)).all()):
            plans.append((n_out / n_in, axis, taps))
    out = x
    # Shrinking axes first keeps the intermediate arrays small; the sum is the same.
    for _, axis, taps in sorted(plans, key=lambda p: p[0]):
        out = _resample_axis(out, axis, taps)
    if out is x:  # same sizes: PyTorch returns a new tensor, not the input
        out = ix.index_select(x, 2, np.arange(shape[2]))
    return out


def upsample(input, size=None, scale_factor=None, mode: str = "nearest",
             align_corners=None) -> Tensor:
    """Deprecated alias of :func:`interpolate` (as in PyTorch, which warns)."""
    warnings.warn("nn.functional.upsample is deprecated. Use nn.functional.interpolate "
                  "instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None) -> Tensor:
    """Deprecated: ``interpolate(input, size, scale_factor, mode='nearest')``."""
    warnings.warn("nn.functional.upsample_nearest is deprecated. Use "
                  "nn.functional.interpolate instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None) -> Tensor:
    """Deprecated: ``interpolate(input, size, scale_factor, mode='bilinear',
    align_corners=True)``."""
    warnings.warn("nn.functional.upsample_bilinear is deprecated. Use "
                  "nn.functional.interpolate instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


class Upsample(Module):
    """:func:`interpolate` as a Module.

    >>> Upsample(scale_factor=2, mode="bilinear")
    Upsample(scale_factor=2.0, mode='bilinear')
    """

    def __init__(self, size=None, scale_factor=None, mode: str = "nearest",
                 align_corners=None, recompute_scale_factor=None):
        super().__init__()
        self.name = type(self).__name__
        self.size = size
        # as PyTorch: factors are stored as floats, and a 0 factor as None
        if isinstance(scale_factor, tuple):
            self.scale_factor = tuple(float(f) for f in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor else None
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input):
        return interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                           recompute_scale_factor=self.recompute_scale_factor)

    def extra_repr(self) -> str:
        info = (f"scale_factor={self.scale_factor!r}" if self.scale_factor is not None
                else f"size={self.size!r}")
        return f"{info}, mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    """``Upsample(size, scale_factor, mode='nearest')`` for 4-d inputs."""

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """``Upsample(size, scale_factor, mode='bilinear', align_corners=True)``."""

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)


def __dir__():  # dir() and tab completion show what the module exports, not its helpers
    return __all__

