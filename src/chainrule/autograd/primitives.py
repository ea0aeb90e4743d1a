"""Primitive: a named forward rule on raw arrays with its VJP and JVP rules, and ``apply``,
which runs a primitive on tensors and records a graph node when a gradient is wanted.

Rules are data: ``defvjp(prim, rule_for_arg0, rule_for_arg1, ...)``. A VJP rule has the form
``rule(xp, g, ans, *inputs, **params) -> gradient for its argument``, written against a
NumPy-style namespace ``xp``: the backend module on raw arrays in an ordinary backward pass,
``chainrule.numpy`` on Tensors when the backward pass is itself recorded (create_graph). The
engine sums broadcast dimensions and casts dtypes back, so rules never do.
"""
from __future__ import annotations

import inspect
from functools import partial

import numpy as np

from ..errors import IndexOutOfRangeError, OpError, OpTypeError
from .. import _backend, _fastnp
from .._backend import COMPLEX_DTYPES, DIFFERENTIABLE_DTYPES
from . import grad_mode
from .anomaly import forward_trace
from .grad_mode import anomaly_state, forward_state
from .grad_mode import state as _grad_state
# True while every thread is in the ordinary modes (see grad_mode): one plain read
# answers what would otherwise be reads of this thread's modes.
from .grad_mode import ordinary as _ordinary
from .engine import Node, graph_namespace, next_seq, set_tangents
from . import tracing as _tracing
from .tracing import before_apply as _before_apply
from .engine import pass_through  # re-exported (in __all__): rules are defined with it
from .tensor import Tensor, make_tensor

_new = object.__new__  # a Tensor without running __init__ (recorded() fills it in)

__all__ = ["INTEGER_RULES", "BOOL_RULES", "Primitive", "defvjp", "defvjp_all", "defjvp",
           "defjvps", "linear", "bilinear", "describe", "forward_error", "apply", "recorded",
           "alias", "alias_p", "call",
           "pass_through"]  # the engine's, re-exported: rules are defined with it

_generic = np.generic
_ndarray = np.ndarray
_EMPTY = {}


# How the Tensor operators of a two-input op treat integer and bool operands, by PyTorch's
# kernels (NumPy code keeps NumPy's results); see Primitive.
INTEGER_RULES = (None, "float", "float_only", "divide", "power", "no_bool_operand")
# How the Tensor methods of a one-input op treat a bool tensor.
BOOL_RULES = (None, "error", "identity", "int64")


