"""Pointwise losses, as in ``torch.nn.functional``: regression (mse, l1, huber, smooth l1),
binary cross-entropy (on probabilities or logits) and KL divergence, with the reduction
and target-shape rules they share with the classification losses.
"""
from __future__ import annotations

import warnings

import numpy as np

from ..autograd.primitives import apply
from ..errors import OpError
from ..ops import elementwise as ew
from ..ops import reduce
from ..ops._util import data_of, shape_of
from ..ops.activations import binary_cross_entropy_p
from .activation import softplus

__all__ = ["check_reduction", "mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss",
           "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div"]

_REDUCTIONS = ("mean", "sum", "none")


def check_reduction(op: str, reduction: str, extra: tuple = ()) -> None:
    """``reduction`` is 'mean', 'sum', 'none' or one of ``extra`` (kl_div's 'batchmean')."""
    if reduction not in _REDUCTIONS and reduction not in extra:
        choices = ", ".join(repr(r) for r in _REDUCTIONS + tuple(extra))
        raise OpError(f"{op}: reduction must be one of {choices}, got {reduction!r}")


def _reduce_loss(loss, reduction: str, name: str):
    if reduction == "mean":
        return reduce.mean(loss)
    if reduction == "sum":
        return reduce.sum(loss)
    if reduction == "none":
        return loss
    check_reduction(name, reduction)  # raises


def _broadcast_target(op: str, input, target, warn: bool = True) -> None:
    """PyTorch's rule for the pointwise losses: a target of another shape is broadcast
    against the input (with PyTorch's warning, when ``warn``); shapes that do not broadcast
    are an error. A valid call pays one tuple comparison."""
    a, b = tuple(shape_of(input)), tuple(shape_of(target))
    if a == b:
        return
    try:
        np.broadcast_shapes(a, b)
    except ValueError:
        raise OpError(f"{op}: the target of shape {b} does not broadcast with the input of "
                      f"shape {a}; give them the same shape") from None
    if warn and hasattr(target, "shape"):  # a Python number broadcasts, as intended
        warnings.warn(f"{op}: Using a target size ({b}) that is different to the input size "
                      f"({a}). This will likely lead to incorrect results due to "
                      f"broadcasting. Please ensure they have the same size.", UserWarning,
                      stacklevel=3)


def _same_shape_target(op: str, input, target) -> None:
    """The binary cross-entropies take no broadcast target (PyTorch's ValueError)."""
    a, b = tuple(shape_of(input)), tuple(shape_of(target))
    if a != b:
        raise OpError(f"{op}: the target's shape {b} must be the same as the input's {a}")


def mse_loss(input, target, reduction: str = "mean"):
    """(input - target)^2, reduced."""
    check_reduction("mse_loss", reduction)
    _broadcast_target("mse_loss", input, target)
    diff = input - target
    return _reduce_loss(diff * diff, reduction, "mse_loss")


def l1_loss(input, target, reduction: str = "mean"):
    """|input - target|, reduced."""
    check_reduction("l1_loss", reduction)
    _broadcast_target("l1_loss", input, target)
    return _reduce_loss(ew.absolute(input - target), reduction, "l1_loss")


def huber_loss(input, target, reduction: str = "mean", delta: float = 1.0):
    """Quadratic within ``delta`` (> 0) of the target, linear beyond."""
    check_reduction("huber_loss", reduction)
    if not delta > 0:
        raise OpError(f"huber_loss: delta must be positive, got {delta}")
    _broadcast_target("huber_loss", input, target)
    diff = input - target
    a = ew.absolute(diff)
    quad = 0.5 * diff * diff
    lin = delta * (a - 0.5 * delta)
    return _reduce_loss(apply(ew.where_p, (data_of(a) <= delta, quad, lin)), reduction,
                        "huber_loss")


