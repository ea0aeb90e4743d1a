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

from ..errors import OpError  # noqa: F401 (re-exported: ops raise it from here)
from .._backend import COMPLEX_DTYPES, DIFFERENTIABLE_DTYPES, FLOAT_DTYPES
from . import grad_mode
from .anomaly import forward_trace
from .grad_mode import anomaly_state, forward_state
from .grad_mode import state as _grad_state
from .engine import Node, graph_namespace, next_seq, set_tangents
from .engine import pass_through  # noqa: F401 (rules are defined with it)
from .tensor import Tensor, make_tensor

_generic = np.generic
_new = object.__new__
_ndarray = np.ndarray
_EMPTY = {}


class Primitive:
    """One differentiable operation.

    ``saves`` lists the inputs whose values the VJP reads (None: all of them); the others
    are not kept alive by the graph. ``saves_for``, when given, is finer: entry i lists the
    inputs that the gradient of input i reads, so only the gradients actually wanted keep
    values (``x * 2`` keeps nothing). ``saves_ans``: the VJP reads the output.
    ``is_view``: the output may share memory with input 0. ``residual``: the forward takes a
    keyword ``residual`` (whether a node will be recorded) and returns ``(output,
    residual)``; the VJP rules get the residual (values the forward had at hand, such as a
    softmax or an argmax) as ``ans``, or None (not recorded, or a recorded backward pass),
    and then recompute it. Such primitives are applied through ``apply``.

    >>> square = Primitive("square", lambda x: x * x, saves=(0,), saves_ans=False)
    >>> square = defvjp(square, lambda xp, g, ans, x: 2 * g * x)
    """

    __slots__ = ("name", "forward", "vjps", "vjp_all", "jvp", "saves", "saves_for", "saves_ans",
                 "is_view", "complex_ok", "holomorphic", "scalar_operands", "keeps", "node_name",
                 "residual", "doc", "__weakref__")

    def __init__(self, name: str, forward, *, saves=None, saves_ans: bool = True,
                 is_view: bool = False, saves_for=None, residual: bool = False):
        self.name = name
        self.forward = forward
        self.vjps = None
        self.vjp_all = None
        self.jvp = None
        self.saves = saves
        self.saves_for = saves_for
        # Whether the rules are right for complex values (conjugate-Wirtinger convention);
        # ``holomorphic``: rules written as for reals, which the engine conjugates around.
        self.complex_ok = False
        self.holomorphic = False
        self.saves_ans = saves_ans and not residual
        self.residual = residual
        self.is_view = is_view
        # Whether Python float operands may be replaced by cached 0-d arrays of the other
        # operand's dtype (the arithmetic operators, whose rules treat both alike).
        self.scalar_operands = False
        # For two inputs: which ones the VJP keeps, indexed by
        # (input 0 wants a gradient) + 2 * (input 1 wants a gradient).
        self.keeps = tuple((self._keeps(0, needs), self._keeps(1, needs))
                           for needs in ((False, False), (True, False), (False, True),
                                         (True, True)))
        self.doc = getattr(forward, "__doc__", None)
        self.node_name = "".join(part.capitalize() for part in name.split("_")) + "Backward"

    def _keeps(self, i: int, needs) -> bool:
        """Whether the VJP keeps input ``i`` when ``needs[j]`` says input j wants a gradient."""
        if self.saves_for is not None:
            return any(need and i in reads for need, reads in zip(needs, self.saves_for))
        return self.saves is None or i in self.saves

    def __call__(self, *args, **params):
        return apply(self, args, params)

    def defvjp(self, *rules) -> "Primitive":
        """Attach one VJP rule per argument; returns the primitive (for chaining)."""
        return defvjp(self, *rules)

    def defjvp(self, rule) -> "Primitive":
        """Attach the JVP rule; returns the primitive."""
        return defjvp(self, rule)

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
    out_class = None
    for a in args:
        if a.__class__ is Tensor:
            datas.append(a._data)
            if a._requires_grad:
                wants_grad = True
        elif isinstance(a, Tensor):
            datas.append(a._data)
            if a._requires_grad:
                wants_grad = True
            if a._propagates:
                out_class = a.__class__
        else:
            datas.append(a)
    residual = None
    try:
        if prim.residual:
            ans, residual = prim.forward(*datas, residual=wants_grad and _grad_state.enabled,
                                         **params)
        else:
            ans = prim.forward(*datas, **params) if params else prim.forward(*datas)
    except (ValueError, TypeError, IndexError) as exc:
        raise OpError(f"{prim.name}: cannot apply to ({describe(args)}): {exc}") from exc
    if ans.__class__ is not _ndarray and isinstance(ans, _generic):
        ans = np.asarray(ans)
    if wants_grad and _grad_state.enabled and ans.dtype in DIFFERENTIABLE_DTYPES:
        out = _record(prim, args, datas, params, ans, residual)
    else:
        out = make_tensor(ans)
    if out_class is not None:
        out.__class__ = out_class
    if prim.is_view and isinstance(args[0], Tensor):
        out._version = args[0]._version
        out._base = (args[0], None)
    if forward_state.depth:
        _propagate_tangents(prim, args, params, out)
        node = out.grad_fn
        if node is not None and out._fw:
            set_tangents(node, out._fw)
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