class Primitive:
    """One differentiable operation: a name, a forward on raw arrays, and its rules.

    The forward, like every rule, reaches arrays only through the namespace of its data: a
    forward whose first parameter is named ``xp`` is called ``forward(xp, *inputs,
    **params)``, with ``xp`` NumPy (``chainrule._fastnp``) for NumPy arrays and CuPy for
    CuPy arrays; a string names a function of the namespace (``Primitive("tanh", "tanh")``
    computes ``xp.tanh(x)``). Any other forward is plain NumPy code on the arrays (a user's
    primitive, as in seed 004), called ``forward(*inputs, **params)``. ``numpy_forward`` is
    the forward bound to NumPy once, at construction: what the fast paths call.

    What the graph keeps: ``saves`` lists the inputs whose values the VJP reads (None: all
    of them); the others are not kept alive by the graph. ``saves_for``, when given, is
    finer: entry i lists the inputs that the gradient of input i reads, so only the
    gradients actually wanted keep values (``x * 2`` keeps nothing). ``saves_ans``: the VJP
    reads the output. ``residual``: the forward takes a keyword ``residual`` (whether a node
    will be recorded) and returns ``(output, residual)``; the VJP rules get the residual
    (values the forward had at hand, such as a softmax or an argmax) as ``ans``, or None
    (not recorded, or a recorded backward pass), and then recompute it.

    What the output is: ``is_view``, it may share memory with input 0. ``complex_ok``: the
    rules are right for complex values (conjugate-Wirtinger convention); ``holomorphic``:
    they are written as for reals, and the engine conjugates around them.

    How the Tensor operators treat it (PyTorch's semantics; NumPy code keeps NumPy's):
    ``scalar_operands``, Python float operands may become cached 0-d arrays of the other
    operand's dtype (the arithmetic operators, whose rules treat both alike);
    ``integer_rule``, for two-input ops, how integer and bool operands are treated:
    ``"float"`` (an integer result becomes the default float dtype: true division),
    ``"float_only"`` (no integer kernel: hypot), ``"divide"`` (integer division by zero
    raises, no bool kernel), ``"power"`` (no bool exponent, no negative integer power of an
    integer), ``"no_bool_operand"`` (sub); ``bool_rule``, for one-input ops, how a bool
    tensor is treated: ``"error"`` (no kernel: abs, floor), ``"identity"`` (sign),
    ``"int64"`` (square).

    The rules: ``vjps`` (one per argument, see :func:`defvjp`), ``vjp_all`` (see
    :func:`defvjp_all`), ``jvp`` (see :func:`defjvp`; :func:`defjvps` for one rule per
    argument, :func:`linear` and :func:`bilinear` for the common cases), given here or
    attached after.

    >>> square = Primitive("square", lambda x: x * x, saves=(0,), saves_ans=False,
    ...                    vjps=(lambda xp, g, ans, x: 2 * g * x,))
    >>> square.name, square.node_name
    ('square', 'SquareBackward')
    """

    __slots__ = ("name", "forward", "vjps", "vjp_all", "jvp", "saves", "saves_for", "saves_ans",
                 "is_view", "complex_ok", "holomorphic", "scalar_operands", "integer_rule",
                 "bool_rule", "keeps", "node_name", "residual", "doc", "numpy_forward",
                 "__weakref__")

    def __init__(self, name: str, forward, *, saves=None, saves_ans: bool = True,
                 saves_for=None, residual: bool = False, is_view: bool = False,
                 complex_ok: bool = False, holomorphic: bool = False,
                 scalar_operands: bool = False, integer_rule: str = None,
                 bool_rule: str = None, vjps: tuple = None, vjp_all=None, jvp=None,
                 doc: str = None):
        if integer_rule not in INTEGER_RULES:
            raise ValueError(f"Primitive {name!r}: unknown integer_rule {integer_rule!r}; "
                             f"expected one of {INTEGER_RULES[1:]}")
        if bool_rule not in BOOL_RULES:
            raise ValueError(f"Primitive {name!r}: unknown bool_rule {bool_rule!r}; "
                             f"expected one of {BOOL_RULES[1:]}")
        self.name = name
        if isinstance(forward, str):
            self.forward = _namespace_function(forward)
            self.numpy_forward = getattr(_fastnp, forward)
        elif _takes_namespace(forward):
            self.forward = forward
            self.numpy_forward = partial(forward, _fastnp)
        else:
            self.forward = _ignoring_namespace(forward)
            self.numpy_forward = forward
        self.vjps = vjps
        self.vjp_all = vjp_all
        self.jvp = jvp
        self.saves = saves
        self.saves_for = saves_for
        self.saves_ans = saves_ans and not residual
        self.residual = residual
        self.is_view = is_view
        self.complex_ok = complex_ok or holomorphic
        self.holomorphic = holomorphic
        self.scalar_operands = scalar_operands
        self.integer_rule = integer_rule
        self.bool_rule = bool_rule
        # For two inputs: which ones the VJP keeps, indexed by
        # (input 0 wants a gradient) + 2 * (input 1 wants a gradient).
        self.keeps = tuple((self._keeps(0, needs), self._keeps(1, needs))
                           for needs in ((False, False), (True, False), (False, True),
                                         (True, True)))
        self.doc = doc
        self.node_name = "".join(part.capitalize() for part in name.split("_")) + "Backward"

    def _keeps(self, i: int, needs) -> bool:
        """Whether the VJP keeps input ``i`` when ``needs[j]`` says input j wants a gradient."""
        if self.saves_for is not None:
            return any(need and i in reads for need, reads in zip(needs, self.saves_for))
        return self.saves is None or i in self.saves

    def __call__(self, *args, **params):
        return apply(self, args, params)

    def defvjp(self, *rules) -> "Primitive":
        """Attach one VJP rule per argument; returns the primitive (HIPS autograd's style)."""
        return defvjp(self, *rules)

    def defjvp(self, rule) -> "Primitive":
        """Attach the JVP rule; returns the primitive."""
        return defjvp(self, rule)

    def __repr__(self) -> str:
        return f"<primitive {self.name}>"


