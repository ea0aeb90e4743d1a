"""Pointwise losses, as in ``torch.nn.functional``: regression (mse, l1, huber, smooth l1),
binary cross-entropy (on probabilities or logits), KL divergence and the Poisson and Gaussian
negative log-likelihoods, with the reduction and target-shape rules they share with the
classification and margin losses (``legacy_reduction`` turns PyTorch's deprecated
``size_average``/``reduce`` pair into a ``reduction``).
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from ..autograd.primitives import apply
from ..autograd.tensor import Tensor, make_tensor
from ..errors import OpError
from ..ops import elementwise as ew
from ..ops import reduce as rd
from ..ops import shape as sh
from ..ops._util import data_of, shape_of
from ..ops.activations import binary_cross_entropy_p
from .activation import softplus

__all__ = ["check_reduction", "legacy_reduction", "reduce_loss", "mse_loss", "l1_loss",
           "huber_loss", "smooth_l1_loss",
           "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div",
           "poisson_nll_loss", "gaussian_nll_loss"]

_REDUCTIONS = ("mean", "sum", "none")


def check_reduction(op: str, reduction: str, extra: tuple = ()) -> None:
    """``reduction`` is 'mean', 'sum', 'none' or one of ``extra`` (kl_div's 'batchmean')."""
    if reduction not in _REDUCTIONS and reduction not in extra:
        choices = ", ".join(repr(r) for r in _REDUCTIONS + tuple(extra))
        raise OpError(f"{op}: reduction must be one of {choices}, got {reduction!r}")


def legacy_reduction(size_average, reduce, reduction: str = "mean") -> str:
    """PyTorch's deprecated ``size_average``/``reduce`` pair as a ``reduction`` (with its
    warning); ``reduction`` itself when both are None.

    >>> legacy_reduction(None, None, "sum")
    'sum'
    """
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    out = "mean" if size_average and reduce else "sum" if reduce else "none"
    warnings.warn(f"size_average and reduce args will be deprecated, please use "
                  f"reduction='{out}' instead.", UserWarning, stacklevel=3)
    return out


def reduce_loss(loss, reduction: str, name: str):
    """The elementwise ``loss`` reduced by ``reduction`` ('mean', 'sum' or 'none')."""
    if reduction == "mean":
        return rd.mean(loss)
    if reduction == "sum":
        return rd.sum(loss)
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


def _weighted(op: str, loss, weight, input, reduction: str, weight_sum_mean: bool):
    """PyTorch 2.x's elementwise ``weight`` (of the input's shape) for mse/l1/huber: the
    weighted 'mean' divides by the weights' sum (mse, l1) or by the count (huber)."""
    if weight is None:
        return reduce_loss(loss, reduction, op)
    if tuple(shape_of(weight)) != tuple(shape_of(input)):
        raise OpError(f"{op}: Weights and input must have the same size: weight "
                      f"{tuple(shape_of(weight))}, input {tuple(shape_of(input))}")
    loss = loss * weight
    if reduction == "mean" and weight_sum_mean:
        return rd.sum(loss) / rd.sum(weight)
    return reduce_loss(loss, reduction, op)


def mse_loss(input, target, size_average=None, reduce=None, reduction: str = "mean",
             weight=None):
    """(input - target)^2, reduced; an elementwise ``weight`` makes 'mean' a weighted mean.

    >>> import chainrule as cr
    >>> mse_loss(cr.tensor([1., 2.]), cr.tensor([1., 4.])).item()
    2.0
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction("mse_loss", reduction)
    _broadcast_target("mse_loss", input, target)
    diff = input - target
    return _weighted("mse_loss", diff * diff, weight, input, reduction, True)


def l1_loss(input, target, size_average=None, reduce=None, reduction: str = "mean",
            weight=None):
    """|input - target|, reduced; an elementwise ``weight`` makes 'mean' a weighted mean."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction("l1_loss", reduction)
    _broadcast_target("l1_loss", input, target)
    return _weighted("l1_loss", ew.absolute(input - target), weight, input, reduction, True)


def huber_loss(input, target, reduction: str = "mean", delta: float = 1.0, weight=None):
    """Quadratic within ``delta`` (> 0) of the target, linear beyond; an elementwise
    ``weight`` scales each term (the 'mean' still divides by the count, as PyTorch's)."""
    check_reduction("huber_loss", reduction)
    if not delta > 0:
        raise OpError(f"huber_loss: delta must be positive, got {delta}")
    _broadcast_target("huber_loss", input, target)
    diff = input - target
    a = ew.absolute(diff)
    quad = 0.5 * diff * diff
    lin = delta * (a - 0.5 * delta)
    return _weighted("huber_loss", apply(ew.where_p, (data_of(a) <= delta, quad, lin)), weight,
                     input, reduction, False)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction: str = "mean",
                   beta: float = 1.0):
    """Huber loss divided by ``beta`` (>= 0; 0 is the L1 loss)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction("smooth_l1_loss", reduction)
    if not beta >= 0:
        raise OpError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    _broadcast_target("smooth_l1_loss", input, target)
    diff = input - target
    if beta == 0:
        return reduce_loss(ew.absolute(diff), reduction, "smooth_l1_loss")
    a = ew.absolute(diff)
    out = apply(ew.where_p, (data_of(a) < beta, 0.5 * diff * diff / beta, a - 0.5 * beta))
    return reduce_loss(out, reduction, "smooth_l1_loss")


def _check_unit_interval(op: str, name: str, x) -> None:
    """Every value of ``x`` in [0, 1] (NaN is not): one min and one max."""
    data = np.asarray(data_of(x))
    if data.size:
        low, high = np.minimum.reduce(data, axis=None), np.maximum.reduce(data, axis=None)
        if not (low >= 0 and high <= 1):
            raise OpError(f"{op}: all elements of {name} should be between 0 and 1, got "
                          f"values in [{low}, {high}]; for logits use "
                          f"binary_cross_entropy_with_logits")


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction: str = "mean"):
    """-(t log p + (1 - t) log(1 - p)) of probabilities ``input`` in [0, 1]."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction("binary_cross_entropy", reduction)
    _same_shape_target("binary_cross_entropy", input, target)
    _check_unit_interval("binary_cross_entropy", "input", input)
    _check_unit_interval("binary_cross_entropy", "target", target)
    # One primitive: PyTorch clamps the logs at -100 and floors p (1 - p) in the gradient,
    # so that p = 0 or 1 gives a finite loss and a finite gradient (see ops.activations).
    loss = apply(binary_cross_entropy_p, (input, target))
    if weight is not None:
        loss = loss * weight
    return reduce_loss(loss, reduction, "binary_cross_entropy")


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction: str = "mean", pos_weight=None):
    """BCE on logits, stable for any magnitude: softplus(-x) = -log sigmoid(x). ``weight``
    and ``pos_weight`` (the positives' weight, broadcast along the last, class, dim) are
    broadcast against the loss, as PyTorch's."""
    reduction = legacy_reduction(size_average, reduce, reduction)
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
    return reduce_loss(loss, reduction, "binary_cross_entropy_with_logits")


