"""The recorder of a compiling trace: it writes the replay program, one line per array
operation, while the traced function runs for real.

Variables: ``s<n>`` is an array the trace made (a Traced array, ``_slot = (trace, n)``);
``A`` is the list of the call's leaves (arguments); ``c<n>`` are the program's constants
(functions, dtypes, arrays made before the trace, the tensors it reads: a parameter is read
as ``c<k>._data`` where the trace first meets it, so a replay sees its current value).

State the graph keeps in Python objects (a parameter's ``.grad``, a rebound ``.data``) is
written back by assignment lines at the end and before every opaque call (an optimizer's
step, which runs as a call: it reads the live hyperparameters and step count).

What a replay could not repeat makes the trace fail (``failure``) and the call stays eager:
a number read into Python from the state (``if loss.item() > 0``), a write into an array
the trace did not make, a hook, an untraced random draw. A value read from the inputs alone
(a class index checked against the number of classes) becomes a guard instead: the replay
computes it first and takes the trace only when it comes out the same; a decision
(``bool``) on the state before anything final is checked where it was made
(``late_guards``).
"""
from __future__ import annotations

import itertools
import math
import re

import numpy as np

from ..autograd.tensor import Tensor
from ._fuse import elementwise_operands
from ._traced import Traced, plain, set_current, traced_in, unwrap

__all__ = ["Recorder"]

_LITERALS = (bool, int, str, type(None))
_serials = itertools.count()
_USES = re.compile(r"\bs(\d+)\b")


class _Watched:
    """A tensor whose Python-visible state (``_data``, ``grad``) the trace follows."""
    __slots__ = ("tensor", "expr", "original", "view", "grad", "grad_view", "grad_original",
                 "emitted_grad")

    def __init__(self, tensor, expr):
        self.tensor, self.expr = tensor, expr
        self.original = self.view = None          # its array before the trace, and our view
        self.grad = self.grad_view = self.grad_original = None
        self.emitted_grad = None


