"""Softmax and log-softmax along one axis, each one primitive, computed stably (the maximum
subtracted first); both VJPs read the output only. ``softmax`` and ``log_softmax`` are
``nn.functional``'s and, through the op table, Tensor methods.
"""
from __future__ import annotations

import warnings

from ..autograd.primitives import Primitive, apply, defjvp, defvjp
from . import shape as sh
from ._util import normalize_axis, shape_of
from .frontends import _require_floating

__all__ = ["softmax_p", "log_softmax_p", "softmax", "log_softmax", "softmax_axis",
           "implicit_dim"]


def _log_softmax(xp, x, axis):
    if x.size == 0:  # an empty input (a dim of size 0 included): an empty result, as torch
        return xp.empty_like(x)
    m = xp.amax(x, axis=axis, keepdims=True)
    shifted = x - m
    return shifted - xp.log(xp.sum(xp.exp(shifted), axis=axis, keepdims=True))


def _softmax(xp, x, axis):
    if x.size == 0:
        return xp.empty_like(x)
    e = xp.exp(x - xp.amax(x, axis=axis, keepdims=True))
    e /= xp.sum(e, axis=axis, keepdims=True)
    return e


log_softmax_p = Primitive("log_softmax", _log_softmax, saves=(), saves_ans=True)
defvjp(log_softmax_p, lambda xp, g, ans, x, axis:
       g - xp.exp(ans) * xp.sum(g, axis=axis, keepdims=True))
defjvp(log_softmax_p, lambda xp, ts, ans, x, axis:
       ts[0] - xp.sum(xp.exp(ans) * ts[0], axis=axis, keepdims=True))

softmax_p = Primitive("softmax", _softmax, saves=(), saves_ans=True)
defvjp(softmax_p, lambda xp, g, ans, x, axis:
       ans * (g - xp.sum(g * ans, axis=axis, keepdims=True)))
defjvp(softmax_p, lambda xp, ts, ans, x, axis:
       ans * (ts[0] - xp.sum(ts[0] * ans, axis=axis, keepdims=True)))



def softmax_axis(op: str, x, dim) -> int:
    """The axis of a softmax, checked as PyTorch does: the dim first, then the dtype
    (integer and bool tensors raise unless empty: PyTorch returns an empty tensor of their
    dtype)."""
    shape = shape_of(x)
    axis = normalize_axis(op, dim, len(shape))
    if all(shape):  # not empty (a 0-d tensor holds one element)
        _require_floating(op, x)
    return axis


def implicit_dim(op: str, ndim: int, stacklevel: int) -> int:
    """PyTorch's deprecated choice of a dim when none is given: 0 for 0-, 1- and 3-d
    inputs, else 1, with its warning."""
    warnings.warn(f"Implicit dimension choice for {op} has been deprecated. Change the call "
                  f"to include dim=X as an argument.", UserWarning, stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def _along(prim, op, x, dim, stacklevel, dtype):
    if dim is None:
        dim = implicit_dim(op, len(shape_of(x)), stacklevel + 1)
    if dtype is not None:
        x = sh.cast(x, dtype)
    return apply(prim, (x,), {"axis": softmax_axis(op, x, dim)})


def softmax(input, dim=None, _stacklevel: int = 3, dtype=None):
    """exp(x) / sum(exp(x)) along ``dim`` (after a cast to ``dtype``, when given), as one
    primitive.

    >>> import chainrule as cr
    >>> cr.tensor([1.0, 1.0]).softmax(0).tolist()
    [0.5, 0.5]
    """
    return _along(softmax_p, "softmax", input, dim, _stacklevel, dtype)


def log_softmax(input, dim=None, _stacklevel: int = 3, dtype=None):
    """log(softmax(x)) along ``dim`` (after a cast to ``dtype``, when given), computed
    stably as one primitive."""
    return _along(log_softmax_p, "log_softmax", input, dim, _stacklevel, dtype)


def __dir__():  # dir() and tab completion show what the module exports, not its helpers
    return __all__
