"""Functional transforms, named and shaped as in ``torch.func`` and JAX: ``grad``,
``value_and_grad``, ``vjp``, ``jvp``, ``jacrev``, ``jacfwd``, ``hessian``, ``linearize``.

Arguments and results may be tensors, NumPy arrays, Python numbers, or nested
tuples/lists/dicts of them (pytrees: ``chainrule.pytree``, whose functions this module
re-exports). Transforms compose to any depth and leave no state behind:
``grad(f)(x)`` never touches ``x.grad``. A result that does not depend on the inputs (a
constant, a Python number) has zero derivatives.

Complex values follow PyTorch's convention (conjugate Wirtinger): the gradient of a
real-valued ``f`` of complex ``z`` is ``2 * df/d(conj z)``, so ``grad(lambda z: abs(z) ** 2)``
gives ``2 * z``, as ``torch.autograd.grad`` does, and ``vjp`` pulls a cotangent ``v`` back
through an analytic ``f`` as ``v * conj(f'(z))``. ``grad``, ``jacrev``, ``jacfwd`` and
``hessian`` take JAX's ``holomorphic=True`` for analytic functions of complex inputs: they
then give the complex derivative ``f'(z)`` itself. Without it, as in JAX, ``grad`` and
``jacrev`` need real outputs and ``jacfwd`` and ``hessian`` real inputs (use ``vjp`` or
``jvp`` directly for other complex functions).

>>> import chainrule as cr
>>> cr.func.grad(lambda x: (x ** 3).sum())(cr.tensor([1., 2.]))
tensor([ 3., 12.])
"""
from __future__ import annotations as _annotations

from typing import Callable as _Callable
from typing import Sequence as _Sequence

import numpy as _np

from .autograd import engine as _engine
from .autograd.forward_ad import dual_level as _dual_level
from .autograd.forward_ad import make_dual as _make_dual
from .autograd.forward_ad import unpack_dual as _unpack_dual
from .autograd.grad_mode import enable_grad as _enable_grad
from .autograd.grad_mode import modes as _modes
from .autograd.primitives import alias as _alias
from .autograd.primitives import alias_p as _alias_p
from .autograd.primitives import recorded as _recorded
from .autograd.tensor import Tensor as _Tensor
from .autograd.tensor import make_tensor as _make_tensor
from .numpy import ArrayBox as _ArrayBox
from .ops import elementwise as _elementwise
from .ops import shape as _shape
from .pytree import tree_flatten, tree_map, tree_unflatten

__all__ = ["vjp", "value_and_grad", "grad", "jvp", "linearize", "jacrev", "jacfwd",
           "hessian", "tree_flatten", "tree_unflatten", "tree_map"]


# ----- moving values in and out of a transform -------------------------------------------
class _Transform:
    """Counts the transforms running in this thread, nested: an inner one must record its
    backward pass so that the outer one can differentiate it."""

    def __enter__(self):
        _modes.transforms += 1
        return self

    def __exit__(self, *exc):
        _modes.transforms -= 1
        return False


def _watch(leaf) -> _Tensor:
    """A tensor standing for ``leaf`` inside a transform, requiring grad: on the same data,
    and a node of its own whose one edge leads to ``leaf``'s place in any enclosing graph.
    Its own node is what keeps nested transforms apart: the inner transform's gradient
    flows to its variable only through the variable's uses, not through the enclosing
    variable it was made from (no perturbation confusion), while an enclosing transform
    still differentiates through it."""
    if isinstance(leaf, _Tensor):
        if leaf._requires_grad:
            t = _recorded(_alias_p, leaf._data, leaf._data.dtype, (None,),
                          (leaf.grad_fn or leaf,), (), False)
            t._version, t._fw = leaf._version, leaf._fw
            if leaf._propagates:
                t.__class__ = leaf.__class__
            return t
        t = _alias(leaf, leaf._fw)
        if not t._requires_grad:
            if t._data.dtype.kind not in "fc":
                raise TypeError(f"cannot differentiate with respect to a tensor of dtype "
                                f"{t._data.dtype}; convert it to floating point first")
            t._requires_grad = True
        return t
    box = _box(leaf)
    box._requires_grad = True
    return box


