"""The engine's pieces: the one graph walk, the per-pass tangent decision (nothing sticky
after forward mode), the one way rules are called, and how gradients are summed."""
import gc
import sys
import threading

import numpy as np
import pytest

import chainrule as cr
from chainrule.autograd import Primitive, defvjp, defvjp_all, engine
from chainrule.autograd.engine import Gradients, Node, walk
from chainrule.autograd.forward_ad import dual_level, make_dual, unpack_dual


def _counts(items):
    seen = {}
    for x in items:
        seen[id(x)] = seen.get(id(x), 0) + 1
    return seen


# ----- walk ---------------------------------------------------------------------------------

def test_walk_visits_every_node_and_leaf_of_a_diamond_once():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    w = cr.tensor([3.0, 4.0], requires_grad=True)
    a = x * w            # shared by both branches
    y = a.sin() + a.cos() * x  # x is reached twice more: through a and directly
    found = list(walk([y.grad_fn]))
    assert all(n == 1 for n in _counts(found).values())
    nodes = [n for n in found if type(n) is Node]
    leaves = [n for n in found if type(n) is not Node]
    assert len(nodes) == 5  # mul, sin, cos, mul, add
    assert {id(t) for t in leaves} == {id(x), id(w)}
    assert a.grad_fn in nodes
    assert found[0] is y.grad_fn


def test_walk_takes_many_roots_skips_none_and_stops_where_told():
    x = cr.tensor(1.0, requires_grad=True)
    h = x * 2.0
    y, z = h.exp(), h.sin()
    assert list(walk([None])) == []
    assert list(walk([x])) == [x]  # a leaf root is yielded, nothing behind it
    both = list(walk([y.grad_fn, z.grad_fn, y.grad_fn, None]))
    assert all(n == 1 for n in _counts(both).values())
    assert len(both) == 4  # exp, sin, mul, x
    stopped = list(walk([y.grad_fn], stop=lambda n: n is h.grad_fn))
    assert h.grad_fn in stopped and x not in stopped


def test_walk_lets_the_caller_free_what_it_was_handed():
    x = cr.tensor(1.0, requires_grad=True)
    y = ((x * 2.0).exp() * 3.0).sin()
    seen = []
    for n in walk([y.grad_fn]):
        seen.append(n)
        if type(n) is Node:
            engine._free(n)
    assert x in seen and len(seen) == 5


