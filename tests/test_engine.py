"""Backward semantics: accumulation, retain_graph, hooks, higher order, grad mode, memory."""
import gc
import weakref

import numpy as np
import pytest

import chainrule as cr


def test_gradients_accumulate_across_backward_calls():
    x = cr.tensor([2.0], requires_grad=True)
    (x * 2).backward()
    assert x.grad.item() == 2.0
    (x * 3).backward()
    assert x.grad.item() == 5.0
    x.zero_grad()
    assert x.grad.item() == 0.0


def test_paths_meeting_at_a_node_are_summed():
    x = cr.tensor(3.0, requires_grad=True)
    a = x * x
    b = a + a * x  # x^2 + x^3
    b.backward()
    assert x.grad.item() == pytest.approx(2 * 3 + 3 * 9)


def test_non_scalar_backward_needs_gradient():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="one element"):
        y.backward()
    y.backward(gradient=cr.tensor([1.0, 10.0]))
    assert np.array_equal(x.grad.numpy(), [2.0, 20.0])


def test_gradient_shape_mismatch_is_reported():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"shape \(3,\)"):
        (x * 2).backward(np.ones(3))


def test_backward_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        cr.tensor(1.0).backward()


def test_second_backward_without_retain_graph_raises():
    x = cr.tensor(1.0, requires_grad=True)
    y = (x * x).exp()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_retain_graph_allows_a_second_backward():
    x = cr.tensor(1.0, requires_grad=True)
    y = (x * x).exp()
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.item() == pytest.approx(2 * 2 * np.e, rel=1e-6)


def test_saved_values_are_freed_after_backward():
    x = cr.tensor(np.ones(4), requires_grad=True)
    y = (x * 2).exp().sum()
    node = y.grad_fn.next_functions[0][0]
    assert node.saved_shapes == ((4,),)  # exp keeps its output only
    assert node.ans is not None
    y.backward()
    assert node.ans is None and node.inputs is None


def test_create_graph_gives_higher_derivatives():
    x = cr.tensor(2.0, requires_grad=True)
    y = x ** 3
    (g1,) = cr.autograd.grad(y, x, create_graph=True)
    (g2,) = cr.autograd.grad(g1, x, create_graph=True)
    (g3,) = cr.autograd.grad(g2, x)
    assert (g1.item(), g2.item(), g3.item()) == (12.0, 12.0, 6.0)


def test_backward_create_graph_then_differentiate_grad():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    (x.sin() * x).sum().backward(create_graph=True)
    g = x.grad  # sin x + x cos x
    assert g.requires_grad
    x.grad = None
    g.sum().backward()  # d/dx: 2 cos x - x sin x
    xv = np.array([1.0, 2.0])
    assert np.allclose(x.grad.numpy(), 2 * np.cos(xv) - xv * np.sin(xv), rtol=1e-5)


def test_autograd_grad_does_not_touch_grad_and_reports_unused():
    x = cr.tensor(1.0, requires_grad=True)
    z = cr.tensor(1.0, requires_grad=True)
    y = x * 3
    (g,) = cr.autograd.grad(y, x, retain_graph=True)
    assert g.item() == 3.0 and x.grad is None
    with pytest.raises(RuntimeError, match="not used"):
        cr.autograd.grad(y, [x, z], retain_graph=True)
    gx, gz = cr.autograd.grad(y, [x, z], allow_unused=True)
    assert gz is None and gx.item() == 3.0