def _box(leaf):
    """NumPy arrays and numbers enter as ArrayBoxes: NumPy code sees ndarray behaviour. The
    box holds a copy: a function writing into its argument (``A[1] = b``) never changes the
    caller's array."""
    box = _make_tensor(_np.array(_float_array(leaf)))
    box.__class__ = _ArrayBox
    return box


def _export(value, like):
    """Give a result the kind of the input it relates to: tensors stay tensors, NumPy
    inputs get NumPy arrays, Python numbers get Python floats. A result that an enclosing
    transform or dual level still differentiates stays traced, as an ArrayBox for NumPy
    and number inputs: turning it into an array would cut it from the enclosing graph."""
    if isinstance(like, _Tensor) or not isinstance(value, _Tensor):
        return value
    if value._requires_grad or value._fw:
        if value.__class__ is _Tensor:
            value = _alias(value, value._fw)
            value.__class__ = _ArrayBox
        return value
    arr = value._data
    if isinstance(like, (int, float)) and arr.ndim == 0:
        return float(arr)
    return arr


def _zeros_for(t: _Tensor, lead: tuple = ()) -> _Tensor:
    """Zeros shaped like ``t``, after ``lead`` (a batch axis, say)."""
    return _make_tensor(_np.zeros(lead + t._data.shape, t._data.dtype))


def _as_result(value):
    """A function's result as a tensor: a number or an array (a result that does not
    depend on the inputs) becomes a constant tensor, whose derivatives are zero."""
    if isinstance(value, _Tensor):
        return value
    if isinstance(value, (int, float, complex, _np.ndarray, _np.generic)):
        return _make_tensor(_np.asarray(value))
    return value


def _dtype_of(x) -> _np.dtype:
    return x._data.dtype if isinstance(x, _Tensor) else _np.result_type(x)


def _check_inputs(op: str, leaves: list, holomorphic: bool, real_only: bool = False) -> None:
    """JAX's input checks: holomorphic=True needs complex inputs; ``real_only`` (jacfwd,
    hessian) refuses complex inputs without it."""
    for x in leaves:
        dtype = _dtype_of(x)
        if holomorphic and dtype.kind != "c":
            raise TypeError(f"{op} with holomorphic=True requires inputs with complex dtype, "
                            f"but got {dtype}; convert them with .astype(complex)")
        if real_only and not holomorphic and dtype.kind == "c":
            raise TypeError(f"{op} requires real-valued inputs (a floating point dtype), but "
                            f"got {dtype}. For holomorphic differentiation, pass "
                            f"holomorphic=True. For differentiation of non-holomorphic "
                            f"functions involving complex inputs, use chainrule.func.jvp or "
                            f"vjp directly, or pass the real and imaginary parts as separate "
                            f"real inputs.")


def _check_output(op: str, out: _Tensor, holomorphic: bool) -> None:
    """JAX's output checks: holomorphic=True needs a complex output; without it, reverse
    mode needs a real one (the gradient of a complex output is not one array)."""
    dtype = out._data.dtype
    if holomorphic and dtype.kind != "c":
        raise TypeError(f"{op} with holomorphic=True requires outputs with complex dtype, but "
                        f"got {dtype}")
    if not holomorphic and dtype.kind == "c":
        raise TypeError(f"{op} requires real-valued outputs (a floating point dtype), but got "
                        f"{dtype}. For holomorphic differentiation, pass holomorphic=True. "
                        f"For differentiation of non-holomorphic functions involving complex "
                        f"outputs, use chainrule.func.vjp directly (or differentiate the real "
                        f"and imaginary parts separately).")


def _records() -> bool:
    return _modes.transforms > 1 or _modes.depth > 0


def _argnums_tuple(argnums) -> tuple[tuple[int, ...], bool]:
    if isinstance(argnums, int):
        return (argnums,), True
    return tuple(argnums), False


def _prepare(args: tuple, argnums: tuple[int, ...]):
    """Replace the differentiated arguments by watched tensors; return the new args, the
    flat watched leaves, the original flat leaves, and the specs per argnum."""
    args = list(args)
    watched, originals, specs = [], [], []
    for i in argnums:
        if not -len(args) <= i < len(args):
            raise ValueError(f"argnums {i} is out of range for {len(args)} positional arguments")
        leaves, spec = tree_flatten(args[i])
        new = [_watch(x) for x in leaves]
        watched += new
        originals += leaves
        specs.append((len(leaves), spec))
        args[i] = tree_unflatten(spec, new)
    return args, watched, originals, specs


