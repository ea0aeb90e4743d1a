"""Plain NumPy code on chainrule tensors: the protocols, chainrule.numpy, ArrayBox."""
import numpy as np
import pytest

import chainrule as cr
import chainrule.numpy as cnp
from chainrule.autograd import gradcheck
from chainrule.numpy._dispatch import _UFUNCS
from chainrule.scipy import special
from conftest import make

rng = np.random.default_rng(42)
A = rng.uniform(0.5, 2.0, (3, 4))
B = rng.uniform(0.5, 2.0, (4, 3))
V3 = rng.uniform(-1, 1, (2, 3))
W3 = rng.uniform(-1, 1, (2, 3))
SPD = (lambda m: m @ m.T + 4 * np.eye(4))(rng.standard_normal((4, 4)))
SQUARE = rng.standard_normal((4, 4)) + 4 * np.eye(4)
TALL = rng.standard_normal((5, 3))

# name, function applied to NumPy arrays and to tensors alike (through np.*), inputs
CASES = [
    ("sum_axes", lambda x: np.sum(x, axis=(0, 1)), [A]),
    ("sum_keepdims", lambda x: np.sum(x, axis=1, keepdims=True), [A]),
    ("mean", lambda x: np.mean(x, axis=0), [A]),
    ("prod", lambda x: np.prod(x, axis=1), [A]),
    ("var", lambda x: np.var(x, axis=1), [A]),
    ("std_ddof", lambda x: np.std(x, ddof=1), [A]),
    ("max", lambda x: np.max(x, axis=0), [A]),
    ("amin", lambda x: np.amin(x), [A]),
    ("cumsum", lambda x: np.cumsum(x, axis=1), [A]),
    ("cumprod", lambda x: np.cumprod(x), [A]),
    ("ptp", lambda x: np.ptp(x, axis=1), [A]),
    ("average", lambda x: np.average(x, axis=1, weights=np.array([1.0, 2.0, 3.0, 4.0])), [A]),
    ("dot_2d", lambda x, y: np.dot(x, y), [A, B]),
    ("dot_nd", lambda x, y: np.dot(x.reshape(3, 2, 2), y.reshape(2, 2, 3)), [A, B]),
    ("vdot", lambda x, y: np.vdot(x, y.T), [A, B]),
    ("inner", lambda x, y: np.inner(x, y.T), [A, B]),
    ("outer", lambda x, y: np.outer(x[0], y[:, 0]), [A, B]),
    ("matmul", lambda x, y: np.matmul(x, y), [A, B]),
    ("matmul_op", lambda x, y: x @ y, [A, B]),
    ("tensordot", lambda x, y: np.tensordot(x, y, axes=([1], [0])), [A, B]),
    ("tensordot_2", lambda x, y: np.tensordot(x.reshape(3, 2, 2), y.reshape(2, 2, 3)), [A, B]),
    ("einsum", lambda x, y: np.einsum("ij,jk->ik", x, y), [A, B]),
    ("einsum_implicit", lambda x, y: np.einsum("ij,jk", x, y), [A, B]),
    ("einsum_reduce", lambda x: np.einsum("ij->j", x), [A]),
    ("einsum_ellipsis", lambda x, y: np.einsum("...j,jk->...k", x, y), [A, B]),
    ("kron", lambda x, y: np.kron(x[:2, :2], y[:2, :3]), [A, B]),
    ("trace", lambda x: np.trace(x), [A]),
    ("diag_of_matrix", lambda x: np.diag(x, 1), [A]),
    ("diag_vector", lambda x: np.diag(x[0], -1), [A]),
    ("diagonal", lambda x: np.diagonal(x.reshape(2, 2, 3), axis1=0, axis2=2), [A]),
    ("triu_tril", lambda x: np.triu(x, 1) + np.tril(x, -1) * 2, [A]),
    ("reshape_ravel", lambda x: np.ravel(np.reshape(x, (2, 6))), [A]),
    ("transpose", lambda x: np.transpose(x.reshape(2, 3, 2), (2, 0, 1)), [A]),
    ("moveaxis_swapaxes", lambda x: np.swapaxes(np.moveaxis(x.reshape(2, 3, 2), 0, -1), 0, 1), [A]),
    ("squeeze_expand", lambda x: np.squeeze(np.expand_dims(x, 1), 1), [A]),
    ("broadcast_to", lambda x: np.broadcast_to(x[0], (2, 4)), [A]),
    ("concatenate", lambda x, y: np.concatenate([x, y.T], axis=1), [A, B]),
    ("stack", lambda x, y: np.stack([x, y.T], axis=-1), [A, B]),
    ("hstack_vstack_dstack", lambda x, y: np.hstack([x, y.T]).sum() + np.vstack([x, y.T]).sum()
     * np.dstack([x, y.T]).sum(), [A, B]),
    ("split", lambda x: np.split(x, 2, axis=1)[1], [A]),
    ("array_split", lambda x: np.array_split(x, 3, axis=1)[0], [A]),
    ("tile", lambda x: np.tile(x, (2, 1)), [A]),
    ("repeat", lambda x: np.repeat(x, 2, axis=0), [A]),
    ("repeat_varying", lambda x: np.repeat(x, [1, 0, 3], axis=0), [A]),
    ("flip_roll", lambda x: np.roll(np.flip(x, 1), 1, axis=0), [A]),
    ("pad", lambda x: np.pad(x, ((1, 0), (0, 2))), [A]),
    ("clip", lambda x: np.clip(x, 0.8, 1.5), [A]),
    ("where", lambda x, y: np.where(x > 1.0, x, y.T), [A, B]),
    ("select", lambda x: np.select([x < 0.8, x > 1.5], [x * 2, x ** 2], 0.0), [A]),
    ("take", lambda x: np.take(x, [0, 5, 5, 11]), [A]),
    ("take_axis", lambda x: np.take(x, [3, 0, 3], axis=1), [A]),
    ("take_along_axis", lambda x: np.take_along_axis(x, np.argsort(x, axis=1), axis=1), [A]),
    ("sort", lambda x: np.sort(x, axis=0), [A]),
    ("partition", lambda x: np.partition(x, 1, axis=1)[:, :2], [A]),
    ("cross", lambda x, y: np.cross(x, y), [V3, W3]),
    ("ufuncs", lambda x: np.exp(x) + np.log1p(x) * np.arctan2(x, 1.0) - np.hypot(x, 2.0)
     + np.sinh(x) / np.cosh(x) + np.degrees(x) + np.fmax(x, 1.0) + np.logaddexp2(x, 0.5), [A]),
    ("ufunc_methods", lambda x: np.add.reduce(x, axis=1) * np.maximum.reduce(x, axis=1)
     + np.multiply.accumulate(x, axis=0)[-1].sum() + np.subtract.outer(x[0], x[1]).sum(), [A]),
    ("linalg_norm", lambda x: np.linalg.norm(x) + np.linalg.norm(x, axis=1).sum()
     + np.linalg.norm(x[0], ord=1) + np.linalg.norm(x[1], ord=np.inf), [A]),
    ("inv", lambda x: np.linalg.inv(x), [SQUARE]),
    ("det", lambda x: np.linalg.det(x), [SQUARE]),
    ("slogdet", lambda x: np.linalg.slogdet(x)[1], [SQUARE]),
    ("solve_matrix", lambda x, y: np.linalg.solve(x, y), [SQUARE, SPD]),
    ("solve_vector", lambda x, y: np.linalg.solve(x, y[0]), [SQUARE, SPD]),
    ("cholesky", lambda x: np.linalg.cholesky(x), [SPD]),
    ("eigh_values", lambda x: np.linalg.eigh(x)[0], [SPD]),
    ("eigh_vectors_abs", lambda x: np.abs(np.linalg.eigh(x)[1]), [SPD]),
    ("eigvalsh", lambda x: np.linalg.eigvalsh(x), [SPD]),
    ("svd_values", lambda x: np.linalg.svd(x, compute_uv=False), [TALL]),
    ("svd_reconstruct",
     lambda x: (lambda u, s, vh: (u * s) @ vh)(*np.linalg.svd(x, full_matrices=False)), [TALL]),
    ("svd_vectors", lambda x: np.linalg.svd(x, full_matrices=False)[0] * 1.0, [TALL]),
    ("qr", lambda x: np.linalg.qr(x)[0] + np.linalg.qr(x)[1].sum(), [TALL]),
    ("pinv", lambda x: np.linalg.pinv(x), [TALL]),
    ("matrix_power", lambda x: np.linalg.matrix_power(x, 3) + np.linalg.matrix_power(x, -1),
     [SQUARE]),
    ("multi_dot", lambda x, y: np.linalg.multi_dot([x, y, x]), [A, B]),
    ("diff", lambda x: np.diff(x, n=2, axis=1) + 0 * np.diff(x, axis=0, prepend=0.0)[:, :2], [A]),
    ("median", lambda x: np.median(x, axis=1) + np.median(x), [A]),
    ("nansum_nanmean", lambda x: np.nansum(x, axis=0) * np.nanmean(x), [A]),
    ("meshgrid", lambda x, y: (sum(g.sum() for g in np.meshgrid(x[0], y[:, 0]))
                               * np.meshgrid(x[0], y[0], indexing="ij")[1]), [A, B]),
    ("polyval", lambda x: np.polyval(x[0], x[1]), [A]),
    ("flips_rot90", lambda x: np.flipud(x) + np.fliplr(x) + np.rot90(x, 2), [A]),
    ("append", lambda x, y: np.append(x, y.T, axis=0), [A, B]),
]


