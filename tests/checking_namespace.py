"""A checking stand-in for a second array backend, on the CPU.

``Guarded`` is an ndarray subclass playing a device array (CuPy's): its values are NumPy's,
but NumPy refuses to touch it. A NumPy function or ufunc called on it directly
(``np.exp(x)``, ``np.sum(x)``, ``np.add.reduce(x)``, ``np.pad(x, ...)``) reaches
``Guarded.__array_ufunc__`` / ``__array_function__``, which raise ``BackendLeak`` when the
call comes from a primitive's forward or VJP rule. What a backend-neutral forward or rule
may use works:

* ``NAMESPACE``, the checking namespace: every attribute of the namespace rules get for
  NumPy data today (``chainrule._fastnp``), each call run with the guard lifted and its
  array results made Guarded (so ``xp.zeros(shape)`` is a device array, as ``cupy.zeros``);
* the array's own methods, operators and indexing (``x.reshape``, ``x * y``, ``x[i]``,
  ``x.sum()``), which CuPy arrays have too.

A plain NumPy array (one dimension or more) meeting a Guarded one in a forward or a rule is
refused too: it was made with NumPy directly (``np.zeros``, ``np.ones``, ``np.eye``,
``np.arange``), and would be a host array next to device arrays. A forward or rule that
returns a plain array for Guarded inputs is refused likewise (``BackendLeak`` naming it).

Only code running inside a forward or a rule is held to this: front-ends (argument checks,
index preparation) and the engine's own glue may still call NumPy, and such calls are only
recorded (``LEAKS``, kind "front-end"). Whether code runs inside a forward or a rule is
known from wrappers that ``install(monkeypatch, phase)`` puts around every primitive's
forward and rules, and around the forwards the operator fast paths hold in their closures
(found by their code: the functions ``unary_operator``/``binary_operator`` return).

``phase="rules"``: only VJP rules are held to it; forwards (also those a rule runs through
``call``) may use NumPy, and their outputs are made Guarded, as a converted forward's would
be. ``phase="all"``: forwards too.

``install`` also makes ``_backend.rule_namespace`` and ``_backend.array_module`` (and
``_backend.namespace_of``, once there is one) answer ``NAMESPACE`` for Guarded arrays, as
they would answer ``cupy`` for CuPy arrays.
"""
from __future__ import annotations

import gc
import os
import sys
import threading
import types
from contextlib import contextmanager

import numpy as np

__all__ = ["BackendLeak", "Guarded", "NAMESPACE", "LEAKS", "guard", "plain", "install",
           "strict", "recording"]


class BackendLeak(AssertionError):
    """NumPy was called directly on a Guarded array from a forward or a rule."""


_state = threading.local()
# (kind, primitive, what, where); kind: "rule", "forward" or "front-end" (not held to it)
LEAKS: list = []


def _get(name, default):
    return getattr(_state, name, default)


def _depth() -> int:
    return _get("depth", 0)


@contextmanager
def _lifted():
    """The guard off: inside the namespace, a method, or NumPy's own internals."""
    _state.depth = _depth() + 1
    try:
        yield
    finally:
        _state.depth -= 1


def _contexts() -> list:
    stack = _get("contexts", None)
    if stack is None:
        stack = _state.contexts = []
    return stack


@contextmanager
def _inside(kind: str, name: str, given=()):
    """Running a forward or a rule (``kind``) of primitive ``name`` on arguments ``given``
    (NumPy arrays among them came from elsewhere: a front-end's constants)."""
    stack = _contexts()
    stack.append((kind, name, {id(v) for v in _flatten(given) if _is_host(v)}))
    try:
        yield
    finally:
        stack.pop()


@contextmanager
def strict(name: str = "test"):
    """Hold the enclosed code to the rules' standard (for the self-tests)."""
    with _inside("rule", name):
        yield


_config = {"phase": "all", "raising": True}


@contextmanager
def recording():
    """Record leaks in LEAKS instead of raising (to list every one, not only the first)."""
    _config["raising"] = False
    try:
        yield
    finally:
        _config["raising"] = True


_SRC = os.sep + "chainrule" + os.sep
_HERE = os.path.abspath(__file__)
# The core's modules that run forwards (apply, the fast paths, promotion).
_RUNNERS = {os.path.join("chainrule", "autograd", f"{m}.py")
            for m in ("primitives", "fastpath", "promotion")}