def kl_div(input, target, size_average=None, reduce=None, reduction: str = "mean",
           log_target: bool = False):
    """KL(target || exp(input)) pointwise; ``reduction='batchmean'`` divides by the batch."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction("kl_div", reduction, ("batchmean",))
    _broadcast_target("kl_div", input, target, warn=False)  # PyTorch broadcasts silently
    if reduction == "mean":
        warnings.warn("kl_div: reduction='mean' divides the total loss by both the batch size "
                      "and the support size; 'batchmean' divides only by the batch size, as "
                      "the KL divergence's definition does", UserWarning, stacklevel=2)
    if log_target:
        loss = ew.exp(target) * (target - input)
    else:
        # 0 log 0 = 0: the log is taken where the target is positive only; a negative
        # target gives nan (its log), as PyTorch's xlogy(t, t) - t * input does.
        t = np.asarray(data_of(target))
        safe_log = ew.log(apply(ew.where_p, (t > 0, target, 1.0)))
        if (t < 0).any():
            safe_log = apply(ew.where_p, (t < 0, np.nan, safe_log))
        loss = target * (safe_log - input)
    if reduction == "batchmean":
        shape = shape_of(input)
        return rd.sum(loss) / (shape[0] if shape else 1)
    return reduce_loss(loss, reduction, "kl_div")


def poisson_nll_loss(input, target, log_input: bool = True, full: bool = False,
                     size_average=None, eps: float = 1e-8, reduce=None, reduction: str = "mean"):
    """Negative log-likelihood of a Poisson ``target`` with rate ``exp(input)`` (``log_input``)
    or ``input``: ``exp(x) - t x`` or ``x - t log(x + eps)``; ``full`` adds Stirling's term
    ``t log t - t + log(2 pi t) / 2`` where t > 1.

    >>> import chainrule as cr
    >>> poisson_nll_loss(cr.tensor([0.]), cr.tensor([1.])).item()
    1.0
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction("poisson_nll_loss", reduction)
    _broadcast_target("poisson_nll_loss", input, target, warn=False)
    if log_input:
        loss = ew.exp(input) - target * input
    else:
        loss = input - target * ew.log(input + eps)
    if full:
        big = np.asarray(data_of(target)) > 1
        # The term is taken where t > 1 only, so that t = 0 gives no 0 log 0 (and no NaN
        # gradient): t is replaced by 2 elsewhere, then the term by 0.
        t = apply(ew.where_p, (big, target, 2.0))
        stirling = t * ew.log(t) - t + 0.5 * ew.log(t * (2 * math.pi))
        loss = loss + apply(ew.where_p, (big, stirling, 0.0))
    return reduce_loss(loss, reduction, "poisson_nll_loss")


