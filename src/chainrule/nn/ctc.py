"""The connectionist temporal classification loss, ``ctc_loss``, as in
``torch.nn.functional``, and its Module ``CTCLoss`` lives in ``loss_modules``.

The loss is a composite of existing differentiable ops: the forward (alpha) recursion of
Graves et al. (2006) in log space, one step per time frame, over the blank-extended target
``l' = (blank, l1, blank, l2, ..., blank)``. Its VJP and JVP, of any order, come from those
ops. Two details follow PyTorch:

- the log-sum-exp of each step subtracts the (constant) maximum, and states that no path
  reaches hold a large negative number rather than -inf, so that their gradients are 0, not
  NaN; a loss that no alignment can reach is +inf (0 with ``zero_infinity``);
- PyTorch's gradient with respect to ``log_probs`` is not the exact one: it adds
  ``exp(log_probs)`` (times the output gradient) at every frame within the input length,
  the term that makes it exact for the logits when ``log_probs = log_softmax(logits)``
  (there ``sum_c exp(log_probs) = 1``). ``ctc_loss`` gives PyTorch's gradient: through a
  ``log_softmax`` both are exact, to every order.
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
from .losses import check_reduction

__all__ = ["ctc_loss"]

_OP = "ctc_loss"
# Unreachable states: far below any log-probability, but finite, so exp() gives exactly 0
# and no inf - inf appears; a final log-likelihood under _NEG / 2 means "unreachable".
_NEG = -1e30


def _lengths(name: str, lengths, batch: int) -> np.ndarray:
    a = np.asarray(data_of(lengths) if isinstance(lengths, Tensor) else lengths)
    if a.dtype.kind not in "iu":
        raise OpError(f"{_OP}: {name} must be integral, got dtype {a.dtype}")
    a = a.reshape(-1).astype(np.int64)
    if a.shape[0] != batch:
        raise OpError(f"{_OP}: {name} must be of size batch_size ({batch}), got {a.shape[0]} "
                      f"values")
    if a.size and a.min() < 0:
        raise OpError(f"{_OP}: Expected {name} to have value at least 0, but got value "
                      f"{a.min()}")
    return a


def _lse3(a, b, c):
    """log(exp a + exp b + exp c), the maximum subtracted as a constant (its gradient
    cancels), so every order of derivative is the softmax's."""
    m = np.maximum(np.maximum(data_of(a), data_of(b)), data_of(c))
    return m + ew.log(ew.exp(a - m) + ew.exp(b - m) + ew.exp(c - m))


