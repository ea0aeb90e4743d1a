"""``chainrule.utils.checkpoint``: activation checkpointing, as ``torch.utils.checkpoint``."""
from __future__ import annotations as _annotations

import warnings as _warnings
from typing import Callable as _Callable

from ..autograd import engine as _engine
from ..autograd.function import Function as _Function
from ..autograd import grad_mode as _grad_mode
from ..autograd.grad_mode import enable_grad as _enable_grad
from ..autograd.tensor import Tensor as _Tensor

__all__ = ["checkpoint"]


class _Checkpoint(_Function):
    @staticmethod
    def forward(ctx, fn, *args):
        ctx.fn = fn
        ctx.save_for_backward(*args)
        return fn(*args)  # under no_grad: nothing in between is kept

    @staticmethod
    def backward(ctx, g):
        args = [a.detach().requires_grad_() if isinstance(a, _Tensor) and a.dtype.kind == "f"
                else a for a in ctx.saved_tensors]
        with _enable_grad():
            out = ctx.fn(*args)
        watched = [a for a, need in zip(args, ctx.needs_input_grad[1:])
                   if isinstance(a, _Tensor) and need]
        # Parameters the function closes over get their .grad here, as in PyTorch.
        _engine.backward([out], [g])
        grads = iter([a.grad for a in watched])
        return (None,) + tuple(next(grads) if isinstance(a, _Tensor) and need else None
                               for a, need in zip(args, ctx.needs_input_grad[1:]))


def checkpoint(fn: _Callable, *args):
    """Run ``fn(*args)`` without keeping its intermediate values; backward recomputes them.
    Trades compute for memory on deep networks. Parameters that ``fn`` closes over get
    their gradients during that recomputation. When no tensor argument requires grad the
    recomputation would have nothing to start from, so ``fn`` runs normally (with a
    warning), as the gradients must stay right.

    >>> import chainrule as cr
    >>> x = cr.tensor([1.0, 2.0], requires_grad=True)
    >>> checkpoint(lambda t: (t.sin() * t).sum(), x).backward()
    >>> x.grad.shape
    (2,)
    """
    if _grad_mode.is_grad_enabled() and not any(isinstance(a, _Tensor) and a.requires_grad
                                                for a in args):
        _warnings.warn("checkpoint: no input requires grad, so nothing is checkpointed; pass "
                       "at least one input that requires grad", stacklevel=2)
        return fn(*args)
    return _Checkpoint.apply(fn, *args)
