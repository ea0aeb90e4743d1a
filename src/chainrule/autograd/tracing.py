"""Watching the primitives a computation applies: ``trace_ops(callback)`` shows the
callback every primitive this thread applies inside the block, with its operands, its
parameters and its result, whether or not a graph is recorded.

The recorded graph is not such a record: a Node keeps only what its VJP reads, and nothing
is recorded for results that need no gradient. Exporters (``chainrule.onnx``) and tracing
compilers read this stream instead. A tracer takes the thread out of the ordinary modes
(see ``grad_mode``), so the operators' unrolled fast paths go through ``apply``, where the
callback runs, and code outside the block pays nothing.

>>> import chainrule as cr
>>> seen = []
>>> with trace_ops(lambda prim, args, params, out: seen.append(prim.name)):
...     y = (cr.ones(2) * 3).sum()
>>> seen
['mul', 'sum']
"""
from __future__ import annotations

import contextlib
from typing import Callable, Iterator

from .grad_mode import change_modes, modes

__all__ = ["trace_ops"]


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


def __dir__():
    return __all__
