"""Classification losses over class scores (N, C, d...) or (C,), as in
``torch.nn.functional``: ``cross_entropy`` (on the fused cross-entropy primitives; class
indices or class probabilities, label smoothing) and ``nll_loss``, with PyTorch's checks of
class-index targets, ``ignore_index`` and class weights.
"""
from __future__ import annotations

import numpy as np

from ..autograd.primitives import apply
from ..autograd.tensor import Tensor
from ..errors import IndexOutOfRangeError, OpError
from ..ops import index as ix
from ..ops import reduce as rd
from ..ops import shape as sh
from ..ops._util import data_of, shape_of
from ..ops.cross_entropy import cross_entropy_classes_p, cross_entropy_p
from .embedding import in_range, index_span, spans
from .losses import check_reduction, legacy_reduction

__all__ = ["cross_entropy", "nll_loss"]


def _class_last(x):
    """(N, C, d1, ...) -> (N*d1*..., C)."""
    nd = len(shape_of(x))
    if nd == 2:
        return x
    return sh.reshape(sh.moveaxis(x, 1, -1), (-1, shape_of(x)[1]))


def _class_targets(op: str, shape: tuple, target, weight, ignore_index: int):
    """Check class-index targets against scores of ``shape`` (N, C, d1, ...) or (C,), as
    PyTorch does: integers of shape (N, d1, ...) (or () for (C,)), each in [0, C) or equal
    to ``ignore_index``, and a ``weight`` of one entry per class. Returns the flat indices
    and the rows to keep (None: all of them). The range check is one min and one max."""
    c = shape[1] if len(shape) > 1 else shape[0]
    t = np.asarray(data_of(target))
    expected = shape[:1] + shape[2:] if len(shape) > 1 else ()
    if t.dtype.kind not in "iu":
        raise OpError(f"{op}: class-index targets must be integers, got dtype {t.dtype}; a "
                      f"floating target holds class probabilities and must have the input's "
                      f"shape {shape}, got {t.shape}")
    if t.shape != expected and not (len(shape) == 1 and t.shape == (1,)):  # PyTorch's too
        raise OpError(f"{op}: expected a target of shape {expected} (the input's shape "
                      f"{shape} without its class dim), got {t.shape}")
    idx = t.reshape(-1)
    valid = None
    kept = idx
    if spans(idx, ignore_index):
        valid = idx != ignore_index
        kept = idx[valid]
    if not in_range(kept, 0, c):
        low, high = index_span(kept)
        raise IndexOutOfRangeError(
            f"{op}: Target {low if low < 0 else high} is out of bounds: class indices must be "
            f"in [0, {c}) (or equal ignore_index={ignore_index}); got values {low}..{high}")
    if weight is not None and tuple(shape_of(weight)) != (c,):
        raise OpError(f"{op}: weight must have one entry per class, shape ({c},), got "
                      f"{tuple(shape_of(weight))}")
    return idx, valid


def _plain_targets(input, target, ignore_index: int):
    """The class indices of the common case, None otherwise: scores (N, C) with N > 0 and
    signed-integer targets (N,), every one in [0, C), with ``ignore_index`` outside it (so
    that no row is ignored). One reduction checks the range: read as unsigned, a negative
    index is larger than any class count."""
    if not (isinstance(input, Tensor) and isinstance(target, Tensor)):
        return None
    z, t = input._data, target._data
    if z.ndim != 2 or t.ndim != 1 or t.dtype.kind != "i" or t.shape[0] != z.shape[0] or \
            not t.shape[0] or 0 <= ignore_index < z.shape[1]:
        return None
    # (a comparison, not int(): a compiled step guards on its outcome, not on the value)
    if np.maximum.reduce(t.view(f"u{t.itemsize}"), axis=None) >= z.shape[1]:
        return None  # an index out of range: the general path names it
    return t


def _scores(op: str, input):
    """(shape, scores as (rows, C)): one sample (C,) is a batch of one row."""
    shape = tuple(shape_of(input))
    if not shape:
        raise OpError(f"{op}: expected scores of shape (N, C, ...) or (C,), got a scalar")
    return shape, (sh.reshape(input, (1, shape[0])) if len(shape) == 1 else _class_last(input))


def _per_sample(per, shape):
    """Per-row losses in the input's layout: (N, d1, ...), or () for one sample (C,)."""
    return sh.reshape(per, shape[:1] + shape[2:] if len(shape) > 1 else ())


def _no_weight_mean(per, valid, dtype):
    """PyTorch's weighted mean when the total weight is 0 (an empty batch, every row
    ignored, zero class weights): the value is 0/0, NaN, while the ignored rows still get a
    zero gradient and the others NaN. ``per``: the unreduced row losses."""
    rows = np.where(valid, np.nan, 0.0).astype(dtype)
    return rd.sum(per * rows) + np.nan


