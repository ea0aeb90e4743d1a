"""Reductions and scans with NumPy's signatures (``axis``, ``keepdims``, ``ddof``,
``dtype``, ``out``, ``initial``, ``where``): sums, products, extrema, statistics,
quantiles, covariance, cumulative sums and differences. ``out=`` is written (see
``_out``), never ignored."""
from __future__ import annotations as _annotations

import builtins as _builtins
import warnings as _warnings

import numpy as _np

from ..autograd.tensor import Tensor as _Tensor
from ..ops import index as _ix
from ..ops import linalg as _linalg
from ..ops import reduce as _reduce
from ..ops import shape as _sh
from ..ops._util import data_of as _data
from ._creation import asarray as _asarray
from ._creation import ones_like as _ones_like
from ._elementwise import add as _add
from ._elementwise import clip as _clip
from ._elementwise import divide as _divide
from ._elementwise import maximum as _maximum
from ._elementwise import minimum as _minimum
from ._elementwise import multiply as _multiply
from ._elementwise import sqrt as _sqrt
from ._elementwise import subtract as _subtract
from ._elementwise import where as _where
from ._indexing import sort as _sort
from ._out import finish as _finish
from ._shape import broadcast_to as _broadcast_to
from ._shape import concatenate as _concatenate
from ._shape import moveaxis as _moveaxis
from ._shape import ravel as _ravel
from ._shape import reshape as _reshape

__all__ = ["sum", "mean", "prod", "amax", "amin", "max", "min", "var", "std", "cumsum",
           "cumprod", "argmax", "argmin", "ptp", "average", "median", "nansum", "nanmean",
           "nanmax", "nanmin", "nanprod", "nanvar", "nanstd", "diff", "quantile", "percentile",
           "nanquantile", "nanpercentile", "cov", "corrcoef"]

_NOVALUE = _np._NoValue


def _masked(a, where, fill):
    if where is True or where is _NOVALUE:
        return a
    return _where(where, a, fill)


def _initial(result, initial, combine):
    return result if initial is _NOVALUE or initial is None else combine(result, initial)


def _fold(reduce, identity, combine, a, axis, dtype, out, keepdims, initial, where):
    """numpy.sum/prod's arguments over ``reduce``: entries outside ``where`` count as the
    ``identity``, and ``initial`` joins the result by ``combine``."""
    a = _asarray(a)
    if dtype is not None:
        a = _sh.cast(a, dtype)
    result = reduce(_masked(a, where, identity), axis=axis, keepdims=keepdims)
    return _finish(_initial(result, initial, combine), out)


def sum(a, axis=None, dtype=None, out=None, keepdims=False, initial=_NOVALUE, where=True):
    """Differentiable numpy.sum."""
    return _fold(_reduce.sum, 0, _add, a, axis, dtype, out, keepdims, initial, where)


def prod(a, axis=None, dtype=None, out=None, keepdims=False, initial=_NOVALUE, where=True):
    """Differentiable numpy.prod."""
    return _fold(_reduce.prod, 1, _multiply, a, axis, dtype, out, keepdims, initial, where)


def mean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=True):
    """Differentiable numpy.mean."""
    a = _asarray(a)
    if dtype is not None:
        a = _sh.cast(a, dtype)
    if where is True:
        return _finish(_reduce.mean(a, axis=axis, keepdims=keepdims), out)
    count = _np.sum(_np.broadcast_to(_data(where), a.shape), axis=axis, keepdims=keepdims)
    total = _reduce.sum(_masked(a, where, 0), axis=axis, keepdims=keepdims)
    return _finish(_divide(total, count), out)


