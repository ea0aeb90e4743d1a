"""Complex inputs and outputs in the functional transforms (PyTorch's conjugate-Wirtinger
convention, JAX's ``holomorphic=True``), the complex rules of the inverse trigonometric and
hyperbolic functions, prod, var/std, amax/amin and norm, and constant results.

Oracles: NumPy for values, central differences for gradients (complex: the real and the
imaginary part perturbed: PyTorch's gradient of a real L is dL/dRe + i dL/dIm), and
torch.autograd where it is installed."""
import numpy as np
import pytest

import chainrule as cr
import chainrule.numpy as cnp
from chainrule.autograd import gradcheck
from complex_check import check_complex
from chainrule.func import grad, hessian, jacfwd, jacrev, jvp, value_and_grad, vjp

Z = np.array([0.3 + 0.4j, -2.0 + 0.1j, 1.5 - 0.7j, -0.5 - 2.0j, 2.0 + 3.0j])
H = 1e-6


def fd_grad(f, z):
    """PyTorch's gradient of a real-valued f at complex z: dL/dRe + i dL/dIm."""
    z = np.asarray(z, complex)
    out = np.zeros_like(z)
    for k in range(z.size):
        e = np.zeros_like(z)
        e.flat[k] = 1
        d_re = (f(z + H * e) - f(z - H * e)) / (2 * H)
        d_im = (f(z + 1j * H * e) - f(z - 1j * H * e)) / (2 * H)
        out.flat[k] = d_re + 1j * d_im
    return out


def real_loss(f):
    """A real-valued loss mixing the real and imaginary parts of f (NumPy code)."""
    def loss(z):
        w = f(z)
        return np.sum(np.real(w) * 1.3 + np.imag(w) * 0.7)
    return loss


def torch_grad(fn_name, z, loss_of):
    torch = pytest.importorskip("torch")
    t = torch.tensor(z, requires_grad=True)
    loss_of(getattr(torch, fn_name)(t) if isinstance(fn_name, str) else fn_name(t)).backward()
    return t.grad.numpy()


def torch_real_loss(w):
    return (w.real * 1.3 + w.imag * 0.7).sum()


# ----- the transforms on complex values ------------------------------------------------
def test_grad_abs2_is_two_z_like_torch():
    z = np.array([1 + 2j, 3 - 1j])
    g = grad(lambda z: np.sum(np.abs(z) ** 2))(z)
    assert g.dtype == np.complex128
    np.testing.assert_allclose(g, 2 * z)
    np.testing.assert_allclose(grad(lambda z: cnp.sum(cnp.abs(z) ** 2))(z), 2 * z)
    gt = grad(lambda z: (z.abs() ** 2).sum())(cr.tensor(z))
    assert isinstance(gt, cr.Tensor)
    np.testing.assert_allclose(gt.numpy(), 2 * z)
    np.testing.assert_allclose(g, torch_grad(lambda t: t, z, lambda w: (w.abs() ** 2).sum()))


def test_grad_of_complex_number_and_complex64():
    assert grad(lambda z: np.abs(z) ** 2)(3 + 4j) == pytest.approx(6 + 8j)
    z = np.array([1 + 2j], np.complex64)
    g = grad(lambda z: np.sum(np.abs(z) ** 2))(z)
    assert g.dtype == np.complex64  # the input's dtype, as NumPy keeps it
    np.testing.assert_allclose(g, 2 * z, rtol=1e-6)


def test_no_complex_warning_and_imaginary_part_kept():
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        v, g = value_and_grad(lambda z: np.sum(np.real(z * np.conj(z))))(Z)
    np.testing.assert_allclose(v, np.sum(np.abs(Z) ** 2))
    np.testing.assert_allclose(g, 2 * Z)


@pytest.mark.parametrize("f", [lambda z: np.sum(np.abs(np.sin(z) * z)),
                               lambda z: np.sum(np.real(np.exp(z)) * np.imag(z ** 2))])
def test_grad_matches_finite_differences(f):
    np.testing.assert_allclose(grad(f)(Z), fd_grad(f, Z), rtol=1e-6, atol=1e-6)


