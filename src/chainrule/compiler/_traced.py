"""The array a compiling trace hands the code it watches: an ``ndarray`` subclass whose every
operation is computed for real and written down.

Arithmetic and NumPy functions reach it through NumPy's protocols (``__array_ufunc__``,
``__array_function__``); the ndarray methods that bypass them (``reshape``, ``sum``,
indexing, ``astype``, ...) are overridden here to do the same. Each recorded operation
becomes one line of the replay program (see ``_recorder``). Reading a value into Python
(``bool``, ``float``, ``item``, printing) is reported to the recorder: a replay cannot
repeat a decision Python made on a value.

Outside a trace (or inside an opaque call, such as an optimizer's step), a Traced array
computes as a plain ndarray and returns plain results.
"""
from __future__ import annotations

import threading

import numpy as np

from .. import _backend

__all__ = ["Traced", "current", "plain", "unwrap", "traced_in", "contains_traced"]

_local = threading.local()
_view = np.ndarray.view
_ndarray = np.ndarray


def current():
    """The recorder tracing in this thread, or None (also while it is suspended)."""
    rec = getattr(_local, "recorder", None)
    return None if rec is None or rec.suspended else rec


def set_current(rec) -> None:
    _local.recorder = rec


def plain(x) -> np.ndarray:
    """A Traced array's plain ndarray view (the same memory)."""
    return _view(x, _ndarray)


def unwrap(x):
    """``x`` with every Traced array in it (nested in tuples, lists, dicts) made plain."""
    cls = x.__class__
    if cls is Traced:
        return _view(x, _ndarray)
    if cls is tuple or cls is list:
        return cls(unwrap(v) for v in x)
    if cls is dict:
        return {k: unwrap(v) for k, v in x.items()}
    return x


def traced_in(x):
    """The Traced arrays in ``x`` (nested in tuples, lists, dicts)."""
    cls = x.__class__
    if cls is Traced:
        yield x
    elif cls is tuple or cls is list:
        for v in x:
            yield from traced_in(v)
    elif cls is dict:
        for v in x.values():
            yield from traced_in(v)


def contains_traced(x) -> bool:
    return next(traced_in(x), None) is not None


def _foreign(values) -> bool:
    """Whether an operand brings its own NumPy override (a Tensor): it then answers."""
    for v in values:
        if isinstance(v, (tuple, list)):
            if _foreign(v):
                return True
        elif not isinstance(v, _ndarray) and hasattr(type(v), "__array_ufunc__") and \
                type(v).__array_ufunc__ is not None and not isinstance(v, np.generic):
            return True
    return False


def _untraced(fn, args, kwargs):
    """``fn`` as on plain arrays; a Traced ``out=`` is returned as itself."""
    res = fn(*unwrap(args), **unwrap(kwargs))
    out = kwargs.get("out")
    if out is not None:
        return out[0] if isinstance(out, tuple) and len(out) == 1 else out
    return res


class Traced(np.ndarray):
    """An ndarray whose operations a trace records (see the module docstring)."""

    _slot = None  # (trace, variable number) in the replay program; None: no trace made it
    _fresh = False  # a view of an array NumPy made fresh: reads as fresh (.base None)

    @property
    def base(self):
        # Code decides on .base (the engine adds in place into a gradient it owns, one
        # with no base): a traced result must look as the eager one does.
        return None if self._fresh else _ndarray.base.__get__(self)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if _foreign(inputs) or _foreign(kwargs.get("out", ())):
            return NotImplemented
        fn = ufunc if method == "__call__" else getattr(ufunc, method)
        rec = current()
        if rec is None:
            return _untraced(fn, inputs, kwargs)
        writes = (inputs[0],) if method == "at" else ()
        return rec.call(fn, inputs, kwargs, writes=writes)

    def __array_function__(self, func, types, args, kwargs):
        if any(not issubclass(t, _ndarray) for t in types):
            return NotImplemented
        rec = current()
        if rec is None:
            return _untraced(func, args, kwargs)
        return rec.call(func, args, kwargs, writes=_WRITES_ARG0.get(func, ()) and args[:1])

    # Reading a value into Python: the recorder decides (a guard, or no replay).
    def __bool__(self):
        return _read(self, "bool", _ndarray.__bool__)

    def __float__(self):
        return _read(self, "float", _ndarray.__float__)

    def __int__(self):
        return _read(self, "int", _ndarray.__int__)

    def __index__(self):
        return _read(self, "index", _ndarray.__index__)

    def __complex__(self):
        return _read(self, "complex", _ndarray.__complex__)

    def item(self, *args):
        return _read(self, "item", lambda a: _ndarray.item(a, *args))

    def tolist(self):
        return _read(self, "tolist", _ndarray.tolist)

    def __repr__(self):
        return _read(self, "repr", repr)

    def __str__(self):
        return _read(self, "str", str)

    def __format__(self, spec):
        return _read(self, "format", lambda a: format(a, spec))

    def __reduce__(self):
        return plain(self).__reduce__()


def _read(x, kind, how):
    value = how(plain(x))
    rec = current()
    if rec is not None:
        rec.value_read(x, kind, value)
    return value


def _method(name: str, writes: bool = False):
    base = getattr(_ndarray, name)

    def method(self, *args, **kwargs):
        rec = current()
        if rec is None:
            return base(plain(self), *unwrap(args), **unwrap(kwargs))
        return rec.method(self, name, args, kwargs, writes)
    method.__name__ = name
    return method


def _attribute(name: str):
    def get(self):
        rec = current()
        if rec is None:
            return getattr(plain(self), name)
        return rec.attribute(self, name)
    return property(get)


_backend.NUMPY_ARRAYS.add(Traced)  # NumPy's own: code's NumPy-only paths take it too

# The ndarray methods that do not go through NumPy's protocols: each is recorded as a call.
_READING = ("reshape", "transpose", "swapaxes", "ravel", "flatten", "squeeze", "astype",
            "copy", "conj", "conjugate", "diagonal", "repeat", "take", "clip", "round", "dot",
            "cumsum", "cumprod", "argmax", "argmin", "argsort", "nonzero", "sum", "mean",
            "max", "min", "prod", "any", "all", "std", "var", "trace", "compress",
            "searchsorted", "view", "choose", "__getitem__", "__copy__", "__deepcopy__")
_WRITING = ("__setitem__", "fill", "put", "sort", "partition", "resize")
for _name in _READING:
    setattr(Traced, _name, _method(_name))
for _name in _WRITING:
    setattr(Traced, _name, _method(_name, writes=True))
for _name in ("T", "mT", "real", "imag"):
    setattr(Traced, _name, _attribute(_name))
del _name

# NumPy functions that write into their first argument.
_WRITES_ARG0 = {f: True for f in (np.copyto, np.put, np.putmask, np.place, np.fill_diagonal,
                                  np.put_along_axis)}


def __dir__():
    return __all__