def _takes_namespace(forward) -> bool:
    """Whether ``forward``'s first parameter is ``xp`` (the namespace of its data)."""
    try:
        params = list(inspect.signature(forward).parameters)
    except (TypeError, ValueError):  # a builtin without a signature: a NumPy function
        return False
    return bool(params) and params[0] == "xp"


def _ignoring_namespace(forward):
    """A plain-NumPy forward in the ``forward(xp, ...)`` form."""
    def plain(xp, *inputs, **params):
        return forward(*inputs, **params)
    return plain


def _namespace_function(name: str):
    """A forward that is the namespace's function ``name``."""
    def forward(xp, *inputs, **params):
        return getattr(xp, name)(*inputs, **params)
    forward.__name__ = name
    return forward


def defvjp(prim: Primitive, *rules) -> Primitive:
    """Attach one VJP rule per argument (None: that argument gets no gradient):
    ``rule(xp, g, ans, *inputs, **params) -> the gradient for its argument``."""
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


def defjvps(prim: Primitive, *rules) -> Primitive:
    """Attach one JVP rule per argument, ``rule(xp, t, ans, *inputs, **params)`` giving the
    output tangent due to that argument's tangent ``t`` (None: the output does not depend on
    it); the core sums them over the arguments that carry a tangent."""
    def jvp(xp, tangents, ans, *inputs, **params):
        total = None
        for rule, t in zip(rules, tangents):
            if t is None or rule is None:
                continue
            part = rule(xp, t, ans, *inputs, **params)
            total = part if total is None else total + part
        return total
    prim.jvp = jvp
    return prim


def linear(prim: Primitive) -> Primitive:
    """Declare ``prim`` linear in its first input (with real coefficients): its JVP applies
    it to the tangent, and its rules hold for complex values as they are."""
    prim.complex_ok = True
    prim.jvp = lambda xp, ts, ans, x, *rest, **params: call(xp, prim, ts[0], *rest, **params)
    return prim


def bilinear(prim: Primitive) -> Primitive:
    """Declare ``prim`` linear in each of its two inputs (a product): its JVP is
    ``prim(tx, y) + prim(x, ty)``."""
    return defjvps(prim, lambda xp, t, ans, x, y, **p: call(xp, prim, t, y, **p),
                   lambda xp, t, ans, x, y, **p: call(xp, prim, x, t, **p))


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


_OWN_ERRORS = (OpError, OpTypeError, IndexOutOfRangeError)


def forward_error(prim: Primitive, args, exc: Exception) -> Exception:
    """The error to raise for ``exc`` from ``prim``'s forward: chainrule's own errors as
    they are (they name the op already), anything else (NumPy's messages) as an OpError
    naming the op and its operands."""
    if isinstance(exc, _OWN_ERRORS):
        return exc
    err = OpError(f"{prim.name}: cannot apply to ({describe(args)}): {exc}")
    err.__cause__ = exc
    return err


