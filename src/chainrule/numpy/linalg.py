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

from ..autograd.engine import graph_namespace as _graph_namespace
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
from ._elementwise import multiply as _multiply
from ._elementwise import absolute as _abs
from ._elementwise import conj as _conj
from ._elementwise import real as _real
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
from ._shape import swapaxes as _swapaxes

__all__ = ["norm", "inv", "det", "slogdet", "solve", "cholesky", "eigh", "eigvalsh", "svd",
           "svdvals", "qr", "pinv", "lstsq", "eig", "eigvals", "matrix_rank", "matrix_power",
           "multi_dot"]

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


# holomorphic: the rules are written as for reals, the engine conjugates around them
_det_p = _Primitive("det", lambda xp, a: xp.linalg.det(a), saves=(0,), saves_ans=True,
                    holomorphic=True)
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
    """The symmetric (Hermitian) matrix NumPy's eigh/cholesky see: they read one triangle
    only, and the real part of the diagonal."""
    strict = _tril(a, -1) if UPLO == "L" else _conj(_mT(_triu(a, 1)))
    # (the input's precision: a float64 identity would promote float32 input)
    eye = _np.eye(_np.shape(_data(a))[-1], dtype=_np.result_type(_np.real(_data(a)).dtype,
                                                                  _np.float32))
    return _add(_add(strict, _conj(_mT(strict))), _multiply(_real(a), eye))


def cholesky(a, /, *, upper=False):
    """The lower Cholesky factor (NumPy reads the lower triangle only), or with
    ``upper=True`` the upper one (its conjugate transpose), as NumPy 2's."""
    _check("cholesky", a, square=True)
    low = _apply(_linalg.cholesky_p, (_lower_symmetric(a),))
    return _conj(_mT(low)) if upper else low


def eigh(a, UPLO="L"):
    """numpy.linalg.eigh: reads the ``UPLO`` triangle ('L' or 'U') only, and gives the
    eigenvectors with the signs (phases) NumPy's LAPACK call gives them. Differentiable
    for distinct eigenvalues."""
    _check("eigh", a, square=True)
    if UPLO not in ("L", "U"):
        raise _OpError(f"linalg.eigh: UPLO must be 'L' or 'U', got {UPLO!r}")
    sym = _lower_symmetric(a, UPLO)
    w = _apply(_linalg.eigh_p, (sym,), {"part": 0})
    v = _apply(_linalg.eigh_p, (sym,), {"part": 1})
    if UPLO == "U" and _np.shape(_data(a))[-1]:
        # LAPACK reading the upper triangle may pick other signs: NumPy's, as constants.
        ref = _np.linalg.eigh(_data(a), UPLO="U")[1]
        dots = _np.sum(_np.conj(_data(v)) * ref, axis=-2)
        size = _np.abs(dots)
        phase = _np.where(size > 0, dots / _np.where(size > 0, size, 1), 1)
        v = _multiply(v, _expand_dims(_make(_np.asarray(phase)), -2))
    return _EighResult(w, v)


def eigvalsh(a, UPLO="L"):
    """numpy.linalg.eigvalsh, reading the ``UPLO`` triangle only."""
    _check("eigvalsh", a, square=True)
    return eigh(a, UPLO).eigenvalues


# ----- helpers for the factorization rules (any xp: raw arrays, or chainrule.numpy) -----
def _mH_xp(xp, a):
    """The conjugate transpose of a (batch of) matrix."""
    return xp.conj(xp.swapaxes(a, -1, -2))


def _eye_like(xp, k, dtype):
    return xp.eye(k, dtype=dtype)


def _recording(xp):
    return xp is _graph_namespace()


# ----- SVD: one primitive, three outputs (part 0: U, 1: S, 2: Vh), each its own node ------
def _svd_forward(xp, a, part, full=False, hermitian=False):
    if hermitian:
        return xp.linalg.svd(a, full_matrices=full, hermitian=True)[part]
    return xp.linalg.svd(a, full_matrices=full)[part]


_svd_p = _Primitive("svd", _svd_forward, complex_ok=True, saves=(0,), saves_ans=False)
_svdvals_p = _svd_p  # the name the op table used for the singular values


