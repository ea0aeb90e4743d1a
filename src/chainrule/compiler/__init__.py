"""``chainrule.compile``: trace a step once, replay it without Python's overhead.

The first call of a compiled function runs it for real, eagerly, with every array it
touches swapped for a :class:`~chainrule.compiler._traced.Traced` view: each NumPy operation
the forward pass, the backward pass and the rules make is computed and written down as one
line of a Python function (the *program*). Tensors, Nodes, the engine's scheduling, dtype
and shape bookkeeping run only then; a later call with the same guards runs the program,
which is the same NumPy calls, in the same order, on the new arrays. The results are
bitwise those of eager: nothing is reordered or fused.

>>> import chainrule as cr
>>> model = cr.nn.Linear(3, 1)
>>> opt = cr.optim.SGD(model.parameters(), lr=0.1)
>>> @cr.compile
... def step(x, y):
...     opt.zero_grad()
...     loss = ((model(x) - y) ** 2).mean()
...     loss.backward()
...     opt.step()
...     return loss
>>> x, y = cr.randn(8, 3), cr.randn(8, 1)
>>> first = step(x, y)          # traced (and run)
>>> second = step(x, y)         # replayed
>>> bool(second < first)
True

What a replay reads and writes: the call's arguments; every tensor the trace met (a
parameter, a buffer, its ``.grad``), read where it was first met, so it sees the current
value; their ``.grad`` and ``.data`` written back as the trace left them. An optimizer's
``step()`` and a scheduler's ``step()`` are *opaque*: the program calls them as they are, so
they read the live learning rate and step count.

Guards, checked before each replay (a change traces anew; a small cache keeps up to
``cache_size`` traces per function): the arguments' structure, shapes, dtypes,
``requires_grad`` and Python values; grad mode; the shapes, dtypes, ``requires_grad`` and
gradient (None or not) of every tensor read; ``training`` of the modules the function
reaches; and each value the function read into Python from its inputs alone (``bool``,
``int``, ``float`` of a tensor computed from the arguments only: a class index compared
with the number of classes), computed anew by the replay before anything changes; and
each decision (``bool``) made on the state before anything final happened (a NaN check on
activations), checked where it was made: a replay that decides otherwise undoes what it
changed so far (buffers, the generator) and gives way to a new trace.

What it refuses (the call runs eagerly, with one warning saying why): a value read into
Python from the model's state (``if loss.item() > 0``, ``float(loss)``, printing a
tensor), a gradient hook or ``retain_grad`` inside the step, a write into an array made
outside the step, a random Python number. Python side effects other than tensors'
(appending to a list, a counter) happen on the tracing call only.

Outputs: a tensor whose graph the function left in place (a compiled module's forward,
``cr.compile(model)``) comes back differentiable: its backward pass, with respect to every
tensor the trace read that requires grad, was traced too, once, into a program of its own,
and the output's one Node (``CompiledBackward``) runs it (first order: ``create_graph``
through it raises). A tensor whose graph was used up inside (a whole training step's loss)
comes back detached. Compiling the whole step is the faster choice: the engine then runs
only at the trace.

``compiled.source()`` shows the program of the last trace.
"""
from __future__ import annotations

import warnings
from collections import OrderedDict
from typing import Callable

import numpy as np

from ..autograd.grad_mode import anomaly_state as _anomaly
from ..autograd.grad_mode import modes as _modes
from ..autograd.tensor import Tensor, make_tensor
from ..autograd.tracing import trace_ops
from ..pytree import tree_flatten, tree_unflatten
from . import _fuse
from ._patches import patched
from ._program import MISS, Pullback, build
from ._recorder import Recorder
from ._traced import Traced, plain, unwrap
from ._tracer import Tracer

__all__ = ["compile", "CompiledFunction"]

_CONTAINERS = (tuple, list, dict)


def _freeze(spec):
    if isinstance(spec, list):
        return tuple(_freeze(s) for s in spec)
    if isinstance(spec, tuple):
        return tuple(_freeze(s) for s in spec)
    return spec


def _leaf_key(x):
    cls = x.__class__
    if cls is Tensor or isinstance(x, Tensor):
        d = x._data
        return (cls, d.shape, d.dtype, x._requires_grad, x.grad is None)
    if isinstance(x, np.ndarray):
        return (cls, x.shape, x.dtype)
    if cls in (bool, int, float, complex, str, type(None)) or isinstance(x, np.generic):
        return (cls, x)
    return (cls, id(x))


