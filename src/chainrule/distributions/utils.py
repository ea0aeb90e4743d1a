"""Helpers shared by the distributions, as in ``torch.distributions.utils``.

>>> from chainrule.distributions.utils import broadcast_all
>>> from chainrule import tensor
>>> [t.shape for t in broadcast_all(tensor([1., 2.]), 0.5)]
[(2,), (2,)]
"""
from __future__ import annotations

from numbers import Number as _Number

import numpy as _np

from .. import _backend
from ..autograd.tensor import Tensor as _Tensor
from ..nn.functional import softmax as _softmax

__all__ = ["broadcast_all", "probs_to_logits", "logits_to_probs", "clamp_probs"]


def __dir__():
    return __all__


def broadcast_all(*values) -> tuple:
    """Tensors and numbers broadcast to one shape; numbers take the first tensor's dtype
    (the default dtype when there is none).

    >>> broadcast_all(1.0, 2.0)[0].dtype
    dtype('float32')
    """
    if not all(isinstance(v, (_Tensor, _Number)) for v in values):
        raise ValueError("Input arguments must all be instances of numbers.Number or "
                         "chainrule.Tensor; got " + ", ".join(type(v).__name__ for v in values))
    tensors = [v for v in values if isinstance(v, _Tensor)]
    dtype = tensors[0].dtype if tensors else _backend.get_default_dtype()
    values = [v if isinstance(v, _Tensor) else _Tensor(v, dtype=dtype) for v in values]
    try:
        shape = _np.broadcast_shapes(*(tuple(v.shape) for v in values))
    except ValueError:
        raise ValueError("distribution parameters of shapes "
                         + ", ".join(str(tuple(v.shape)) for v in values)
                         + " do not broadcast to one shape") from None
    return tuple(v if tuple(v.shape) == shape else v.broadcast_to(shape) for v in values)


def clamp_probs(probs: _Tensor) -> _Tensor:
    """``probs`` clamped to ``[eps, 1 - eps]`` for their dtype, so their logs are finite."""
    eps = float(_np.finfo(probs.dtype).eps)
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs: _Tensor, is_binary: bool = False) -> _Tensor:
    """Log-odds (``is_binary``) or log-probabilities of ``probs``, clamped to be finite.

    >>> from chainrule import tensor
    >>> probs_to_logits(tensor([0.5]), is_binary=True)
    tensor([0.])
    """
    ps = clamp_probs(probs)
    return ps.log() - (-ps).log1p() if is_binary else ps.log()


def logits_to_probs(logits: _Tensor, is_binary: bool = False) -> _Tensor:
    """The inverse of :func:`probs_to_logits`: sigmoid or softmax over the last dim."""
    return logits.sigmoid() if is_binary else _softmax(logits, dim=-1)
