"""chainrule.func: transforms, their compositions, pytrees, and closed forms."""
import numpy as np
import pytest

import chainrule as cr
from chainrule import func
from conftest import make


def f_scalar(x):
    return (x.sin() * x ** 2).sum()


def df_scalar(x):
    return np.cos(x) * x ** 2 + 2 * x * np.sin(x)


def d2f_scalar(x):
    return -np.sin(x) * x ** 2 + 4 * x * np.cos(x) + 2 * np.sin(x)


X = np.array([0.3, -1.1, 2.0])


def test_grad_value_and_grad():
    x = cr.tensor(X)
    assert np.allclose(func.grad(f_scalar)(x).numpy(), df_scalar(X))
    value, g = func.value_and_grad(f_scalar)(x)
    assert value.item() == pytest.approx(np.sum(np.sin(X) * X ** 2))
    assert np.allclose(g.numpy(), df_scalar(X))


def test_grad_of_grad_of_grad():
    sin3 = func.grad(func.grad(func.grad(lambda x: x.sin())))
    assert sin3(cr.tensor(0.7, dtype=cr.float64)).item() == pytest.approx(-np.cos(0.7))
    cube = func.grad(func.grad(lambda x: x ** 3))
    assert cube(cr.tensor(2.0)).item() == 12.0


def test_grad_over_vjp_and_over_jvp():
    def g(x):  # sum of the VJP of sin with cotangent 1: sum(cos x)
        _, vjp_fn = func.vjp(lambda t: t.sin(), x)
        (vx,) = vjp_fn(cr.ones_like(x))
        return vx.sum()

    assert np.allclose(func.grad(g)(cr.tensor(X)).numpy(), -np.sin(X))

    def h(x):  # directional derivative of f along ones
        return func.jvp(f_scalar, (x,), (cr.ones_like(x),))[1]

    assert np.allclose(func.grad(h)(cr.tensor(X)).numpy(), d2f_scalar(X))


def test_jvp_and_forward_over_forward():
    x = cr.tensor(X)
    out, t = func.jvp(lambda x: x.sin() * x ** 2, (x,), (cr.ones_like(x),))
    assert np.allclose(t.numpy(), df_scalar(X))

    def first(x):
        return func.jvp(lambda y: y.sin() * y ** 2, (x,), (cr.ones_like(x),))[1]

    _, second = func.jvp(first, (x,), (cr.ones_like(x),))
    assert np.allclose(second.numpy(), d2f_scalar(X))


def test_jacrev_jacfwd_agree_and_have_the_right_shape():
    def f(x):
        return (x.reshape(2, 3) @ cr.tensor(np.arange(12.0).reshape(3, 4))).tanh()

    x = cr.tensor(np.linspace(-1, 1, 6))
    jr, jf = func.jacrev(f)(x), func.jacfwd(f)(x)
    assert jr.shape == jf.shape == (2, 4, 6)
    assert np.allclose(jr.numpy(), jf.numpy())


def test_hessian_of_quadratic_form():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((4, 4))
    quad = lambda x: x @ cr.tensor(a) @ x
    x = cr.tensor(rng.standard_normal(4))
    expected = a + a.T
    assert np.allclose(func.hessian(quad)(x).numpy(), expected)
    assert np.allclose(func.jacrev(func.jacrev(quad))(x).numpy(), expected)
    assert np.allclose(func.jacfwd(func.jacfwd(quad))(x).numpy(), expected)
    assert np.allclose(func.jacrev(func.jacfwd(quad))(x).numpy(), expected)
    assert np.allclose(func.jacfwd(func.jacrev(quad))(x).numpy(), expected)


def test_hessian_of_nonlinear_function_matches_closed_form_and_forward_over_reverse():
    rng = np.random.default_rng(1)
    w = rng.standard_normal((3, 5)) * 0.5
    f = lambda v: (cr.tensor(w) @ v).tanh().sum()
    x = rng.standard_normal(5)
    t = np.tanh(w @ x)
    expected = (w.T * (-2 * t * (1 - t * t))) @ w
    h = func.hessian(f)(cr.tensor(x)).numpy()
    assert np.allclose(h, expected)
    assert np.allclose(func.jacfwd(func.jacrev(f))(cr.tensor(x)).numpy(), h)


def test_jacobian_of_softmax():
    def softmax(x):
        e = (x - x.amax()).exp()
        return e / e.sum()

    x = cr.tensor([0.5, -1.0, 2.0, 0.1])
    s = softmax(x).numpy()
    expected = np.diag(s) - np.outer(s, s)
    assert np.allclose(func.jacrev(softmax)(x).numpy(), expected)
    assert np.allclose(func.jacfwd(softmax)(x).numpy(), expected)