def _chainrule_frames():
    """(file relative to the package, line, function) of the chainrule frames on the
    stack, innermost first."""
    out = []
    frame = sys._getframe(1)
    while frame is not None:
        path = frame.f_code.co_filename
        if _SRC in path and os.path.abspath(path) != _HERE:
            rel = path[path.rindex(_SRC) + 1:]
            out.append((rel, frame.f_lineno, frame.f_code.co_name))
        frame = frame.f_back
    return out


def _held(frames):
    """The innermost forward or rule running, as (kind, primitive name), or None."""
    stack = _contexts()
    if stack:
        return stack[-1][:2]
    # A forward that no wrapper reached, run by apply or a fast path.
    if frames and frames[0][0] in _RUNNERS:
        return "forward", f"the op run by {frames[0][2]}"
    return None


def _where(frames) -> str:
    """The innermost chainrule frame (``_fastnp``'s named as the way, not the place)."""
    via = []
    while frames and frames[0][0].endswith("_fastnp.py"):
        via.append(frames[0][2])
        frames = frames[1:]
    if not frames:
        return "?"
    rel, line, fn = frames[0]
    return f"{rel}:{line} {fn}" + (f" (via _fastnp.{via[-1]})" if via else "")


def _leak(what: str) -> None:
    """A direct NumPy call on Guarded data: raise if a forward or rule (by phase) made it."""
    frames = _chainrule_frames()
    held = _held(frames)
    if held is not None and held[0] == "forward" and _config["phase"] == "rules":
        held = None  # forwards may use NumPy in this phase: noted only
    kind = held[0] if held else "front-end"
    where = _where(frames)
    LEAKS.append((kind, held[1] if held else None, what, where))
    if held is not None and _config["raising"]:
        raise BackendLeak(f"{what} called directly on a device array in the {held[0]} of "
                          f"{held[1]}, at {where}; use the namespace of the data (xp)")


def _is_host(v) -> bool:
    """A NumPy array of one dimension or more: a host array next to device arrays."""
    return type(v) is np.ndarray and v.ndim > 0


def _is_plain(v) -> bool:
    """A NumPy array or scalar, as a forward or rule returns it."""
    return type(v) is np.ndarray or isinstance(v, np.generic)


def _check_mixing(what: str, args, kwargs=None) -> None:
    values = list(_flatten(args)) + (list(_flatten(list(kwargs.values()))) if kwargs else [])
    stack = _contexts()
    given = stack[-1][2] if stack else set()
    if any(type(v) is Guarded for v in values) and \
            any(_is_host(v) and id(v) not in given for v in values):
        _leak(f"{what} with a NumPy array made directly (np.zeros/ones/eye/arange/...)")


def _flatten(obj):
    if isinstance(obj, (list, tuple)):
        for item in obj:
            yield from _flatten(item)
    else:
        yield obj


def guard(value):
    """Arrays (and NumPy scalars) in ``value`` as Guarded; anything else as it is."""
    if type(value) is np.ndarray:
        return np.ndarray.view(value, Guarded)
    if isinstance(value, np.generic) and not isinstance(value, np.void):
        return np.asarray(value).view(Guarded)  # device reductions give 0-d arrays
    if isinstance(value, tuple):  # named tuples too (NumPy's slogdet, eigh)
        items = [guard(v) for v in value]
        return tuple(items) if type(value) is tuple else type(value)(*items)
    if type(value) is list:
        return [guard(v) for v in value]
    return value


def plain(value):
    """Guarded arrays in ``value`` as plain NumPy views (for NumPy's own implementations)."""
    if isinstance(value, Guarded):
        return np.ndarray.view(value, np.ndarray)
    if isinstance(value, tuple):
        items = [plain(v) for v in value]
        return tuple(items) if type(value) is tuple else type(value)(*items)
    if type(value) is list:
        return [plain(v) for v in value]
    if type(value) is dict:
        return {k: plain(v) for k, v in value.items()}
    return value


class Guarded(np.ndarray):
    """A NumPy array that NumPy's functions refuse (see the module docstring)."""

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        name = f"numpy.{ufunc.__name__}" + ("" if method == "__call__" else f".{method}")
        if not _depth():
            _leak(name)
        out = kwargs.get("out")
        with _lifted():
            result = getattr(ufunc, method)(*plain(inputs), **plain(kwargs))
        if out is not None:
            return out[0] if isinstance(out, tuple) and len(out) == 1 else out
        return guard(result)

    def __array_function__(self, func, types, args, kwargs):
        if not _depth():
            module = getattr(func, "__module__", "numpy") or "numpy"
            _leak(f"{module}.{func.__name__}")
        with _lifted():
            return guard(func(*plain(args), **plain(kwargs)))


