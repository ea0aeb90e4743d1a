"""The Bernoulli distribution over ``{0, 1}``, as ``torch.distributions.Bernoulli``.

>>> from chainrule import tensor
>>> from chainrule.distributions import Bernoulli
>>> Bernoulli(probs=tensor([0.25])).log_prob(tensor([1.])).exp()
tensor([0.25])
"""
from __future__ import annotations

from functools import cached_property as _cached_property
from numbers import Number as _Number

import numpy as _np

from .. import _backend
from ..autograd.tensor import Tensor as _Tensor
from ..nn.functional import binary_cross_entropy_with_logits as _bce_with_logits
from . import constraints as _constraints
from .distribution import Distribution as _Distribution
from .utils import broadcast_all as _broadcast_all
from .utils import logits_to_probs as _logits_to_probs
from .utils import probs_to_logits as _probs_to_logits

__all__ = ["Bernoulli"]


def __dir__():
    return __all__


class Bernoulli(_Distribution):
    """1 with probability ``probs`` (or ``sigmoid(logits)``), else 0. Samples have the
    parameter's floating dtype, as PyTorch's.

    >>> Bernoulli(logits=0.0).probs
    tensor(0.5)
    """

    arg_constraints = {"probs": _constraints.unit_interval, "logits": _constraints.real}
    support = _constraints.boolean
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args: bool | None = None):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            is_scalar = isinstance(probs, _Number)
            (self.probs,) = _broadcast_all(probs)
            self._param = self.probs
        else:
            is_scalar = isinstance(logits, _Number)
            (self.logits,) = _broadcast_all(logits)
            self._param = self.logits
        batch_shape = () if is_scalar else tuple(self._param.shape)
        super().__init__(batch_shape, validate_args=validate_args)

    @_cached_property
    def probs(self) -> _Tensor:
        """The probability of 1 (``sigmoid(logits)``)."""
        return _logits_to_probs(self.logits, is_binary=True)

    @_cached_property
    def logits(self) -> _Tensor:
        """The log-odds ``log(p) - log(1 - p)``, with ``p`` clamped away from 0 and 1."""
        return _probs_to_logits(self.probs, is_binary=True)

    @property
    def param_shape(self) -> tuple:
        return tuple(self._param.shape)

    @property
    def mean(self) -> _Tensor:
        return self.probs

    @property
    def mode(self) -> _Tensor:
        # PyTorch: NaN where both outcomes are equally likely.
        probs = self.probs
        return (probs >= 0.5).to(probs.dtype).where(probs != 0.5, float("nan"))

    @property
    def variance(self) -> _Tensor:
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape=()) -> _Tensor:
        """0/1 samples of shape ``sample_shape + batch_shape`` in the parameter's dtype."""
        shape = self._extended_shape(sample_shape)
        u = _backend.generator().random(shape)
        return _Tensor((u < self.probs._data).astype(self.probs.dtype))

    def log_prob(self, value) -> _Tensor:
        """``value * log(p) + (1 - value) * log(1 - p)``, computed from the logits."""
        logits, value = _broadcast_all(self.logits, self._value(value))
        return -_bce_with_logits(logits, value, reduction="none")

    def entropy(self) -> _Tensor:
        return _bce_with_logits(self.logits, self.probs, reduction="none")

    def enumerate_support(self, expand: bool = True) -> _Tensor:
        """``[0, 1]`` along dim 0, broadcast over ``batch_shape``."""
        values = _np.arange(2, dtype=self._param.dtype)
        values = values.reshape((-1,) + (1,) * len(self._batch_shape))
        if expand:
            values = _np.broadcast_to(values, (2,) + self._batch_shape)
        return _Tensor(_np.ascontiguousarray(values))
