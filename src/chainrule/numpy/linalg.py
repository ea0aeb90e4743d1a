"""``chainrule.numpy.linalg``: differentiable ``numpy.linalg``, with NumPy's names,
signatures and result tuples.

>>> import chainrule.numpy as cnp
>>> from chainrule import tensor
>>> cnp.linalg.det(tensor([[2., 0.], [0., 3.]]))
tensor(6.)
"""
from __future__ import annotations as _annotations

from collections import namedtuple as _namedtuple

import numpy as _np

from ..autograd.primitives import Primitive as _Primitive
from ..autograd.primitives import apply as _apply
from ..autograd.primitives import call as _call
from ..autograd.primitives import defjvp as _defjvp
from ..autograd.primitives import defvjp as _defvjp
from ..errors import OpError as _OpError
from ..errors import OpTypeError as _OpTypeError
from ..autograd.tensor import make_tensor as _make
from ..ops import linalg as _linalg
from ..ops import reduce as _reduce
from ..ops._util import data_of as _data
from ._creation import asarray as _asarray
from ._elementwise import add as _add
from ._elementwise import divide as _divide
from ._elementwise import multiply as _multiply
from ._elementwise import absolute as _abs
from ._elementwise import power as _power
from ._products import matmul as _matmul
from ._products import tril as _tril
from ._products import triu as _triu
from ._reductions import amax as _amax
from ._reductions import amin as _amin
from ._reductions import sum as _sum
from ._shape import concatenate as _concatenate
from ._shape import expand_dims as _expand_dims
from ._shape import moveaxis as _moveaxis
from ._shape import squeeze as _squeeze
from ._shape import flip as _flip
from ._shape import swapaxes as _swapaxes

__all__ = ["norm", "inv", "det", "slogdet", "solve", "cholesky", "eigh", "eigvalsh", "svd",
           "qr", "pinv", "matrix_power", "multi_dot"]

# NumPy's result types, by NumPy's names: fields read as NumPy's do.
_SlogdetResult = _namedtuple("SlogdetResult", ["sign", "logabsdet"])
_EighResult = _namedtuple("EighResult", ["eigenvalues", "eigenvectors"])
_SVDResult = _namedtuple("SVDResult", ["U", "S", "Vh"])
_QRResult = _namedtuple("QRResult", ["Q", "R"])


def _mT(a):
    return _swapaxes(a, -1, -2)


def _check(op, a, square=False, min_ndim=2, floating=True):
    """The checks NumPy and PyTorch make of a linear-algebra operand: at least
    ``min_ndim`` dimensions, square matrices where ``square``, and a floating or complex
    dtype. Raises an error naming the op, the shape and dtype, and the fix; returns the
    shape."""
    d = _data(a)
    shape, dtype = _np.shape(d), _np.result_type(d)
    if len(shape) < min_ndim:
        what = "a vector or matrix" if min_ndim == 1 else "a (batch of) matrix"
        raise _OpError(f"linalg.{op}: expected {what} with at least {min_ndim} dimensions, "
                       f"got shape {shape} ({dtype}); reshape the input, e.g. "
                       f"x.reshape(1, -1), or use a 1-D function")
    if floating and dtype.kind not in "fc":
        raise _OpTypeError(f"linalg.{op}: expected a floating point or complex input, got "
                           f"dtype {dtype} (shape {shape}); convert it first, e.g. "
                           f"x.astype(float)")
    if square and shape[-1] != shape[-2]:
        raise _OpError(f"linalg.{op}: expected square matrices (..., n, n), got shape "
                       f"{shape} ({dtype}), {shape[-2]} by {shape[-1]} matrices; "
                       f"use lstsq or pinv for rectangular ones")
    return shape


_VECTOR_ORDS = "an int or float order (inf, -inf, 0, negative ones included)"
_MATRIX_ORDS = ("fro", "nuc", 1, -1, 2, -2, _np.inf, -_np.inf)


