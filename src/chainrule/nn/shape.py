"""Shape functions of ``torch.nn.functional``: ``pad`` (constant, reflect, replicate and
circular modes, PyTorch's limits included), ``flatten``, ``pixel_shuffle`` and
``pixel_unshuffle``, and the Modules ``PixelShuffle``, ``PixelUnshuffle`` and ``Unflatten``.
"""
from __future__ import annotations

import numpy as np

from ..errors import OpError, OpTypeError
from ..ops import index as ix
from ..ops import shape as sh
from ..ops._util import data_of, shape_of
from .module import Module

__all__ = ["pad", "flatten", "pixel_shuffle", "pixel_unshuffle", "PixelShuffle",
           "PixelUnshuffle", "Unflatten"]

# PyTorch's modes, as NumPy's np.pad names the same index patterns.
_PAD_MODES = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def _pad_list(pad) -> tuple:
    """PyTorch's ``pad`` argument (a tuple or list of ints) as a tuple of ints."""
    if not isinstance(pad, (tuple, list)):
        raise OpTypeError(f"pad: pad must be a tuple of ints, got {type(pad).__name__}")
    for i, p in enumerate(pad):
        if isinstance(p, (bool, np.bool_)) or not isinstance(p, (int, np.integer)):
            raise OpTypeError(f"pad: pad must be a tuple of ints, but found an element of "
                              f"type {type(p).__name__} at position {i}: {tuple(pad)!r}")
    return tuple(int(p) for p in pad)


def _mode_index(mode: str, n: int, lo: int, hi: int, axis: int, shape: tuple):
    """The entries of an axis of size ``n`` that a ``mode`` padding by (lo, hi) reads, as
    PyTorch: a negative width crops. Reflect and replicate pad the whole axis then crop
    (what their kernels do); circular crops first, then wraps what is left."""
    where = f"of dim {axis} (input of shape {shape})"
    if mode == "reflect" and max(lo, hi) >= n:
        raise OpError(f"pad: reflect padding ({lo}, {hi}) {where} must be less than the "
                      f"dim's size {n}; use replicate or circular padding for more")
    if mode == "circular" and max(lo, hi) > n:
        raise OpError(f"pad: circular padding ({lo}, {hi}) {where} wraps around more than "
                      f"once: it must be at most the dim's size {n}")
    out = n + lo + hi
    if out < (0 if mode == "circular" else 1):
        raise OpError(f"pad: {mode} padding ({lo}, {hi}) {where} leaves an output size of "
                      f"{out}; it must be at least {0 if mode == 'circular' else 1}")
    if mode == "circular":
        if n < max(-lo, 0) + max(-hi, 0):
            raise OpError(f"pad: circular padding ({lo}, {hi}) {where} crops more than the "
                          f"dim's {n} entries")
        kept = np.arange(n)[max(-lo, 0):n - max(-hi, 0)]
        # PyTorch copies from the output it is writing here: an error, or uninitialized
        # memory in the result.
        if max(lo, hi) > kept.size:
            raise OpError(f"pad: circular padding ({lo}, {hi}) {where} wraps more than the "
                          f"{kept.size} entries left after cropping; crop less or pad less")
        return np.pad(kept, (max(lo, 0), max(hi, 0)), mode="wrap")
    index = np.pad(np.arange(n), (max(lo, 0), max(hi, 0)), mode=_PAD_MODES[mode])
    return index[max(-lo, 0):index.size - max(-hi, 0)]