def test_hessian_vector_product_three_ways():
    rng = np.random.default_rng(1)
    x0, v0 = rng.standard_normal(5), rng.standard_normal(5)

    def f(x):
        return ((x ** 2).sum().sin() + (x * x.roll(1)).exp().sum())

    x, v = cr.tensor(x0), cr.tensor(v0)
    # forward-over-reverse
    hvp_fr = func.jvp(func.grad(f), (x,), (v,))[1].numpy()
    # reverse-over-reverse
    hvp_rr = func.grad(lambda y: (func.grad(f)(y) * v).sum())(x).numpy()
    # finite differences of the gradient
    eps = 1e-6
    g = func.grad(f)
    hvp_fd = (g(cr.tensor(x0 + eps * v0)).numpy() - g(cr.tensor(x0 - eps * v0)).numpy()) / (2 * eps)
    assert np.allclose(hvp_fr, hvp_rr, rtol=1e-10)
    assert np.allclose(hvp_fr, hvp_fd, rtol=1e-5, atol=1e-7)
    # and reverse-over-forward
    hvp_rf = func.grad(lambda y: func.jvp(f, (y,), (v,))[1])(x).numpy()
    assert np.allclose(hvp_fr, hvp_rf, rtol=1e-10)


def test_tinytorch_seed_examples_through_grad():
    f = lambda x, y: x ** 2 + 2 * x * y + y ** 3
    gx, gy = func.grad(f, argnums=(0, 1))(cr.tensor(5.0), cr.tensor(3.0))
    assert (gx.item(), gy.item()) == (16.0, 37.0)
    assert func.grad(lambda x: (x + 3.0) * (x - 3.0))(cr.tensor(2.0)).item() == 4.0
    assert func.grad(lambda x: x.exp().log())(cr.tensor(1.0)).item() == pytest.approx(1.0)


def test_pytrees_argnums_and_aux():
    params = {"w": cr.tensor([[1.0, 2.0]]), "b": [cr.tensor(0.5)]}

    def loss(p, x):
        out = (x @ p["w"].T + p["b"][0]).sum()
        return out, {"out": out}

    x = cr.tensor([[1.0, 1.0], [2.0, 0.0]])
    g, aux = func.grad(loss, has_aux=True)(params, x)
    assert set(g) == {"w", "b"} and isinstance(g["b"], list)
    assert g["w"].tolist() == [[3.0, 1.0]] and g["b"][0].item() == 2.0
    assert aux["out"].item() == pytest.approx(3.0 + 2.0 + 1.0)
    gp, gx = func.grad(lambda p, x: loss(p, x)[0], argnums=(0, 1))(params, x)
    assert gx.tolist() == [[1.0, 2.0], [1.0, 2.0]]


def test_python_numbers_and_numpy_arrays_in_and_out():
    g = func.grad(lambda x: x ** 3)(2.0)
    assert isinstance(g, float) and g == 12.0
    ga = func.grad(lambda x: (x ** 2).sum())(np.array([1.0, 2.0]))
    assert isinstance(ga, np.ndarray) and ga.tolist() == [2.0, 4.0]
    j = func.jacfwd(lambda x: x * 2)(np.ones(2))
    assert isinstance(j, np.ndarray) and j.tolist() == [[2.0, 0.0], [0.0, 2.0]]


def test_transforms_leave_no_state_behind():
    x = cr.tensor([1.0, 2.0])
    w = cr.tensor([3.0], requires_grad=True)
    func.grad(lambda x: (x * x).sum())(x)
    func.jacrev(lambda w: w * 2)(w)
    func.hessian(lambda x: (x ** 3).sum())(x)
    assert x.grad is None and not x.requires_grad and x.is_leaf
    assert w.grad is None and w.requires_grad and w.is_leaf
    assert not func.grad(lambda x: (x * x).sum())(x).requires_grad


def test_grad_composes_with_ordinary_autograd():
    w = cr.tensor(2.0, requires_grad=True)
    g = func.grad(lambda x: (x * w) ** 2)(cr.tensor(3.0))  # 2 x w^2
    assert g.item() == 24.0 and g.requires_grad
    g.backward()
    assert w.grad.item() == 2 * 3.0 * 2 * 2.0


def test_grad_needs_a_scalar():
    with pytest.raises(RuntimeError, match="scalar"):
        func.grad(lambda x: x * 2)(cr.ones(3))


def test_unused_input_gives_zero_gradient():
    g = func.grad(lambda x, y: (x * 2).sum(), argnums=1)(cr.ones(2), cr.ones(3))
    assert g.tolist() == [0.0, 0.0, 0.0]


def test_linearize():
    out, jvp_fn = func.linearize(lambda x: x.exp(), cr.tensor([0.0, 1.0]))
    assert np.allclose(jvp_fn(cr.tensor([1.0, 1.0])).numpy(), np.exp([0.0, 1.0]))


UNARY_SAMPLE = ["exp", "log", "sin", "tanh", "sigmoid", "sqrt", "gelu", "softplus", "erf"]


@pytest.mark.parametrize("name", UNARY_SAMPLE)
def test_jvp_is_the_transpose_of_vjp(name):
    rng = np.random.default_rng(3)
    x = make((3, 4), 0.2, 2.0)
    m = cr.tensor(rng.standard_normal((4, 2)))
    f = lambda t: getattr(t, name)().reshape(4, 3).T @ m
    v = cr.tensor(rng.standard_normal((3, 4)))
    out, jv = func.jvp(f, (x.detach(),), (v,))
    u = cr.tensor(rng.standard_normal(out.shape))
    _, vjp_fn = func.vjp(f, x.detach())
    (jtu,) = vjp_fn(u)
    assert (jv * u).sum().item() == pytest.approx((v * jtu).sum().item(), rel=1e-10)