def norm(x, ord=None, axis=None, keepdims=False):
    """numpy.linalg.norm: vector norms of any order and the matrix norms 'fro', 'nuc', 1,
    -1, 2, -2, inf and -inf, each differentiable."""
    shape = _check("norm", x, min_ndim=0)
    nd = len(shape)
    if isinstance(axis, list):
        axis = tuple(axis)
    if isinstance(axis, tuple) and len(axis) == 1:
        axis = axis[0]
    if axis is None:
        if ord is None:
            return _reduce.norm(x, 2, axis=None, keepdims=keepdims)
        if nd == 1:
            axis = 0
        elif nd == 2:
            axis = (0, 1)
        else:
            raise _OpError(f"linalg.norm: ord={ord!r} without an axis needs a 1-D or 2-D "
                           f"input, got shape {shape}; pass axis=(-2, -1) for matrix norms "
                           f"or an int axis for vector norms")
    if not isinstance(axis, tuple):
        if ord in ("fro", "nuc") or isinstance(ord, str):
            raise _OpError(f"linalg.norm: ord={ord!r} is a matrix norm, but one axis "
                           f"({axis}) was given for shape {shape}; pass two axes")
        a = _normalize_axis(axis, max(nd, 1), shape)
        p = 2 if ord is None else ord
        if nd == 0:
            a, shape = None, (1,)  # a 0-d input is a vector of one element
        size = shape[0 if a is None else a]
        if isinstance(p, bool) or not isinstance(p, (int, float, _np.integer, _np.floating)):
            raise _OpError(f"linalg.norm: unsupported vector order {ord!r}; use "
                           f"{_VECTOR_ORDS}")
        if p < 0 and p != -_np.inf:
            if size == 0:
                return _reduce.norm(x, 1, axis=a, keepdims=keepdims) * _np.inf
            mag = _abs(x)
            return _power(_sum(_power(mag, float(p)), axis=a, keepdims=keepdims), 1.0 / p)
        if p in (_np.inf, -_np.inf) and size == 0:
            raise _OpError(f"linalg.norm: cannot take the {p} norm over an empty axis {a} "
                           f"of shape {shape}; there is no largest value")
        return _reduce.norm(x, p, axis=a, keepdims=keepdims)
    if len(axis) != 2:
        raise _OpError(f"linalg.norm: axis must be an int or a pair of ints, got {axis!r} "
                       f"for shape {shape}")
    r, c = (_normalize_axis(a, nd, shape) for a in axis)
    if r == c:
        raise _OpError(f"linalg.norm: the two matrix axes must differ, got {axis!r} for "
                       f"shape {shape}")
    if ord is None:
        ord = "fro"
    if ord not in _MATRIX_ORDS or isinstance(ord, bool):
        raise _OpError(f"linalg.norm: unsupported matrix order {ord!r}; use one of 'fro', "
                       f"'nuc', 1, -1, 2, -2, inf, -inf")
    if ord == "fro":
        return _reduce.norm(x, 2, axis=(r, c), keepdims=keepdims)
    if ord in (1, -1, _np.inf, -_np.inf):
        inner, outer = (r, c) if ord in (1, -1) else (c, r)
        if shape[outer] == 0:
            raise _OpError(f"linalg.norm: cannot take the matrix {ord} norm of an empty "
                           f"matrix (shape {shape}, axes {axis}); there is no largest value")
        sums = _sum(_abs(x), axis=inner, keepdims=True)
        pick = _amax if ord > 0 else _amin
        out = pick(sums, axis=outer, keepdims=True)
    else:
        if shape[r] == 0 or shape[c] == 0:
            if ord == "nuc":
                out = _sum(_abs(x), axis=(r, c), keepdims=True)
            else:
                raise _OpError(f"linalg.norm: cannot take the matrix {ord} norm of an empty "
                               f"matrix (shape {shape}, axes {axis}); there are no singular "
                               f"values")
        else:
            m = _moveaxis(x, (r, c), (-2, -1))
            sv = _svdvals(m)
            if ord == "nuc":
                red = _sum(sv, axis=-1)
            elif ord == 2:
                red = _amax(sv, axis=-1)
            else:
                red = _amin(sv, axis=-1)
            out = _expand_dims(_expand_dims(red, min(r, c)), max(r, c))
    if not keepdims:
        out = _squeeze(out, axis=(r, c))
    return out


