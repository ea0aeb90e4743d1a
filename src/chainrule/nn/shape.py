"""Shape functions of ``torch.nn.functional``: ``pad`` (constant, reflect, replicate and
circular modes, PyTorch's limits included) and ``flatten``.
"""
from __future__ import annotations

import numpy as np

from ..errors import OpError
from ..ops import index as ix
from ..ops import shape as sh
from ..ops._util import shape_of

__all__ = ["pad", "flatten"]

# PyTorch's modes, as NumPy's np.pad names the same index patterns.
_PAD_MODES = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def pad(x, pad, mode: str = "constant", value=None):
    """PyTorch's ``F.pad``: ``pad`` holds (left, right) pairs starting from the last dim,
    e.g. (1, 1, 2, 0) pads the last dim by 1 and 1 and the one before by 2 and 0.
    ``mode``: 'constant' (with ``value``), 'reflect', 'replicate' or 'circular'."""
    if mode == "constant":
        return sh.pad(x, tuple(pad), value=0.0 if value is None else value)
    if mode not in _PAD_MODES:
        raise OpError(f"pad: mode must be 'constant', 'reflect', 'replicate' or 'circular', "
                      f"got {mode!r}")
    shape = shape_of(x)
    pad = tuple(pad)
    if len(pad) % 2 or len(pad) // 2 > len(shape):
        raise OpError(f"pad: padding {pad} must hold (left, right) pairs for at most "
                      f"{len(shape)} dims")
    for i in range(len(pad) // 2):
        axis, lo, hi = len(shape) - 1 - i, pad[2 * i], pad[2 * i + 1]
        n = shape[axis]
        if lo < 0 or hi < 0:
            raise OpError(f"pad: {mode} padding must be non-negative, got {pad}")
        # Beyond these, PyTorch refuses (NumPy would reflect or wrap again).
        if (mode == "reflect" and max(lo, hi) >= n) or (mode == "circular" and max(lo, hi) > n) \
                or (mode == "replicate" and n == 0 and (lo or hi)):
            limit = {"reflect": "less than", "circular": "at most", "replicate": "(non-empty)"}
            raise OpError(f"pad: {mode} padding ({lo}, {hi}) of dim {axis} must be "
                          f"{limit[mode]} its size {n} (input of shape {tuple(shape)})")
        if lo or hi:
            index = np.pad(np.arange(n), (lo, hi), mode=_PAD_MODES[mode])
            x = ix.index_select(x, axis, index)
    return x


def flatten(x, start_dim: int = 1, end_dim: int = -1):
    return sh.flatten(x, start_dim, end_dim)


def __dir__():  # dir() and tab completion show what the module exports, not its helpers
    return __all__