def _svd_parts(xp, a, hermitian):
    """The thin (U, S, Vh) of ``a``: one LAPACK call on raw arrays; in a recorded pass,
    each part a node of its own, so the rules stay differentiable."""
    if _recording(xp):
        return tuple(_call(xp, _svd_p, a, part=k, full=False, hermitian=hermitian)
                     for k in range(3))
    return _svd_forward_all(xp, a, hermitian)


def _svd_forward_all(xp, a, hermitian):
    if hermitian:
        return xp.linalg.svd(a, full_matrices=False, hermitian=True)
    return xp.linalg.svd(a, full_matrices=False)


def _svd_vjp(xp, g, ans, a, part, full=False, hermitian=False):
    # PyTorch's svd_backward (conjugate-Wirtinger), for one output's cotangent at a time.
    # The cotangent of the extra columns of a full U or Vh is ignored, as in PyTorch.
    u, s, vh = _svd_parts(xp, a, hermitian)
    m, n = a.shape[-2], a.shape[-1]
    k = min(m, n)
    if part == 1:
        return xp.matmul(u * xp.expand_dims(g, -2), vh)
    f = _linalg._eigh_f(xp, s * s)  # 1 / (s_j^2 - s_i^2) off the diagonal
    eye = _eye_like(xp, k, f.dtype)
    s_row, s_col = xp.expand_dims(s, -2), xp.expand_dims(s, -1)
    if part == 0:
        if full and m > k:
            g = g[..., :, :k]
        uhg = xp.matmul(_mH_xp(xp, u), g)
        skew = uhg - _mH_xp(xp, uhg)
        # the diagonal term is the phase part (zero for real inputs)
        inner = f * skew * s_row + eye * skew / (2.0 * s_row)
        out = xp.matmul(u, xp.matmul(inner, vh))
        if m > k:
            gus = g / s_row
            out = out + xp.matmul(gus - xp.matmul(u, xp.matmul(_mH_xp(xp, u), gus)), vh)
        return out
    if full and n > k:
        g = g[..., :k, :]
    gv = _mH_xp(xp, g)
    vhgv = xp.matmul(vh, gv)
    inner = s_col * (f * (vhgv - _mH_xp(xp, vhgv)))
    out = xp.matmul(u, xp.matmul(inner, vh))
    if n > k:
        v = _mH_xp(xp, vh)
        gvs = gv / s_row
        out = out + xp.matmul(u, _mH_xp(xp, gvs - xp.matmul(v, xp.matmul(vh, gvs))))
    return out


def _svd_jvp(xp, ts, ans, a, part, full=False, hermitian=False):
    # Gauge (complex inputs): diag(V^H dV) = 0 and the phase in U, the one the VJP uses.
    m, n = a.shape[-2], a.shape[-1]
    k = min(m, n)
    if full and part != 1 and m != n:
        raise _OpError(f"linalg.svd: forward mode with full_matrices=True for a {m} by {n} "
                       f"matrix is not supported: the extra singular vectors have no unique "
                       f"derivative; use full_matrices=False")
    u, s, vh = _svd_parts(xp, a, hermitian)
    da = ts[0]
    v = _mH_xp(xp, vh)
    dp = xp.matmul(_mH_xp(xp, u), xp.matmul(da, v))
    if part == 1:
        return xp.real(xp.diagonal(dp, axis1=-2, axis2=-1))
    f = _linalg._eigh_f(xp, s * s)
    s_row, s_col = xp.expand_dims(s, -2), xp.expand_dims(s, -1)
    dph = _mH_xp(xp, dp)
    if part == 0:
        eye = _eye_like(xp, k, f.dtype)
        om = f * (dp * s_row + s_col * dph) + eye * (dp - dph) / (2.0 * s_row)
        du = xp.matmul(u, om)
        if m > k:
            du = du + (xp.matmul(da, v) - xp.matmul(u, dp)) / s_row
        return du
    om = f * (s_col * dp + dph * s_row)
    dv = xp.matmul(v, om)
    if n > k:
        dv = dv + (xp.matmul(_mH_xp(xp, da), u) - xp.matmul(v, dph)) / s_row
    return _mH_xp(xp, dv)


_defvjp(_svd_p, _svd_vjp)
_defjvp(_svd_p, _svd_jvp)


def _svdvals(a):
    return _apply(_svd_p, (a,), {"part": 1})


