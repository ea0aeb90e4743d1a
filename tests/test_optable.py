"""The op tests, driven by the op table (chainrule.optable): every row is gradchecked in
float64 (reverse and forward mode, second order) on the inputs its row declares; ops
without a gradient are compared with NumPy; a completeness test fails when a primitive has
no row or a row no test; the made methods carry real names, signatures and docstrings."""
import importlib
import inspect
import pathlib
import pkgutil

import numpy as np
import pytest

import chainrule as cr
from chainrule import _surface, optable
from chainrule.autograd import gradcheck, gradgradcheck
from chainrule.autograd.primitives import Primitive
from conftest import make

ROOT = pathlib.Path(__file__).resolve().parents[1]
OPS = optable.OPS
ELEMENTWISE = [op for op in OPS if isinstance(op.impl, Primitive) and op.domain and op.grad]
CHECKED = [(op, i, c) for op in OPS for i, c in enumerate(op.checks)]
NO_GRAD = [op for op in OPS if not op.grad and op.domain and op.numpy]

UNARY_SHAPES = [(), (3,), (2, 3)]
BROADCASTS = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 3), (4, 1)), ((), (3,)), ((3,), ())]


def call(op, *args, **kwargs):
    """The op as a user calls it: ``chainrule.<name>``, else the Tensor method, else
    ``nn.functional.<name>``, else ``chainrule.numpy.<name>``, else the implementation."""
    if op.free is not False:
        return getattr(cr, op.name)(*args, **kwargs)
    if op.method is not False:
        return getattr(args[0], op.name)(*args[1:], **kwargs)
    if op.functional:
        return getattr(cr.nn.functional, op.functional)(*args, **kwargs)
    if op.numpy:
        fn = cr.numpy
        for part in op.numpy[0].split("."):
            fn = getattr(fn, part)
        return fn(*args, **kwargs)
    return op.impl(*args, **kwargs)


def _inputs(shapes, domain, noncontiguous=False):
    return tuple(make(s, *d, seed=k + 1, noncontiguous=noncontiguous)
                 for k, (s, d) in enumerate(zip(shapes, domain)))


def _first(out):
    """Multi-output ops (split, max with dim) are checked through all their outputs."""
    if isinstance(out, tuple) and hasattr(out, "values"):
        return out.values
    return out


# ----- elementwise primitives: 0-d, broadcast, non-contiguous, second order ---------------
def _shape_cases(op):
    return [(s,) for s in UNARY_SHAPES] if len(op.domain) == 1 else BROADCASTS


@pytest.mark.parametrize("op", ELEMENTWISE, ids=lambda op: op.name)
def test_elementwise(op):
    for shapes in _shape_cases(op):
        assert gradcheck(lambda *xs: call(op, *xs), _inputs(shapes, op.domain)), shapes


@pytest.mark.parametrize("op", ELEMENTWISE, ids=lambda op: op.name)
def test_elementwise_noncontiguous(op):
    shapes = ((3, 4),) * len(op.domain)
    assert gradcheck(lambda *xs: call(op, *xs), _inputs(shapes, op.domain, True))


@pytest.mark.parametrize("op", [op for op in ELEMENTWISE if op.second_order],
                         ids=lambda op: op.name)
def test_elementwise_second_order(op):
    shapes = ((2, 3), (3,))[:len(op.domain)]
    assert gradgradcheck(lambda *xs: call(op, *xs), _inputs(shapes, op.domain))


def test_elementwise_operators_match_the_rows():
    """Every operator a row declares reaches the row's op: same values and gradients."""
    for op in OPS:
        if not isinstance(op.impl, Primitive) or not op.grad:
            continue
        for dunder in op.operators:
            if isinstance(dunder, tuple) or dunder.startswith("__i"):
                continue
            xs = _inputs(((2, 3),) * len(op.domain), op.domain)
            reflected = dunder.startswith("__r")
            args = xs[::-1] if reflected else xs
            got = getattr(args[0], dunder)(*args[1:])
            want = call(op, *xs)
            np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), err_msg=dunder)


# ----- every other row: its declared cases ---------------------------------------------------
@pytest.mark.parametrize("op,i,check", CHECKED, ids=[f"{op.name}-{i}" for op, i, _ in CHECKED])
def test_checked(op, i, check):
    for noncontiguous in (False, True) if check.noncontiguous else (False,):
        xs = _inputs(check.shapes, check.domain, noncontiguous)
        assert gradcheck(lambda *xs: _first(call(op, *xs, *check.args, **check.kwargs)), xs)
    if check.second_order:
        assert gradgradcheck(lambda *xs: _first(call(op, *xs, *check.args, **check.kwargs)),
                             _inputs(check.shapes, check.domain))


# ----- a VJP that never reads the output must not keep it ----------------------------------
# Keeping the output makes an in-place op on it (``nn.ReLU(inplace=True)`` after a layer)
# a false "modified by an in-place operation" error, and holds memory for nothing.
READS_ANS_ONLY_SOMETIMES = {"absolute": "complex inputs only"}


def _graph_nodes(t):
    from chainrule.autograd.engine import Node
    seen, stack, out = set(), [t.grad_fn], []
    while stack:
        node = stack.pop()
        if type(node) is Node and id(node) not in seen:
            seen.add(id(node))
            out.append(node)
            stack.extend(node.edges or ())
    return out


def _keeps_float_ans(node):
    return node.prim.saves_ans and isinstance(node.ans, np.ndarray) and node.ans.dtype.kind == "f"


