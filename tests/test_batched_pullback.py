"""Batched pullbacks (chainrule.autograd.batching): ``grad(..., is_grads_batched=True)``
walks the graph once for all rows of the cotangents. Every op-table row's Jacobian from
that one walk equals the one from a walk per row; the ops a user's Jacobians and Hessians
are made of really take the one walk; what has no batched meaning falls back."""
import numpy as np
import pytest

import chainrule as cr
from chainrule.autograd import engine
from chainrule.autograd.batching import Batched, Unbatchable
from conftest import make
from test_optable import CHECKED, ELEMENTWISE, _first, _inputs, _shape_cases, call


@pytest.fixture
def together(monkeypatch):
    """Counts of pullbacks done in one walk and of those that fell back to the loop."""
    counts = {"one walk": 0, "loop": 0}
    real = engine._batched_pass

    def counted(*args, **kwargs):
        out = real(*args, **kwargs)
        counts["loop" if out is None else "one walk"] += 1
        return out
    monkeypatch.setattr(engine, "_batched_pass", counted)
    return counts


def _jacobians(out, xs):
    n = out.numel()
    seeds = np.eye(n, dtype=out.dtype).reshape((n,) + tuple(out.shape))
    return engine.grad([out], list(xs), [seeds], retain_graph=True, is_grads_batched=True,
                       allow_unused=True, materialize_grads=True)


def _compare(fn, xs, monkeypatch, counts):
    out = _first(fn(*xs))
    if not isinstance(out, cr.Tensor) or not out.requires_grad or out.numel() == 0 or \
            out.dtype.kind != "f":
        return None
    before = counts["one walk"]
    got = _jacobians(out, xs)
    batched = counts["one walk"] > before
    with monkeypatch.context() as m:
        m.setattr(engine, "_batched_pass", lambda *a, **k: None)
        want = _jacobians(out, xs)
    for g, w in zip(got, want):
        assert g.shape == w.shape and g.dtype == w.dtype
        np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=1e-12, atol=1e-12)
    return batched


ROWS = [(op.name, (lambda op: lambda *xs: call(op, *xs))(op), shapes, op.domain, False)
        for op in ELEMENTWISE for shapes in _shape_cases(op)] + \
       [(f"{op.name}-{i}", (lambda op, c: lambda *xs: call(op, *xs, *c.args, **c.kwargs))(op, c),
         c.shapes, c.domain, c.noncontiguous) for op, i, c in CHECKED]


@pytest.mark.parametrize("name,fn,shapes,domain,noncontiguous", ROWS,
                         ids=[f"{r[0]}{r[2]}" for r in ROWS])
def test_every_row_batched_equals_row_by_row(name, fn, shapes, domain, noncontiguous,
                                             monkeypatch, together):
    _compare(fn, _inputs(shapes, domain, noncontiguous), monkeypatch, together)


def test_most_rows_take_the_one_walk(monkeypatch, together):
    """The mechanism is not a fallback in disguise: count the rows that batch."""
    batched, names = 0, []
    for name, fn, shapes, domain, noncontiguous in ROWS:
        took = _compare(fn, _inputs(shapes, domain, noncontiguous), monkeypatch, together)
        batched += bool(took)
        if took is False:
            names.append(name)
    assert batched >= 0.8 * len(ROWS), (batched, len(ROWS), sorted(set(names)))


CORE = {
    "matmul vector": lambda x: cr.tensor(np.arange(12.).reshape(3, 4)) @ x[0],
    "matmul matrix": lambda x: x @ x.T,
    "elementwise": lambda x: (x.tanh() * x.exp() - x / (1 + x * x)).sigmoid(),
    "reductions": lambda x: x.sum(0) * x.mean(-1).max() + x.logsumexp(1)[0],
    "shape": lambda x: x.T.reshape(-1)[[1, 3, 5]].unsqueeze(0).expand(2, 3).flip(1),
    "index": lambda x: x[1:, ::2] * x[0, 1] + x[[2, 1], [0, 0]].unsqueeze(1),
    "softmax": lambda x: cr.nn.functional.log_softmax(x, -1) * x.softmax(0),
    "cat": lambda x: cr.cat([x, x * 2], 1).cumsum(1),
    "where": lambda x: cr.where(x > 0, x, x * x).abs(),
}


