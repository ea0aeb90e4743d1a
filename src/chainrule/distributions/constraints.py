"""Constraints on distribution parameters and supports, named and printed as PyTorch's
``torch.distributions.constraints``. ``check`` takes a raw array (NumPy or CuPy) and returns
a boolean array over the batch dims: validation reads values and records no graph.

>>> from chainrule.distributions import constraints
>>> import numpy as np
>>> bool(constraints.simplex.check(np.array([0.25, 0.75])))
True
"""
from __future__ import annotations

from .._backend import array_module as _array_module

__all__ = ["Constraint", "real", "real_vector", "positive", "unit_interval", "boolean",
           "simplex", "integer_interval", "positive_definite", "lower_cholesky"]


def __dir__():
    return __all__


class Constraint:
    """A region values may lie in; ``event_dim`` dims on the right are checked together."""

    event_dim = 0

    def check(self, value):
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__[1:]}()"


class _Real(Constraint):
    def check(self, value):
        return value == value  # false only for NaN, as PyTorch's real


class _GreaterThan(Constraint):
    def __init__(self, lower_bound):
        self.lower_bound = lower_bound

    def check(self, value):
        return self.lower_bound < value

    def __repr__(self) -> str:
        return f"GreaterThan(lower_bound={self.lower_bound})"


class _Interval(Constraint):
    def __init__(self, lower_bound, upper_bound):
        self.lower_bound, self.upper_bound = lower_bound, upper_bound

    def check(self, value):
        return (self.lower_bound <= value) & (value <= self.upper_bound)

    def __repr__(self) -> str:
        return f"Interval(lower_bound={self.lower_bound}, upper_bound={self.upper_bound})"


class _IntegerInterval(_Interval):
    def check(self, value):
        return (value % 1 == 0) & super().check(value)

    def __repr__(self) -> str:
        return (f"IntegerInterval(lower_bound={self.lower_bound}, "
                f"upper_bound={self.upper_bound})")


class _Boolean(Constraint):
    def check(self, value):
        return (value == 0) | (value == 1)


class _Independent(Constraint):
    def __init__(self, base: Constraint, reinterpreted_batch_ndims: int):
        self.base, self.reinterpreted_batch_ndims = base, reinterpreted_batch_ndims
        self.event_dim = base.event_dim + reinterpreted_batch_ndims

    def check(self, value):
        ok = self.base.check(value)
        axes = tuple(range(-self.reinterpreted_batch_ndims, 0))
        return ok.all(axis=axes) if axes else ok

    def __repr__(self) -> str:
        return f"IndependentConstraint({self.base!r}, {self.reinterpreted_batch_ndims})"


class _Simplex(Constraint):
    event_dim = 1

    def check(self, value):
        # PyTorch's tolerance: non-negative entries summing to 1 within 1e-6.
        return (value >= 0).all(axis=-1) & (abs(value.sum(axis=-1) - 1) < 1e-6)


class _PositiveDefinite(Constraint):
    event_dim = 2

    def check(self, value):
        xp = _array_module(value)
        symmetric = xp.isclose(value, xp.swapaxes(value, -1, -2), atol=1e-6).all(axis=(-2, -1))
        # Positive definite exactly when the symmetric part has positive eigenvalues.
        if value.size == 0:
            return symmetric
        eig = xp.linalg.eigvalsh(value)
        return symmetric & (eig > 0).all(axis=-1)


class _LowerCholesky(Constraint):
    event_dim = 2

    def check(self, value):
        xp = _array_module(value)
        lower = (xp.tril(value) == value).all(axis=(-2, -1))
        diag = xp.diagonal(value, axis1=-2, axis2=-1)
        return lower & (diag > 0).all(axis=-1)


real = _Real()
real_vector = _Independent(real, 1)
positive = _GreaterThan(0.0)
unit_interval = _Interval(0.0, 1.0)
boolean = _Boolean()
simplex = _Simplex()
positive_definite = _PositiveDefinite()
lower_cholesky = _LowerCholesky()


def integer_interval(lower_bound: int, upper_bound: int) -> Constraint:
    """Integers in ``[lower_bound, upper_bound]``.

    >>> integer_interval(0, 2)
    IntegerInterval(lower_bound=0, upper_bound=2)
    """
    return _IntegerInterval(lower_bound, upper_bound)
