"""Seed 003 (the autograd overview): the shared-t2 graph, where a node runs only after
every gradient reaching it has arrived."""
import numpy as np

import chainrule as cr


def test_addition_graph():
    t1 = cr.tensor(2.0, requires_grad=True)
    t2 = cr.tensor(5.0, requires_grad=True)
    t3 = t1 + t2
    t3.backward()
    assert t1.grad.item() == 1.0 and t2.grad.item() == 1.0


def test_multiplication_backward_function():
    a = cr.tensor(3.0, requires_grad=True)
    b = cr.tensor(4.0, requires_grad=True)
    (a * b).backward()
    assert a.grad.item() == 4.0 and b.grad.item() == 3.0


def test_shared_t2_receives_both_contributions():
    t1 = cr.tensor(0.5, dtype=cr.float64, requires_grad=True)
    t2 = cr.tensor(-1.5, dtype=cr.float64, requires_grad=True)
    t5 = cr.tensor(2.0, dtype=cr.float64, requires_grad=True)
    t3 = t1 + t2
    t4 = t2 * t5
    t6 = t3 * t4
    t7 = t6.sin()
    loss = t7
    loss.backward()
    v1, v2, v5 = 0.5, -1.5, 2.0
    v3, v4 = v1 + v2, v2 * v5
    dl_dt6 = np.cos(v3 * v4)
    # dL/dt2 = dL/dt3 * dt3/dt2 + dL/dt4 * dt4/dt2
    assert t2.grad.item() == dl_dt6 * v4 * 1 + dl_dt6 * v3 * v5
    assert t1.grad.item() == dl_dt6 * v4
    assert t5.grad.item() == dl_dt6 * v3 * v2


def test_deep_graph_has_no_recursion_limit():
    x = cr.tensor(1.0, dtype=cr.float64, requires_grad=True)
    y = x
    for _ in range(20_000):  # far past Python's recursion limit
        y = y + x * 0.0
    y.backward()
    assert x.grad.item() == 1.0
