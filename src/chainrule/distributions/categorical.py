"""The categorical distribution over ``{0, ..., K-1}``, as ``torch.distributions.Categorical``.

>>> from chainrule import tensor
>>> from chainrule.distributions import Categorical
>>> Categorical(probs=tensor([0.25, 0.75])).log_prob(tensor(1)).exp()
tensor(0.75)
"""
from __future__ import annotations

import math as _math
from functools import cached_property as _cached_property

import numpy as _np

from .. import _backend
from ..autograd.tensor import Tensor as _Tensor
from ..nn.functional import log_softmax as _log_softmax
from . import constraints as _constraints
from .distribution import Distribution as _Distribution
from .utils import logits_to_probs as _logits_to_probs
from .utils import probs_to_logits as _probs_to_logits

__all__ = ["Categorical"]


def __dir__():
    return __all__


def _as_tensor(value) -> _Tensor:
    return value if isinstance(value, _Tensor) else _Tensor(value)


class Categorical(_Distribution):
    """Categories ``0..K-1`` with probabilities ``probs`` (normalized over the last dim) or
    unnormalized log-probabilities ``logits``; the last dim of the parameter is the category
    dim, the rest is ``batch_shape``. Samples are int64.

    >>> from chainrule import tensor
    >>> Categorical(logits=tensor([[0., 0.], [1., 1.]])).batch_shape
    (2,)
    """

    arg_constraints = {"probs": _constraints.simplex, "logits": _constraints.real_vector}
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args: bool | None = None):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            probs = _as_tensor(probs)
            if probs.ndim < 1:
                raise ValueError("`probs` parameter must be at least one-dimensional.")
            self.probs = probs / probs.sum(-1, keepdim=True)
            self._param = self.probs
        else:
            logits = _as_tensor(logits)
            if logits.ndim < 1:
                raise ValueError("`logits` parameter must be at least one-dimensional.")
            # Normalized log-probabilities: log_softmax is logits - logsumexp(logits).
            self.logits = _log_softmax(logits, dim=-1)
            self._param = self.logits
        self._num_events = self._param.shape[-1]
        super().__init__(tuple(self._param.shape[:-1]), validate_args=validate_args)

    @_cached_property
    def probs(self) -> _Tensor:
        """Probabilities of the categories (softmax of ``logits``)."""
        return _logits_to_probs(self.logits)

    @_cached_property
    def logits(self) -> _Tensor:
        """Normalized log-probabilities (``logsumexp`` over the last dim is 0)."""
        return _probs_to_logits(self.probs)

    @property
    def param_shape(self) -> tuple:
        return tuple(self._param.shape)

    @property
    def support(self):
        return _constraints.integer_interval(0, self._num_events - 1)

    @property
    def mean(self) -> _Tensor:
        return _nan(self._extended_shape(), self.probs.dtype)

    @property
    def variance(self) -> _Tensor:
        return _nan(self._extended_shape(), self.probs.dtype)

    @property
    def mode(self) -> _Tensor:
        return self.probs.argmax(-1)

    def sample(self, sample_shape=()) -> _Tensor:
        """int64 samples of shape ``sample_shape + batch_shape``, by inverting each row's
        cumulative distribution at uniform draws from chainrule's generator."""
        shape = self._extended_shape(sample_shape)
        n = _math.prod(shape[:len(shape) - len(self._batch_shape)])
        probs = self.probs._data.reshape(-1, self._num_events).astype(_np.float64)
        cdf = probs.cumsum(-1)
        cdf /= cdf[:, -1:]  # the last entry is exactly 1, so a draw in [0, 1) never passes it
        u = _backend.generator().random((n, probs.shape[0]))
        idx = (cdf[None] <= u[..., None]).sum(-1)
        idx = _np.minimum(idx, self._num_events - 1)
        return _Tensor(idx.reshape(shape).astype(_np.int64))

    def log_prob(self, value) -> _Tensor:
        """``logits`` at the category ``value`` (broadcast against ``batch_shape``)."""
        value = self._value(value).long().unsqueeze(-1)
        shape = _np.broadcast_shapes(tuple(value.shape), tuple(self.logits.shape))
        value = value.broadcast_to(shape[:-1] + (1,))
        return self.logits.broadcast_to(shape).gather(-1, value).squeeze(-1)

    def entropy(self) -> _Tensor:
        """``-sum(p log p)``; categories of probability 0 add 0 (not ``0 * -inf``)."""
        logits = self.logits.clamp(min=float(_np.finfo(self.logits.dtype).min))
        return -(logits * self.probs).sum(-1)

    def enumerate_support(self, expand: bool = True) -> _Tensor:
        """The categories ``0..K-1`` along dim 0, broadcast over ``batch_shape``."""
        values = _np.arange(self._num_events, dtype=_np.int64)
        values = values.reshape((-1,) + (1,) * len(self._batch_shape))
        if expand:
            values = _np.broadcast_to(values, (self._num_events,) + self._batch_shape)
        return _Tensor(_np.ascontiguousarray(values))


def _nan(shape: tuple, dtype) -> _Tensor:
    return _Tensor(_np.full(shape, _np.nan, dtype=dtype))