def _extremum(fn, combine, name, fill):
    def extremum(a, axis=None, out=None, keepdims=False, initial=_NOVALUE, where=True):
        a = _asarray(a)
        if where is not True and (initial is _NOVALUE or initial is None):
            raise ValueError(f"reduction operation '{name}' does not have an identity, so to "
                             f"use a where mask one has to specify 'initial'")
        if a._data.size == 0 and (initial is _NOVALUE or initial is None) and (
                axis is None or a.shape[axis] == 0):
            raise ValueError(f"zero-size array to reduction operation {name} which has no "
                             f"identity")
        result = fn(_masked(a, where, fill), axis=axis, keepdims=keepdims)
        return _finish(_initial(result, initial, combine), out)
    extremum.__name__ = extremum.__qualname__ = "a" + name[:3]
    extremum.__doc__ = f"Differentiable numpy.{name}; tied extremes share the gradient."
    return extremum


amax = _extremum(_reduce.amax, _maximum, "maximum", -_np.inf)
amin = _extremum(_reduce.amin, _minimum, "minimum", _np.inf)
max, min = amax, amin


def _variance(a, axis, dtype, ddof, keepdims, where, mean_, correction, fn=_reduce.var):
    a = _asarray(a)
    if correction is not _NOVALUE:
        if ddof != 0:
            raise ValueError("ddof and correction can't be provided simultaneously.")
        ddof = correction
    if dtype is not None:
        a = _sh.cast(a, dtype)
    if where is not True:
        raise NotImplementedError("chainrule.numpy.var/std: where= is not supported")
    if mean_ is _NOVALUE:
        return fn(a, axis=axis, correction=ddof, keepdims=keepdims)
    # A precomputed mean (keepdims-shaped, as NumPy requires).
    centred = _subtract(a, mean_)
    axes = range(a._data.ndim) if axis is None else _np.lib.array_utils.normalize_axis_tuple(
        axis, a._data.ndim)
    n = int(_np.prod([a.shape[i] for i in axes]))
    return _divide(sum(_multiply(centred, centred), axis=axis, keepdims=keepdims),
                   _builtins.max(n - ddof, 0))


def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=True,
        mean=_NOVALUE, correction=_NOVALUE):
    """Differentiable numpy.var (``ddof=0`` by default, as NumPy)."""
    return _finish(_variance(a, axis, dtype, ddof, keepdims, where, mean, correction), out)


def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=True,
        mean=_NOVALUE, correction=_NOVALUE):
    """Differentiable numpy.std (``ddof=0`` by default, as NumPy): the square root of the
    variance, so where the variance is 0 (one element, or all equal) the gradient is
    0 * inf = nan, as JAX's for NumPy code (Tensor.std masks it to 0, as PyTorch)."""
    return _finish(_sqrt(_variance(a, axis, dtype, ddof, keepdims, where, mean, correction)),
                   out)


def cumsum(a, axis=None, dtype=None, out=None):
    a = _asarray(a)
    if dtype is not None:
        a = _sh.cast(a, dtype)
    return _finish(_reduce.cumsum(a, axis=axis), out)


def cumprod(a, axis=None, dtype=None, out=None):
    a = _asarray(a)
    if dtype is not None:
        a = _sh.cast(a, dtype)
    return _finish(_reduce.cumprod(a, axis=axis), out)


def argmax(a, axis=None, out=None, *, keepdims=False):
    return _finish(_reduce.argmax(_asarray(a), axis=axis, keepdims=keepdims), out)


def argmin(a, axis=None, out=None, *, keepdims=False):
    return _finish(_reduce.argmin(_asarray(a), axis=axis, keepdims=keepdims), out)


def ptp(a, axis=None, out=None, keepdims=False):
    a = _asarray(a)
    return _finish(_subtract(amax(a, axis=axis, keepdims=keepdims),
                             amin(a, axis=axis, keepdims=keepdims)), out)


