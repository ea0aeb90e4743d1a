"""The unrolled fast paths behind the Tensor operators and elementwise methods.

Operators and methods on plain tensors are most of the calls in small dynamic models, so
these do ``apply``'s work unrolled, with nothing allocated that the common case does not
need; ``tests/test_recording_paths.py`` shows they build the nodes ``apply`` builds.
Anything unusual (forward mode, anomaly mode, ArrayBox inputs) goes to ``apply``. This is
the one place with hot-path tricks; each is explained where it is.
"""
from __future__ import annotations

import numpy as np

from .._backend import COMPLEX_DTYPES, DIFFERENTIABLE_DTYPES, FLOAT_DTYPES
from .grad_mode import anomaly_state, forward_state
from .grad_mode import ordinary as _ordinary
from .grad_mode import state as _grad_state
from .primitives import _NOTHING_KEPT, Primitive, apply, forward_error, recorded
from .promotion import (_BOOL, _MIXED, _NUMBER, _apply_promoted, _apply_unary, _bool_unary,
                        _checked_division, _forward_promoted, _unary_result)
from .tensor import Tensor, make_tensor

__all__ = ["unary_operator", "binary_operator"]

_generic = np.generic
_ndarray = np.ndarray

# ----- fast paths for one- and two-input ops -------------------------------------------------
# Operators and methods on plain tensors are most of the calls in small dynamic models, so
# these do apply()'s work unrolled, with nothing allocated that the common case does not
# need. Anything unusual (forward mode, anomaly mode, ArrayBox inputs) goes to apply().

# Per float dtype, Python floats already converted to it (see _operand).
_SCALAR_CACHES = {np.dtype(t): {} for t in ("float16", "float32", "float64", "complex64",
                                            "complex128")}


def _operand(y: float, like):
    """A Python float operand of a float array as a cached 0-d array of that dtype: NumPy
    computes with it as with the weakly-typed scalar, but the scalar is not converted anew
    on every call (forward, and backward where the rule reuses it)."""
    cache = _SCALAR_CACHES.get(like.dtype)
    if cache is None or not y:  # 0.0 is left alone: its -0.0 twin would share its entry
        return y
    arr = cache.get(y)
    if arr is None:
        if len(cache) > 256:
            cache.clear()
        arr = cache[y] = np.array(y, like.dtype)
        arr.flags.writeable = False
    return arr


def _not_recorded(prim: Primitive, ans, args: tuple) -> Tensor:
    """An operator's result that gradients cannot flow through: integer and bool results
    leave the graph; complex ones without complex rules get ``apply``'s error."""
    if ans.dtype not in DIFFERENTIABLE_DTYPES:
        return make_tensor(ans)
    return apply(prim, args)  # raises the complex error


def unary_operator(prim: Primitive):
    """The method behind ``x.sin()`` and friends: ``apply(prim, (x,))``, unrolled, with the
    primitive's fields read once, here, instead of on every call. Integer and bool inputs of
    floating functions give the default float dtype, as in PyTorch."""
    if prim.is_view or prim.residual:
        return lambda x: apply(prim, (x,))
    # The forward bound to NumPy: other arrays (CuPy's) take apply(), which finds their xp.
    forward, keeps_x, saves_ans, complex_ok = prim.numpy_forward, prim.keeps[1][0], \
        prim.saves_ans, prim.complex_ok
    bool_rule = prim.bool_rule

    def op(x):
        if x.__class__ is not Tensor or not _ordinary.all and (
                forward_state.depth or anomaly_state.enabled or forward_state.tracers):
            return _apply_unary(prim, x)
        xd = x._data
        if xd.__class__ is not _ndarray and not isinstance(xd, _generic):
            return _apply_unary(prim, x)
        if bool_rule is not None and xd.dtype is _BOOL:  # only ops PyTorch treats apart
            return _bool_unary(prim, bool_rule, x)
        try:
            ans = forward(xd)
        except (ValueError, TypeError, IndexError) as exc:
            raise forward_error(prim, (x,), exc)
        if ans.__class__ is not _ndarray and isinstance(ans, _generic):
            ans = np.asarray(ans)
        if ans.dtype is not xd.dtype:  # the one check the float path pays for promotion
            ans = _unary_result(prim, forward, x, xd, ans)
        if not x._requires_grad or not _ordinary.all and not _grad_state.enabled:
            return make_tensor(ans)
        dtype = ans.dtype
        if dtype not in FLOAT_DTYPES and not (complex_ok and dtype in COMPLEX_DTYPES):
            return _not_recorded(prim, ans, (x,))
        if keeps_x:
            box = x._version
            return recorded(prim, ans, dtype, (xd,), (x.grad_fn or x,), ((box, box[0]),),
                            saves_ans)
        return recorded(prim, ans, dtype, _NOTHING_KEPT[1], (x.grad_fn or x,), (), saves_ans)
    return op