def _take_runs(x, axis: int, index):
    """``x``'s entries ``index`` along ``axis``, as the few runs of steps +1, -1 or 0 that a
    padding's index is made of: slices and repeats joined, whose gradients are slices and
    sums (an index_select's would be a scatter-add, several times slower)."""
    before = (slice(None),) * axis
    pieces, i, m = [], 0, len(index)
    while i < m:
        step = int(index[i + 1] - index[i]) if i + 1 < m else 1
        j = i + 1
        if step in (-1, 0, 1):
            while j < m and index[j] - index[j - 1] == step:
                j += 1
        else:  # not a run: one entry
            step = 1
        a, b = int(index[i]), int(index[j - 1])
        if step == 0:
            one = ix.getitem(x, before + (slice(a, a + 1),))
            sizes = list(shape_of(one))
            sizes[axis] = j - i
            pieces.append(sh.expand(one, tuple(sizes)))
        else:
            stop = b + 1 if step == 1 else (b - 1 if b > 0 else None)
            pieces.append(ix.getitem(x, before + (slice(a, stop, step),)))
        i = j
    if not pieces:
        return ix.getitem(x, before + (slice(0, 0),))
    return pieces[0] if len(pieces) == 1 else sh.concatenate(pieces, axis)


def pad(input, pad, mode: str = "constant", value=None):
    """PyTorch's ``F.pad``: ``pad`` holds (left, right) pairs starting from the last dim,
    e.g. (1, 1, 2, 0) pads the last dim by 1 and 1 and the one before by 2 and 0; a
    negative width crops. ``mode``: 'constant' (with ``value``, 0 by default; any number
    of dims), or 'reflect', 'replicate' and 'circular', which pad the last 1, 2 or 3 dims
    of a (C, *spatial) or (N, C, *spatial) input.

    >>> import chainrule as cr
    >>> pad(cr.tensor([[1., 2., 3.]]), (2, -1), mode="reflect").tolist()
    [[3.0, 2.0, 1.0, 2.0]]
    """
    pad = _pad_list(pad)
    shape = tuple(shape_of(input))
    nd = len(shape)
    if len(pad) % 2:
        raise OpError(f"pad: the padding length must be divisible by 2 (one (left, right) "
                      f"pair per dim), got {pad}")
    if mode == "constant":
        if len(pad) // 2 > nd:
            raise OpError(f"pad: padding {pad} pads {len(pad) // 2} dims but the input of "
                          f"shape {shape} has only {nd}; give at most {2 * nd} numbers")
        if not any(pad):
            return sh.clone(input)
        return sh.pad(input, pad, value=0.0 if value is None else value)
    if mode not in _PAD_MODES:
        raise OpError(f"pad: mode must be 'constant', 'reflect', 'replicate' or 'circular', "
                      f"got {mode!r}")
    if value is not None and value != 0:
        raise OpError(f"pad: padding mode {mode!r} takes no value (only 'constant' does), got "
                      f"value={value!r}")
    k = len(pad) // 2
    if not 1 <= k <= 3 or nd not in (k + 1, k + 2):
        raise OpError(f"pad: {mode} padding of {len(pad)} numbers is not supported for a "
                      f"{nd}-D input (shape {shape}); it takes 2 numbers (the last dim) for a "
                      f"2-D or 3-D input, 4 (the last 2 dims) for 3-D or 4-D, 6 (the last 3) "
                      f"for 4-D or 5-D")
    if mode != "circular":
        if np.result_type(data_of(input)) == np.bool_:
            raise OpTypeError(f"pad: {mode} padding is not implemented for bool tensors; "
                              f"convert the input first (e.g. .to(cr.uint8))")
        # PyTorch's kernels take an empty batch, and no other empty dim.
        if 0 in shape[nd - k - 1:]:
            raise OpError(f"pad: {mode} padding of {k} dim(s) expects a {k + 1}-D or "
                          f"{k + 2}-D (batch mode) input with non-zero sizes in all but the "
                          f"batch dim, got shape {shape}")
    x = input
    for i in range(k):
        axis, lo, hi = nd - 1 - i, pad[2 * i], pad[2 * i + 1]
        if lo or hi:
            x = _take_runs(x, axis, _mode_index(mode, shape[axis], lo, hi, axis, shape))
    return x if x is not input else sh.clone(input)


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