def average(a, axis=None, weights=None, returned=False, *, keepdims=False):
    a = _asarray(a)
    if weights is None:
        avg = mean(a, axis=axis, keepdims=keepdims)
        total = _np.asarray(_data(a)).size / _builtins.max(_np.asarray(_data(avg)).size, 1)
        total = _asarray(_np.asarray(total, dtype=_data(avg).dtype))
    else:
        w = _asarray(weights)
        if _np.ndim(_data(w)) != _np.ndim(_data(a)):
            if axis is None:
                raise TypeError("Axis must be specified when shapes of a and weights differ.")
            if not isinstance(axis, int) or _np.ndim(_data(w)) != 1:
                raise ValueError("Shape of weights must be consistent with shape of a along "
                                 "specified axis.")
            shape = [1] * _np.ndim(_data(a))
            shape[axis] = -1
            w = _reshape(w, tuple(shape))
        total = sum(_multiply(_ones_like(a), w), axis=axis, keepdims=keepdims)
        if _np.any(_np.asarray(_data(total)) == 0.0):
            raise ZeroDivisionError("Weights sum to zero, can't be normalized")
        avg = _divide(sum(_multiply(a, w), axis=axis, keepdims=keepdims), total)
    return (avg, _broadcast_to(total, avg.shape)) if returned else avg


def median(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """The median: the middle of the sorted values (mean of the two middle ones).
    ``overwrite_input`` only permits NumPy to clobber the input; chainrule never does."""
    return quantile(a, 0.5, axis=axis, out=out, keepdims=keepdims, method="midpoint_median")


def _nan_filled(a, fill):
    a = _asarray(a)
    if a._data.dtype.kind not in "fc":  # no NaN to skip: NumPy keeps integer dtypes
        return a, _np.zeros(a.shape, bool), a
    return a, _np.isnan(a._data), _where(_np.isnan(a._data), fill, a)


def nansum(a, axis=None, dtype=None, out=None, keepdims=False, initial=_NOVALUE, where=True):
    a, _, filled = _nan_filled(a, 0.0)
    return sum(filled, axis, dtype, out, keepdims, initial, where)


def nanprod(a, axis=None, dtype=None, out=None, keepdims=False, initial=_NOVALUE, where=True):
    a, _, filled = _nan_filled(a, 1.0)
    return prod(filled, axis, dtype, out, keepdims, initial, where)


def nanmean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=True):
    """Mean of the values that are not NaN (NaN, with a RuntimeWarning as in NumPy, where
    all are NaN)."""
    a, nan, filled = _nan_filled(a, 0.0)
    if where is not True:
        raise NotImplementedError("chainrule.numpy.nanmean: where= is not supported")
    count = _np.sum(~nan, axis=axis, keepdims=keepdims)
    if _np.any(count == 0):
        _warnings.warn("Mean of empty slice", RuntimeWarning, stacklevel=2)
    total = sum(filled, axis=axis, dtype=dtype, keepdims=keepdims)
    return _finish(_divide(total, _np.asarray(count, dtype=total._data.dtype)), out)


def _nan_extremum(fn, fill, name):
    def nan_extremum(a, axis=None, out=None, keepdims=False, initial=_NOVALUE, where=True):
        a, nan, filled = _nan_filled(a, fill)
        result = fn(filled, axis=axis, keepdims=keepdims, initial=initial, where=where)
        all_nan = _np.all(nan, axis=axis, keepdims=keepdims)
        if _np.any(all_nan):
            _warnings.warn("All-NaN slice encountered", RuntimeWarning, stacklevel=2)
            result = _where(all_nan, _np.nan, result)
        return _finish(result, out)
    nan_extremum.__name__ = nan_extremum.__qualname__ = name
    nan_extremum.__doc__ = f"Differentiable numpy.{name}: NaN is skipped."
    return nan_extremum


nanmax = _nan_extremum(amax, -_np.inf, "nanmax")
nanmin = _nan_extremum(amin, _np.inf, "nanmin")


