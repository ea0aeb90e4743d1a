"""The multivariate normal distribution, as ``torch.distributions.MultivariateNormal``.

>>> from chainrule import eye, tensor, zeros
>>> from chainrule.distributions import MultivariateNormal
>>> MultivariateNormal(zeros(2), covariance_matrix=eye(2)).log_prob(zeros(2))
tensor(-1.837877)
"""
from __future__ import annotations

import math as _math
from functools import cached_property as _cached_property

import numpy as _np

from .. import numpy as _cnp
from ..autograd.tensor import Tensor as _Tensor
from ..creation import randn as _randn
from . import constraints as _constraints
from .distribution import Distribution as _Distribution

__all__ = ["MultivariateNormal"]


def __dir__():
    return __all__


def _as_tensor(value) -> _Tensor:
    return value if isinstance(value, _Tensor) else _Tensor(value)


def _eye_like(matrix: _Tensor) -> _Tensor:
    return _Tensor(_np.eye(matrix.shape[-1], dtype=matrix.dtype))


def _batch_mahalanobis(scale_tril: _Tensor, x: _Tensor) -> _Tensor:
    """``x^T (L L^T)^{-1} x`` over the last dim, broadcast over the batch dims."""
    n = x.shape[-1]
    shape = _np.broadcast_shapes(tuple(x.shape[:-1]), tuple(scale_tril.shape[:-2]))
    L = _lower(scale_tril).broadcast_to(shape + (n, n))
    w = _cnp.linalg.solve(L, x.broadcast_to(shape + (n,)).unsqueeze(-1)).squeeze(-1)
    return w.pow(2).sum(-1)


def _lower(L: _Tensor) -> _Tensor:
    """The lower triangle of ``L``: a triangular solve reads no more, so the upper triangle
    gets no gradient (as from PyTorch's ``solve_triangular``)."""
    return _cnp.tril(L)


def _symmetric(A: _Tensor) -> _Tensor:
    """``(A + A^T) / 2``: the same matrix when ``A`` is symmetric, and its gradient is
    symmetric, as PyTorch's ``cholesky`` gives (ours reads the lower triangle only)."""
    return (A + A.swapaxes(-2, -1)) * 0.5


def _half_log_det(scale_tril: _Tensor) -> _Tensor:
    return _cnp.diagonal(scale_tril, axis1=-2, axis2=-1).log().sum(-1)


def _precision_to_scale_tril(P: _Tensor) -> _Tensor:
    """The Cholesky factor of ``P^{-1}`` without forming the inverse (PyTorch's way):
    flip, factor, flip back, invert the triangle."""
    Lf = _cnp.linalg.cholesky(_cnp.flip(_symmetric(P), (-2, -1)))
    L_inv = _cnp.flip(Lf, (-2, -1)).swapaxes(-2, -1)
    return _cnp.tril(_cnp.linalg.solve(_lower(L_inv), _eye_like(P)))