def test_grad_with_batched_grad_outputs_is_one_vjp_per_entry():
    a = np.array([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]])
    x = cr.tensor([1.0, 2.0, 3.0], dtype=cr.float64, requires_grad=True)
    w = cr.tensor(2.0, dtype=cr.float64, requires_grad=True)
    unused = cr.tensor([1.0], dtype=cr.float64, requires_grad=True)
    y = cr.from_numpy(a) @ (x * x) * w  # y_i = w * sum_j a_ij x_j^2
    seeds = np.array([[1.0, 0.0], [0.0, 1.0], [2.0, -1.0]])
    gx, gw, gu = cr.autograd.grad(y, [x, w, unused], seeds, retain_graph=True,
                                  is_grads_batched=True, materialize_grads=True)
    xv = np.array([1.0, 2.0, 3.0])
    assert gx.shape == (3, 3) and gw.shape == (3,) and gu.shape == (3, 1)
    np.testing.assert_allclose(gx.numpy(), seeds @ (a * 2 * xv * 2.0))  # rows of J^T v
    np.testing.assert_allclose(gw.numpy(), seeds @ (a @ xv ** 2))
    assert not gu.numpy().any()
    for row, seed in enumerate(seeds):  # the same as one call per entry
        (g,) = cr.autograd.grad(y, x, seed, retain_graph=True)
        np.testing.assert_array_equal(gx.numpy()[row], g.numpy())
    (gx2,) = cr.autograd.grad(y, x, cr.from_numpy(seeds), is_grads_batched=True,
                              create_graph=True)
    (hx,) = cr.autograd.grad(gx2.sum(), x)  # the batched result is differentiable
    np.testing.assert_allclose(hx.numpy(), (seeds.sum(0) @ a) * 2 * 2.0)
    with pytest.raises(ValueError, match="needs grad_outputs"):
        cr.autograd.grad(y, x, is_grads_batched=True)


def test_grad_calls_no_rule_off_the_way_to_its_inputs():
    from chainrule.autograd import Primitive, defvjp

    def unexpected(xp, g, ans, x):
        raise AssertionError("a rule off the way to the inputs was called")
    off_path = defvjp(Primitive("off_path", lambda x: x * 1.0, saves=()), unexpected)
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    z = cr.tensor([3.0, 4.0], requires_grad=True)
    h = x * 3.0
    y = (off_path(z * 2.0) * h + h).sum()
    (gh,) = cr.autograd.grad(y, h, retain_graph=True)  # h is a target with more behind it
    assert gh.numpy().tolist() == [7.0, 9.0]
    (gx,) = cr.autograd.grad(y, x)
    assert gx.numpy().tolist() == [21.0, 27.0]


def test_batched_grad_outputs_must_share_their_batch_axis():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y, z = x * 2, x * 3
    with pytest.raises(ValueError, match="same leading batch axis"):
        cr.autograd.grad([y, z], x, [np.ones((3, 2)), np.ones((2, 2))], is_grads_batched=True)


def test_backward_inputs_restricts_accumulation():
    x = cr.tensor(1.0, requires_grad=True)
    w = cr.tensor(2.0, requires_grad=True)
    (x * w).backward(inputs=[w])
    assert x.grad is None and w.grad.item() == 1.0


def test_retain_grad_and_hooks():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    h.retain_grad()
    seen = []
    h.register_hook(lambda g: seen.append(g.numpy().copy()))
    handle = x.register_hook(lambda g: g * 10)
    (h * h).sum().backward()
    assert np.allclose(h.grad.numpy(), 2 * h.detach().numpy())
    assert np.allclose(seen[0], [6.0, 12.0])
    assert np.allclose(x.grad.numpy(), 10 * 3 * np.array([6.0, 12.0]))
    handle.remove()
    x.grad = None
    (x * 1).sum().backward()
    assert np.allclose(x.grad.numpy(), [1.0, 1.0])


def test_detach_stops_gradient():
    x = cr.tensor(2.0, requires_grad=True)
    target = (x * 3).detach()
    assert not target.requires_grad and target.is_leaf
    (x * target).backward()
    assert x.grad.item() == 6.0


