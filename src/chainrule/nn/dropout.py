"""Dropout (elementwise and channel-wise: dropout1d/2d/3d with their Modules), and the check
of a dropout probability that the layers share."""
from __future__ import annotations

import warnings

from .. import _backend
from ..errors import OpError
from ..ops import shape as sh
from ..ops._util import data_of, shape_of
from .module import Module

__all__ = ["check_dropout_p", "dropout", "dropout1d", "dropout2d", "dropout3d", "Dropout1d",
           "Dropout2d", "Dropout3d"]


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


def _feature_dropout(x, p: float, training: bool):
    """Zero whole channels (dim 1) of a batched input, one draw per (sample, channel)."""
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * 0.0
    shape = shape_of(x)
    data = data_of(x)
    keep = _backend.generator().random(shape[:2] + (1,) * (len(shape) - 2)) >= p
    return x * (keep.astype(data.dtype) / (1.0 - p))


def _channel_dropout(op: str, x, p: float, training: bool, spatial: int):
    check_dropout_p(op, p)
    ndim = len(shape_of(x))
    if op == "dropout1d" and ndim not in (2, 3):
        raise OpError(f"dropout1d: expected a 2-D (C, L) or 3-D (N, C, L) input, got a {ndim}-D "
                      f"input of shape {tuple(shape_of(x))}")
    if op != "dropout1d" and ndim not in (spatial + 1, spatial + 2):
        warnings.warn(f"{op}: received a {ndim}-D input, which PyTorch deprecates; {op} is for "
                      f"{spatial + 1}-D or {spatial + 2}-D inputs (use dropout otherwise)",
                      stacklevel=3)
    # PyTorch's dropout2d reads a 3-D input as batched (N, C, L); the others add a batch dim.
    batched = ndim == spatial + 2 or (op == "dropout2d" and ndim == 3) or ndim < spatial + 1
    if batched:
        return _feature_dropout(x, p, training)
    return sh.squeeze(_feature_dropout(sh.unsqueeze(x, 0), p, training), 0)


def dropout1d(input, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Zero whole channels of an (N, C, L) or (C, L) input with probability ``p``, scaling
    the rest by 1/(1-p).

    >>> from chainrule import ones
    >>> dropout1d(ones(2, 3, 4), 0.5, training=False).shape
    (2, 3, 4)
    """
    return _channel_dropout("dropout1d", input, p, training, 1)


def dropout2d(input, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Zero whole channels of an (N, C, H, W) input (a 3-D input is read as (N, C, L), as
    PyTorch does).

    >>> from chainrule import ones
    >>> dropout2d(ones(2, 3, 4, 4), 1.0).sum().item()
    0.0
    """
    return _channel_dropout("dropout2d", input, p, training, 2)


def dropout3d(input, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Zero whole channels of an (N, C, D, H, W) or (C, D, H, W) input.

    >>> from chainrule import ones
    >>> dropout3d(ones(3, 2, 2, 2), 0.0).shape
    (3, 2, 2, 2)
    """
    return _channel_dropout("dropout3d", input, p, training, 3)


class _DropoutNd(Module):
    _fn = None

    def __init__(self, p: float = 0.5, inplace: bool = False):
        super().__init__()
        self.p = check_dropout_p(type(self).__name__, p)
        self.inplace = inplace

    def forward(self, x):
        return type(self)._fn(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout1d(_DropoutNd):
    """``dropout1d`` as a Module (active in training mode)."""
    _fn = staticmethod(dropout1d)


class Dropout2d(_DropoutNd):
    """``dropout2d`` as a Module (active in training mode)."""
    _fn = staticmethod(dropout2d)


class Dropout3d(_DropoutNd):
    """``dropout3d`` as a Module (active in training mode)."""
    _fn = staticmethod(dropout3d)


def __dir__():  # dir() and tab completion show what the module exports, not its helpers
    return __all__
