"""Softmax and log-softmax along one axis, each one primitive, computed stably (the maximum
subtracted first); both VJPs read the output only.
"""
from __future__ import annotations

from ..autograd.primitives import Primitive, defjvp, defvjp

__all__ = ["softmax_p", "log_softmax_p"]


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


def __dir__():  # dir() and tab completion show what the module exports, not its helpers
    return __all__