class Recorder:
    """Writes the program of one trace; see the module docstring."""

    def __init__(self):
        self.serial = next(_serials)  # a Traced array's _slot is (serial, n): whose, which
        self.lines = []
        self.guards = []         # conditions on the state, checked before a replay runs
        self.value_guards = []   # (index of the first line after it, expression, value)
        self.consts = {}
        self._const_names = {}   # id(object) -> name
        self.slots = 0
        self.keep = []           # every Traced array made (their ids name them)
        self.stateful = set()    # slots whose value depends on state (not inputs alone)
        self.snapshots = []      # (array, copy): constants must be left as they were
        self.owners = {}         # slot -> id of the array owning its memory (see owner)
        self._traced_memory = set()  # the values of owners
        self.written_memory = set()  # the owners of the memory written in place
        self._foreign = {}       # id(another trace's array) -> the plain view naming it
        self.elementwise = {}    # line -> (ufunc, operands, slot, shape, dtype): see _fuse
        self._modules = set()    # ids of the modules followed (watch_module)
        self.watched = {}        # id(tensor) -> _Watched
        self.suspended = 0
        self.failure = None
        # Lines that change state outside the program, as (line, kind, target): "array"
        # (a parameter or buffer written in place) and "rng" (a draw) can be undone by a
        # replay that stops at a guard; "final" ones (a write-back, an optimizer's step)
        # cannot, so no guard may follow them.
        self.effects = []
        self.final = False
        self.late_guards = []  # (line, check, effects before it) read from the state
        # What constant folding needs (see _fold): the values that follow from the program
        # alone (slot -> the array the trace made), the ones written after they were made,
        # the lines that write (line -> target slots), the matrix products (line -> slots).
        self.constant = {}
        self._constant_owners = {}  # id(the array owning the memory) -> constant slots
        self.unfoldable = set()
        self.writes = {}
        self.matmuls = {}

    # ----- names ---------------------------------------------------------------------
    def slot(self, x):
        """The program variable number of ``x``, a Traced array this trace made; or None."""
        tag = x._slot
        return tag[1] if tag is not None and tag[0] == self.serial else None

    def const(self, obj) -> str:
        key = id(obj)
        name = self._const_names.get(key)
        if name is None:
            name = self._const_names[key] = f"c{len(self._const_names)}"
            self.consts[name] = obj
        return name

    def ref(self, x) -> str:
        """The program expression for an operand."""
        cls = x.__class__
        if cls is Traced:
            n = self.slot(x)
            if n is not None:
                return f"s{n}"
            if x._slot is None:
                self.fail(f"an array of shape {x.shape} derived from a traced one by an "
                          f"operation the trace does not see")
            x = self._const_array(x)  # another trace's (a cache kept it): a constant here
            cls = x.__class__
        if cls is tuple:
            return "(" + "".join(self.ref(v) + ", " for v in x) + ")"
        if cls is list:
            return "[" + ", ".join(self.ref(v) for v in x) + "]"
        if cls is dict:
            return "{" + ", ".join(f"{k!r}: {self.ref(v)}" for k, v in x.items()) + "}"
        if cls is slice:
            return f"slice({self.ref(x.start)}, {self.ref(x.stop)}, {self.ref(x.step)})"
        if cls in _LITERALS or x is Ellipsis:
            return repr(x)
        if cls is float and math.isfinite(x):
            return repr(x)
        if isinstance(x, Tensor):
            self.fail(f"a Tensor reached a NumPy call as an operand ({tuple(x.shape)})")
        elif isinstance(x, np.ndarray) and id(x) not in self._const_names:
            if id(owner(x)) in self._traced_memory:
                self.fail(f"a plain NumPy array of shape {x.shape} views a traced one: a "
                          f"call the trace does not see converted it (a library's own "
                          f"binding of np.asarray, made before the trace), and a replay "
                          f"would read its values from the first call")
            self.snapshots.append((x, x.copy()))
        return self.const(x)

    def _const_array(self, x):
        """``x`` as the constant the program names it by: another trace's Traced array is
        named by one plain view of it (the same one each time it is met)."""
        if x.__class__ is not Traced:
            return x
        view = self._foreign.get(id(x))
        if view is None:
            view = self._foreign[id(x)] = plain(x)
            self.keep.append(x)
        return view

    def _stateful(self, values) -> bool:
        """Whether any traced array in ``values`` depends on the state."""
        return any(self.slot(v) in self.stateful for v in traced_in(tuple(values)))

    # ----- arrays --------------------------------------------------------------------
    def adopt(self, res, expr: str, stateful: bool, constant: bool = False):
        """Give the result of ``expr`` program variables; returns it as the trace sees it.
        ``constant``: its value follows from the program alone (see ``_fold``)."""
        if isinstance(res, np.ndarray):
            return self._new(res, expr, stateful, constant)
        if isinstance(res, np.generic):
            return self._new(np.asarray(res), f"_as0d({expr})", stateful, constant)
        if isinstance(res, (tuple, list)) and res and \
                all(isinstance(r, (np.ndarray, np.generic)) for r in res):
            self.lines.append(f"_r = {expr}")
            items = [self.adopt(r, f"_r[{i}]", stateful) for i, r in enumerate(res)]
            return type(res)(*items) if hasattr(res, "_fields") else type(res)(items)
        if res is None:
            self.lines.append(expr)
            return None
        return res  # a shape, a dtype, a flag: what the guards already fix

    def _new(self, res: np.ndarray, expr: str, stateful: bool, constant: bool = False) -> Traced:
        t = np.ndarray.view(res, Traced)  # the same memory and strides as eager's
        if res.base is None:
            t._fresh = True  # its .base reads None, as the fresh array's does
        return self._name(t, expr, stateful, constant)

    def _name(self, t: Traced, expr: str, stateful: bool, constant: bool = False) -> Traced:
        n = self.slots
        t._slot = (self.serial, n)
        self.slots += 1
        self.keep.append(t)
        self.owners[n] = id(owner(t))
        self._traced_memory.add(self.owners[n])
        if stateful:
            self.stateful.add(n)
        elif constant:
            self.constant[n] = plain(t)
            self._constant_owners.setdefault(self.owners[n], set()).add(n)
        self.lines.append(f"s{n} = {expr}")
        return t

    def _is_constant(self, values) -> bool:
        """Whether every operand in ``values`` follows from the program alone: a literal, a
        function, a dtype, or a constant program variable (an array made before the trace
        may change between calls, so it is not one)."""
        for v in values:
            cls = v.__class__
            if cls is Traced:
                if self.slot(v) not in self.constant:
                    return False
            elif cls is tuple or cls is list:
                if not self._is_constant(v):
                    return False
            elif cls is dict:
                if not self._is_constant(v.values()):
                    return False
            elif cls is slice:
                if not self._is_constant((v.start, v.stop, v.step)):
                    return False
            elif isinstance(v, (np.ndarray, Tensor)):
                return False
        return True

    def effect(self, kind: str = "final", target: str = None) -> None:
        """The next line changes state outside the program (see ``effects``)."""
        self.effects.append((len(self.lines), kind, target))
        if kind == "final":
            self.final = True

    def _aliases_state(self, t: Traced) -> bool:
        a = plain(t)
        return any(o is not None and np.may_share_memory(a, o)
                   for w in self.watched.values() for o in (w.original, w.grad_original))

    def _written(self, targets, stateful: bool, constant: bool = False) -> None:
        """The next line writes into ``targets``; ``constant``: what it writes follows from
        the program alone."""
        self.writes[len(self.lines)] = [self.slot(t) for t in targets if t.__class__ is Traced]
        for t in targets:
            n = self.slot(t) if t.__class__ is Traced else None
            if n is not None:
                self.written_memory.add(self.owners[n])
                # A constant sharing this memory is not its final value at every later line.
                for k in self._constant_owners.get(self.owners[n], ()):
                    self.unfoldable.add(k)
                    if not constant or n not in self.constant:
                        self.constant.pop(k, None)
                if stateful:
                    self.stateful.add(n)
                if self._aliases_state(t):
                    self.effect("array", f"s{n}")
            elif isinstance(t, np.ndarray):
                # Made outside the trace and not read through a tensor the trace follows:
                # other writes into it may be invisible to the trace.
                self.fail(f"an operation writes into an array of shape {t.shape} made "
                          f"outside the step and not held by a tensor the step reads "
                          f"(make it inside the step, or keep it in a module's buffer)")

    def run(self, fn, args, kwargs):
        """``fn`` on the plain arrays, unrecorded: what NumPy does inside it (a Generator
        making its output with ``np.empty``) is not the program's business."""
        self.suspended += 1
        try:
            return fn(*unwrap(args), **unwrap(kwargs))
        finally:
            self.suspended -= 1

    def call(self, fn, args, kwargs, writes=()):
        """Run ``fn`` on plain arrays and record it."""
        res = self.run(fn, args, kwargs)
        expr = self._call_expr(self.const(fn), args, kwargs)
        stateful = self._stateful(args) or self._stateful(kwargs.values())
        out = kwargs.get("out")
        operands = kwargs if out is None else {k: v for k, v in kwargs.items() if k != "out"}
        constant = not stateful and self._is_constant(operands.values()) and \
            self._is_constant(args[1:] if fn in _SHAPE_ONLY else args)
        if out is not None:
            outs = out if isinstance(out, tuple) else (out,)
            self._written(outs, stateful, constant)
            self.lines.append(expr)
            return outs[0] if isinstance(out, tuple) and len(out) == 1 else out
        if writes:
            self._written(writes, stateful, constant)
        if res is not None and not isinstance(res, (np.ndarray, np.generic, tuple, list)):
            if fn not in _STATIC:
                self.value_read(None, getattr(fn, "__name__", "a NumPy function"), res)
            return res
        traced = self.adopt(res, expr, stateful, constant and not writes)
        if fn is np.matmul and len(args) == 2 and not kwargs and isinstance(res, np.ndarray):
            self.matmuls[len(self.lines) - 1] = tuple(
                self.slot(a) if a.__class__ is Traced else None for a in args)
        if fn.__class__ is np.ufunc and isinstance(res, np.ndarray):
            operands = elementwise_operands(self, fn, args, kwargs, res)
            if operands is not None:  # a line a fusing build may merge with its neighbours
                self.elementwise[len(self.lines) - 1] = (fn, operands, self.slot(traced),
                                                         res.shape, res.dtype)
        return traced

    def method(self, obj: Traced, name: str, args, kwargs, writes: bool):
        res = self.run(getattr(plain(obj), name), args, kwargs)
        stateful = self.slot(obj) in self.stateful or self._stateful(args) or \
            self._stateful(kwargs.values())
        expr = self._call_expr(f"{self.ref(obj)}.{name}", args, kwargs)
        constant = self.slot(obj) in self.constant and self._is_constant(args) and \
            self._is_constant(kwargs.values())
        if writes:
            self._written((obj,), stateful, constant)
            self.lines.append(expr)
            return res
        return self.adopt(res, expr, stateful, constant)

    def attribute(self, obj: Traced, name: str):
        res = getattr(plain(obj), name)
        return self.adopt(res, f"{self.ref(obj)}.{name}", self.slot(obj) in self.stateful,
                          self.slot(obj) in self.constant)

    def _call_expr(self, head: str, args, kwargs) -> str:
        parts = [self.ref(a) for a in args]
        parts += [f"{k}={self.ref(v)}" for k, v in kwargs.items()]
        return f"{head}({', '.join(parts)})"

    def input(self, array: np.ndarray, expr: str) -> Traced:
        """A program input: the array ``expr`` names at the start of a replay."""
        return self._new_view(array, expr, stateful=False)

    def _new_view(self, array, expr: str, stateful: bool) -> Traced:
        return self._name(np.ndarray.view(array, Traced), expr, stateful)

    # ----- reading values into Python ------------------------------------------------
    def value_read(self, x, kind: str, value) -> None:
        """Python read ``value`` from ``x``: a guard if it follows from the inputs alone."""
        n = self.slot(x) if x is not None else None
        expr = {"bool": "bool", "float": "float", "int": "int", "index": "int",
                "complex": "complex", "item": "_item"}.get(kind)
        if n is not None and n not in self.stateful and expr is not None and \
                _comparable(value):
            lines = self._slice(n)
            if lines is not None:
                self.value_guards.append((lines, f"{expr}(s{n}) != {value!r}"))
                return
        if n is not None and kind == "bool" and not self.final:
            # A decision on the state (a NaN check on activations): checked where it was
            # made, and a replay that decides otherwise undoes what it changed before
            # stopping. (A number read from the state would differ on every call.)
            self.late_guards.append((len(self.lines), f"{expr}(s{n}) != {value!r}",
                                     list(self.effects)))
            return
        self.fail(f"{kind}() reads a traced value into Python ({_user_frame()}); a replay "
                  f"cannot repeat a decision made on it (keep values as tensors, or call "
                  f"the function uncompiled)")

    def _slice(self, n: int):
        """The lines that compute variable ``n`` from the inputs, to run before anything
        else in a replay; None when one of them writes, or memory one of them reads was written
        (through any view) before now (then they cannot run early)."""
        need, lines = {n}, []
        for i in range(len(self.lines) - 1, -1, -1):
            line = self.lines[i]
            head, eq, rhs = line.partition(" = ")
            if not eq or not head.startswith("s") or not head[1:].isdigit():
                if uses(line) & need:
                    return None  # a write into a value the guard reads, or "_r = ..."
                continue
            k = int(head[1:])
            if k in need:
                if self.owners.get(k) in self.written_memory or rhs.startswith("_r["):
                    return None
                need.discard(k)
                need |= uses(rhs)
                lines.append(i)
        return None if need else lines[::-1]

    # ----- tensors: their arrays and gradients ---------------------------------------
    def watch(self, tensor: Tensor, expr: str = None) -> _Watched:
        """Follow ``tensor``: its array becomes a program variable read where first met."""
        w = self.watched.get(id(tensor))
        if w is not None:
            return w
        if tensor._hooks:
            self.fail(f"a tensor of shape {tuple(tensor.shape)} has gradient hooks; a "
                      f"replay would not call them (remove them, or do not compile)")
        w = self.watched[id(tensor)] = _Watched(tensor, expr or self.const(tensor))
        data = tensor._data
        if data.__class__ is not Traced:
            if not isinstance(data, np.ndarray):
                self.fail(f"a tensor holds a {type(data).__name__}, not a NumPy array")
                return w
            self._guard_tensor(w)
            w.original = data
            w.view = tensor._data = self._new_view(data, f"{w.expr}._data",
                                                   stateful=expr is None)
        grad = tensor.grad
        w.grad = grad
        if grad is not None and grad._data.__class__ is not Traced:
            w.grad_original = grad._data
            w.grad_view = grad._data = self._new_view(grad._data, f"{w.expr}.grad._data",
                                                      stateful=True)
        return w

    def watch_module(self, module) -> None:
        """Follow a module the step calls: its mode is guarded, its tensors read where met
        (a buffer updated in place by its own code, as BatchNorm's running statistics)."""
        if id(module) in self._modules:
            return
        self._modules.add(id(module))
        self.keep.append(module)
        self.guards.append(f"{self.const(module)}.training is {module.training!r}")
        for t in list(module._parameters.values()) + list(module._buffers.values()):
            if isinstance(t, Tensor):
                self.watch(t)

    def _guard_tensor(self, w: _Watched) -> None:
        t, e = w.tensor, w.expr
        data = t._data
        self.guards.append(f"{e}._data.shape == {data.shape!r}")
        self.guards.append(f"{e}._data.dtype == {self.const(data.dtype)}")
        self.guards.append(f"{e}._requires_grad is {t._requires_grad!r}")
        if t.grad is None:
            self.guards.append(f"{e}.grad is None")
        else:
            self.guards.append(f"{e}.grad is not None and {e}.grad._data.shape == "
                               f"{t.grad._data.shape!r}")

    def grads_reset(self, tensors) -> None:
        """``zero_grad`` is about to drop these gradients: guard what they were."""
        for t in tensors:
            if id(t) not in self.watched:
                self.watch(t)

    def sync(self) -> None:
        """Lines that give the watched tensors the state they have now in the trace."""
        mark = len(self.lines)
        for w in self.watched.values():
            t = w.tensor
            if t._data is not w.view:
                data = t._data
                if data.__class__ is Traced and self.slot(data) is not None:
                    self.lines.append(f"{w.expr}._data = s{self.slot(data)}")
                    w.view = data
                else:
                    self.fail("a tensor's data was replaced by an array the trace did not make")
            grad = t.grad
            if grad is w.grad and (grad is None or grad._data is w.grad_view):
                continue
            if grad is None:
                self.lines.append(f"{w.expr}.grad = None")
            elif grad._data.__class__ is Traced and self.slot(grad._data) is not None:
                n = self.slot(grad._data)
                if grad is w.grad:
                    self.lines.append(f"{w.expr}.grad._data = s{n}")
                else:
                    self.lines.append(f"{w.expr}.grad = _mk(s{n})")
                    w.grad_original = None  # a new gradient: nothing of its own to restore
                w.grad_view = grad._data
            else:
                self.fail("a gradient was set to an array the trace did not make")
            w.grad = grad
        if len(self.lines) > mark:
            self.effects.append((mark, "final", None))
            self.final = True

    def after_opaque(self) -> None:
        """An opaque call may have rebound arrays (an optimizer's new parameter): reread."""
        for w in self.watched.values():
            t = w.tensor
            if t._data is not w.view and t._data.__class__ is not Traced:
                w.original = t._data
                w.view = t._data = self._new_view(t._data, f"{w.expr}._data", stateful=True)
            grad = t.grad
            if grad is not w.grad or (grad is not None and grad._data is not w.grad_view):
                w.grad = grad
                if grad is not None and grad._data.__class__ is not Traced:
                    w.grad_original = grad._data
                    w.grad_view = grad._data = self._new_view(
                        grad._data, f"{w.expr}.grad._data", stateful=True)

    def restore(self) -> None:
        """After the trace: every tensor holds a plain array again (its own, if unchanged)."""
        for w in self.watched.values():
            t = w.tensor
            if t._data is w.view and w.original is not None:
                t._data = w.original
            elif t._data.__class__ is Traced:
                t._data = plain(t._data)
            grad = t.grad
            if grad is not None:
                if grad._data is w.grad_view and w.grad_original is not None:
                    grad._data = w.grad_original
                elif grad._data.__class__ is Traced:
                    grad._data = plain(grad._data)

    # ----- the outcome ---------------------------------------------------------------
    def fail(self, reason: str) -> None:
        if self.failure is None:
            self.failure = reason

    def check_constants(self) -> None:
        for array, copy in self.snapshots:
            if array.shape != copy.shape or not np.array_equal(array, copy, equal_nan=True):
                self.fail(f"an array of shape {copy.shape} made outside the trace was "
                          f"changed during it")
                return

    def __enter__(self):
        set_current(self)
        return self

    def __exit__(self, *exc):
        set_current(None)


