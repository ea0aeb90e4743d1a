"""``numpy.pad``, differentiable, in every NumPy mode: the index modes (edge, reflect,
symmetric, wrap) gather from the input, so gradients go back to the source of each padded
value; the statistic modes and linear_ramp are built from reductions and elementwise ops."""
from __future__ import annotations as _annotations

import numpy as _np

from ..autograd.tensor import Tensor as _Tensor
from ..ops import index as _ix
from ..ops import shape as _sh
from ..ops._util import data_of as _data
from . import _elementwise as _e
from . import _reductions
from ._creation import asarray as _asarray

__all__ = ["pad"]


def _shape_of(a) -> tuple:
    return _np.shape(_data(a))


_INDEX_MODES = ("edge", "reflect", "symmetric", "wrap")
_STAT_MODES = ("maximum", "minimum", "mean", "median")


def _pairs(value, nd, name):
    """NumPy's broadcasting of a per-axis (before, after) argument: ``3``, ``(3,)``,
    ``(1, 2)``, ``((1, 2),)`` or one pair per axis."""
    arr = _np.asarray(_data(value))
    try:
        return _np.broadcast_to(arr, (nd, 2)).tolist()
    except ValueError:
        raise ValueError(f"pad: {name} of shape {arr.shape} cannot be broadcast to "
                         f"({nd}, 2) (one (before, after) pair per axis)") from None


def _slab(a, axis, lo, hi):
    index = [slice(None)] * len(_shape_of(a))
    index[axis] = slice(lo, hi)
    return _ix.getitem(a, tuple(index))


def _stat_pad(a, axis, before, after, mode, stat_length):
    n = _shape_of(a)[axis]
    if n == 0 and (before or after):
        raise ValueError(f"pad: can't extend an empty axis {axis} using mode {mode!r}")
    stat = {"maximum": _reductions.amax, "minimum": _reductions.amin,
            "mean": _reductions.mean, "median": _reductions.median}[mode]
    parts = []
    for width, side in ((before, 0), (after, 1)):
        if not width:
            parts.append(None)
            continue
        k = n if stat_length is None else max(1, min(int(stat_length[axis][side]), n))
        region = _slab(a, axis, 0, k) if side == 0 else _slab(a, axis, n - k, n)
        value = stat(region, axis=axis, keepdims=True)
        if _np.issubdtype(a._data.dtype, _np.integer):  # NumPy rounds a mean or median
            value = _round_half_even(value)
        shape = list(_shape_of(a))
        shape[axis] = width
        parts.append(_sh.broadcast_to(_sh.cast(value, a._data.dtype), tuple(shape)))
    return parts


def _round_half_even(x):
    return _e.round(x)


def _ramp_pad(a, axis, before, after, end_values):
    n = _shape_of(a)[axis]
    parts = []
    for width, side in ((before, 0), (after, 1)):
        if not width:
            parts.append(None)
            continue
        edge = _slab(a, axis, 0, 1) if side == 0 else _slab(a, axis, n - 1, n)
        end = end_values[axis][side]
        shape = [1] * len(_shape_of(a))
        shape[axis] = width
        # numpy.linspace(end, edge, width, endpoint=False), reversed on the right.
        frac = (_np.arange(width) / width).reshape(shape)
        if side == 1:
            frac = frac[tuple(slice(None, None, -1) if i == axis else slice(None)
                              for i in range(len(shape)))]
        ramp = _e.add(_e.multiply(_e.subtract(edge, end), frac), end)
        if _np.issubdtype(a._data.dtype, _np.integer):
            ramp = _e.floor(ramp)
        parts.append(_sh.cast(ramp, a._data.dtype))
    return parts


