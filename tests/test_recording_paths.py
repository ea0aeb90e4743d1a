"""The operator fast paths build the same nodes as ``apply``, the specification.

``primitives.apply(prim, args)`` says how a primitive is run and recorded. The Tensor
methods and operators of the one- and two-input elementwise primitives take unrolled copies
of it (``unary_operator`` and ``binary_operator``, in chainrule.autograd). For every method found
on Tensor (found, not listed here: every attribute that one of the two factories built, so
a new op is covered as soon as it has a method), and for a spread of operands, this checks
that the fast path and ``apply`` agree on:

* the output: values, dtype, shape, requires_grad;
* the Node: the same primitive, the same edges (identity), the same pattern of kept
  inputs (``is None``) with equal values, the same params, the output kept or not, the
  same version boxes at the same versions, shape and dtype;
* the gradients: every leaf's ``.grad`` after ``out.sum().backward()``.

Promotion. The fast paths apply PyTorch's type promotion, which ``apply`` does not: where the
operands' dtypes differ (or a Python number meets an integer tensor), the reference is
``apply`` on the operands converted by ``promote`` (an integer tensor's data
converted; a leaf that requires grad converted with ``.to()``, so its gradient flows back).
Where a tensor that requires grad is converted (float32 with float64), the fast path links
its node to the leaf itself and keeps the converted copy, while ``apply`` on ``.to()``
operands goes through a ``to_copy`` node: there only the values, dtypes and gradients are
compared, and the fast path's edges are checked to be the leaves. One-input floating
functions of an integer tensor are computed in the default float dtype (PyTorch), so their
reference is ``apply`` on the tensor converted to it.

Python float operands: ``x * 2.5`` keeps the 2.5 as a cached 0-d array of x's dtype on the
fast path and as the Python float in ``apply``; kept inputs are compared by value.
"""
from __future__ import annotations

import importlib
import inspect
import pkgutil

import numpy as np
import pytest

import chainrule as cr
from chainrule import _backend
import chainrule.autograd as _autograd
from chainrule.autograd import grad_mode, primitives
from chainrule.autograd.engine import Node
from chainrule.autograd.primitives import Primitive, apply
from chainrule.autograd.tensor import Tensor
from chainrule.errors import OpError

# The modules of the core (the fast paths and promotion have moved between them before).
_CORE = [importlib.import_module(f"chainrule.autograd.{m.name}")
         for m in pkgutil.iter_modules(_autograd.__path__)]


def _find(name: str):
    """``name`` from whichever module of chainrule.autograd defines it."""
    for module in [primitives] + _CORE:
        if hasattr(module, name):
            return getattr(module, name)
    raise LookupError(f"chainrule.autograd defines no {name}")


unary_operator, binary_operator, promote = (_find("unary_operator"), _find("binary_operator"),
                                            _find("promote"))


def _integer_rule(prim):
    """How the operators treat integer operands of ``prim`` (see promote)."""
    if hasattr(prim, "integer_rule"):
        return prim.integer_rule
    return getattr(primitives, "_INTEGER_RULES", {}).get(prim)


# ----- the fast paths, as the factories made them -------------------------------------------
def _closure(fn) -> dict:
    code = getattr(fn, "__code__", None)
    if code is None or not fn.__closure__:
        return {}
    return {name: cell.cell_contents for name, cell in zip(code.co_freevars, fn.__closure__)}


def _code_key(code):
    return code.co_filename, code.co_firstlineno, code.co_code


def _factory_codes() -> dict:
    """The code of every function the two factories return (the unrolled op, and the
    lambda handing view and residual primitives to apply), by its key."""
    from chainrule.ops import elementwise as ew
    view = Primitive("view_probe", lambda x, y=None: x, is_view=True)
    made = {"unary": [unary_operator(ew.exp), unary_operator(view)],
            "binary": [binary_operator(ew.add), binary_operator(ew.add, True),
                       binary_operator(view), binary_operator(view, True)]}
    return {_code_key(fn.__code__): kind for kind, fns in made.items() for fn in fns}


_CODES = _factory_codes()