def test_no_grad_builds_no_graph_and_restores_mode():
    x = cr.tensor(1.0, requires_grad=True)
    with cr.no_grad():
        y = x * 2
        with cr.enable_grad():
            z = x * 2
    assert y.grad_fn is None and not y.requires_grad
    assert z.grad_fn is not None
    assert cr.is_grad_enabled()

    @cr.no_grad()
    def f(t):
        return t * 2

    assert f(x).grad_fn is None and cr.is_grad_enabled()
    with cr.set_grad_enabled(False):
        assert (x * 2).grad_fn is None
    assert cr.is_grad_enabled()


def test_no_node_when_nothing_requires_grad():
    a = cr.ones(3)
    b = a * 2 + 1
    assert b.grad_fn is None and not b.requires_grad


def test_integer_results_never_require_grad():
    x = cr.tensor([1.5, 2.5], requires_grad=True)
    assert not x.argmax().requires_grad
    assert not (x > 2).requires_grad
    assert (x > 2).dtype == np.bool_
    assert not x.isnan().any().item()


def test_comparisons_and_logic():
    a = cr.tensor([1.0, np.nan, np.inf, -2.0])
    assert (a == 1.0).tolist() == [True, False, False, False]
    assert a.isnan().tolist() == [False, True, False, False]
    assert a.isinf().tolist() == [False, False, True, False]
    assert a.isfinite().tolist() == [True, False, False, True]
    b = cr.tensor([True, False, True, False])
    c = cr.tensor([True, True, False, False])
    assert (b & c).tolist() == [True, False, False, False]
    assert (b | c).tolist() == [True, True, True, False]
    assert (~b).tolist() == [False, True, False, True]
    assert cr.logical_xor(b, c).tolist() == [False, True, True, False]


def test_graph_introspection():
    x = cr.tensor([1.0, 2.0], requires_grad=True, name="x")
    y = (x * 2).sum()
    assert y.grad_fn.name == "SumBackward"
    (mul, _), = y.grad_fn.next_functions
    assert mul.name == "MulBackward"
    acc = mul.next_functions[0][0]
    assert acc.name == "AccumulateGrad" and acc.variable is x
    assert "grad_fn=<SumBackward>" in repr(y)


def test_graph_is_freed_by_reference_counting():
    gc.collect()
    gc.disable()
    try:
        x = cr.tensor(np.ones(10), requires_grad=True)
        y = (x * 2).exp()
        probe = weakref.ref(y.grad_fn)
        loss = y.sum()
        loss.backward()
        del y, loss
        assert probe() is None  # no cycle kept the node alive
        y = (x * 2).exp()
        probe = weakref.ref(y.grad_fn)
        del y  # dropped without backward
        assert probe() is None
    finally:
        gc.enable()


def test_clear_graph_releases_saved_values():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    h = x.exp()
    loss = h.sum()
    node = h.grad_fn
    loss.clear_graph()
    assert node.ans is None and node.edges is None
    assert loss.grad_fn is None and loss.is_leaf


def test_incr_grad():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    x.incr_grad(np.array([1.0, 1.0]))
    x.incr_grad(cr.tensor([0.5, 0.5]))
    assert np.array_equal(x.grad.numpy(), [1.5, 1.5])


def test_million_op_chain_backward_without_recursion():
    x = cr.tensor(1.0, dtype=cr.float64, requires_grad=True)
    y = x
    for _ in range(1_000_000):
        y = y * 1.000001
    y.backward()
    assert x.grad.item() == pytest.approx(1.000001 ** 1_000_000, rel=1e-9)
    del y  # dropping the (freed) chain must not recurse either


def test_python_float_operands_keep_numpy_semantics():
    # Floats become cached 0-d arrays of the tensor's dtype; results must not change.
    x32 = cr.tensor([1.5, -2.0], requires_grad=True)
    y = x32 * 0.1 + 0.7 - 1.3 / x32
    expected = x32.detach().numpy() * 0.1 + 0.7 - 1.3 / x32.detach().numpy()
    assert y.dtype == cr.float32 and np.array_equal(y.detach().numpy(), expected)
    y.sum().backward()
    assert np.allclose(x32.grad.numpy(), 0.1 + 1.3 / x32.detach().numpy() ** 2)
    # -0.0 keeps its sign (it is never served from the cache entry of 0.0)
    assert np.signbit((cr.tensor([1.0]) * 0.0 * -0.0).numpy()).all()
    assert not np.signbit((cr.tensor([1.0]) * -0.0 * -0.0).numpy()).any()
    # an int tensor with a Python float gives the default dtype, as in PyTorch
    assert (cr.tensor([1, 2]) * 0.5).dtype == cr.get_default_dtype()