@pytest.mark.parametrize("name,fn,arrays", CASES, ids=[c[0] for c in CASES])
def test_values_match_numpy_and_gradients_match_finite_differences(name, fn, arrays):
    expected = fn(*arrays)
    tensors = [cr.tensor(a, requires_grad=True) for a in arrays]
    got = fn(*tensors)
    assert isinstance(got, cr.Tensor)
    assert got.shape == np.shape(expected)
    assert np.allclose(got.detach().numpy(), expected, rtol=1e-7, atol=1e-9)
    assert gradcheck(fn, tensors, atol=1e-5, rtol=1e-4)


def test_scipy_special():
    x = make((2, 3), 0.5, 3.0)
    from scipy import special as ref
    assert np.allclose(special.gammaln(x).detach().numpy(), ref.gammaln(x.detach().numpy()))
    assert np.allclose(special.expit(x).detach().numpy(), ref.expit(x.detach().numpy()))
    assert np.allclose(special.logsumexp(x, axis=1).detach().numpy(),
                       ref.logsumexp(x.detach().numpy(), axis=1))
    for f in (special.gammaln, special.digamma, special.expit, special.erf,
              lambda t: special.logsumexp(t, axis=0)):
        assert gradcheck(f, (x,))


def test_mixed_inputs_and_reflected_ufuncs():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    arr = np.array([3.0, 4.0])
    for y in (np.add(arr, x), arr * x, np.maximum(x, 1.5), np.power(2.0, x), arr @ x):
        assert isinstance(y, cr.Tensor) and y.requires_grad
    assert (np.greater(x, 1.5)).tolist() == [False, True]
    assert np.isnan(x).tolist() == [False, False]
    assert np.argmax(x) == 1 and np.shape(x) == (2,) and np.ndim(x) == 1