def _comparable(value) -> bool:
    return isinstance(value, (bool, int, float, complex)) and value == value


def _user_frame() -> str:
    """Where in the user's code (outside chainrule and NumPy) the read happened."""
    import sys
    frame = sys._getframe(2)
    while frame is not None:
        name = frame.f_globals.get("__name__", "")
        if not (name.startswith("chainrule") or name.startswith("numpy")):
            return f"{frame.f_code.co_filename}:{frame.f_lineno}"
        frame = frame.f_back
    return "inside chainrule"


# NumPy functions whose array results depend on their first operand's shape and dtype only.
_SHAPE_ONLY = {np.zeros_like, np.ones_like, np.empty_like, np.full_like}


def uses(text: str) -> set:
    """The program variables a line (or any text of the program) reads."""
    return {int(u) for u in _USES.findall(text)}


def owner(a: np.ndarray):
    """The object owning ``a``'s memory: the end of its chain of bases (views share it)."""
    base = np.ndarray.base.__get__(a)
    while isinstance(base, np.ndarray):
        a, base = base, np.ndarray.base.__get__(base)
    return a if base is None else base


# NumPy functions whose Python results depend on shapes and dtypes only (fixed by guards).
_STATIC = {np.shape, np.ndim, np.size, np.result_type, np.iscomplexobj, np.isrealobj,
           np.broadcast_shapes, np.can_cast, np.may_share_memory, np.shares_memory}


def __dir__():
    return __all__