def _reachable(fn, leaves) -> tuple[list, list]:
    """The modules and optimizers ``fn`` reaches: itself, its ``self``, its defaults and
    closure, the globals it names, and its arguments (one level into objects' attributes).
    (Modules it calls are followed anyway, when called; these are followed from the start.)"""
    from ..nn.module import Module
    from ..optim.optimizer import Optimizer
    found = []
    seen = set()

    def visit(obj, depth=0):
        if id(obj) in seen:
            return
        seen.add(id(obj))
        if isinstance(obj, (Module, Optimizer)):
            found.append(obj)
        elif depth == 0 and hasattr(obj, "__dict__") and not isinstance(obj, type) and \
                not callable(obj):
            for v in vars(obj).values():
                visit(v, 1)
    target = getattr(fn, "__func__", fn)
    visit(getattr(fn, "__self__", None))
    visit(fn)
    code = getattr(target, "__code__", None)
    if code is not None:
        for value in (getattr(target, "__defaults__", None) or ()) + tuple(
                (getattr(target, "__kwdefaults__", None) or {}).values()):
            visit(value)
        for cell in getattr(target, "__closure__", None) or ():
            try:
                visit(cell.cell_contents)
            except ValueError:  # an empty cell
                pass
        names = getattr(target, "__globals__", {})
        for name in code.co_names:
            if name in names:
                visit(names[name])
    for leaf in leaves:
        visit(leaf)
    modules = [m for obj in found if isinstance(obj, Module) for m in obj.modules()]
    optimizers = [o for o in found if isinstance(o, Optimizer)]
    return list({id(m): m for m in modules}.values()), optimizers


class CompiledFunction:
    """``fn``, traced on its first call for each set of guards and replayed after (see
    :mod:`chainrule.compile`)."""

    def __init__(self, fn: Callable, cache_size: int = 8, fuse: bool = False):
        self.fn = fn
        self.cache_size = cache_size
        self.fuse = fuse
        if fuse:
            _fuse._numba()  # fail now, naming the extra, rather than at the first call
        self._programs = OrderedDict()  # key -> list of _Program (one per value guard set)
        self._eager = {}                # key -> why it runs eagerly
        self._evictions = 0
        self._last = None
        self.__wrapped__ = fn
        self.__doc__ = getattr(fn, "__doc__", None)
        self.__name__ = getattr(fn, "__name__", type(fn).__name__)

    def __call__(self, *args, **kwargs):
        if _modes.tracers or _modes.depth or _anomaly.enabled or self._evictions < 0:
            return self.fn(*args, **kwargs)  # inside another trace or transform: eager
        if kwargs or any(a.__class__ in _CONTAINERS for a in args):
            leaves, spec = tree_flatten((args, kwargs))
            shape = _freeze(spec)
        else:  # the common call, f(x, y): no structure to take apart
            leaves, spec, shape = list(args), None, len(args)
        key = (shape, _modes.enabled, tuple(_leaf_key(x) for x in leaves))
        programs = self._programs.get(key)
        if programs is not None:
            for program in programs:
                out = program(leaves)
                if out is not MISS:
                    return tree_unflatten(program.out_spec, out)
        elif key in self._eager:
            return self.fn(*args, **kwargs)
        return self._trace(key, leaves, spec)

    def source(self) -> str:
        """The program of the last trace, as Python."""
        if self._last is None:
            raise RuntimeError(f"compile: {self.__name__} has not been traced yet; call it")
        return self._last.source

    def _trace(self, key, leaves, spec):
        rec = Recorder()
        modules, optimizers = _reachable(self.fn, leaves)
        call_leaves = list(leaves)
        with patched(), rec, trace_ops(Tracer(rec, self.fuse)):
            for i, x in enumerate(leaves):
                if isinstance(x, Tensor):
                    rec.watch(x, f"A[{i}]")
                elif isinstance(x, np.ndarray):
                    call_leaves[i] = rec.input(x, f"A[{i}]")
            for m in modules:
                rec.watch_module(m)
            for opt in optimizers:
                for group in opt.param_groups:
                    for p in group["params"]:
                        rec.watch(p)
            try:
                args, kwargs = (call_leaves, {}) if spec is None else \
                    tree_unflatten(spec, call_leaves)
                result = self.fn(*args, **kwargs)
                out_leaves, out_spec = tree_flatten(result)
                pullbacks = _trace_pullbacks(rec, out_leaves)
                rec.sync()
                out_exprs = [self._output(rec, x) for x in out_leaves]
                for pb in pullbacks:  # the replay hands these out as raw arrays
                    out_exprs[pb.index] = f"s{rec.slot(out_leaves[pb.index]._data)}"
            finally:
                rec.restore()
        rec.check_constants()
        result = tree_unflatten(out_spec, [_detached(x) for x in out_leaves])
        if rec.failure is not None:
            self._eager[key] = rec.failure
            warnings.warn(f"compile: {self.__name__} runs uncompiled: {rec.failure}",
                          stacklevel=3)
            return result
        program = build(rec, out_exprs, out_spec, self.fuse, pullbacks)
        self._last = program
        self._programs.setdefault(key, []).append(program)
        self._programs.move_to_end(key)
        if sum(len(p) for p in self._programs.values()) > self.cache_size:
            self._programs.popitem(last=False)
            self._evictions += 1
            if self._evictions > 2 * self.cache_size:
                self._evictions = -1  # eager from now on
                warnings.warn(f"compile: {self.__name__} was traced anew {2 * self.cache_size}"
                              f" times (its guards keep changing); it runs uncompiled from "
                              f"now on", stacklevel=3)
        return result

    @staticmethod
    def _output(rec: Recorder, x) -> str:
        if isinstance(x, Tensor):
            d = x._data
            n = rec.slot(d) if d.__class__ is Traced else None
            if n is not None:
                w = rec.watched.get(id(x))
                return w.expr if w is not None else f"_mk(s{n})"
            return rec.const(x)
        if isinstance(x, Traced):
            n = rec.slot(x)
            return f"s{n}" if n is not None else f"{rec.const(plain(x))}.copy()"
        if isinstance(x, np.ndarray):
            return f"{rec.const(x)}.copy()"
        if x.__class__ in (bool, int, float, str, type(None)) or isinstance(x, np.generic):
            return rec.ref(x)
        return rec.const(x)


