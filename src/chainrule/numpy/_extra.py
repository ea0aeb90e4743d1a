"""More of NumPy's functions, differentiable where NumPy's result depends smoothly on the
inputs: ``angle``, ``sinc``, ``heaviside``, ``divmod``, ``modf``, ``nan_to_num``,
``real_if_close``, ``linspace``/``logspace`` (with traced endpoints), ``gradient``,
``interp``, ``convolve``/``correlate``, and the index tricks ``r_`` and ``c_``.
``iscomplex``/``isreal`` have no gradient."""
from __future__ import annotations as _annotations

import operator as _operator

import numpy as _np

from ..autograd.tensor import Tensor as _Tensor
from ..autograd.tensor import make_tensor as _make
from ..ops import elementwise as _ew
from ..ops import index as _ix
from ..ops import shape as _sh
from ..ops._util import data_of as _data
from . import _elementwise as _e
from ._creation import asarray as _asarray
from ._out import finish as _finish
from ._products import matmul as _matmul
from ._shape import concatenate as _concatenate
from ._shape import moveaxis as _moveaxis
from ._shape import reshape as _reshape

__all__ = ["angle", "real_if_close", "iscomplex", "isreal", "sinc", "nan_to_num",
           "heaviside", "divmod", "modf", "linspace", "logspace", "gradient", "interp",
           "convolve", "correlate", "r_", "c_"]


def _float_dtype(*arrays):
    return _np.result_type(*[_data(a) for a in arrays], _np.float64) \
        if any(_np.result_type(_data(a)).kind in "iub" for a in arrays) else \
        _np.result_type(*[_data(a) for a in arrays])


def _weak(x):
    """What NumPy's promotion sees: a Python number stays weak; anything else is an array."""
    if isinstance(x, (int, float, complex)) and not isinstance(x, bool):
        return x
    return _np.asarray(_data(x)) if not isinstance(x, _Tensor) else x._data


def angle(z, deg=False):
    """The argument of a complex number (0 or pi for real input); differentiable."""
    z = _asarray(z)
    if z._data.dtype.kind == "c":
        out = _e.arctan2(_e.imag(z), _e.real(z))
    else:
        z = _sh.cast(z, _float_dtype(z))
        out = _e.arctan2(_np.zeros(z.shape, z._data.dtype), z)
    return _e.multiply(out, 180.0 / _np.pi) if deg else out


def real_if_close(a, tol=100):
    """The real part when every imaginary part is within ``tol`` machine epsilons of 0."""
    a = _asarray(a)
    if a._data.dtype.kind != "c":
        return a
    eps = _np.finfo(a._data.dtype).eps
    limit = tol * eps if tol > 1 else tol
    return _e.real(a) if _np.all(_np.abs(_np.imag(a._data)) < limit) else a


def iscomplex(x):
    """Where the imaginary part is nonzero (no gradient)."""
    return _make(_np.iscomplex(_data(x)))


def isreal(x):
    """Where the imaginary part is zero (no gradient)."""
    return _make(_np.isreal(_data(x)))


def sinc(x):
    """sin(pi x) / (pi x), 1 at 0; differentiable (the gradient at exactly 0 is 0)."""
    x = _asarray(x)
    x = _sh.cast(x, _float_dtype(x))
    zero = _data(x) == 0
    safe = _e.multiply(_e.where(zero, 1.0, x), _np.pi)  # no 0/0 in either pass
    return _e.where(zero, 1.0, _e.divide(_e.sin(safe), safe))


def nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None):
    """NaN and infinities replaced by finite numbers; gradient 1 where ``x`` is finite.
    ``copy=False`` (in place) is refused: it would rewrite a traced value."""
    if not copy:
        raise NotImplementedError("chainrule.numpy.nan_to_num: copy=False (in place) is not "
                                  "supported; use the result")
    x = _asarray(x)
    if x._data.dtype.kind == "c":
        return _e.add(nan_to_num(_e.real(x), nan=nan, posinf=posinf, neginf=neginf),
                      _e.multiply(nan_to_num(_e.imag(x), nan=nan, posinf=posinf,
                                             neginf=neginf), 1j))
    return _ew.nan_to_num(x, nan, posinf, neginf)


