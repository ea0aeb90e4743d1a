"""Make the public surface from the op table: Tensor methods and operators, the
``chainrule.*`` free functions, and the NumPy ufunc dispatch.

Every function made here gets its real name, qualified name, signature and docstring, and
its code object is renamed too, so ``help()``, ``inspect.signature`` and every traceback
frame name the op (``tanh``, not the closure ``op`` that the fast path returns). IDEs and
type checkers read the committed stubs ``autograd/tensor.pyi`` and ``functional.pyi``, which
``python -m chainrule._stubs`` writes from the same rows (a test keeps them in step).
"""
from __future__ import annotations

import inspect
from typing import Callable, Dict

import numpy as np

from .autograd.fastpath import binary_operator, unary_operator
from .autograd.primitives import Primitive, apply
from .autograd.tensor import Tensor
from .ops import frontends as _fr
from .optable import CONVERSIONS, OPS, PROPERTIES, Op

__all__ = ["method_table", "free_table", "functional_table", "numpy_table", "ufunc_table",
           "install"]

_P = inspect.Parameter


def _signature(*names: str) -> inspect.Signature:
    return inspect.Signature([_P(n, _P.POSITIONAL_OR_KEYWORD) for n in names])


def named(fn: Callable, name: str, qualname: str, doc: str, signature=None,
          module: str = "chainrule") -> Callable:
    """``fn`` under its public name: a fresh function object on a renamed code object (so
    a function shared by several names is renamed once per name), with ``doc`` and, where
    given, ``signature``."""
    code = fn.__code__.replace(co_name=name, co_qualname=qualname)
    out = type(fn)(code, fn.__globals__, name, fn.__defaults__, fn.__closure__)
    out.__kwdefaults__ = fn.__kwdefaults__
    out.__qualname__ = qualname
    out.__doc__ = doc
    out.__module__ = module
    out.__wrapped_impl__ = fn
    if signature is not None:
        out.__signature__ = signature
    return out


def _arity(prim: Primitive) -> int:
    return len(prim.vjps)


def _doc(op: Op, name: str, kind: str) -> str:
    """The docstring of one made function: the row's sentence and where else it lives."""
    lines = [op.doc or f"``{op.name}``."]
    extra = []
    if name != op.name:
        extra.append(f"Alias of ``{op.name}``.")
    if isinstance(op.impl, Primitive):
        extra.append("Elementwise, broadcasting; differentiable in reverse and forward mode."
                     if op.grad else "Elementwise, broadcasting; no gradient.")
    elif not op.grad:
        extra.append("No gradient.")
    if op.numpy:
        extra.append("NumPy: " + ", ".join(f"numpy.{n}" for n in op.numpy) + ".")
    if op.inplace and kind == "method":
        extra.append(f"In place: ``Tensor.{op.name}_``.")
    if op.functional:
        extra.append(f"Also ``chainrule.nn.functional.{op.functional}``.")
    if extra:
        lines += ["", " ".join(extra)]
    return "\n".join(lines)


def _from_primitive(prim: Primitive, reflected: bool = False) -> Callable:
    """The fast-path function for an elementwise primitive (see primitives.py)."""
    if _arity(prim) == 1:
        return unary_operator(prim)
    return binary_operator(prim, reflected)


def _impl(op: Op, given) -> Callable:
    """The function behind a method or free function: ``given`` if it is one, else made
    from the row's implementation."""
    if callable(given) and given is not True:
        return given
    if isinstance(op.impl, Primitive):
        return _from_primitive(op.impl)
    return op.impl


def _inplace(op: Op, opname: str) -> Callable:
    """``Tensor.<name>_`` (and ``__i*__``) made from the row."""
    if callable(op.inplace) and op.inplace is not True:
        return op.inplace
    if isinstance(op.impl, Primitive):
        if _arity(op.impl) == 1:
            return _fr._inplace_unary(op.impl, opname)
        return _fr._inplace_binary(op.impl, getattr(np, op.numpy[0]), opname)
    return _fr._inplace_bitwise(op.impl, opname)


def _reflect(op: Op) -> Callable:
    if isinstance(op.impl, Primitive):
        return _from_primitive(op.impl, reflected=True)
    impl = op.impl

    def reflected(self, other):
        return impl(other, self)
    return reflected


def _operator(op: Op, dunder: str) -> Callable:
    """One dunder method: ``__r*__`` reflected, ``__i*__`` in place, else the op itself."""
    if dunder.startswith("__r") and dunder not in ("__rshift__",):
        return _reflect(op)
    if dunder.startswith("__i") and dunder not in ("__invert__", "__iter__"):
        return _inplace(op, op.name + "_")
    return _from_primitive(op.impl) if isinstance(op.impl, Primitive) else op.impl


def _fast_signature(op: Op, first: str):
    """The fast paths take (x) or (x, y): their public signatures name the arguments."""
    if not isinstance(op.impl, Primitive):
        return None
    return _signature(first) if _arity(op.impl) == 1 else _signature(first, "other")


