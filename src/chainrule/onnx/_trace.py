"""Record every primitive a model's forward applies, with all of its operands.

The recorded autograd graph is not enough for export: a Node keeps only the operands its
VJP reads (``x + 1`` keeps neither), and nothing is recorded for integer results or for
operands that need no gradient. ``autograd.tracing.trace_ops`` shows every primitive with
its operands, parameters and result; each submodule's forward is wrapped for the run so
that each op knows which Module ran it (for error messages).
"""
from __future__ import annotations

from dataclasses import dataclass

from ..autograd.grad_mode import no_grad
from ..autograd.tracing import trace_ops

__all__ = ["Op", "trace"]


@dataclass
class Op:
    """One primitive application: its name, operands, parameters, result and the Module
    (dotted path and type) whose forward ran it."""
    prim: str
    args: tuple
    params: dict
    out: object  # the result Tensor
    module: str


def trace(model, args: tuple):
    """Run ``model(*args)`` and return ``(output, ops)``, ``ops`` in execution order."""
    ops: list = []
    stack = ["<model>"]

    def record(prim, args, params, out):
        ops.append(Op(prim.name, tuple(args), dict(params), out, stack[-1]))

    wrapped = []
    for path, module in model.named_modules():
        label = f"{path or '<model>'} ({type(module).__name__})"

        def forward(*a, _forward=module.forward, _label=label, **k):
            stack.append(_label)
            try:
                return _forward(*a, **k)
            finally:
                stack.pop()
        # An instance attribute shadows the class's forward for Module.__call__.
        object.__setattr__(module, "forward", forward)
        wrapped.append(module)
    try:
        with no_grad(), trace_ops(record):
            output = model(*args)
    finally:
        for module in wrapped:
            module.__dict__.pop("forward", None)
    return output, ops


def __dir__():
    return __all__