def _shift(x, k: int, fill):
    """``x`` (N, L) moved k places right along L, ``fill`` in front."""
    return sh.concatenate([fill[:, :k], x[:, :-k]], 1)


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank: int = 0,
             reduction: str = "mean", zero_infinity: bool = False):
    """CTC loss of ``log_probs`` (T, N, C) or unbatched (T, C) (log-softmax outputs) against
    ``targets`` padded (N, S) or concatenated (sum(target_lengths),), with the lengths as
    integer tensors or sequences. 'mean' divides each loss by its target length (at least 1)
    and averages over the batch; 'none' gives (N,) (or () unbatched).

    >>> import chainrule as cr
    >>> lp = cr.tensor([[[0.0, -100.0]], [[-100.0, 0.0]]])  # frames: blank, then class 1
    >>> ctc_loss(lp, cr.tensor([[1]]), [2], [1], reduction="sum").item()
    0.0
    """
    check_reduction(_OP, reduction)
    lp = log_probs if isinstance(log_probs, Tensor) else make_tensor(log_probs)
    shape = tuple(shape_of(lp))
    batched = len(shape) == 3
    if len(shape) not in (2, 3):
        raise OpError(f"{_OP}: expected log_probs of shape (T, N, C) or (T, C), got {shape}")
    if data_of(lp).dtype.kind != "f":
        raise OpError(f"{_OP}: log_probs must be floating point, got {data_of(lp).dtype}")
    if not batched:
        lp = sh.unsqueeze(lp, 1)
    t_max, n, c = shape_of(lp)
    if not t_max * n * c:
        raise OpError(f"{_OP}: log_probs tensor must not be empty, got shape {shape}")
    if not 0 <= blank < c:
        raise OpError(f"{_OP}: blank must be in label range [0, {c}), got {blank}")
    tg = np.asarray(data_of(targets))
    if tg.dtype.kind not in "iuf":
        raise OpError(f"{_OP}: targets must hold integer class indices, got dtype {tg.dtype}")
    tg = tg.astype(np.int64)  # PyTorch takes floating targets as their integer parts too
    il = _lengths("input_lengths", input_lengths, n)
    tl = _lengths("target_lengths", target_lengths, n)
    if il.size and il.max() > t_max:
        raise OpError(f"{_OP}: Expected input_lengths to have value at most {t_max}, but got "
                      f"value {il.max()}")
    s_max = int(tl.max()) if tl.size else 0
    if tg.ndim == 1:  # concatenated (also one unbatched target sequence)
        if tg.shape[0] != tl.sum():
            raise OpError(f"{_OP}: concatenated targets must have sum(target_lengths) = "
                          f"{tl.sum()} entries, got {tg.shape[0]}")
        offsets = np.concatenate([[0], np.cumsum(tl)[:-1]]).astype(np.int64)
        labels = np.zeros((n, s_max), dtype=np.int64)
        for b in range(n):
            labels[b, :tl[b]] = tg[offsets[b]:offsets[b] + tl[b]]
    elif tg.ndim == 2:
        if tg.shape[0] != n or tg.shape[1] < s_max:
            raise OpError(f"{_OP}: padded targets must have shape (batch, >= max target "
                          f"length) = ({n}, >= {s_max}), got {tg.shape}")
        labels = tg[:, :s_max].astype(np.int64)
    else:
        raise OpError(f"{_OP}: targets must be padded (N, S) or concatenated (sum of "
                      f"target_lengths,), got shape {tg.shape}")
    within = np.arange(s_max)[None, :] < tl[:, None]
    labels = np.where(within, labels, blank)
    if labels.size and (labels.min() < 0 or labels.max() >= c):
        raise IndexOutOfRangeError(f"{_OP}: target labels must be in [0, {c}), got values "
                                   f"{labels.min()}..{labels.max()}")

    # The extended label sequences (N, L = 2 S + 1): blank, l1, blank, l2, ..., blank.
    width = 2 * s_max + 1
    ext = np.full((n, width), blank, dtype=np.int64)
    ext[:, 1::2] = labels
    skip = np.zeros((n, width), dtype=bool)  # s - 2 -> s allowed: a label unlike l'[s-2]
    skip[:, 2:] = (ext[:, 2:] != blank) & (ext[:, 2:] != ext[:, :-2])
    dtype = data_of(lp).dtype
    neg = np.full((n, width), _NEG, dtype=dtype)
    lpe = ix.getitem(lp, (slice(None), np.arange(n)[:, None], ext))      # (T, N, L)
    # A virtual state before frame 0: log 1 at s = 0, so that frame 0 needs no special case.
    start = neg.copy()
    start[:, 0] = 0.0
    alpha = make_tensor(start)
    for t in range(int(il.max()) if il.size else 0):
        one = _shift(alpha, 1, neg)
        two = apply(ew.where_p, (skip, _shift(alpha, 2, neg), neg)) if width > 2 else neg
        nxt = _lse3(alpha, one, two) + lpe[t]
        live = (t < il)[:, None]
        alpha = nxt if live.all() else apply(ew.where_p, (live, nxt, alpha))
    rows = np.arange(n)
    last = ix.getitem(alpha, (rows, 2 * tl))
    before = ix.getitem(alpha, (rows, np.maximum(2 * tl - 1, 0)))
    before = apply(ew.where_p, (tl > 0, before, neg[:, 0]))
    m = np.maximum(data_of(last), data_of(before))
    nll = -(m + ew.log(ew.exp(last - m) + ew.exp(before - m)))          # (N,)
    # PyTorch's gradient: + exp(log_probs) over each sample's frames (value unchanged).
    frames = (np.arange(t_max)[:, None] < il[None, :])[:, :, None]     # (T, N, 1)
    mass = rd.sum(apply(ew.where_p, (frames, ew.exp(lp), 0.0)), (0, 2))
    nll = nll + (mass - mass.detach())
    unreachable = np.asarray(data_of(nll)) > -_NEG / 2
    if unreachable.any():
        nll = apply(ew.where_p, (unreachable, 0.0 if zero_infinity else np.inf, nll))
    if reduction == "mean":
        return rd.mean(nll / np.maximum(tl, 1).astype(dtype))
    if reduction == "sum":
        return rd.sum(nll)
    return nll if batched else sh.reshape(nll, ())


def __dir__():  # dir() and tab completion show what the module exports, not its helpers
    return __all__