def _input_grads(fn, xs, poisoned=None):
    """The inputs' gradients for a fixed cotangent, with the kept outputs of the nodes of
    primitive ``poisoned`` replaced by NaN."""
    for x in xs:
        x.grad = None
    y = _first(fn(*xs))
    for node in _graph_nodes(y):
        if node.prim.name == poisoned and _keeps_float_ans(node):
            node.ans = np.full_like(node.ans, np.nan)
    (y * cr.tensor(np.random.default_rng(0).normal(size=y.shape))).sum().backward()
    return [None if x.grad is None else x.grad.numpy().copy() for x in xs]


def _ans_cases():
    for op in ELEMENTWISE:
        yield (lambda op: lambda *xs: call(op, *xs))(op), ((2, 3),) * len(op.domain), op.domain
    for op, _, c in CHECKED:
        yield (lambda op, c: lambda *xs: call(op, *xs, *c.args, **c.kwargs))(op, c), \
            c.shapes, c.domain


def test_kept_outputs_are_read():
    reads = {}  # primitive name -> whether some case's gradient changed with its output NaN
    for fn, shapes, domain in _ans_cases():
        xs = _inputs(shapes, domain)
        y = _first(fn(*xs))
        if not isinstance(y, cr.Tensor) or y.grad_fn is None:
            continue
        base = _input_grads(fn, xs)
        for name in {n.prim.name for n in _graph_nodes(y) if _keeps_float_ans(n)}:
            got = _input_grads(fn, xs, name)
            same = all((a is None) == (b is None) and (a is None or np.allclose(a, b))
                       for a, b in zip(base, got))
            reads[name] = reads.get(name, False) or not same
    unread = sorted(name for name, read in reads.items()
                    if not read and name not in READS_ANS_ONLY_SOMETIMES)
    assert reads and not unread, f"primitives keeping an output their VJP never reads " \
        f"(give them saves_ans=False): {unread}"


# ----- ops without a gradient: NumPy's values ----------------------------------------------
@pytest.mark.parametrize("op", NO_GRAD, ids=lambda op: op.name)
def test_no_gradient_values_match_numpy(op):
    xs = _inputs(((2, 3),) * len(op.domain), op.domain)
    got = call(op, *xs)
    want = getattr(np, op.numpy[0])(*(x.detach().numpy() for x in xs))
    assert not got.requires_grad
    np.testing.assert_array_equal(got.numpy(), want)


# ----- completeness -----------------------------------------------------------------------
# Primitives that are plumbing, not ops: each with the reason it has no row.
INTERNAL = {
    "alias": "graph plumbing: a tensor's place in the graph under a transform (func.py)",
    "promote": "the Tensor operators' type promotion step (PyTorch's dtypes), tested in "
               "tests/test_promotion.py",
    "compiled": "the Node behind a compiled function's output, running its traced backward "
                "program (chainrule.compiler), tested in tests/test_compile.py",
}


def _all_primitives():
    found = {}
    for info in pkgutil.walk_packages(cr.__path__, "chainrule."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if isinstance(value, Primitive):
                found[id(value)] = (value, info.name)
    return list(found.values())


def test_every_primitive_has_a_row():
    def resolve(p):
        if isinstance(p, str):  # "module:name", for primitives above the ops layer
            module, name = p.split(":")
            return getattr(importlib.import_module(module), name)
        return p
    covered = {id(op.impl) for op in OPS} | {id(resolve(p)) for op in OPS for p in op.uses}
    missing = [f"{module}: {prim.name}" for prim, module in _all_primitives()
               if id(prim) not in covered and prim.name not in INTERNAL]
    assert not missing, "primitives with no row in chainrule/optable.py: " + ", ".join(missing)


def test_every_row_has_a_test():
    untested = []
    for op in OPS:
        if op.domain or op.checks:
            continue
        path = ROOT / op.tested_in if op.tested_in else None
        if path is None or not path.exists() or op.name not in path.read_text():
            untested.append(op.name)
    assert not untested, f"rows with no test (give a domain, checks or tested_in): {untested}"


def test_names_are_declared_once():
    seen = {}
    for op in OPS:
        for kind in ("method", "free"):
            for name in op.names(kind):
                assert (kind, name) not in seen, f"{name} declared by {seen[kind, name]} " \
                                                  f"and {op.name}"
                seen[kind, name] = op.name


# ----- what help(), IDEs and tracebacks see ------------------------------------------------
@pytest.mark.parametrize("table", ["method", "free"])
def test_made_functions_have_real_names_signatures_and_docs(table):
    made = _surface.method_table() if table == "method" else _surface.free_table()
    for name, fn in made.items():
        assert fn.__name__ == name and fn.__code__.co_name == name, name
        params = list(inspect.signature(fn).parameters)
        if table == "method":
            assert params and params[0] == "self", (name, params)
        assert fn.__doc__ and fn.__doc__.strip(), name
    assert list(inspect.signature(cr.Tensor.tanh).parameters) == ["self"]
    assert list(inspect.signature(cr.Tensor.__add__).parameters) == ["self", "other"]
    assert cr.Tensor.tanh.__qualname__ == "Tensor.tanh"


def test_tracebacks_name_the_op():
    try:
        cr.tensor([1.0]).reshape(5)
    except Exception as exc:
        frames = [f.name for f in __import__("traceback").extract_tb(exc.__traceback__)]
    assert "reshape" in frames and "op" not in frames


def test_committed_stubs_are_current():
    from chainrule import _stubs
    for path, text in _stubs.render().items():
        committed = (ROOT / "src" / "chainrule" / path).read_text()
        assert committed == text, f"{path} is stale: run `python -m chainrule._stubs`"
