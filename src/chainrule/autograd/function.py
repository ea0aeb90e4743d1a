"""Custom operations, two ways.

PyTorch's: subclass ``Function`` with ``forward(ctx, ...)`` and ``backward(ctx, ...)``
(and optionally ``jvp(ctx, ...)``), call ``MyOp.apply(...)``.

HIPS autograd's (seed 004): decorate a NumPy function with ``@primitive`` and attach its
rules with ``.defvjp(...)`` / ``.defjvp(...)``.

Either becomes a Primitive, so it takes part in higher order and forward mode like a
built-in op.
"""
from __future__ import annotations as _annotations

from typing import Any as _Any
from typing import Callable as _Callable

from numpy import broadcast_shapes as _broadcast_shapes

from ..errors import OpError as _OpError
from ..errors import OpTypeError as _OpTypeError
from . import grad_mode as _grad_mode
from .engine import graph_namespace as _graph_namespace
from .primitives import Primitive as _Primitive
from .primitives import apply as _apply
from .primitives import defjvp as _defjvp
from .primitives import defvjp_all as _defvjp_all
from .tensor import Tensor as _Tensor
from .tensor import make_tensor as _make_tensor

__all__ = ["FunctionCtx", "Function", "primitive"]


class FunctionCtx:
    """What ``forward`` hands to ``backward``: saved tensors, ``needs_input_grad``, and any
    attribute you set on it."""

    def __init__(self, needs_input_grad: tuple):
        self.needs_input_grad = needs_input_grad
        self._saved = ()
        self._inputs = ()
        self._output = None
        self._graph = None  # (inputs, output) as tensors on the graph, in a recorded pass

    def save_for_backward(self, *tensors) -> None:
        self._saved = tensors

    @property
    def saved_tensors(self) -> tuple:
        """The saved tensors. In a recorded backward pass (create_graph, forward mode) the
        inputs and output come back as graph tensors, so ``backward`` is differentiable."""
        if self._graph is None:
            return tuple(self._saved)
        inputs, output = self._graph
        swap = {id(w): g for w, g in zip(self._inputs, inputs) if isinstance(g, _Tensor)}
        if output is not None and self._output is not None:
            swap[id(self._output)] = output
        return tuple(swap.get(id(t), t) for t in self._saved)


def _wrap(x):
    return _make_tensor(x) if hasattr(x, "dtype") and hasattr(x, "shape") else x


def _unwrap(x, graph: bool):
    if x is None or graph or not isinstance(x, _Tensor):
        return x
    return x._data


def _checked_gradient(fn_name: str, i: int, grad, inp):
    """``backward``'s gradient ``i`` checked against its input, as PyTorch checks it: a
    tensor (or array) of a shape that the input broadcasts to (the engine sums the extra
    axes), real for a real input; floating dtypes are cast to the input's."""
    if grad is None:
        return None
    if not (isinstance(grad, _Tensor) or hasattr(grad, "shape") and hasattr(grad, "dtype")):
        raise _OpTypeError(f"{fn_name}.backward returned {type(grad).__name__} as the gradient "
                           f"of input {i}; return a Tensor (or None)")
    shape, in_shape = tuple(grad.shape), tuple(getattr(inp, "shape", ()))
    try:
        compatible = _broadcast_shapes(in_shape, shape) == shape
    except ValueError:
        compatible = False
    if not compatible:
        raise _OpError(f"{fn_name}.backward returned an invalid gradient for input {i}: shape "
                       f"{shape}, but the input has shape {in_shape}; return a gradient of the "
                       f"input's shape")
    in_dtype = getattr(inp, "dtype", None)
    if grad.dtype.kind == "c" and in_dtype is not None and in_dtype.kind != "c":
        raise _OpTypeError(f"{fn_name}.backward returned a complex gradient ({grad.dtype}) for "
                           f"input {i}, which is real ({in_dtype}); return its real part")
    return grad


