"""Dropout, and the check of a dropout probability that the layers share."""
from __future__ import annotations

from .. import _backend
from ..errors import OpError
from ..ops._util import data_of

__all__ = ["check_dropout_p", "dropout"]


def check_dropout_p(op: str, p) -> float:
    """A dropout probability, which PyTorch requires to be in [0, 1]."""
    if not 0.0 <= p <= 1.0:  # also refuses NaN
        raise OpError(f"{op}: dropout probability has to be between 0 and 1, but got {p}")
    return p


def dropout(x, p: float = 0.5, training: bool = True):
    """Zero each element with probability ``p`` and scale the rest by 1/(1-p)."""
    check_dropout_p("dropout", p)
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * 0.0
    data = data_of(x)
    keep = _backend.generator().random(data.shape) >= p
    return x * (keep.astype(data.dtype) / (1.0 - p))


def __dir__():  # dir() and tab completion show what the module exports, not its helpers
    return __all__