def heaviside(x1, x2, out=None):
    """0 where x1 < 0, x2 where x1 == 0, 1 where x1 > 0 (gradient to x2 at x1 == 0)."""
    x1 = _asarray(x1)
    d = _data(x1)
    probe = _weak(x2)
    probe = probe if not hasattr(probe, "dtype") else _np.zeros((), probe.dtype)
    dtype = _np.heaviside(_np.zeros((), d.dtype), probe).dtype
    inner = _e.where(d > 0, _np.ones((), dtype), _sh.cast(_asarray(x2), dtype))
    result = _e.where(d < 0, _np.zeros((), dtype), inner)
    result = _e.where(_np.isnan(d), _np.asarray(_np.nan, dtype), result) \
        if dtype.kind == "f" else result
    return _finish(_sh.cast(result, dtype), out)


def divmod(x1, x2, out=None):
    """``(floor_divide(x1, x2), remainder(x1, x2))``."""
    return _finish((_e.floor_divide(x1, x2), _e.remainder(x1, x2)), out)


def modf(x, out=None):
    """``(fractional part, integral part)``, both with the sign of ``x``; gradient 1 to the
    fractional part, 0 to the integral part."""
    x = _asarray(x)
    x = _sh.cast(x, _float_dtype(x))
    whole = _e.trunc(x)
    return _finish((_e.subtract(x, whole), whole), out)


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0, *,
             device=None):
    """``numpy.linspace``; ``start`` and ``stop`` may be traced tensors (or arrays):
    the gradient flows to them."""
    if device not in (None, "cpu"):
        raise ValueError(f"linspace: device {device!r} is not supported; only 'cpu'")
    num = _operator.index(num)
    if num < 0:
        raise ValueError(f"Number of samples, {num}, must be non-negative.")
    div = (num - 1) if endpoint else num
    dt = _np.result_type(_weak(start), _weak(stop))  # Python numbers are weak, as in NumPy
    if dt.kind not in "fc":
        dt = _np.result_type(dt, _np.float64)
    start, stop = _asarray(start), _asarray(stop)
    start, stop = _sh.cast(start, dt), _sh.cast(stop, dt)
    shape = _np.broadcast_shapes(start.shape, stop.shape)
    delta = _e.subtract(stop, start)
    k = _np.arange(0, num, dtype=dt).reshape((-1,) + (1,) * len(shape))
    if div > 0:
        step = _e.divide(delta, div)
        y = _e.add(_e.multiply(k, step), start)
        if not _np.all(_data(step) != 0):
            y = _e.add(_e.multiply(_e.divide(k, div), delta), start)
    else:
        step = _make(_np.full(_np.shape(_data(delta)), _np.nan, dt))
        y = _e.add(_e.multiply(k, delta), start)
    y = _sh.broadcast_to(y, (num,) + shape)
    if endpoint and num > 1:
        y = _concatenate([_ix.getitem(y, (slice(None, -1),)),
                          _sh.broadcast_to(_reshape(stop, (1,) + stop.shape),
                                           (1,) + shape)], axis=0)
    if axis != 0:
        y = _moveaxis(y, 0, axis)
    if dtype is not None:
        dtype = _np.dtype(dtype)
        if dtype.kind in "iu":
            y = _e.floor(y)
        y = _sh.cast(y, dtype)
    return (y, step) if retstep else y


def logspace(start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0):
    """``base ** linspace(start, stop)``; differentiable in ``start``, ``stop``, ``base``."""
    start, stop, base = _asarray(start), _asarray(stop), _asarray(base)
    nd = len(_np.broadcast_shapes(start.shape, stop.shape, base.shape))
    start, stop, base = (_reshape(t, (1,) * (nd - t._data.ndim) + t.shape)
                         for t in (start, stop, base))
    y = linspace(start, stop, num=num, endpoint=endpoint, axis=axis)
    base = _sh.unsqueeze(base, axis)
    out = _e.power(base, y)
    if dtype is not None:
        dtype = _np.dtype(dtype)
        out = _sh.cast(_e.floor(out) if dtype.kind in "iu" else out, dtype)
    return out


def _along(a, axis, index):
    return _ix.getitem(a, (slice(None),) * axis + (index,))