def test_scalar_operand_cache_is_bounded():
    from chainrule.autograd import fastpath
    x = cr.tensor([1.0])
    for i in range(1000):
        x * (1.0 + i)
    assert max(len(c) for c in fastpath._SCALAR_CACHES.values()) <= 257


def test_nodes_run_after_all_their_gradients_arrive():
    # ``a`` is made first but reached last, through three paths of different lengths.
    x = cr.tensor(2.0, dtype=cr.float64, requires_grad=True)
    a = x * x
    b = a.sin()
    c = (b * a).exp() * a
    c.backward()
    xv = 2.0
    av = xv * xv
    inner = np.sin(av) * av
    dc_da = np.exp(inner) * (np.cos(av) * av + np.sin(av)) * av + np.exp(inner)
    assert x.grad.item() == pytest.approx(dc_da * 2 * xv)


def test_both_gradients_of_a_squared_intermediate_reach_it():
    # h * h sends two gradients to h, the node waiting to run next.
    x = cr.tensor([1.0, -2.0], dtype=cr.float64, requires_grad=True)
    h = x * 3.0
    (h * h).sum().backward()
    assert x.grad.numpy().tolist() == [18.0, -36.0]  # d(9x^2)/dx


def test_a_gradient_array_shared_by_two_paths_is_never_added_to_in_place():
    # Addition hands its incoming gradient array itself to both operands; when one of
    # them gets more gradient, the sum must not write into the array the other one holds.
    x = cr.tensor([1.0, 2.0], dtype=cr.float64, requires_grad=True)
    w = cr.tensor([0.5, 0.25], dtype=cr.float64, requires_grad=True)
    h1, h2 = x * 2.0, x * 3.0
    s = h1 + h2  # one array reaches h1 and h2
    y = (s + h2 * 5.0 + h1 * w).sum()
    y.backward()
    # y = 2x + 3x + 15x + 2xw: dy/dx = 20 + 2w, dy/dw = 2x
    assert x.grad.numpy().tolist() == [21.0, 20.5]
    assert w.grad.numpy().tolist() == [2.0, 4.0]
    leaf = cr.tensor([1.0, 1.0], dtype=cr.float64, requires_grad=True)
    z = (leaf + leaf) + leaf  # the same array reaches the leaf twice, then a third time
    z.sum().backward()
    assert leaf.grad.numpy().tolist() == [3.0, 3.0]


def test_residual_primitive_hands_its_forward_values_to_the_vjp():
    """A residual primitive is told whether a node will be recorded; its VJP gets what the
    forward kept, or None (recorded backward, or raw calls), and recomputes it then."""
    from chainrule.autograd.primitives import Primitive, call, defvjp
    seen = {"flags": [], "residuals": []}

    def forward(x, residual=False):
        seen["flags"].append(residual)
        return np.exp(x), (np.exp(x) if residual else None)

    def vjp(xp, g, kept, x):
        seen["residuals"].append(kept is not None)
        return g * (kept if kept is not None else xp.exp(x))

    exp_p = defvjp(Primitive("exp_with_residual", forward, residual=True), vjp)
    x = cr.tensor([0.5, 1.0], dtype=cr.float64, requires_grad=True)
    exp_p(x).sum().backward()
    assert seen == {"flags": [True], "residuals": [True]}
    assert np.allclose(x.grad.numpy(), np.exp([0.5, 1.0]))
    with cr.no_grad():
        assert np.allclose(exp_p(x).numpy(), np.exp([0.5, 1.0]))
    assert seen["flags"][-1] is False
    (gx,) = cr.autograd.grad(exp_p(x).sum(), x, create_graph=True)  # recorded backward
    assert seen["residuals"][-1] is False and gx.requires_grad
    gx.sum().backward()  # second derivative through the recomputed value
    assert np.allclose(x.grad.numpy(), 2 * np.exp([0.5, 1.0]))
    assert np.allclose(call(np, exp_p, np.array([0.0])), [1.0])
    assert seen["flags"][-1] is False


