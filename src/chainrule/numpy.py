"""A NumPy-compatible namespace of differentiable functions: NumPy's names and signatures
(``axis``, ``keepdims``), returning chainrule Tensors.

It is what VJP rules run against when a backward pass is recorded (``create_graph=True``),
and what users may import: ``import chainrule.numpy as cnp``.

>>> import chainrule.numpy as cnp
>>> from chainrule import tensor
>>> cnp.sum(cnp.sin(tensor([0., 0.])), axis=0)
tensor(0.)
"""
from __future__ import annotations

import builtins as _builtins
import sys as _sys

import numpy as _np

from .autograd.engine import set_graph_namespace
from .autograd.primitives import apply as _apply
from .autograd.tensor import Tensor as _Tensor
from .autograd.tensor import make_tensor as _make
from .creation import tensor as _tensor
from .ops import elementwise as _ew
from .ops import fft as _fft
from .ops import index as _ix
from .ops import linalg as _linalg
from .ops import reduce as _reduce
from .ops import shape as _sh
from .ops._util import data_of as _data

pi, e, inf, nan, newaxis = _np.pi, _np.e, _np.inf, _np.nan, _np.newaxis
float16, float32, float64 = _np.float16, _np.float32, _np.float64
int8, int16, int32, int64, uint8, bool_ = _np.int8, _np.int16, _np.int32, _np.int64, _np.uint8, _np.bool_


def _unary(prim):
    def fn(x):
        return _apply(prim, (x,))
    fn.__name__ = prim.name
    fn.__doc__ = f"Differentiable numpy.{prim.name}."
    return fn


def _binary(prim):
    def fn(x1, x2):
        return _apply(prim, (x1, x2))
    fn.__name__ = prim.name
    fn.__doc__ = f"Differentiable numpy.{prim.name}."
    return fn


negative, positive, absolute = _unary(_ew.neg), _unary(_ew.positive), _unary(_ew.abs_)
abs = absolute
exp, exp2, expm1 = _unary(_ew.exp), _unary(_ew.exp2), _unary(_ew.expm1)
log, log1p, log2, log10 = _unary(_ew.log), _unary(_ew.log1p), _unary(_ew.log2), _unary(_ew.log10)
sqrt, cbrt, square, reciprocal = (_unary(_ew.sqrt), _unary(_ew.cbrt), _unary(_ew.square),
                                  _unary(_ew.reciprocal))
sin, cos, tan = _unary(_ew.sin), _unary(_ew.cos), _unary(_ew.tan)
arcsin, arccos, arctan = _unary(_ew.arcsin), _unary(_ew.arccos), _unary(_ew.arctan)
sinh, cosh, tanh = _unary(_ew.sinh), _unary(_ew.cosh), _unary(_ew.tanh)
arcsinh, arccosh, arctanh = _unary(_ew.arcsinh), _unary(_ew.arccosh), _unary(_ew.arctanh)
sign, floor, ceil, trunc, rint = (_unary(_ew.sign), _unary(_ew.floor), _unary(_ew.ceil),
                                  _unary(_ew.trunc), _unary(_ew.rint))
fix = trunc
add, subtract, multiply = _binary(_ew.add), _binary(_ew.sub), _binary(_ew.mul)
divide = true_divide = _binary(_ew.div)
power = _binary(_ew.pow_)
maximum, minimum = _binary(_ew.maximum), _binary(_ew.minimum)
fmax, fmin = maximum, minimum
arctan2, hypot, logaddexp = _binary(_ew.arctan2), _binary(_ew.hypot), _binary(_ew.logaddexp)
floor_divide, remainder, fmod = _binary(_ew.floor_divide), _binary(_ew.remainder), _binary(_ew.fmod)
mod = remainder
matmul = _linalg.matmul


def round(a, decimals=0):
    return _ew.round(a, decimals)


around = round


def clip(a, a_min=None, a_max=None):
    return _ew.clamp(a, a_min, a_max)


def where(condition, x=None, y=None):
    """Differentiable in ``x`` and ``y``; with one argument, the indices (no gradient)."""
    if x is None and y is None:
        return tuple(_make(i) for i in _np.nonzero(_data(condition)))
    return _apply(_ew.where_, (_data(condition), x, y))


def _reduction(fn, name):
    def reduction(a, axis=None, dtype=None, out=None, keepdims=False):
        if out is not None:
            raise TypeError(f"chainrule.numpy.{name}: out= is not supported; use the result")
        if dtype is not None:
            a = _sh.cast(a, dtype)
        return fn(a, axis=axis, keepdims=keepdims)
    reduction.__name__ = name
    reduction.__doc__ = f"Differentiable numpy.{name}."
    return reduction


sum = _reduction(_reduce.sum, "sum")
mean = _reduction(_reduce.mean, "mean")
prod = _reduction(_reduce.prod, "prod")


def amax(a, axis=None, out=None, keepdims=False):
    return _reduce.amax(a, axis=axis, keepdims=keepdims)


def amin(a, axis=None, out=None, keepdims=False):
    return _reduce.amin(a, axis=axis, keepdims=keepdims)


