"""The normal (Gaussian) distribution, as ``torch.distributions.Normal``.

>>> from chainrule import tensor
>>> from chainrule.distributions import Normal
>>> Normal(0.0, 1.0).log_prob(tensor(0.0))
tensor(-0.9189385)
"""
from __future__ import annotations

import math as _math
from numbers import Number as _Number

from ..autograd.tensor import Tensor as _Tensor
from ..creation import randn as _randn
from . import constraints as _constraints
from .distribution import Distribution as _Distribution
from .utils import broadcast_all as _broadcast_all

__all__ = ["Normal"]


def __dir__():
    return __all__


_LOG_SQRT_2PI = _math.log(_math.sqrt(2 * _math.pi))


class Normal(_Distribution):
    """Mean ``loc`` and standard deviation ``scale`` (> 0), broadcast together.
    ``rsample`` is ``loc + eps * scale``, so gradients reach both.

    >>> from chainrule import tensor
    >>> Normal(tensor([0., 1.]), 2.0).batch_shape
    (2,)
    """

    arg_constraints = {"loc": _constraints.real, "scale": _constraints.positive}
    support = _constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args: bool | None = None):
        self.loc, self.scale = _broadcast_all(loc, scale)
        both_numbers = isinstance(loc, _Number) and isinstance(scale, _Number)
        batch_shape = () if both_numbers else tuple(self.loc.shape)
        super().__init__(batch_shape, validate_args=validate_args)

    @property
    def mean(self) -> _Tensor:
        return self.loc

    @property
    def mode(self) -> _Tensor:
        return self.loc

    @property
    def stddev(self) -> _Tensor:
        return self.scale

    @property
    def variance(self) -> _Tensor:
        return self.scale.pow(2)

    def rsample(self, sample_shape=()) -> _Tensor:
        """``loc + eps * scale`` with ``eps`` standard normal from chainrule's generator."""
        eps = _randn(self._extended_shape(sample_shape), dtype=self.loc.dtype)
        return self.loc + eps * self.scale

    def log_prob(self, value) -> _Tensor:
        value = self._value(value)
        var = self.scale ** 2
        return -((value - self.loc) ** 2) / (2 * var) - self.scale.log() - _LOG_SQRT_2PI

    def cdf(self, value) -> _Tensor:
        value = self._value(value)
        return 0.5 * (1 + ((value - self.loc) * self.scale.reciprocal() / _math.sqrt(2)).erf())

    def entropy(self) -> _Tensor:
        return 0.5 + 0.5 * _math.log(2 * _math.pi) + self.scale.log()