def _trace_pullbacks(rec: Recorder, out_leaves) -> list:
    """For each output a caller may differentiate (a tensor whose graph is still there:
    a compiled forward, not a whole step), trace its backward pass now, once, as lines of
    its own: ``autograd.grad`` of it with respect to every tensor read that requires grad,
    from a seed that the replay's backward gets as ``G``."""
    from ..autograd.engine import grad as _grad
    if not _modes.enabled:
        return []
    pullbacks = []
    for i, out in enumerate(out_leaves):
        node = getattr(out, "grad_fn", None)
        if not isinstance(out, Tensor) or node is None or node.edges is None or \
                out._data.__class__ is not Traced or rec.slot(out._data) is None:
            continue
        watched = [w for w in rec.watched.values() if w.tensor._requires_grad]
        start = len(rec.lines)
        guards = (len(rec.value_guards), len(rec.late_guards), len(rec.effects))
        rec.suspended += 1  # (the seed's zeros are not a line of the program)
        zeros = np.zeros(out.shape, out._data.dtype)
        rec.suspended -= 1
        seed = rec.input(zeros, "G")
        grads = _grad([out], [w.tensor for w in watched], [Tensor(seed)], retain_graph=True,
                      allow_unused=True)
        if guards != (len(rec.value_guards), len(rec.late_guards), len(rec.effects)):
            rec.fail("the backward pass of an output reads a value into Python or changes "
                     "state; compile the whole step (forward, backward and update) instead")
        slots = [None if g is None else rec.slot(g._data) for g in grads]
        pullbacks.append(Pullback(i, start, len(rec.lines), rec.slot(seed), slots,
                                  [w.expr for w in watched]))
    return pullbacks


def _detached(x):
    """An output of the tracing call, with plain arrays; a tensor whose graph the function
    used up (a whole step's loss) detached, as the replays return it."""
    if isinstance(x, Tensor) and x._data.__class__ is Traced:
        x._data = plain(x._data)
        node = x.grad_fn
        if node is not None and node.edges is None:
            return make_tensor(x._data)
    return unwrap(x) if isinstance(x, Traced) else x


def compile(fn: Callable = None, *, cache_size: int = 8, fuse: bool = False):
    """Compile ``fn`` (a function or an ``nn.Module``): traced on its first call, replayed
    on the next ones (see :mod:`chainrule.compile`). Also a decorator, with or without
    arguments.

    >>> import chainrule as cr
    >>> f = cr.compile(lambda x: (x * 2).sum())
    >>> f(cr.ones(3)).item(), f(cr.arange(3.)).item()
    (6.0, 6.0)
    """
    if fn is None:
        return lambda f: CompiledFunction(f, cache_size, fuse)
    return CompiledFunction(fn, cache_size, fuse)


def __dir__():
    return __all__
