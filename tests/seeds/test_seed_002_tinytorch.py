"""Seed 002 (TinyTorch's autograd module): its Python examples."""
import math

import pytest

from chainrule import Variable


def test_what_you_build():
    x = Variable(5.0, requires_grad=True)
    y = Variable(3.0, requires_grad=True)
    z = x ** 2 + 2 * x * y + y ** 3
    assert z.data == 25 + 30 + 27
    z.backward()
    assert x.grad.item() == 16.0  # 2x + 2y
    assert y.grad.item() == 37.0  # 2x + 3y^2


def test_computational_graph_construction():
    def complex_function(x, y):
        a = x * y
        b = x + y
        c = a / b
        return c.sin()

    x = Variable(2.0, requires_grad=True)
    y = Variable(3.0, requires_grad=True)
    result = complex_function(x, y)
    result.backward()
    # c = xy/(x+y); dc/dx = y^2/(x+y)^2, dc/dy = x^2/(x+y)^2
    c = 6.0 / 5.0
    assert x.grad.item() == pytest.approx(math.cos(c) * 9 / 25, rel=1e-6)
    assert y.grad.item() == pytest.approx(math.cos(c) * 4 / 25, rel=1e-6)


def test_basic_differentiation_rules():
    x = Variable(3.0, requires_grad=True)
    y = x ** 2
    y.backward()
    assert x.grad.item() == 6.0


def test_chain_rule_difference_of_squares():
    x = Variable(2.0, requires_grad=True)
    y = Variable(3.0, requires_grad=True)
    z = (x + y) * (x - y)
    z.backward()
    assert x.grad.item() == 4.0
    assert y.grad.item() == -6.0


def test_transcendental_exp_log():
    x = Variable(1.0, requires_grad=True)
    y = x.exp().log()
    y.backward()
    assert x.grad.item() == pytest.approx(1.0)


def test_leaf_variables_and_accumulation():
    x = Variable(2.0, requires_grad=True)
    assert x.is_leaf and not (x * 2).is_leaf
    (x * x).backward()
    (x * x).backward()
    assert x.grad.item() == 8.0