def gaussian_nll_loss(input, target, var, full: bool = False, eps: float = 1e-6,
                      reduction: str = "mean"):
    """Negative log-likelihood of ``target`` under N(input, var):
    ``(log max(var, eps) + (input - target)^2 / max(var, eps)) / 2`` (+ log(2 pi) / 2 when
    ``full``). ``var`` has the input's shape, or it lacks the last dim, or it has size 1 in
    one dim (one variance shared along it), or it is a number.

    >>> import chainrule as cr
    >>> gaussian_nll_loss(cr.tensor([1.]), cr.tensor([1.]), cr.tensor([1.])).item()
    0.0
    """
    op = "gaussian_nll_loss"
    shape = tuple(shape_of(input))
    if isinstance(var, (int, float)):
        if var < 0:
            raise OpError(f"{op}: var has negative entry/entries ({var}); variances must be "
                          f">= 0")
        check_reduction(op, reduction)
        var = max(float(var), eps)
        diff = input - target
        loss = 0.5 * (math.log(var) + diff * diff / var)
        if full:
            loss = loss + 0.5 * math.log(2 * math.pi)
        return reduce_loss(loss, reduction, op)
    else:
        var = var if isinstance(var, Tensor) else make_tensor(np.asarray(var))
        v = np.asarray(data_of(var))
        if v.size and np.minimum.reduce(v, axis=None) < 0:
            raise OpError(f"{op}: var has negative entry/entries; variances must be >= 0")
        vshape = tuple(v.shape)
        if vshape != shape:
            if shape[:-1] == vshape:
                var = sh.unsqueeze(var, -1)  # one variance per row (homoscedastic)
            elif not (len(shape) == len(vshape)
                      and sum(b for a, b in zip(shape, vshape) if a != b) == 1):
                raise OpError(f"{op}: var is of incorrect size {vshape} for an input of shape "
                              f"{shape}: give it the input's shape, the input's shape without "
                              f"its last dim, or size 1 in one dim")
    check_reduction(op, reduction)
    # PyTorch clamps a copy of var under no_grad: the gradient flows as if unclamped.
    fixed = var.detach()
    var = var + (ew.clamp(fixed, min=eps) - fixed)
    diff = input - target
    loss = 0.5 * (ew.log(var) + diff * diff / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return reduce_loss(loss, reduction, op)


def __dir__():  # dir() and tab completion show what the module exports, not its helpers
    return __all__