def test_max_pool_backward_twice_with_retained_graph():
    x = cr.tensor(np.arange(16.0).reshape(1, 1, 4, 4) % 5, requires_grad=True)
    out = cr.nn.functional.max_pool2d(x, 2)
    out.sum().backward(retain_graph=True)
    first = x.grad.numpy().copy()
    out.sum().backward()
    assert np.array_equal(x.grad.numpy(), 2 * first) and first.sum() == 4


def test_early_leaf_hooks_run_when_a_leaf_is_complete():
    # DistributedDataParallel's switch: a leaf's hooks run right after the last node that
    # sends it a gradient, before the older nodes run; off, they run at the end.
    from chainrule.autograd.engine import early_leaf_hooks
    for early, expected in ((0, ["y", "b", "a"]), (1, ["b", "y", "a"])):
        order = []
        a = cr.tensor([0.5, 1.0], requires_grad=True)
        b = cr.tensor([2.0, 3.0], requires_grad=True)
        a.register_hook(lambda g: order.append("a"))
        b.register_hook(lambda g: order.append("b"))
        y = a.sin()
        y.register_hook(lambda g: order.append("y"))
        early_leaf_hooks.count += early
        try:
            (y * b).sum().backward()
        finally:
            early_leaf_hooks.count -= early
        assert order == expected
        np.testing.assert_allclose(b.grad.numpy(), np.sin([0.5, 1.0]))
        np.testing.assert_allclose(a.grad.numpy(), np.cos([0.5, 1.0]) * [2.0, 3.0])


def test_post_accumulate_grad_hooks_see_the_accumulated_grad():
    # PyTorch's register_post_accumulate_grad_hook: called with the leaf once .grad holds
    # the sum, after the ordinary hooks; not by autograd.grad; removable; leaves only.
    seen = []
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    w.register_hook(lambda g: g * 10)
    handle = w.register_post_accumulate_grad_hook(
        lambda t: seen.append(t.grad.numpy().copy()))
    (w * w).sum().backward()
    (w * 3).sum().backward()
    assert [s.tolist() for s in seen] == [[20.0, 40.0], [50.0, 70.0]]
    cr.autograd.grad((w * w).sum(), [w])
    assert len(seen) == 2
    handle.remove()
    (w * 3).sum().backward()
    assert len(seen) == 2 and w.grad.numpy().tolist() == [80.0, 100.0]
    halved = cr.tensor([4.0], requires_grad=True)
    halved.register_post_accumulate_grad_hook(lambda t: t.grad.mul_(0.5))
    (halved * 2).sum().backward()
    assert halved.grad.numpy().tolist() == [1.0]
    with pytest.raises(RuntimeError, match="non-leaf"):
        (w * 2).register_post_accumulate_grad_hook(lambda t: None)
    with pytest.raises(RuntimeError, match="does not require grad"):
        cr.tensor([1.0]).register_post_accumulate_grad_hook(lambda t: None)


def test_post_accumulate_grad_hooks_match_torch():
    torch = pytest.importorskip("torch")
    got, want = [], []
    for lib, out in ((cr, got), (torch, want)):
        w = lib.tensor([1.0, -2.0, 0.5], requires_grad=True)
        w.register_post_accumulate_grad_hook(lambda t, out=out: out.append(t.grad.tolist()))
        for k in (1.0, 2.0):
            ((w * w).sum() * k).backward()
    assert got == want
