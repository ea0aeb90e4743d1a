"""Ten unchanged NumPy programs, of the kinds researchers write, differentiated by chainrule.

Each program below is plain NumPy (``import numpy as np`` and nothing from chainrule): it
takes NumPy arrays and returns a scalar (some also have an array-valued part, used for the
JVP). chainrule differentiates them through ``__array_function__``/``__array_ufunc__``.
One harness checks every program the same way, in float64:

- the value under the transform equals the plain NumPy value;
- ``cr.func.grad`` equals central finite differences, component by component;
- ``cr.func.jvp`` along a random direction equals the finite-difference directional
  derivative (of the array-valued part where the program has one);
- for three programs, Hessian-vector products (forward-over-reverse and
  reverse-over-reverse) equal finite differences of the gradient.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest

import chainrule as cr

RTOL = 1e-5
STEP = 1e-6


# ======================================================================================
# The programs: plain NumPy, nothing from chainrule.
# ======================================================================================

# ----- (1) RK4 integration of a nonlinear ODE (Lotka-Volterra), several steps ---------
def lotka_volterra(y, p):
    a, b, c, d = p
    prey, pred = y
    return np.stack([a * prey - b * prey * pred, c * prey * pred - d * pred])


def rk4_trajectory(p, y0, dt=0.05, steps=20):
    y = y0
    for _ in range(steps):
        k1 = lotka_volterra(y, p)
        k2 = lotka_volterra(y + 0.5 * dt * k1, p)
        k3 = lotka_volterra(y + 0.5 * dt * k2, p)
        k4 = lotka_volterra(y + dt * k3, p)
        y = y + dt / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
    return y


def rk4_loss(p, y0, target):
    y = rk4_trajectory(p, y0)
    return np.sum((y - target) ** 2)


# ----- (2) Gaussian-process log marginal likelihood ------------------------------------
def gp_log_likelihood(log_params, X, y):
    ell, sf, sn = np.exp(log_params)
    sqdist = np.sum((X[:, None, :] - X[None, :, :]) ** 2, axis=-1)
    K = sf ** 2 * np.exp(-0.5 * sqdist / ell ** 2) + sn ** 2 * np.eye(len(X))
    L = np.linalg.cholesky(K)
    alpha = np.linalg.solve(L.T, np.linalg.solve(L, y))
    n = len(y)
    return -0.5 * y @ alpha - np.sum(np.log(np.diag(L))) - 0.5 * n * np.log(2 * np.pi)


# ----- (3) Spectral filter: rfft, parametric low-pass, irfft ---------------------------
def spectral_filter(theta, signal):
    log_cutoff, log_gain, order = theta
    n = signal.shape[0]
    freqs = np.fft.rfftfreq(n)
    response = np.exp(log_gain) / (1.0 + (freqs / np.exp(log_cutoff)) ** (2 * order))
    return np.fft.irfft(np.fft.rfft(signal) * response, n=n)


def spectral_loss(theta, signal, target):
    return np.mean((spectral_filter(theta, signal) - target) ** 2)


# ----- (4) Spring-mass chain in 2D: forces, energy, velocity Verlet --------------------
def spring_forces(q, k, rest):
    d = q[1:] - q[:-1]
    r = np.linalg.norm(d, axis=1)
    f = (k * (r - rest))[:, None] * d / r[:, None]
    F = np.zeros_like(q)
    F[:-1] += f
    F[1:] -= f
    F[:, 1] -= 9.81 * 0.1   # gravity on unit masses, scaled
    return F


def spring_energy(q, v, k, rest):
    r = np.linalg.norm(q[1:] - q[:-1], axis=1)
    return 0.5 * np.sum(v ** 2) + 0.5 * np.sum(k * (r - rest) ** 2) + 0.981 * np.sum(q[:, 1])


def verlet(q0, k, rest, dt=0.02, steps=8):
    q, v = q0, np.zeros_like(q0)
    a = spring_forces(q, k, rest)
    for _ in range(steps):
        q = q + dt * v + 0.5 * dt ** 2 * a
        a_new = spring_forces(q, k, rest)
        v = v + 0.5 * dt * (a + a_new)
        a = a_new
    return q, v


def spring_final_positions(q0, k, rest):
    return verlet(q0, k, rest)[0]


def spring_loss(q0, k, rest):
    q, v = verlet(q0, k, rest)
    return spring_energy(q, v, k, rest) + np.sum((q[-1] - q0[0]) ** 2)


# ----- (5) Softmax regression: log-sum-exp, one-hot, mean NLL --------------------------
def softmax_nll(W, X, labels, l2=1e-2):
    logits = X @ W
    m = logits.max(axis=1, keepdims=True)
    lse = m + np.log(np.sum(np.exp(logits - m), axis=1, keepdims=True))
    onehot = np.eye(W.shape[1])[labels]
    return -np.mean(np.sum(onehot * (logits - lse), axis=1)) + l2 * np.sum(W ** 2)


# ----- (6) Kalman filter log-likelihood (constant-velocity model) ----------------------
def kalman_log_likelihood(theta, observations, dt=0.1):
    damping, log_q, log_r = theta
    A = np.array([[1.0, dt], [0.0, 1.0]]) - dt * damping * np.array([[0.0, 0.0], [0.0, 1.0]])
    H = np.array([[1.0, 0.0]])
    Q = np.exp(log_q) * np.array([[dt ** 3 / 3, dt ** 2 / 2], [dt ** 2 / 2, dt]])
    R = np.exp(log_r) * np.eye(1)
    m, P = np.zeros(2), np.eye(2)
    ll = 0.0
    for z in observations:
        m = A @ m                               # predict
        P = A @ P @ A.T + Q
        S = H @ P @ H.T + R                     # update
        K = P @ H.T @ np.linalg.inv(S)
        e = z - H @ m
        m = m + K @ e
        P = (np.eye(2) - K @ H) @ P
        ll = ll - 0.5 * (np.log(np.linalg.det(S)) + e @ np.linalg.solve(S, e)
                         + np.log(2 * np.pi))
    return ll


# ----- (7) Complex wave propagation: phase screen, angular spectrum, intensity ---------
def propagate_intensity(coeffs, x, z=0.5, k0=40.0):
    phase = coeffs[0] * x + coeffs[1] * x ** 2 + coeffs[2] * x ** 3
    u0 = np.exp(-x ** 2 / 0.1) * np.exp(1j * phase)
    kx = 2 * np.pi * np.fft.fftfreq(x.size, d=x[1] - x[0])
    kz = np.sqrt(np.maximum(k0 ** 2 - kx ** 2, 0.0))
    u = np.fft.ifft(np.fft.fft(u0) * np.exp(1j * kz * z))
    return np.abs(u) ** 2


def wave_loss(coeffs, x, target):
    return np.sum((propagate_intensity(coeffs, x) - target) ** 2)


# ----- (8) Gaussian mixture log-likelihood (logsumexp by the max trick) ----------------
def gmm_log_likelihood(theta, X, n_components=3):
    d = X.shape[1]
    mu = theta[:n_components * d].reshape(n_components, d)
    log_sigma = theta[n_components * d:n_components * (d + 1)]
    logits = theta[n_components * (d + 1):]
    log_w = logits - np.max(logits) - np.log(np.sum(np.exp(logits - np.max(logits))))
    sq = np.sum((X[:, None, :] - mu[None, :, :]) ** 2, axis=-1)
    log_p = (log_w - d * log_sigma - 0.5 * d * np.log(2 * np.pi)
             - 0.5 * sq / np.exp(2 * log_sigma))
    m = np.max(log_p, axis=1, keepdims=True)
    return np.mean(m[:, 0] + np.log(np.sum(np.exp(log_p - m), axis=1)))


# ----- (9) Optimal-control rollout: linear dynamics, tanh policy, quadratic cost -------
def rollout(K, x0, A, B, steps=10, u_max=2.0):
    xs, us = [x0], []
    for t in range(steps):
        u = u_max * np.tanh(K @ xs[t])
        us.append(u)
        xs.append(A @ xs[t] + B @ u)
    return np.stack(xs), np.stack(us)


def rollout_states(K, x0, A, B):
    return rollout(K, x0, A, B)[0]


def control_cost(K, x0, A, B, r=0.1):
    X, U = rollout(K, x0, A, B)
    Q = np.diag([1.0, 0.5])
    cost = 0.0
    for t in range(1, X.shape[0]):
        cost = cost + X[t] @ Q @ X[t]
    return cost + r * np.sum(U ** 2) + 10.0 * np.sum(X[-1] ** 2)


# ----- (10) PCA reconstruction error (SVD of the centred data) -------------------------
def pca_reconstruction_error(X, k=2):
    Xc = X - X.mean(axis=0)
    U, S, Vt = np.linalg.svd(Xc, full_matrices=False)
    P = Vt[:k].T @ Vt[:k]
    return np.mean((Xc - Xc @ P) ** 2)


# ======================================================================================
# The table: each case is a program, its differentiated argument and its fixed data.
# ======================================================================================
@dataclass
class Case:
    """One program: ``loss(x, *data)`` is a scalar; ``vector(x, *data)``, if given, an
    array-valued part of it for the JVP check; ``hvp`` whether second order is checked."""
    name: str
    loss: Callable
    make: Callable[[np.random.Generator], tuple]   # (x, data)
    vector: Callable | None = None
    hvp: bool = False


def _rk4_data(rng):
    p = np.array([1.1, 0.4, 0.1, 0.4]) + 0.05 * rng.standard_normal(4)
    y0 = np.array([10.0, 5.0]) * 0.3
    return p, (y0, np.array([2.5, 1.2]))


def _gp_data(rng):
    X = rng.uniform(-2, 2, size=(8, 2))
    y = np.sin(X[:, 0]) + 0.5 * X[:, 1] + 0.1 * rng.standard_normal(8)
    return np.log(np.array([0.9, 1.2, 0.3])), (X, y)


def _spectral_data(rng):
    t = np.linspace(0, 1, 32, endpoint=False)
    signal = np.sin(2 * np.pi * 3 * t) + 0.3 * rng.standard_normal(32)
    return np.array([np.log(0.15), 0.1, 2.0]), (signal, np.sin(2 * np.pi * 3 * t))


def _spring_data(rng):
    q0 = np.stack([np.arange(4.0), np.zeros(4)], axis=1) + 0.1 * rng.standard_normal((4, 2))
    return q0, (np.array([3.0, 2.0, 4.0]), 1.0)


def _softmax_data(rng):
    X = rng.standard_normal((20, 4))
    return 0.3 * rng.standard_normal((4, 3)), (X, rng.integers(0, 3, size=20))


def _kalman_data(rng):
    t = 0.1 * np.arange(8)
    obs = (np.sin(t) + 0.1 * rng.standard_normal(8))[:, None]
    return np.array([0.3, np.log(0.5), np.log(0.05)]), (obs,)


def _wave_data(rng):
    x = np.linspace(-1, 1, 32, endpoint=False)
    target = np.exp(-(x - 0.1) ** 2 / 0.05)
    return np.array([1.0, -2.0, 0.5]) + 0.1 * rng.standard_normal(3), (x, target)


def _gmm_data(rng):
    X = np.concatenate([rng.normal(-2, 0.5, (10, 2)), rng.normal(1, 0.8, (10, 2))])
    theta = np.concatenate([rng.standard_normal(6), np.log([0.6, 0.9, 1.2]), [0.1, -0.2, 0.3]])
    return theta, (X,)


def _control_data(rng):
    A = np.array([[1.0, 0.1], [0.0, 1.0]])
    B = np.array([[0.005], [0.1]])
    return np.array([[-0.8, -1.1]]) + 0.1 * rng.standard_normal((1, 2)), (
        np.array([1.0, 0.0]), A, B)


def _pca_data(rng):
    return rng.standard_normal((10, 4)) @ np.diag([3.0, 2.0, 1.0, 0.5]), ()


CASES = [
    Case("rk4_ode", rk4_loss, _rk4_data, vector=lambda p, y0, _t: rk4_trajectory(p, y0)),
    Case("gp_likelihood", gp_log_likelihood, _gp_data, hvp=True),
    Case("spectral_filter", spectral_loss, _spectral_data,
         vector=lambda th, s, _t: spectral_filter(th, s), hvp=True),
    Case("spring_mass", spring_loss, _spring_data, vector=spring_final_positions),
    Case("softmax_regression", softmax_nll, _softmax_data, hvp=True),
    Case("kalman_filter", kalman_log_likelihood, _kalman_data),
    Case("complex_wave", wave_loss, _wave_data,
         vector=lambda c, x, _t: propagate_intensity(c, x)),
    Case("gmm_likelihood", gmm_log_likelihood, _gmm_data),
    Case("control_rollout", control_cost, _control_data, vector=rollout_states),
    Case("pca_reconstruction", pca_reconstruction_error, _pca_data),
]


def _params(cases):
    return [pytest.param(c, id=c.name) for c in cases]


# ======================================================================================
# The harness.
# ======================================================================================
def _setup(case: Case):
    rng = np.random.default_rng(sum(map(ord, case.name)))
    x, data = case.make(rng)
    x = np.asarray(x, dtype=np.float64)
    v = rng.standard_normal(x.shape)
    return x, data, v


def _fd_directional(f, x, v, h=STEP):
    """Central difference of ``f`` (scalar or array valued) along ``v``."""
    return (np.asarray(f(x + h * v)) - np.asarray(f(x - h * v))) / (2 * h)


def _fd_gradient(f, x, h=STEP):
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = 1.0
        g[i] = _fd_directional(f, x, e, h)
    return g


def _close(actual, expected, what):
    actual, expected = np.asarray(actual), np.asarray(expected)
    scale = max(1.0, float(np.max(np.abs(expected), initial=0.0)))
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=RTOL * 1e-2 * scale,
                               err_msg=what)


@pytest.mark.parametrize("case", _params(CASES))
def test_value_and_gradient(case):
    x, data, _ = _setup(case)
    f = lambda p: case.loss(p, *data)  # noqa: E731
    plain = f(x)
    value, g = cr.func.value_and_grad(case.loss)(x, *data)
    assert isinstance(g, np.ndarray) and g.shape == x.shape and g.dtype == np.float64
    np.testing.assert_allclose(value, plain, rtol=1e-12, err_msg="value differs from NumPy")
    _close(g, _fd_gradient(f, x), f"{case.name}: gradient vs finite differences")


@pytest.mark.parametrize("case", _params(CASES))
def test_jvp(case):
    x, data, v = _setup(case)
    fn = case.vector or case.loss
    f = lambda p: fn(p, *data)  # noqa: E731
    out, tangent = cr.func.jvp(f, (x,), (v,))
    plain = np.asarray(f(x))
    assert np.shape(out) == plain.shape and np.shape(tangent) == plain.shape
    np.testing.assert_allclose(out, plain, rtol=1e-12, err_msg="jvp primal differs from NumPy")
    _close(tangent, _fd_directional(f, x, v), f"{case.name}: jvp vs finite differences")


@pytest.mark.parametrize("case", _params([c for c in CASES if c.hvp]))
def test_hessian_vector_product(case):
    x, data, v = _setup(case)
    grad_f = cr.func.grad(lambda p: case.loss(p, *data))
    expected = _fd_directional(grad_f, x, v, h=1e-5)
    _, fwd_over_rev = cr.func.jvp(grad_f, (x,), (v,))
    _close(fwd_over_rev, expected, f"{case.name}: forward-over-reverse HVP")
    rev_over_rev = cr.func.grad(lambda p: np.sum(grad_f(p) * v))(x)
    _close(rev_over_rev, expected, f"{case.name}: reverse-over-reverse HVP")


def test_harness_catches_a_wrong_gradient():
    """The checks can fail: a program whose recorded gradient is wrong by a factor."""
    x = np.array([0.3, -0.7, 1.1])
    with pytest.raises(AssertionError):
        _close(2 * cr.func.grad(lambda p: np.sum(np.sin(p) ** 2))(x),
               _fd_gradient(lambda p: np.sum(np.sin(p) ** 2), x), "wrong on purpose")