def test_vjp_and_jvp_complex_like_torch():
    torch = pytest.importorskip("torch")
    z = np.array([1 + 2j, 3 - 1j])
    v = np.array([0.5 - 1j, 2 + 0.25j])
    out, fn = vjp(lambda z: np.sin(z) * z, z)
    np.testing.assert_allclose(out, np.sin(z) * z)
    (g,) = fn(v)
    zt = torch.tensor(z)
    _, tfn = torch.func.vjp(lambda z: z.sin() * z, zt)
    np.testing.assert_allclose(g, tfn(torch.tensor(v))[0].numpy())
    p, t = jvp(lambda z: np.sin(z) * z, (z,), (v,))
    tp, tt = torch.func.jvp(lambda z: z.sin() * z, (zt,), (torch.tensor(v),))
    np.testing.assert_allclose(p, tp.numpy())
    np.testing.assert_allclose(t, tt.numpy())
    # a real output of complex inputs: a real tangent, as torch's
    p, t = jvp(lambda z: np.abs(z) ** 2, (z,), (v,))
    assert t.dtype == np.float64
    np.testing.assert_allclose(t, 2 * np.real(np.conj(z) * v))


def test_vjp_jvp_refuse_dropping_an_imaginary_part():
    _, fn = vjp(lambda x: x * 2, np.ones(2))
    with pytest.raises(TypeError, match="cotangent 0 is complex"):
        fn(np.ones(2, complex))
    with pytest.raises(TypeError, match="tangent is complex"):
        jvp(lambda x: x * 2, (np.ones(2),), (np.ones(2, complex),))


def test_real_input_complex_output_vjp_and_jacfwd():
    x = np.array([1.0, 2.0])
    f = lambda x: x * (1 + 2j) + np.exp(1j * x)  # noqa: E731
    jac = jacfwd(f)(x)
    np.testing.assert_allclose(jac, np.diag(1 + 2j + 1j * np.exp(1j * x)))
    (g,) = vjp(f, x)[1](np.ones(2, complex))
    assert g.dtype == np.float64
    np.testing.assert_allclose(g, np.real(np.conj(np.diag(jac))))


def test_holomorphic_grad_jacrev_jacfwd_hessian():
    z = np.array([1j, 2.0 + 1j, -0.5 + 0.3j])
    f = lambda z: np.sin(z) * z  # noqa: E731
    df = np.cos(z) * z + np.sin(z)
    d2f = -np.sin(z) * z + 2 * np.cos(z)
    assert grad(lambda z: f(z), holomorphic=True)(1j) == pytest.approx(df[0])
    np.testing.assert_allclose(jacrev(f, holomorphic=True)(z), np.diag(df))
    np.testing.assert_allclose(jacfwd(f, holomorphic=True)(z), np.diag(df))
    np.testing.assert_allclose(hessian(lambda z: np.sum(f(z)), holomorphic=True)(z),
                               np.diag(d2f), rtol=1e-12)
    g2 = grad(grad(lambda w: f(w), holomorphic=True), holomorphic=True)(z[1])
    assert g2 == pytest.approx(d2f[1])
    # the holomorphic derivative is conj of torch's pullback of 1 (torch has no flag)
    torch = pytest.importorskip("torch")
    _, tfn = torch.func.vjp(lambda w: w.sin() * w, torch.tensor(z))
    np.testing.assert_allclose(np.conj(tfn(torch.ones(3, dtype=torch.complex128))[0].numpy()),
                               df)


def test_complex_checks_as_jax():
    z = np.array([1j, 2.0])
    with pytest.raises(TypeError, match="grad requires real-valued outputs.*holomorphic=True"):
        grad(lambda z: np.sum(z * z))(z)
    with pytest.raises(TypeError, match="jacrev requires real-valued outputs"):
        jacrev(lambda z: z * z)(z)
    with pytest.raises(TypeError, match="jacfwd requires real-valued inputs"):
        jacfwd(lambda z: np.abs(z))(z)
    with pytest.raises(TypeError, match="hessian requires real-valued inputs"):
        hessian(lambda z: np.sum(np.abs(z) ** 2))(z)
    with pytest.raises(TypeError, match="holomorphic=True requires inputs with complex"):
        grad(lambda x: np.sum(x * 1j), holomorphic=True)(np.ones(2))
    with pytest.raises(TypeError, match="holomorphic=True requires inputs with complex"):
        jacfwd(lambda x: x * 1j, holomorphic=True)(np.ones(2))
    with pytest.raises(TypeError, match="holomorphic=True requires outputs with complex"):
        grad(lambda z: np.sum(np.abs(z)), holomorphic=True)(z)
    # a real output of complex inputs is fine in reverse mode: rows are torch's gradients
    jac = jacrev(lambda z: np.abs(z) ** 2)(z)
    np.testing.assert_allclose(jac, np.diag(2 * z))


