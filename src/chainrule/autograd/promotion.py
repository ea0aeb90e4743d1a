"""PyTorch's type promotion for the Tensor operators and methods.

The forwards are NumPy's and are shared with ``chainrule.numpy`` and NumPy dispatch, which
keep NumPy's promotion. The Tensor operators convert their operands to PyTorch's result
dtype first, but only where it can differ: operands of different dtypes, and Python numbers
with integer or bool tensors. Two float tensors of one dtype, or a float tensor with a
Python float, never get here. How an op treats integer and bool operands is declared on its
primitive (``integer_rule``, ``bool_rule``).
"""
from __future__ import annotations

import numpy as np

from .. import _backend
from ..errors import OpError, OpTypeError
from .engine import pass_through
from .primitives import Primitive, apply, forward_error
from .tensor import Tensor, as_array, make_tensor

__all__ = ["promote"]

_generic = np.generic
_ndarray = np.ndarray

def _kind(v) -> str:
    """A dtype kind letter for an array or a number ("b", "i", "u", "f", "c")."""
    dtype = getattr(v, "dtype", None)
    if dtype is not None:
        return dtype.kind
    return "b" if isinstance(v, bool) else "i" if isinstance(v, int) else \
        "f" if isinstance(v, float) else "c" if isinstance(v, complex) else "O"


def _apply_rule(op: str, rule: str, dtype, xd, yd):
    """The result dtype ``dtype`` adjusted by the op's integer rule, or the error PyTorch
    raises for it."""
    kind = dtype.kind
    if rule == "no_bool_operand":
        if _kind(xd) == "b" or _kind(yd) == "b":
            raise OpTypeError(f"{op}: subtraction with a bool tensor is not supported "
                              f"({_describe_data(xd, yd)}); to invert a mask use ~ or "
                              f"logical_not(), to toggle use ^ or logical_xor()")
    elif kind in "biu":
        if rule == "float":
            return _backend.get_default_dtype()
        if rule == "power" and kind != "b" and _kind(yd) in "iu" and not _is_array(yd):
            if yd < 0:
                raise OpError(f"{op}: integers to negative integer powers are not allowed "
                              f"({_describe_data(xd, yd)}), as in PyTorch; use a float base")
            if yd > np.iinfo(dtype).max:  # PyTorch refuses where addition would wrap
                raise OpError(f"{op}: the exponent {yd} cannot be converted to {dtype} "
                              f"without overflow, as in PyTorch")
        # A bool tensor to a Python number's power is a bool in PyTorch; no other bool kernel
        if rule == "float_only" or kind == "b" and (rule != "power" or _is_array(yd)):
            what = "bool" if kind == "b" else "integer"
            raise OpTypeError(f"{op}: not implemented for {what} tensors (result dtype "
                              f"{dtype}, from {_describe_data(xd, yd)}), as in PyTorch; "
                              f"convert with .float() first")
    return dtype


def _is_array(v) -> bool:
    return hasattr(v, "dtype") and not isinstance(v, np.generic)


def _describe_data(*values) -> str:
    return ", ".join(f"array{tuple(v.shape)} {v.dtype}" if hasattr(v, "dtype") and
                     hasattr(v, "shape") else type(v).__name__ for v in values)


def _convert(v, dtype, wrap: bool):
    """One operand converted for a forward whose result must be ``dtype``: arrays by
    ``astype``; Python numbers kept (NumPy treats them as weakly typed, so they follow the
    array); ints out of an integer dtype's range wrapped around, as PyTorch does."""
    if isinstance(v, np.generic):
        v = v.item()  # a NumPy scalar counts as a Python number (PyTorch's wrapped numbers)
    elif hasattr(v, "dtype"):
        return v if v.dtype == dtype else v.astype(dtype)
    if wrap and isinstance(v, int) and not isinstance(v, bool):
        info = np.iinfo(dtype)
        if not info.min <= v <= info.max:
            v = (v - info.min) % (info.max - info.min + 1) + info.min
    return v