def _run_watched(op: str, f: _Callable, args: tuple, kwargs: dict, nums, has_aux: bool,
                 holomorphic: bool = False):
    """Call ``f`` with the differentiated arguments watched; it must return a tensor or a
    number or array (a constant)."""
    new_args, watched, originals, specs = _prepare(args, nums)
    _check_inputs(op, watched, holomorphic)
    out, aux = _split_aux(f(*new_args, **kwargs), has_aux)
    out = _as_result(out)
    if not isinstance(out, _Tensor):
        raise TypeError(f"{op}: the function must return a tensor, an array or a number, got "
                        f"{type(out).__name__}")
    _check_output(op, out, holomorphic)
    return out, aux, watched, originals, specs


def _conj_all(grads: list, holomorphic: bool) -> list:
    """The complex derivative from PyTorch's pullback of an analytic function:
    ``vjp(v) = v * conj(f'(z))``, so ``f'(z) = conj(vjp(1))`` (recorded: differentiable)."""
    return [_elementwise.conj(g) for g in grads] if holomorphic else grads


def _regroup(flat: list, specs, single: bool):
    out, start = [], 0
    for n, spec in specs:
        out.append(tree_unflatten(spec, flat[start:start + n]))
        start += n
    return out[0] if single else tuple(out)


def _split_aux(out, has_aux: bool):
    if not has_aux:
        return out, None
    if not (isinstance(out, tuple) and len(out) == 2):
        raise ValueError("has_aux=True: the function must return (output, aux)")
    return out


def _reaches_other_leaves(outputs: list, watched: list) -> bool:
    """Whether the outputs depend on a tensor requiring grad besides the watched inputs
    (a closure over a parameter, say): then ordinary autograd must be able to see through
    our gradients, so they are recorded."""
    mine = {id(w) for w in watched} | {id(w.grad_fn) for w in watched if w.grad_fn is not None}
    starts = [o.grad_fn for o in outputs if o.grad_fn is not None]
    return any(type(x) is not _engine.Node and id(x) not in mine
               for x in _engine.walk(starts, stop=lambda node: id(node) in mine))


def _pullback(outputs: list, cotangents: list, watched: list, retain: bool,
              record: bool, batched: bool = False) -> tuple[list, bool]:
    """Gradients of ``outputs`` (weighted by ``cotangents``) for the watched inputs, and
    whether they were recorded (so that they keep their graph). ``batched``: the
    cotangents have a leading batch axis, and so have the gradients."""
    pairs = [(o, c) for o, c in zip(outputs, cotangents) if o.requires_grad]
    if not pairs:
        lead = (len(cotangents[0]),) if batched else ()
        return [_zeros_for(w, lead) for w in watched], record
    record = record or _records() or _reaches_other_leaves([o for o, _ in pairs], watched)
    grads = _engine.grad([o for o, _ in pairs], watched, [c for _, c in pairs],
                         retain_graph=retain or record, create_graph=record,
                         is_grads_batched=batched, materialize_grads=True)
    return list(grads), record


def _watched_from_outside(*args) -> bool:
    """Whether something outside will differentiate our results, so they keep their graph:
    an enclosing transform or dual level (checked before a transform opens its own), or
    an argument that already requires grad (ordinary autograd around the transform)."""
    if _modes.transforms > 0 or _modes.depth > 0:
        return True
    return any(isinstance(x, _Tensor) and x.requires_grad for x in tree_flatten(args)[0])


def _leave(value, keep: bool, like):
    """A value leaving a transform: cut from the transform's graph unless something
    outside differentiates it (``keep``), without tangents of dual levels now closed, and
    of the kind of ``like`` (see :func:`_export`)."""
    if not isinstance(value, _Tensor):
        return value
    if not keep:
        value = value.detach()
    elif value._fw and any(k not in _modes.levels for k in value._fw):
        value = _alias(value, {k: v for k, v in value._fw.items() if k in _modes.levels} or None)
    return _export(value, like)


def _leave_tree(tree, keep: bool, like):
    """:func:`_leave` for every leaf of a pytree (an ``aux`` output, say)."""
    return tree_map(lambda v: _leave(v, keep, like), tree)