# ----- complex rules -------------------------------------------------------------------
INVERSE = ["arcsin", "arccos", "arctan", "arcsinh", "arccosh", "arctanh"]
TORCH_NAME = {"arcsin": "asin", "arccos": "acos", "arctan": "atan", "arcsinh": "asinh",
              "arccosh": "acosh", "arctanh": "atanh"}


@pytest.mark.parametrize("name", INVERSE)
def test_inverse_functions_complex_values_and_gradients(name):
    f = getattr(np, name)
    # values through np dispatch on an ArrayBox: NumPy's principal branches
    v, g = value_and_grad(lambda z: np.sum(np.real(f(z)) * 1.3 + np.imag(f(z)) * 0.7))(Z)
    np.testing.assert_allclose(v, real_loss(f)(Z))
    np.testing.assert_allclose(g, fd_grad(real_loss(f), Z), rtol=1e-6, atol=1e-7)
    # chainrule.numpy's own function, and the holomorphic derivative = forward mode
    cf = getattr(cnp, name)
    jac = jacfwd(cf, holomorphic=True)(Z)
    np.testing.assert_allclose(jac, jacrev(cf, holomorphic=True)(Z), rtol=1e-12)
    deriv = (f(Z + H) - f(Z - H)) / (2 * H)
    np.testing.assert_allclose(np.diag(jac), deriv, rtol=1e-6)
    # second order (holomorphic): f''
    d2 = np.diag(hessian(lambda z: np.sum(f(z)), holomorphic=True)(Z))
    d1 = lambda z: np.diag(jacrev(cf, holomorphic=True)(z))  # noqa: E731
    np.testing.assert_allclose(d2, (d1(Z + H) - d1(Z - H)) / (2 * H), rtol=1e-5)


@pytest.mark.parametrize("name", INVERSE)
def test_inverse_functions_complex_against_torch(name):
    expected = torch_grad(TORCH_NAME[name], Z, torch_real_loss)
    np.testing.assert_allclose(grad(real_loss(getattr(np, name)))(Z), expected, rtol=1e-10)


@pytest.mark.parametrize("name", INVERSE)
def test_inverse_functions_complex_gradcheck(name):
    f = getattr(np, name)
    check_complex(lambda z: f(z * 0.5 + 0.1j), (4,))


REDUCTIONS = {
    "prod": (lambda z: np.prod(z, axis=1), lambda t: t.prod(1)),
    "var": (lambda z: np.var(z, axis=0), lambda t: t.var(0, unbiased=False)),
    "var_ddof1": (lambda z: np.var(z, ddof=1), lambda t: t.var()),
    "std": (lambda z: np.std(z, axis=1, keepdims=True),
            lambda t: t.std(1, correction=0, keepdim=True)),
    "norm": (lambda z: np.linalg.norm(z), lambda t: t.norm()),
    "norm_axis": (lambda z: np.linalg.norm(z, axis=0), lambda t: t.norm(dim=0)),
    "norm1": (lambda z: np.linalg.norm(z, 1, axis=1), lambda t: t.norm(1, dim=1)),
    "norm3": (lambda z: np.linalg.norm(z, 3, axis=1), lambda t: t.norm(3, dim=1)),
    "norm_inf": (lambda z: np.linalg.norm(z, np.inf, axis=1),
                 lambda t: t.norm(float("inf"), dim=1)),
    "norm_fro": (lambda z: np.linalg.norm(z, "fro"), lambda t: t.norm("fro")),
}
ZM = np.array([[0.3 + 0.4j, -2.0 + 0.1j, 1.5 - 0.7j], [-0.5 - 2.0j, 2.0 + 3.0j, 0.2 - 0.1j]])


def _as_real_loss(f):
    def loss(z):
        w = f(z)
        return np.sum(np.real(w) * 1.3 + np.imag(w) * 0.7) if np.iscomplexobj(w) else \
            np.sum(w * np.arange(1, np.size(w) + 1).reshape(np.shape(w)))
    return loss


