"""Seed 000 (TinyRL's autograd docs), translated to Python."""
import numpy as np

import chainrule as cr


def test_forward_builds_the_graph_and_backward_fills_grads():
    # ag::Tensor a(ag::Matrix::Random(2, 2), true); c = a + b; d = c * a; loss = sum(d)
    a = cr.Tensor(cr.rand(2, 2), requires_grad=True)
    b = cr.Tensor(cr.rand(2, 2), requires_grad=True)
    c = a + b
    d = c * a
    loss = cr.sum(d)
    assert c.grad_fn.name == "AddBackward" and d.grad_fn.name == "MulBackward"
    loss.backward()
    av, bv = a.detach().numpy(), b.detach().numpy()
    assert np.allclose(a.grad.numpy(), 2 * av + bv)
    assert np.allclose(b.grad.numpy(), av)


def test_complete_example():
    x = cr.Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True, name="x")
    y = cr.Tensor([[2.0, 0.0], [1.0, 3.0]], requires_grad=True, name="y")
    sum_xy = x + y
    product = sum_xy * x
    loss = cr.sum(product)
    loss.backward()
    # d(loss)/dx = 2x + y, d(loss)/dy = x
    assert x.grad.tolist() == [[4.0, 4.0], [7.0, 11.0]]
    assert y.grad.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    print("x.grad():", x.grad)
    print("y.grad():", y.grad)


def test_memory_management_zero_grad_clear_graph_detach():
    x = cr.Tensor([1.0, 2.0], requires_grad=True)
    value = x * 3
    loss = (value * value).sum()
    loss.backward()
    assert x.grad.tolist() == [18.0, 36.0]
    x.zero_grad()
    assert x.grad.tolist() == [0.0, 0.0]
    loss.clear_graph()  # releases memory used by the graph
    assert loss.grad_fn is None
    target = value.detach()  # no gradient flows through the target (RL target networks)
    assert not target.requires_grad
    (x * target).sum().backward()
    assert x.grad.tolist() == [3.0, 6.0]


def test_draw_graph(tmp_path):
    x = cr.Tensor([[1.0, 2.0]], requires_grad=True, name="x")
    w = cr.Tensor([[0.5], [0.25]], requires_grad=True, name="w")
    loss = cr.sum((x @ w).relu())
    path = tmp_path / "computation_graph.dot"
    dot = cr.draw_graph(loss, str(path))
    text = path.read_text()
    assert text == dot and text.startswith("digraph")
    for label in ("SumBackward", "ReluBackward", "MatmulBackward", "x\\n(1, 2) float32",
                  "w\\n(2, 1) float32", "lightblue"):
        assert label in text
