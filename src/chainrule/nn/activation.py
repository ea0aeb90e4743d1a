"""Activation functions, as in ``torch.nn.functional``: the elementwise ones (relu, gelu...)
and softmax / log-softmax along a dim.
"""
from __future__ import annotations

from .. import _surface
from ..autograd.primitives import apply
from ..ops._util import normalize_axis, shape_of
from ..ops.frontends import _require_floating
from ..ops.softmax import log_softmax_p, softmax_p

__all__ = ["relu", "sigmoid", "tanh", "silu", "leaky_relu", "elu", "gelu", "softplus",
           "softmax", "log_softmax"]

# The elementwise activations are the op table's (the Tensor methods' own functions).
_TABLE = _surface.functional_table()
relu, sigmoid, tanh, silu = _TABLE["relu"], _TABLE["sigmoid"], _TABLE["tanh"], _TABLE["silu"]
leaky_relu, elu, gelu, softplus = (_TABLE["leaky_relu"], _TABLE["elu"], _TABLE["gelu"],
                                   _TABLE["softplus"])


def _softmax_axis(op: str, x, dim) -> int:
    """The axis of a softmax, checked as PyTorch does: the dim first, then the dtype
    (integer and bool tensors raise unless empty: PyTorch returns an empty tensor of their
    dtype)."""
    shape = shape_of(x)
    axis = normalize_axis(op, dim, len(shape))
    if all(shape):  # not empty (a 0-d tensor holds one element)
        _require_floating(op, x)
    return axis


def softmax(x, dim: int = -1):
    """exp(x) / sum(exp(x)) along ``dim``, as one primitive."""
    return apply(softmax_p, (x,), {"axis": _softmax_axis("softmax", x, dim)})


def log_softmax(x, dim: int = -1):
    """log(softmax(x)) along ``dim``, computed stably as one primitive."""
    return apply(log_softmax_p, (x,), {"axis": _softmax_axis("log_softmax", x, dim)})


def __dir__():  # dir() and tab completion show what the module exports, not its helpers
    return __all__