def svd(a, full_matrices=True, compute_uv=True, hermitian=False):
    """numpy.linalg.svd, from LAPACK's SVD (NumPy's values and signs), differentiable as
    torch.linalg.svd: the gradient of U and Vh assumes distinct nonzero singular values;
    with ``full_matrices=True`` and a non-square input, the cotangent of the extra
    columns of U (or rows of Vh) is ignored, as in PyTorch. Complex inputs: the singular
    vectors are defined up to a phase; a loss that depends on it gets the gradient of the
    gauge ``diag(V^H dV) = 0``. ``hermitian=True`` reads the lower triangle, as NumPy's.

    >>> import chainrule.numpy as cnp
    >>> from chainrule import tensor
    >>> cnp.linalg.svd(tensor([[3., 0.], [0., 4.]])).S
    tensor([4., 3.])
    """
    shape = _check("svd", a)
    if hermitian:
        _check("svd", a, square=True)
        a = _lower_symmetric(a)
    params = {"hermitian": True} if hermitian else {}
    if not compute_uv:
        return _apply(_svd_p, (a,), {"part": 1, **params})
    if 0 in shape[-2:]:
        u, s, vh = _np.linalg.svd(_data(a), full_matrices=full_matrices)
        return _SVDResult(_asarray(u), _asarray(s), _asarray(vh))
    full = bool(full_matrices) and shape[-1] != shape[-2]
    return _SVDResult(_apply(_svd_p, (a,), {"part": 0, "full": full, **params}),
                      _apply(_svd_p, (a,), {"part": 1, **params}),
                      _apply(_svd_p, (a,), {"part": 2, "full": full, **params}))


def svdvals(x):
    """numpy.linalg.svdvals: the singular values, in descending order."""
    _check("svdvals", x)
    return _svdvals(x)


def matrix_rank(A, tol=None, hermitian=False, *, rtol=None):
    """numpy.linalg.matrix_rank (an integer: no gradient)."""
    return _make(_np.asarray(_np.linalg.matrix_rank(_data(A), tol=tol, hermitian=hermitian,
                                                    rtol=rtol)))


# ----- QR --------------------------------------------------------------------------------
def _qr_forward(xp, a, part):
    return xp.linalg.qr(a)[part]


def _qr_omega(xp, x):
    """The skew-Hermitian part of X = Q^H dA R^-1 that Q^H dQ takes (R's diagonal is
    real: the imaginary part of X's diagonal goes to Q)."""
    low = xp.tril(x, -1)
    eye = _eye_like(xp, x.shape[-1], x.dtype)
    return low - _mH_xp(xp, low) + eye * (x - _mH_xp(xp, x)) * 0.5


def _qr_vjp(xp, g, ans, a, part):
    # Reduced QR of a square or tall A: with gQ, gR the cotangents and
    # G = gR R^H - Q^H gQ, gA = (gQ + Q copyup(G)) R^-H, copyup(G) the Hermitian matrix
    # with G's strict upper triangle and the real part of its diagonal.
    q = _call(xp, _qr_p, a, part=0)
    r = _call(xp, _qr_p, a, part=1)
    if part == 0:
        big = -xp.matmul(_mH_xp(xp, q), g)
    else:
        big = xp.matmul(g, _mH_xp(xp, r))
    up = xp.triu(big, 1)
    eye = _eye_like(xp, big.shape[-1], big.dtype)
    sym = up + _mH_xp(xp, up) + eye * (big + _mH_xp(xp, big)) * 0.5
    b = xp.matmul(q, sym)
    if part == 0:
        b = b + g
    # b R^-H = (R^-1 b^H)^H
    return _mH_xp(xp, _call(xp, _linalg.solve_p, r, _mH_xp(xp, b), vector=False))


_qr_p = _Primitive("qr", _qr_forward, complex_ok=True, saves=(0,), saves_ans=False)
_defvjp(_qr_p, _qr_vjp)


def _qr_jvp(xp, ts, ans, a, part):
    # X = Q^H dA R^-1 = Omega + T (Omega skew-Hermitian, T upper with a real diagonal):
    # dR = T R and dQ = dA R^-1 - Q T.
    q = _call(xp, _qr_p, a, part=0)
    r = _call(xp, _qr_p, a, part=1)
    dar = _mH_xp(xp, _call(xp, _linalg.solve_p, _mH_xp(xp, r), _mH_xp(xp, ts[0]),
                           vector=False))
    x = xp.matmul(_mH_xp(xp, q), dar)
    upper = x - _qr_omega(xp, x)
    return dar - xp.matmul(q, upper) if part == 0 else xp.matmul(upper, r)