class Function:
    """Base class for custom differentiable operations (PyTorch's ``autograd.Function``).

    >>> import chainrule as cr
    >>> class Exp(Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         y = x.exp()
    ...         ctx.save_for_backward(y)
    ...         return y
    ...     @staticmethod
    ...     def backward(ctx, g):
    ...         (y,) = ctx.saved_tensors
    ...         return g * y
    >>> x = cr.tensor(0.0, requires_grad=True)
    >>> Exp.apply(x).backward(); x.grad
    tensor(1.)
    """

    @staticmethod
    def forward(ctx: FunctionCtx, *args) -> _Any:
        raise NotImplementedError("Function subclasses must define forward(ctx, *args)")

    @staticmethod
    def backward(ctx: FunctionCtx, *grad_outputs) -> _Any:
        raise NotImplementedError("Function subclasses must define backward(ctx, *grads)")

    @classmethod
    def _primitive(cls) -> _Primitive:
        prim = cls.__dict__.get("_chainrule_primitive")
        if prim is not None:
            return prim

        def forward(xp, *datas, ctx):  # (the user's forward works on Tensors, not xp)
            ctx._inputs = tuple(_wrap(d) for d in datas)
            with _grad_mode.no_grad():
                out = cls.forward(ctx, *ctx._inputs)
            if not isinstance(out, _Tensor):
                raise TypeError(f"{cls.__name__}.forward must return one Tensor, got "
                                f"{type(out).__name__}")
            ctx._output = out
            return out._data

        def vjp(xp, g, ans, inputs, needs, ctx):
            graph = xp is _graph_namespace()
            ctx._graph = (inputs, ans) if graph else None
            g = g if isinstance(g, _Tensor) else _make_tensor(g)
            with _grad_mode.set_grad_enabled(graph):
                grads = cls.backward(ctx, g)
            grads = grads if isinstance(grads, tuple) else (grads,)
            if len(grads) != len(needs):
                raise RuntimeError(f"{cls.__name__}.backward returned {len(grads)} gradients "
                                   f"for {len(needs)} inputs; return None for inputs that "
                                   f"need none")
            return [_unwrap(_checked_gradient(cls.__name__, i, gr, inp), graph) if need else None
                    for i, (gr, need, inp) in enumerate(zip(grads, needs, ctx._inputs))]

        prim = _Primitive(cls.__name__.lower(), forward)
        prim.node_name = f"{cls.__name__}Backward"
        _defvjp_all(prim, vjp)
        if "jvp" in cls.__dict__ or any("jvp" in vars(base) for base in cls.__mro__[1:-2]):
            def jvp(xp, tangents, ans, *primals, ctx):
                ctx._graph = (primals, ans)
                ts = [t if t is not None else _make_tensor(xp.zeros_like(p)._data
                                                           if isinstance(p, _Tensor) else 0.0)
                      for t, p in zip(tangents, primals)]
                return cls.jvp(ctx, *ts)
            _defjvp(prim, jvp)
        cls._chainrule_primitive = prim
        return prim

    @classmethod
    def apply(cls, *args):
        """Run the op on ``args``, recording it when an input requires grad."""
        needs = tuple(isinstance(a, _Tensor) and a.requires_grad for a in args)
        return _apply(cls._primitive(), args, {"ctx": FunctionCtx(needs)})


def primitive(fn: _Callable) -> _Primitive:
    """Turn a function on NumPy arrays into a differentiable primitive; attach its rules
    with ``.defvjp(rule_for_arg0, ...)`` and ``.defjvp(rule)`` (seed 004, HIPS autograd).

    >>> import numpy as np
    >>> import chainrule as cr
    >>> @primitive
    ... def logsumexp(x):
    ...     m = x.max()
    ...     return m + np.log(np.sum(np.exp(x - m)))
    >>> _ = logsumexp.defvjp(lambda xp, g, ans, x: g * xp.exp(x - ans))
    >>> x = cr.tensor([0.0, 0.0], requires_grad=True)
    >>> logsumexp(x).backward(); x.grad
    tensor([0.5, 0.5])
    """
    return _Primitive(fn.__name__, fn, doc=fn.__doc__)
