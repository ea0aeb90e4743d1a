"""Shape functions of ``torch.nn.functional``: ``pad`` (constant, reflect, replicate and
circular modes, PyTorch's limits included), ``flatten``, ``pixel_shuffle`` and
``pixel_unshuffle``, and the Modules ``PixelShuffle``, ``PixelUnshuffle`` and ``Unflatten``.
"""
from __future__ import annotations

import numpy as np

from ..errors import OpError
from ..ops import index as ix
from ..ops import shape as sh
from ..ops._util import shape_of
from .module import Module

__all__ = ["pad", "flatten", "pixel_shuffle", "pixel_unshuffle", "PixelShuffle",
           "PixelUnshuffle", "Unflatten"]

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


def _factor(op: str, x, r, name: str) -> tuple:
    shape = shape_of(x)
    if len(shape) < 3:
        raise OpError(f"{op}: expected an input of at least 3 dims (*, C, H, W), got shape "
                      f"{tuple(shape)}")
    if isinstance(r, bool) or not isinstance(r, (int, np.integer)) or r <= 0:
        raise OpError(f"{op}: {name} must be a positive int, got {r!r}")
    return tuple(shape), int(r)


def pixel_shuffle(input, upscale_factor: int):
    """(*, C*r*r, H, W) -> (*, C, H*r, W*r), as PyTorch's ``F.pixel_shuffle``.

    >>> from chainrule import arange
    >>> pixel_shuffle(arange(8.).reshape(1, 4, 1, 2), 2).shape
    (1, 1, 2, 4)
    """
    shape, r = _factor("pixel_shuffle", input, upscale_factor, "upscale_factor")
    *batch, c, h, w = shape
    if c % (r * r):
        raise OpError(f"pixel_shuffle: the channel dim {c} of the input (shape {shape}) must be "
                      f"divisible by the square of upscale_factor {r} ({r * r})")
    n = len(batch)
    x = sh.reshape(input, (*batch, c // (r * r), r, r, h, w))
    x = sh.permute(x, (*range(n), n, n + 3, n + 1, n + 4, n + 2))
    return sh.reshape(x, (*batch, c // (r * r), h * r, w * r))


def pixel_unshuffle(input, downscale_factor: int):
    """(*, C, H*r, W*r) -> (*, C*r*r, H, W), the inverse of ``pixel_shuffle``.

    >>> from chainrule import arange
    >>> pixel_unshuffle(arange(8.).reshape(1, 1, 2, 4), 2).shape
    (1, 4, 1, 2)
    """
    shape, r = _factor("pixel_unshuffle", input, downscale_factor, "downscale_factor")
    *batch, c, h, w = shape
    if h % r or w % r:
        raise OpError(f"pixel_unshuffle: the height {h} and width {w} of the input (shape "
                      f"{shape}) must be divisible by downscale_factor {r}")
    n = len(batch)
    x = sh.reshape(input, (*batch, c, h // r, r, w // r, r))
    x = sh.permute(x, (*range(n), n, n + 2, n + 4, n + 1, n + 3))
    return sh.reshape(x, (*batch, c * r * r, h // r, w // r))


class PixelShuffle(Module):
    """``pixel_shuffle(x, upscale_factor)`` as a Module."""

    def __init__(self, upscale_factor: int):
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, x):
        return pixel_shuffle(x, self.upscale_factor)

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """``pixel_unshuffle(x, downscale_factor)`` as a Module."""

    def __init__(self, downscale_factor: int):
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, x):
        return pixel_unshuffle(x, self.downscale_factor)

    def extra_repr(self) -> str:
        return f"downscale_factor={self.downscale_factor}"


class Unflatten(Module):
    """Dim ``dim`` split into ``unflattened_size`` (the inverse of ``Flatten``)."""

    def __init__(self, dim: int, unflattened_size):
        super().__init__()
        self.dim, self.unflattened_size = dim, unflattened_size

    def forward(self, x):
        return sh.unflatten(x, self.dim, self.unflattened_size)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


def __dir__():  # dir() and tab completion show what the module exports, not its helpers
    return __all__