def nanvar(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=True):
    """Variance of the values that are not NaN."""
    a, nan, filled = _nan_filled(a, 0.0)
    if where is not True:
        raise NotImplementedError("chainrule.numpy.nanvar: where= is not supported")
    if dtype is not None:
        filled = _sh.cast(filled, dtype)
    count = _np.sum(~nan, axis=axis, keepdims=True).astype(filled._data.dtype)
    centred = _where(nan, 0.0, _subtract(filled, _divide(sum(filled, axis=axis, keepdims=True),
                                                         count)))
    sq = sum(_multiply(centred, centred), axis=axis, keepdims=keepdims)
    dof = _np.maximum(count - ddof, 0)
    dof = dof if keepdims else _np.squeeze(dof, axis=axis)
    return _finish(_divide(sq, dof), out)


def nanstd(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=True):
    return _finish(_sqrt(nanvar(a, axis, dtype, None, ddof, keepdims, where=where)), out)


# ----- quantiles ----------------------------------------------------------------------------
_METHODS = ("linear", "lower", "higher", "nearest", "midpoint")


def _flatten_axes(a, axis):
    """``a`` with the reduced axes moved last and merged into one; and the kept shape
    (for keepdims, the shape with 1 at the reduced axes)."""
    nd = len(a.shape)
    if axis is None:
        return _ravel(a), (), (1,) * nd
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    axes = tuple(_np.lib.array_utils.normalize_axis_index(int(x), nd) for x in axes)
    if len(set(axes)) != len(axes):
        raise ValueError("repeated axis")
    rest = [i for i in range(nd) if i not in axes]
    moved = _moveaxis(a, axes, tuple(range(nd - len(axes), nd)))
    kept = tuple(a.shape[i] for i in rest)
    return (_reshape(moved, kept + (-1,)), kept,
            tuple(1 if i in axes else a.shape[i] for i in range(nd)))


def quantile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
             keepdims=False, *, weights=None, interpolation=None):
    """``numpy.quantile``: methods linear (default), lower, higher, nearest, midpoint;
    ``q`` of any shape (its dims lead the result); ``axis`` an int, tuple or None.
    Differentiable in ``a`` and, for ``linear``, in ``q``."""
    if interpolation is not None:
        method = interpolation
    if weights is not None:
        raise NotImplementedError("chainrule.numpy.quantile: weights= is not supported")
    midpoint_median = method == "midpoint_median"
    if method not in _METHODS and not midpoint_median:
        raise NotImplementedError(f"chainrule.numpy.quantile: method {method!r} is not "
                                  f"supported; use one of {_METHODS}")
    a = _asarray(a)
    if a._data.dtype.kind not in "fiub":
        raise TypeError(f"quantile: a of dtype {a._data.dtype} is not supported")
    qt = q if isinstance(q, _Tensor) else None
    qs = _np.asarray(_data(q), dtype=_np.float64)
    if _np.any((qs < 0) | (qs > 1)) or _np.any(_np.isnan(qs)):
        raise ValueError("Quantiles must be in the range [0, 1]")
    flat, kept, keep_shape = _flatten_axes(a, axis)
    n = flat.shape[-1]
    if n == 0:
        raise IndexError("quantile: cannot take a quantile of an empty axis")
    ordered = _sort(flat, axis=-1)
    out_dtype = _np.result_type(a._data.dtype, _np.float64 if a._data.dtype.kind in "iub"
                                else a._data.dtype)
    if a._data.dtype.kind in "iub":
        ordered = _sh.cast(ordered, out_dtype)
    position = qs * (n - 1)
    lo = _np.clip(_np.floor(position).astype(_np.int64), 0, n - 1)
    hi = _np.clip(lo + 1, 0, n - 1)
    frac = position - lo
    if method == "lower":
        hi, frac = lo, _np.zeros_like(frac)
    elif method == "higher":
        lo = hi = _np.clip(_np.ceil(position).astype(_np.int64), 0, n - 1)
        frac = _np.zeros_like(frac)
    elif method == "nearest":
        lo = hi = _np.clip(_np.around(position).astype(_np.int64), 0, n - 1)
        frac = _np.zeros_like(frac)
    elif method == "midpoint" or midpoint_median:
        hi = _np.where(frac > 0, hi, lo) if method == "midpoint" else _np.clip(
            _np.ceil(position).astype(_np.int64), 0, n - 1)
        frac = _np.where(lo == hi, 0.0, 0.5)
    # Gather: the q dims lead, as in NumPy.
    below = _moveaxis(_ix.getitem(ordered, (Ellipsis, lo.reshape(-1))), -1, 0)
    above = _moveaxis(_ix.getitem(ordered, (Ellipsis, hi.reshape(-1))), -1, 0)
    shape = qs.shape + kept
    below, above = _reshape(below, shape), _reshape(above, shape)
    weight = frac.reshape(qs.shape + (1,) * len(kept)).astype(out_dtype)
    if qt is not None and method == "linear":
        # position - lo, traced so the gradient reaches q (lo is locally constant).
        qw = _subtract(_multiply(_sh.cast(qt, out_dtype), float(n - 1)), lo.astype(out_dtype))
        weight = _reshape(qw, qs.shape + (1,) * len(kept))
    result = _add(below, _multiply(_subtract(above, below), weight))
    nan = _np.isnan(_data(ordered)[..., -1]) if out_dtype.kind == "f" else None
    if nan is not None and _np.any(nan):
        result = _where(nan, _np.nan, result)
    if keepdims:
        result = _reshape(result, qs.shape + keep_shape)
    return _finish(result, out)