def _factory(fn):
    """'unary' or 'binary' for a function made by unary_operator/binary_operator (possibly
    renamed, as the surface maker renames them, or wrapped in a renamed copy), else None."""
    while fn is not None:
        code = getattr(fn, "__code__", None)
        if code is not None and _code_key(code) in _CODES:
            return _CODES[_code_key(code)]
        fn = getattr(fn, "__wrapped_impl__", None)
    return None


def _discover():
    """{kind: [(method name, prim, reflected, fn)]} for every Tensor attribute built by a
    fast-path factory."""
    found = {"unary": [], "binary": []}
    for name in sorted(dir(Tensor)):
        fn = inspect.getattr_static(Tensor, name, None)
        kind = _factory(fn)
        if kind is None:
            continue
        cells = _closure(fn)
        prim = cells.get("prim")
        assert isinstance(prim, Primitive), f"Tensor.{name}: no primitive in its closure"
        found[kind].append((name, prim, bool(cells.get("reflected", False)), fn))
    return found


FOUND = _discover()
UNARY = FOUND["unary"]
BINARY = [entry for entry in FOUND["binary"] if entry[1].name != "mm"]  # matmul: own shapes


def test_the_fast_paths_are_found():
    """Discovery is not vacuous, and it agrees with the method tables where they exist."""
    names = {kind: {e[0]: e[1] for e in FOUND[kind]} for kind in FOUND}
    assert len(names["unary"]) >= 30 and len(names["binary"]) >= 20, names
    for op in ("__neg__", "__abs__", "exp", "tanh", "sigmoid", "relu"):
        assert op in names["unary"]
    for op in ("__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__",
               "__truediv__", "__rtruediv__", "__pow__", "__rpow__", "__floordiv__",
               "__rfloordiv__", "__mod__", "__rmod__", "maximum", "minimum", "atan2",
               "logaddexp", "hypot", "fmod", "remainder"):
        assert op in names["binary"], op
    # The unary method table (methods.py, or wherever it lives now), when there is one.
    for module in ("chainrule.methods", "chainrule.ops.frontends"):
        try:
            table = getattr(__import__(module, fromlist=["_"]), "_UNARY_METHODS", None)
        except ImportError:
            continue
        for name, prim in (table or {}).items():
            assert names["unary"].get(name) is prim, f"Tensor.{name} is not the fast path of {prim}"
    # The op table, when there is one: every elementwise primitive row's methods.
    try:
        from chainrule import optable
    except ImportError:
        return
    for row in optable.OPS:
        if not isinstance(row.impl, Primitive) or not row.domain or row.method is not True:
            continue
        kind = {1: "unary", 2: "binary"}.get(len(row.domain))
        for name in row.names("method"):
            if kind == "unary" and name in ("positive",):
                continue
            if kind == "binary" and name in ("add", "sub", "subtract"):
                continue  # alpha= front-ends over the fast path
            assert names[kind].get(name) is row.impl, f"Tensor.{name}: not a {kind} fast path"


# ----- comparing two results ---------------------------------------------------------------
def _values_equal(a, b, what: str) -> None:
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape, f"{what}: shape {a.shape} != {b.shape}"
    assert np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"), f"{what}: {a} != {b}"


def _box_labels(saved, out, operands):
    labels = []
    for box, version in saved:
        if box is out._version:
            labels.append(("output", version))
            continue
        for i, a in enumerate(operands):
            if isinstance(a, Tensor) and box is a._version:
                labels.append((f"operand {i}", version))
                break
        else:
            labels.append(("unknown box", version))
    return labels


def _same_output(fast, ref) -> None:
    assert isinstance(fast, Tensor) and isinstance(ref, Tensor)
    assert fast._data.__class__ is np.ndarray, type(fast._data)
    assert fast.dtype == ref.dtype, (fast.dtype, ref.dtype)
    assert fast.shape == ref.shape, (fast.shape, ref.shape)
    _values_equal(fast._data, ref._data, "output")
    assert fast.requires_grad == ref.requires_grad
    assert fast._version == [0, None] and fast._base is None and fast.grad is None


