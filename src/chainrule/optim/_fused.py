"""Fused optimizer updates: one loop over a flat buffer instead of a NumPy call per
operation (PyTorch's ``fused=True`` kernels, here compiled by numba: the ``compile`` extra).

``compile(fuse=True)`` runs an elementwise optimizer's step over one flat buffer per
parameter group (``compiler._flat``); where the optimizer has a kernel here, that buffer is
updated by it. A kernel performs ``_update``'s operations in ``_update``'s order, per
element, in the parameters' dtype, with each Python scalar rounded to that dtype first as
NumPy does (a Python float is a "weak" scalar), so the result is the same bit for bit.
Without numba there is no kernel and ``_update`` runs.
"""
from __future__ import annotations

import functools
import math

import numpy as np

__all__ = ["adam", "sgd"]


_KERNEL_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _kernel(loop):
    """``loop`` compiled by numba on first use (cached on disk), as a function that returns
    it, or None without numba. ``error_model="numpy"``: x / 0 is inf, as in NumPy, with no
    check per element, so the loop vectorizes."""
    @functools.cache
    def compiled():
        try:
            import numba
        except ImportError:
            return None
        return numba.njit(cache=True, nogil=True, error_model="numpy")(loop)
    return compiled


@_kernel
def _adam_kernel(param, grad, m, v, negate, has_l2, s):
    # s: 1 - lr * wd (AdamW's decay, else 1), wd (Adam's L2), b1, 1 - b1, b2, 1 - b2,
    # sqrt(1 - b2 ** t), eps, lr / (1 - b1 ** t): in the parameters' dtype
    decay, l2, b1, c1, b2, c2, root2, eps, step = s[0], s[1], s[2], s[3], s[4], s[5], \
        s[6], s[7], s[8]
    for i in range(param.size):
        g = -grad[i] if negate else grad[i]
        p = param[i] * decay  # AdamW: param *= 1 - lr * wd
        if has_l2:  # Adam's L2 decay: g + wd * param
            g = g + l2 * p
        mi = m[i] * b1 + c1 * g
        vi = v[i] * b2 + (c2 * g) * g
        m[i] = mi
        v[i] = vi
        param[i] = p - step * (mi / (np.sqrt(vi) / root2 + eps))


def adam(param, grad, state, group, decoupled: bool) -> bool:
    """Adam's (``decoupled``: AdamW's) ``_update`` on flat 1-D arrays by one kernel; False
    (nothing done) where there is none: no numba, AMSGrad, or a state not yet made."""
    if group["amsgrad"] or "exp_avg" not in state or param.ndim != 1 or grad.ndim != 1:
        return False
    kernel = _adam_kernel()
    if kernel is None:
        return False
    m, v = state["exp_avg"], state["exp_avg_sq"]
    if m.ndim != 1 or v.ndim != 1 or not (param.dtype == grad.dtype == m.dtype == v.dtype) \
            or param.dtype not in _KERNEL_DTYPES:
        return False
    state["step"] += 1
    t = state["step"]
    b1, b2 = group["betas"]
    lr, eps, wd = group["lr"], group["eps"], group["weight_decay"]
    # Rounded to the parameters' dtype in one array, as NumPy rounds a Python float operand.
    scalars = np.array([1 - lr * wd if decoupled else 1, wd, b1, 1 - b1, b2, 1 - b2,
                        math.sqrt(1 - b2 ** t), eps, lr / (1 - b1 ** t)], param.dtype)
    kernel(param, grad, m, v, bool(group["maximize"]), bool(wd) and not decoupled, scalars)
    return True


@_kernel
def _sgd_kernel(param, grad, buf, negate, has_l2, has_momentum, nesterov, s):
    # s: lr, weight decay, momentum, 1 - dampening: in the parameters' dtype
    lr, wd, momentum, damped = s[0], s[1], s[2], s[3]
    for i in range(param.size):
        g = -grad[i] if negate else grad[i]
        if has_l2:  # _decayed: g + wd * param
            g = g + wd * param[i]
        if has_momentum:  # buf *= momentum; buf += (1 - dampening) * g
            b = buf[i] * momentum + damped * g
            buf[i] = b
            g = g + momentum * b if nesterov else b
        param[i] = param[i] - lr * g


def sgd(param, grad, state, group) -> bool:
    """SGD's ``_update`` on flat 1-D arrays by one kernel; False (nothing done) where there
    is none: no numba, another dtype, or momentum whose buffer is not made yet (the first
    step copies the gradient into it)."""
    momentum = group["momentum"]
    buf = state.get("momentum_buffer") if momentum else param  # (unread without momentum)
    if buf is None or param.ndim != 1 or grad.ndim != 1 or buf.ndim != 1 or \
            not (param.dtype == grad.dtype == buf.dtype) or param.dtype not in _KERNEL_DTYPES:
        return False
    kernel = _sgd_kernel()
    if kernel is None:
        return False
    wd = group["weight_decay"]
    scalars = np.array([group["lr"], wd, momentum, 1 - group["dampening"]], param.dtype)
    kernel(param, grad, buf, bool(group["maximize"]), bool(wd), bool(momentum),
           bool(group["nesterov"]), scalars)
    return True


def __dir__():
    return __all__
