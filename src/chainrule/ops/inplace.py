"""In-place operations: the data is overwritten, the version counter goes up, and when a
graph is being recorded the tensor takes the new node as its grad_fn (as in PyTorch).

A view made by basic indexing writes through to its base: ``x[0].mul_(2)`` records
``x = setitem(x, 0, x[0] * 2)``, so gradients of ``x`` see the change.
"""
from __future__ import annotations

import numpy as np

from .. import _backend
from ..autograd import grad_mode
from ..autograd.primitives import apply, describe
from ..autograd.tensor import Tensor, make_tensor
from ..errors import OpError
from . import index as ix
from ._util import index_error

__all__ = ["bump", "inplace", "setitem"]


def _records(target: Tensor, others) -> bool:
    if not grad_mode.state.enabled:
        return False
    if target._requires_grad:
        return True
    return any(isinstance(a, Tensor) and a._requires_grad for a in others)


def _has_tangents(target: Tensor, others) -> bool:
    """Whether forward mode must see the write: a dual level is open and the target or an
    operand carries tangents (forward mode works whether or not a graph is recorded). The
    ordinary modes answer with one flag read."""
    if grad_mode.ordinary.all or not grad_mode.modes.depth:
        return False
    return bool(target._fw) or any(isinstance(a, Tensor) and a._fw for a in others)


def _with_tangents(target: Tensor, prim, others, params, opname) -> Tensor:
    """The write with no graph recorded, but the target's tangents updated through the
    primitive's JVP (``apply`` propagates them)."""
    if target._base is not None and target._base[1] is not None:
        requires_grad, grad_fn = target._requires_grad, target.grad_fn
        _through_base(target, prim, others, params, opname)
        target._requires_grad, target.grad_fn = requires_grad, grad_fn
        return target
    out = apply(prim, (_snapshot(target, prim),) + tuple(others), params)
    _write(target, out._data, opname)
    target._fw = out._fw
    return target


def _snapshot(target: Tensor, prim) -> Tensor:
    """The tensor as it was before the write, for the new node to point back to. Its data
    is copied only if the rule will read it (the write would destroy it)."""
    keeps_input = prim.saves is None or 0 in prim.saves
    old = make_tensor(target._data.copy() if keeps_input else target._data, target.grad_fn,
                      target._requires_grad)
    if not keeps_input:
        old._version = target._version
    old._fw = target._fw
    return old


def bump(target: Tensor, opname: str) -> None:
    box = target._version
    box[0] += 1
    box[1] = opname


def _write(target: Tensor, result, opname: str) -> None:
    data = target._data
    if result.shape != data.shape:
        raise OpError(f"{opname}: the result has shape {tuple(result.shape)} but the in-place "
                      f"target has shape {data.shape}; an in-place op cannot change its "
                      f"target's shape")
    if not data.flags.writeable:
        raise OpError(f"{opname}: the target is read-only (for example an expand() or "
                      f"broadcast_to() view); clone() it first")
    try:
        np.copyto(data, result, casting="same_kind")
    except TypeError:
        raise OpError(f"{opname}: cannot write a {result.dtype} result into a {data.dtype} "
                      f"tensor in place") from None
    bump(target, opname)


def _check_graph_target(target: Tensor, opname: str) -> None:
    if target.grad_fn is None and target._requires_grad:
        raise RuntimeError(f"{opname}: a leaf tensor that requires grad (shape "
                           f"{target._data.shape}) cannot be modified in place while its "
                           f"operations are recorded; do it under chainrule.no_grad(), or on a "
                           f"clone()")


def inplace(target: Tensor, prim, others: tuple = (), params: dict = None, opname: str = "",
            ufunc=None) -> Tensor:
    """Apply ``prim(target, *others, **params)`` and store the result in ``target``."""
    params = params or {}
    if _records(target, others):
        _check_graph_target(target, opname)
        if target._base is not None:
            return _through_base(target, prim, others, params, opname)
        out = apply(prim, (_snapshot(target, prim),) + tuple(others), params)
        _write(target, out._data, opname)
        target.grad_fn = out.grad_fn
        target._requires_grad = out._requires_grad
        target._fw = out._fw
        return target
    if _has_tangents(target, others):
        return _with_tangents(target, prim, others, params, opname)
    raw = [a._data if isinstance(a, Tensor) else a for a in others]
    if ufunc is not None:
        data = target._data
        try:
            ufunc(data, *raw, out=data, casting="same_kind")
        except (ValueError, TypeError) as exc:
            raise OpError(f"{opname}: cannot update a tensor of shape {data.shape} "
                          f"({data.dtype}) in place with ({describe(others)}): {exc}") from None
        bump(target, opname)
        return target
    data = target._data
    _write(target, prim.forward(_backend.rule_namespace(data), data, *raw, **params), opname)
    return target


def _through_base(view: Tensor, prim, others, params, opname) -> Tensor:
    base, index = view._base
    if index is None:
        raise RuntimeError(f"{opname}: in-place modification of a view made by reshape, "
                           f"transpose or expand of a tensor in the graph is not supported; "
                           f"modify the base tensor, or clone() the view first")
    new = apply(prim, (_snapshot(view, prim),) + tuple(others), params)
    if new._data.shape != view._data.shape:
        raise OpError(f"{opname}: the result has shape {new._data.shape} but the in-place "
                      f"target has shape {view._data.shape}")
    setitem(base, index, new, opname)
    fresh = ix.getitem(base, index)
    view.grad_fn = fresh.grad_fn
    view._requires_grad = fresh._requires_grad
    view._fw = fresh._fw
    return view


def setitem(target: Tensor, index, value, opname: str = "setitem") -> None:
    """``target[index] = value``: writes in place; recorded when a gradient is wanted. As
    in reading, a negative index counts from the end and one past either end raises
    IndexOutOfRangeError."""
    raw, basic, _ = ix.normalize_index(index)
    records = _records(target, (value,))
    if records or _has_tangents(target, (value,)):
        if records:
            _check_graph_target(target, opname)
        params = {"index": raw, "basic": basic}
        try:
            if target._base is not None:
                _through_base(target, ix.setitem_p, (value,), params, opname)
            else:
                inplace(target, ix.setitem_p, (value,), params, opname)
        except OpError as exc:
            if ix.empty_selection(target._data, raw) is None:  # (else nothing to write)
                raise index_error(opname, exc, target._data.shape)
        return
    data = target._data
    if not data.flags.writeable:
        raise OpError(f"{opname}: the target is read-only (for example an expand() view); "
                      f"clone() it first")
    try:
        data[raw] = value._data if isinstance(value, Tensor) else value
    except IndexError as exc:
        if ix.empty_selection(data, raw) is None:  # (else nothing to write, as in PyTorch)
            raise index_error(opname, exc, data.shape) from None
    except (ValueError, TypeError) as exc:
        raise OpError(f"{opname}: cannot assign ({describe((value,))}) into a tensor of "
                      f"shape {data.shape} ({data.dtype}) at {index!r}: {exc}") from None
    bump(target, opname)


def __dir__():  # dir() and tab completion show what the module exports, not its helpers
    return __all__
