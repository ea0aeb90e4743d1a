"""Primitives of the ``nn.functional`` activations and losses that no composite of the
elementwise primitives gives exactly.

Binary cross-entropy is one: PyTorch clamps its two logs at -100, so that a probability of
exactly 0 or 1 gives a finite loss, and gives the input the gradient
(p - t) / max(p (1 - p), 1e-12), finite there too. The derivative of the clamped composite
would be 0 * inf = NaN at those points.
"""
from __future__ import annotations

from .elementwise import binary

__all__ = ["binary_cross_entropy_p"]

_LOG_FLOOR = -100.0  # PyTorch's clamp of log(p) and log(1 - p)
# PyTorch's floor of p (1 - p) in the input gradient: its constant 1e-12 is a float32
# (9.99999996e-13), so that the gradient at p = 0 or 1 is PyTorch's to the last digit.
_EPS = 9.999999960041972e-13


def _clamped_log(xp, x):
    """max(log(x), -100), without evaluating log(0) (no divide-by-zero warning)."""
    positive = x > 0
    return xp.where(positive, xp.maximum(xp.log(xp.where(positive, x, 1.0)), _LOG_FLOOR),
                    _LOG_FLOOR)


def _bce(xp, p, t):
    return -(t * _clamped_log(xp, p) + (1.0 - t) * _clamped_log(xp, 1.0 - p))


def _bce_scale_p(xp, v, ans, p, t):
    return v * ((p - t) / xp.maximum(p * (1.0 - p), _EPS))


def _bce_scale_t(xp, v, ans, p, t):
    # The derivative of the clamped loss in t: finite everywhere (PyTorch's is -logit(p),
    # unclamped, so +-inf at p = 0 or 1).
    return v * (_clamped_log(xp, 1.0 - p) - _clamped_log(xp, p))


binary_cross_entropy_p = binary("binary_cross_entropy", _bce, _bce_scale_p, _bce_scale_t,
                                integer_rule="float_only")


def __dir__():  # dir() and tab completion show what the module exports, not its helpers
    return __all__