_defjvp(_qr_p, _qr_jvp)


def _wants_grad(a):
    return bool(getattr(a, "requires_grad", False) or getattr(a, "_fw", None))


def qr(a, mode="reduced"):
    """numpy.linalg.qr from LAPACK, with NumPy's (and PyTorch's) signs, every mode;
    differentiable as torch.linalg.qr where the leading square block has full rank
    ('reduced' and 'r'; 'complete' where the input is not tall; 'raw' never)."""
    if mode not in ("reduced", "complete", "r", "raw"):
        raise _OpError(f"linalg.qr: unknown mode {mode!r}; use 'reduced', 'complete', 'r' "
                       f"or 'raw'")
    shape = _check("qr", a)
    m, n = shape[-2], shape[-1]
    if mode == "raw" or mode == "complete" and m > n or 0 in shape[-2:]:
        if _wants_grad(a) and 0 not in shape[-2:]:
            raise _OpError(f"linalg.qr: mode={mode!r} of a {m} by {n} matrix is not "
                           f"differentiable (as in PyTorch: the extra columns of Q are not "
                           f"unique); use mode='reduced', or .detach() the input")
        out = _np.linalg.qr(_data(a), mode=mode)
        if mode in ("r",):
            return _asarray(out)
        return _QRResult(_asarray(out[0]), _asarray(out[1])) if mode != "raw" else \
            tuple(_asarray(o) for o in out)
    if m >= n:
        res = _QRResult(_apply(_qr_p, (a,), {"part": 0}), _apply(_qr_p, (a,), {"part": 1}))
    else:
        # wide: A = [X Y] with X square, X = Q R1, R = [R1, Q^H Y]
        x, y = a[..., :m], a[..., m:]
        q, r1 = qr(x)
        res = _QRResult(q, _concatenate([r1, _matmul(_conj(_mT(q)), y)], axis=-1))
    return res.R if mode == "r" else res


# ----- pseudo-inverse and least squares ------------------------------------------------------
_NO_VALUE = object()


def _pinv_forward(xp, a, rcond, hermitian=False):
    if hermitian:
        return xp.linalg.pinv(a, rcond=rcond, hermitian=True)
    return xp.linalg.pinv(a, rcond=rcond)


def _pinv_vjp_of(xp, g, p, a):
    # PyTorch's pinv_backward: exact where the rank is locally constant.
    m, n = a.shape[-2], a.shape[-1]
    ph, gh = _mH_xp(xp, p), _mH_xp(xp, g)
    mm = xp.matmul
    if m <= n:
        k = mm(gh, p)
        kph = mm(k, ph)
        return (-_mH_xp(xp, mm(p, k)) + kph - mm(mm(a, p), kph)
                + mm(mm(ph, p), gh - mm(k, a)))
    k = mm(p, gh)
    phk = mm(ph, k)
    return (-_mH_xp(xp, mm(k, p)) + mm(mm(gh - mm(a, k), p), ph) + phk
            - mm(mm(phk, p), a))


def _pinv_jvp_of(xp, da, p, a):
    # dP = -P dA P + P P^H dA^H (I - A P) + (I - P A) dA^H P^H P
    mm = xp.matmul
    ph, dah = _mH_xp(xp, p), _mH_xp(xp, da)
    pda = mm(p, da)
    return (-mm(pda, p) + mm(mm(p, ph), dah - mm(dah, mm(a, p)))
            + mm(dah - mm(p, mm(a, dah)), mm(ph, p)))


_pinv_p = _Primitive("pinv", _pinv_forward, complex_ok=True, saves=(0,), saves_ans=True)
_defvjp(_pinv_p, lambda xp, g, ans, a, rcond, hermitian=False: _pinv_vjp_of(xp, g, ans, a))
_defjvp(_pinv_p, lambda xp, ts, ans, a, rcond, hermitian=False:
        _pinv_jvp_of(xp, ts[0], ans, a))