def test_walk_and_backward_on_a_100k_chain_need_no_recursion():
    x = cr.tensor(0.5, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y + 1.0
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(200)  # a recursive walk would fail at once
    try:
        found = list(walk([y.grad_fn]))
        assert len(found) == 100_001 and found[-1] is x
        needed = engine._leads_to({x: x}, [y.grad_fn])
        assert len(needed) == 100_001
        y.backward()
    finally:
        sys.setrecursionlimit(limit)
    assert x.grad.item() == 1.0


def test_release_graph_frees_through_the_walk():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    a = x * x
    y = a.sin() + a.cos()
    nodes = [n for n in walk([y.grad_fn]) if type(n) is Node]
    y.clear_graph()
    assert all(n.edges is None and n.inputs is None for n in nodes)


def test_viz_draws_each_node_once_through_the_walk():
    x = cr.tensor([1.0], requires_grad=True, name="x")
    a = x * 2.0
    dot = cr.viz.graph_to_dot(a.sin() + a.cos())
    assert dot.count("shape=box") == 4 and dot.count("fillcolor") == 1
    assert dot.count("->") == 1 + 4 + 1  # root, the box edges, the leaf


# ----- tangents: decided per pass, from the graph ---------------------------------------------

def test_no_process_wide_tangent_flag_is_left_by_forward_mode():
    assert not hasattr(engine, "_tangents_recorded")
    with dual_level():
        d = make_dual(cr.tensor([1.0, 2.0]), cr.tensor([1.0, 0.0]))
        assert unpack_dual(d.sin()).tangent is not None
    del d
    gc.collect()


def test_a_backward_pass_after_forward_mode_runs_plain(monkeypatch):
    p = cr.tensor([1.0, 2.0], requires_grad=True)
    with dual_level():
        d = make_dual(p, cr.tensor([1.0, 0.0]))
        (d * d).sum().backward()  # inside the level: recorded, tangents flow
    del d
    gc.collect()
    p.grad = None
    recorded = []
    real = engine.run_nodes

    def spy(node, g, xp, record, *rest):
        recorded.append(record)
        return real(node, g, xp, record, *rest)
    monkeypatch.setattr(engine, "run_nodes", spy)
    monkeypatch.setattr(engine, "walk", None)  # no graph walk to decide either
    (p * p).sin().sum().backward()
    assert recorded and not any(recorded)  # the nodes ran, every rule on plain arrays
    assert p.grad.grad_fn is None
    v = p.detach().numpy()
    np.testing.assert_allclose(p.grad.numpy(), np.cos(v ** 2) * 2 * v)


def test_tangents_flow_from_the_first_node_that_carries_them(monkeypatch):
    p = cr.tensor([1.0, 2.0], requires_grad=True)
    with dual_level():
        d = make_dual(p, cr.tensor([1.0, 1.0]))
        h = d * d  # carries tangents
    y = (h * 3.0).sum()  # made after the level closed: no tangents
    assert y.grad_fn.fw is None and h.grad_fn.fw is not None
    recorded = []
    real = engine._adapted
    monkeypatch.setattr(engine, "_adapted", lambda node, g, xp, record, needed: (
        record and recorded.append(node.seq), real(node, g, xp, record, needed))[1])
    y.backward()
    assert recorded and max(recorded) == h.grad_fn.seq  # the nodes after h ran plain
    # as before: from h on the rules ran on tensors, so the gradient is an op's output
    np.testing.assert_allclose(p.grad.detach().numpy(), 6 * p.detach().numpy())


# ----- calling rules ------------------------------------------------------------------------

def _counting(name):
    calls = {"x": 0, "y": 0}

    def gx(xp, g, ans, x, y):
        calls["x"] += 1
        return g * y

    def gy(xp, g, ans, x, y):
        calls["y"] += 1
        return g * x
    return defvjp(Primitive(name, lambda x, y: x * y), gx, gy), calls


@pytest.mark.parametrize("create_graph", [False, True])
def test_an_unwanted_inputs_rule_is_not_called(create_graph):
    mul, calls = _counting(f"counted_mul_{create_graph}")
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    w = cr.tensor([3.0, 4.0], requires_grad=True)
    (gx,) = cr.autograd.grad(mul(x, w).sum(), x, create_graph=create_graph)
    assert calls == {"x": 1, "y": 0}
    assert gx.detach().numpy().tolist() == [3.0, 4.0]
    mul(x, cr.tensor([1.0, 1.0])).sum().backward()  # a constant input has no rule called
    assert calls == {"x": 2, "y": 0}


def test_a_vjp_all_rule_is_told_which_inputs_are_wanted():
    told = []

    def rule(xp, g, ans, inputs, needs):
        told.append(needs)
        x, y = inputs
        return [g * y if needs[0] else None, g * x if needs[1] else None]
    mul = defvjp_all(Primitive("told_mul", lambda x, y: x * y), rule)
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    w = cr.tensor([3.0, 4.0], requires_grad=True)
    cr.autograd.grad(mul(x, w).sum(), w)
    mul(x, w).sum().backward()
    assert told == [(False, True), (True, True)]


def test_a_missing_rule_names_the_op():
    half = defvjp(Primitive("half_ruled", lambda x, y: x * y), lambda xp, g, ans, x, y: g * y)
    x = cr.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="half_ruled: argument 1 is not differentiable"):
        half(x, x * 1.0).sum().backward()
    bare = Primitive("unruled", lambda x: x * 2.0)
    with pytest.raises(NotImplementedError, match="unruled: no VJP rule"):
        bare(x).sum().backward()


# ----- summing gradients --------------------------------------------------------------------

