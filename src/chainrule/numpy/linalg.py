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

from ..autograd.primitives import apply as _apply
from ..autograd.tensor import make_tensor as _make
from ..ops import linalg as _linalg
from ..ops import reduce as _reduce
from ..ops._util import data_of as _data
from ._creation import asarray as _asarray
from ._elementwise import add as _add
from ._elementwise import divide as _divide
from ._elementwise import maximum as _maximum
from ._elementwise import multiply as _multiply
from ._elementwise import sqrt as _sqrt
from ._products import matmul as _matmul
from ._products import tril as _tril
from ._products import triu as _triu
from ._reductions import sum as _sum
from ._shape import expand_dims as _expand_dims
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


def norm(x, ord=None, axis=None, keepdims=False):
    """numpy.linalg.norm: vector norms, and the Frobenius norm of a matrix."""
    nd = _np.ndim(_data(x))
    if ord in (None, "fro") or (ord == 2 and (axis is None and nd == 1 or isinstance(axis, int))):
        return _reduce.norm(x, 2, axis=axis, keepdims=keepdims)
    matrix = (axis is None and nd == 2) or (isinstance(axis, tuple) and len(axis) == 2)
    if matrix:
        if ord == "nuc":
            return _sum(svd(x, compute_uv=False), axis=-1)
        raise NotImplementedError(f"linalg.norm: matrix norm ord={ord!r} is not supported "
                                  f"yet; use 'fro' or 'nuc'")
    return _reduce.norm(x, ord, axis=axis, keepdims=keepdims)


def inv(a):
    """Differentiable numpy.linalg.inv."""
    return _apply(_linalg.inv_p, (a,))


def det(a):
    """Differentiable numpy.linalg.det."""
    return _apply(_linalg.det_p, (a,))


def slogdet(a):
    """``(sign, logabsdet)``; the sign is a constant, the log is differentiable."""
    sign = _make(_np.linalg.slogdet(_data(a))[0])
    return _SlogdetResult(sign, _apply(_linalg.slogdet_p, (a,)))


def solve(a, b):
    """``x`` with ``a @ x == b``; ``b`` is a vector when it has one axis fewer than ``a``."""
    vector = _np.ndim(_data(b)) == _np.ndim(_data(a)) - 1
    return _apply(_linalg.solve_p, (a, b), {"vector": vector})


def _lower_symmetric(a, UPLO="L"):
    """The symmetric matrix NumPy's eigh/cholesky see: they read one triangle only."""
    low = _tril(a) if UPLO == "L" else _mT(_triu(a))
    return _add(low, _mT(_tril(low, -1)))


def cholesky(a):
    """The lower Cholesky factor (NumPy reads the lower triangle only)."""
    return _apply(_linalg.cholesky_p, (_lower_symmetric(a),))


def eigh(a, UPLO="L"):
    sym = _lower_symmetric(a, UPLO)
    return _EighResult(_apply(_linalg.eigh_p, (sym,), {"part": 0}),
                       _apply(_linalg.eigh_p, (sym,), {"part": 1}))


def eigvalsh(a, UPLO="L"):
    return eigh(a, UPLO).eigenvalues


def svd(a, full_matrices=True, compute_uv=True, hermitian=False):
    """Singular values (and vectors) from the eigendecomposition of a^T a; assumes
    distinct nonzero singular values, as the gradient does."""
    if compute_uv and full_matrices:
        shape = _np.shape(_data(a))
        if shape[-1] != shape[-2]:
            raise NotImplementedError("linalg.svd: the gradient is available for "
                                      "full_matrices=False only (reduced SVD)")
    wide = _np.shape(_data(a))[-2] < _np.shape(_data(a))[-1]
    m = _mT(a) if wide else a
    w, v = eigh(_matmul(_mT(m), m))
    w, v = _flip(w, axis=-1), _flip(v, axis=-1)
    s = _sqrt(_maximum(w, 0.0))
    if not compute_uv:
        return s
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


def qr(a, mode="reduced"):
    """QR of a tall matrix through the Cholesky factor of a^T a (full column rank)."""
    if mode != "reduced":
        raise NotImplementedError("linalg.qr: only mode='reduced' is supported")
    r = _mT(_apply(_linalg.cholesky_p, (_matmul(_mT(a), a),)))
    q = _mT(solve(_mT(r), _mT(a)))
    # QR is defined up to the signs of R's diagonal: take NumPy's choice.
    ref_r = _np.linalg.qr(_data(a))[1]
    flips = _np.sign(_np.diagonal(ref_r, axis1=-2, axis2=-1))
    flips[flips == 0] = 1
    return _QRResult(_multiply(q, _expand_dims(flips, -2)), _multiply(r, _expand_dims(flips, -1)))


def pinv(a, rcond=None, hermitian=False):
    u, s, vh = svd(a, full_matrices=False)
    return _matmul(_mT(vh) / _expand_dims(s, -2), _mT(u))


def matrix_power(a, n):
    if n < 0:
        a, n = inv(a), -n
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