def _normalize_axis(axis, nd, shape):
    if isinstance(axis, bool) or not isinstance(axis, (int, _np.integer)):
        raise _OpError(f"linalg.norm: axis must be an int, got {axis!r}")
    if not -nd <= axis < nd:
        raise _OpError(f"linalg.norm: axis {axis} is out of range for shape {shape} (expected "
                       f"an axis in [{-nd}, {nd - 1}])")
    return int(axis) % nd


def inv(a):
    """Differentiable numpy.linalg.inv."""
    _check("inv", a, square=True)
    return _apply(_linalg.inv_p, (a,))


def _safe_inv(xp, a, singular):
    """inv(a) where a is invertible; the identity's inverse where ``singular``."""
    eye = xp.eye(a.shape[-1], dtype=a.dtype)
    return _call(xp, _linalg.inv_p, xp.where(xp.expand_dims(xp.expand_dims(singular, -1), -1),
                                             eye, a))


def _det_vjp(xp, g, ans, a):
    # d det A = det A tr(A^-1 dA); where det A is exactly 0 the gradient is 0, as PyTorch's.
    singular = _data(ans) == 0 if xp is not _np else ans == 0
    return xp.expand_dims(xp.expand_dims(g * ans, -1), -1) * _mT_xp(xp, _safe_inv(xp, a, singular))


def _mT_xp(xp, a):
    return xp.swapaxes(a, -1, -2)


_det_p = _Primitive("det", lambda xp, a: xp.linalg.det(a), saves=(0,), saves_ans=True)
_defvjp(_det_p, _det_vjp)
_defjvp(_det_p, lambda xp, ts, ans, a: ans * xp.trace(xp.matmul(
    _safe_inv(xp, a, (_data(ans) if xp is not _np else ans) == 0), ts[0]), axis1=-2, axis2=-1))


def det(a):
    """Differentiable numpy.linalg.det (the gradient of an exactly singular matrix is 0)."""
    _check("det", a, square=True)
    return _apply(_det_p, (a,))


def slogdet(a):
    """``(sign, logabsdet)``; the sign is a constant, the log is differentiable."""
    _check("slogdet", a, square=True)
    sign = _make(_np.asarray(_np.linalg.slogdet(_data(a))[0]))
    return _SlogdetResult(sign, _apply(_linalg.slogdet_p, (a,)))


def solve(a, b):
    """``x`` with ``a @ x == b``. ``b`` is a vector only when it has one axis, as in
    NumPy 2 (PyTorch also takes ``a``'s shape without the last axis as a batch of vectors;
    NumPy code gets NumPy's rule)."""
    return _solve(a, b, batched_vectors=False)


def _solve(a, b, batched_vectors: bool):
    """:func:`solve`, where ``batched_vectors`` also takes a ``b`` of ``a``'s shape without
    its last axis as a batch of vectors (PyTorch's rule, ``chainrule.linalg.solve``)."""
    sa = _check("solve", a, square=True)
    sb = _check("solve", b, min_ndim=1)
    vector = len(sb) == 1 or batched_vectors and tuple(sb) == tuple(sa[:-1])
    k = sb[-1] if vector else sb[-2]
    if k != sa[-1]:
        raise _OpError(f"linalg.solve: A of shape {sa} and B of shape {sb} do not match: B "
                       f"needs {sa[-1]} rows ({'(..., M)' if vector else '(..., M, K)'}), got "
                       f"{k}; check which operand is which")
    return _apply(_linalg.solve_p, (a, b), {"vector": vector})


def _lower_symmetric(a, UPLO="L"):
    """The symmetric matrix NumPy's eigh/cholesky see: they read one triangle only."""
    low = _tril(a) if UPLO == "L" else _mT(_triu(a))
    return _add(low, _mT(_tril(low, -1)))


