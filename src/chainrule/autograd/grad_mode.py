"""The modes that decide what an op records: grad mode, forward-mode dual levels, the
nesting of functional transforms (per thread, as in PyTorch: another thread's ``no_grad``
never stops recording in this one, and a new thread starts with recording on), and
anomaly detection (process-wide, as in PyTorch).

Every op asks "is this thread in the ordinary modes?" (recording on, no dual level open,
no tracer watching, anomaly detection off). Reading a thread-local attribute costs about
five times a plain one, so the question is answered by one plain flag, ``ordinary.all``,
which is true while *every* thread is in the ordinary modes; only when it is false does an
op read its own thread's modes. Mode changes keep the flag right under a lock.
"""
from __future__ import annotations

import functools
import itertools
import threading

__all__ = ["modes", "state", "forward_state", "ordinary", "anomaly_state", "change_modes",
           "is_grad_enabled", "open_level", "close_level", "ModeFlag", "set_grad_enabled",
           "no_grad", "enable_grad"]


class _ThreadModes(threading.local):
    """This thread's modes; ``threading.local`` runs ``__init__`` anew in each thread."""

    def __init__(self):
        self.enabled = True    # grad mode: whether ops record a graph
        self.levels = []       # the dual levels open here, innermost last
        self.depth = 0         # len(levels), read by every op in forward mode
        self.transforms = 0    # how many cr.func transforms are running here, nested
        self.tracers = ()      # callbacks shown every primitive applied here (tracing.py)


modes = _ThreadModes()
# The names the core reads: grad mode (``state.enabled``) and forward mode
# (``forward_state.depth``, ``forward_state.levels``) live in the same per-thread object.
state = forward_state = modes


class _Ordinary:
    """``all``: every thread records, with no dual level open and anomaly mode off."""
    __slots__ = ("all",)

    def __init__(self):
        self.all = True


ordinary = _Ordinary()


class _Anomaly:
    """Anomaly detection's switch, one for the process as in PyTorch."""
    __slots__ = ("enabled",)

    def __init__(self):
        self.enabled = False


anomaly_state = _Anomaly()

_lock = threading.Lock()
_unusual_threads = [0]  # threads not in the ordinary modes
_level_ids = itertools.count(1)  # dual-level ids, unique across threads


def _unusual() -> bool:
    return not modes.enabled or modes.depth > 0 or bool(modes.tracers)


def change_modes(change) -> None:
    """Run ``change()``, which alters this thread's modes or anomaly mode, and keep
    ``ordinary.all`` right. Every mode change goes through here."""
    with _lock:
        before = _unusual()
        change()
        _unusual_threads[0] += _unusual() - before
        ordinary.all = _unusual_threads[0] == 0 and not anomaly_state.enabled


def _set_grad(mode: bool) -> None:
    modes.enabled = mode


def is_grad_enabled() -> bool:
    """Whether ops in this thread record a graph.

    >>> is_grad_enabled()
    True
    """
    return modes.enabled


def open_level() -> int:
    """Open a new dual level in this thread; returns its id (unique in the process)."""
    level = next(_level_ids)

    def change():
        modes.levels.append(level)
        modes.depth = len(modes.levels)
    change_modes(change)
    return level


def close_level(level: int) -> None:
    """Close dual level ``level`` of this thread."""
    def change():
        modes.levels.remove(level)
        modes.depth = len(modes.levels)
    change_modes(change)


class ModeFlag:
    """Set a mode to ``mode`` inside a ``with`` block or a decorated call, and restore it
    afterwards. Grad mode and anomaly mode are both such flags: a subclass says how to
    read (``_get``) and write (``_set``) its mode."""

    mode = True

    def __init__(self, mode=None):
        if mode is not None:
            self.mode = bool(mode)

    @staticmethod
    def _get() -> bool:
        return modes.enabled

    @staticmethod
    def _set(mode: bool) -> None:
        change_modes(lambda: _set_grad(mode))

    def __enter__(self):
        self.prev = self._get()
        self._set(self.mode)
        return self

    def __exit__(self, *exc):
        self._set(self.prev)
        return False

    def __call__(self, fn):
        cls, mode = type(self), self.mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with cls(mode):
                return fn(*args, **kwargs)
        return wrapper


class set_grad_enabled(ModeFlag):
    """Turn graph recording on or off in this thread, as a call, a context manager or a
    decorator.

    >>> with set_grad_enabled(False):
    ...     is_grad_enabled()
    False
    """

    def __init__(self, mode: bool = True):
        super().__init__(mode)
        ModeFlag.__enter__(self)  # as a plain call it takes effect at once (PyTorch)

    def __enter__(self):
        return self

    def __call__(self, fn):
        self._set(self.prev)  # as a decorator the mode applies inside calls only
        return super().__call__(fn)


class no_grad(ModeFlag):
    """Context manager and decorator: operations inside build no graph (in this thread).

    >>> with no_grad():
    ...     is_grad_enabled()
    False
    """
    mode = False


class enable_grad(ModeFlag):
    """Context manager and decorator: turn graph recording back on inside ``no_grad``."""
    mode = True


def __dir__():  # dir() and tab completion show what the module exports, not its helpers
    return __all__
