"""Margin, ranking and embedding losses, as in ``torch.nn.functional``: margin_ranking,
hinge_embedding, soft_margin, multilabel_soft_margin, multilabel_margin, multi_margin,
cosine_embedding, triplet_margin and triplet_margin_with_distance.

Every loss is composed from existing differentiable ops (clamp, where, exp, log, norms), so
its VJP and JVP, first and higher order, come from those ops. Where PyTorch's kernel clamps
at zero (``clamp_min(x, 0)``) the composite uses ``clamp`` too, which passes the gradient at
exactly 0 as PyTorch does; where the kernel tests ``z > 0`` it uses ``relu``.
"""
from __future__ import annotations

import numpy as np

from ..autograd.primitives import apply
from ..autograd.tensor import Tensor, make_tensor
from ..errors import IndexOutOfRangeError, OpError
from ..ops import elementwise as ew
from ..ops import index as ix
from ..ops import reduce as rd
from ..ops import shape as sh
from ..ops._util import data_of, shape_of
from .activation import logsigmoid
from .distance import pairwise_distance
from .losses import check_reduction, legacy_reduction, reduce_loss

__all__ = ["margin_ranking_loss", "hinge_embedding_loss", "soft_margin_loss",
           "multilabel_soft_margin_loss", "multilabel_margin_loss", "multi_margin_loss",
           "cosine_embedding_loss", "triplet_margin_loss", "triplet_margin_with_distance_loss"]


def _tensor(x) -> Tensor:
    return x if isinstance(x, Tensor) else make_tensor(x)


def _broadcast(op: str, *xs) -> tuple:
    """The broadcast shape of ``xs`` (PyTorch broadcasts these losses' operands silently)."""
    shapes = [tuple(shape_of(x)) for x in xs]
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        raise OpError(f"{op}: the shapes {', '.join(map(str, shapes))} do not broadcast "
                      f"together; make their sizes match or be 1") from None


def _reduction(op: str, size_average, reduce, reduction: str) -> str:
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction(op, reduction)
    return reduction


def margin_ranking_loss(input1, input2, target, margin: float = 0, size_average=None,
                        reduce=None, reduction: str = "mean"):
    """``max(0, -target * (input1 - input2) + margin)``: ``target`` = 1 asks for input1 to
    rank higher, -1 for input2. The three must have the same number of dims (then they
    broadcast).

    >>> import chainrule as cr
    >>> margin_ranking_loss(cr.tensor([1.]), cr.tensor([2.]), cr.tensor([1.])).item()
    1.0
    """
    op = "margin_ranking_loss"
    reduction = _reduction(op, size_average, reduce, reduction)
    dims = [len(shape_of(x)) for x in (input1, input2, target)]
    if len(set(dims)) != 1:
        raise OpError(f"{op}: All input tensors should have same dimension but got sizes: "
                      f"input1: {tuple(shape_of(input1))}, input2: {tuple(shape_of(input2))}, "
                      f"target: {tuple(shape_of(target))}")
    _broadcast(op, input1, input2, target)
    loss = ew.clamp(-target * (input1 - input2) + margin, min=0.0)
    return reduce_loss(loss, reduction, op)