def percentile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
               keepdims=False, *, weights=None, interpolation=None):
    """``numpy.percentile``: :func:`quantile` with ``q`` in [0, 100]."""
    qs = _np.asarray(_data(q), dtype=_np.float64)
    if _np.any((qs < 0) | (qs > 100)):
        raise ValueError("Percentiles must be in the range [0, 100]")
    q = _divide(q, 100.0) if isinstance(q, _Tensor) else qs / 100.0
    return quantile(a, q, axis, out, overwrite_input, method, keepdims, weights=weights,
                    interpolation=interpolation)


def _nan_quantile_check(a):
    a = _asarray(a)
    if _np.isnan(a._data).any():
        raise NotImplementedError("chainrule.numpy.nanquantile: inputs holding NaN are not "
                                  "supported; drop the NaN first")
    return a


def nanquantile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
                keepdims=False, *, weights=None, interpolation=None):
    """:func:`quantile` for input without NaN (input with NaN is refused)."""
    return quantile(_nan_quantile_check(a), q, axis, out, overwrite_input, method, keepdims,
                    weights=weights, interpolation=interpolation)


def nanpercentile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
                  keepdims=False, *, weights=None, interpolation=None):
    """:func:`percentile` for input without NaN (input with NaN is refused)."""
    return percentile(_nan_quantile_check(a), q, axis, out, overwrite_input, method, keepdims,
                      weights=weights, interpolation=interpolation)