def apply(prim: Primitive, args: tuple, params: dict = _EMPTY) -> Tensor:
    """Run ``prim`` on the raw data of ``args`` and, if any input requires grad (and grad
    mode is on), record a Node so backward can reach the inputs."""
    if not _ordinary.all and forward_state.tracers:
        _before_apply(args)
    datas = []
    wants_grad = False
    out_class = None
    foreign = None  # an input's array that is not NumPy's (CuPy's): its namespace is xp
    for a in args:
        if a.__class__ is Tensor:
            d = a._data
            datas.append(d)
            if a._requires_grad:
                wants_grad = True
        elif isinstance(a, Tensor):
            d = a._data
            datas.append(d)
            if a._requires_grad:
                wants_grad = True
            if a._propagates:
                out_class = a.__class__
        else:
            datas.append(a)
            continue
        if d.__class__ is not _ndarray and not isinstance(d, _generic):
            foreign = d
    forward = prim.numpy_forward if foreign is None else \
        partial(prim.forward, _backend.rule_namespace(foreign))
    residual = None
    try:
        if prim.residual:
            ans, residual = forward(*datas, residual=wants_grad and _grad_state.enabled,
                                    **params)
        else:
            ans = forward(*datas, **params) if params else forward(*datas)
    except (ValueError, TypeError, IndexError) as exc:
        raise forward_error(prim, args, exc)
    if ans.__class__ is not _ndarray and isinstance(ans, _generic):
        ans = np.asarray(ans)
    if wants_grad and (_ordinary.all or _grad_state.enabled) and \
            ans.dtype in DIFFERENTIABLE_DTYPES:
        out = _record(prim, args, datas, params, ans, residual)
    else:
        out = make_tensor(ans)
    if out_class is not None:
        out.__class__ = out_class
    if prim.is_view and isinstance(args[0], Tensor):
        out._version = args[0]._version
        out._base = (args[0], None)
    if not _ordinary.all:
        if forward_state.depth:
            _propagate_tangents(prim, args, params, out)
            node = out.grad_fn
            if node is not None and out._fw:
                set_tangents(node, out._fw)
        for tracer in forward_state.tracers:  # (see autograd/tracing.py)
            tracer(prim, args, params, out)
    return out


def _record(prim: Primitive, args: tuple, datas: list, params: dict, ans,
            residual=None) -> Tensor:
    """Build the Node for one application: where gradients go, what the VJP keeps, and
    the versions of what it keeps (to catch later in-place writes)."""
    if ans.dtype in COMPLEX_DTYPES and not prim.complex_ok:
        raise NotImplementedError(
            f"{prim.name}: gradients through complex tensors are not supported for this op "
            f"yet ({describe(args)}); supported: elementwise arithmetic and analytic "
            f"functions, abs/real/imag/conj, shape and indexing ops, sums, and numpy.fft")
    edges = []
    for a in args:
        if isinstance(a, Tensor) and a._requires_grad:
            edges.append(a.grad_fn or a)
        else:
            edges.append(None)
    if len(edges) <= 2:  # the table built for one and two inputs
        keep = prim.keeps[(edges[0] is not None) + 2 * (len(edges) == 2 and edges[1] is not None)]
        kept = [d if k else None for d, k in zip(datas, keep)]
    else:
        needs = [e is not None for e in edges]
        kept = [d if prim._keeps(i, needs) else None for i, d in enumerate(datas)]
    saved = []
    for a, k in zip(args, kept):
        if k is not None and isinstance(a, Tensor):
            box = a._version
            saved.append((box, box[0]))
    out = recorded(prim, ans, ans.dtype, kept, edges, tuple(saved), prim.saves_ans, params,
                   residual)
    node = out.grad_fn
    if anomaly_state.enabled:
        node.trace = forward_trace()
    if forward_state.depth:
        # Dual inputs are kept whole, so a backward pass through this node carries their
        # tangents (forward-over-reverse).
        node.inputs = [a if isinstance(a, Tensor) and a._fw and k is not None else k
                       for a, k in zip(args, kept)]
    return out


# Shared, so that nodes keeping nothing allocate nothing for it (fewer objects for the
# garbage collector to scan in long graphs).
_NOTHING_KEPT = {1: (None,), 2: (None, None)}