def hinge_embedding_loss(input, target, margin: float = 1.0, size_average=None, reduce=None,
                         reduction: str = "mean"):
    """``input`` where target = 1, ``max(0, margin - input)`` where target = -1 (``input``
    is usually a distance); a target of another value takes both terms, as PyTorch's.

    >>> import chainrule as cr
    >>> round(hinge_embedding_loss(cr.tensor([0.3, 2.]), cr.tensor([1., -1.])).item(), 4)
    0.15
    """
    op = "hinge_embedding_loss"
    reduction = _reduction(op, size_average, reduce, reduction)
    _broadcast(op, input, target)
    t = np.asarray(data_of(target))
    margin_term = apply(ew.where_p, (t != 1, ew.clamp(margin - input, min=0.0), 0.0))
    self_term = apply(ew.where_p, (t != -1, input, 0.0))
    return reduce_loss(margin_term + self_term, reduction, op)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction: str = "mean"):
    """Two-class logistic loss ``log(1 + exp(-target * input))``, targets 1 or -1.

    >>> import chainrule as cr
    >>> round(soft_margin_loss(cr.tensor([0.]), cr.tensor([1.])).item(), 4)
    0.6931
    """
    op = "soft_margin_loss"
    reduction = _reduction(op, size_average, reduce, reduction)
    _broadcast(op, input, target)
    # PyTorch's formula, log1p(exp(.)), kept as is: its values and gradients are the oracle.
    return reduce_loss(ew.log1p(ew.exp(-input * target)), reduction, op)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None,
                                reduction: str = "mean"):
    """One-versus-all logistic loss over the classes (the last dim) of ``input`` (N, C) or
    (C,), against 0/1 ``target`` of the same shape, averaged over the classes:
    ``-mean_c(w_c (t log sigmoid(x) + (1 - t) log sigmoid(-x)))``, one value per sample.
    """
    op = "multilabel_soft_margin_loss"
    reduction = _reduction(op, size_average, reduce, reduction)
    shape = tuple(shape_of(input))
    if not shape:
        raise OpError(f"{op}: expected scores of shape (N, C) or (C,), got a scalar")
    _broadcast(op, input, target) if weight is None else _broadcast(op, input, target, weight)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    loss = rd.sum(loss, -1) / shape[-1]
    return reduce_loss(loss, reduction, op)


def _index_target(op: str, target, what: str = "target") -> np.ndarray:
    t = np.asarray(data_of(target))
    if t.dtype.kind not in "iu":
        raise OpError(f"{op}: {what} must hold integer class indices (int64), got dtype "
                      f"{t.dtype}")
    return t


def multilabel_margin_loss(input, target, size_average=None, reduce=None,
                           reduction: str = "mean"):
    """Multi-class multi-label hinge loss. ``target`` (the input's shape, (N, C) or (C,))
    lists each sample's classes, ended by the first -1; the loss of a sample is
    ``sum_{j in targets} sum_{i not in targets} max(0, 1 - (x[j] - x[i])) / C``.

    >>> import chainrule as cr
    >>> x = cr.tensor([[0.1, 0.2, 0.4, 0.8]])
    >>> round(multilabel_margin_loss(x, cr.tensor([[3, 0, -1, 1]])).item(), 4)
    0.85
    """
    op = "multilabel_margin_loss"
    reduction = _reduction(op, size_average, reduce, reduction)
    shape = tuple(shape_of(input))
    t = _index_target(op, target)
    if len(shape) > 2 or (len(shape) == 2 and shape[1] == 0) or \
            (len(shape) < 2 and int(np.prod(shape)) == 0):
        raise OpError(f"{op}: Expected non-empty vector or matrix with optional 0-dim batch "
                      f"size, but got: {shape}")
    c = shape[-1] if shape else 1
    if (len(shape) <= 1 and (t.ndim > 1 or t.size != c)) or \
            (len(shape) == 2 and t.shape != shape):
        raise OpError(f"{op}: inconsistent target size: {t.shape} for input of size: {shape}; "
                      f"the target must have the input's shape")
    x = sh.reshape(input, (-1, c))
    t = t.reshape(-1, c)
    if t.size and (t.min() < -1 or t.max() >= c):
        raise IndexOutOfRangeError(f"{op}: target out of range: class indices must be in "
                                   f"[0, {c}) (or -1 to end the list), got values "
                                   f"{t.min()}..{t.max()}")
    # The targets of a row are its entries up to the first -1.
    listed = np.cumprod(t >= 0, axis=1).astype(bool)                      # (N, C) slots
    safe = np.where(listed, t, 0)
    rows = np.arange(t.shape[0])[:, None]
    is_target = np.zeros(t.shape, dtype=bool)
    is_target[np.broadcast_to(rows, t.shape)[listed], safe[listed]] = True  # (N, C) classes
    xt = ix.getitem(x, (rows, safe))                                      # (N, C) x[y_j]
    z = 1.0 - sh.unsqueeze(xt, 2) + sh.unsqueeze(x, 1)                     # (N, j, i)
    mask = listed[:, :, None] & ~is_target[:, None, :]
    terms = apply(ew.where_p, (mask, ew.relu(z), 0.0))
    loss = rd.sum(terms, (1, 2)) / c
    if len(shape) <= 1:
        loss = sh.reshape(loss, ())
    return reduce_loss(loss, reduction, op)


