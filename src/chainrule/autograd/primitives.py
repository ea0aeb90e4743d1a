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
from .. import _backend
from ..errors import OpTypeError
from . import grad_mode
from .anomaly import forward_trace
from .grad_mode import anomaly_state, forward_state
from .grad_mode import state as _grad_state
# True while every thread is in the ordinary modes (see grad_mode): one plain read
# answers what would otherwise be reads of this thread's modes.
from .grad_mode import ordinary as _ordinary
from .engine import Node, graph_namespace, next_seq, set_tangents
from .engine import pass_through  # noqa: F401 (rules are defined with it)
from .tensor import Tensor, as_array, make_tensor

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
    if not _ordinary.all and forward_state.depth:
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


# ----- PyTorch's type promotion, for the Tensor operators -----------------------------------
# The forwards are NumPy's and are shared with chainrule.numpy and NumPy dispatch, which keep
# NumPy's promotion. The Tensor operators below convert their operands to PyTorch's result
# dtype first, but only where it can differ: operands of different dtypes, and Python numbers
# with integer or bool tensors. Two float tensors of one dtype, or a float tensor with a
# Python float, never get here.

# How an op treats integer and bool operands, by PyTorch's kernels (see integer_rule).
_INTEGER_RULES = {}
_RULES = ("float", "float_only", "divide", "power", "no_bool_operand")


def integer_rule(prim: Primitive, rule: str) -> Primitive:
    """Declare how the Tensor operators of the two-input ``prim`` treat integer and bool
    operands, as PyTorch's kernels do: ``"float"``, an integer or bool result becomes the
    default float dtype (true division, atan2); ``"float_only"``, it raises (no integer
    kernel: hypot, logaddexp); ``"divide"``, integer division by zero raises and bool
    operands have no kernel (floor_divide, remainder, fmod); ``"power"``, a bool tensor
    exponent has no kernel and an integer to a negative int raises (pow);
    ``"no_bool_operand"``, any bool operand raises (sub). Returns ``prim``."""
    if rule not in _RULES:
        raise ValueError(f"integer_rule: unknown rule {rule!r}; expected one of {_RULES}")
    _INTEGER_RULES[prim] = rule
    return prim


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
    the op's integer ``rule`` (see :func:`integer_rule`); Python numbers kept as weakly typed
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


def _checked_division(forward):
    """An integer division's forward, for the Tensor operators only, that refuses a zero
    divisor (the primitive's own forward, used by NumPy code, keeps NumPy's 0)."""
    def checked(x, y):
        _check_divisor("integer division", x, y)
        return forward(x, y)
    return checked


def _run(prim: Primitive, forward, datas: tuple, args: tuple):
    """``forward(*datas)`` on an operator's slow path, its errors named after the op."""
    try:
        ans = forward(*datas)
    except (ValueError, TypeError, IndexError, OverflowError) as exc:
        raise OpError(f"{prim.name}: cannot apply to ({describe(args)}): {exc}") from exc
    return np.asarray(ans) if ans.__class__ is not _ndarray and isinstance(ans, _generic) \
        else ans


# A dtype conversion that gradients and tangents flow through, for promoted operands on the
# general route (forward and anomaly mode). ops.shape has the public one (``Tensor.to``);
# this layer cannot import the ops.
_promote_p = Primitive("to_copy", lambda x, dtype: x.astype(dtype), saves=(), saves_ans=False)
_promote_p.complex_ok = True
defvjp(_promote_p, pass_through)  # the engine casts the gradient back to the input's dtype
defjvp(_promote_p, lambda xp, ts, ans, x, dtype: ts[0])  # and the tangent to the output's


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


# How one-input ops treat bool tensors, by PyTorch's kernels (see bool_rule).
_BOOL_RULES = {}
_BOOL = np.dtype(np.bool_)


def bool_rule(prim: Primitive, rule: str) -> Primitive:
    """Declare how the Tensor methods of the one-input ``prim`` treat a bool tensor, where
    PyTorch differs from NumPy: ``"error"``, no kernel (abs, floor, relu, ...);
    ``"identity"``, the values themselves (sign); ``"int64"``, computed in int64 (square).
    Returns ``prim``."""
    if rule not in ("error", "identity", "int64"):
        raise ValueError(f"bool_rule: unknown rule {rule!r}")
    _BOOL_RULES[prim] = rule
    return prim


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
    rule = _BOOL_RULES.get(prim)
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
    primitive's fields read once, here, instead of on every call. Integer and bool inputs of
    floating functions give the default float dtype, as in PyTorch."""
    if prim.is_view or prim.residual:
        return lambda x: apply(prim, (x,))
    forward, keeps_x, saves_ans, complex_ok = prim.forward, prim.keeps[1][0], prim.saves_ans, \
        prim.complex_ok
    bool_rule_ = _BOOL_RULES.get(prim)

    def op(x):
        if x.__class__ is not Tensor or not _ordinary.all and (forward_state.depth or
                                                              anomaly_state.enabled):
            return _apply_unary(prim, x)
        xd = x._data
        if bool_rule_ is not None and xd.dtype is _BOOL:  # only ops PyTorch treats apart
            return _bool_unary(prim, bool_rule_, x)
        try:
            ans = forward(xd)
        except (ValueError, TypeError, IndexError) as exc:
            raise OpError(f"{prim.name}: cannot apply to ({describe((x,))}): {exc}") from exc
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
    forward, keeps, saves_ans, complex_ok, scalars = prim.forward, prim.keeps, \
        prim.saves_ans, prim.complex_ok, prim.scalar_operands
    rule = _INTEGER_RULES.get(prim)
    # Whether two integer or bool tensors of one dtype may still have another result dtype
    # (integer true division gives a float; bool ** bool has no kernel).
    checks_same = rule in ("float", "float_only", "divide", "power")
    power = rule == "power"
    if rule == "divide":
        forward = _checked_division(forward)

    def op(x, y):
        if reflected:
            x, y = y, x
        if not _ordinary.all and (forward_state.depth or anomaly_state.enabled):
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
                raise OpError(f"{prim.name}: cannot apply to ({describe((x, y))}): {exc}") \
                    from exc
        elif td is _MIXED:
            ans, xd, yd, xb, yb = _forward_promoted(prim, forward, rule, x, y, xd, yd, xb, yb)
        else:  # a Python number with a tensor of dtype td
            try:
                ans = forward(xd, yd)
            except OverflowError:  # a Python int out of an integer tensor's range
                ans = None
            except (ValueError, TypeError, IndexError) as exc:
                if not power:  # 2 ** int_tensor with negative entries: PyTorch's rule
                    raise OpError(f"{prim.name}: cannot apply to ({describe((x, y))}): "
                                  f"{exc}") from exc
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