@pytest.mark.parametrize("name", list(REDUCTIONS))
def test_complex_reductions_values_and_gradients(name):
    f, _ = REDUCTIONS[name]
    # values and dtypes: NumPy's (var, std and norms of complex values are real)
    for dtype in (np.complex128, np.complex64):
        got = f(cr.func.jvp(lambda z: z, (ZM.astype(dtype),), (ZM.astype(dtype),))[0])
        want = f(ZM.astype(dtype))
        out = jvp(f, (ZM.astype(dtype),), (np.zeros_like(ZM, dtype),))[0]
        assert out.dtype == want.dtype, (out.dtype, want.dtype)
        np.testing.assert_allclose(out, want, rtol=1e-6)
        np.testing.assert_allclose(got, want, rtol=1e-6)
    loss = _as_real_loss(f)
    np.testing.assert_allclose(grad(loss)(ZM), fd_grad(loss, ZM), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", list(REDUCTIONS))
def test_complex_reductions_against_torch(name):
    torch = pytest.importorskip("torch")
    f, tf = REDUCTIONS[name]
    t = torch.tensor(ZM, requires_grad=True)
    w = tf(t)
    if w.is_complex():
        torch_real_loss(w).backward()
    else:
        (w * torch.arange(1, w.numel() + 1, dtype=w.dtype).reshape(w.shape)).sum().backward()
    np.testing.assert_allclose(w.detach().numpy(), f(ZM), rtol=1e-12)
    np.testing.assert_allclose(grad(_as_real_loss(f))(ZM), t.grad.numpy(), rtol=1e-10,
                               atol=1e-12)


@pytest.mark.parametrize("name", ["prod", "var", "std", "norm", "norm_axis", "norm3"])
def test_complex_reductions_gradcheck(name):
    f, _ = REDUCTIONS[name]
    check_complex(f, (2, 3), seed=1)


def test_cumprod_complex():
    loss = _as_real_loss(lambda z: np.cumprod(z, axis=1))
    np.testing.assert_allclose(grad(loss)(ZM), fd_grad(loss, ZM), rtol=1e-6, atol=1e-7)
    z0 = ZM.copy()
    z0[0, 1] = 0
    np.testing.assert_allclose(grad(loss)(z0), fd_grad(loss, z0), rtol=1e-6, atol=1e-7)
    check_complex(lambda z: np.cumprod(z, axis=1), (2, 3), seed=2)


def test_prod_with_a_zero_complex():
    z = np.array([[1 + 1j, 0j, 2 - 1j], [0j, 0j, 1j]])
    loss = _as_real_loss(lambda z: np.prod(z, axis=1))
    np.testing.assert_allclose(grad(loss)(z), fd_grad(loss, z), rtol=1e-6, atol=1e-7)


def test_amax_amin_complex_lexicographic():
    z = np.array([[1 + 5j, 2 - 1j, 2 + 0.5j], [-1 + 0j, -1 + 2j, -3 + 9j]])
    for npf, cnf in ((np.max, cnp.max), (np.amin, cnp.amin), (np.amax, cnp.amax)):
        for axis in (None, 0, 1):
            want = npf(z, axis=axis)
            p, _ = jvp(lambda z: npf(z, axis=axis), (z,), (z,))
            np.testing.assert_array_equal(p, want)
            # the gradient goes to the selected element: its cotangent
            v = np.full(np.shape(want), 0.5 - 2j)
            (g,) = vjp(lambda z: cnf(z, axis=axis), z)[1](v)
            sel = z == (want if axis is None else np.expand_dims(want, axis))
            np.testing.assert_array_equal(g, np.where(sel, 0.5 - 2j, 0))
            # forward mode: the selected element's tangent
            t = np.arange(z.size).reshape(z.shape) * (1 - 1j)
            _, tt = jvp(lambda z: npf(z, axis=axis), (z,), (t,))
            np.testing.assert_array_equal(
                tt, np.sum(np.where(sel, t, 0), axis=axis))
    # distinct real parts (the order is continuous there): finite differences agree
    z = np.array([[1 + 5j, 2.5 - 1j, 2 + 0.5j], [-1 + 0j, -2 + 2j, -3 + 9j]])
    loss = _as_real_loss(lambda z: np.max(z, axis=1))
    np.testing.assert_allclose(grad(loss)(z), fd_grad(loss, z), atol=1e-7)


def test_real_reductions_unchanged():
    x = np.array([[1.0, -2.0, 3.0], [0.5, 4.0, -1.0]])
    for f in (lambda x: np.var(x, axis=1), lambda x: np.linalg.norm(x),
              lambda x: np.prod(x, axis=0), lambda x: np.std(x)):
        np.testing.assert_allclose(jvp(f, (x,), (x,))[0], f(x))
        xt = cr.tensor(x, dtype="float64", requires_grad=True)
        assert gradcheck(f, (xt,))
    assert np.linalg.norm(np.array([0.0, 1 + 1j]), 0).dtype == \
        jvp(lambda z: np.linalg.norm(z, 0), (np.array([0.0, 1 + 1j]),),
            (np.zeros(2, complex),))[0].dtype


# ----- constant results -----------------------------------------------------------------
CONSTANTS = [lambda x: 3.0, lambda x: np.float64(2.0), lambda x: np.ones(()),
             lambda x: cr.tensor(1.0, dtype="float64"), lambda x: np.sum(np.ones(3))]


@pytest.mark.parametrize("f", CONSTANTS)
def test_constant_results_have_zero_derivatives(f):
    x = np.array([1.0, 2.0])
    np.testing.assert_array_equal(grad(f)(x), np.zeros(2))
    v, g = value_and_grad(f)(x)
    assert float(np.asarray(v if not isinstance(v, cr.Tensor) else v.numpy())) == \
        float(np.asarray(f(x).numpy() if isinstance(f(x), cr.Tensor) else f(x)))
    np.testing.assert_array_equal(jacrev(f)(x), np.zeros(2))
    np.testing.assert_array_equal(jacfwd(f)(x), np.zeros(2))
    np.testing.assert_array_equal(hessian(f)(x), np.zeros((2, 2)))
    _, t = jvp(f, (x,), (np.ones(2),))
    np.testing.assert_array_equal(t, 0.0)
    out, fn = vjp(f, x)
    np.testing.assert_array_equal(fn(np.ones(np.shape(out)))[0], np.zeros(2))


def test_constant_array_results_and_tensor_inputs():
    x = np.array([1.0, 2.0])
    const = lambda x: np.arange(3.0)  # noqa: E731
    np.testing.assert_array_equal(jacrev(const)(x), np.zeros((3, 2)))
    np.testing.assert_array_equal(jacfwd(const)(x), np.zeros((3, 2)))
    p, t = jvp(const, (x,), (x,))
    np.testing.assert_array_equal(p, np.arange(3.0))
    np.testing.assert_array_equal(t, np.zeros(3))
    (g,) = vjp(const, x)[1](np.ones(3))
    np.testing.assert_array_equal(g, np.zeros(2))
    xt = cr.tensor([1.0, 2.0])
    gt = grad(lambda x: 1.0)(xt)
    assert isinstance(gt, cr.Tensor) and gt.dtype == xt.dtype
    np.testing.assert_array_equal(gt.numpy(), [0.0, 0.0])
    # a tuple output, part constant
    p, t = jvp(lambda x: (x * 2, 5.0), (x,), (np.ones(2),))
    np.testing.assert_array_equal(t[0], [2.0, 2.0])
    assert float(t[1]) == 0.0
    with pytest.raises(TypeError, match="must return a tensor, an array or a number"):
        grad(lambda x: "a")(x)


def test_constant_complex_result():
    z = np.array([1j, 2.0])
    np.testing.assert_array_equal(grad(lambda z: 1.0)(z), np.zeros(2, complex))
    assert grad(lambda z: 1.0)(z).dtype == np.complex128


# ----- std of one element ---------------------------------------------------------------
def test_std_of_one_element():
    # NumPy code follows JAX (jax-ml/jax#11716): std = sqrt(var), whose slope at var = 0 is
    # infinite, times var's 0: nan, for one element and for all-equal values alike.
    # (Tensor.std masks it to 0, as PyTorch.)
    import warnings
    x = np.array([1.5])
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        assert np.isnan(grad(np.std)(x)[0])
        assert np.isnan(jvp(np.std, (x,), (np.ones(1),))[1])
        assert np.std(x) == 0.0 and np.isnan(np.std(x, ddof=1))  # NumPy's values
        v, g = value_and_grad(lambda x: np.std(x, ddof=1))(x)
        assert np.isnan(v) and np.isnan(g[0])
        assert np.isnan(grad(np.std)(np.full(3, 2.0))).all()
    assert cr.func.grad(lambda t: t.std(correction=0))(cr.tensor([1.5])).tolist() == [0.0]
