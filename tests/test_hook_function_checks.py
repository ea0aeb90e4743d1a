"""Hooks and custom Functions that return a gradient of the wrong shape or dtype are
errors naming the hook or Function, as in PyTorch; compatible gradients pass."""
import numpy as np
import pytest

import chainrule as cr


def _function_returning(make):
    class Twice(cr.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return make(g)
    return Twice


@pytest.mark.parametrize("make, error, match", [
    (lambda g: cr.ones(3), RuntimeError, r"Twice.backward .* shape \(3,\).* shape \(2,\)"),
    (lambda g: cr.ones(1), RuntimeError, r"Twice.backward .* shape \(1,\)"),
    (lambda g: [1.0, 2.0], TypeError, r"Twice.backward returned list"),
    (lambda g: g.to(np.complex64), TypeError, r"Twice.backward returned a complex gradient"),
])
def test_function_backward_with_a_bad_gradient_names_the_function(make, error, match):
    x = cr.ones(2, requires_grad=True)
    with pytest.raises(error, match=match):
        _function_returning(make).apply(x).sum().backward()


@pytest.mark.parametrize("make, expected", [
    (lambda g: g.double(), [1.0, 1.0]),           # a floating dtype is cast, as PyTorch
    (lambda g: cr.ones(3, 2), [3.0, 3.0]),        # a broadcast shape is summed, as PyTorch
])
def test_function_backward_with_a_compatible_gradient(make, expected):
    x = cr.ones(2, requires_grad=True)
    _function_returning(make).apply(x).sum().backward()
    assert x.grad.dtype == x.dtype
    np.testing.assert_allclose(x.grad.numpy(), expected)


def shrink(g):
    return cr.ones(3)


def widen(g):
    return g.double()


@pytest.mark.parametrize("leaf", [True, False], ids=["leaf", "non-leaf"])
@pytest.mark.parametrize("hook, error, match", [
    (shrink, RuntimeError,
     r"hook 'shrink' changed the shape of the gradient from \(2,\) to \(3,\)"),
    (widen, TypeError, r"hook 'widen' changed the dtype of the gradient from float32 to float64"),
    (lambda g: 3, TypeError, r"hook '<lambda>' returned int"),
])
def test_hooks_that_change_shape_or_dtype_are_named(hook, error, match, leaf):
    x = cr.ones(2, requires_grad=True)
    y = x if leaf else x * 2
    y.register_hook(hook)
    with pytest.raises(error, match=match):
        (y * 3).sum().backward()


def test_a_hook_may_replace_the_gradient_with_one_of_the_same_shape_and_dtype():
    x = cr.ones(2, requires_grad=True)
    y = x * 2
    y.register_hook(lambda g: g * 10)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [20.0, 20.0])


@pytest.mark.oracle
def test_torch_raises_for_the_same_cases():
    torch = pytest.importorskip("torch")

    class Twice(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return torch.ones(3)
    with pytest.raises(RuntimeError):
        Twice.apply(torch.ones(2, requires_grad=True)).sum().backward()
    x = torch.ones(2, requires_grad=True)
    x.register_hook(lambda g: g.double())
    with pytest.raises(RuntimeError):
        (x * 3).sum().backward()
