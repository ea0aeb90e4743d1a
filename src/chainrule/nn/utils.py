"""Gradient clipping."""
from __future__ import annotations as _annotations

import math as _math

import numpy as _np

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


def _grads(parameters):
    if hasattr(parameters, "grad"):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False):
    """Scale all gradients together so their total norm is at most ``max_norm``; returns
    the norm before clipping."""
    grads = _grads(parameters)
    if not grads:
        return 0.0
    if norm_type == _math.inf:
        total = max(float(_np.abs(g._data).max()) for g in grads)
    else:
        total = float(sum(float((_np.abs(g._data) ** norm_type).sum()) for g in grads)
                      ** (1.0 / norm_type))
    if error_if_nonfinite and not _math.isfinite(total):
        raise RuntimeError(f"clip_grad_norm_: the total norm is {total}")
    coef = max_norm / (total + 1e-6)
    if coef < 1:
        for g in grads:
            g._data *= coef
    return total


def clip_grad_value_(parameters, clip_value: float) -> None:
    for g in _grads(parameters):
        _np.clip(g._data, -clip_value, clip_value, out=g._data)