def cholesky(a):
    """The lower Cholesky factor (NumPy reads the lower triangle only)."""
    _check("cholesky", a, square=True)
    return _apply(_linalg.cholesky_p, (_lower_symmetric(a),))


def eigh(a, UPLO="L"):
    _check("eigh", a, square=True)
    sym = _lower_symmetric(a, UPLO)
    return _EighResult(_apply(_linalg.eigh_p, (sym,), {"part": 0}),
                       _apply(_linalg.eigh_p, (sym,), {"part": 1}))


def eigvalsh(a, UPLO="L"):
    _check("eigvalsh", a, square=True)
    return eigh(a, UPLO).eigenvalues


def _svdvals_vjp(xp, g, ans, a):
    # d s_i = u_i^T dA v_i: the gradient is U diag(g) V^T (any signs of U and V).
    if xp is _np or not hasattr(xp, "linalg"):
        u, _, vh = _np.linalg.svd(a, full_matrices=False)
    else:
        u, _, vh = xp.linalg.svd(a, full_matrices=False)
    return xp.matmul(u * xp.expand_dims(g, -2), vh)


_svdvals_p = _Primitive("svd", lambda xp, a: xp.linalg.svd(a, compute_uv=False), saves=(0,),
                        saves_ans=False)
_defvjp(_svdvals_p, _svdvals_vjp)


def _svdvals_jvp(xp, ts, ans, a):
    if xp is _np or not hasattr(xp, "linalg"):
        u, _, vh = _np.linalg.svd(a, full_matrices=False)
    else:
        u, _, vh = xp.linalg.svd(a, full_matrices=False)
    return xp.sum(u * xp.matmul(ts[0], _mT_xp(xp, vh)), axis=-2)


_defjvp(_svdvals_p, _svdvals_jvp)


def _svdvals(a):
    return _apply(_svdvals_p, (a,))


def svd(a, full_matrices=True, compute_uv=True, hermitian=False):
    """Singular values from LAPACK (their gradient is U diag(g) V^T); the singular
    vectors through the eigendecomposition of a^T a, which assumes distinct nonzero
    singular values, as their gradient does."""
    shape = _check("svd", a)
    if compute_uv and full_matrices and shape[-1] != shape[-2]:
        raise NotImplementedError("linalg.svd: the gradient is available for "
                                  "full_matrices=False only (reduced SVD)")
    s = _svdvals(a)
    if not compute_uv:
        return s
    wide = shape[-2] < shape[-1]
    m = _mT(a) if wide else a
    _, v = eigh(_matmul(_mT(m), m))
    v = _flip(v, axis=-1)
    u = _divide(_matmul(m, v), _expand_dims(s, -2))
    vh = _mT(v)
    if wide:
        u, vh = _mT(vh), _mT(u)
    # Singular vectors are defined up to sign: take NumPy's choice (a constant flip).
    ref_vh = _np.linalg.svd(_data(a), full_matrices=False)[2]
    flips = _np.sign(_np.sum(ref_vh * _data(vh), axis=-1))
    flips[flips == 0] = 1
    return _SVDResult(_multiply(u, _expand_dims(flips, -2)), s,
                      _multiply(vh, _expand_dims(flips, -1)))


def _qr_forward(xp, a, part):
    return xp.linalg.qr(a)[part]


def _qr_vjp(xp, g, ans, a, part):
    # Reduced QR of a square or tall A (TensorFlow's rule): with gQ, gR the cotangents,
    # gA = (gQ + Q copyltu(M)) R^-T, M = R gR^T - gQ^T Q.
    q = _call(xp, _qr_p, a, part=0)
    r = _call(xp, _qr_p, a, part=1)
    qt = _mT_xp(xp, q)
    if part == 0:
        qdq = xp.matmul(qt, g)
        low = xp.tril(qdq - _mT_xp(xp, qdq), -1)
        b, direct = g - xp.matmul(q, qdq) + xp.matmul(q, low), None
    else:
        rdr = xp.matmul(r, _mT_xp(xp, g))
        low = xp.tril(rdr - _mT_xp(xp, rdr), -1)
        b, direct = xp.matmul(q, low), xp.matmul(q, g)
    # b R^-T = (R^-1 b^T)^T
    out = _mT_xp(xp, _call(xp, _linalg.solve_p, r, _mT_xp(xp, b), vector=False))
    return out if direct is None else out + direct