def promote(op: str, x, y, rule: str = None):
    """The operands of the Tensor operator ``op`` converted for NumPy to compute PyTorch's
    result: arrays cast to ``torch.result_type`` (see ``_backend.result_type``), adjusted by
    the op's integer ``rule`` (see ``Primitive``); Python numbers kept as weakly typed
    numbers. Tensors give their data; lists become tensors first. Raises OpTypeError where
    PyTorch has no result (bool - bool, hypot of integers, uint16 with int8).

    >>> a, b = promote("add", np.ones(2, np.int32), np.ones(2, np.float32))
    >>> a.dtype, b.dtype
    (dtype('float32'), dtype('float32'))
    """
    return _promote(op, x, y, rule)[:2]


def _promote(op: str, x, y, rule):
    """:func:`promote`, and the result dtype."""
    x, y = _promotable(x), _promotable(y)
    dtype = _backend.result_type(x, y)
    if rule is not None:
        dtype = _apply_rule(op, rule, dtype, x, y)
    wrap = dtype.kind in "iu"
    if _is_array(x) or _is_array(y):
        return _convert(x, dtype, wrap), _convert(y, dtype, wrap), dtype
    # Numbers only (chainrule.add(1, 2.5)): the result is a 0-d tensor of the result dtype.
    return (np.asarray(_convert(x, dtype, wrap), dtype),
            np.asarray(_convert(y, dtype, wrap), dtype), dtype)


def _promotable(v):
    if isinstance(v, Tensor):
        return v._data
    if isinstance(v, (bool, int, float, complex, np.generic)) or hasattr(v, "dtype"):
        return v
    return as_array(v)  # a list: the tensor chainrule.tensor would make of it


# States of binary_operator's promotion check (see there).
_NUMBER, _MIXED = object(), object()


def _forward_promoted(prim: Primitive, forward, rule, x, y, xd, yd, xb, yb, ans=None):
    """The operators' slow path: ``forward`` on the operands promoted (see :func:`promote`).
    ``ans``, NumPy's answer on the operands as they were, is kept when none needed
    converting. Returns the answer, the operands, and their version boxes (dropped for a
    converted operand: the node keeps a private copy, which no in-place write can reach)."""
    pxd, pyd, dtype = _promote(prim.name, xd, yd, rule)
    if rule == "power" and dtype.kind in "iu" and _is_array(pyd) and (pyd < 0).any():
        ans = _run(prim, _integer_power, (pxd, pyd), (x, y))  # NumPy refuses these
    elif ans is None or pxd is not xd or pyd is not yd:
        ans = _run(prim, forward, (pxd, pyd), (x, y))
    elif ans.__class__ is not _ndarray:
        ans = np.asarray(ans)
    if ans.dtype != dtype:  # NumPy computes bool ** bool in int8
        ans = ans.astype(dtype)
    return ans, pxd, pyd, (xb if pxd is xd else None), (yb if pyd is yd else None)


def _integer_power(x, y):
    """PyTorch's integer power where exponents are negative: the truncated 1 / x ** -y, so
    1 for a base of 1, +-1 for -1, and 0 for any other base (0 included)."""
    negative = y < 0
    out = np.power(x, np.where(negative, 0, y))
    x = np.asarray(x)
    inverse = np.where(x == 1, 1, np.where(x == -1, np.where(y % 2 == 0, 1, -1), 0))
    return np.where(negative, inverse, out).astype(out.dtype)


def _check_divisor(op: str, xd, yd) -> None:
    """PyTorch raises for integer division by zero (NumPy warns and gives 0)."""
    if _kind(xd) in "biu" and _kind(yd) in "biu" and np.size(xd) and not np.all(yd):
        raise OpError(f"{op}: division by zero ({_describe_data(xd, yd)}); PyTorch raises "
                      f"ZeroDivisionError here; divide floats for inf or nan")


def _checked_division(forward, op: str):
    """An integer division's forward, for the Tensor operators only, that refuses a zero
    divisor (the primitive's own forward, used by NumPy code, keeps NumPy's 0)."""
    def checked(x, y):
        _check_divisor(op, x, y)
        return forward(x, y)
    return checked


