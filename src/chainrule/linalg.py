"""``chainrule.linalg``: linear algebra with ``torch.linalg``'s names, arguments and rules.

The work is ``chainrule.numpy.linalg``'s (the same primitives and checks); this module only
speaks PyTorch where PyTorch differs from NumPy: ``dim``/``keepdim`` for ``axis``/
``keepdims``, ``solve`` taking a ``B`` of ``A``'s shape without its last axis as a batch of
vectors, ``cholesky(upper=)``, ``vector_norm``, ``matrix_norm`` and ``svdvals``.

>>> import chainrule as cr
>>> a = cr.tensor([[[2., 0.], [0., 4.]]])
>>> cr.linalg.solve(a, cr.tensor([[2., 2.]]))  # a batch of one vector, as in PyTorch
tensor([[1.0, 0.5]])
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as _np

from .errors import OpError
from .numpy import linalg as _np_linalg
from .numpy.linalg import (det, eigh, eigvalsh, inv, multi_dot, qr,  # noqa: F401
                           slogdet)
from .ops import reduce as _reduce

__all__ = ["solve", "inv", "det", "slogdet", "cholesky", "eigh", "eigvalsh", "svd", "svdvals",
           "qr", "pinv", "matrix_power", "multi_dot", "norm", "vector_norm", "matrix_norm"]


def solve(A, B, *, left: bool = True):
    """``X`` with ``A @ X == B``; ``B`` is a (batch of) vector(s) when it has one axis or
    ``A``'s shape without the last one, as in ``torch.linalg.solve``.

    >>> import chainrule as cr
    >>> cr.linalg.solve(cr.tensor([[2., 0.], [0., 4.]]), cr.tensor([2., 2.]))
    tensor([1.0, 0.5])
    """
    if not left:
        raise NotImplementedError("linalg.solve: left=False (X @ A == B) is not supported; "
                                  "solve A.mT X^T = B^T instead: solve(A.mT, B.mT).mT")
    return _np_linalg._solve(A, B, batched_vectors=True)


def cholesky(A, *, upper: bool = False):
    """The Cholesky factor: lower (``A = L L^H``), or upper with ``upper=True``."""
    low = _np_linalg.cholesky(A)
    return low.mT.conj() if upper else low


def pinv(A, *, atol=None, rtol=None, hermitian: bool = False):
    """The pseudo-inverse as ``torch.linalg.pinv``: singular values at or below
    ``rtol * s_max`` count as zero (``rtol`` defaults to eps * max(m, n), PyTorch's)."""
    if atol is not None:
        raise NotImplementedError("linalg.pinv: atol is not supported yet; give rtol")
    dtype = _np.result_type(getattr(A, "dtype", _np.float64))
    if len(getattr(A, "shape", ())) < 2 or dtype.kind not in "fc":
        raise OpError(f"linalg.pinv: expected a floating or complex matrix, or a batch of "
                      f"them (2 or more dims), got shape {tuple(getattr(A, 'shape', ()))} "
                      f"of {dtype}")
    if rtol is None:
        rtol = _np.finfo(dtype).eps * max(A.shape[-2:])
    return _np_linalg.pinv(A, hermitian=hermitian, rtol=rtol)


def svd(A, full_matrices: bool = True):
    """``U, S, Vh`` with ``A = U diag(S) Vh`` (differentiable for ``full_matrices=False``)."""
    return _np_linalg.svd(A, full_matrices=full_matrices)


def svdvals(A):
    """The singular values of ``A``, in descending order."""
    return _np_linalg.svd(A, compute_uv=False)


def matrix_power(A, n: int):
    """``A`` to the integer power ``n`` (negative: of the inverse)."""
    return _np_linalg.matrix_power(A, n)


def norm(A, ord: Any = None, dim: Any = None, keepdim: bool = False):
    """A vector norm (``dim`` an int, or ``A`` 1-D) or a matrix norm (``dim`` a pair, or
    ``A`` 2-D), as ``torch.linalg.norm``; ``ord=None``: 2 for vectors, 'fro' for matrices,
    and the 2-norm of the flattened input when ``dim`` is None too."""
    return _np_linalg.norm(A, ord, dim, keepdim)


def vector_norm(x, ord: Any = 2, dim: Optional[Any] = None, keepdim: bool = False):
    """The ``ord``-norm of ``x`` over ``dim`` (all dims when None), as a vector's."""
    return _reduce.norm(x, ord, dim, keepdim)


def matrix_norm(A, ord: Any = "fro", dim: tuple = (-2, -1), keepdim: bool = False):
    """A matrix norm ('fro', 'nuc', 1, -1, 2, -2, inf, -inf) over the two dims ``dim``."""
    return _np_linalg.norm(A, ord, tuple(dim), keepdim)


def __dir__():  # dir() and tab completion show what the module exports, not its helpers
    return __all__
