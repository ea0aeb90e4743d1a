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
from __future__ import annotations

from collections import namedtuple
from typing import Optional

from .grad_mode import close_level, forward_state, open_level
from .primitives import alias
from .tensor import Tensor, as_array, make_tensor

UnpackedDualTensor = namedtuple("UnpackedDualTensor", ["primal", "tangent"])


class dual_level:
    """Open a dual level (in this thread) for the duration of a ``with`` block; returns
    its id."""

    def __enter__(self) -> int:
        self.level = open_level()
        return self.level

    def __exit__(self, *exc):
        close_level(self.level)
        return False


def _current(level: Optional[int]) -> int:
    if level is not None:
        return level
    if not forward_state.levels:
        raise RuntimeError("make_dual/unpack_dual: no dual level is open; use "
                           "`with chainrule.autograd.forward_ad.dual_level():`")
    return forward_state.levels[-1]


def make_dual(tensor: Tensor, tangent, *, level: Optional[int] = None) -> Tensor:
    """A tensor equal to ``tensor`` whose derivative at ``level`` (default: the innermost
    open one) is ``tangent``. Reverse mode still flows through to ``tensor``."""
    level = _current(level)
    if not isinstance(tensor, Tensor):
        tensor = Tensor(tensor)
    if not isinstance(tangent, Tensor):
        tangent = make_tensor(as_array(tangent).astype(tensor.dtype, copy=False))
    if tangent.shape != tensor.shape:
        raise ValueError(f"make_dual: tangent has shape {tangent.shape} but the primal has "
                         f"shape {tensor.shape}")
    if tangent.dtype != tensor.dtype:
        tangent = tangent.astype(tensor.dtype)
    fw = dict(tensor._fw) if tensor._fw else {}
    fw[level] = tangent
    return alias(tensor, fw)


def unpack_dual(tensor: Tensor, *, level: Optional[int] = None) -> UnpackedDualTensor:
    """``(primal, tangent)`` of a dual tensor at ``level``; the tangent is None when the
    tensor does not depend on that level's input."""
    level = level if level is not None else (forward_state.levels[-1] if
                                             forward_state.levels else None)
    fw = tensor._fw
    if not fw or level not in fw:
        return UnpackedDualTensor(tensor, None)
    rest = {k: v for k, v in fw.items() if k != level}
    return UnpackedDualTensor(alias(tensor, rest or None), fw[level])