def multi_margin_loss(input, target, p: int = 1, margin: float = 1.0, weight=None,
                      size_average=None, reduce=None, reduction: str = "mean"):
    """Multi-class hinge loss of scores (N, C) or (C,) at class indices ``target`` (N,) or
    (): ``sum_{i != y} w_y max(0, margin - x[y] + x[i])^p / C``, p 1 or 2.

    >>> import chainrule as cr
    >>> round(multi_margin_loss(cr.tensor([[0.1, 0.2, 0.4, 0.8]]), cr.tensor([3])).item(), 4)
    0.325
    """
    op = "multi_margin_loss"
    reduction = _reduction(op, size_average, reduce, reduction)
    if p not in (1, 2):
        raise OpError(f"{op}: only p == 1 and p == 2 supported, got p={p}")
    shape = tuple(shape_of(input))
    if len(shape) > 2 or (len(shape) >= 1 and shape[-1] == 0):
        raise OpError(f"{op}: Expected non-empty vector or matrix with optional 0-dim batch "
                      f"size, but got: {shape}")
    t = _index_target(op, target)
    n = shape[0] if len(shape) == 2 else 1
    c = shape[-1] if shape else 1
    if t.ndim > 1 or t.size != n:
        raise OpError(f"{op}: target tensor should be 1-D with size equal to the number of "
                      f"input samples (batch size). Expected target size [{n}], but got "
                      f"{list(t.shape)}. Input has shape {list(shape)}.")
    if weight is not None and (len(shape_of(weight)) > 1 or
                               int(np.prod(shape_of(weight))) != c):
        raise OpError(f"{op}: inconsistent weight size, expected {c} but got "
                      f"{tuple(shape_of(weight))}")
    idx = t.reshape(-1)
    if idx.size and (idx.min() < 0 or idx.max() >= c):
        raise IndexOutOfRangeError(f"{op}: target out of range: class indices must be in "
                                   f"[0, {c}), got values {idx.min()}..{idx.max()}")
    x = sh.reshape(input, (n, c))
    rows = np.arange(n)
    xy = sh.unsqueeze(ix.getitem(x, (rows, idx)), 1)                # (N, 1)
    h = ew.relu(margin - xy + x)                                     # PyTorch: z > 0 only
    if p == 2:
        h = h * h
    if weight is not None:
        h = h * sh.unsqueeze(ix.getitem(sh.reshape(weight, (c,)), idx), 1)
    others = np.ones((n, c), dtype=bool)
    others[rows, idx] = False
    loss = rd.sum(apply(ew.where_p, (others, h, 0.0)), 1) / c
    if len(shape) <= 1:
        loss = sh.reshape(loss, t.shape)  # PyTorch keeps the target's shape, () or (1,)
    return reduce_loss(loss, reduction, op)


_COS_EPS = 1e-12  # PyTorch's EPSILON in the squared magnitudes


