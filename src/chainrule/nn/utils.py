"""``torch.nn.utils``' helpers: gradient clipping, and parameters to and from one vector.

>>> import chainrule as cr
>>> lin = cr.nn.Linear(2, 1)
>>> parameters_to_vector(lin.parameters()).shape
(3,)
"""
from __future__ import annotations as _annotations

import math as _math

import numpy as _np

from ..autograd.tensor import Tensor as _Tensor
from ..autograd.tensor import make_tensor as _make_tensor
from ..errors import OpError as _OpError
from ..errors import OpTypeError as _OpTypeError
from ..ops import shape as _sh

__all__ = ["clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_", "get_total_norm",
           "parameters_to_vector", "vector_to_parameters"]


def _as_list(tensors) -> list:
    return [tensors] if isinstance(tensors, _Tensor) else list(tensors)


def _grads(parameters) -> list:
    return [p.grad for p in _as_list(parameters) if p.grad is not None]


def get_total_norm(tensors, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                   foreach=None) -> _Tensor:
    """The ``norm_type`` norm of all ``tensors`` together (a 0-d tensor), as if they were
    one vector."""
    tensors = _as_list(tensors)
    if not tensors:
        return _make_tensor(_np.array(0.0, dtype=_np.float32))
    norm_type = float(norm_type)
    datas = [_np.abs(t._data if isinstance(t, _Tensor) else _np.asarray(t)) for t in tensors]
    dtype = _np.result_type(*datas)
    if norm_type == _math.inf:
        total = max(float(d.max()) if d.size else 0.0 for d in datas)
    elif norm_type == -_math.inf:
        total = min(float(d.min()) if d.size else _math.inf for d in datas)
    elif norm_type == 0:
        total = float(sum(_np.count_nonzero(d) for d in datas))
    else:
        total = float(sum(float((d.astype(_np.float64) ** norm_type).sum()) for d in datas)
                      ** (1.0 / norm_type))
    if error_if_nonfinite and not _math.isfinite(total):
        raise _OpError(f"clip_grad_norm_: the total norm of order {norm_type} of the "
                       f"gradients is {total}, so they cannot be clipped; pass "
                       f"error_if_nonfinite=False to clip anyway")
    return _make_tensor(_np.array(total, dtype=dtype))


def clip_grads_with_norm_(parameters, max_norm: float, total_norm, foreach=None) -> None:
    """Scale the gradients by ``max_norm / (total_norm + 1e-6)`` where that is below 1."""
    coef = float(max_norm) / (float(total_norm) + 1e-6)
    if coef < 1:
        for g in _grads(parameters):
            g._data *= g._data.dtype.type(coef)


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach=None) -> _Tensor:
    """Scale all gradients together so their total norm is at most ``max_norm``; returns
    the total norm before clipping, a 0-d tensor as in PyTorch.

    >>> import chainrule as cr
    >>> w = cr.ones(4, requires_grad=True)
    >>> (w * 3).sum().backward()
    >>> clip_grad_norm_([w], 1.0).item()
    6.0
    """
    parameters = _as_list(parameters)  # (a generator, as model.parameters(), is read once)
    total = get_total_norm(_grads(parameters), norm_type, error_if_nonfinite)
    clip_grads_with_norm_(parameters, max_norm, total)
    return total


def clip_grad_value_(parameters, clip_value: float, foreach=None) -> None:
    """Clip every gradient elementwise to ``[-clip_value, clip_value]``."""
    for g in _grads(parameters):
        _np.clip(g._data, -clip_value, clip_value, out=g._data)


def parameters_to_vector(parameters) -> _Tensor:
    """The parameters flattened and joined into one 1-D tensor (a copy, in the graph)."""
    return _sh.cat([p.reshape(-1) for p in _as_list(parameters)], 0)


def vector_to_parameters(vec: _Tensor, parameters) -> None:
    """Copy consecutive slices of the 1-D ``vec`` into the parameters, in order."""
    if not isinstance(vec, _Tensor):
        raise _OpTypeError(f"vector_to_parameters: expected vec to be a Tensor, got "
                           f"{type(vec).__name__}")
    params = _as_list(parameters)
    needed = sum(p._data.size for p in params)
    if vec._data.ndim != 1 or vec._data.size != needed:
        raise _OpError(f"vector_to_parameters: vec of shape {tuple(vec.shape)} must be 1-D "
                       f"with the parameters' {needed} elements")
    start = 0
    for p in params:
        n = p._data.size
        p.data = vec.detach()[start:start + n].reshape(p.shape).clone()
        start += n


def __dir__():
    return __all__