def gradient(f, *varargs, axis=None, edge_order=1):
    """``numpy.gradient``: central differences inside, one-sided (``edge_order`` 1 or 2)
    at the ends; spacing a scalar or the coordinates per axis. Differentiable in ``f`` and
    in the spacing."""
    f = _asarray(f)
    nd = f._data.ndim
    axes = tuple(range(nd)) if axis is None else (
        axis if isinstance(axis, (tuple, list)) else (axis,))
    axes = tuple(_np.lib.array_utils.normalize_axis_index(ax, nd) for ax in axes)
    if len(set(axes)) != len(axes):
        raise ValueError("duplicate value in 'axis'")
    if edge_order > 2 or edge_order < 1:
        raise ValueError("'edge_order' greater than 2 not supported")
    if len(varargs) == 0:
        spacing = [1.0] * len(axes)
    elif len(varargs) == 1 and _np.ndim(_data(varargs[0])) == 0:
        spacing = list(varargs) * len(axes)
    elif len(varargs) == len(axes):
        spacing = list(varargs)
    else:
        raise TypeError("invalid number of arguments")
    otype = f._data.dtype if f._data.dtype.kind in "fc" else _np.dtype(_np.float64)
    f = _sh.cast(f, otype)
    out = []
    for ax, h in zip(axes, spacing):
        n = f.shape[ax]
        if n < edge_order + 1:
            raise ValueError("Shape of array too small to calculate a numerical gradient, "
                             "at least (edge_order + 1) elements are required.")
        out.append(_sh.cast(_gradient_1(f, ax, h, n, edge_order, nd), otype))
    return out[0] if len(out) == 1 else tuple(out)


def _gradient_1(f, ax, h, n, edge_order, nd):
    sub = lambda lo, hi: _along(f, ax, slice(lo, hi))  # noqa: E731
    if _np.ndim(_data(h)) == 0:
        h = h if isinstance(h, _Tensor) else float(_np.asarray(h))
        interior = _e.divide(_e.subtract(sub(2, None), sub(None, -2)), _e.multiply(h, 2.0))
        if edge_order == 1:
            first = _e.divide(_e.subtract(sub(1, 2), sub(0, 1)), h)
            last = _e.divide(_e.subtract(sub(-1, None), sub(-2, -1)), h)
        else:
            first = _e.divide(_e.add(_e.add(_e.multiply(sub(0, 1), -1.5),
                                            _e.multiply(sub(1, 2), 2.0)),
                                     _e.multiply(sub(2, 3), -0.5)), h)
            last = _e.divide(_e.add(_e.add(_e.multiply(sub(-3, -2), 0.5),
                                           _e.multiply(sub(-2, -1), -2.0)),
                                    _e.multiply(sub(-1, None), 1.5)), h)
        return _concatenate([first, interior, last], axis=ax)
    x = _asarray(h)
    if x._data.ndim != 1 or x.shape[0] != n:
        raise ValueError("when 1d, distances must match the length of the corresponding "
                         "dimension")
    x = _sh.cast(x, _np.result_type(x._data, _np.float64))
    shape = [1] * nd
    shape[ax] = -1

    def col(v):
        return _reshape(v, tuple(shape))
    dx = _e.subtract(x[1:], x[:-1])
    dx1, dx2 = dx[:-1], dx[1:]
    a = _e.divide(_e.negative(dx2), _e.multiply(dx1, _e.add(dx1, dx2)))
    b = _e.divide(_e.subtract(dx2, dx1), _e.multiply(dx1, dx2))
    c = _e.divide(dx1, _e.multiply(dx2, _e.add(dx1, dx2)))
    interior = _e.add(_e.add(_e.multiply(col(a), sub(None, -2)), _e.multiply(col(b), sub(1, -1))),
                      _e.multiply(col(c), sub(2, None)))
    if edge_order == 1:
        first = _e.divide(_e.subtract(sub(1, 2), sub(0, 1)), col(dx[0:1]))
        last = _e.divide(_e.subtract(sub(-1, None), sub(-2, -1)), col(dx[-1:]))
    else:
        d1, d2 = dx[0:1], dx[1:2]
        a0 = _e.divide(_e.negative(_e.add(_e.multiply(d1, 2.0), d2)),
                       _e.multiply(d1, _e.add(d1, d2)))
        b0 = _e.divide(_e.add(d1, d2), _e.multiply(d1, d2))
        c0 = _e.divide(_e.negative(d1), _e.multiply(d2, _e.add(d1, d2)))
        first = _e.add(_e.add(_e.multiply(col(a0), sub(0, 1)), _e.multiply(col(b0), sub(1, 2))),
                       _e.multiply(col(c0), sub(2, 3)))
        d1, d2 = dx[-2:-1], dx[-1:]
        a1 = _e.divide(d2, _e.multiply(d1, _e.add(d1, d2)))
        b1 = _e.divide(_e.negative(_e.add(d2, d1)), _e.multiply(d1, d2))
        c1 = _e.divide(_e.add(_e.multiply(d2, 2.0), d1), _e.multiply(d2, _e.add(d1, d2)))
        last = _e.add(_e.add(_e.multiply(col(a1), sub(-3, -2)),
                             _e.multiply(col(b1), sub(-2, -1))),
                      _e.multiply(col(c1), sub(-1, None)))
    return _concatenate([first, interior, last], axis=ax)


