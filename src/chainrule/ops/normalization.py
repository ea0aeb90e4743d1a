"""Normalization: (x - mean) / sqrt(var + eps) over given axes as one primitive, the core of
layer, group and batch normalization.
"""
from __future__ import annotations

from ..autograd.primitives import Primitive, apply, defjvp, defvjp
from ._util import shape_of

__all__ = ["normalize_p", "normalize"]


def _normalize(xp, x, axes, eps):
    mu = xp.mean(x, axis=axes, keepdims=True)
    centered = x - mu
    var = xp.mean(centered * centered, axis=axes, keepdims=True)
    return centered / xp.sqrt(var + eps)


def _rstd(xp, x, axes, eps):
    centered = x - xp.mean(x, axis=axes, keepdims=True)
    return 1.0 / xp.sqrt(xp.mean(centered * centered, axis=axes, keepdims=True) + eps)


def _normalize_scale(xp, v, ans, x, axes, eps):
    # d xhat = rstd (v - mean(v) - xhat mean(v xhat)): the same map for VJP and JVP.
    return _rstd(xp, x, axes, eps) * (v - xp.mean(v, axis=axes, keepdims=True)
                                      - ans * xp.mean(v * ans, axis=axes, keepdims=True))


normalize_p = Primitive("normalize", _normalize, saves=(0,), saves_ans=True)
defvjp(normalize_p, _normalize_scale)
defjvp(normalize_p, lambda xp, ts, ans, x, axes, eps: _normalize_scale(xp, ts[0], ans, x,
                                                                       axes, eps))


def normalize(x, axes, eps: float = 1e-5):
    """(x - mean) / sqrt(var + eps) over ``axes`` (biased variance), as one primitive."""
    nd = len(shape_of(x))
    return apply(normalize_p, (x,), {"axes": tuple(sorted(a % nd for a in axes)), "eps": eps})


def __dir__():  # dir() and tab completion show what the module exports, not its helpers
    return __all__
