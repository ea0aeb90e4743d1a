"""Fused cross-entropy of logits (N, C): log-softmax and the weighted sum in one primitive,
against class probabilities (``cross_entropy_p``) or class indices
(``cross_entropy_classes_p``, which keeps the forward's softmax as a residual for its VJP).
"""
from __future__ import annotations

import numpy as np

from ..autograd.primitives import Primitive, call, defjvp, defvjp
from ._util import shape_of
from .softmax import log_softmax_p, softmax_p

__all__ = ["cross_entropy_p", "cross_entropy_classes_p"]


def _cross_entropy_rows(xp, logits, q):
    """Per row: -sum_c q_c log softmax(z)_c = (sum_c q_c) lse - sum_c q_c z_c."""
    m = xp.amax(logits, axis=1, keepdims=True)
    lse = xp.log(xp.sum(xp.exp(logits - m), axis=1, keepdims=True)) + m
    return xp.sum(q * (lse - logits), axis=1)


def _ce_vjp_logits(xp, g, ans, z, q):
    p = call(xp, softmax_p, z, axis=1)
    return xp.expand_dims(g, 1) * (p * xp.sum(q, axis=1, keepdims=True) - q)


def _ce_vjp_q(xp, g, ans, z, q):
    return -xp.expand_dims(g, 1) * call(xp, log_softmax_p, z, axis=1)


cross_entropy_p = Primitive("cross_entropy", _cross_entropy_rows, saves=(0, 1),
                            saves_ans=False)
defvjp(cross_entropy_p, _ce_vjp_logits, _ce_vjp_q)


def _ce_jvp(xp, ts, ans, z, q):
    total = None
    if ts[0] is not None:
        p = call(xp, softmax_p, z, axis=1)
        total = xp.sum(ts[0] * (p * xp.sum(q, axis=1, keepdims=True) - q), axis=1)
    if ts[1] is not None:
        term = -xp.sum(ts[1] * call(xp, log_softmax_p, z, axis=1), axis=1)
        total = term if total is None else total + term
    return total


defjvp(cross_entropy_p, _ce_jvp)


def _row_factor(g, scale, divisor):
    """What each row's loss is multiplied by: ``g``, the row weights, 1 / divisor."""
    f = g / divisor if divisor != 1 else g
    return f if scale is None else f * scale


def _ce_classes(xp, z, idx, scale, divisor, reduced, residual=False):
    """Cross-entropy of logits ``z`` (N, C) at class indices ``idx`` (N,), each row weighted
    by ``scale`` (None: 1), divided by ``divisor``, summed when ``reduced``:
    lse(z_i) - z_i[idx_i] per row."""
    m = xp.amax(z, axis=1, keepdims=True)
    e = xp.exp(z - m)
    s = xp.sum(e, axis=1, keepdims=True)
    per = xp.log(s[:, 0]) + m[:, 0] - z[xp.arange(z.shape[0]), idx]
    if scale is not None:
        per *= scale
    if divisor != 1:
        per /= divisor
    if residual:
        e /= s  # the softmax, which the VJP needs
    return (xp.sum(per) if reduced else per), (e if residual else None)


def _ce_classes_vjp(xp, g, p, z, idx, scale, divisor, reduced):
    # softmax(z) - onehot(idx), each row times its factor; ``p`` is the forward's softmax
    # (None in a recorded backward pass). It is not written to: a retained graph reuses it.
    if p is None:
        p = call(xp, softmax_p, z, axis=1)
    rows = np.arange(len(idx))
    factor = _row_factor(g, scale, divisor)
    if isinstance(p, np.ndarray):
        out = p * (xp.expand_dims(factor, 1) if factor.ndim else factor)
        out[rows, idx] -= factor
        return out
    onehot = np.zeros(shape_of(z), dtype=p.dtype)
    onehot[rows, idx] = 1.0
    return (p - onehot) * (xp.expand_dims(factor, 1) if factor.ndim else factor)


def _ce_classes_jvp(xp, ts, ans, z, idx, scale, divisor, reduced):
    t = ts[0]
    p = call(xp, softmax_p, z, axis=1)
    per = xp.sum(p * t, axis=1) - t[np.arange(shape_of(z)[0]), idx]
    per = _row_factor(per, scale, divisor)
    return xp.sum(per) if reduced else per


cross_entropy_classes_p = Primitive("cross_entropy_classes", _ce_classes, saves=(0, 1),
                                    residual=True)
defvjp(cross_entropy_classes_p, _ce_classes_vjp)
defjvp(cross_entropy_classes_p, _ce_classes_jvp)


def __dir__():  # dir() and tab completion show what the module exports, not its helpers
    return __all__
