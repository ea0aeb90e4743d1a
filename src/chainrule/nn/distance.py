"""Distances of ``torch.nn.functional``: ``normalize``, ``cosine_similarity`` and
``pairwise_distance``, with their Modules ``CosineSimilarity`` and ``PairwiseDistance``.

All three are composed from existing differentiable ops (norm, clamp, division, sum), so
their VJPs and JVPs, first and higher order, come from those ops.
"""
from __future__ import annotations

import numpy as np

from ..autograd.tensor import Tensor, make_tensor
from ..ops import elementwise as ew
from ..ops import reduce as rd
from ..ops import shape as sh
from ..ops._util import data_of, ndim_of, normalize_dim, shape_of
from ..errors import OpError
from .module import Module

__all__ = ["normalize", "cosine_similarity", "pairwise_distance", "CosineSimilarity",
           "PairwiseDistance"]


def _tensor(x) -> Tensor:
    return x if isinstance(x, Tensor) else make_tensor(x)


def normalize(input, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Tensor:
    """``input / max(||input||_p, eps)`` over ``dim``, as PyTorch's ``F.normalize``.

    >>> from chainrule import tensor
    >>> normalize(tensor([[3., 4.]]))
    tensor([[0.6, 0.8]])
    """
    x = _tensor(input)
    normalize_dim("normalize", dim, ndim_of(x))  # an out-of-range dim is named as normalize's
    denom = ew.clamp(rd.norm(x, p, dim, keepdim=True), min=eps)
    return x / denom


def _clamped_norm(x, dim: int, eps: float):
    """||x||_2 over ``dim`` (kept), raised to ``eps``: PyTorch clamps it in place under
    no_grad, so the gradient flows through the norm as if it were not clamped."""
    n = rd.norm(x, 2, dim, keepdim=True)
    fixed = n.detach()
    return n + (ew.clamp(fixed, min=eps) - fixed)


def cosine_similarity(x1, x2, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """The cosine of the angle between ``x1`` and ``x2`` (broadcast together) along ``dim``:
    ``sum(x1 / max(||x1||, eps) * x2 / max(||x2||, eps), dim)``, as PyTorch computes it.

    >>> from chainrule import tensor
    >>> cosine_similarity(tensor([[1., 0.]]), tensor([[1., 1.]]))
    tensor([0.70710677])
    """
    x1, x2 = _tensor(x1), _tensor(x2)
    s1, s2 = shape_of(x1), shape_of(x2)
    try:
        shape = tuple(np.broadcast_shapes(s1, s2))
    except ValueError:
        raise OpError(f"cosine_similarity: x1 of shape {s1} and x2 of shape {s2} do not "
                      f"broadcast together; make their sizes match or be 1") from None
    dim = normalize_dim("cosine_similarity", dim, len(shape))
    x1, x2 = sh.broadcast_to(x1, shape), sh.broadcast_to(x2, shape)
    if data_of(x1).dtype.kind not in "fc":  # PyTorch computes integer inputs in float
        x1 = sh.cast(x1, "float32")
    if data_of(x2).dtype.kind not in "fc":
        x2 = sh.cast(x2, "float32")
    return rd.sum((x1 / _clamped_norm(x1, dim, eps)) * (x2 / _clamped_norm(x2, dim, eps)),
                  dim)


def pairwise_distance(x1, x2, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """``||x1 - x2 + eps||_p`` over the last dim (of the broadcast shape), as PyTorch's
    ``F.pairwise_distance``.

    >>> from chainrule import tensor
    >>> pairwise_distance(tensor([[3., 4.]]), tensor([[0., 0.]]), eps=0.0)
    tensor([5.])
    """
    x1, x2 = _tensor(x1), _tensor(x2)
    last = max(ndim_of(x1), ndim_of(x2)) - 1
    return rd.norm(x1 - x2 + eps, p, last, keepdim=keepdim)


class CosineSimilarity(Module):
    """``cosine_similarity(x1, x2, dim, eps)`` as a Module."""

    def __init__(self, dim: int = 1, eps: float = 1e-8):
        super().__init__()
        self.dim, self.eps = dim, eps

    def forward(self, x1, x2):
        return cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    """``pairwise_distance(x1, x2, p, eps, keepdim)`` as a Module."""

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False):
        super().__init__()
        self.norm, self.eps, self.keepdim = p, eps, keepdim

    def forward(self, x1, x2):
        return pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)


def __dir__():  # dir() and tab completion show what the module exports, not its helpers
    return __all__