def binary_operator(prim: Primitive, reflected: bool = False):
    """The method behind ``x * y`` (``y * x`` when ``reflected``): ``apply(prim, (x, y))``,
    unrolled, with the primitive's fields read once, here, instead of on every call. The
    operands are promoted as PyTorch promotes them (see :func:`promote`); ArrayBox operands
    (plain NumPy code under a transform) keep NumPy's promotion."""
    if prim.is_view or prim.residual:
        if reflected:
            return lambda x, y: apply(prim, (y, x))
        return lambda x, y: apply(prim, (x, y))
    forward, keeps, saves_ans, complex_ok, scalars = prim.numpy_forward, prim.keeps, \
        prim.saves_ans, prim.complex_ok, prim.scalar_operands
    rule = prim.integer_rule
    # Whether two integer or bool tensors of one dtype may still have another result dtype
    # (integer true division gives a float; bool ** bool has no kernel).
    checks_same = rule in ("float", "float_only", "divide", "power")
    power = rule == "power"
    if rule == "divide":
        forward = _checked_division(forward, prim.name)

    def op(x, y):
        if reflected:
            x, y = y, x
        if not _ordinary.all and (forward_state.depth or anomaly_state.enabled or
                                  forward_state.tracers):
            return _apply_promoted(prim, rule, x, y)
        # The two operands are read by the same lines, written out twice: a helper call per
        # operand costs more than the rest of this function's bookkeeping.
        xb = yb = xe = ye = None  # version boxes and graph edges of tensor operands
        # Promotion. td None: NumPy promotes these operands as PyTorch does (one dtype, or
        # a float tensor with a cached float). _NUMBER: x is a Python number. A dtype: a
        # Python number is involved, and NumPy's answer is PyTorch's unless its dtype
        # differs from this tensor's. _MIXED: the operands are converted before the forward.
        td = None
        cls = x.__class__
        if cls is Tensor or isinstance(x, Tensor) and not x._propagates:
            xd, xb = x._data, x._version
            # Not NumPy's (CuPy's): apply() finds its namespace.
            if xd.__class__ is not _ndarray and not isinstance(xd, _generic):
                return _apply_promoted(prim, rule, x, y)
            if x._requires_grad:
                xe = x.grad_fn or x
        elif isinstance(x, Tensor):
            return apply(prim, (x, y))  # an ArrayBox: NumPy's semantics
        elif cls is float and scalars and y.__class__ is Tensor:
            xd = _operand(x, y._data)
            if xd is x:  # not cached: y is no float tensor (or x is 0.0)
                td = _NUMBER
        else:
            xd = x
            td = _NUMBER if cls is float or cls is int else _MIXED
        cls = y.__class__
        if cls is Tensor or isinstance(y, Tensor) and not y._propagates:
            yd, yb = y._data, y._version
            if yd.__class__ is not _ndarray and not isinstance(yd, _generic):
                return _apply_promoted(prim, rule, x, y)
            if y._requires_grad:
                ye = y.grad_fn or y
            if td is None:
                dtype = yd.dtype
                if xd.dtype is not dtype or checks_same and dtype not in DIFFERENTIABLE_DTYPES:
                    td = _MIXED
            elif td is _NUMBER:
                td = yd.dtype
        elif cls is float and scalars and xd.__class__ is _ndarray:
            cache = _SCALAR_CACHES.get(xd.dtype)  # _operand, inlined for the commonest case
            if cache is None:  # an integer or bool tensor with a float
                yd = y
                td = _MIXED
            else:
                yd = cache.get(y)
                if yd is None:
                    yd = _operand(y, xd)
        elif isinstance(y, Tensor):
            return apply(prim, (x, y))
        else:
            yd = y
            td = xd.dtype if td is None and (cls is float or cls is int) else _MIXED
            if power and cls is int and y < 0 and td not in DIFFERENTIABLE_DTYPES:
                td = _MIXED  # an integer tensor to a negative power raises, even if empty
        if td is None:  # the common case: NumPy promotes these as PyTorch does
            try:
                ans = forward(xd, yd)
            except (ValueError, TypeError, IndexError) as exc:
                raise forward_error(prim, (x, y), exc)
        elif td is _MIXED:
            ans, xd, yd, xb, yb = _forward_promoted(prim, forward, rule, x, y, xd, yd, xb, yb)
        else:  # a Python number with a tensor of dtype td
            try:
                ans = forward(xd, yd)
            except OverflowError:  # a Python int out of an integer tensor's range
                ans = None
            except (ValueError, TypeError, IndexError) as exc:
                if not power:  # 2 ** int_tensor with negative entries: PyTorch's rule
                    raise forward_error(prim, (x, y), exc)
                ans = None
            if ans is None or ans.dtype is not td:
                # NumPy's promotion may not be PyTorch's here (an integer tensor with a
                # float, integers divided): redone with converted operands where needed.
                ans, xd, yd, xb, yb = _forward_promoted(prim, forward, rule, x, y, xd, yd,
                                                        xb, yb, ans)
        if ans.__class__ is not _ndarray and isinstance(ans, _generic):
            ans = np.asarray(ans)
        if xe is None and ye is None or not _ordinary.all and not _grad_state.enabled:
            return make_tensor(ans)
        dtype = ans.dtype
        if dtype not in FLOAT_DTYPES and not (complex_ok and dtype in COMPLEX_DTYPES):
            return _not_recorded(prim, ans, (x, y))
        keep_x, keep_y = keeps[(xe is not None) + 2 * (ye is not None)]
        saved = ()
        if not keep_x:
            xd = None
        elif xb is not None:
            saved = ((xb, xb[0]),)
        if not keep_y:
            yd = None
        elif yb is not None:
            saved += ((yb, yb[0]),)
        return recorded(prim, ans, dtype, _NOTHING_KEPT[2] if xd is None and yd is None
                        else (xd, yd), (xe, ye), saved, saves_ans)
    return op


def __dir__():  # dir() and tab completion show what the module exports, not its helpers
    return __all__