# The array's own methods and operators are the backend's: the guard is lifted inside them.
_NOT_WRAPPED = {"__array_ufunc__", "__array_function__", "__array_finalize__", "__array_wrap__",
                "__array_prepare__", "__array__", "__new__", "__init__", "__getattribute__",
                "__setattr__", "__delattr__", "__init_subclass__", "__subclasshook__",
                "__class_getitem__", "__reduce__", "__reduce_ex__", "__setstate__",
                "__sizeof__", "__dlpack__", "__dlpack_device__", "__buffer__",
                "__release_buffer__", "__array_namespace__", "__hash__"}


def _method(name, impl):
    def method(self, *args, **kwargs):
        if not _depth() and name != "__getitem__":  # (NumPy index arrays are not data)
            _check_mixing(f"ndarray.{name}", (self,) + (args[1:] if name == "__setitem__"
                                                         else args), kwargs)
        with _lifted():
            result = impl(self, *args, **kwargs)
        if result is self or name == "view":  # x.view(np.ndarray) asks for a host view
            return result
        return guard(result)
    method.__name__ = name
    return method


for _name, _impl in vars(np.ndarray).items():
    if _name not in _NOT_WRAPPED and isinstance(
            _impl, (types.MethodDescriptorType, types.WrapperDescriptorType)):
        setattr(Guarded, _name, _method(_name, _impl))


class _Callable:
    """A namespace function (or ufunc, with its methods) run with the guard lifted."""

    def __init__(self, name, fn):
        self._name, self._fn = name, fn

    def __call__(self, *args, **kwargs):
        if not _depth():
            _check_mixing(f"xp.{self._name}", args, kwargs)
        with _lifted():
            return guard(self._fn(*args, **kwargs))

    def __getattr__(self, attr):
        value = getattr(self._fn, attr)
        return _Callable(f"{self._name}.{attr}", value) if callable(value) else value

    def __repr__(self):
        return f"<checked {self._name}>"


class _Namespace:
    """Attribute access forwarded to ``module``, every callable checked (see _Callable)."""

    def __init__(self, module, name):
        self._module, self._name = module, name

    def __getattr__(self, attr):
        value = getattr(self._module, attr)
        if isinstance(value, types.ModuleType):
            return _Namespace(value, f"{self._name}.{attr}")
        if isinstance(value, type) or not callable(value):
            return value  # dtypes, scalar types, constants
        return _Callable(attr, value)

    def __repr__(self):
        return f"<checking namespace over {self._name}>"


def _rule_module():
    """The namespace rules get for NumPy data today."""
    from chainrule import _backend
    return _backend.rule_namespace(np.empty(0))


NAMESPACE = _Namespace(_rule_module(), _rule_module().__name__)


# ----- holding forwards and rules to it ------------------------------------------------------
_found = {}


def _primitives():
    """Every Primitive (one scan of the heap per session: primitives are made at import)."""
    if "primitives" not in _found:
        from chainrule.autograd.primitives import Primitive
        _found["primitives"] = [o for o in gc.get_objects() if isinstance(o, Primitive)]
    return _found["primitives"]


def _returns_plain(result) -> bool:
    return any(_is_plain(v) for v in _flatten(result if isinstance(result, tuple) else (result,)))


def _wrap_forward(prim, forward):
    def checked_forward(*args, **kwargs):
        guarded_in = any(type(v) is Guarded for v in _flatten(args))
        with _inside("forward", prim.name, (args, list(kwargs.values()))):
            result = forward(*args, **kwargs)
        if guarded_in and _returns_plain(result):
            if _config["phase"] == "rules":
                return guard(result)  # as a converted forward would give it
            with _inside("forward", prim.name):
                _leak(f"forward {getattr(forward, '__qualname__', forward)!s} returned a NumPy "
                      f"array or scalar made directly")
            return guard(result)
        return result
    return checked_forward