def _same_node(fast, ref, operands) -> None:
    a, b = fast.grad_fn, ref.grad_fn
    assert (a is None) == (b is None), (a, b)
    if a is None:
        return
    assert type(a) is Node and type(b) is Node
    assert a.prim is b.prim
    assert len(a.edges) == len(b.edges)
    for i, (ea, eb) in enumerate(zip(a.edges, b.edges)):
        assert ea is eb, f"edge {i}: {ea!r} is not {eb!r}"
    assert len(a.inputs) == len(b.inputs)
    for i, (ia, ib) in enumerate(zip(a.inputs, b.inputs)):
        assert (ia is None) == (ib is None), f"input {i} kept by one path only: {ia!r}, {ib!r}"
        if ia is not None:
            _values_equal(ia, ib, f"kept input {i}")
            if hasattr(ia, "dtype") and hasattr(ib, "dtype") and np.ndim(ia) and np.ndim(ib):
                assert ia.dtype == ib.dtype
    assert a.params == b.params, (a.params, b.params)
    assert (a.ans is None) == (b.ans is None), "the output is kept by one path only"
    if a.ans is not None:
        _values_equal(a.ans, b.ans, "kept output")
    assert _box_labels(a.saved, fast, operands) == _box_labels(b.saved, ref, operands)
    assert a.shape == b.shape and a.dtype == b.dtype
    for field in ("hooks", "retained", "fw", "trace"):
        assert getattr(a, field) is None and getattr(b, field) is None, field
    assert isinstance(a.seq, int) and a.seq != b.seq  # two nodes, each in creation order


def _leaves(operands):
    """The leaf tensors behind the operands (an operand itself, or those its graph reaches)."""
    leaves, stack = [], [a for a in operands if isinstance(a, Tensor) and a.requires_grad]
    while stack:
        t = stack.pop()
        if isinstance(t, Tensor) and t.grad_fn is None:
            if not any(t is leaf for leaf in leaves):
                leaves.append(t)
            continue
        node = t.grad_fn if isinstance(t, Tensor) else t
        stack.extend(e for e in node.edges if e is not None)
    return leaves


def _gradients(out, leaves):
    for leaf in leaves:
        leaf.grad = None
    out.sum().backward(retain_graph=True)  # the two outputs may share the graph behind
    grads = [None if leaf.grad is None else leaf.grad._data for leaf in leaves]
    for leaf in leaves:
        leaf.grad = None
    return grads


def _same_gradients(fast, ref, operands) -> None:
    if not fast.requires_grad:
        return
    leaves = _leaves(operands)
    got, want = _gradients(fast, leaves), _gradients(ref, leaves)
    for leaf, g, w in zip(leaves, got, want):
        assert (g is None) == (w is None)
        if g is not None:
            assert g.dtype == leaf.dtype == w.dtype and g.shape == leaf.shape == w.shape
            tol = 1e-6 if g.dtype == np.float32 else 1e-12
            np.testing.assert_allclose(g, w, rtol=tol, atol=tol, equal_nan=True)


class _ApplySpy:
    """Counts calls of apply from the core's modules (the fast paths' fallbacks among
    them): the fast path must do the work itself."""

    def __init__(self, monkeypatch):
        self.calls = 0
        self._monkeypatch = monkeypatch
        self._modules = [m for m in _CORE if getattr(m, "apply", None) is apply]

    def __enter__(self):
        def spy(*args, **kwargs):
            self.calls += 1
            return apply(*args, **kwargs)
        for module in self._modules:
            self._monkeypatch.setattr(module, "apply", spy)
        return self

    def __exit__(self, *exc):
        for module in self._modules:
            self._monkeypatch.setattr(module, "apply", apply)


@pytest.fixture(autouse=True)
def _ordinary_modes():
    # Outside the ordinary modes the fast paths hand over to apply, and nothing is compared.
    assert grad_mode.ordinary.all, "a mode is on: the fast paths would not run"
    with np.errstate(all="ignore"):
        yield


def _tensor(shape, dtype, requires_grad, low, high, seed, noncontiguous=False):
    rng = np.random.default_rng(seed)
    if np.dtype(dtype).kind in "iu":
        data = np.asarray(rng.integers(1, 4, size=shape)).astype(dtype)
    elif noncontiguous:
        data = np.asarray(rng.uniform(low, high, size=shape[::-1])).astype(dtype).T
    else:
        data = np.asarray(rng.uniform(low, high, size=shape)).astype(dtype)
    return cr.from_numpy(data).requires_grad_(requires_grad)