max, min = amax, amin


def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    return _reduce.var(a, axis=axis, correction=ddof, keepdims=keepdims)


def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    return _reduce.std(a, axis=axis, correction=ddof, keepdims=keepdims)


def cumsum(a, axis=None):
    return _reduce.cumsum(a, axis=axis)


def cumprod(a, axis=None):
    return _reduce.cumprod(a, axis=axis)


def argmax(a, axis=None, keepdims=False):
    return _reduce.argmax(a, axis=axis, keepdims=keepdims)


def argmin(a, axis=None, keepdims=False):
    return _reduce.argmin(a, axis=axis, keepdims=keepdims)


def reshape(a, newshape=None, order="C", *, shape=None):
    if order != "C":
        raise NotImplementedError("chainrule.numpy.reshape: only order='C' is supported")
    target = shape if shape is not None else newshape
    return _sh.reshape(a, target if isinstance(target, (tuple, list)) else (target,))


def ravel(a):
    return _sh.ravel(a)


def transpose(a, axes=None):
    return _sh.permute(a, *(axes or ()))


swapaxes, moveaxis = _sh.swapaxes, _sh.moveaxis
expand_dims = _sh.unsqueeze


def squeeze(a, axis=None):
    return _sh.squeeze(a, axis)


def broadcast_to(array, shape):
    return _sh.broadcast_to(array, shape)


def concatenate(arrays, axis=0):
    return _sh.concatenate(arrays, axis)


def stack(arrays, axis=0):
    return _sh.stack(arrays, axis)


def flip(m, axis=None):
    return _sh.flip(m, axis)


def roll(a, shift, axis=None):
    return _sh.roll(a, shift, axis)


def tile(A, reps):
    return _sh.tile(A, reps)


def pad(array, pad_width, mode="constant", constant_values=0):
    return _sh.pad(array, pad_width, mode, constant_values)


def take_along_axis(arr, indices, axis):
    """Differentiable numpy.take_along_axis (a negative index counts from the end)."""
    return _ix.take_along_axis(arr, indices, axis)


def asarray(a, dtype=None):
    if isinstance(a, _Tensor):
        return a if dtype is None else _sh.cast(a, dtype)
    return _make(_np.asarray(a, dtype=dtype))


def zeros(shape, dtype=float):
    return _make(_np.zeros(shape, dtype))


def ones(shape, dtype=float):
    return _make(_np.ones(shape, dtype))


def zeros_like(a, dtype=None):
    return _make(_np.zeros_like(_data(a), dtype=dtype))


def ones_like(a, dtype=None):
    return _make(_np.ones_like(_data(a), dtype=dtype))


def full_like(a, fill_value, dtype=None):
    return _make(_np.full_like(_data(a), fill_value, dtype=dtype))




# ----- more of NumPy ----------------------------------------------------------------------
def ptp(a, axis=None, keepdims=False):
    return amax(a, axis=axis, keepdims=keepdims) - amin(a, axis=axis, keepdims=keepdims)


def average(a, axis=None, weights=None, returned=False, keepdims=False):
    if weights is None:
        avg = mean(a, axis=axis, keepdims=keepdims)
        total = _np.asarray(_data(a)).size / _builtins.max(_np.asarray(_data(avg)).size, 1)
    else:
        w = weights
        if _np.ndim(_data(w)) != _np.ndim(_data(a)) and axis is not None:
            shape = [1] * _np.ndim(_data(a))
            shape[axis] = -1
            w = reshape(w, tuple(shape))
        total = sum(multiply(ones_like(a), w), axis=axis, keepdims=keepdims)
        avg = divide(sum(multiply(a, w), axis=axis, keepdims=keepdims), total)
    return (avg, total) if returned else avg


def _scalar_operand_product(a, b):
    if _np.ndim(_data(a)) == 0 or _np.ndim(_data(b)) == 0:
        return multiply(a, b)
    return None


def dot(a, b, out=None):
    """NumPy's dot: matmul for 1-D/2-D, the sum over a's last and b's second-last axis
    otherwise."""
    scalar = _scalar_operand_product(a, b)
    if scalar is not None:
        return scalar
    na, nb = _np.ndim(_data(a)), _np.ndim(_data(b))
    if na <= 2 and nb <= 2:
        return matmul(a, b)
    la = _linalg._LETTERS[:na]
    lb = _linalg._LETTERS[na:na + nb]
    lb = lb[:-2] + la[-1] + lb[-1] if nb >= 2 else la[-1]
    out_subs = la[:-1] + (lb[:-2] + lb[-1] if nb >= 2 else "")
    return einsum(f"{la},{lb}->{out_subs}", a, b)


def vdot(a, b):
    return sum(multiply(ravel(a), ravel(b)))


def inner(a, b):
    scalar = _scalar_operand_product(a, b)
    if scalar is not None:
        return scalar
    na, nb = _np.ndim(_data(a)), _np.ndim(_data(b))
    la, lb = _linalg._LETTERS[:na - 1], _linalg._LETTERS[na - 1:na + nb - 2]
    return einsum(f"{la}z,{lb}z->{la}{lb}", a, b)