@pytest.mark.parametrize("name", sorted(CORE))
def test_core_ops_take_the_one_walk(name, monkeypatch, together):
    x = make((3, 4), seed=3)
    assert _compare(CORE[name], (x,), monkeypatch, together) is True


def test_hessian_one_walk_known_values(together):
    rng = np.random.default_rng(6)
    w, a, v = rng.standard_normal((8, 5)), rng.standard_normal((5, 5)), rng.standard_normal(5)
    a = (a + a.T) / 2
    wt, at = cr.tensor(w), cr.tensor(a)
    h = cr.func.hessian(lambda x: (wt @ x).tanh().sum() + 0.5 * (x @ at @ x))(cr.tensor(v))
    t = np.tanh(w @ v)
    np.testing.assert_allclose(h.numpy(), (w.T * (-2 * t * (1 - t * t))) @ w + a, rtol=1e-13)
    assert together["one walk"] >= 1
    # NumPy code
    jac = cr.func.jacrev(lambda x: np.sin(x) * x[::-1])(v)
    want = np.diag(np.cos(v) * v[::-1]) + np.diag(np.sin(v))[:, ::-1]
    np.testing.assert_allclose(jac, want, rtol=1e-13)


def test_a_hook_makes_it_walk_row_by_row(together):
    x = cr.tensor([1., 2., 3.], requires_grad=True)
    seen = []
    y = x * x
    y.register_hook(lambda g: seen.append(tuple(g.shape)))
    jac = engine.grad([y * 3], [x], [np.eye(3)], is_grads_batched=True)[0]
    np.testing.assert_array_equal(jac.numpy(), np.diag([6., 12., 18.]))
    assert seen == [(3,)] * 3 and together == {"one walk": 0, "loop": 1}


def test_retain_graph_false_frees_the_graph_after_one_walk(together):
    x = cr.tensor([1., 2.], requires_grad=True)
    y = (x * x).exp()
    engine.grad([y], [x], [np.eye(2)], is_grads_batched=True)
    assert together["one walk"] == 1
    with pytest.raises(RuntimeError, match="second time|freed"):
        engine.grad([y], [x], [np.eye(2)], is_grads_batched=True)


def test_batched_values_refuse_to_be_read_as_one_value():
    b = Batched(np.ones((2, 3)))
    assert b.shape == (3,) and b.ndim == 1 and b.size == 3 and len(b) == 3
    for read in (np.asarray, float, bool, list, lambda v: v.item(), lambda v: np.add.at(
            np.zeros(3), [0], v), lambda v: np.einsum("i->", v)):
        with pytest.raises(Unbatchable):
            read(b)
    with pytest.raises(Unbatchable, match="separated"):
        Batched(np.ones((2, 3, 4, 5)))[[0], :, [1]]


@pytest.mark.parametrize("x_shape,y_shape", [((4,), (4, 5)), ((2, 4), (4, 5)), ((6, 2, 4), (4, 5)),
                                             ((5, 4), (4,)), ((4,), (4,)), ((5, 4), (4, 3)),
                                             ((4,), (4, 1)), ((5, 4), (4, 1)), ((2, 3, 4), (4,)),
                                             ((2, 3, 4), (2, 4, 5)), ((3, 4), (2, 4, 5))])
@pytest.mark.parametrize("which", ["x", "y", "both"])
def test_batched_matmul_equals_row_by_row(x_shape, y_shape, which):
    rng = np.random.default_rng(0)
    n = 3
    x = rng.standard_normal(((n,) if which != "y" else ()) + x_shape)
    y = rng.standard_normal(((n,) if which != "x" else ()) + y_shape)
    got = np.matmul(Batched(x) if which != "y" else x, Batched(y) if which != "x" else y)
    want = np.stack([(x[i] if which != "y" else x) @ (y[i] if which != "x" else y)
                     for i in range(n)])
    assert got.data.shape == want.shape
    np.testing.assert_allclose(got.data, want, rtol=1e-14)