def _run(prim: Primitive, forward, datas: tuple, args: tuple):
    """``forward(*datas)`` on an operator's slow path, its errors named after the op."""
    try:
        ans = forward(*datas)
    except (ValueError, TypeError, IndexError, OverflowError) as exc:
        raise forward_error(prim, args, exc)
    return np.asarray(ans) if ans.__class__ is not _ndarray and isinstance(ans, _generic) \
        else ans


# A dtype conversion that gradients and tangents flow through, for promoted operands on the
# general route (forward and anomaly mode). ops.shape has the public one (``Tensor.to``);
# this layer cannot import the ops.
# The engine casts the gradient back to the input's dtype, and the tangent to the output's.
_promote_p = Primitive("promote", lambda xp, x, dtype: x.astype(dtype), saves=(), saves_ans=False,
                       complex_ok=True, vjps=(pass_through,),
                       jvp=lambda xp, ts, ans, x, dtype: ts[0])


def _converted(v, data):
    """Operand ``v`` carrying promoted ``data``: a tensor through a recorded conversion (so
    its gradient and tangents flow back), anything else as ``data``."""
    if not isinstance(v, Tensor):
        return data
    return v if data is v._data else apply(_promote_p, (v,), {"dtype": data.dtype})


def _apply_promoted(prim: Primitive, rule, x, y) -> Tensor:
    """``apply(prim, (x, y))`` with PyTorch's promotion: the operators' general route."""
    if isinstance(x, Tensor) and x._propagates or isinstance(y, Tensor) and y._propagates:
        return apply(prim, (x, y))  # an ArrayBox: NumPy code keeps NumPy's semantics
    xd, yd = promote(prim.name, x, y, rule)
    if rule == "divide":
        _check_divisor(prim.name, xd, yd)
    return apply(prim, (_converted(x, xd), _converted(y, yd)))


_BOOL = np.dtype(np.bool_)


def _bool_unary(prim: Primitive, rule: str, x) -> Tensor:
    """``prim`` of the bool tensor ``x`` by its bool rule."""
    if rule == "error":
        raise OpTypeError(f"{prim.name}: not implemented for bool tensors, as in PyTorch; "
                          f"convert with .long() or .float() first (~ or logical_not() "
                          f"inverts a mask)")
    if rule == "identity":
        return make_tensor(x._data.copy())
    return apply(prim, (make_tensor(x._data.astype(np.int64)),))


def _unary_result(prim: Primitive, forward, x, xd, ans):
    """PyTorch's result for a one-input op whose NumPy result dtype differs from its
    input's: a floating function (sin, exp, sqrt, reciprocal, ...) of an integer or bool
    tensor is computed in the default float dtype, where NumPy picks float16 for int8 and
    float64 for int64; of a float tensor it has the input's dtype (SciPy's erf and expit
    give float16 input a float32 or float64 result)."""
    kind = xd.dtype.kind
    if ans.dtype.kind == "f":
        if kind in "biu":
            return _run(prim, forward, (xd.astype(_backend.get_default_dtype()),), (x,))
        if kind == "f":
            return ans.astype(xd.dtype)
    return ans


def _apply_unary(prim: Primitive, x) -> Tensor:
    """``apply(prim, (x,))`` with PyTorch's dtype for integer inputs (see _unary_result)."""
    if not isinstance(x, Tensor):
        x = make_tensor(as_array(x))  # an array or a list: as chainrule.tensor would take it
    rule = prim.bool_rule
    if rule is not None and x._data.dtype == _BOOL and not x._propagates:
        return _bool_unary(prim, rule, x)
    out = apply(prim, (x,))
    if isinstance(x, Tensor) and not x._propagates:
        xd = x._data
        if out._data.dtype.kind == "f" and out._data.dtype != xd.dtype:
            if xd.dtype.kind in "biu":
                # Integer tensors carry no gradient or tangent: a plain converted copy will do.
                return apply(prim, (make_tensor(xd.astype(_backend.get_default_dtype())),))
            if xd.dtype.kind == "f":
                return apply(_promote_p, (out,), {"dtype": xd.dtype})
    return out


def __dir__():  # dir() and tab completion show what the module exports, not its helpers
    return __all__
