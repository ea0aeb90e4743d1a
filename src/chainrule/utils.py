"""Utilities: activation checkpointing."""
from __future__ import annotations

import warnings
from typing import Callable

from .autograd import engine
from .autograd.function import Function
from .autograd import grad_mode
from .autograd.grad_mode import enable_grad
from .autograd.tensor import Tensor


class _Checkpoint(Function):
    @staticmethod
    def forward(ctx, fn, *args):
        ctx.fn = fn
        ctx.save_for_backward(*args)
        return fn(*args)  # under no_grad: nothing in between is kept

    @staticmethod
    def backward(ctx, g):
        args = [a.detach().requires_grad_() if isinstance(a, Tensor) and a.dtype.kind == "f"
                else a for a in ctx.saved_tensors]
        with enable_grad():
            out = ctx.fn(*args)
        watched = [a for a, need in zip(args, ctx.needs_input_grad[1:])
                   if isinstance(a, Tensor) and need]
        # Parameters the function closes over get their .grad here, as in PyTorch.
        engine.backward([out], [g])
        grads = iter([a.grad for a in watched])
        return (None,) + tuple(next(grads) if isinstance(a, Tensor) and need else None
                               for a, need in zip(args, ctx.needs_input_grad[1:]))


def checkpoint(fn: Callable, *args):
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
    if grad_mode.is_grad_enabled() and not any(isinstance(a, Tensor) and a.requires_grad
                                                for a in args):
        warnings.warn("checkpoint: no input requires grad, so nothing is checkpointed; pass "
                      "at least one input that requires grad", stacklevel=2)
        return fn(*args)
    return _Checkpoint.apply(fn, *args)
