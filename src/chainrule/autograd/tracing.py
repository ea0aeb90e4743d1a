"""Watching the primitives a computation applies: ``trace_ops(callback)`` shows the
callback every primitive this thread applies inside the block, with its operands, its
parameters and its result, whether or not a graph is recorded.

The recorded graph is not such a record: a Node keeps only what its VJP reads, and nothing
is recorded for results that need no gradient. Exporters (``chainrule.onnx``) and tracing
compilers read this stream instead. A tracer takes the thread out of the ordinary modes
(see ``grad_mode``), so the operators' unrolled fast paths go through ``apply``, where the
callback runs, and code outside the block pays nothing.

A tracer that replays what it saw (``chainrule.compile``) must also hear of what happens
beside the primitives. A callback may have these methods, each called only while it
watches: ``before(args)``, with a primitive's operands before its forward runs;
``grad_written(tensor)``, before the engine writes a ``.grad``; ``computed(prim, args,
ans)``, after a rule ran ``prim``'s forward on raw arrays (``primitives.call``);
``grads_reset(tensors)``, before ``zero_grad`` drops gradients; ``python_effect(what)``,
when Python code runs that a replay of the arrays would not repeat (a gradient hook); and
``opaque_call(method, obj, args, kwargs)``, which runs a method marked :func:`opaque` (an
optimizer's step) in its place. The functions below are how the core tells them.

>>> import chainrule as cr
>>> seen = []
>>> with trace_ops(lambda prim, args, params, out: seen.append(prim.name)):
...     y = (cr.ones(2) * 3).sum()
>>> seen
['mul', 'sum']
"""
from __future__ import annotations

import contextlib
import functools
from typing import Callable, Iterator

from .grad_mode import change_modes, modes
from .grad_mode import ordinary as _ordinary

__all__ = ["trace_ops", "opaque", "notify", "before_apply"]


@contextlib.contextmanager
def trace_ops(callback: Callable) -> Iterator[None]:
    """Call ``callback(prim, args, params, out)`` after every primitive applied in this
    thread inside the block (tracers nest: inner and outer ones both see each op)."""
    def add():
        modes.tracers = modes.tracers + (callback,)

    def remove():
        modes.tracers = tuple(t for t in modes.tracers if t is not callback)
    change_modes(add)
    try:
        yield
    finally:
        change_modes(remove)


def notify(event: str, *args) -> None:
    """Tell this thread's tracers that have a method ``event`` (see the module docstring).
    Callers check ``ordinary.all`` first: outside a trace this is never reached."""
    for tracer in modes.tracers:
        method = getattr(tracer, event, None)
        if method is not None:
            method(*args)


def before_apply(args) -> None:
    """``notify("before", args)``, called by ``apply`` while a tracer watches."""
    for tracer in modes.tracers:
        before = getattr(tracer, "before", None)
        if before is not None:
            before(args)


def opaque(method: Callable) -> Callable:
    """Mark a method that a replaying tracer runs as one call rather than tracing into it:
    an optimizer's ``step`` reads live hyperparameters and counters that a replay of its
    arrays would freeze.

    >>> class Counter:
    ...     n = 0
    ...     @opaque
    ...     def step(self):
    ...         self.n += 1
    >>> c = Counter(); c.step(); c.n
    1
    """
    @functools.wraps(method)
    def call(self, *args, **kwargs):
        if not _ordinary.all:
            for tracer in modes.tracers:
                run = getattr(tracer, "opaque_call", None)
                if run is not None:
                    return run(method, self, args, kwargs)
        return method(self, *args, **kwargs)
    call.__opaque__ = True
    return call


def __dir__():
    return __all__