class MultivariateNormal(_Distribution):
    """Mean vector ``loc`` (``..., n``) and exactly one of ``covariance_matrix``,
    ``precision_matrix`` or ``scale_tril`` (lower-triangular ``L`` with ``L L^T`` the
    covariance), each ``..., n, n``; batch dims broadcast. ``rsample`` is
    ``loc + L @ eps``, so gradients reach every parameter.

    >>> from chainrule import eye, zeros
    >>> MultivariateNormal(zeros(3, 2), scale_tril=eye(2)).batch_shape
    (3,)
    """

    arg_constraints = {"loc": _constraints.real_vector,
                       "covariance_matrix": _constraints.positive_definite,
                       "precision_matrix": _constraints.positive_definite,
                       "scale_tril": _constraints.lower_cholesky}
    support = _constraints.real_vector
    has_rsample = True

    def __init__(self, loc, covariance_matrix=None, precision_matrix=None, scale_tril=None,
                 validate_args: bool | None = None):
        loc = _as_tensor(loc)
        if loc.ndim < 1:
            raise ValueError("loc must be at least one-dimensional.")
        given = [(k, v) for k, v in (("scale_tril", scale_tril),
                                     ("covariance_matrix", covariance_matrix),
                                     ("precision_matrix", precision_matrix)) if v is not None]
        if len(given) != 1:
            raise ValueError("Exactly one of covariance_matrix or precision_matrix or "
                             "scale_tril may be specified.")
        name, matrix = given[0][0], _as_tensor(given[0][1])
        if matrix.ndim < 2:
            what = "scale_tril matrix" if name == "scale_tril" else name
            raise ValueError(f"{what} must be at least two-dimensional, with optional "
                             f"leading batch dimensions")
        n = loc.shape[-1]
        # PyTorch defers these mismatches to a later, less clear error; say it here.
        if matrix.shape[-2:] != (n, n):
            raise ValueError(f"MultivariateNormal: {name} of shape {tuple(matrix.shape)} "
                             f"does not match loc of shape {tuple(loc.shape)}; it must end "
                             f"in ({n}, {n})")
        try:
            batch_shape = _np.broadcast_shapes(tuple(matrix.shape[:-2]), tuple(loc.shape[:-1]))
        except ValueError:
            raise ValueError(f"MultivariateNormal: the batch dims of {name} "
                             f"{tuple(matrix.shape)} and loc {tuple(loc.shape)} do not "
                             f"broadcast") from None
        self.__dict__[name] = matrix.broadcast_to(batch_shape + (n, n))
        self.loc = loc.broadcast_to(batch_shape + (n,))
        super().__init__(batch_shape, (n,), validate_args=validate_args)
        if name == "scale_tril":
            self._unbroadcasted_scale_tril = matrix
        elif name == "covariance_matrix":
            self._unbroadcasted_scale_tril = _cnp.linalg.cholesky(_symmetric(matrix))
        else:
            self._unbroadcasted_scale_tril = _precision_to_scale_tril(matrix)

    def _full(self, matrix: _Tensor) -> _Tensor:
        return matrix.broadcast_to(self._batch_shape + self._event_shape * 2)

    @_cached_property
    def scale_tril(self) -> _Tensor:
        """``L``, lower triangular with positive diagonal, ``L L^T`` the covariance."""
        return self._full(self._unbroadcasted_scale_tril)

    @_cached_property
    def covariance_matrix(self) -> _Tensor:
        L = self._unbroadcasted_scale_tril
        return self._full(L @ L.swapaxes(-2, -1))

    @_cached_property
    def precision_matrix(self) -> _Tensor:
        L = self._unbroadcasted_scale_tril
        L_inv = _cnp.linalg.solve(_lower(L), _eye_like(L))
        return self._full(L_inv.swapaxes(-2, -1) @ L_inv)

    @property
    def mean(self) -> _Tensor:
        return self.loc

    @property
    def mode(self) -> _Tensor:
        return self.loc

    @property
    def variance(self) -> _Tensor:
        L = self._unbroadcasted_scale_tril
        return L.pow(2).sum(-1).broadcast_to(self._batch_shape + self._event_shape)

    def rsample(self, sample_shape=()) -> _Tensor:
        """``loc + L @ eps`` with ``eps`` standard normal from chainrule's generator."""
        eps = _randn(self._extended_shape(sample_shape), dtype=self.loc.dtype)
        return self.loc + (self._unbroadcasted_scale_tril @ eps.unsqueeze(-1)).squeeze(-1)

    def log_prob(self, value) -> _Tensor:
        value = self._value(value)
        L = self._unbroadcasted_scale_tril
        M = _batch_mahalanobis(L, value - self.loc)
        n = self._event_shape[0]
        return -0.5 * (n * _math.log(2 * _math.pi) + M) - _half_log_det(L)

    def entropy(self) -> _Tensor:
        n = self._event_shape[0]
        L = self._unbroadcasted_scale_tril
        H = 0.5 * n * (1.0 + _math.log(2 * _math.pi)) + _half_log_det(L)
        return H.broadcast_to(self._batch_shape)
