"""The base class of chainrule's distributions, with PyTorch's ``Distribution`` API:
``batch_shape``/``event_shape``, ``sample``/``rsample``, ``log_prob``, ``entropy``,
``mean``/``variance``/``stddev`` and argument validation (on by default, as PyTorch's
``validate_args`` under ``__debug__``).

>>> from chainrule.distributions import Normal
>>> Normal(0.0, 1.0).batch_shape
()
"""
from __future__ import annotations

import operator as _operator

from ..autograd.tensor import Tensor as _Tensor
from .constraints import Constraint as _Constraint

__all__ = ["Distribution"]


def __dir__():
    return __all__


def _size(op: str, shape) -> tuple:
    """``sample_shape`` as a tuple of non-negative ints (PyTorch takes a ``torch.Size``)."""
    if isinstance(shape, int) or not hasattr(shape, "__iter__"):
        raise TypeError(f"{op}: sample_shape must be a tuple of ints such as (5,), got "
                        f"{shape!r}")
    shape = tuple(_operator.index(n) for n in shape)
    if any(n < 0 for n in shape):
        raise ValueError(f"{op}: sample_shape must not be negative, got {shape}")
    return shape


class Distribution:
    """A probability distribution over tensors of shape ``batch_shape + event_shape``."""

    has_rsample = False
    has_enumerate_support = False
    _validate_args = __debug__
    arg_constraints: dict = {}
    support: _Constraint | None = None

    @staticmethod
    def set_default_validate_args(value: bool) -> None:
        """Turn argument validation on or off for distributions made later.

        >>> Distribution.set_default_validate_args(True)
        """
        if value not in (True, False):
            raise ValueError(f"set_default_validate_args: expected True or False, got {value!r}")
        Distribution._validate_args = value

    def __init__(self, batch_shape=(), event_shape=(), validate_args: bool | None = None):
        self._batch_shape = tuple(batch_shape)
        self._event_shape = tuple(event_shape)
        if validate_args is not None:
            self._validate_args = validate_args
        if self._validate_args:
            for param, constraint in self.arg_constraints.items():
                if param not in self.__dict__:
                    continue  # a parameter computed lazily from the one given
                value = self.__dict__[param]
                if not bool(constraint.check(value._data).all()):
                    raise ValueError(
                        f"Expected parameter {param} ({type(value).__name__} of shape "
                        f"{tuple(value.shape)}) of distribution {self!r} to satisfy the "
                        f"constraint {constraint!r}, but found invalid values:\n{value}")

    @property
    def batch_shape(self) -> tuple:
        """The shape over which parameters are batched."""
        return self._batch_shape

    @property
    def event_shape(self) -> tuple:
        """The shape of a single sample (without batching)."""
        return self._event_shape

    @property
    def mean(self) -> _Tensor:
        raise NotImplementedError(f"{type(self).__name__} has no mean")

    @property
    def mode(self) -> _Tensor:
        raise NotImplementedError(f"{type(self).__name__} has no mode")

    @property
    def variance(self) -> _Tensor:
        raise NotImplementedError(f"{type(self).__name__} has no variance")

    @property
    def stddev(self) -> _Tensor:
        """The standard deviation: the square root of ``variance``."""
        return self.variance.sqrt()

    def sample(self, sample_shape=()) -> _Tensor:
        """Samples of shape ``sample_shape + batch_shape + event_shape``, outside the graph.
        Reproducible with ``chainrule.manual_seed``."""
        return self.rsample(sample_shape).detach()

    def rsample(self, sample_shape=()) -> _Tensor:
        """Reparameterized samples: gradients flow from them back to the parameters."""
        raise NotImplementedError(f"{type(self).__name__} has no rsample (has_rsample is "
                                  f"False); use sample")

    def log_prob(self, value: _Tensor) -> _Tensor:
        raise NotImplementedError

    def cdf(self, value: _Tensor) -> _Tensor:
        raise NotImplementedError(f"{type(self).__name__} has no cdf")

    def entropy(self) -> _Tensor:
        raise NotImplementedError(f"{type(self).__name__} has no entropy")

    def perplexity(self) -> _Tensor:
        """``exp(entropy)``."""
        return self.entropy().exp()

    def enumerate_support(self, expand: bool = True) -> _Tensor:
        raise NotImplementedError(f"{type(self).__name__} has no enumerate_support")

    def _extended_shape(self, sample_shape=()) -> tuple:
        return _size(f"{type(self).__name__}.sample", sample_shape) + self._batch_shape \
            + self._event_shape

    def _validate_sample(self, value) -> None:
        if not isinstance(value, _Tensor):
            raise ValueError("The value argument to log_prob must be a Tensor")
        shape, event = tuple(value.shape), self._event_shape
        if shape[len(shape) - len(event):] != event:
            raise ValueError(f"The right-most size of value must match event_shape: "
                             f"{shape} vs {event}.")
        expected = self._batch_shape + event
        for i, j in zip(reversed(shape), reversed(expected)):
            if i != 1 and j != 1 and i != j:
                raise ValueError(f"Value is not broadcastable with batch_shape+event_shape: "
                                 f"{shape} vs {expected}.")
        if self.support is not None and not bool(self.support.check(value._data).all()):
            raise ValueError(
                f"Expected value argument ({type(value).__name__} of shape {shape}) to be "
                f"within the support ({self.support!r}) of the distribution {self!r}, but "
                f"found invalid values:\n{value}")

    def _value(self, value) -> _Tensor:
        """``value`` checked (when validating) and as a Tensor."""
        if self._validate_args:
            self._validate_sample(value)
        return value if isinstance(value, _Tensor) else _Tensor(value)

    def __repr__(self) -> str:
        def show(v):
            return v.item() if v.numel() == 1 else tuple(v.shape)
        args = ", ".join(f"{k}: {show(self.__dict__[k])}" for k in self.arg_constraints
                         if k in self.__dict__)
        return f"{type(self).__name__}({args})"