# ----- reverse mode --------------------------------------------------------------------
def vjp(f: _Callable, *primals, has_aux: bool = False):
    """``(f(*primals), vjp_fn)``; ``vjp_fn(cotangent)`` returns one gradient per primal.

    >>> import chainrule as cr
    >>> out, vjp_fn = vjp(lambda x: x * x, cr.tensor([1., 2.]))
    >>> vjp_fn(cr.tensor([1., 1.]))
    (tensor([2., 4.]),)
    """
    keep = _watched_from_outside(primals)
    with _Transform(), _enable_grad():
        args, watched, originals, specs = _prepare(primals, tuple(range(len(primals))))
        out, aux = _split_aux(f(*args), has_aux)
    out_leaves, out_spec = tree_flatten(out)
    out_leaves = [_as_result(o) for o in out_leaves]

    def vjp_fn(cotangent):
        cot_leaves, cot_spec = tree_flatten(cotangent)
        if len(cot_leaves) != len(out_leaves):
            raise ValueError(f"vjp_fn: got {len(cot_leaves)} cotangents for "
                             f"{len(out_leaves)} outputs")
        cots = []
        for i, (c, o) in enumerate(zip(cot_leaves, out_leaves)):
            if _dtype_of(c).kind == "c" and o.dtype.kind != "c":
                raise TypeError(f"vjp_fn: cotangent {i} is complex ({_dtype_of(c)}) but "
                                f"output {i} is real ({o.dtype}); its imaginary part would "
                                f"be dropped: pass a real cotangent")
            cots.append(c if isinstance(c, _Tensor) else _np.asarray(c, dtype=o.dtype))
        with _Transform(), _enable_grad():
            grads, recorded = _pullback(out_leaves, cots, watched, retain=True, record=keep)
        grads = [_leave(g, recorded, x) for g, x in zip(grads, originals)]
        return _regroup(grads, specs, False)

    like = originals[0] if originals else None
    result = tree_unflatten(out_spec, [_leave(o, keep, like) for o in out_leaves])
    return (result, vjp_fn, _leave_tree(aux, keep, like)) if has_aux else (result, vjp_fn)


def value_and_grad(f: _Callable, argnums: int | _Sequence[int] = 0,
                   has_aux: bool = False, holomorphic: bool = False) -> _Callable:
    """A function returning ``(f(*args), gradient)`` for a scalar-valued ``f``.

    For a real ``f`` of complex inputs the gradient is PyTorch's, ``2 * df/d(conj z)``;
    ``holomorphic=True`` (complex inputs and output, ``f`` analytic) gives ``f'(z)``.

    >>> import numpy as np
    >>> value_and_grad(lambda z: np.abs(z) ** 2)(np.array(3 + 4j))
    (array(25.), array(6.+8.j))
    """
    nums, single = _argnums_tuple(argnums)

    def wrapper(*args, **kwargs):
        keep = _watched_from_outside(args, kwargs)
        with _Transform(), _enable_grad():
            out, aux, watched, originals, specs = _run_watched("grad", f, args, kwargs, nums,
                                                               has_aux, holomorphic)
            if out.numel() != 1:
                raise RuntimeError(f"grad: the function must return a scalar, got shape "
                                   f"{out.shape}; use jacrev or vjp for vector outputs")
            grads, keep = _pullback([out], [_np.ones(out.shape, out.dtype)], watched,
                                    retain=False, record=keep)
            grads = _conj_all(grads, holomorphic)
        like = originals[0] if originals else None
        grads = [_leave(g, keep, x) for g, x in zip(grads, originals)]
        value = _leave(out, keep, like)
        g = _regroup(grads, specs, single)
        return ((value, _leave_tree(aux, keep, like)), g) if has_aux else (value, g)
    return wrapper


def grad(f: _Callable, argnums: int | _Sequence[int] = 0, has_aux: bool = False,
         holomorphic: bool = False) -> _Callable:
    """The gradient of a scalar-valued ``f`` with respect to argument(s) ``argnums``.

    Complex inputs: the gradient of a real ``f`` is PyTorch's (``2 * df/d(conj z)``);
    ``holomorphic=True`` gives the complex derivative of an analytic ``f``, as in JAX.

    >>> import chainrule as cr
    >>> grad(grad(lambda x: x ** 3))(cr.tensor(2.0))
    tensor(12.)
    >>> import numpy as np
    >>> grad(lambda z: z ** 3, holomorphic=True)(np.array(1j))
    array(-3.+0.j)
    """
    vg = value_and_grad(f, argnums, has_aux, holomorphic)

    def wrapper(*args, **kwargs):
        value, g = vg(*args, **kwargs)
        return (g, value[1]) if has_aux else g
    return wrapper