def outer(a, b, out=None):
    return multiply(reshape(a, (-1, 1)), reshape(b, (1, -1)))


def tensordot(a, b, axes=2):
    na, nb = _np.ndim(_data(a)), _np.ndim(_data(b))
    if isinstance(axes, int):
        axes = (list(range(na - axes, na)), list(range(axes)))
    ax_a, ax_b = ([axes[0]] if isinstance(axes[0], int) else list(axes[0]),
                  [axes[1]] if isinstance(axes[1], int) else list(axes[1]))
    ax_a = [x % na for x in ax_a]
    ax_b = [x % nb for x in ax_b]
    letters = iter(_linalg._LETTERS)
    la = [next(letters) for _ in range(na)]
    lb = [next(letters) for _ in range(nb)]
    for i, j in zip(ax_a, ax_b):
        lb[j] = la[i]
    out_subs = [c for i, c in enumerate(la) if i not in ax_a] + \
        [c for j, c in enumerate(lb) if j not in ax_b]
    return einsum(f"{''.join(la)},{''.join(lb)}->{''.join(out_subs)}", a, b)


einsum = _linalg.einsum


def kron(a, b):
    na, nb = _np.ndim(_data(a)), _np.ndim(_data(b))
    nd = _builtins.max(na, nb)
    a = reshape(a, (1,) * (nd - na) + _np.shape(_data(a)))
    b = reshape(b, (1,) * (nd - nb) + _np.shape(_data(b)))
    sa, sb = _np.shape(_data(a)), _np.shape(_data(b))
    inter_a = tuple(x for n in sa for x in (n, 1))
    inter_b = tuple(x for n in sb for x in (1, n))
    prod_ = multiply(reshape(a, inter_a), reshape(b, inter_b))
    return reshape(prod_, tuple(x * y for x, y in zip(sa, sb)))


def diagonal(a, offset=0, axis1=0, axis2=1):
    """The diagonal of the (axis1, axis2) planes, as the last axis (NumPy's layout)."""
    moved = moveaxis(a, (axis1, axis2), (-2, -1))
    n, m = _np.shape(_data(moved))[-2:]
    rows = _np.arange(_builtins.max(0, -offset), _builtins.min(n, m - offset))
    return _ix.getitem(moved, (Ellipsis, rows, rows + offset))


def trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    return sum(diagonal(a, offset, axis1, axis2), axis=-1)


def diag(v, k=0):
    """A 1-D input becomes a matrix with it on diagonal ``k``; a 2-D input gives that
    diagonal."""
    nd = _np.ndim(_data(v))
    if nd == 2:
        return diagonal(v, k)
    if nd != 1:
        raise ValueError(f"diag: expected a 1-D or 2-D input, got {nd} dims")
    n = _np.shape(_data(v))[0] + _builtins.abs(k)
    rows = _np.arange(n - _builtins.abs(k))
    base = zeros_like(_np.zeros((n, n), dtype=_np.result_type(_data(v))))
    return _ix.index_put(base, (rows + _builtins.max(-k, 0), rows + _builtins.max(k, 0)), v)


def triu(m, k=0):
    shape = _np.shape(_data(m))
    return multiply(m, _np.triu(_np.ones(shape[-2:], dtype=bool), k))


def tril(m, k=0):
    shape = _np.shape(_data(m))
    return multiply(m, _np.tril(_np.ones(shape[-2:], dtype=bool), k))


def atleast_1d(a):
    return reshape(a, (1,)) if _np.ndim(_data(a)) == 0 else a


def atleast_2d(a):
    nd = _np.ndim(_data(a))
    return reshape(a, (1,) * (2 - nd) + _np.shape(_data(a))) if nd < 2 else a


def atleast_3d(a):
    nd, shape = _np.ndim(_data(a)), _np.shape(_data(a))
    if nd == 0:
        return reshape(a, (1, 1, 1))
    if nd == 1:
        return reshape(a, (1,) + shape + (1,))
    if nd == 2:
        return reshape(a, shape + (1,))
    return a


def hstack(tup):
    arrays = [atleast_1d(a) for a in tup]
    return concatenate(arrays, axis=0 if _np.ndim(_data(arrays[0])) == 1 else 1)


def vstack(tup):
    return concatenate([atleast_2d(a) for a in tup], axis=0)


def dstack(tup):
    return concatenate([atleast_3d(a) for a in tup], axis=2)


def array_split(ary, indices_or_sections, axis=0):
    n = _np.shape(_data(ary))[axis]
    if isinstance(indices_or_sections, (int, _np.integer)):
        sections = int(indices_or_sections)
        if sections <= 0:
            raise ValueError("array_split: number of sections must be larger than 0")
        each, extra = divmod(n, sections)
        sizes = [each + 1] * extra + [each] * (sections - extra)
        bounds = _np.cumsum([0] + sizes)
    else:
        bounds = [0] + list(indices_or_sections) + [n]
    lead = (slice(None),) * (axis % _np.ndim(_data(ary)))
    return [_ix.getitem(ary, lead + (slice(int(lo), int(hi)),))
            for lo, hi in zip(bounds[:-1], bounds[1:])]


