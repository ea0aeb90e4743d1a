"""Scaled dot-product attention, as in ``torch.nn.functional``."""
from __future__ import annotations

import math

import numpy as np

from ..errors import IndexOutOfRangeError, OpError
from ..ops import index as ix
from ..ops import linalg
from ..ops import shape as sh
from ..ops._util import data_of, shape_of
from .activation import softmax
from .dropout import dropout

__all__ = ["scaled_dot_product_attention"]


def _group_heads(query, key, value):
    """key and value with their heads (dim -3) repeated to the query's count, as PyTorch's
    ``enable_gqa=True`` (head h of the query attends with key/value head h // group)."""
    shapes = {"query": tuple(shape_of(query)), "key": tuple(shape_of(key)),
              "value": tuple(shape_of(value))}
    for name, shape in shapes.items():
        if len(shape) < 3:
            raise IndexOutOfRangeError(
                f"scaled_dot_product_attention: enable_gqa=True needs a heads dim (-3): "
                f"{name} has shape {shape}; use (..., heads, L, E) inputs")
    hq = shapes["query"][-3]
    out = []
    for name, x in (("key", key), ("value", value)):
        h = shapes[name][-3]
        if h == 0 or hq % h:
            raise OpError(f"scaled_dot_product_attention: with enable_gqa=True the number of "
                          f"heads in key and value must divide the number of heads in query, "
                          f"got {h} {name} heads (shape {shapes[name]}) for {hq} query heads "
                          f"(shape {shapes['query']})")
        out.append(x if h == hq else ix.repeat_interleave(x, hq // h, dim=-3))
    return out


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p: float = 0.0,
                                 is_causal: bool = False, *, scale: float = None,
                                 enable_gqa: bool = False, training: bool = True):
    """softmax(q k^T * scale + mask) v, as PyTorch's ``F.scaled_dot_product_attention``.

    query (..., Hq, L, E), key (..., H, S, E), value (..., H, S, Ev) -> (..., Hq, L, Ev).
    ``attn_mask``: a boolean mask marks the allowed positions, a float one is added to the
    scores. ``is_causal``: position i attends to positions <= i (the top-left aligned lower
    triangle, as PyTorch; not together with ``attn_mask``). ``scale``: default
    1/sqrt(E). ``enable_gqa``: grouped-query attention, the key/value heads (dim -3) are
    repeated to the query's count (which they must divide). ``training`` (not in PyTorch):
    False skips the dropout.

    >>> import chainrule as cr
    >>> q, kv = cr.ones(1, 4, 3, 8), cr.ones(1, 2, 5, 8)
    >>> scaled_dot_product_attention(q, kv, kv, enable_gqa=True).shape
    (1, 4, 3, 8)
    """
    if is_causal and attn_mask is not None:
        raise OpError("scaled_dot_product_attention: attn_mask must not be given with "
                      "is_causal=True; fold the causal mask into attn_mask, or drop it")
    if enable_gqa:
        key, value = _group_heads(query, key, value)
    else:
        qs, ks = tuple(shape_of(query)), tuple(shape_of(key))
        if len(qs) >= 3 and len(ks) >= 3 and qs[-3] != ks[-3] and 1 not in (qs[-3], ks[-3]):
            raise OpError(f"scaled_dot_product_attention: query has {qs[-3]} heads (shape {qs}) "
                          f"but key has {ks[-3]} (shape {ks}); pass enable_gqa=True for "
                          f"grouped-query attention")
    d = shape_of(query)[-1]
    scale = 1.0 / math.sqrt(d) if scale is None else scale
    scores = linalg.matmul(query, sh.swapaxes(key, -1, -2)) * scale
    lq, lk = shape_of(scores)[-2:]
    if is_causal:
        allowed = np.tril(np.ones((lq, lk), dtype=bool))
        scores = ix.masked_fill(scores, ~allowed, -np.inf)
    if attn_mask is not None:
        mask = data_of(attn_mask)
        if np.asarray(mask).dtype == bool:
            scores = ix.masked_fill(scores, ~np.asarray(mask), -np.inf)
        else:
            scores = scores + attn_mask
    weights = softmax(scores, dim=-1)
    if dropout_p:
        weights = dropout(weights, dropout_p, training)
    return linalg.matmul(weights, value)


def __dir__():  # dir() and tab completion show what the module exports, not its helpers
    return __all__
