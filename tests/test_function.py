"""Custom operations: autograd.Function and the @primitive decorator."""
import numpy as np
import pytest

import chainrule as cr
from chainrule import func
from chainrule.autograd import Function, gradcheck, gradgradcheck, primitive


class Cube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x ** 2

    @staticmethod
    def jvp(ctx, t):
        (x,) = ctx.saved_tensors
        return t * 3 * x ** 2


class ScaledAdd(Function):
    @staticmethod
    def forward(ctx, x, y, alpha):
        ctx.alpha = alpha
        ctx.seen_needs = ctx.needs_input_grad
        return x + alpha * y

    @staticmethod
    def backward(ctx, g):
        return g, g * ctx.alpha, None


def test_function_forward_backward_and_ctx():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = Cube.apply(x)
    assert y.grad_fn.name == "CubeBackward" and y.tolist() == [1.0, 8.0]
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 12.0]
    a = cr.tensor([1.0], requires_grad=True)
    b = cr.tensor([2.0])
    out = ScaledAdd.apply(a, b, 0.5)
    out.backward()
    assert a.grad.tolist() == [1.0] and out.item() == 2.0


def test_needs_input_grad():
    captured = {}

    class Probe(Function):
        @staticmethod
        def forward(ctx, x, y):
            captured["needs"] = ctx.needs_input_grad
            return x * y

        @staticmethod
        def backward(ctx, g):
            return g, g

    Probe.apply(cr.tensor(1.0, requires_grad=True), cr.tensor(2.0))
    assert captured["needs"] == (True, False)


def test_function_gradcheck_second_order_and_forward_mode():
    x = cr.tensor([0.5, -1.5, 2.0], dtype=cr.float64, requires_grad=True)
    assert gradcheck(Cube.apply, (x,))  # reverse and forward mode (its jvp)
    assert gradgradcheck(Cube.apply, (x,))  # backward is itself differentiable
    assert func.hessian(lambda t: Cube.apply(t).sum())(x.detach()).numpy().tolist() == \
        np.diag(6 * np.array([0.5, -1.5, 2.0])).tolist()


def test_function_backward_with_wrong_arity_is_reported():
    class Bad(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g, g

    with pytest.raises(RuntimeError, match="returned 2 gradients for 1 inputs"):
        Bad.apply(cr.tensor(1.0, requires_grad=True)).backward()


def test_function_without_jvp_refuses_forward_mode():
    class NoJvp(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    with pytest.raises(NotImplementedError, match="JVP"):
        func.jvp(NoJvp.apply, (cr.tensor(1.0),), (cr.tensor(1.0),))


def test_primitive_decorator_with_vjp_and_jvp():
    @primitive
    def softclip(x, limit=1.0):
        return limit * np.tanh(x / limit)

    softclip.defvjp(lambda xp, g, ans, x, limit=1.0: g * (1 - (ans / limit) ** 2))
    softclip.defjvp(lambda xp, ts, ans, x, limit=1.0: ts[0] * (1 - (ans / limit) ** 2))
    x = cr.tensor([0.3, -1.2, 2.5], dtype=cr.float64, requires_grad=True)
    assert gradcheck(lambda t: softclip(t, limit=2.0), (x,))
    assert gradgradcheck(lambda t: softclip(t * t, limit=2.0), (x,))
    assert softclip(x).grad_fn.name == "SoftclipBackward"


def test_gradcheck_and_gradgradcheck_catch_wrong_rules():
    from chainrule.autograd import GradcheckError

    wrong_first = primitive(lambda x: np.sin(x))
    wrong_first.defvjp(lambda xp, g, ans, x: g * xp.sin(x))  # should be cos
    wrong_first.defjvp(lambda xp, ts, ans, x: ts[0] * xp.cos(x))
    x = cr.tensor([0.3, 1.2], dtype=cr.float64, requires_grad=True)
    with pytest.raises(GradcheckError, match="reverse-mode"):
        gradcheck(wrong_first, (x,))
    # Right first derivative, but computed outside the graph: its own derivative is lost.
    opaque = primitive(lambda x: np.sin(x))
    opaque.defvjp(lambda xp, g, ans, x: g * np.cos(getattr(x, "data", x)))
    opaque.defjvp(lambda xp, ts, ans, x: ts[0] * xp.cos(x))
    assert gradcheck(opaque, (x,))
    with pytest.raises(GradcheckError):
        gradgradcheck(opaque, (x,))