def split(ary, indices_or_sections, axis=0):
    if isinstance(indices_or_sections, (int, _np.integer)):
        n = _np.shape(_data(ary))[axis]
        if n % indices_or_sections:
            raise ValueError(f"split: array split does not result in an equal division ({n} "
                             f"into {indices_or_sections}); use array_split")
    return array_split(ary, indices_or_sections, axis)


def repeat(a, repeats, axis=None):
    """NumPy's repeat (PyTorch's repeat_interleave); gradients of the copies add up."""
    if axis is None:
        a, axis = ravel(a), 0
    n = _np.shape(_data(a))[axis]
    index = _np.repeat(_np.arange(n), _data(repeats))
    return _ix.getitem(a, (slice(None),) * (axis % _np.ndim(_data(a))) + (index,))


def take(a, indices, axis=None):
    if axis is None:
        return _ix.getitem(ravel(a), _data(indices))
    return _ix.getitem(a, (slice(None),) * (axis % _np.ndim(_data(a))) + (_np.asarray(_data(indices)),))


def sort(a, axis=-1, kind=None, order=None):
    """Sorted values; the gradient goes back to where each value came from."""
    if axis is None:
        a, axis = ravel(a), 0
    order_ = _np.argsort(_data(a), axis=axis, kind=kind)
    return take_along_axis(a, order_, axis)


def partition(a, kth, axis=-1):
    if axis is None:
        a, axis = ravel(a), 0
    return take_along_axis(a, _np.argpartition(_data(a), kth, axis=axis), axis)


def select(condlist, choicelist, default=0):
    out = default
    for cond, choice in reversed(list(zip(condlist, choicelist))):
        out = where(cond, choice, out)
    return out if isinstance(out, _Tensor) else asarray(out)


def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = moveaxis(a, axisa, -1), moveaxis(b, axisb, -1)
    if _np.shape(_data(a))[-1] != 3 or _np.shape(_data(b))[-1] != 3:
        raise ValueError("cross: only 3-vectors are supported")
    ax, ay, az = (a[..., i] for i in range(3))
    bx, by, bz = (b[..., i] for i in range(3))
    c = stack([ay * bz - az * by, az * bx - ax * bz, ax * by - ay * bx], axis=-1)
    return moveaxis(c, -1, axisc)


def diff(a, n=1, axis=-1, prepend=None, append=None):
    nd = _np.ndim(_data(a))
    axis = axis % nd
    if prepend is not None or append is not None:
        parts = [p for p in (prepend, a, append) if p is not None]
        parts = [p if _np.ndim(_data(p)) == nd else broadcast_to(
            p, tuple(1 if i == axis else m for i, m in enumerate(_np.shape(_data(a)))))
            for p in parts]
        a = concatenate(parts, axis=axis)
    lead = (slice(None),) * axis
    for _ in range(n):
        a = subtract(_ix.getitem(a, lead + (slice(1, None),)), _ix.getitem(a, lead + (slice(None, -1),)))
    return a


