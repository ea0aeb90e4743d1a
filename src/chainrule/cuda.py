"""``chainrule.cuda``: what ``torch.cuda`` answers when there is no GPU. chainrule's arrays
live in NumPy on the CPU until CUDA lands (CuPy), so programs that ask take the CPU path.

>>> import chainrule as cr
>>> cr.cuda.is_available(), cr.cuda.device_count()
(False, 0)
"""
from __future__ import annotations

__all__ = ["is_available", "device_count", "manual_seed", "manual_seed_all", "synchronize"]


def is_available() -> bool:
    """False: chainrule has no CUDA tensors yet."""
    return False


def device_count() -> int:
    """0: no CUDA device is usable."""
    return 0


def manual_seed(seed: int) -> None:
    """Seeds no device (there is none), as ``torch.cuda.manual_seed`` without CUDA."""


manual_seed_all = manual_seed


def synchronize(device=None) -> None:
    raise RuntimeError("cuda.synchronize: chainrule has no CUDA device; check "
                       "cr.cuda.is_available() first")


def __dir__():  # dir() shows the exports, not the helpers
    return __all__
