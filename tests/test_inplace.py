"""In-place ops: values, graph rewiring, version checks, views."""
import numpy as np
import pytest

import chainrule as cr


def test_inplace_ops_rewire_the_graph():
    a = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    h = a * 2
    h.add_(1)
    h.mul_(3)
    h += 1
    h -= a
    assert h.grad_fn.name == "SubBackward"
    h.sum().backward()
    assert np.allclose(a.grad.numpy(), [5.0, 5.0, 5.0])
    assert np.allclose(h.detach().numpy(), (np.array([1, 2, 3.]) * 2 + 1) * 3 + 1 - [1, 2, 3])


def test_inplace_on_saved_value_raises_naming_the_op():
    a = cr.tensor([1.0, 2.0], requires_grad=True)
    h = a * 1
    z = h.exp()
    h.add_(1)  # exp saved its output, not h: fine
    z.sum().backward()
    h = a * 1
    z = h * h
    h.mul_(2)
    with pytest.raises(RuntimeError, match=r"MulBackward.*in-place.*mul_"):
        z.sum().backward()


def test_inplace_on_output_that_was_saved_raises():
    a = cr.tensor([1.0, 2.0], requires_grad=True)
    z = a.exp()
    z.add_(1)
    with pytest.raises(RuntimeError, match="ExpBackward"):
        z.sum().backward()


def test_inplace_on_leaf_requiring_grad_raises_outside_no_grad():
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        w -= 1
    with pytest.raises(RuntimeError, match="leaf"):
        w[0] = 5.0
    with cr.no_grad():
        w -= 1
        w[1] = 7.0
    assert w.tolist() == [0.0, 7.0]
    assert w.version == 2


def test_inplace_that_mixes_in_a_graph_tensor():
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    buf = cr.zeros(2)
    buf += w * 2
    assert buf.requires_grad
    buf.sum().backward()
    assert w.grad.tolist() == [2.0, 2.0]


def test_views_write_through_to_their_base():
    a = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    h = a * 1
    h[0] *= 5
    h.sum().backward()
    assert a.grad.tolist() == [5.0, 1.0, 1.0]
    a.grad = None
    h = a * 1
    v = h[1:]
    v.mul_(2)
    assert h.tolist() == [1.0, 4.0, 6.0]
    (h * h).sum().backward()
    assert a.grad.tolist() == [2.0, 16.0, 24.0]


def test_view_of_view_and_setitem_with_graph_value():
    a = cr.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    w = cr.tensor(10.0, requires_grad=True)
    h = a * 1
    row = h[1]
    row[1:] = w
    assert h.tolist() == [[0, 1, 2], [3, 10, 10]]
    (h * h).sum().backward()
    assert a.grad.tolist() == [[0, 2, 4], [6, 0, 0]]
    assert w.grad.item() == 40.0


def test_reshape_view_inplace_in_graph_is_refused_clearly():
    a = cr.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    v = (a * 1).reshape(2, 2)
    with pytest.raises(RuntimeError, match="view made by reshape"):
        v.add_(1)


def test_inplace_shape_and_dtype_errors():
    x = cr.zeros(3)
    with pytest.raises(ValueError, match=r"add_.*\(3,\)"):
        x.add_(cr.ones(2, 3))
    i = cr.tensor([1, 2])
    with pytest.raises(ValueError, match="int64"):
        i.mul_(0.5)
    e = cr.ones(3).expand(2, 3)
    with pytest.raises(ValueError, match="read-only"):
        e.add_(1)


def test_fill_zero_copy_clamp_masked_fill():
    x = cr.tensor([1.0, -2.0, 3.0])
    x.clamp_(-1, 2)
    assert x.tolist() == [1.0, -1.0, 2.0]
    x.masked_fill_(x < 0, 9.0)
    assert x.tolist() == [1.0, 9.0, 2.0]
    x.copy_(cr.tensor([4.0, 5.0, 6.0]))
    assert x.tolist() == [4.0, 5.0, 6.0]
    x.fill_(2.5)
    assert x.tolist() == [2.5] * 3
    x.zero_()
    assert x.tolist() == [0.0] * 3
    assert x.version == 5