def pad(array, pad_width, mode="constant", **kwargs):
    """``numpy.pad``, differentiable: every mode (constant, edge, reflect, symmetric, wrap,
    linear_ramp, maximum, minimum, mean, median, empty) with NumPy's width forms (``3``,
    ``(3,)``, ``((1, 2),)``, one pair per axis) and keywords (``constant_values``,
    ``end_values``, ``stat_length``, ``reflect_type``). A callable mode is refused."""
    a = _asarray(array)
    nd = len(_shape_of(a))
    allowed = {"constant": {"constant_values"}, "linear_ramp": {"end_values"},
               "reflect": {"reflect_type"}, "symmetric": {"reflect_type"},
               **{m: {"stat_length"} for m in _STAT_MODES}}
    if callable(mode):
        raise NotImplementedError("pad: a callable mode is not supported by chainrule; use "
                                  "one of NumPy's named modes")
    if mode not in allowed and mode not in ("edge", "wrap", "empty"):
        raise ValueError(f"mode {mode!r} is not supported")
    extra = set(kwargs) - allowed.get(mode, set())
    if extra:
        raise ValueError(f"unsupported keyword arguments for mode {mode!r}: {sorted(extra)}")
    widths = _np.asarray(_data(pad_width))
    if not _np.issubdtype(widths.dtype, _np.integer):
        raise TypeError("`pad_width` must be of integral type.")
    widths = [(int(b), int(c)) for b, c in _pairs(widths, nd, "pad_width")]
    if any(b < 0 or c < 0 for b, c in widths):
        raise ValueError("index can't contain negative values")
    if mode == "empty":
        mode, kwargs = "constant", {}
    if mode == "constant":
        values = kwargs.get("constant_values", 0)
        if isinstance(values, _Tensor) or _np.ndim(values):
            pairs = _pairs(values, nd, "constant_values") if not isinstance(values, _Tensor) \
                else None
            if pairs is not None and len({v for p in pairs for v in p}) == 1:
                values = pairs[0][0]
            else:
                return _constant_pad_per_axis(a, widths, values)
        return _sh.pad(a, tuple(widths), "constant", _np.asarray(values, a._data.dtype).item())
    if mode in _INDEX_MODES:
        reflect_type = kwargs.get("reflect_type", "even")
        if reflect_type not in ("even", "odd"):
            raise ValueError(f"pad: reflect_type must be 'even' or 'odd', got {reflect_type!r}")
        out = a
        for axis, (b, c) in enumerate(widths):
            if not (b or c):
                continue
            n = _shape_of(out)[axis]
            if n == 0:
                raise ValueError(f"can't extend empty axis {axis} using modes other than "
                                 f"'constant' or 'empty'")
            # The source of every padded position is NumPy's own padding of the indices.
            index = _np.pad(_np.arange(n), (b, c), mode=mode)
            gathered = _ix.getitem(out, (slice(None),) * axis + (index,))
            if reflect_type == "odd" and mode in ("reflect", "symmetric"):
                gathered = _odd_reflection(out, gathered, axis, n, b, c, mode)
            out = gathered
        return out
    if mode == "linear_ramp":
        ends = _pairs(kwargs.get("end_values", 0), nd, "end_values")
        return _per_axis(a, widths, lambda t, ax, b, c: _ramp_pad(t, ax, b, c, ends))
    stat_length = kwargs.get("stat_length")
    if stat_length is not None:
        stat_length = _pairs(stat_length, nd, "stat_length")
        if any(v < 0 for p in stat_length for v in p):
            raise ValueError("index can't contain negative values")
    return _per_axis(a, widths, lambda t, ax, b, c: _stat_pad(t, ax, b, c, mode, stat_length))


def _odd_reflection(a, gathered, axis, n, before, after, mode):
    """reflect_type='odd': a padded value v becomes 2 * edge - v (one reflection deep)."""
    if max(before, after) > (n - 1 if mode == "reflect" else n):
        raise NotImplementedError(f"pad: reflect_type='odd' with a width over the axis length "
                                  f"({n}) is not supported by chainrule")
    total = before + n + after
    shape = [1] * len(_shape_of(a))
    shape[axis] = total
    pos = _np.arange(total)
    left = (pos < before).astype(a._data.dtype).reshape(shape)
    right = (pos >= before + n).astype(a._data.dtype).reshape(shape)
    first = _slab(a, axis, 0, 1)
    last = _slab(a, axis, n - 1, n)
    return _e.add(_e.multiply(gathered, 1 - 2 * (left + right)),
                  _e.add(_e.multiply(first, 2 * left), _e.multiply(last, 2 * right)))


def _per_axis(a, widths, make_parts):
    """Pad one axis after another, as NumPy does (the corners come from padded values)."""
    out = a
    for axis, (b, c) in enumerate(widths):
        if not (b or c):
            continue
        before, after = make_parts(out, axis, b, c)
        pieces = [p for p in (before, out, after) if p is not None]
        out = _sh.concatenate(pieces, axis)
    return out


def _constant_pad_per_axis(a, widths, values):
    if isinstance(values, _Tensor):
        if values._data.ndim:
            raise NotImplementedError("pad: a traced constant_values must be a scalar")
        pairs = [(values, values)] * len(widths)
    else:
        pairs = _pairs(values, len(widths), "constant_values")

    def parts(t, axis, b, c):
        out = []
        for width, value in ((b, pairs[axis][0]), (c, pairs[axis][1])):
            if not width:
                out.append(None)
                continue
            shape = list(_shape_of(t))
            shape[axis] = width
            out.append(_sh.broadcast_to(_sh.cast(_asarray(value), t._data.dtype), tuple(shape)))
        return out
    return _per_axis(a, widths, parts)


def __dir__():
    return __all__