def test_out_argument():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    target = cr.zeros(2)
    result = np.multiply(x, 3.0, out=target)
    assert result is target and target.requires_grad
    target.sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]
    plain = np.zeros(2)
    np.multiply(cr.tensor([1.0, 2.0]), 2.0, out=plain)
    assert plain.tolist() == [2.0, 4.0]
    with pytest.raises(TypeError, match="drop its gradient"):
        np.multiply(x, 2.0, out=np.zeros(2))


def test_add_at_accumulates_and_is_differentiable():
    v = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    acc = cr.zeros(4)
    np.add.at(acc, [0, 0, 3], v)
    assert acc.tolist() == [3.0, 0.0, 0.0, 3.0]
    (acc * cr.tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
    assert v.grad.tolist() == [1.0, 1.0, 4.0]


def test_unsupported_functions_are_refused_by_name():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match="numpy.histogram is not differentiable by chainrule yet"):
        np.histogram(x)
    with pytest.raises(TypeError, match="numpy.unique"):
        np.unique(x)
    with pytest.raises(TypeError, match="numpy.spacing"):
        np.spacing(x)
    with pytest.raises(TypeError, match=r"numpy.add.reduceat"):
        np.add.reduceat(x, [0])
    with pytest.raises(RuntimeError, match="detach"):
        np.asarray(x)


