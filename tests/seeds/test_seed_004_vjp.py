"""Seed 004 (step-by-step autodiff): operations recorded by a function wrapper, VJP rules
defined separately for each operation."""
import numpy as np

import chainrule as cr
from chainrule.autograd import Primitive, defvjp, gradcheck


def test_user_defined_primitive_with_its_own_vjp_rule():
    # The forward is plain NumPy on raw values; the VJP rule is defined separately.
    def cube_forward(x):
        return x ** 3

    cube = Primitive("cube", cube_forward)
    defvjp(cube, lambda xp, g, ans, x: g * 3 * x ** 2)

    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = cube(x)  # the wrapper unboxes, computes, and boxes the result into the graph
    assert y.grad_fn.name == "CubeBackward"
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 12.0]


def test_separately_defined_rules_compose_and_differentiate_twice():
    softclip = Primitive("softclip", lambda x, limit: limit * np.tanh(x / limit),
                         saves=(0,), saves_ans=False)
    defvjp(softclip, lambda xp, g, ans, x, limit: g * (1 - xp.tanh(x / limit) ** 2))
    x = cr.tensor([0.3, -1.2, 2.0], dtype=cr.float64, requires_grad=True)
    assert gradcheck(lambda x: softclip(x * x, limit=2.0), (x,), check_forward_ad=False)
    (g,) = cr.autograd.grad(softclip(x, limit=2.0).sum(), x, create_graph=True)
    (h,) = cr.autograd.grad(g.sum(), x)
    t = np.tanh(x.detach().numpy() / 2.0)
    assert np.allclose(h.numpy(), -2 * t * (1 - t ** 2) / 2.0)


def test_tracer_and_graph_traversal():
    # Tracer: every op on a tracked value extends the graph; traversal: backward walks it.
    x = cr.tensor(2.0, requires_grad=True)
    nodes = []
    y = x
    for _ in range(3):
        y = y * x
        nodes.append(y.grad_fn)
    assert [n.name for n in nodes] == ["MulBackward"] * 3
    y.backward()
    assert x.grad.item() == 4 * 2.0 ** 3
