"""Reductions and scans: sum, mean, prod, amax/amin, logsumexp, cumsum, cumprod, norm, and
the composites built from them (var, std, max/min with indices)."""
from __future__ import annotations

import math
import warnings
from collections import namedtuple

import numpy as np

from ..autograd.primitives import Primitive, apply, defjvp, defvjp
from ..autograd.tensor import Tensor, make_tensor
from ..errors import OpError, OpTypeError
from . import elementwise as ew
from . import index as ix
from . import shape as sh
from ._util import data_of, ndim_of, normalize_axes, normalize_axis, pick, reduced_shape, shape_of

__all__ = ["sum_p", "mean_p", "amax_p", "amin_p", "prod_p", "logsumexp_p", "norm2_p", "cumsum_p",
           "cumprod_p", "sum", "mean", "prod", "amax", "amin", "logsumexp", "var", "std", "norm",
           "cumsum", "cumprod", "MinMax", "argmax", "argmin", "max", "min", "var_mean",
           "std_mean", "nansum", "nanmean", "count_nonzero", "MinMaxPair", "aminmax"]


def _keep(xp, g, shape, axis, keepdims):
    """Give a reduced gradient its reduced axes back (as size 1) so it broadcasts."""
    return g if keepdims else xp.reshape(g, reduced_shape(shape, axis))


def _count(shape, axis) -> int:
    if axis is None:
        return math.prod(shape)
    return math.prod(shape[a] for a in axis)


def _sum_forward(xp, x, axis, keepdims, shape):
    return xp.sum(x, axis=axis, keepdims=keepdims)


def _mean_forward(xp, x, axis, keepdims, shape):
    return xp.mean(x, axis=axis, keepdims=keepdims)


sum_p = Primitive("sum", _sum_forward, complex_ok=True, saves=(), saves_ans=False)
defvjp(sum_p, lambda xp, g, ans, x, axis, keepdims, shape:
       xp.broadcast_to(_keep(xp, g, shape, axis, keepdims), shape))
defjvp(sum_p, lambda xp, ts, ans, x, axis, keepdims, shape:
       xp.sum(ts[0], axis=axis, keepdims=keepdims))

mean_p = Primitive("mean", _mean_forward, complex_ok=True, saves=(), saves_ans=False)
defvjp(mean_p, lambda xp, g, ans, x, axis, keepdims, shape:
       xp.broadcast_to(_keep(xp, g, shape, axis, keepdims) / _count(shape, axis), shape))
defjvp(mean_p, lambda xp, ts, ans, x, axis, keepdims, shape:
       xp.mean(ts[0], axis=axis, keepdims=keepdims))


def _extreme_vjp(xp, g, ans, x, axis, keepdims, shape):
    # Ties share the gradient evenly (PyTorch's amax/amin convention).
    mask = x == _keep(xp, ans, shape, axis, keepdims)
    count = xp.sum(mask, axis=axis, keepdims=True)
    return _keep(xp, g, shape, axis, keepdims) * mask / count


def _extreme_jvp(xp, ts, ans, x, axis, keepdims, shape):
    mask = x == _keep(xp, ans, shape, axis, keepdims)
    count = xp.sum(mask, axis=axis, keepdims=True)
    return xp.sum(ts[0] * mask / count, axis=axis, keepdims=keepdims)


# complex_ok: NumPy orders complex values lexicographically (real part, then imaginary);
# the gradient goes to the selected elements, a selection with real weights.
amax_p = Primitive("amax",
                   lambda xp, x, axis, keepdims, shape: xp.amax(x, axis=axis, keepdims=keepdims),
                   complex_ok=True)
amin_p = Primitive("amin",
                   lambda xp, x, axis, keepdims, shape: xp.amin(x, axis=axis, keepdims=keepdims),
                   complex_ok=True)
for _p in (amax_p, amin_p):
    defvjp(_p, _extreme_vjp)
    defjvp(_p, _extreme_jvp)


