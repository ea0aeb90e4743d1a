"""PyTorch-style free functions (``chainrule.exp(x)``, ``chainrule.sum(x, dim=0)``, ...):
the same ops the Tensor methods use."""
from __future__ import annotations

from .autograd.primitives import apply
from .methods import _METHODS, _UNARY_METHODS, _unary
from .ops import elementwise as ew
from .ops import linalg
from .ops import shape as sh
from .ops._util import data_of

_free = {name: _unary(prim) for name, prim in _UNARY_METHODS.items()}
for _name in ("add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "pow",
              "floor_divide", "remainder", "fmod", "maximum", "minimum", "atan2", "arctan2",
              "logaddexp", "hypot", "clamp", "clip", "clamp_min", "clamp_max", "round",
              "eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_xor",
              "logical_not", "isnan", "isinf", "isfinite", "all", "any",
              "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "bitwise_left_shift",
              "bitwise_right_shift",
              "sum", "mean", "var", "std", "prod", "max", "min", "amax", "amin", "argmax",
              "argmin", "logsumexp", "cumsum", "cumprod", "norm",
              "reshape", "flatten", "ravel", "squeeze", "unsqueeze", "expand_dims",
              "broadcast_to", "transpose", "permute", "swapaxes", "swapdims", "moveaxis",
              "movedim", "tile", "flip", "roll", "split", "chunk", "unbind", "gather",
              "index_select", "take_along_dim", "masked_fill", "clone",
              "leaky_relu", "elu", "gelu", "softplus"):
    _free[_name] = _METHODS[_name]
globals().update(_free)

matmul = linalg.matmul
mm, bmm, dot = linalg.mm, linalg.bmm, linalg.dot
cat = concatenate = sh.concatenate
stack = sh.stack
pad = sh.pad


def where(condition, input=None, other=None):
    """``input`` where ``condition`` holds, else ``other``; gradients flow to both."""
    if input is None and other is None:
        from .numpy import where as np_where
        return np_where(condition)
    return apply(ew.where_, (data_of(condition), input, other))


__all__ = sorted(list(_free) + ["matmul", "mm", "bmm", "cat", "concatenate", "stack", "pad",
                                "where", "dot"])
