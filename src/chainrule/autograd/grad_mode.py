"""Grad mode: whether operations record a graph. One global flag, checked only when an
input requires grad, so code that never asks for gradients pays nothing."""
from __future__ import annotations

import functools


class _State:
    __slots__ = ("enabled",)

    def __init__(self):
        self.enabled = True


state = _State()


def is_grad_enabled() -> bool:
    return state.enabled


class set_grad_enabled:
    """Turn graph recording on or off, as a call, a context manager or a decorator.

    >>> with set_grad_enabled(False):
    ...     pass
    """

    def __init__(self, mode: bool = True):
        self.prev = state.enabled
        self.mode = bool(mode)
        state.enabled = self.mode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        state.enabled = self.prev
        return False

    def __call__(self, fn):
        state.enabled = self.prev  # used as a decorator: the mode applies inside calls only
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            prev = state.enabled
            state.enabled = self.mode
            try:
                return fn(*args, **kwargs)
            finally:
                state.enabled = prev
        return wrapper


class _GradModeContext:
    mode = True

    def __enter__(self):
        self.prev = state.enabled
        state.enabled = self.mode
        return self

    def __exit__(self, *exc):
        state.enabled = self.prev
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with type(self)():
                return fn(*args, **kwargs)
        return wrapper


class no_grad(_GradModeContext):
    """Context manager and decorator: operations inside build no graph.

    >>> with no_grad():
    ...     pass
    """
    mode = False


class enable_grad(_GradModeContext):
    """Context manager and decorator: turn graph recording back on inside ``no_grad``."""
    mode = True


class _ForwardState:
    """The dual levels now open (forward mode), innermost last; ``depth`` is checked by
    every op, so code without forward mode pays one attribute read."""
    __slots__ = ("levels", "depth", "counter")

    def __init__(self):
        self.levels = []
        self.depth = 0
        self.counter = 0


forward_state = _ForwardState()


class _AnomalyState:
    __slots__ = ("enabled",)

    def __init__(self):
        self.enabled = False


anomaly_state = _AnomalyState()