def _others_product(xp, x, axis):
    """For each element, the product of the other elements in its reduction group,
    computed with exclusive cumulative products: exact where x has zeros."""
    nd = x.ndim
    red = tuple(range(nd)) if axis is None else axis
    rest = tuple(i for i in range(nd) if i not in red)
    moved = xp.transpose(x, rest + red)
    moved_shape = moved.shape
    flat = xp.reshape(moved, tuple(moved_shape[:len(rest)]) + (-1,))
    ones = xp.ones_like(flat[..., :1])
    left = xp.cumprod(xp.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
    rev = xp.flip(flat, axis=-1)
    right = xp.flip(xp.cumprod(xp.concatenate([ones, rev[..., :-1]], axis=-1), axis=-1), axis=-1)
    others = xp.reshape(left * right, moved_shape)
    return xp.transpose(others, tuple(np.argsort(rest + red)))


def _prod_vjp(xp, g, ans, x, axis, keepdims, shape):
    gk = _keep(xp, g, shape, axis, keepdims)
    if not bool((x == 0).any()):
        return gk * _keep(xp, ans, shape, axis, keepdims) / x
    return gk * _others_product(xp, x, axis)


# holomorphic: a product is analytic in each factor, so the rules serve complex values.
prod_p = Primitive("prod",
                   lambda xp, x, axis, keepdims, shape: xp.prod(x, axis=axis, keepdims=keepdims),
                   holomorphic=True)
defvjp(prod_p, _prod_vjp)
defjvp(prod_p, lambda xp, ts, ans, x, axis, keepdims, shape:
       xp.sum(ts[0] * _others_product(xp, x, axis), axis=axis, keepdims=keepdims))


def _logsumexp_forward(xp, x, axis, keepdims, shape):
    if x.size == 0:  # log(0) = -inf, with no maximum to shift by
        # np.errstate only silences NumPy's warning (it touches no array; CuPy gives none).
        with np.errstate(divide="ignore"):
            return xp.log(xp.sum(xp.exp(x), axis=axis, keepdims=keepdims))
    m = xp.amax(x, axis=axis, keepdims=True)
    m = xp.where(xp.isfinite(m), m, 0)
    out = xp.log(xp.sum(xp.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else xp.reshape(out, tuple(n for i, n in enumerate(out.shape)
                                                      if axis is not None and i not in axis))


logsumexp_p = Primitive("logsumexp", _logsumexp_forward)
defvjp(logsumexp_p, lambda xp, g, ans, x, axis, keepdims, shape:
       _keep(xp, g, shape, axis, keepdims) * xp.exp(x - _keep(xp, ans, shape, axis, keepdims)))
defjvp(logsumexp_p, lambda xp, ts, ans, x, axis, keepdims, shape: xp.sum(
    ts[0] * xp.exp(x - _keep(xp, ans, shape, axis, keepdims)), axis=axis, keepdims=keepdims))


def _abs2(xp, x):
    """|x|^2 elementwise: x * x for reals, re^2 + im^2 for complex values (a real array)."""
    if x.dtype.kind != "c":
        return x * x
    re, im = xp.real(x), xp.imag(x)
    return re * re + im * im


def _norm2_forward(xp, x, axis, keepdims, shape):
    return xp.sqrt(xp.sum(_abs2(xp, x), axis=axis, keepdims=keepdims))


def _norm2_scale(xp, x, ans, axis, keepdims, shape):
    # The subgradient at 0 is 0 (x is 0 wherever the norm is), as PyTorch gives.
    ak = _keep(xp, ans, shape, axis, keepdims)
    return x / xp.where(ak == 0, 1.0, ak)


def _norm2_jvp(xp, ts, ans, x, axis, keepdims, shape):
    scale = _norm2_scale(xp, x, ans, axis, keepdims, shape)
    if x.dtype.kind != "c":
        return xp.sum(ts[0] * scale, axis=axis, keepdims=keepdims)
    # d||z|| = Re(sum(conj(z) dz)) / ||z||: a real tangent.
    return xp.sum(xp.real(ts[0] * xp.conj(scale)), axis=axis, keepdims=keepdims)


# complex_ok: for complex z the VJP g * z / ||z|| (g real) is PyTorch's gradient as written.
norm2_p = Primitive("norm2", _norm2_forward, complex_ok=True)
defvjp(norm2_p, lambda xp, g, ans, x, axis, keepdims, shape:
       _keep(xp, g, shape, axis, keepdims) * _norm2_scale(xp, x, ans, axis, keepdims, shape))
defjvp(norm2_p, _norm2_jvp)


def _reverse_cumsum(xp, g, axis):
    return xp.flip(xp.cumsum(xp.flip(g, axis=axis), axis=axis), axis=axis)


cumsum_p = Primitive("cumsum", lambda xp, x, axis: x.cumsum(axis), complex_ok=True, saves=(),
                     saves_ans=False)
defvjp(cumsum_p, lambda xp, g, ans, x, axis: _reverse_cumsum(xp, g, axis))
defjvp(cumsum_p, lambda xp, ts, ans, x, axis: xp.cumsum(ts[0], axis=axis))


def _cumprod_vjp(xp, g, ans, x, axis):
    if not bool((x == 0).any()):
        return _reverse_cumsum(xp, g * ans, axis) / x
    # With zeros, division is out: grad_k = prod(x_<k) * S_k with S_k = g_k + x_{k+1} S_{k+1}.
    xm, gm = xp.moveaxis(x, axis, -1), xp.moveaxis(g, axis, -1)
    n = xm.shape[-1]
    s = [None] * n
    s[n - 1] = gm[..., n - 1]
    for k in range(n - 2, -1, -1):
        s[k] = gm[..., k] + xm[..., k + 1] * s[k + 1]
    exclusive = xp.cumprod(xp.concatenate([xp.ones_like(xm[..., :1]), xm[..., :-1]], axis=-1),
                           axis=-1)
    return xp.moveaxis(exclusive * xp.stack(s, axis=-1), -1, axis)


def _cumprod_jvp(xp, ts, ans, x, axis):
    # out_k = out_{k-1} x_k + prod(x_<k) t_k: exact where x has zeros.
    xm, tm = xp.moveaxis(x, axis, -1), xp.moveaxis(ts[0], axis, -1)
    pm = xp.moveaxis(ans, axis, -1)
    out = [tm[..., 0]]
    for k in range(1, xm.shape[-1]):
        out.append(out[-1] * xm[..., k] + pm[..., k - 1] * tm[..., k])
    return xp.moveaxis(xp.stack(out, axis=-1), -1, axis)


# holomorphic: analytic in each factor (prod's second order runs through it too).
cumprod_p = Primitive("cumprod", lambda xp, x, axis: x.cumprod(axis), holomorphic=True)
defvjp(cumprod_p, _cumprod_vjp)
defjvp(cumprod_p, _cumprod_jvp)


# ----- front-ends -----------------------------------------------------------------------
def _reduce(prim, op, x, axis, keepdims, dim, keepdim):
    axis = pick(op, axis, dim, "dim", "axis")
    keepdims = bool(pick(op, keepdims, keepdim, "keepdim", "keepdims"))
    shape = shape_of(x)
    axes = normalize_axes(op, axis, len(shape))
    if not shape and axes:
        axes = ()  # dim 0 or -1 of a 0-d tensor (as PyTorch allows): nothing to reduce
    return apply(prim, (x,), {"axis": axes, "keepdims": keepdims, "shape": shape})


def sum(x, dim=None, keepdim=False, *, axis=None, keepdims=None, dtype=None):
    """Sum over ``dim`` (an int, a tuple, or None for all).

    >>> from chainrule import tensor
    >>> sum(tensor([[1., 2.], [3., 4.]]), dim=0)
    tensor([4., 6.])
    """
    if dtype is None:
        return _reduce(sum_p, "sum", x, dim, keepdim, axis, keepdims)
    out = _reduce(sum_p, "sum", sh.cast(x, dtype), dim, keepdim, axis, keepdims)
    # NumPy sums small integers in int64; an explicit dtype is the result's (both libraries).
    return out if out.dtype == np.dtype(dtype) else sh.cast(out, dtype)


def mean(x, dim=None, keepdim=False, *, axis=None, keepdims=None, dtype=None):
    """Arithmetic mean over ``dim``. Integer input gives float64 here, as NumPy's mean
    (``Tensor.mean`` refuses it, as PyTorch does)."""
    if dtype is not None:
        x = sh.cast(x, dtype)
    return _reduce(mean_p, "mean", x, dim, keepdim, axis, keepdims)


def prod(x, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Product over ``dim``; the gradient is exact where the input holds zeros."""
    return _reduce(prod_p, "prod", x, dim, keepdim, axis, keepdims)


def amax(x, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Maximum over ``dim``; tied maxima share the gradient evenly."""
    return _reduce(amax_p, "amax", x, dim, keepdim, axis, keepdims)


def amin(x, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Minimum over ``dim``; tied minima share the gradient evenly."""
    return _reduce(amin_p, "amin", x, dim, keepdim, axis, keepdims)


def logsumexp(x, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """log(sum(exp(x))) over ``dim``, computed without overflow."""
    return _reduce(logsumexp_p, "logsumexp", x, dim, keepdim, axis, keepdims)


def var(x, dim=None, correction=1, keepdim=False, *, axis=None, keepdims=None, unbiased=None,
        ddof=None):
    """Variance over ``dim`` with ``correction`` (1: Bessel's, PyTorch's default; NumPy's
    ``ddof``).

    >>> from chainrule import tensor
    >>> var(tensor([1., 2., 3., 4.]))
    tensor(1.6666666)
    """
    if unbiased is not None:
        correction = 1 if unbiased else 0
    if ddof is not None:
        correction = ddof
    axis = pick("var", dim, axis, "axis", "dim")
    keepdims = bool(pick("var", keepdim, keepdims, "keepdims", "keepdim"))
    shape = shape_of(x)
    axes = normalize_axes("var", axis, len(shape))
    if not shape and axes:
        axes = ()  # dim 0 or -1 of a 0-d tensor: one value
    n = _count(shape, axes)
    centered = x - mean(x, axis=axes, keepdims=True)
    if np.result_type(data_of(x)).kind == "c":  # mean of |x - mean|^2: real, as NumPy's
        re, im = ew.real(centered), ew.imag(centered)
        squares = re * re + im * im
    else:
        squares = centered * centered
    total = sum(squares, axis=axes, keepdims=keepdims)
    if n - correction > 0:
        return total / (n - correction)
    # No degrees of freedom left: the value divides by 0 (inf, or nan for 0 / 0). PyTorch's
    # gradient then divides by 0 too over all dims, but by n - correction along given dims.
    warnings.warn(f"var(): degrees of freedom is <= 0 (correction {correction} for "
                  f"{n} values)", UserWarning, stacklevel=2)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = total / (n - correction if axis is not None else 0)
        if n == correction or axis is None:
            return out
        value = data_of(total) / np.asarray(0.0, data_of(total).dtype)
        return out + (value - data_of(out))


def std(x, dim=None, correction=1, keepdim=False, *, axis=None, keepdims=None, unbiased=None,
        ddof=None):
    """Standard deviation: the square root of :func:`var`; its gradient is 0 where it is 0
    (all values equal), as PyTorch's, not sqrt's infinite slope times 0.

    >>> from chainrule import tensor
    >>> x = tensor([2., 2.], requires_grad=True)
    >>> std(x).backward(); x.grad
    tensor([0., 0.])
    """
    normalize_axes("std", pick("std", dim, axis, "axis", "dim"), ndim_of(x))  # errors name std
    v = var(x, dim, correction, keepdim, axis=axis, keepdims=keepdims, unbiased=unbiased,
            ddof=ddof)
    # The double where: sqrt sees 1 where v is 0, so no inf * 0 reaches the gradient.
    zero = data_of(v) == 0
    return apply(ew.where_p, (zero, 0.0, ew.sqrt(apply(ew.where_p, (zero, 1.0, v)))))


def norm(x, p=2, dim=None, keepdim=False, *, axis=None, keepdims=None, ord=None):
    """Vector norm over ``dim``: p = 1, 2, inf, -inf, 'fro', or any other number.

    >>> from chainrule import tensor
    >>> norm(tensor([3., 4.]))
    tensor(5.)
    """
    if ord is not None:
        p = ord
    if p == "fro":
        p = 2
    normalize_axes("norm", pick("norm", dim, axis, "axis", "dim"), ndim_of(x))  # errors name norm
    if p == 2:
        return _reduce(norm2_p, "norm", x, dim, keepdim, axis, keepdims)
    magnitude = ew.absolute(x)
    if p == 1:
        return sum(magnitude, dim, keepdim, axis=axis, keepdims=keepdims)
    if p in (math.inf, -math.inf):
        shape = shape_of(x)
        axes = normalize_axes("norm", pick("norm", dim, axis, "axis", "dim"), len(shape))
        # (A 0-d tensor reduced over dim 0 or -1 is one value, as for sum.)
        if shape and any(shape[a] == 0 for a in (range(len(shape)) if axes is None else axes)):
            raise OpError(f"norm: cannot compute the {p} norm of an empty tensor (shape "
                          f"{shape}) over the dims reduced; there is no largest value")
    if p == math.inf:
        return amax(magnitude, dim, keepdim, axis=axis, keepdims=keepdims)
    if p == -math.inf:
        return amin(magnitude, dim, keepdim, axis=axis, keepdims=keepdims)
    if p == 0:  # the number of nonzero entries: piecewise constant, so no gradient
        d = np.asarray(data_of(x))
        # (a real count for complex input, as NumPy's)
        dtype = d.real.dtype if d.dtype.kind == "c" else d.dtype
        return sum(sh.cast(make_tensor(np.asarray(d != 0)), dtype),
                   dim, keepdim, axis=axis, keepdims=keepdims)
    if isinstance(p, (int, float)) and p > 0:
        return sum(magnitude ** p, dim, keepdim, axis=axis, keepdims=keepdims) ** (1.0 / p)
    raise ValueError(f"norm: unsupported order p={p!r}; use 1, 2, inf, -inf, 'fro' or a "
                     f"positive number")


def _scan(prim, op, x, dim, axis):
    axis = pick(op, dim, axis, "axis", "dim")
    if axis is None:
        x, axis = sh.reshape(x, (-1,)), 0
    return apply(prim, (x,), {"axis": normalize_axis(op, axis, ndim_of(x))})


def cumsum(x, dim=None, *, axis=None):
    """Running sum along ``dim`` (all elements, flattened, when none is given)."""
    return _scan(cumsum_p, "cumsum", x, dim, axis)


def cumprod(x, dim=None, *, axis=None):
    """Running product along ``dim``; the gradient is exact where the input holds zeros."""
    return _scan(cumprod_p, "cumprod", x, dim, axis)


MinMax = namedtuple("MinMax", ["values", "indices"])


def _arg_reduce(fn, op, x, axis, keepdims):
    data = data_of(x)
    if axis is not None and np.ndim(data) == 0:
        normalize_axis(op, axis, 0)  # dim 0 or -1 of a 0-d tensor: the one index, 0
        return make_tensor(np.zeros((), np.int64))
    if axis is None:
        out = fn(data)
        if keepdims:
            out = np.reshape(out, (1,) * data.ndim)
    else:
        out = fn(data, axis=normalize_axis(op, axis, data.ndim), keepdims=keepdims)
    return make_tensor(np.asarray(out, dtype=np.int64))


def argmax(x, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Index of the maximum (over the flattened tensor when no dim is given)."""
    return _arg_reduce(np.argmax, "argmax", x, pick("argmax", dim, axis, "axis", "dim"),
                       bool(pick("argmax", keepdim, keepdims, "keepdims", "keepdim")))


def argmin(x, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Index of the minimum (over the flattened tensor when no dim is given)."""
    return _arg_reduce(np.argmin, "argmin", x, pick("argmin", dim, axis, "axis", "dim"),
                       bool(pick("argmin", keepdim, keepdims, "keepdims", "keepdim")))


def _max_min(op, arg_fn, extreme, pairwise, x, dim, keepdim, axis, keepdims):
    if isinstance(dim, Tensor) or (dim is not None and not isinstance(dim, (int, np.integer))):
        return pairwise(x, dim)
    dim = pick(op, dim, axis, "axis", "dim")
    keepdim = bool(pick(op, keepdim, keepdims, "keepdims", "keepdim"))
    if dim is None:
        return extreme(x)
    dim = normalize_axis(op, dim, ndim_of(x))
    if ndim_of(x) == 0:  # dim 0 or -1 of a 0-d tensor: the value itself, at index 0
        return MinMax(sh.clone(x), make_tensor(np.zeros((), np.int64)))
    idx = arg_fn(x, dim, True)
    values = ix.gather(x, dim, idx)
    if not keepdim:
        values, idx = sh.squeeze(values, dim), make_tensor(np.squeeze(idx._data, dim))
    return MinMax(values, idx)


def max(x, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Without ``dim``: the largest element. With ``dim``: ``(values, indices)`` along it,
    the gradient going to the chosen index. With a tensor: the elementwise maximum."""
    return _max_min("max", argmax, amax, ew.maximum, x, dim, keepdim, axis, keepdims)


def min(x, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Without ``dim``: the smallest element. With ``dim``: ``(values, indices)``. With a
    tensor: the elementwise minimum."""
    return _max_min("min", argmin, amin, ew.minimum, x, dim, keepdim, axis, keepdims)



# ----- PyTorch front-ends composed of the reductions above --------------------------------
# PyTorch's dtypes and checks are the Tensor methods' (ops.frontends, which builds on this
# module): these front-ends reach them through the methods.
def var_mean(input, dim=None, *, correction=1, keepdim=False, unbiased=None):
    """``(var, mean)`` over ``dim``: :func:`var` with ``correction`` and the mean.

    >>> from chainrule import tensor
    >>> var_mean(tensor([1., 2., 3., 4.]))
    (tensor(1.6666666), tensor(2.5))
    """
    if isinstance(dim, bool):  # var_mean(input, unbiased): PyTorch's older overload
        dim, unbiased = None, dim
    return (input.var(dim, correction, keepdim, unbiased=unbiased), input.mean(dim, keepdim))


def std_mean(input, dim=None, *, correction=1, keepdim=False, unbiased=None):
    """``(std, mean)`` over ``dim``: :func:`std` with ``correction`` and the mean.

    >>> from chainrule import tensor
    >>> std_mean(tensor([1., 3.]))
    (tensor(1.4142135), tensor(2.))
    """
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    return (input.std(dim, correction, keepdim, unbiased=unbiased), input.mean(dim, keepdim))


def _without_nan(x):
    """``x`` with NaN as 0 (gradient 0 there), for float tensors; others as they are."""
    d = data_of(x)
    if np.asarray(d).dtype.kind not in "fc":
        return x
    return apply(ew.where_p, (np.isnan(d), 0.0, x))


def nansum(input, dim=None, keepdim=False, *, dtype=None):
    """Sum over ``dim`` counting NaN as 0 (which gets gradient 0); integer tensors sum in
    int64, as PyTorch's sum.

    >>> from chainrule import tensor
    >>> nansum(tensor([1., float("nan"), 2.]))
    tensor(3.)
    """
    return _without_nan(input).sum(dim, keepdim, dtype=dtype)


def nanmean(input, dim=None, keepdim=False, *, dtype=None):
    """Mean over ``dim`` of the values that are not NaN (NaN where all are NaN);
    floating point tensors only.

    >>> from chainrule import tensor
    >>> nanmean(tensor([1., float("nan"), 2.]))
    tensor(1.5)
    """
    if dtype is not None:
        input = sh.cast(input, dtype)
    d = data_of(input)
    if np.asarray(d).dtype.kind not in "fc":
        raise OpTypeError(f"nanmean: expected a floating point or complex tensor, got "
                          f"{np.asarray(d).dtype}; convert with .float() first (or pass dtype=)")
    axes = normalize_axes("nanmean", dim, np.ndim(d))
    if axes and not np.ndim(d):
        axes = ()
    count = np.sum(~np.isnan(d), axis=axes, keepdims=bool(keepdim))
    with np.errstate(invalid="ignore", divide="ignore"):  # all NaN: 0 / 0 = NaN, silently
        return _without_nan(input).sum(axes, keepdim) / np.asarray(count, d.dtype)


def count_nonzero(input, dim=None) -> Tensor:
    """The number of nonzero elements over ``dim`` (an int or a tuple; all when None):
    int64, no gradient.

    >>> from chainrule import tensor
    >>> count_nonzero(tensor([[0, 1], [2, 3]]), dim=0)
    tensor([1, 2])
    """
    d = data_of(input)
    axes = normalize_axes("count_nonzero", dim, np.ndim(d))
    if axes and not np.ndim(d):
        axes = ()
    return make_tensor(np.asarray(np.count_nonzero(d, axis=axes), np.int64))


MinMaxPair = namedtuple("aminmax", ["min", "max"])


def aminmax(input, *, dim=None, keepdim=False):
    """``(min, max)`` over ``dim`` (all elements when None); tied extremes share the
    gradient evenly, as amin and amax.

    >>> from chainrule import tensor
    >>> aminmax(tensor([3., 1., 2.]))
    aminmax(min=tensor(1.), max=tensor(3.))
    """
    if dim is None and keepdim:
        dim = tuple(range(np.ndim(data_of(input))))
    return MinMaxPair(input.amin(dim, keepdim), input.amax(dim, keepdim))


def __dir__():  # dir() and tab completion show what the module exports, not its helpers
    return __all__