def test_copy_into_graph_tensor_routes_gradient_to_source():
    src = cr.tensor([1.0, 2.0], requires_grad=True)
    dst = cr.zeros(2)
    dst.copy_(src * 3)
    (dst * dst).sum().backward()
    assert src.grad.tolist() == [18.0, 36.0]


def test_inplace_detach_shares_version():
    a = cr.tensor([1.0, 2.0], requires_grad=True)
    h = a * 1
    z = h * h
    h.detach().add_(1)  # writes h's memory
    with pytest.raises(RuntimeError, match="in-place"):
        z.sum().backward()


def test_values_no_wanted_gradient_needs_may_change_in_place():
    a = cr.tensor([1.0, 2.0], requires_grad=True)
    h = a * 1
    y = h * 2.0  # the gradient for h needs only the constant 2
    h.add_(1)
    y.sum().backward()
    assert a.grad.tolist() == [2.0, 2.0]
    data = cr.tensor([[1.0, 2.0]])
    w = cr.tensor([[3.0], [4.0]], requires_grad=True)
    out = data @ w
    assert out.grad_fn.saved_shapes == ((1, 2),)  # keeps data (for dW), not w
    with cr.no_grad():
        w -= 1.0  # an optimizer step between forward and backward: dW never needed w
    out.sum().backward()
    assert w.grad.tolist() == [[1.0], [2.0]]


def test_values_a_wanted_gradient_needs_are_still_guarded():
    a = cr.tensor([1.0, 2.0], requires_grad=True)
    w = cr.tensor([3.0, 4.0], requires_grad=True)
    h = a * 1
    y = h * w  # dw needs h
    h.add_(1)
    with pytest.raises(RuntimeError, match="MulBackward"):
        y.sum().backward()


def test_forward_mode_sees_in_place_writes():
    """Tangents flow through in-place ops and item writes whether or not a graph is
    recorded (forward mode does not need requires_grad)."""
    def f(q):
        F = np.zeros_like(q)
        F[1:] += q[1:]
        return F

    def g(q):
        F = q * 1.0
        F += q
        return F
    q, dq = np.array([1.0, 2.0, 3.0]), np.array([0.0, 1.0, 0.0])
    assert cr.func.jvp(f, (q,), (dq,))[1].tolist() == [0.0, 1.0, 0.0]
    assert cr.func.jvp(g, (q,), (dq,))[1].tolist() == [0.0, 2.0, 0.0]
    import chainrule.autograd.forward_ad as fwAD
    with fwAD.dual_level():
        d = fwAD.make_dual(cr.tensor([1.0, 2.0]), cr.tensor([1.0, 0.0]))
        z = cr.zeros(2)
        z.add_(d)
        w = cr.zeros(2)
        w[1] = d[0] * 3
        assert fwAD.unpack_dual(z).tangent.tolist() == [1.0, 0.0]
        assert fwAD.unpack_dual(w).tangent.tolist() == [0.0, 3.0]


def test_a_traced_value_written_into_a_numpy_array_is_refused():
    def h(q):
        F = np.zeros(3)
        F[0] = q[1] * 2
        return F
    with pytest.raises((TypeError, ValueError)):
        cr.func.jvp(h, (np.array([1.0, 2.0, 3.0]),), (np.array([0.0, 1.0, 0.0]),))


def test_jvp_of_a_function_writing_into_its_argument_leaves_the_callers_array():
    a = np.array([1.0, 2.0, 3.0])

    def f(A):
        A[1] = A[0] * 5
        return A * 1.0
    out, tangent = cr.func.jvp(f, (a,), (np.array([1.0, 0.0, 0.0]),))
    assert out.tolist() == [1.0, 5.0, 3.0] and tangent.tolist() == [1.0, 5.0, 0.0]
    assert a.tolist() == [1.0, 2.0, 3.0]