# ----- forward mode --------------------------------------------------------------------
def jvp(f: _Callable, primals: _Sequence, tangents: _Sequence, has_aux: bool = False):
    """``(f(*primals), J(primals) @ tangents)`` in one forward pass (true forward mode).

    >>> import chainrule as cr
    >>> jvp(lambda x: x.sin(), (cr.tensor(0.0),), (cr.tensor(2.0),))
    (tensor(0.), tensor(2.))
    """
    primals, tangents = tuple(primals), tuple(tangents)
    if len(primals) != len(tangents):
        raise ValueError(f"jvp: {len(primals)} primals but {len(tangents)} tangents")
    keep = _watched_from_outside(primals, tangents)
    with _Transform(), _dual_level():
        args = []
        for p, t in zip(primals, tangents):
            p_leaves, p_spec = tree_flatten(p)
            t_leaves, t_spec = tree_flatten(t)
            if len(p_leaves) != len(t_leaves):
                raise ValueError("jvp: each tangent must have the structure of its primal")
            duals = []
            for pl, tl in zip(p_leaves, t_leaves):
                base = pl if isinstance(pl, _Tensor) else _box(pl)
                if _dtype_of(tl).kind == "c" and base.dtype.kind != "c":
                    raise TypeError(f"jvp: a tangent is complex ({_dtype_of(tl)}) but its "
                                    f"primal is real ({base.dtype}); its imaginary part "
                                    f"would be dropped: make the primal complex too")
                duals.append(_make_dual(base, tl))
            args.append(tree_unflatten(p_spec, duals))
        out, aux = _split_aux(f(*args), has_aux)
        leaves, spec = tree_flatten(out)
        primal_out, tangent_out = [], []
        for o in leaves:
            o = _as_result(o)
            if not isinstance(o, _Tensor):
                raise TypeError(f"jvp: the function must return tensors, arrays or numbers, "
                                f"got {type(o).__name__}")
            p, t = _unpack_dual(o)
            primal_out.append(p)
            tangent_out.append(t if t is not None else _zeros_for(o))
    like = tree_flatten(primals)[0]
    like = like[0] if like else None
    primal_out = [_leave(p, keep, like) for p in primal_out]
    tangent_out = [_leave(t, keep, like) for t in tangent_out]
    result = (tree_unflatten(spec, primal_out), tree_unflatten(spec, tangent_out))
    return result + (_leave_tree(aux, keep, like),) if has_aux else result


def _float_array(x) -> _np.ndarray:
    """An input as a floating point or complex array (integers and bools as float64)."""
    arr = _np.asarray(x)
    return arr if arr.dtype.kind in "fc" else arr.astype(_np.float64)


def linearize(f: _Callable, *primals):
    """``(f(*primals), jvp_fn)`` where ``jvp_fn(*tangents)`` gives J @ tangents."""
    out = f(*primals)

    def jvp_fn(*tangents):
        return jvp(f, primals, tangents)[1]
    return out, jvp_fn


# ----- Jacobians -------------------------------------------------------------------------
def jacrev(f: _Callable, argnums: int | _Sequence[int] = 0, has_aux: bool = False,
           holomorphic: bool = False) -> _Callable:
    """The Jacobian by reverse mode: one VJP per output element. Its shape is
    ``output.shape + input.shape``. The outputs must be real (each row is then the gradient
    of one output, PyTorch's for complex inputs), or, with ``holomorphic=True``, ``f`` an
    analytic function of complex inputs: then it is the complex Jacobian ``df/dz``.

    >>> import chainrule as cr
    >>> jacrev(lambda x: x * x)(cr.tensor([1., 2.]))
    tensor([[2., 0.],
            [0., 4.]])
    """
    nums, single = _argnums_tuple(argnums)

    def wrapper(*args, **kwargs):
        keep = _watched_from_outside(args, kwargs)
        with _Transform(), _enable_grad():
            out, aux, watched, originals, specs = _run_watched("jacrev", f, args, kwargs, nums,
                                                               has_aux, holomorphic)
            n = out.numel()
            # One pullback per output element, as a batch: one walk carries them all.
            seeds = _np.eye(n, dtype=out.dtype).reshape((n,) + tuple(out.shape))
            grads, keep = _pullback([out], [seeds], watched, retain=False, record=keep,
                                    batched=True)
            grads = _conj_all(grads, holomorphic)
            jacs = [_shape.reshape(g, tuple(out.shape) + tuple(w.shape))
                    for g, w in zip(grads, watched)]
        jacs = [_leave(j, keep, x) for j, x in zip(jacs, originals)]
        result = _regroup(jacs, specs, single)
        like = originals[0] if originals else None
        return (result, _leave_tree(aux, keep, like)) if has_aux else result
    return wrapper