def cosine_embedding_loss(input1, input2, target, margin: float = 0, size_average=None,
                          reduce=None, reduction: str = "mean"):
    """``1 - cos(x1, x2)`` where target = 1, ``max(0, cos(x1, x2) - margin)`` where
    target = -1; inputs (N, D) with target (N,), or (D,) with a 0-d target.

    >>> import chainrule as cr
    >>> cosine_embedding_loss(cr.tensor([1., 0.]), cr.tensor([0., 1.]), cr.tensor(1.)).item()
    1.0
    """
    op = "cosine_embedding_loss"
    reduction = _reduction(op, size_average, reduce, reduction)
    tdim = len(shape_of(target))
    s1, s2 = tuple(shape_of(input1)), tuple(shape_of(input2))
    if tdim not in (0, 1):
        raise OpError(f"{op}: 0D or 1D target tensor expected, multi-target not supported "
                      f"(got a target of shape {tuple(shape_of(target))})")
    if tdim == 1 and not (len(s1) == 2 and len(s2) == 2):
        raise OpError(f"{op}: 1D target tensor expects 2D input tensors, but found inputs "
                      f"with sizes {s1} and {s2}.")
    if tdim == 0 and not (len(s1) == 1 and len(s2) == 1):
        raise OpError(f"{op}: 0D target tensor expects 1D input tensors, but found inputs "
                      f"with sizes {s1} and {s2}.")
    shape = _broadcast(op, input1, input2)
    _broadcast(op, np.empty(shape[:-1]), target)
    prod = rd.sum(input1 * input2, tdim)
    mag1 = rd.sum(input1 * input1, tdim) + _COS_EPS
    mag2 = rd.sum(input2 * input2, tdim) + _COS_EPS
    cos = prod / ew.sqrt(mag1 * mag2)
    t = np.asarray(data_of(target))
    pos = apply(ew.where_p, (t == 1, 1.0 - cos, 0.0))
    neg = apply(ew.where_p, (t == -1, ew.clamp(cos - margin, min=0.0), 0.0))
    return reduce_loss(pos + neg, reduction, op)


def _same_ndim(op: str, anchor, positive, negative) -> None:
    a, p, n = (len(shape_of(x)) for x in (anchor, positive, negative))
    if not a == p == n:
        raise OpError(f"{op}: The anchor, positive, and negative tensors are expected to have "
                      f"the same number of dimensions, but got: anchor {a}D, positive {p}D, "
                      f"and negative {n}D inputs")


def _triplet(op: str, dist, anchor, positive, negative, margin, swap, reduction):
    if not margin > 0:
        raise OpError(f"{op}: margin must be greater than 0, got {margin}")
    _same_ndim(op, anchor, positive, negative)
    d_pos = dist(anchor, positive)
    d_neg = dist(anchor, negative)
    if swap:  # the positive may be closer to the negative than the anchor is
        d_neg = ew.minimum(d_neg, dist(positive, negative))
    return reduce_loss(ew.clamp(margin + d_pos - d_neg, min=0.0), reduction, op)


def triplet_margin_loss(anchor, positive, negative, margin: float = 1.0, p: float = 2,
                        eps: float = 1e-6, swap: bool = False, size_average=None, reduce=None,
                        reduction: str = "mean"):
    """``max(0, margin + d(a, p) - d(a, n))`` with d the p-norm ``pairwise_distance``
    (over the last dim; (N, D) or (D,) inputs).

    >>> import chainrule as cr
    >>> a, n = cr.tensor([[0., 0.]]), cr.tensor([[3., 4.]])
    >>> triplet_margin_loss(a, a, n, eps=0.0).item()
    0.0
    """
    op = "triplet_margin_loss"
    reduction = _reduction(op, size_average, reduce, reduction)
    anchor, positive, negative = _tensor(anchor), _tensor(positive), _tensor(negative)
    return _triplet(op, lambda x, y: pairwise_distance(x, y, p, eps), anchor, positive,
                    negative, margin, swap, reduction)


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None,
                                      margin: float = 1.0, swap: bool = False,
                                      reduction: str = "mean"):
    """The triplet loss with any ``distance_function(x, y)`` (default: the Euclidean
    ``pairwise_distance``), e.g. ``lambda x, y: 1 - cosine_similarity(x, y)``."""
    op = "triplet_margin_with_distance_loss"
    check_reduction(op, reduction)
    dist = pairwise_distance if distance_function is None else distance_function
    return _triplet(op, dist, _tensor(anchor), _tensor(positive), _tensor(negative), margin,
                    swap, reduction)


def __dir__():  # dir() and tab completion show what the module exports, not its helpers
    return __all__