def interp(x, xp, fp, left=None, right=None, period=None):
    """``numpy.interp``: piecewise-linear interpolation; differentiable in ``x``, ``xp``,
    ``fp``, ``left`` and ``right``. ``period`` is not supported (refused by name)."""
    if period is not None:
        raise NotImplementedError("chainrule.numpy.interp: period= is not supported")
    x, xp, fp = _asarray(x), _asarray(xp), _asarray(fp)
    if xp._data.ndim != 1 or fp._data.ndim != 1:
        raise ValueError("object too deep for desired array" if max(
            xp._data.ndim, fp._data.ndim) > 1 else "object of too small depth for desired "
                         "array")
    if xp.shape[0] != fp.shape[0]:
        raise ValueError("fp and xp are not of the same length.")
    if xp.shape[0] == 0:
        raise ValueError("array of sample points is empty")
    if fp._data.dtype.kind == "c":
        raise NotImplementedError("chainrule.numpy.interp: complex fp is not supported")
    dt = _np.float64
    x, xp, fp = (_sh.cast(t, dt) for t in (x, xp, fp))
    n = xp.shape[0]
    xd = x._data
    if n == 1:
        y = _sh.broadcast_to(_reshape(fp, ()), x.shape)
        y = _e.add(y, _e.multiply(x, 0.0))
    else:
        idx = _np.clip(_np.searchsorted(xp._data, xd, side="right") - 1, 0, n - 2)
        x0, x1 = _ix.getitem(xp, (idx,)), _ix.getitem(xp, (idx + 1,))
        f0, f1 = _ix.getitem(fp, (idx,)), _ix.getitem(fp, (idx + 1,))
        slope = _e.divide(_e.subtract(f1, f0), _e.subtract(x1, x0))
        y = _e.add(_e.multiply(slope, _e.subtract(x, x0)), f0)
        y = _e.where(xd == xp._data[-1], _sh.broadcast_to(fp[-1], x.shape), y)
    lo = fp[0] if left is None else _asarray(left)
    hi = fp[-1] if right is None else _asarray(right)
    y = _e.where(xd < xp._data[0], lo, y)
    y = _e.where(xd > xp._data[-1], hi, y)
    return _sh.cast(y, _np.result_type(y._data, _np.float64))


def _full_convolution(a, v):
    """sum_i a[i] v[k - i] for every k, as a product with a banded matrix of v's entries."""
    n, m = a.shape[0], v.shape[0]
    padded = _sh.pad(v, ((n - 1, n - 1),), "constant", 0)
    k = _np.arange(n + m - 1)[:, None]
    i = _np.arange(n)[None, :]
    band = _ix.getitem(padded, (k - i + n - 1,))
    return _matmul(band, a)