def cross_entropy(input, target, weight=None, size_average=None, ignore_index: int = -100,
                  reduce=None, reduction: str = "mean", label_smoothing: float = 0.0):
    """Cross-entropy of logits (N, C), (N, C, d...) or (C,) against class indices or class
    probabilities (a floating target of the input's shape); one fused primitive
    (log-softmax and the weighted sum together).

    >>> import chainrule as cr
    >>> round(cross_entropy(cr.tensor([[0., 0.]]), cr.tensor([1])).item(), 4)
    0.6931
    """
    if weight is None and not label_smoothing and reduction == "mean" and \
            size_average is None and reduce is None:
        plain = _plain_targets(input, target, ignore_index)
        if plain is not None:  # what the general path below computes, with fewer checks
            return apply(cross_entropy_classes_p, (input, plain),
                         {"scale": None, "divisor": float(plain.shape[0]), "reduced": True})
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction("cross_entropy", reduction)
    if label_smoothing > 1.0:
        raise OpError(f"cross_entropy: label_smoothing must be between 0.0 and 1.0, got "
                      f"{label_smoothing}")
    shape, logits = _scores("cross_entropy", input)
    c = shape[1] if len(shape) > 1 else shape[0]
    eps = max(label_smoothing, 0.0)  # PyTorch takes a negative one as none
    t = data_of(target)
    dtype = data_of(input).dtype
    if tuple(shape_of(t)) == shape and np.asarray(t).dtype.kind == "f":  # probabilities
        if ignore_index >= 0:  # PyTorch lets a negative one pass
            raise OpError(f"cross_entropy: ignore_index={ignore_index} is not supported for a "
                          f"floating (class probabilities) target")
        if weight is not None and tuple(shape_of(weight)) != (c,):
            raise OpError(f"cross_entropy: weight must have one entry per class, shape "
                          f"({c},), got {tuple(shape_of(weight))}")
        w = None if weight is None else np.asarray(data_of(weight), dtype=np.float64)
        probs = sh.reshape(target, (1, c)) if len(shape) == 1 else _class_last(target)
        if eps:
            probs = probs * (1.0 - eps) + eps / c
        q = probs * w.astype(dtype) if weight is not None else probs
        per = apply(cross_entropy_p, (logits, q))
        if reduction == "mean":
            return rd.mean(per)
        return _per_sample(per, shape) if reduction == "none" else rd.sum(per)
    idx, valid = _class_targets("cross_entropy", shape, target, weight, ignore_index)
    safe = idx if valid is None else np.where(valid, idx, 0)
    if not eps:
        # Per-row weights: the class weight, 0 where ignored (None: all 1).
        scale = None if weight is None else np.asarray(data_of(weight))[safe].astype(dtype)
        if valid is not None:
            scale = valid.astype(dtype) if scale is None else scale * valid
        divisor = 1.0
        if reduction == "mean":
            divisor = float(idx.shape[0] if scale is None else scale.sum())
            if not divisor:
                per = apply(cross_entropy_classes_p, (logits, safe),
                            {"scale": None, "divisor": 1.0, "reduced": False})
                return _no_weight_mean(per, np.ones(idx.shape, bool) if valid is None
                                       else valid, dtype)
        per = apply(cross_entropy_classes_p, (logits, safe),
                    {"scale": scale, "divisor": divisor, "reduced": reduction != "none"})
        return _per_sample(per, shape) if reduction == "none" else per
    w = np.ones(c) if weight is None else np.asarray(data_of(weight), dtype=np.float64)
    if valid is None:
        valid = np.ones(idx.shape[0], dtype=bool)
    rows = np.arange(idx.shape[0])
    q = np.zeros((idx.shape[0], c))
    q[rows, safe] = (1.0 - eps) * w[safe]
    q += eps * w[None, :] / c
    q *= valid[:, None]
    per = apply(cross_entropy_p, (logits, q.astype(dtype)))
    if reduction == "mean":
        total = float((w[safe] * valid).sum())
        return rd.sum(per) / total if total else _no_weight_mean(per, valid, dtype)
    return _per_sample(per, shape) if reduction == "none" else rd.sum(per)


def nll_loss(input, target, weight=None, size_average=None, ignore_index: int = -100,
             reduce=None, reduction: str = "mean"):
    """Negative log-likelihood of log-probabilities (N, C, ...) or (C,) at class indices."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction("nll_loss", reduction)
    shape, logp = _scores("nll_loss", input)
    c = shape[1] if len(shape) > 1 else shape[0]
    idx, valid = _class_targets("nll_loss", shape, target, weight, ignore_index)
    valid = np.ones(idx.shape, dtype=bool) if valid is None else valid
    safe = np.where(valid, idx, 0)
    w = np.ones(c) if weight is None else np.asarray(data_of(weight), dtype=np.float64)
    scale = (w[safe] * valid).astype(data_of(input).dtype)
    picked = ix.getitem(logp, (np.arange(idx.shape[0]), safe))
    per = -picked * scale
    if reduction == "mean":
        total = float(scale.sum())
        return rd.sum(per) / total if total else \
            _no_weight_mean(-picked, valid, data_of(input).dtype)
    return _per_sample(per, shape) if reduction == "none" else rd.sum(per)


def __dir__():  # dir() and tab completion show what the module exports, not its helpers
    return __all__