def jacfwd(f: _Callable, argnums: int | _Sequence[int] = 0, has_aux: bool = False,
           holomorphic: bool = False) -> _Callable:
    """The Jacobian by forward mode: one JVP per input element. Its shape is
    ``output.shape + input.shape``. The inputs must be real (the outputs may be complex),
    or, with ``holomorphic=True``, complex inputs of an analytic ``f``: then it is the
    complex Jacobian ``df/dz``, as :func:`jacrev` gives it.

    >>> import numpy as np
    >>> jacfwd(lambda z: z * z, holomorphic=True)(np.array([1j, 2.]))
    array([[0.+2.j, 0.+0.j],
           [0.+0.j, 4.+0.j]])
    """
    nums, single = _argnums_tuple(argnums)

    def wrapper(*args, **kwargs):
        keep = _watched_from_outside(args, kwargs)
        args = list(args)
        jacs, originals, specs, aux = [], [], [], None
        for i in nums:
            leaves, spec = tree_flatten(args[i])
            specs.append((len(leaves), spec))
            for k, leaf in enumerate(leaves):
                originals.append(leaf)
                base = leaf if isinstance(leaf, _Tensor) else _box(leaf)
                _check_inputs("jacfwd", [base], holomorphic, real_only=True)
                cols = []
                for j in range(base.numel()):
                    basis = _np.zeros(base.shape, base.dtype)
                    basis.reshape(-1)[j] = 1
                    with _Transform(), _dual_level():
                        new_leaves = list(leaves)
                        new_leaves[k] = _make_dual(base, basis)
                        call_args = list(args)
                        call_args[i] = tree_unflatten(spec, new_leaves)
                        out, aux = _split_aux(f(*call_args, **kwargs), has_aux)
                        out = _as_result(out)
                        if not isinstance(out, _Tensor):
                            raise TypeError(f"jacfwd: the function must return a tensor, an "
                                            f"array or a number, got {type(out).__name__}")
                        if holomorphic:
                            _check_output("jacfwd", out, True)
                        t = _unpack_dual(out).tangent
                        cols.append(t if t is not None else _zeros_for(out))
                stacked = _shape.stack(cols, axis=-1) if cols else None
                out_shape = tuple(cols[0].shape) if cols else ()
                jac = _shape.reshape(stacked, out_shape + tuple(base.shape))
                jacs.append(_leave(jac, keep, leaf))
        result = _regroup(jacs, specs, single)
        like = originals[0] if originals else None
        return (result, _leave_tree(aux, keep, like)) if has_aux else result
    return wrapper


def hessian(f: _Callable, argnums: int | _Sequence[int] = 0,
            holomorphic: bool = False) -> _Callable:
    """The Hessian, as ``jacrev(jacrev(f))``: the gradient is recorded once, then pulled
    back through that recorded graph for every input element at once (one batched walk,
    see ``autograd.batching``; one walk per element where a rule has no batched form).

    >>> import chainrule as cr
    >>> hessian(lambda x: (x ** 3).sum())(cr.tensor([1., 2.]))
    tensor([[ 6.,  0.],
            [ 0., 12.]])

    As in JAX, complex inputs need ``holomorphic=True`` (an analytic ``f``: the result is
    the complex second derivative); for a real-valued function of complex values, pass
    the real and imaginary parts as separate real inputs.
    """
    nums, _ = _argnums_tuple(argnums)
    inner = jacrev(jacrev(f, argnums, holomorphic=holomorphic), argnums,
                   holomorphic=holomorphic)

    def wrapper(*args, **kwargs):
        for i in nums:
            if -len(args) <= i < len(args):
                _check_inputs("hessian", tree_flatten(args[i])[0], holomorphic,
                              real_only=True)
        return inner(*args, **kwargs)
    return wrapper