def _conv_mode(name, a, v, mode):
    a, v = _asarray(a), _asarray(v)
    if a._data.ndim != 1 or v._data.ndim != 1:
        raise ValueError(f"{name}: object too deep for desired array (1-D inputs only, got "
                         f"shapes {a.shape} and {v.shape})")
    if a.shape[0] == 0:
        raise ValueError("a cannot be empty")
    if v.shape[0] == 0:
        raise ValueError("v cannot be empty")
    if mode not in ("full", "same", "valid"):
        raise ValueError(f"mode must be one of 'valid', 'same', or 'full' (got {mode!r})")
    dtype = _np.result_type(a._data, v._data)
    if dtype.kind == "c":
        raise NotImplementedError(f"chainrule.numpy.{name}: complex inputs are not supported")
    return _sh.cast(a, dtype), _sh.cast(v, dtype)


def _cropped(full, n, m, mode):
    long, short = max(n, m), min(n, m)
    if mode == "full":
        return full
    if mode == "same":
        lo = (short - 1) // 2
        return full[lo:lo + long]
    return full[short - 1:long]


def convolve(a, v, mode="full"):
    """``numpy.convolve`` of two 1-D sequences, modes full, same, valid; differentiable
    in both."""
    a, v = _conv_mode("convolve", a, v, mode)
    return _cropped(_full_convolution(a, v), a.shape[0], v.shape[0], mode)


def correlate(a, v, mode="valid"):
    """``numpy.correlate`` (``c[k] = sum_n a[n + k] v[n]``) of two 1-D real sequences,
    modes valid (default), same, full; differentiable in both."""
    a, v = _conv_mode("correlate", a, v, mode)
    n, m = a.shape[0], v.shape[0]
    full = _full_convolution(a, _sh.flip(v, 0))
    return _cropped(full, n, m, mode)


class _Concatenator:
    """``r_`` and ``c_``: NumPy's index tricks that join tensors (gradients flow)."""

    def __init__(self, axis, ndmin, trans1d, name):
        self.axis, self.ndmin, self.trans1d, self._name = axis, ndmin, trans1d, name

    def __repr__(self):
        return f"chainrule.numpy.{self._name}"

    def __getitem__(self, key):
        items = key if isinstance(key, tuple) else (key,)
        axis, ndmin, trans1d = self.axis, self.ndmin, self.trans1d
        parts, scalars = [], []
        for k, item in enumerate(items):
            if isinstance(item, str):
                if k != 0:
                    raise ValueError("special directives must be the first entry.")
                if item in ("r", "c"):
                    raise NotImplementedError(f"{self!r}: the matrix directive {item!r} is "
                                              f"not supported")
                values = [int(v) for v in item.split(",")]
                axis = values[0]
                if len(values) > 1:
                    ndmin = values[1]
                if len(values) > 2:
                    trans1d = values[2]
                continue
            if isinstance(item, slice):
                part = _make(_np.r_[item])
                if ndmin > 1:
                    part = _promote(part, ndmin, trans1d)
            elif not isinstance(item, _Tensor) and _np.ndim(item) == 0 and \
                    not isinstance(item, (list, tuple)):
                scalars.append(len(parts))
                part = _reshape(_asarray(item), (1,) * max(ndmin, 1))
            else:
                part = _promote(_asarray(item), ndmin, trans1d)
            parts.append(part)
        if not parts:
            return _make(_np.array([]))
        arrays = [p for i, p in enumerate(parts) if i not in scalars]
        dtype = _np.result_type(*[p._data for p in arrays]) if arrays else \
            _np.result_type(*[p._data for p in parts])
        parts = [_sh.cast(p, dtype) for p in parts]
        return _concatenate(parts, axis=axis)


def _promote(a, ndmin, trans1d):
    """``numpy.array(a, ndmin=ndmin)``, its original dims placed by ``trans1d``."""
    nd = a._data.ndim
    if nd >= ndmin:
        return a
    out = _reshape(a, (1,) * (ndmin - nd) + a.shape)
    if trans1d != -1:  # NumPy's placement (numpy/lib/_index_tricks_impl.py)
        k2 = ndmin - nd
        k1 = trans1d + k2 + 1 if trans1d < 0 else trans1d
        axes = list(range(ndmin))
        out = _sh.permute(out, *(axes[:k1] + axes[k2:] + axes[k1:k2]))
    return out


r_ = _Concatenator(0, 1, -1, "r_")
c_ = _Concatenator(-1, 2, 0, "c_")


def __dir__():
    return __all__
