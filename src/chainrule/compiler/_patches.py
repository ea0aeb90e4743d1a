"""What a trace must see beyond NumPy's protocols, made visible while one runs.

Three kinds of call make arrays without a traced operand, so NumPy's dispatch never shows
them to the trace: creating an array (``np.zeros``, ``np.ones``, ``np.empty``, ...; a rule
that fills one with ``r[idx] = g`` must fill the replay's own), converting one
(``np.asarray(g, dtype)``, ``np.array(g)``: the plain copy of a traced array; ``as_strided``,
a plain view of one), and drawing
random numbers (dropout's mask must be new on every replay). Scratch buffers that the
convolutions keep between calls become the program's own. While any thread traces,
these names in ``numpy``, ``chainrule._fastnp`` and the random generators chainrule uses
are wrapped: in the tracing thread the call is recorded (see ``Recorder.call``), in every
other thread it runs as before. The wrappers are removed when the last trace ends.

This is the one place chainrule changes names in another library, and only for the
duration of a trace (the first call of a compiled function).
"""
from __future__ import annotations

import threading

import numpy as np

from .. import _backend, _fastnp, sampling
from ..ops import _flatconv
from ._traced import contains_traced, current

__all__ = ["patched"]

_CREATORS = ("zeros", "ones", "empty", "full", "arange", "eye", "identity", "linspace", "tri")
_CONVERTERS = ("array", "asarray", "ascontiguousarray", "asfortranarray")
_lock = threading.Lock()
_active = 0
_saved = []  # (module, name, original)


def _creator(original):
    def create(*args, **kwargs):
        rec = current()
        if rec is None:
            return original(*args, **kwargs)
        return rec.call(original, args, kwargs)
    create.__wrapped__ = original
    return create


def _converter(original):
    def convert(*args, **kwargs):
        rec = current()
        if rec is None or not (contains_traced(args) or contains_traced(kwargs)):
            return original(*args, **kwargs)
        return rec.call(original, args, kwargs)
    convert.__wrapped__ = original
    return convert


class _RecordingGenerator:
    """A NumPy Generator whose draws a trace records (replayed from ``expr``'s generator)."""

    def __init__(self, rng, expr_of):
        self._rng, self._expr_of = rng, expr_of

    def __getattr__(self, name):
        method = getattr(self._rng, name)
        rec = current()
        if rec is None or not callable(method):
            return method

        def draw(*args, **kwargs):
            res = rec.run(method, args, kwargs)
            if not isinstance(res, np.ndarray):
                rec.fail(f"Generator.{name} drew a Python number; a replay would repeat it")
                return res
            rec.effect("rng", self._expr_of(rec))
            return rec.adopt(res, rec._call_expr(f"{self._expr_of(rec)}.{name}", args, kwargs),
                             stateful=True)
        return draw


def _global_generator(original):
    def generator():
        rng = original()
        rec = current()
        if rec is None:
            return rng
        return _RecordingGenerator(rng, lambda r: f"{r.const(original)}()")
    return generator


def _own_generator(original):
    def rng_of(generator):
        rng = original(generator)
        if current() is None or generator is None:  # the global one is wrapped already
            return rng
        return _RecordingGenerator(rng, lambda r: f"{r.const(generator)}._rng")
    return rng_of


def _program_buffer(original):
    """The convolutions' scratch buffers, in a trace: one of the program's own, made now and
    kept by it (so its replays reuse it, as eager calls reuse the thread's), traced like any
    array the program made. The thread's cache is left alone: a buffer shared with eager
    code would be written outside the program's view."""
    def buffer(xp, tag, shape, dtype, zeroed=False):
        rec = current()
        if rec is None:
            return original(xp, tag, shape, dtype, zeroed)
        made = rec.run(xp.zeros if zeroed else xp.empty, (shape, dtype), {})
        return rec.input(made, rec.const(made))
    return buffer


def _install() -> None:
    targets = [(m, n) for m in (np, _fastnp) for n in _CREATORS + _CONVERTERS if hasattr(m, n)]
    targets += [(_fastnp, "_empty"), (_fastnp, "_zeros"), (np.lib.stride_tricks, "as_strided")]
    for module, name in targets:
        original = getattr(module, name)
        wrap = _converter if name in _CONVERTERS + ("as_strided",) else _creator
        _saved.append((module, name, original))
        setattr(module, name, wrap(original))
    _saved.append((_backend, "generator", _backend.generator))
    _backend.generator = _global_generator(_backend.generator)
    _saved.append((sampling, "_rng", sampling._rng))
    sampling._rng = _own_generator(sampling._rng)
    _saved.append((_flatconv, "_buffer", _flatconv._buffer))
    _flatconv._buffer = _program_buffer(_flatconv._buffer)


class patched:
    """While inside: the wrappers are installed (reference-counted across threads)."""

    def __enter__(self):
        global _active
        with _lock:
            if _active == 0:
                _install()
            _active += 1

    def __exit__(self, *exc):
        global _active
        with _lock:
            _active -= 1
            if _active == 0:
                while _saved:
                    module, name, original = _saved.pop()
                    setattr(module, name, original)


def __dir__():
    return __all__