def test_array_box_behaves_like_an_ndarray_inside_transforms():
    seen = {}

    def f(w):
        seen["size"] = w.size
        seen["copy"] = w.copy()
        seen["max"] = w.reshape(2, 2).max(axis=0)
        return np.sum(w.max(axis=0) ** 2) + w.var() + w.sum(axis=None)

    w = np.array([1.0, 3.0, 2.0, 5.0])
    g = cr.func.grad(f)(w)
    assert seen["size"] == 4 and isinstance(seen["size"], int)
    assert isinstance(seen["copy"], cnp.ArrayBox) and seen["max"].shape == (2,)
    assert isinstance(g, np.ndarray)
    expected = np.array([0.0, 0.0, 0.0, 10.0]) + 2 * (w - w.mean()) / 4 + 1
    assert np.allclose(g, expected)


def test_grad_of_plain_numpy_function_returns_numpy():
    g = cr.func.grad(lambda w: np.sum(np.tanh(w) ** 2))(np.ones(3))
    assert isinstance(g, np.ndarray)
    assert np.allclose(g, 2 * np.tanh(1.0) * (1 - np.tanh(1.0) ** 2))


# An existing NumPy program, written without chainrule in mind.
def logistic_loss(weights, inputs, targets, l2=0.01):
    logits = inputs @ weights[:-1] + weights[-1]
    probabilities = 1.0 / (1.0 + np.exp(-logits))
    eps = 1e-12
    nll = -np.mean(targets * np.log(probabilities + eps)
                   + (1 - targets) * np.log(1 - probabilities + eps))
    return nll + l2 * np.sum(weights[:-1] ** 2)


def spring_chain_energy(positions, stiffness=10.0, rest=1.0, dt=0.01):
    """One symplectic-Euler step of a chain of masses on springs; returns the energy."""
    velocities = np.zeros_like(positions)
    stretch = np.diff(positions)
    tension = stiffness * (np.abs(stretch) - rest) * np.sign(stretch)
    forces = np.concatenate([tension[:1], tension[1:] - tension[:-1], -tension[-1:]])
    velocities = velocities + dt * forces
    new_positions = positions + dt * velocities
    new_stretch = np.diff(new_positions)
    potential = 0.5 * stiffness * np.sum((np.abs(new_stretch) - rest) ** 2)
    kinetic = 0.5 * np.sum(velocities ** 2)
    return potential + kinetic


def test_differentiates_an_unmodified_numpy_program():
    data_rng = np.random.default_rng(0)
    inputs = data_rng.standard_normal((20, 3))
    targets = (inputs @ np.array([1.0, -2.0, 0.5]) > 0).astype(float)
    weights = data_rng.standard_normal(4) * 0.1
    grad = cr.func.grad(logistic_loss)(weights, inputs, targets)
    eps = 1e-6
    numeric = np.array([(logistic_loss(weights + eps * e, inputs, targets)
                         - logistic_loss(weights - eps * e, inputs, targets)) / (2 * eps)
                        for e in np.eye(4)])
    assert isinstance(grad, np.ndarray) and np.allclose(grad, numeric, rtol=1e-6, atol=1e-9)

    positions = np.array([0.0, 1.3, 2.1, 3.6])
    g = cr.func.grad(spring_chain_energy)(positions)
    numeric = np.array([(spring_chain_energy(positions + eps * e)
                         - spring_chain_energy(positions - eps * e)) / (2 * eps)
                        for e in np.eye(4)])
    assert np.allclose(g, numeric, rtol=1e-6, atol=1e-8)
    h = cr.func.hessian(spring_chain_energy)(positions)
    assert h.shape == (4, 4) and np.allclose(h, h.T)


