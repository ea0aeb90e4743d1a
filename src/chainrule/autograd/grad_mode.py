"""Grad mode: whether operations record a graph. One global flag, checked only when an
input requires grad, so code that never asks for gradients pays nothing."""
from __future__ import annotations

import functools


class _State:
    """One global on/off flag."""
    __slots__ = ("enabled",)

    def __init__(self, enabled: bool):
        self.enabled = enabled


state = _State(True)


def is_grad_enabled() -> bool:
    return state.enabled


class ModeFlag:
    """Set ``target.enabled`` to ``mode`` inside a ``with`` block or a decorated call, and
    restore it afterwards. Grad mode and anomaly mode are both such flags."""

    target = state
    mode = True

    def __init__(self, mode=None):
        if mode is not None:
            self.mode = bool(mode)

    def __enter__(self):
        self.prev = self.target.enabled
        self.target.enabled = self.mode
        return self

    def __exit__(self, *exc):
        self.target.enabled = self.prev
        return False

    def __call__(self, fn):
        cls, mode = type(self), self.mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with cls(mode):
                return fn(*args, **kwargs)
        return wrapper


class set_grad_enabled(ModeFlag):
    """Turn graph recording on or off, as a call, a context manager or a decorator.

    >>> with set_grad_enabled(False):
    ...     pass
    """

    def __init__(self, mode: bool = True):
        super().__init__(mode)
        ModeFlag.__enter__(self)  # as a plain call it takes effect at once (PyTorch)

    def __enter__(self):
        return self

    def __call__(self, fn):
        self.target.enabled = self.prev  # as a decorator the mode applies inside calls only
        return super().__call__(fn)


class no_grad(ModeFlag):
    """Context manager and decorator: operations inside build no graph.

    >>> with no_grad():
    ...     pass
    """
    mode = False


class enable_grad(ModeFlag):
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

anomaly_state = _State(False)
