"""autograd.tracing.trace_ops: every primitive a thread applies, fast paths included."""
import threading

import numpy as np

import chainrule as cr
from chainrule.autograd import grad_mode
from chainrule.autograd.tracing import trace_ops


def test_sees_every_primitive_with_operands_params_and_result():
    seen = []
    x = cr.tensor([1.0, -2.0], requires_grad=True)
    with trace_ops(lambda prim, args, params, out: seen.append((prim.name, args, params, out))):
        y = (x * 3).relu().sum(0)  # operator and method fast paths, a reduction with params
    assert [name for name, *_ in seen] == ["mul", "relu", "sum"]
    assert seen[0][1][0] is x and seen[0][1][1] == 3
    assert seen[-1][3] is y and float(y) == 3.0
    y.backward()  # the graph is still recorded while tracing
    assert x.grad.tolist() == [3.0, 0.0]


def test_nests_and_leaves_the_ordinary_modes_as_they_were():
    outer, inner = [], []
    ordinary_before = grad_mode.ordinary.all
    with trace_ops(lambda p, *_: outer.append(p.name)):
        cr.ones(2).exp()
        with trace_ops(lambda p, *_: inner.append(p.name)):
            cr.ones(2).neg()
    assert outer == ["exp", "neg"] and inner == ["neg"]
    assert grad_mode.ordinary.all == ordinary_before and grad_mode.modes.tracers == ()


def test_another_threads_ops_are_not_seen():
    seen = []
    done = threading.Event()

    def other():
        cr.ones(3).sin()
        done.set()
    with trace_ops(lambda p, *_: seen.append(p.name)):
        t = threading.Thread(target=other)
        t.start()
        t.join()
        cr.ones(3).cos()
    assert done.is_set() and seen == ["cos"]


def test_tracing_changes_no_value():
    a = np.random.default_rng(0).normal(size=(3, 4))
    plain = (cr.tensor(a) @ cr.tensor(a.T)).tanh().numpy()
    with trace_ops(lambda *_: None):
        traced = (cr.tensor(a) @ cr.tensor(a.T)).tanh().numpy()
    np.testing.assert_array_equal(plain, traced)