SIGNAL = np.random.default_rng(7).standard_normal(8)
FILTER = np.exp(1j * np.linspace(0, 1, 5))
FFT_CASES = [
    ("abs_rfft", lambda t: (np.abs(np.fft.rfft(t)) ** 2).sum()),
    ("irfft_filter", lambda t: np.fft.irfft(np.fft.rfft(t) * FILTER)),
    ("ifft_fft", lambda t: np.real(np.fft.ifft(np.fft.fft(t) * np.exp(1j * np.arange(8))))
     + np.imag(np.fft.fft(t))),
    ("fft2_ifft2", lambda t: np.abs(np.fft.fft2(t.reshape(2, 4)))
     + np.real(np.fft.ifft2(t.reshape(2, 4) * 1j))),
    ("fftn_ifftn", lambda t: np.real(np.fft.ifftn(np.fft.fftn(t.reshape(2, 4)) ** 2))),
    ("irfft_odd_n", lambda t: np.fft.irfft(np.fft.rfft(t[:7]), n=7)),
    ("fft_zero_padded", lambda t: np.abs(np.fft.fft(t, n=12))),
    ("complex_arithmetic", lambda t: np.abs(np.exp(np.fft.fft(t) * 0.1j) * (1 + 2j) /
                                            (np.fft.fft(t) + 3.0)) + np.conj(np.fft.fft(t)).imag),
]


@pytest.mark.parametrize("name,fn", FFT_CASES, ids=[c[0] for c in FFT_CASES])
def test_fft_values_and_gradients(name, fn):
    x = cr.tensor(SIGNAL, requires_grad=True)
    assert np.allclose(fn(x).detach().numpy(), fn(SIGNAL))
    assert gradcheck(fn, (x,))


def test_complex_values_built_from_real_parts_and_second_order():
    from chainrule.autograd import gradgradcheck
    re, im = make((6,), seed=1), make((6,), seed=2)
    assert gradcheck(lambda a, b: np.abs(np.fft.fft(a + 1j * b)) ** 2, (re, im))
    assert gradgradcheck(lambda t: (np.abs(np.fft.rfft(t)) ** 3).sum(), (make((8,)),))


def test_ops_without_complex_rules_refuse_complex_values():
    z = cr.tensor(np.array([1 + 1j, 2 - 1j]), requires_grad=True)
    with pytest.raises(NotImplementedError, match="complex"):
        np.sign(z)
    assert (z * z).requires_grad and (z @ z).requires_grad and np.abs(z).dtype == np.float64


def _ufunc_cases():
    for ufunc in _UFUNCS:
        if ufunc is np.matmul:
            continue  # needs matrices; covered by the matmul cases above
        yield pytest.param(ufunc, id=ufunc.__name__)


@pytest.mark.parametrize("ufunc", list(_ufunc_cases()))
def test_every_differentiable_ufunc_through_numpy(ufunc):
    low, high = (1.1, 1.9) if ufunc is np.arccosh else (0.2, 0.9)
    args = [make((2, 3), low, high, seed=1)]
    if ufunc.nin == 2:
        args.append(make((3,), 1.1, 1.9, seed=2))  # broadcast second operand
    expected = ufunc(*[a.detach().numpy() for a in args])
    got = ufunc(*args)
    assert isinstance(got, cr.Tensor) and np.allclose(got.detach().numpy(), expected)
    assert gradcheck(lambda *xs: ufunc(*xs), args)