def pinv(a, rcond=None, hermitian=False, *, rtol=_NO_VALUE):
    """numpy.linalg.pinv, with NumPy's cut-off (``rcond``, default 1e-15, or ``rtol``;
    singular values at or below ``rcond * s_max`` count as zero) and ``hermitian``;
    differentiable as torch.linalg.pinv (exact where the rank does not change nearby)."""
    shape = _check("pinv", a)
    m, n = shape[-2], shape[-1]
    d = _data(a)
    dtype = _np.result_type(d)
    if rcond is None:
        if rtol is _NO_VALUE:
            rcond = 1e-15
        elif rtol is None:
            rcond = max(m, n) * _np.finfo(dtype).eps
        else:
            rcond = rtol
    elif rtol is not _NO_VALUE:
        raise _OpError("linalg.pinv: rtol and rcond cannot both be set; pass one")
    if m == 0 or n == 0:
        return _asarray(_np.zeros(shape[:-2] + (n, m), dtype=dtype))
    if hermitian:
        _check("pinv", a, square=True)
        a = _lower_symmetric(a)
    return _apply(_pinv_p, (a,), {"rcond": rcond, **({"hermitian": True} if hermitian else {})})


def _lstsq_forward(xp, a, b, rcond):
    return xp.linalg.lstsq(a, b, rcond=rcond)[0]


def _lstsq_cut(a, rcond):
    """lstsq's rcond as pinv's: None is eps * max(M, N), a negative one machine eps."""
    eps = _np.finfo(a.dtype).eps
    if rcond is None:
        return eps * max(a.shape[-2:])
    return eps if rcond < 0 else rcond


def _lstsq_pinv(xp, a, rcond):
    return _call(xp, _pinv_p, a, rcond=_lstsq_cut(a, rcond))


def _outer_h(xp, g, b):
    """g b^H for a vector or matrix right-hand side b."""
    if b.ndim == 1:
        return xp.expand_dims(g, -1) * xp.expand_dims(xp.conj(b), -2)
    return xp.matmul(g, _mH_xp(xp, b))


_lstsq_p = _Primitive("lstsq", _lstsq_forward, complex_ok=True, saves=(0, 1), saves_ans=False)
_defvjp(_lstsq_p,
        lambda xp, g, ans, a, b, rcond: _pinv_vjp_of(xp, _outer_h(xp, g, b),
                                                      _lstsq_pinv(xp, a, rcond), a),
        lambda xp, g, ans, a, b, rcond: xp.matmul(_mH_xp(xp, _lstsq_pinv(xp, a, rcond)), g))


def _lstsq_jvp(xp, ts, ans, a, b, rcond):
    p = _lstsq_pinv(xp, a, rcond)
    out = None
    if ts[0] is not None:
        out = xp.matmul(_pinv_jvp_of(xp, ts[0], p, a), b)
    if ts[1] is not None:
        part = xp.matmul(p, ts[1])
        out = part if out is None else out + part
    return out


_defjvp(_lstsq_p, _lstsq_jvp)


def lstsq(a, b, rcond=None):
    """numpy.linalg.lstsq: ``(x, residuals, rank, s)`` as NumPy returns them (``rcond``
    NumPy's: None is eps * max(M, N)); ``x``, ``residuals`` and ``s`` are differentiable
    (``x`` as torch.linalg.lstsq's, through the pseudo-inverse: exact where the rank does
    not change nearby).

    >>> import chainrule.numpy as cnp
    >>> from chainrule import tensor
    >>> cnp.linalg.lstsq(tensor([[1., 0.], [0., 2.], [0., 0.]]), tensor([1., 2., 3.]))[0]
    tensor([1., 1.])
    """
    sa = _check("lstsq", a)
    sb = _check("lstsq", b, min_ndim=1)
    if len(sa) != 2 or len(sb) > 2:
        raise _OpError(f"linalg.lstsq: expected a matrix A and a vector or matrix B, got "
                       f"shapes {sa} and {sb}; NumPy's lstsq takes no batches")
    if sb[0] != sa[0]:
        raise _OpError(f"linalg.lstsq: A of shape {sa} and B of shape {sb} do not match: B "
                       f"needs {sa[0]} rows")
    _, _, rank, _ = _np.linalg.lstsq(_data(a), _data(b), rcond=rcond)
    x = _apply(_lstsq_p, (a, b), {"rcond": rcond})
    m, n = sa
    if rank == n and m > n:
        r = _add(b, -_matmul(a, x))
        res = _sum(_real(_multiply(r, _conj(r))), axis=0)
        if len(sb) == 1:
            res = _expand_dims(res, 0)
    else:
        res = _asarray(_np.empty((0,), dtype=_np.finfo(_np.result_type(_data(x))).dtype))
    s = _svdvals(a) if 0 not in sa else _asarray(_np.linalg.svd(_data(a), compute_uv=False))
    return x, res, int(rank), s