# ----- one input ---------------------------------------------------------------------------
_UNARY_DOMAIN = {"arccosh": (1.1, 3.0)}

# name: (shape, dtype, requires_grad, grad mode on, noncontiguous)
UNARY_CASES = {
    "float32": ((3, 4), np.float32, True, True, False),
    "float64": ((3, 4), np.float64, True, True, False),
    "0d": ((), np.float64, True, True, False),
    "noncontiguous": ((3, 4), np.float64, True, True, True),
    "non-leaf": ((3, 4), np.float64, True, True, False),
    "no-grad-input": ((3, 4), np.float32, False, True, False),
    "no_grad-mode": ((3, 4), np.float32, True, False, False),
    "int64": ((3, 4), np.int64, False, True, False),
}


def _unary_reference(prim, x):
    ref = apply(prim, (x,))
    if x.dtype.kind in "biu" and ref.dtype.kind == "f":
        # PyTorch: a floating function of an integer tensor, in the default float dtype.
        ref = apply(prim, (cr.from_numpy(x._data.astype(_backend.get_default_dtype())),))
    return ref


@pytest.mark.parametrize("case", list(UNARY_CASES), ids=str)
@pytest.mark.parametrize("name,prim,reflected,fn", UNARY, ids=[u[0] for u in UNARY])
def test_unary_fast_path_builds_what_apply_builds(name, prim, reflected, fn, case,
                                                  monkeypatch):
    shape, dtype, requires_grad, enabled, noncontiguous = UNARY_CASES[case]
    low, high = _UNARY_DOMAIN.get(prim.name, (0.2, 0.9))
    x = _tensor(shape, dtype, requires_grad, low, high, seed=0, noncontiguous=noncontiguous)
    if case == "non-leaf":
        x = x * 1.0  # an operand with a grad_fn: the edge must be its node
        assert x.grad_fn is not None
    with cr.set_grad_enabled(enabled):
        with _ApplySpy(monkeypatch) as spy:
            fast = getattr(x, name)()
        assert spy.calls == 0 or _factory_falls_back(fn), f"Tensor.{name} went through apply"
        ref = _unary_reference(prim, x)
    _same_output(fast, ref)
    if not (enabled and requires_grad):
        assert fast.grad_fn is None and not fast.requires_grad
    _same_node(fast, ref, (x,))
    _same_gradients(fast, ref, (x,))


def _factory_falls_back(fn) -> bool:
    """The factories hand view and residual primitives straight to apply."""
    prim = _closure(fn).get("prim")
    return prim is not None and (prim.is_view or prim.residual)


# ----- two inputs --------------------------------------------------------------------------
def _t(shape, dtype=np.float64, rg=True, seed=0):
    return _tensor(shape, dtype, rg, 0.5, 1.5, seed)


def _nonleaf(shape, dtype=np.float64, seed=0):
    out = _t(shape, dtype, seed=seed) * 1.0
    assert out.grad_fn is not None
    return out


# name: (builder of (self, other), grad mode on)
BINARY_CASES = {
    "f32-both-grad": (lambda: (_t((3, 4), np.float32), _t((3, 4), np.float32, seed=1)), True),
    "f64-self-grad": (lambda: (_t((3, 4)), _t((3, 4), rg=False, seed=1)), True),
    "f64-other-grad": (lambda: (_t((3, 4), rg=False), _t((3, 4), seed=1)), True),
    "f32-broadcast": (lambda: (_t((3, 1), np.float32), _t((4,), np.float32, seed=1)), True),
    "f64-0d-self": (lambda: (_t(()), _t((3,), seed=1)), True),
    "f64-0d-other": (lambda: (_t((3,)), _t((), seed=1)), True),
    "non-leaf-both": (lambda: (_nonleaf((3, 4)), _nonleaf((3, 4), seed=1)), True),
    "non-leaf-and-leaf": (lambda: (_nonleaf((3,), np.float32), _t((3,), np.float32, seed=1)),
                          True),
    "f32-python-float": (lambda: (_t((3, 4), np.float32), 1.25), True),
    "f64-python-float": (lambda: (_t((3,)), 0.75), True),
    "f32-python-int": (lambda: (_t((3,), np.float32), 2), True),
    "0d-python-float": (lambda: (_t(()), 1.25), True),
    "no-grad-inputs": (lambda: (_t((3,), rg=False), _t((3,), rg=False, seed=1)), True),
    "no_grad-mode": (lambda: (_t((3,), np.float32), _t((3,), np.float32, seed=1)), False),
    "int64": (lambda: (_t((3,), np.int64, False), _t((3,), np.int64, False, seed=1)), True),
    "int64-python-float": (lambda: (_t((3,), np.int64, False), 1.25), True),
    "int64-python-int": (lambda: (_t((3,), np.int64, False), 2), True),
    "f32-with-int64": (lambda: (_t((3,), np.float32), _t((3,), np.int64, False, seed=1)), True),
    # The fast path links these nodes to the leaves directly: values and gradients only.
    "mixed-f32-f64": (lambda: (_t((3,), np.float32), _t((3,), np.float64, seed=1)), True),
    "mixed-0d-f64-with-f32": (lambda: (_t(()), _t((3,), np.float32, seed=1)), True),
}


