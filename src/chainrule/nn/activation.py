"""Activation functions, as in ``torch.nn.functional``: the elementwise ones (relu, gelu...)
and softmax / log-softmax along a dim.
"""
from __future__ import annotations

from .. import _surface
from ..autograd.primitives import apply
from ..ops._util import normalize_axis, shape_of
from ..ops.softmax import log_softmax_p, softmax_p

__all__ = ["relu", "sigmoid", "tanh", "silu", "leaky_relu", "elu", "gelu", "softplus",
           "softmax", "log_softmax"]

# The elementwise activations are the op table's (the Tensor methods' own functions).
_TABLE = _surface.functional_table()
relu, sigmoid, tanh, silu = _TABLE["relu"], _TABLE["sigmoid"], _TABLE["tanh"], _TABLE["silu"]
leaky_relu, elu, gelu, softplus = (_TABLE["leaky_relu"], _TABLE["elu"], _TABLE["gelu"],
                                   _TABLE["softplus"])


def softmax(x, dim: int = -1):
    """exp(x) / sum(exp(x)) along ``dim``, as one primitive."""
    return apply(softmax_p, (x,), {"axis": normalize_axis("softmax", dim, len(shape_of(x)))})


def log_softmax(x, dim: int = -1):
    """log(softmax(x)) along ``dim``, computed stably as one primitive."""
    return apply(log_softmax_p, (x,), {"axis": normalize_axis("log_softmax", dim,
                                                               len(shape_of(x)))})


def __dir__():  # dir() and tab completion show what the module exports, not its helpers
    return __all__