def smooth_l1_loss(input, target, reduction: str = "mean", beta: float = 1.0):
    """Huber loss divided by ``beta`` (>= 0; 0 is the L1 loss)."""
    check_reduction("smooth_l1_loss", reduction)
    if not beta >= 0:
        raise OpError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    _broadcast_target("smooth_l1_loss", input, target)
    diff = input - target
    if beta == 0:
        return _reduce_loss(ew.absolute(diff), reduction, "smooth_l1_loss")
    a = ew.absolute(diff)
    out = apply(ew.where_p, (data_of(a) < beta, 0.5 * diff * diff / beta, a - 0.5 * beta))
    return _reduce_loss(out, reduction, "smooth_l1_loss")


def _check_unit_interval(op: str, name: str, x) -> None:
    """Every value of ``x`` in [0, 1] (NaN is not): one min and one max."""
    data = np.asarray(data_of(x))
    if data.size:
        low, high = np.minimum.reduce(data, axis=None), np.maximum.reduce(data, axis=None)
        if not (low >= 0 and high <= 1):
            raise OpError(f"{op}: all elements of {name} should be between 0 and 1, got "
                          f"values in [{low}, {high}]; for logits use "
                          f"binary_cross_entropy_with_logits")


def binary_cross_entropy(input, target, weight=None, reduction: str = "mean"):
    """-(t log p + (1 - t) log(1 - p)) of probabilities ``input`` in [0, 1]."""
    check_reduction("binary_cross_entropy", reduction)
    _same_shape_target("binary_cross_entropy", input, target)
    _check_unit_interval("binary_cross_entropy", "input", input)
    _check_unit_interval("binary_cross_entropy", "target", target)
    # One primitive: PyTorch clamps the logs at -100 and floors p (1 - p) in the gradient,
    # so that p = 0 or 1 gives a finite loss and a finite gradient (see ops.activations).
    loss = apply(binary_cross_entropy_p, (input, target))
    if weight is not None:
        loss = loss * weight
    return _reduce_loss(loss, reduction, "binary_cross_entropy")


def binary_cross_entropy_with_logits(input, target, weight=None, reduction: str = "mean",
                                     pos_weight=None):
    """BCE on logits, stable for any magnitude: softplus(-x) = -log sigmoid(x)."""
    check_reduction("binary_cross_entropy_with_logits", reduction)
    _same_shape_target("binary_cross_entropy_with_logits", input, target)
    log_sig = -softplus(-input)
    log_one_minus = -softplus(input)
    if pos_weight is not None:
        loss = -(pos_weight * target * log_sig + (1.0 - target) * log_one_minus)
    else:
        loss = -(target * log_sig + (1.0 - target) * log_one_minus)
    if weight is not None:
        loss = loss * weight
    return _reduce_loss(loss, reduction, "binary_cross_entropy_with_logits")


def kl_div(input, target, reduction: str = "mean", log_target: bool = False):
    """KL(target || exp(input)) pointwise; ``reduction='batchmean'`` divides by the batch."""
    check_reduction("kl_div", reduction, ("batchmean",))
    _broadcast_target("kl_div", input, target, warn=False)  # PyTorch broadcasts silently
    if reduction == "mean":
        warnings.warn("kl_div: reduction='mean' divides the total loss by both the batch size "
                      "and the support size; 'batchmean' divides only by the batch size, as "
                      "the KL divergence's definition does", UserWarning, stacklevel=2)
    if log_target:
        loss = ew.exp(target) * (target - input)
    else:
        # 0 log 0 = 0: the log is taken where the target is positive only.
        safe_log = ew.log(apply(ew.where_p, (np.asarray(data_of(target)) > 0, target, 1.0)))
        loss = target * (safe_log - input)
    if reduction == "batchmean":
        shape = shape_of(input)
        return reduce.sum(loss) / (shape[0] if shape else 1)
    return _reduce_loss(loss, reduction, "kl_div")


def __dir__():  # dir() and tab completion show what the module exports, not its helpers
    return __all__
