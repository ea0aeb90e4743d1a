"""Scaled dot-product attention, as in ``torch.nn.functional``."""
from __future__ import annotations

import math

import numpy as np

from ..ops import index as ix
from ..ops import linalg
from ..ops import shape as sh
from ..ops._util import data_of, shape_of
from .activation import softmax
from .dropout import dropout

__all__ = ["scaled_dot_product_attention"]


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale=None, training: bool = True):
    """softmax(q k^T * scale + mask) v; a boolean mask marks the allowed positions."""
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