def median(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """The median: the middle of the sorted values (mean of the two middle ones)."""
    if axis is None:
        a, axis = ravel(a), 0
    ordered = sort(a, axis=axis)
    n = _np.shape(_data(ordered))[axis]
    lead = (slice(None),) * (axis % _np.ndim(_data(ordered)))
    mid = _ix.getitem(ordered, lead + (slice((n - 1) // 2, n // 2 + 1),))
    return mean(mid, axis=axis, keepdims=keepdims)


def nansum(a, axis=None, dtype=None, out=None, keepdims=False):
    return sum(where(_np.isnan(_data(a)), 0.0, a), axis=axis, keepdims=keepdims)


def nanmean(a, axis=None, dtype=None, out=None, keepdims=False):
    valid = ~_np.isnan(_data(a))
    return divide(nansum(a, axis=axis, keepdims=keepdims),
                  _np.sum(valid, axis=axis, keepdims=keepdims))


def meshgrid(*xi, indexing="xy"):
    nd = len(xi)
    shapes = [_np.shape(_data(x))[0] for x in xi]
    if indexing == "xy" and nd >= 2:
        shapes[0], shapes[1] = shapes[1], shapes[0]
    out = []
    for i, x in enumerate(xi):
        axis = i
        if indexing == "xy" and nd >= 2 and i < 2:
            axis = 1 - i
        shape = [1] * nd
        shape[axis] = -1
        out.append(broadcast_to(reshape(x, tuple(shape)), tuple(shapes)))
    return out


def polyval(p, x):
    """Horner's rule: p[0] x^(n-1) + ... + p[n-1]."""
    coeffs = [p[i] for i in range(_np.shape(_data(p))[0])] if isinstance(p, _Tensor) else list(p)
    y = zeros_like(x) if isinstance(x, _Tensor) else 0.0
    for c in coeffs:
        y = add(multiply(y, x), c)
    return y


def flipud(m):
    return flip(m, 0)


def fliplr(m):
    return flip(m, 1)


def rot90(m, k=1, axes=(0, 1)):
    k %= 4
    for _ in range(k):
        m = swapaxes(flip(m, axes[1]), axes[0], axes[1])
    return m


def append(arr, values, axis=None):
    if axis is None:
        return concatenate([ravel(arr), ravel(values)])
    return concatenate([arr, values], axis=axis)


def copy(a, order="K"):
    return _sh.clone(a) if isinstance(a, _Tensor) else asarray(_np.copy(a))


def linalg_norm(x, ord=None, axis=None, keepdims=False):
    """numpy.linalg.norm: vector norms, and the Frobenius norm of a matrix."""
    nd = _np.ndim(_data(x))
    if ord in (None, "fro") or (ord == 2 and (axis is None and nd == 1 or isinstance(axis, int))):
        return _reduce.norm(x, 2, axis=axis, keepdims=keepdims)
    matrix = (axis is None and nd == 2) or (isinstance(axis, tuple) and len(axis) == 2)
    if matrix:
        if ord == "nuc":
            return sum(linalg.svd(x, compute_uv=False), axis=-1)
        raise NotImplementedError(f"linalg.norm: matrix norm ord={ord!r} is not supported "
                                  f"yet; use 'fro' or 'nuc'")
    return _reduce.norm(x, ord, axis=axis, keepdims=keepdims)


def _slogdet(a):
    sign = _make(_np.linalg.slogdet(_data(a))[0])
    return _SlogdetResult(sign, _apply(_linalg.logabsdet_p, (a,)))


def _solve(a, b):
    vector = _np.ndim(_data(b)) == _np.ndim(_data(a)) - 1
    return _apply(_linalg.solve_p, (a, b), {"vector": vector})


def _lower_symmetric(a, UPLO="L"):
    """The symmetric matrix NumPy's eigh/cholesky see: they read one triangle only."""
    low = tril(a) if UPLO == "L" else swapaxes(triu(a), -1, -2)
    return add(low, swapaxes(tril(low, -1), -1, -2))


def _eigh(a, UPLO="L"):
    sym = _lower_symmetric(a, UPLO)
    return _EighResult(_apply(_linalg.eigh_p, (sym,), {"part": 0}),
                       _apply(_linalg.eigh_p, (sym,), {"part": 1}))


def _eigvalsh(a, UPLO="L"):
    return _eigh(a).eigenvalues


def _svd(a, full_matrices=True, compute_uv=True, hermitian=False):
    """Singular values (and vectors) from the eigendecomposition of a^T a; assumes
    distinct nonzero singular values, as the gradient does."""
    if compute_uv and full_matrices:
        shape = _np.shape(_data(a))
        if shape[-1] != shape[-2]:
            raise NotImplementedError("linalg.svd: the gradient is available for "
                                      "full_matrices=False only (reduced SVD)")
    wide = _np.shape(_data(a))[-2] < _np.shape(_data(a))[-1]
    m = swapaxes(a, -1, -2) if wide else a
    w, v = _eigh(matmul(swapaxes(m, -1, -2), m))
    w, v = flip(w, axis=-1), flip(v, axis=-1)
    s = sqrt(maximum(w, 0.0))
    if not compute_uv:
        return s
    u = divide(matmul(m, v), expand_dims(s, -2))
    vh = swapaxes(v, -1, -2)
    if wide:
        u, vh = swapaxes(vh, -1, -2), swapaxes(u, -1, -2)
    # Singular vectors are defined up to sign: take NumPy's choice (a constant flip).
    ref_vh = _np.linalg.svd(_raw(a), full_matrices=False)[2]
    flips = _np.sign(_np.sum(ref_vh * _raw(vh), axis=-1))
    flips[flips == 0] = 1
    return _SVDResult(multiply(u, expand_dims(flips, -2)), s, multiply(vh, expand_dims(flips, -1)))


def _qr(a, mode="reduced"):
    """QR of a tall matrix through the Cholesky factor of a^T a (full column rank)."""
    if mode != "reduced":
        raise NotImplementedError("linalg.qr: only mode='reduced' is supported")
    r = swapaxes(_apply(_linalg.cholesky_p, (matmul(swapaxes(a, -1, -2), a),)), -1, -2)
    q = swapaxes(_solve(swapaxes(r, -1, -2), swapaxes(a, -1, -2)), -1, -2)
    # QR is defined up to the signs of R's diagonal: take NumPy's choice.
    ref_r = _np.linalg.qr(_raw(a))[1]
    flips = _np.sign(_np.diagonal(ref_r, axis1=-2, axis2=-1))
    flips[flips == 0] = 1
    return _QRResult(multiply(q, expand_dims(flips, -2)), multiply(r, expand_dims(flips, -1)))


def _matrix_power(a, n):
    if n < 0:
        a, n = _apply(_linalg.inv_p, (a,)), -n
    result = None
    for _ in range(n):
        result = a if result is None else matmul(result, a)
    if result is None:
        eye = _np.broadcast_to(_np.eye(_np.shape(_data(a))[-1]), _np.shape(_data(a)))
        return asarray(eye.copy(), dtype=_np.result_type(_data(a)))
    return result


def _multi_dot(arrays):
    out = arrays[0]
    for b in arrays[1:]:
        out = matmul(out, b)
    return out


def _pinv(a, rcond=None, hermitian=False):
    u, s, vh = _svd(a, full_matrices=False)
    return matmul(swapaxes(vh, -1, -2) / expand_dims(s, -2), swapaxes(u, -1, -2))


from collections import namedtuple as _namedtuple  # noqa: E402

_SlogdetResult = _namedtuple("SlogdetResult", ["sign", "logabsdet"])
_EighResult = _namedtuple("EighResult", ["eigenvalues", "eigenvectors"])
_SVDResult = _namedtuple("SVDResult", ["U", "S", "Vh"])
_QRResult = _namedtuple("QRResult", ["Q", "R"])


class _Namespace:
    def __init__(self, name, **fns):
        self.__name__ = name
        self.__dict__.update(fns)

    def __repr__(self):
        return f"<namespace {self.__name__}>"


linalg = _Namespace(
    "chainrule.numpy.linalg", norm=linalg_norm,
    inv=lambda a: _apply(_linalg.inv_p, (a,)),
    det=lambda a: _apply(_linalg.det_p, (a,)),
    slogdet=_slogdet, solve=_solve,
    cholesky=lambda a: _apply(_linalg.cholesky_p, (_lower_symmetric(a),)),
    eigh=_eigh, eigvalsh=_eigvalsh, svd=_svd, qr=_qr, pinv=_pinv,
    matrix_power=_matrix_power, multi_dot=_multi_dot)


fft = _Namespace("chainrule.numpy.fft", fft=_fft.fft, ifft=_fft.ifft, fft2=_fft.fft2,
                 ifft2=_fft.ifft2, fftn=_fft.fftn, ifftn=_fft.ifftn, rfft=_fft.rfft,
                 irfft=_fft.irfft)


def real(val):
    return _apply(_ew.real, (val,))


def imag(val):
    return _apply(_ew.imag, (val,))


conj = conjugate = _unary(_ew.conj)


# ----- the NumPy protocols -----------------------------------------------------------------
def _deg(x):
    return multiply(x, _np.pi / 180.0)


def _rad(x):
    return multiply(x, 180.0 / _np.pi)


_UFUNCS = {
    _np.add: add, _np.subtract: subtract, _np.multiply: multiply, _np.divide: divide,
    _np.power: power, _np.float_power: power, _np.negative: negative, _np.positive: positive,
    _np.absolute: absolute, _np.fabs: absolute, _np.exp: exp, _np.exp2: exp2,
    _np.expm1: expm1, _np.log: log, _np.log2: log2, _np.log10: log10, _np.log1p: log1p,
    _np.sqrt: sqrt, _np.cbrt: cbrt, _np.square: square, _np.reciprocal: reciprocal,
    _np.sin: sin, _np.cos: cos, _np.tan: tan, _np.arcsin: arcsin, _np.arccos: arccos,
    _np.arctan: arctan, _np.arctan2: arctan2, _np.hypot: hypot, _np.sinh: sinh,
    _np.cosh: cosh, _np.tanh: tanh, _np.arcsinh: arcsinh, _np.arccosh: arccosh,
    _np.arctanh: arctanh, _np.deg2rad: _deg, _np.radians: _deg, _np.rad2deg: _rad,
    _np.degrees: _rad, _np.sign: sign, _np.floor: floor, _np.ceil: ceil, _np.trunc: trunc,
    _np.rint: rint, _np.maximum: maximum, _np.minimum: minimum, _np.fmax: maximum,
    _np.fmin: minimum, _np.logaddexp: logaddexp,
    _np.logaddexp2: lambda x, y: divide(logaddexp(multiply(x, _np.log(2)),
                                                  multiply(y, _np.log(2))), _np.log(2)),
    _np.floor_divide: floor_divide, _np.remainder: remainder, _np.fmod: fmod,
    _np.matmul: matmul, _np.conjugate: conj,
}
_UFUNC_NO_GRAD = {
    _np.greater, _np.greater_equal, _np.less, _np.less_equal, _np.equal, _np.not_equal,
    _np.logical_and, _np.logical_or, _np.logical_xor, _np.logical_not, _np.isnan, _np.isinf,
    _np.isfinite, _np.signbit, _np.bitwise_and, _np.bitwise_or, _np.bitwise_xor, _np.invert,
    _np.left_shift, _np.right_shift, _np.gcd, _np.lcm,
}
_REDUCE = {_np.add: sum, _np.multiply: prod, _np.maximum: amax, _np.minimum: amin,
           _np.fmax: amax, _np.fmin: amin}
_ACCUMULATE = {_np.add: cumsum, _np.multiply: cumprod}


def _raw(x):
    return x._data if isinstance(x, _Tensor) else x


def _no_grad_result(out):
    if isinstance(out, tuple):
        return tuple(_make(_np.asarray(o)) for o in out)
    return _make(_np.asarray(out))


def _write_out(result, out):
    """``out=``: written in place, recorded when the target is a tensor; refused for a
    NumPy array when the result carries a gradient (it would be dropped)."""
    targets = out if isinstance(out, tuple) else (out,)
    results = result if isinstance(result, tuple) else (result,)
    for target, value in zip(targets, results):
        if isinstance(target, _Tensor):
            from .ops import inplace as _inplace
            _inplace.setitem(target, Ellipsis, value, "out=")
        elif isinstance(value, _Tensor) and value.requires_grad:
            raise TypeError("out=: writing a result that requires grad into a NumPy array would "
                            "drop its gradient; pass a chainrule tensor as out, or detach()")
        else:
            target[...] = _raw(value)
    return out if isinstance(out, tuple) and len(out) > 1 else targets[0]


def array_ufunc(self, ufunc, method, *inputs, out=None, **kwargs):
    """``Tensor.__array_ufunc__``: NumPy ufuncs on tensors run the differentiable op."""
    name = f"numpy.{ufunc.__name__}" + ("" if method == "__call__" else f".{method}")
    if ufunc in _UFUNC_NO_GRAD:
        raw_out = tuple(_raw(o) for o in out) if out is not None else None
        result = getattr(ufunc, method)(*[_raw(i) for i in inputs], **kwargs,
                                        **({"out": raw_out} if raw_out else {}))
        return out[0] if out is not None and len(out) == 1 else _no_grad_result(result)
    dtype = kwargs.pop("dtype", None)
    if method == "__call__":
        fn = _UFUNCS.get(ufunc)
        if fn is None or set(kwargs) - {"casting", "order", "subok"}:
            raise TypeError(f"{name} is not differentiable by chainrule yet"
                            + (f" (with {sorted(kwargs)})" if fn is not None else ""))
        result = fn(*inputs)
    elif method == "reduce":
        fn = _REDUCE.get(ufunc)
        if fn is None or set(kwargs) - {"axis", "keepdims"}:
            raise TypeError(f"{name} is not differentiable by chainrule yet")
        result = fn(inputs[0], axis=kwargs.get("axis", 0), keepdims=kwargs.get("keepdims", False))
    elif method == "accumulate":
        fn = _ACCUMULATE.get(ufunc)
        if fn is None:
            raise TypeError(f"{name} is not differentiable by chainrule yet")
        result = fn(inputs[0], axis=kwargs.get("axis", 0))
    elif method == "outer":
        fn = _UFUNCS.get(ufunc)
        if fn is None:
            raise TypeError(f"{name} is not differentiable by chainrule yet")
        a, b = inputs
        na, nb = _np.ndim(_raw(a)), _np.ndim(_raw(b))
        result = fn(reshape(a, _np.shape(_raw(a)) + (1,) * nb) if na else a, b)
    elif method == "at" and ufunc in (_np.add, _np.subtract):
        target, index = inputs[0], inputs[1]
        values = inputs[2] if len(inputs) > 2 else 1.0
        if ufunc is _np.subtract:
            values = negative(values)
        raw_index, _, _ = _ix.normalize_index(index)
        shape = _np.shape(_raw(target))
        if not isinstance(values, _Tensor):
            values = asarray(values, dtype=_np.result_type(_raw(target)))
        values = broadcast_to(values, _np.shape(_raw(target)[raw_index]))
        update = _apply(_ix.scatter_p, (values,), {"index": raw_index, "shape": shape,
                                                  "accumulate": True})
        from .ops import inplace as _inplace
        _inplace.inplace(target, _ew.add, (update,), None, "numpy.add.at", _np.add)
        return None
    else:
        raise TypeError(f"{name} is not differentiable by chainrule yet")
    if dtype is not None:
        result = _sh.cast(result, dtype)
    if out is not None:
        return _write_out(result, out)
    return result


# Functions with no gradient: they run on the data (indices, shapes, tests).
_PASS_THROUGH = {
    _np.argmax, _np.argmin, _np.argsort, _np.argpartition, _np.nonzero, _np.flatnonzero,
    _np.argwhere, _np.shape, _np.ndim, _np.size, _np.count_nonzero, _np.searchsorted,
    _np.isclose, _np.allclose, _np.array_equal, _np.any, _np.all, _np.iscomplexobj,
    _np.isrealobj, _np.result_type, _np.can_cast, _np.digitize, _np.isnan, _np.isinf,
    _np.isfinite, _np.may_share_memory, _np.shares_memory,
}

_FUNCTIONS = {}


def _register_functions():
    module = _sys.modules[__name__]
    for name in ("sum", "mean", "prod", "amax", "amin", "max", "min", "var", "std", "cumsum",
                 "cumprod", "ptp", "average", "dot", "vdot", "inner", "outer", "matmul",
                 "tensordot", "einsum", "kron", "trace", "diag", "diagonal", "triu", "tril",
                 "reshape", "ravel", "transpose", "moveaxis", "swapaxes", "squeeze",
                 "expand_dims", "broadcast_to", "concatenate", "stack", "hstack", "vstack",
                 "dstack", "split", "array_split", "tile", "repeat", "flip", "roll", "pad",
                 "clip", "where", "select", "take", "take_along_axis", "sort", "partition",
                 "cross", "round", "around", "atleast_1d", "atleast_2d", "atleast_3d", "copy",
                 "zeros_like", "ones_like", "full_like", "diff", "median", "nansum", "nanmean",
                 "meshgrid", "polyval", "flipud", "fliplr", "rot90", "append", "real", "imag"):
        fn = getattr(_np, name, None)
        if fn is not None:
            _FUNCTIONS[fn] = getattr(module, name)
    for name in ("norm", "inv", "det", "slogdet", "solve", "cholesky", "eigh", "eigvalsh",
                 "svd", "qr", "pinv", "matrix_power", "multi_dot"):
        _FUNCTIONS[getattr(_np.linalg, name)] = getattr(linalg, name)
    for name in ("fft", "ifft", "fft2", "ifft2", "fftn", "ifftn", "rfft", "irfft"):
        _FUNCTIONS[getattr(_np.fft, name)] = getattr(fft, name)


def array_function(self, func, types, args, kwargs):
    """``Tensor.__array_function__``: NumPy functions on tensors run chainrule's version;
    functions with no gradient run on the data; anything else is refused by name."""
    impl = _FUNCTIONS.get(func)
    if impl is not None:
        return impl(*args, **kwargs)
    if func in _PASS_THROUGH:
        from .func import tree_map
        result = func(*tree_map(_raw, list(args)), **{k: _raw(v) for k, v in kwargs.items()})
        return result
    module = getattr(func, "__module__", None) or "numpy"
    prefix = module if module in ("numpy.linalg", "numpy.fft", "numpy.random") else "numpy"
    why = " (complex tensors are not supported)" if prefix == "numpy.fft" else ""
    raise TypeError(f"{prefix}.{func.__name__} is not differentiable by chainrule yet{why}; "
                    f"use chainrule's ops, or .detach() the tensor if no gradient is wanted")


_register_functions()
array = _tensor


class ArrayBox(_Tensor):
    """A tensor that behaves as an ndarray does, for plain NumPy code under a transform:
    ``size`` is an int, ``max(axis)`` gives values only, ``copy()`` copies, ``var`` has
    ``ddof=0``, ``repeat`` is NumPy's. Ops on it give ArrayBoxes."""

    __slots__ = ()
    _propagates = True

    size = property(lambda self: int(self._data.size))

    def max(self, axis=None, out=None, keepdims=False):
        return amax(self, axis=axis, keepdims=keepdims)

    def min(self, axis=None, out=None, keepdims=False):
        return amin(self, axis=axis, keepdims=keepdims)

    def sum(self, axis=None, dtype=None, out=None, keepdims=False):
        return sum(self, axis, dtype, out, keepdims)

    def mean(self, axis=None, dtype=None, out=None, keepdims=False):
        return mean(self, axis, dtype, out, keepdims)

    def prod(self, axis=None, dtype=None, out=None, keepdims=False):
        return prod(self, axis, dtype, out, keepdims)

    def var(self, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
        return var(self, axis, dtype, out, ddof, keepdims)

    def std(self, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
        return std(self, axis, dtype, out, ddof, keepdims)

    def cumsum(self, axis=None):
        return cumsum(self, axis)

    def cumprod(self, axis=None):
        return cumprod(self, axis)

    def copy(self, order="C"):
        return _sh.clone(self)

    def reshape(self, *shape, order="C"):
        return reshape(self, shape[0] if len(shape) == 1 else shape, order)

    def transpose(self, *axes):
        return transpose(self, axes[0] if len(axes) == 1 and not isinstance(axes[0], int)
                         else (axes or None))

    def flatten(self, order="C"):
        return _sh.clone(ravel(self))

    def repeat(self, repeats, axis=None):
        return repeat(self, repeats, axis)

    def squeeze(self, axis=None):
        return squeeze(self, axis)

    def clip(self, min=None, max=None):
        return clip(self, min, max)

    def dot(self, b):
        return dot(self, b)

    def round(self, decimals=0):
        return round(self, decimals)

    def astype(self, dtype, copy=True):
        return _sh.cast(self, dtype)

    def all(self, axis=None, keepdims=False):
        return _np.all(self._data, axis=axis, keepdims=keepdims)

    def any(self, axis=None, keepdims=False):
        return _np.any(self._data, axis=axis, keepdims=keepdims)

    def conj(self):
        return self

    conjugate = conj
    real = property(lambda self: self)
    ptp = ptp
    trace = trace
    diagonal = diagonal

    def __repr__(self):
        return "ArrayBox(" + _np.array2string(self._data, separator=", ") + ")"

set_graph_namespace(_sys.modules[__name__])
