"""Seed 001 (Lamp++'s "Understanding Autograd"), translated to Python."""
import math

import numpy as np
import pytest

import chainrule as cr


def test_simplest_example():
    data = cr.tensor([2.0])
    x = cr.Variable(data, requires_grad=True)
    y = x * x
    y.backward()
    assert x.grad.tolist() == [4.0]


def test_variable_components_and_constructors():
    var = cr.Variable(cr.ones(2, 3), requires_grad=True)
    assert var.data.shape == (2, 3) and var.grad is None and var.requires_grad
    assert var.grad_fn is None
    zeros_var = cr.zeros(2, 3, requires_grad=True)
    ones_var = cr.ones(2, 3, requires_grad=True)
    rand_var = cr.rand(2, 3, requires_grad=True)
    assert zeros_var.requires_grad and ones_var.requires_grad and rand_var.requires_grad
    tensor_var = cr.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=cr.float32, requires_grad=True)
    assert tensor_var.shape == (2, 2)


def test_requires_grad_inherits():
    a = cr.Variable(cr.rand(2, 2), requires_grad=True)
    b = cr.Variable(cr.rand(2, 2), requires_grad=False)
    c = a + b
    assert c.requires_grad and not b.requires_grad


def test_operations_create_nodes():
    a = cr.Variable(cr.rand(2, 3), requires_grad=True)
    b = cr.Variable(cr.rand(2, 3), requires_grad=True)
    c = a * b
    d = cr.sum(c, 0)
    assert c.grad_fn.name == "MulBackward" and d.grad_fn.name == "SumBackward"
    assert d.shape == (3,)
    assert (a > b).grad_fn is None and not (a == b).requires_grad  # comparisons: no nodes


def test_cubic():
    x = cr.Variable(cr.tensor([2.0]), requires_grad=True)
    y = x * x * x
    y.backward()
    assert x.grad.tolist() == [12.0]  # 3x^2


def test_gradient_accumulation():
    x = cr.Variable(cr.tensor([1.0]), requires_grad=True)
    y1 = x * 2
    y1.backward()
    assert x.grad.tolist() == [2.0]
    y2 = x * 3
    y2.backward()
    assert x.grad.tolist() == [5.0]
    x.zero_grad()
    assert x.grad.tolist() == [0.0]


def test_gradient_flow_through_exp():
    x = cr.Variable(cr.tensor([0.3, -0.4], dtype=cr.float64), requires_grad=True)
    a = x * 2
    b = cr.exp(a)
    c = cr.sum(b)
    c.backward()
    xv = np.array([0.3, -0.4])
    assert np.allclose(x.grad.numpy(), 2 * np.exp(2 * xv))


def test_training_loop_structure():
    cr.manual_seed(0)
    inputs = cr.randn(64, 3)
    true_w = cr.tensor([[1.0], [-2.0], [0.5]])
    targets = inputs @ true_w + 0.3
    weights = cr.Variable(cr.zeros(3, 1), requires_grad=True)
    bias = cr.Variable(cr.zeros(1), requires_grad=True)

    def compute_loss(output, target):
        return cr.mean((output - target) ** 2)

    losses = []
    for epoch in range(200):
        for start in range(0, 64, 16):
            batch_input, batch_target = inputs[start:start + 16], targets[start:start + 16]
            weights.zero_grad()
            bias.zero_grad()
            output = cr.matmul(batch_input, weights) + bias
            loss = compute_loss(output, batch_target)
            loss.backward()
            learning_rate = 0.05
            weights = cr.Variable(weights.data - learning_rate * weights.grad.data,
                                  requires_grad=True)
            bias = cr.Variable(bias.data - learning_rate * bias.grad.data, requires_grad=True)
        losses.append(loss.item())
    assert losses[-1] < 1e-6 < losses[0]
    assert np.allclose(weights.detach().numpy(), true_w.numpy(), atol=1e-3)
    assert bias.item() == pytest.approx(0.3, abs=1e-3)


def test_checking_and_manipulating_gradients():
    var = cr.Variable(cr.tensor([1.0, 2.0]), requires_grad=True)
    (var * var).sum().backward()
    assert var.requires_grad and var.grad_fn is None  # a leaf
    assert ((var * 2).grad_fn is not None)
    custom_grad = cr.tensor([0.5, 0.5])
    var.incr_grad(custom_grad)
    assert var.grad.tolist() == [2.5, 4.5]
    magnitude = cr.sum(var.grad * var.grad)
    assert magnitude.item() == pytest.approx(2.5 ** 2 + 4.5 ** 2)
    assert not any(math.isnan(v) for v in var.grad.tolist())
    var.zero_grad()
    assert var.grad.tolist() == [0.0, 0.0]


def test_topological_order():
    x = cr.Variable(cr.tensor([3.0]), requires_grad=True)
    y = x * x
    loss = cr.sum(y)
    loss.backward()
    assert x.grad.tolist() == [6.0]