# ----- covariance ---------------------------------------------------------------------------
def cov(m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None, *,
        dtype=None):
    """``numpy.cov``: the covariance matrix of the variables (rows, or columns with
    ``rowvar=False``), with ``bias``, ``ddof``, ``fweights`` and ``aweights``."""
    if ddof is not None and ddof != int(ddof):
        raise ValueError("ddof must be integer")
    m = _asarray(m)
    if m._data.ndim > 2:
        raise ValueError("m has more than 2 dimensions")
    dtype = _np.result_type(m._data, _np.float64) if dtype is None else _np.dtype(dtype)
    X = _sh.cast(_reshape(m, (1, -1)) if m._data.ndim < 2 else m, dtype)
    if not rowvar and X.shape[0] != 1:
        X = _sh.swapaxes(X, 0, 1)
    if y is not None:
        y = _asarray(y)
        if y._data.ndim > 2:
            raise ValueError("y has more than 2 dimensions")
        Y = _sh.cast(_reshape(y, (1, -1)) if y._data.ndim < 2 else y, dtype)
        if not rowvar and Y.shape[0] != 1:
            Y = _sh.swapaxes(Y, 0, 1)
        X = _concatenate([X, Y], axis=0)
    if ddof is None:
        ddof = 0 if bias else 1
    w = None
    if fweights is not None:
        fw = _np.asarray(_data(fweights))
        if not _np.all(fw == _np.around(fw)):
            raise TypeError("fweights must be integer")
        if fw.ndim > 1 or fw.shape[0] != X.shape[1]:
            raise RuntimeError("incompatible numbers of samples and fweights")
        if _np.any(fw < 0):
            raise ValueError("fweights cannot be negative")
        w = _asarray(fw.astype(dtype))
    if aweights is not None:
        aw = _asarray(aweights)
        if aw._data.ndim > 1 or aw.shape[0] != X.shape[1]:
            raise RuntimeError("incompatible numbers of samples and aweights")
        if _np.any(aw._data < 0):
            raise ValueError("aweights cannot be negative")
        aw = _sh.cast(aw, dtype)
        w = aw if w is None else _multiply(w, aw)
    if w is None:
        avg = mean(X, axis=1)
        fact = X.shape[1] - ddof
        w_sum = None
    else:
        w_sum = sum(w)
        avg = _divide(sum(_multiply(X, w), axis=1), w_sum)
        if ddof == 0:
            fact = w_sum
        elif aweights is None:
            fact = _subtract(w_sum, ddof)
        else:
            fact = _subtract(w_sum, _divide(_multiply(ddof, sum(_multiply(w, aw))), w_sum))
    if _np.any(_np.asarray(_data(fact)) <= 0):
        _warnings.warn("Degrees of freedom <= 0 for slice", RuntimeWarning, stacklevel=2)
        fact = _maximum(fact, 0.0) if isinstance(fact, _Tensor) else _builtins.max(fact, 0)
    Xc = _subtract(X, _reshape(avg, (-1, 1)))
    Xw = Xc if w is None else _multiply(Xc, w)
    c = _divide(_linalg.matmul(Xw, _sh.swapaxes(Xc, 0, 1)), fact)
    return _sh.squeeze(c) if c.shape == (1, 1) else c


def corrcoef(x, y=None, rowvar=True, *, dtype=None):
    """``numpy.corrcoef``: the Pearson correlation matrix, clipped to [-1, 1]."""
    c = cov(x, y, rowvar, dtype=dtype)
    if c._data.ndim == 0:
        return _divide(c, c)
    d = _ix.getitem(c, (_np.arange(c.shape[0]), _np.arange(c.shape[0])))
    s = _sqrt(d)
    c = _divide(_divide(c, _reshape(s, (-1, 1))), _reshape(s, (1, -1)))
    return _clip(c, -1, 1)


def diff(a, n=1, axis=-1, prepend=_NOVALUE, append=_NOVALUE):
    a = _asarray(a)
    nd = _np.ndim(_data(a))
    if n < 0:
        raise ValueError(f"order must be non-negative but got {n}")
    if nd == 0:
        raise ValueError("diff requires input that is at least one dimensional")
    axis = _np.lib.array_utils.normalize_axis_index(axis, nd)
    parts = []
    for p in (prepend, None, append):
        if p is None:
            parts.append(a)
        elif p is not _NOVALUE:
            p = _asarray(p)
            if _np.ndim(_data(p)) == 0:
                p = _broadcast_to(p, tuple(1 if i == axis else m
                                           for i, m in enumerate(_np.shape(_data(a)))))
            parts.append(p)
    if len(parts) > 1:
        a = _concatenate(parts, axis=axis)
    lead = (slice(None),) * axis
    for _ in range(n):
        a = _subtract(_ix.getitem(a, lead + (slice(1, None),)),
                      _ix.getitem(a, lead + (slice(None, -1),)))
    return a


def __dir__():
    return __all__
