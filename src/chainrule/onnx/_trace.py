"""Record every primitive a model's forward applies, with all of its operands.

The recorded autograd graph is not enough for export: a Node keeps only the operands its
VJP reads (``x + 1`` keeps neither), and nothing is recorded for integer results or for
operands that need no gradient. So the trace hooks the one place every op ends in:
``primitives.apply`` makes each unrecorded result with ``make_tensor``, and with no_grad on
no result is recorded, so wrapping ``primitives.make_tensor`` (a module global that
``apply`` looks up per call) sees every op. The wrapper reads ``apply``'s frame for the
primitive, its operands and its parameters. Anomaly mode is on while tracing because it
sends the operators' unrolled fast paths (autograd/fastpath.py) through ``apply`` too.
"""
from __future__ import annotations

import sys
import threading
from dataclasses import dataclass

from ..autograd import primitives as _primitives
from ..autograd.anomaly import detect_anomaly
from ..autograd.grad_mode import no_grad

__all__ = ["Op", "trace"]

_lock = threading.Lock()  # one trace at a time: the hook is process-wide


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
    apply_code = _primitives.apply.__code__
    original = _primitives.make_tensor

    def traced_make_tensor(data, grad_fn=None, requires_grad=False):
        out = original(data, grad_fn, requires_grad)
        frame = sys._getframe(1)
        if frame.f_code is apply_code:
            loc = frame.f_locals
            ops.append(Op(loc["prim"].name, tuple(loc["args"]), dict(loc["params"]), out,
                          stack[-1]))
        return out

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
    with _lock:
        _primitives.make_tensor = traced_make_tensor
        try:
            with no_grad(), detect_anomaly():
                output = model(*args)
        finally:
            _primitives.make_tensor = original
            for module in wrapped:
                module.__dict__.pop("forward", None)
    return output, ops


def __dir__():
    return __all__
