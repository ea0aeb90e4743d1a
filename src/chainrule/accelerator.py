"""``chainrule.accelerator``: ``torch.accelerator``'s questions, answered for a CPU-only
engine (no accelerator until CUDA lands).

>>> import chainrule as cr
>>> cr.accelerator.is_available(), cr.accelerator.current_accelerator()
(False, None)
"""
from __future__ import annotations

from typing import Optional

from ._device import device

__all__ = ["is_available", "current_accelerator", "device_count"]


def is_available() -> bool:
    """False: no accelerator is usable."""
    return False


def current_accelerator(check_available: bool = False) -> Optional[device]:
    """None: there is no accelerator (programs then fall back to ``device("cpu")``)."""
    return None


def device_count() -> int:
    return 0


def __dir__():  # dir() shows the exports, not the helpers
    return __all__