def _wrap_rule(prim, rule):
    from chainrule.autograd.engine import pass_through
    if rule is None or rule is pass_through:
        return rule  # the engine skips pass_through by identity

    def checked_rule(xp, g, *args, **kwargs):
        with _inside("rule", prim.name, (g, args, list(kwargs.values()))):
            result = rule(xp, g, *args, **kwargs)
            if type(g) is Guarded and _returns_plain(result):
                _leak(f"rule {getattr(rule, '__qualname__', rule)!s} returned a NumPy array "
                      f"made directly")
        return guard(result)
    return checked_rule


def _code_key(code):
    return code.co_filename, code.co_firstlineno, code.co_code


def _fast_path_factories():
    """unary_operator and binary_operator, wherever they live now."""
    import importlib
    import pkgutil
    import chainrule.autograd as autograd
    for info in pkgutil.iter_modules(autograd.__path__):
        module = importlib.import_module(f"chainrule.autograd.{info.name}")
        unary, binary = getattr(module, "unary_operator", None), getattr(module, "binary_operator",
                                                                        None)
        if unary is not None and binary is not None:
            return unary, binary
    raise LookupError("no module of chainrule.autograd defines unary_operator/binary_operator")


def _fast_path_keys() -> set:
    from chainrule.ops import elementwise as ew
    unary, binary = _fast_path_factories()
    return {_code_key(f.__code__) for f in (unary(ew.exp), binary(ew.add))}


def _fast_path_cells():
    """The ``forward`` cells of every function the operator fast paths are (found by their
    code, whatever name the surface gave them): they run their forwards unwrapped."""
    if "cells" in _found:
        return _found["cells"]
    keys = _fast_path_keys()
    cells = {}
    for obj in gc.get_objects():
        if not isinstance(obj, types.FunctionType) or not obj.__closure__:
            continue
        code = obj.__code__
        if _code_key(code) not in keys:
            continue
        names = dict(zip(code.co_freevars, obj.__closure__))
        if "forward" in names and "prim" in names:
            cells[id(names["forward"])] = (names["prim"].cell_contents, names["forward"])
    _found["cells"] = list(cells.values())
    return _found["cells"]


def fast_paths():
    """(attribute name, primitive, reflected) of every Tensor attribute that is an operator
    fast path."""
    import inspect
    from chainrule.autograd.tensor import Tensor
    keys = _fast_path_keys()
    out = []
    for name in sorted(dir(Tensor)):
        fn = inspect.getattr_static(Tensor, name, None)
        code = getattr(fn, "__code__", None)
        if code is None or _code_key(code) not in keys or not fn.__closure__:
            continue
        cells = {n: c.cell_contents for n, c in zip(code.co_freevars, fn.__closure__)}
        out.append((name, cells["prim"], bool(cells.get("reflected", False))))
    return out


def install(monkeypatch, phase: str = "all", extra=()) -> None:
    """Hold every primitive's rules (phase "rules") or forwards and rules (phase "all") to
    the data's namespace, for the rest of the test (undone by ``monkeypatch``). The
    primitives are found once per session; ``extra``: primitives made since (a test's)."""
    from chainrule import _backend
    assert phase in ("rules", "all")
    monkeypatch.setitem(_config, "phase", phase)
    for name in ("rule_namespace", "array_module", "namespace_of"):
        original = getattr(_backend, name, None)
        if original is not None:
            monkeypatch.setattr(_backend, name, lambda a, *rest, _original=original: NAMESPACE
                                if type(a) is Guarded else _original(a, *rest))
    for prim, cell in _fast_path_cells():
        monkeypatch.setattr(cell, "cell_contents", _wrap_forward(prim, cell.cell_contents))
    for prim in {id(p): p for p in list(_primitives()) + list(extra)}.values():
        monkeypatch.setattr(prim, "forward", _wrap_forward(prim, prim.forward))
        if prim.vjps is not None:
            monkeypatch.setattr(prim, "vjps", tuple(_wrap_rule(prim, r) for r in prim.vjps))
        if prim.vjp_all is not None:
            rule = prim.vjp_all

            def checked_all(xp, g, *args, _rule=rule, _prim=prim, **kwargs):
                with _inside("rule", _prim.name, (g, args, list(kwargs.values()))):
                    result = list(_rule(xp, g, *args, **kwargs))
                    if type(g) is Guarded and _returns_plain(tuple(result)):
                        _leak(f"rule {getattr(_rule, '__qualname__', _rule)!s} returned a "
                              f"NumPy array made directly")
                return guard(result)
            monkeypatch.setattr(prim, "vjp_all", checked_all)