def recorded(prim: Primitive, ans, dtype, inputs, edges, saved: tuple, saves_ans: bool,
             params: dict = _EMPTY, residual=None) -> Tensor:
    """The output tensor of a recorded call, and its Node: the one place a Node is made.
    Both are built here, inline: this runs once per recorded op, and a constructor call
    costs as much as its work (the tensor's fields as make_tensor writes them;
    tests/test_tensor.py checks they agree)."""
    out = _new(Tensor)
    out._data = ans
    out.grad = out.name = out._base = out._hooks = out._fw = None
    out._requires_grad = True
    out._version = box = [0, None]
    out.grad_fn = node = Node()
    node.seq = next_seq()
    node.prim = prim
    node.inputs = inputs
    node.edges = edges
    node.params = params
    if saves_ans:
        node.ans = ans
        node.saved = saved + ((box, 0),)
    else:
        node.ans = residual
        node.saved = saved
    node.shape = ans.shape
    node.dtype = dtype
    node.hooks = node.retained = node.fw = node.trace = None
    return out


def _strip(x, level: int):
    """``x`` without its tangents at ``level`` and inner levels."""
    if not isinstance(x, Tensor) or not x._fw or max(x._fw) < level:
        return x
    return alias(x, {k: v for k, v in x._fw.items() if k < level} or None)


def _propagate_tangents(prim: Primitive, args: tuple, params: dict, out: Tensor) -> None:
    """Give ``out`` a tangent at every open level that one of ``args`` carries, from the
    primitive's JVP rule run on tensors (so outer levels and reverse mode see through it)."""
    active = forward_state.levels
    levels = sorted({k for a in args if isinstance(a, Tensor) and a._fw
                     for k in a._fw if k in active})
    if not levels:
        return
    if prim.jvp is None:
        raise NotImplementedError(f"{prim.name}: no JVP rule is defined, so it cannot be "
                                  f"used in forward mode")
    xp = graph_namespace()
    fw = {}
    for level in levels:  # outer levels first: inner ones are computed on top of them
        tangents = [a._fw.get(level) if isinstance(a, Tensor) and a._fw else None
                    for a in args]
        if all(t is None for t in tangents):
            continue
        primals = [_strip(a, level) for a in args]
        ans = make_tensor(out._data, out.grad_fn, out._requires_grad)
        ans._fw = dict(fw) or None
        t = prim.jvp(xp, tangents, ans, *primals, **params)
        if t is None:
            continue
        if not isinstance(t, Tensor):
            t = make_tensor(np.asarray(t))
        if t.shape != out._data.shape:
            t = xp.broadcast_to(t, out._data.shape)
        if t.dtype != out._data.dtype:
            t = t.astype(out._data.dtype)
        fw[level] = t
    out._fw = fw or None


def alias(x: Tensor, fw) -> Tensor:
    """A tensor on ``x``'s data at ``x``'s place in the graph, with tangents ``fw``."""
    if x.grad_fn is None and x._requires_grad and grad_mode.state.enabled:
        out = recorded(alias_p, x._data, x._data.dtype, (None,), (x,), (), False)
    else:
        out = make_tensor(x._data, x.grad_fn, x._requires_grad)
    out._version = x._version
    out._fw = fw
    if x._propagates:
        out.__class__ = x.__class__
    return out


alias_p = Primitive("alias", lambda xp, x: x, saves=(), saves_ans=False, is_view=True,
                    complex_ok=True, vjps=(pass_through,), jvp=lambda xp, ts, ans, x: ts[0])


def call(xp, prim: Primitive, *args, **params):
    """Run ``prim`` from inside a rule: on raw arrays directly, or through ``apply`` when
    the backward pass is being recorded (``xp`` is ``chainrule.numpy``)."""
    if xp is graph_namespace():
        return apply(prim, args, params)
    if xp is _fastnp:  # the forward already bound to NumPy (no namespace lookup per call)
        forward = prim.numpy_forward
    else:
        forward = partial(prim.forward, xp)
    ans = forward(*args, residual=False, **params)[0] if prim.residual else \
        forward(*args, **params)
    if not _ordinary.all and forward_state.tracers:  # a tracer checks it saw ans made
        _tracing.notify("computed", prim, args, ans)
    return np.asarray(ans) if isinstance(ans, _generic) else ans


def __dir__():  # dir() and tab completion show what the module exports, not its helpers
    return __all__