_qr_p = _Primitive("qr", _qr_forward, saves=(0,), saves_ans=False)
_defvjp(_qr_p, _qr_vjp)


def _qr_jvp(xp, ts, ans, a, part):
    # X = Q^T dA R^-1, Omega = tril(X, -1) - tril(X, -1)^T: dR = (X - Omega) R and
    # dQ = dA R^-1 - Q (X - Omega).
    q = _call(xp, _qr_p, a, part=0)
    r = _call(xp, _qr_p, a, part=1)
    dar = _mT_xp(xp, _call(xp, _linalg.solve_p, _mT_xp(xp, r), _mT_xp(xp, ts[0]),
                           vector=False))
    x = xp.matmul(_mT_xp(xp, q), dar)
    low = xp.tril(x, -1)
    upper = x - (low - _mT_xp(xp, low))
    return dar - xp.matmul(q, upper) if part == 0 else xp.matmul(upper, r)


_defjvp(_qr_p, _qr_jvp)


def qr(a, mode="reduced"):
    """Reduced QR from LAPACK, with NumPy's (and PyTorch's) signs; differentiable where
    the leading square block has full rank."""
    if mode != "reduced":
        raise NotImplementedError("linalg.qr: only mode='reduced' is supported")
    shape = _check("qr", a)
    m, n = shape[-2], shape[-1]
    if m >= n:
        return _QRResult(_apply(_qr_p, (a,), {"part": 0}), _apply(_qr_p, (a,), {"part": 1}))
    # wide: A = [X Y] with X square, X = Q R1, R = [R1, Q^T Y]
    x, y = a[..., :m], a[..., m:]
    q, r1 = qr(x)
    return _QRResult(q, _concatenate([r1, _matmul(_mT(q), y)], axis=-1))


def pinv(a, rcond=None, hermitian=False):
    """The pseudo-inverse, cutting singular values below eps * max(m, n) * s_max (as
    PyTorch does). Differentiable for full-rank inputs (through QR); a rank-deficient
    batch is returned without a gradient."""
    shape = _check("pinv", a)
    m, n = shape[-2], shape[-1]
    d = _data(a)
    dtype = _np.result_type(d)
    if m == 0 or n == 0:
        return _asarray(_np.zeros(shape[:-2] + (n, m), dtype=dtype))
    tol = _np.finfo(dtype).eps * max(m, n) if rcond is None else rcond
    s = _np.linalg.svd(d, compute_uv=False)
    if not _np.all(s[..., -1] > tol * s[..., 0]):
        return _asarray(_np.linalg.pinv(d, rcond=tol).astype(dtype))
    if m < n:
        return _mT(pinv(_mT(a), rcond, hermitian))
    q, r = qr(a)
    return _apply(_linalg.solve_p, (r, _mT(q)), {"vector": False})


def matrix_power(a, n):
    if isinstance(n, bool) or not isinstance(n, (int, _np.integer)):
        raise _OpTypeError(f"linalg.matrix_power: the exponent must be an integer, got "
                           f"{n!r}")
    # integer matrices have integer powers; negative powers need an inverse
    _check("matrix_power", a, square=True, floating=n < 0)
    if n < 0:
        try:
            a, n = inv(a), -n
        except _OpError as exc:  # say which op the user called
            raise _OpError(f"linalg.matrix_power: a negative power needs the inverse: "
                           f"{exc}") from None
    result = None
    for _ in range(n):
        result = a if result is None else _matmul(result, a)
    if result is None:
        eye = _np.broadcast_to(_np.eye(_np.shape(_data(a))[-1]), _np.shape(_data(a)))
        return _asarray(eye.copy(), dtype=_np.result_type(_data(a)))
    return result


def multi_dot(arrays):
    out = arrays[0]
    for b in arrays[1:]:
        out = _matmul(out, b)
    return out
