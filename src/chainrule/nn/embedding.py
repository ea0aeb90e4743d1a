"""Functions of integer indices: ``embedding`` (rows of a table) and ``one_hot``, with the
index checks they share (``index_span`` is the classification losses' range check too).
"""
from __future__ import annotations

import numpy as np

from ..autograd.primitives import apply
from ..autograd.tensor import Tensor, make_tensor
from ..errors import IndexOutOfRangeError, OpError, OpTypeError
from ..ops import elementwise as ew
from ..ops import index as ix
from ..ops._util import data_of, shape_of

__all__ = ["index_span", "in_range", "spans", "padding_index", "embedding", "one_hot"]


def index_span(idx) -> tuple:
    """The smallest and largest entry of an index array (0, 0 when it is empty): one pass
    each, the whole cost of a range check."""
    if not idx.size:
        return 0, 0
    return int(np.minimum.reduce(idx, axis=None)), int(np.maximum.reduce(idx, axis=None))


def in_range(idx, low: int, high: int) -> bool:
    """Whether every entry of ``idx`` lies in [low, high) (those of an empty one do). Only
    the comparisons reach Python, not the values: a compiled step guards on the outcome,
    which stays the same from batch to batch, where the largest index would not."""
    if not idx.size:
        return True
    return bool(np.minimum.reduce(idx, axis=None) >= low) and \
        bool(np.maximum.reduce(idx, axis=None) < high)


def spans(idx, value: int) -> bool:
    """Whether ``value`` lies between the smallest and largest entry of ``idx`` (as
    :func:`in_range`, by comparisons only)."""
    return bool(idx.size) and bool(np.minimum.reduce(idx, axis=None) <= value) and \
        bool(np.maximum.reduce(idx, axis=None) >= value)


def _index_array(op: str, index, what: str = "indices"):
    """The integer array behind ``index``; PyTorch takes no floating or boolean indices."""
    idx = np.asarray(data_of(index))
    if idx.dtype.kind not in "iu":
        raise OpTypeError(f"{op}: {what} must be an integer tensor, got dtype {idx.dtype}")
    return idx


def padding_index(op: str, padding_idx, num_embeddings: int):
    """``padding_idx`` as a row of the table (a negative one counts from the end), or None."""
    if padding_idx is None:
        return None
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise OpError(f"{op}: padding_idx must be within num_embeddings: in "
                      f"[{-num_embeddings}, {num_embeddings}), got {padding_idx}")
    return padding_idx % num_embeddings


def embedding(input, weight, padding_idx=None):
    """Rows of ``weight`` (num_embeddings, embedding_dim) at the integer ``input``; every
    index must be in [0, num_embeddings) (none wraps around). The ``padding_idx`` row keeps
    its value but gets no gradient, as in PyTorch."""
    ws = shape_of(weight)
    if len(ws) != 2:
        raise OpError(f"embedding: weight must be 2-D (num_embeddings, embedding_dim), got "
                      f"shape {tuple(ws)}")
    idx = _index_array("embedding", input)
    if not in_range(idx, 0, ws[0]):
        low, high = index_span(idx)
        raise IndexOutOfRangeError(
            f"embedding: index {low if low < 0 else high} is out of range for a weight of "
            f"{ws[0]} rows: indices must be in [0, {ws[0]}) (got values {low}..{high})")
    padding_idx = padding_index("embedding", padding_idx, ws[0])
    out = ix.getitem(weight, idx)
    if padding_idx is not None:
        # The same rows, read through an unrecorded copy where the index is padding_idx.
        frozen = np.asarray(data_of(weight))[idx]
        out = apply(ew.where_p, ((idx != padding_idx)[..., None], out, frozen))
    return out


def one_hot(tensor, num_classes: int = -1) -> Tensor:
    """int64 one-hot rows of the class indices ``tensor``, each in [0, num_classes); -1
    infers num_classes as the largest index + 1."""
    idx = _index_array("one_hot", tensor, "class indices")
    if num_classes == -1:
        if not idx.size:
            raise OpError("one_hot: cannot infer the number of classes from an empty tensor; "
                          "pass num_classes")
        num_classes = index_span(idx)[1] + 1
    low, high = index_span(idx)
    if low < 0:
        raise IndexOutOfRangeError(f"one_hot: class values must be non-negative, got {low}")
    if idx.size and high >= num_classes:
        raise IndexOutOfRangeError(f"one_hot: class values must be smaller than num_classes="
                                   f"{num_classes}, got {high}")
    if num_classes < 0:
        raise OpError(f"one_hot: num_classes must be -1 (inferred) or non-negative, got "
                      f"{num_classes}")
    out = np.zeros(idx.shape + (num_classes,), dtype=np.int64)
    np.put_along_axis(out, idx[..., None].astype(np.intp), 1, axis=-1)
    return make_tensor(out)


def __dir__():  # dir() and tab completion show what the module exports, not its helpers
    return __all__