def _first_named(fn: Callable, name: str, only_from: str = None):
    """``fn``'s signature with its first parameter shown as ``name``: ``self`` for a method
    (never passed by keyword, so the name is free to choose); ``input`` for a free function
    made from a method's front-end, whose first parameter is ``self``."""
    sig = inspect.signature(fn)
    params = list(sig.parameters.values())
    if params and params[0].kind in (_P.POSITIONAL_ONLY, _P.POSITIONAL_OR_KEYWORD) and \
            (only_from is None or params[0].name == only_from):
        params[0] = params[0].replace(name=name, kind=_P.POSITIONAL_ONLY)
    return sig.replace(parameters=params)


def _as_method(fn: Callable):
    return _first_named(fn, "self")


def _as_free(fn: Callable):
    return _first_named(fn, "input", only_from="self")


def method_table() -> Dict[str, Callable]:
    """Every Tensor method and operator the rows declare, by attribute name."""
    out = {}
    for op in OPS:
        for name in op.names("method"):
            fn = _impl(op, op.method)
            sig = _fast_signature(op, "self") if fn is not op.method else None
            out[name] = named(fn, name, f"Tensor.{name}", _doc(op, name, "method"),
                              sig or _as_method(fn))
        for entry in op.operators:
            dunder, fn = entry if isinstance(entry, tuple) else (entry, _operator(op, entry))
            sig = _signature("self", "other") if isinstance(op.impl, Primitive) and \
                _arity(op.impl) == 2 else (_signature("self") if isinstance(op.impl, Primitive)
                                           else None)
            out[dunder] = named(fn, dunder, f"Tensor.{dunder}", _doc(op, dunder, "method"),
                                sig or _as_method(fn))
        for name in (op.names("method") or (op.name,)) if op.inplace else ():
            name += "_"
            out[name] = named(_inplace(op, name), name, f"Tensor.{name}",
                              f"In-place ``{op.name}``; returns self.\n\n{op.doc}",
                              _fast_signature(op, "self") if op.inplace is True else
                              _as_method(_inplace(op, name)))
    for name, dtype in CONVERSIONS.items():
        out[name] = named(_fr._type_converter(dtype), name, f"Tensor.{name}",
                          f"A copy converted to {np.dtype(dtype).name} (gradients flow back "
                          f"in this tensor's dtype).", _signature("self"))
    return out


def free_table() -> Dict[str, Callable]:
    """Every ``chainrule.<name>`` function the rows declare."""
    out = {}
    for op in OPS:
        for name in op.names("free"):
            fn = _impl(op, op.free)
            sig = _fast_signature(op, "input") if fn is not op.free else None
            out[name] = named(fn, name, name, _doc(op, name, "free"), sig or _as_free(fn))
    return out


def functional_table() -> Dict[str, Callable]:
    """Every ``chainrule.nn.functional.<name>`` function the rows declare and implement
    (rows naming a functional that lives in ``nn`` have no ``impl``)."""
    out = {}
    for op in OPS:
        if op.functional and op.impl is not None:
            fn = _impl(op, op.free)
            sig = _fast_signature(op, "input") if fn is not op.free else None
            out[op.functional] = named(fn, op.functional, op.functional,
                                       _doc(op, op.functional, "free"), sig or _as_free(fn),
                                       module="chainrule.nn.functional")
    return out


def _numpy_function(prim: Primitive, name: str) -> Callable:
    """``chainrule.numpy.<name>``: the primitive with NumPy's semantics (no PyTorch
    promotion), by NumPy's argument names."""
    if _arity(prim) == 1:
        def fn(x):
            return apply(prim, (x,))
    else:
        def fn(x1, x2):
            return apply(prim, (x1, x2))
    return named(fn, name, name, f"Differentiable ``numpy.{name}``.", module="chainrule.numpy")


def numpy_table() -> Dict[str, Callable]:
    """Every ``chainrule.numpy.<name>`` function made from an elementwise primitive's row,
    by each NumPy name the row gives."""
    return {name: _numpy_function(op.impl, name) for op in OPS
            if isinstance(op.impl, Primitive) for name in op.numpy}


def ufunc_table(namespace) -> Dict[np.ufunc, Callable]:
    """NumPy ufunc -> the ``namespace`` (chainrule.numpy) function answering for it: every
    ufunc a row names maps to the namespace's function for the row's first NumPy name
    (``numpy.fabs`` and ``numpy.absolute`` both to ``absolute``)."""
    out = {}
    for op in OPS:
        if not op.numpy or not hasattr(namespace, op.numpy[0]):
            continue
        target = getattr(namespace, op.numpy[0])
        for name in op.numpy:
            ufunc = getattr(np, name, None)
            if isinstance(ufunc, np.ufunc):
                out[ufunc] = target
    return out


def install() -> None:
    """Give Tensor its methods, operators and properties from the op table."""
    for name, fn in method_table().items():
        setattr(Tensor, name, fn)
    for name, fn in PROPERTIES.items():
        setattr(Tensor, name, property(named(fn, name, f"Tensor.{name}", fn.__doc__)))