# Shared, so that nodes keeping nothing allocate nothing for it (fewer objects for the
# garbage collector to scan in long graphs).
_NOTHING_KEPT = {1: (None,), 2: (None, None)}


def recorded(prim: Primitive, ans, dtype, inputs, edges, saved: tuple, saves_ans: bool,
             params: dict = _EMPTY, residual=None) -> Tensor:
    """The output tensor of a recorded call, and its Node. Both are built here, inline:
    this runs once per recorded op, and a constructor call costs as much as its work."""
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


def _not_recorded(prim: Primitive, ans, args: tuple) -> Tensor:
    """An operator's result that gradients cannot flow through: integer and bool results
    leave the graph; complex ones without complex rules get ``apply``'s error."""
    if ans.dtype not in DIFFERENTIABLE_DTYPES:
        return make_tensor(ans)
    return apply(prim, args)  # raises the complex error


def unary_operator(prim: Primitive):
    """The method behind ``x.sin()`` and friends: ``apply(prim, (x,))``, unrolled, with the
    primitive's fields read once, here, instead of on every call."""
    if prim.is_view or prim.residual:
        return lambda x: apply(prim, (x,))
    forward, keeps_x, saves_ans, complex_ok = prim.forward, prim.keeps[1][0], prim.saves_ans, \
        prim.complex_ok

    def op(x):
        if x.__class__ is not Tensor or forward_state.depth or anomaly_state.enabled:
            return apply(prim, (x,))
        xd = x._data
        try:
            ans = forward(xd)
        except (ValueError, TypeError, IndexError) as exc:
            raise OpError(f"{prim.name}: cannot apply to ({describe((x,))}): {exc}") from exc
        if ans.__class__ is not _ndarray and isinstance(ans, _generic):
            ans = np.asarray(ans)
        if not x._requires_grad or not _grad_state.enabled:
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
    unrolled, with the primitive's fields read once, here, instead of on every call."""
    if prim.is_view or prim.residual:
        if reflected:
            return lambda x, y: apply(prim, (y, x))
        return lambda x, y: apply(prim, (x, y))
    forward, keeps, saves_ans, complex_ok, scalars = prim.forward, prim.keeps, \
        prim.saves_ans, prim.complex_ok, prim.scalar_operands

    def op(x, y):
        if reflected:
            x, y = y, x
        if forward_state.depth or anomaly_state.enabled:
            return apply(prim, (x, y))
        # The two operands are read by the same lines, written out twice: a helper call per
        # operand costs more than the rest of this function's bookkeeping.
        xb = yb = xe = ye = None  # version boxes and graph edges of tensor operands
        cls = x.__class__
        if cls is Tensor or isinstance(x, Tensor) and not x._propagates:
            xd, xb = x._data, x._version
            if x._requires_grad:
                xe = x.grad_fn or x
        elif cls is float and scalars and y.__class__ is Tensor:
            xd = _operand(x, y._data)
        elif isinstance(x, Tensor):
            return apply(prim, (x, y))
        else:
            xd = x
        cls = y.__class__
        if cls is Tensor or isinstance(y, Tensor) and not y._propagates:
            yd, yb = y._data, y._version
            if y._requires_grad:
                ye = y.grad_fn or y
        elif cls is float and scalars and xd.__class__ is _ndarray:
            cache = _SCALAR_CACHES.get(xd.dtype)  # _operand, inlined for the commonest case
            yd = cache.get(y) if cache is not None else None
            if yd is None:
                yd = _operand(y, xd)
        elif isinstance(y, Tensor):
            return apply(prim, (x, y))
        else:
            yd = y
        try:
            ans = forward(xd, yd)
        except (ValueError, TypeError, IndexError) as exc:
            raise OpError(f"{prim.name}: cannot apply to ({describe((x, y))}): {exc}") from exc
        if ans.__class__ is not _ndarray and isinstance(ans, _generic):
            ans = np.asarray(ans)
        if xe is None and ye is None or not _grad_state.enabled:
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


alias_p = defjvp(defvjp(Primitive("alias", lambda x: x, saves=(), saves_ans=False, is_view=True),
                        pass_through), lambda xp, ts, ans, x: ts[0])
alias_p.complex_ok = True


def call(xp, prim: Primitive, *args, **params):
    """Run ``prim`` from inside a rule: on raw arrays directly, or through ``apply`` when
    the backward pass is being recorded (``xp`` is ``chainrule.numpy``)."""
    if xp is graph_namespace():
        return apply(prim, args, params)
    ans = prim.forward(*args, residual=False, **params)[0] if prim.residual else \
        prim.forward(*args, **params)
    return np.asarray(ans) if isinstance(ans, _generic) else ans