# ----- general eigendecomposition --------------------------------------------------------
def _eig_forward(xp, a, part):
    return xp.linalg.eig(a)[part]


def _eig_parts(xp, a):
    if _recording(xp):
        return _call(xp, _eig_p, a, part=0), _call(xp, _eig_p, a, part=1)
    return xp.linalg.eig(a)


def _eig_vjp(xp, g, ans, a, part):
    # PyTorch's linalg_eig_backward: gA = V^-H (diag(gL) + F* o (V^H gV - V^H V
    # diag(Re(V^H gV)))) V^H, F_ij = 1 / (L_j - L_i); eigenvectors of unit norm. The
    # phase gauge is Im(v^H dv) = 0 (PyTorch raises where the loss depends on the phase;
    # a check here would also fire inside second-order passes, whose partial cotangents
    # depend on it in parts that cancel).
    w, v = _eig_parts(xp, a)
    vh = _mH_xp(xp, v)
    if part == 0:
        inner = xp.expand_dims(g, -1) * _eye_like(xp, w.shape[-1], g.dtype)
    else:
        vhgv = xp.matmul(vh, g)
        diag = xp.diagonal(vhgv, axis1=-2, axis2=-1)
        inner = vhgv - xp.matmul(vh, v * xp.expand_dims(xp.real(diag), -2))
        inner = inner * xp.conj(_linalg._eigh_f(xp, w))
    return _call(xp, _linalg.solve_p, vh, xp.matmul(inner, vh), vector=False)


def _eig_jvp(xp, ts, ans, a, part):
    w, v = _eig_parts(xp, a)
    da = ts[0]
    dp = _call(xp, _linalg.solve_p, v, xp.matmul(da, v), vector=False)
    if part == 0:
        return xp.diagonal(dp, axis1=-2, axis2=-1)
    dv = xp.matmul(v, _linalg._eigh_f(xp, w) * dp)
    # keep the eigenvectors of unit norm: remove Re(v^H dv) v
    return dv - v * xp.expand_dims(xp.real(xp.sum(xp.conj(v) * dv, axis=-2)), -2)


_eig_p = _Primitive("eig", _eig_forward, complex_ok=True, saves=(0,), saves_ans=False)
_defvjp(_eig_p, _eig_vjp)
_defjvp(_eig_p, _eig_jvp)

_EigResult = _namedtuple("EigResult", ["eigenvalues", "eigenvectors"])


def eig(a):
    """numpy.linalg.eig: eigenvalues and unit eigenvectors, as NumPy returns them (real
    arrays where every eigenvalue is real, complex ones otherwise); differentiable as
    torch.linalg.eig, for distinct eigenvalues. The eigenvectors are defined up to a
    phase: a loss that depends on it gets the gradient of the gauge ``Im(v^H dv) = 0``
    (PyTorch raises instead); use losses invariant to it, such as ``abs(v)``.

    >>> import chainrule.numpy as cnp
    >>> from chainrule import tensor
    >>> cnp.linalg.eig(tensor([[2., 0.], [0., 3.]])).eigenvalues
    tensor([2., 3.])
    """
    _check("eig", a, square=True)
    return _EigResult(_apply(_eig_p, (a,), {"part": 0}), _apply(_eig_p, (a,), {"part": 1}))


def eigvals(a):
    """numpy.linalg.eigvals, differentiable for distinct eigenvalues."""
    _check("eigvals", a, square=True)
    return _apply(_eig_p, (a,), {"part": 0})


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


def multi_dot(arrays, *, out=None):
    """numpy.linalg.multi_dot (left to right; ``out`` is not supported for tensors)."""
    if out is not None:
        raise _OpError("linalg.multi_dot: out= is not supported; use the result")
    out = arrays[0]
    for b in arrays[1:]:
        out = _matmul(out, b)
    return out


def __dir__():  # dir() and tab completion show what the module exports, not its helpers
    return __all__
