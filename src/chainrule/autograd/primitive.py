"""Primitive: a named forward rule on raw arrays with its VJP and JVP rules, and ``apply``,
which runs a primitive on tensors and records a graph node when a gradient is wanted.

Rules are data: ``defvjp(prim, rule_for_arg0, rule_for_arg1, ...)``. A VJP rule has the form
``rule(xp, g, ans, *inputs, **params) -> gradient for its argument``, written against a
NumPy-style namespace ``xp``: the backend module on raw arrays in an ordinary backward pass,
``chainrule.numpy`` on Tensors when the backward pass is itself recorded (create_graph). The
engine sums broadcast dimensions and casts dtypes back, so rules never do.
"""
from __future__ import annotations

import numpy as np

from .._backend import FLOAT_DTYPES
from . import grad_mode
from .engine import Node, graph_namespace
from .tensor import Tensor, make_tensor

_generic = np.generic
_ndarray = np.ndarray
_new = object.__new__
_EMPTY = {}


class Primitive:
    """One differentiable operation.

    ``saves`` lists the inputs whose values the VJP reads (None: all of them); the others
    are not kept alive by the graph. ``saves_ans``: the VJP reads the output. ``is_view``:
    the output may share memory with input 0.

    >>> square = Primitive("square", lambda x: x * x, saves=(0,), saves_ans=False)
    >>> square = defvjp(square, lambda xp, g, ans, x: 2 * g * x)
    """

    __slots__ = ("name", "forward", "vjps", "vjp_all", "jvp", "saves", "saves_ans", "is_view",
                 "node_name", "__weakref__")

    def __init__(self, name: str, forward, *, saves=None, saves_ans: bool = True,
                 is_view: bool = False):
        self.name = name
        self.forward = forward
        self.vjps = None
        self.vjp_all = None
        self.jvp = None
        self.saves = saves
        self.saves_ans = saves_ans
        self.is_view = is_view
        self.node_name = "".join(part.capitalize() for part in name.split("_")) + "Backward"

    def __call__(self, *args, **params):
        return apply(self, args, params)

    def __repr__(self) -> str:
        return f"<primitive {self.name}>"


def defvjp(prim: Primitive, *rules) -> Primitive:
    """Attach one VJP rule per argument (None: that argument gets no gradient)."""
    prim.vjps = rules
    return prim


def defvjp_all(prim: Primitive, rule) -> Primitive:
    """Attach one rule giving every argument's gradient at once:
    ``rule(xp, g, ans, inputs, needs, **params) -> sequence`` (``needs[i]``: argument i
    wants a gradient). For variadic ops and for rules that share work between arguments."""
    prim.vjp_all = rule
    return prim


def defjvp(prim: Primitive, rule) -> Primitive:
    """Attach the JVP rule: ``rule(xp, tangents, ans, *inputs, **params) -> tangent``, with
    ``tangents[i]`` None where argument i carries no tangent."""
    prim.jvp = rule
    return prim


class OpError(ValueError):
    """An operation got operands it cannot combine; the message names op, shapes, dtypes."""


def describe(args) -> str:
    parts = []
    for a in args:
        if isinstance(a, Tensor):
            parts.append(f"Tensor{tuple(a._data.shape)} {a._data.dtype}")
        elif hasattr(a, "shape") and hasattr(a, "dtype"):
            parts.append(f"array{tuple(a.shape)} {a.dtype}")
        elif a is not None:
            parts.append(type(a).__name__)
    return ", ".join(parts)


def apply(prim: Primitive, args: tuple, params: dict = _EMPTY) -> Tensor:
    """Run ``prim`` on the raw data of ``args`` and, if any input requires grad (and grad
    mode is on), record a Node so backward can reach the inputs."""
    datas = []
    wants_grad = False
    for a in args:
        if isinstance(a, Tensor):
            datas.append(a._data)
            if a._requires_grad:
                wants_grad = True
        else:
            datas.append(a)
    try:
        ans = prim.forward(*datas, **params)
    except (ValueError, TypeError, IndexError) as exc:
        raise OpError(f"{prim.name}: cannot apply to ({describe(args)}): {exc}") from exc
    if ans.__class__ is not _ndarray and isinstance(ans, _generic):
        ans = np.asarray(ans)
    if wants_grad and grad_mode.state.enabled and ans.dtype in FLOAT_DTYPES:
        out = _record(prim, args, datas, params, ans)
    else:
        out = make_tensor(ans)
    if prim.is_view and isinstance(args[0], Tensor):
        out._version = args[0]._version
        out._base = (args[0], None)
    if prim.saves_ans and out.grad_fn is not None:
        out.grad_fn.saved += ((out._version, out._version[0]),)
    return out


def _record(prim: Primitive, args: tuple, datas: list, params: dict, ans) -> Tensor:
    """Build the Node for one application: where gradients go, what the VJP keeps, and
    the versions of what it keeps (to catch later in-place writes)."""
    saves = prim.saves
    edges = []
    saved = []
    for i, a in enumerate(args):
        if isinstance(a, Tensor):
            edges.append((a.grad_fn or a) if a._requires_grad else None)
            if saves is None or i in saves:
                version = a._version
                saved.append((version, version[0]))
        else:
            edges.append(None)
    if saves is None:
        kept = tuple(datas)
    elif saves:
        kept = tuple([d if i in saves else None for i, d in enumerate(datas)])
    else:
        kept = (None,) * len(datas)
    node = _new(Node)
    node.prim = prim
    node.inputs = kept
    node.edges = tuple(edges)
    node.params = params
    node.ans = ans if prim.saves_ans else None
    node.saved = tuple(saved)
    node.shape = ans.shape
    node.dtype = ans.dtype
    node.hooks = None
    node.retained = None
    return make_tensor(ans, node, True)


def call(xp, prim: Primitive, *args, **params):
    """Run ``prim`` from inside a rule: on raw arrays directly, or through ``apply`` when
    the backward pass is being recorded (``xp`` is ``chainrule.numpy``)."""
    if xp is graph_namespace():
        return apply(prim, args, params)
    ans = prim.forward(*args, **params)
    return np.asarray(ans) if isinstance(ans, _generic) else ans