def _binary_reference(prim, args):
    """apply on the operands as promote converts them; whether a tensor requiring grad had
    to be converted (then only values and gradients can be compared)."""
    datas = [a._data if isinstance(a, Tensor) else a for a in args]
    converted = promote(prim.name, *datas, _integer_rule(prim))
    ref_args, converted_grad = [], False
    for a, d, p in zip(args, datas, converted):
        if not isinstance(a, Tensor) or p is d:
            ref_args.append(a if p is d else p)
        elif a.requires_grad:
            ref_args.append(a.to(p.dtype))
            converted_grad = True
        else:
            ref_args.append(p)
    return apply(prim, tuple(ref_args)), converted_grad


@pytest.mark.parametrize("case", list(BINARY_CASES), ids=str)
@pytest.mark.parametrize("name,prim,reflected,fn", BINARY, ids=[b[0] for b in BINARY])
def test_binary_fast_path_builds_what_apply_builds(name, prim, reflected, fn, case,
                                                   monkeypatch):
    build, enabled = BINARY_CASES[case]
    this, other = build()
    operands = (other, this) if reflected else (this, other)  # the primitive's order
    with cr.set_grad_enabled(enabled):
        try:
            ref, converted_grad = _binary_reference(prim, operands)
        except (OpError, TypeError) as exc:  # PyTorch has no result (hypot of integers)
            with pytest.raises(type(exc)):
                fn(this, other)
            return
        with _ApplySpy(monkeypatch) as spy:
            fast = fn(this, other)
        assert spy.calls == 0 or _factory_falls_back(fn), f"Tensor.{name} went through apply"
    _same_output(fast, ref)
    if not enabled or not any(isinstance(a, Tensor) and a.requires_grad for a in operands):
        assert fast.grad_fn is None and not fast.requires_grad
    if converted_grad:
        node = fast.grad_fn
        assert node.prim is prim
        for e, a in zip(node.edges, operands):
            assert e is (a if isinstance(a, Tensor) and a.requires_grad else None)
    else:
        _same_node(fast, ref, operands)
    _same_gradients(fast, ref, operands)


# ----- matmul: the binary fast path with its own shapes -------------------------------------
MATMUL_SHAPES = [((3, 4), (4, 2)), ((4,), (4, 2)), ((2, 3, 4), (4,)), ((4,), (4,)),
                 ((2, 3, 4), (2, 4, 5))]


@pytest.mark.parametrize("needs", ["both", "self", "other"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("sx,sy", MATMUL_SHAPES, ids=str)
def test_matmul_fast_path_builds_what_apply_builds(sx, sy, dtype, needs, monkeypatch):
    from chainrule.ops import linalg
    x = _t(sx, dtype, rg=needs in ("both", "self"))
    y = _t(sy, dtype, rg=needs in ("both", "other"), seed=1)
    with _ApplySpy(monkeypatch) as spy:
        fast = x @ y
    assert spy.calls == 0, "x @ y went through apply"
    ref = apply(linalg.matmul_p, (x, y))
    _same_output(fast, ref)
    _same_node(fast, ref, (x, y))
    _same_gradients(fast, ref, (x, y))
