"""The row types of the op table (``chainrule.optable``) and the helpers that make rows.

Kept apart from the table itself so that a family of ops can declare its rows in a module of
its own (``chainrule.optable_nn``) that the table then joins.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Tuple, Union

__all__ = ["Op", "Check"]


@dataclass(frozen=True)
class Check:
    """One op-test case: float64 tensors of ``shapes`` drawn uniformly from ``domain`` (one
    (low, high) per tensor), then ``args`` and ``kwargs``; gradchecked in reverse and
    forward mode, on C-ordered and non-contiguous inputs, and to second order unless
    ``second_order`` is False."""
    shapes: Tuple[tuple, ...]
    domain: Tuple[Tuple[float, float], ...] = ((-2.0, 2.0),)
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    second_order: bool = True
    noncontiguous: bool = True  # also on transposed inputs (view refuses them, as PyTorch)


@dataclass(frozen=True)
class Op:
    """The public surface of one op.

    ``impl``: a one- or two-input elementwise primitive (methods and operators then take the
    unrolled fast paths), or a function whose first argument is the tensor. ``method`` and
    ``free``: True to make ``Tensor.<name>`` / ``chainrule.<name>`` from ``impl``, a
    function to use instead, False for none; ``aliases`` get both. ``operators``: dunder
    methods made from ``impl`` (``__r*__`` reflected, ``__i*__`` in place), or given as
    (name, function) pairs. ``inplace``:
    ``Tensor.<name>_``, True to make it from the primitive or a function. ``numpy``: the
    NumPy ufuncs ``chainrule.numpy`` answers for with this op (NumPy's semantics).
    ``domain``: for an elementwise primitive, one (low, high) per input; the op tests then
    cover 0-d, broadcast and non-contiguous inputs. ``checks``: the cases of any other op.
    ``grad``: False for ops without a gradient (their values are tested against NumPy's
    ``numpy[0]``). ``tested_in``: a test file that covers the op where a row cannot.
    ``uses``: further primitives the op runs (backward-only primitives included), so the
    completeness test knows they are covered; ``"module:name"`` names one defined in a
    module this one cannot import (``chainrule.numpy`` builds on the table)."""
    name: str
    impl: Any
    doc: str = ""
    aliases: Tuple[str, ...] = ()
    method: Union[bool, Callable] = True
    free: Union[bool, Callable] = True
    operators: Tuple[Union[str, Tuple[str, Callable]], ...] = ()
    inplace: Union[bool, Callable, None] = None
    numpy: Tuple[str, ...] = ()
    functional: Optional[str] = None
    domain: Optional[Tuple[Tuple[float, float], ...]] = None
    checks: Tuple[Check, ...] = ()
    second_order: bool = True
    grad: bool = True
    tested_in: Optional[str] = None
    uses: tuple = ()

    def names(self, kind: str) -> Tuple[str, ...]:
        """The method ("method") or free-function ("free") names this row declares."""
        given = self.method if kind == "method" else self.free
        return (self.name,) + self.aliases if given is not False else ()


def _unary(name, prim, doc, domain=(-2, 2), *, aliases=(), inplace=None, numpy=None,
           functional=None, second_order=True, method=True, free=True, operators=()) -> Op:
    """A one-input elementwise op: method, free function, NumPy ufunc of the same name."""
    return Op(name, prim, doc, aliases, method=method, free=free, inplace=inplace,
              operators=operators,
              numpy=(name,) if numpy is None else numpy, functional=functional,
              domain=(domain,), second_order=second_order)


def _binary(name, prim, doc, dx=(-2, 2), dy=(-2, 2), *, aliases=(), operators=(), inplace=None,
            numpy=None, method=True, free=True, second_order=True) -> Op:
    """A two-input elementwise op (broadcasting)."""
    return Op(name, prim, doc, aliases, method=method, free=free, operators=operators,
              inplace=inplace, numpy=(name,) if numpy is None else numpy,
              domain=(dx, dy), second_order=second_order)


def _predicate(name, impl, doc, arity=2, numpy=None, operators=(), aliases=()) -> Op:
    """A comparison or test: a bool tensor, no gradient."""
    return Op(name, impl, doc, aliases, operators=operators,
              numpy=(name,) if numpy is None else numpy, domain=((-2, 2),) * arity,
              grad=False)


_M = (3, 4)       # a matrix
_B = (2, 3, 4)    # a batch of them
_AXES = ({}, {"dim": 0}, {"dim": -1, "keepdim": True}, {"dim": (0, 2)})


def _reduction(name, impl, doc, *, axes=_AXES, domain=(-2, 2), shape=_B, extra=(), **kw) -> Op:
    """A reduction over ``dim``: checked over no dim, one, the last kept, and two."""
    checks = tuple(Check((shape,), (domain,), kwargs=a) for a in axes) + extra
    return Op(name, impl, doc, checks=checks, **kw)


def _shape_op(name, impl, doc, *args, shape=_B, checks=None, **kw) -> Op:
    """A shape op: linear, so one case shows both modes, and its second derivative is 0
    (its VJP is linear too, and is checked as an op of its own)."""
    return Op(name, impl, doc, checks=checks or (Check((shape,), args=args, second_order=False),),
              **kw)


def __dir__():  # dir() shows the exports, not the helpers
    return __all__
