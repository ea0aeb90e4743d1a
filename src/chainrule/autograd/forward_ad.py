"""Forward mode: dual tensors carry a tangent per open dual level.

Levels nest: a tangent is itself a tensor that may carry tangents of outer levels, and an
op's JVP at level L is computed from inputs stripped of level L and inner levels, so an
inner derivative never leaks into an outer one (no perturbation confusion).

>>> import chainrule as cr
>>> from chainrule.autograd.forward_ad import dual_level, make_dual, unpack_dual
>>> with dual_level():
...     x = make_dual(cr.tensor(2.0), cr.tensor(1.0))
...     unpack_dual(x ** 3).tangent
tensor(12.)
"""
from __future__ import annotations as _annotations

from collections import namedtuple as _namedtuple

from .grad_mode import close_level as _close_level
from .grad_mode import forward_state as _forward_state
from .grad_mode import open_level as _open_level
from .primitives import alias as _alias
from .tensor import Tensor as _Tensor
from .tensor import as_array as _as_array
from .tensor import make_tensor as _make_tensor

__all__ = ["UnpackedDualTensor", "dual_level", "make_dual", "unpack_dual"]

UnpackedDualTensor = _namedtuple("UnpackedDualTensor", ["primal", "tangent"])


class dual_level:
    """Open a dual level (in this thread) for the duration of a ``with`` block; returns
    its id."""

    def __enter__(self) -> int:
        self.level = _open_level()
        return self.level

    def __exit__(self, *exc):
        _close_level(self.level)
        return False


def _current(level: int | None) -> int:
    if level is not None:
        return level
    if not _forward_state.levels:
        raise RuntimeError("make_dual/unpack_dual: no dual level is open; use "
                           "`with chainrule.autograd.forward_ad.dual_level():`")
    return _forward_state.levels[-1]


def make_dual(tensor: _Tensor, tangent, *, level: int | None = None) -> _Tensor:
    """A tensor equal to ``tensor`` whose derivative at ``level`` (default: the innermost
    open one) is ``tangent``. Reverse mode still flows through to ``tensor``."""
    level = _current(level)
    if not isinstance(tensor, _Tensor):
        tensor = _Tensor(tensor)
    if not isinstance(tangent, _Tensor):
        tangent = _make_tensor(_as_array(tangent).astype(tensor.dtype, copy=False))
    if tangent.shape != tensor.shape:
        raise ValueError(f"make_dual: tangent has shape {tangent.shape} but the primal has "
                         f"shape {tensor.shape}")
    if tangent.dtype != tensor.dtype:
        tangent = tangent.astype(tensor.dtype)
    fw = dict(tensor._fw) if tensor._fw else {}
    fw[level] = tangent
    return _alias(tensor, fw)


def unpack_dual(tensor: _Tensor, *, level: int | None = None) -> UnpackedDualTensor:
    """``(primal, tangent)`` of a dual tensor at ``level``; the tangent is None when the
    tensor does not depend on that level's input."""
    level = level if level is not None else (_forward_state.levels[-1] if
                                             _forward_state.levels else None)
    fw = tensor._fw
    if not fw or level not in fw:
        return UnpackedDualTensor(tensor, None)
    rest = {k: v for k, v in fw.items() if k != level}
    return UnpackedDualTensor(_alias(tensor, rest or None), fw[level])