def test_a_leaf_reached_by_two_paths_gets_their_sum():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    (x * x + x * 3.0).sum().backward()
    assert x.grad.numpy().tolist() == [5.0, 7.0]
    y = cr.tensor(2.0, requires_grad=True)
    (y + y).backward()  # both gradients handed on unchanged: the same array twice
    assert y.grad.item() == 2.0


def test_accumulating_in_place_never_writes_a_callers_gradient():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    mine = np.array([1.0, 1.0], dtype=np.float32)
    (x + 0.0).backward(mine)  # handed on unchanged to x: x.grad must not be `mine`
    (x * 2.0).backward(np.ones(2, np.float32))  # added to x.grad in place
    (x + x).backward(mine)  # two paths, each with `mine` itself
    x.backward(mine)  # x is its own root
    assert mine.tolist() == [1.0, 1.0]
    assert x.grad.numpy().tolist() == [6.0, 6.0]
    x.grad = None
    x.backward(mine, create_graph=True)
    (x * 2.0).backward(np.ones(2, np.float32))
    assert mine.tolist() == [1.0, 1.0]


def test_a_recorded_pass_sums_out_of_place():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    (x * x * x).sum().backward(create_graph=True)
    first = x.grad
    kept = first.detach().numpy().copy()
    (x * x).sum().backward(create_graph=True)
    assert x.grad is not first and first.detach().numpy().tolist() == kept.tolist()
    assert x.grad.grad_fn is not None  # the sum is an op on the graph
    (h,) = cr.autograd.grad(x.grad.sum(), x)  # d/dx (3x^2 + 2x)
    assert h.numpy().tolist() == [8.0, 14.0]


def test_gradients_adds_in_place_only_into_what_it_owns():
    leaf = cr.tensor([0.0, 0.0], requires_grad=True)
    theirs = np.array([1.0, 1.0])
    sums = Gradients(record=False)
    sums.add(leaf, theirs)  # kept as it is, not owned
    sums.add(leaf, np.array([2.0, 2.0]))
    assert theirs.tolist() == [1.0, 1.0]  # summed out of place; the sum is owned from now on
    total = sums.sums[leaf]
    assert leaf in sums.owned and total is not theirs
    sums.add(leaf, np.array([3.0, 3.0]))
    assert sums.sums[leaf] is total and total.tolist() == [6.0, 6.0]
    recorded = Gradients(record=True)
    recorded.add(leaf, theirs)
    recorded.add(leaf, theirs)
    assert isinstance(recorded.sums[leaf], cr.Tensor) and theirs.tolist() == [1.0, 1.0]


def test_a_rules_view_for_a_leaf_is_never_added_to_in_place():
    base = np.zeros(8, np.float32)
    view = defvjp(Primitive("view_grad", lambda x: x * 1.0), lambda xp, g, ans, x: base[::2])
    x = cr.tensor([0.0, 0.0, 0.0, 0.0], requires_grad=True)
    (x * 2.0 + view(x)).sum().backward()  # view's gradient reaches x first
    assert base.tolist() == [0.0] * 8 and x.grad.numpy().tolist() == [2.0] * 4


def test_nodes_pop_latest_created_first():
    x = cr.tensor(1.0, requires_grad=True)
    a, b, c = x * 2.0, x * 3.0, x * 4.0
    sums = Gradients(record=False)
    for t in (b, c, a):
        sums.add(t.grad_fn, np.ones(()))
    order = [sums.pop()[0] for _ in range(3)]
    assert order == [c.grad_fn, b.grad_fn, a.grad_fn] and sums.pop() == (None, None)


def test_a_backward_in_one_thread_is_not_recorded_by_a_dual_level_in_another():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    inside, leave = threading.Event(), threading.Event()

    def hold_a_level():
        with dual_level():
            inside.set()
            leave.wait(10)
    t = threading.Thread(target=hold_a_level)
    t.start()
    try:
        inside.wait(10)
        y.backward()
    finally:
        leave.set()
        t.join()
    assert x.grad.grad_fn is None and x.grad.numpy().tolist() == [2.0, 4.0]
