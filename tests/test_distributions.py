"""chainrule.distributions: values, gradients, samples and validation, with known values
(no torch needed) and against torch.distributions as the oracle."""
import math

import numpy as np
import pytest

import chainrule as cr
import chainrule.distributions as D
from chainrule.autograd import gradcheck, gradgradcheck

LOG_2PI = math.log(2 * math.pi)


def f64(data, requires_grad=False):
    return cr.tensor(data, dtype=cr.float64, requires_grad=requires_grad)


def spd(n, batch=(), seed=0):
    """A symmetric positive-definite float64 array of shape batch + (n, n)."""
    a = np.random.default_rng(seed).normal(size=batch + (n, n))
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


# ----- known values --------------------------------------------------------------------
def test_normal_known_values():
    d = D.Normal(0.0, 1.0)
    assert d.batch_shape == () and d.event_shape == ()
    assert d.log_prob(cr.tensor(0.0)).item() == pytest.approx(-0.5 * LOG_2PI)
    assert d.entropy().item() == pytest.approx(0.5 + 0.5 * LOG_2PI)
    assert d.cdf(cr.tensor(0.0)).item() == pytest.approx(0.5)
    d = D.Normal(f64([1.0, -2.0]), f64([2.0, 0.5]))
    x = f64([3.0, -2.0])
    want = [-0.5 - math.log(2.0) - 0.5 * LOG_2PI, -math.log(0.5) - 0.5 * LOG_2PI]
    np.testing.assert_allclose(d.log_prob(x).numpy(), want)
    np.testing.assert_allclose(d.variance.numpy(), [4.0, 0.25])
    np.testing.assert_allclose(d.stddev.numpy(), [2.0, 0.5])
    np.testing.assert_allclose(d.mean.numpy(), [1.0, -2.0])
    assert d.log_prob(x).dtype == cr.float64


def test_normal_defaults_to_float32_and_broadcasts():
    d = D.Normal(cr.zeros(3, 1), cr.ones(4))
    assert d.batch_shape == (3, 4) and d.loc.dtype == cr.float32
    assert d.log_prob(cr.zeros(4)).shape == (3, 4)
    assert repr(D.Normal(0.0, 1.0)) == "Normal(loc: 0.0, scale: 1.0)"
    assert repr(d) == "Normal(loc: (3, 4), scale: (3, 4))"


def test_categorical_known_values():
    d = D.Categorical(probs=f64([2.0, 3.0, 5.0]))  # normalized over the last dim
    np.testing.assert_allclose(d.probs.numpy(), [0.2, 0.3, 0.5])
    np.testing.assert_allclose(d.log_prob(cr.tensor([0, 1, 2])).numpy(),
                               np.log([0.2, 0.3, 0.5]))
    p = np.array([0.2, 0.3, 0.5])
    assert d.entropy().item() == pytest.approx(-(p * np.log(p)).sum())
    assert d.mode.item() == 2
    assert d.batch_shape == () and d.event_shape == ()
    assert np.isnan(d.mean.numpy()) and np.isnan(d.variance.numpy())
    np.testing.assert_array_equal(d.enumerate_support().numpy(), [0, 1, 2])
    d = D.Categorical(logits=f64([[0.0, 0.0], [math.log(3.0), 0.0]]))
    np.testing.assert_allclose(d.probs.numpy(), [[0.5, 0.5], [0.75, 0.25]])
    np.testing.assert_allclose(d.logits.numpy(), np.log([[0.5, 0.5], [0.75, 0.25]]))
    assert d.batch_shape == (2,)
    assert d.enumerate_support().shape == (2, 2)
    assert d.enumerate_support(expand=False).shape == (2, 1)


def test_categorical_zero_probability_entropy_and_log_prob():
    d = D.Categorical(probs=f64([0.0, 1.0]))
    assert d.entropy().item() == pytest.approx(0.0, abs=1e-15)  # log of a clamped 1, as torch
    assert d.log_prob(cr.tensor(1)).item() == pytest.approx(0.0)
    assert d.log_prob(cr.tensor(0)).item() < -30  # log of a clamped 0


def test_categorical_log_prob_broadcasts_values_against_batch():
    d = D.Categorical(logits=cr.zeros(2, 4))
    assert d.log_prob(cr.tensor([[0], [3], [1]])).shape == (3, 2)
    np.testing.assert_allclose(d.log_prob(cr.tensor([1, 2])).numpy(), [math.log(0.25)] * 2,
                               rtol=1e-6)


def test_bernoulli_known_values():
    d = D.Bernoulli(0.3)
    assert d.batch_shape == () and d.probs.dtype == cr.float32
    assert d.log_prob(cr.tensor(1.0)).item() == pytest.approx(math.log(0.3), rel=1e-5)
    assert d.log_prob(cr.tensor(0.0)).item() == pytest.approx(math.log(0.7), rel=1e-5)
    h = -(0.3 * math.log(0.3) + 0.7 * math.log(0.7))
    assert d.entropy().item() == pytest.approx(h, rel=1e-5)
    assert d.mean.item() == pytest.approx(0.3)
    assert d.variance.item() == pytest.approx(0.21)
    d = D.Bernoulli(logits=f64([0.0, math.log(3.0)]))
    np.testing.assert_allclose(d.probs.numpy(), [0.5, 0.75])
    np.testing.assert_allclose(d.log_prob(f64([1.0, 0.0])).numpy(), np.log([0.5, 0.25]))
    mode = D.Bernoulli(f64([0.2, 0.5, 0.9])).mode.numpy()
    assert mode[0] == 0 and np.isnan(mode[1]) and mode[2] == 1
    np.testing.assert_array_equal(d.enumerate_support().numpy(), [[0, 0], [1, 1]])


def test_multivariate_normal_parametrizations_agree():
    cov = spd(3, seed=1)
    loc = f64([0.5, -1.0, 2.0])
    x = f64([[0.0, 0.0, 0.0], [1.0, -2.0, 3.0]])
    a = D.MultivariateNormal(loc, covariance_matrix=f64(cov))
    b = D.MultivariateNormal(loc, scale_tril=f64(np.linalg.cholesky(cov)))
    c = D.MultivariateNormal(loc, precision_matrix=f64(np.linalg.inv(cov)))
    diff = x.numpy() - loc.numpy()
    maha = np.einsum("bi,ij,bj->b", diff, np.linalg.inv(cov), diff)
    want = -0.5 * (3 * LOG_2PI + maha + np.log(np.linalg.det(cov)))
    for d in (a, b, c):
        np.testing.assert_allclose(d.log_prob(x).numpy(), want, rtol=1e-10)
        np.testing.assert_allclose(d.covariance_matrix.numpy(), cov, rtol=1e-10)
        np.testing.assert_allclose(d.precision_matrix.numpy(), np.linalg.inv(cov), rtol=1e-8)
        np.testing.assert_allclose(d.scale_tril.numpy(), np.linalg.cholesky(cov), rtol=1e-8,
                                   atol=1e-12)
        np.testing.assert_allclose(d.variance.numpy(), np.diag(cov), rtol=1e-10)
        h = 0.5 * 3 * (1 + LOG_2PI) + 0.5 * np.log(np.linalg.det(cov))
        assert d.entropy().item() == pytest.approx(h, rel=1e-10)
        assert d.batch_shape == () and d.event_shape == (3,)


def test_multivariate_normal_diagonal_is_independent_normals():
    loc, sd = f64([[0.0, 1.0], [2.0, 3.0]]), np.array([0.5, 2.0])
    d = D.MultivariateNormal(loc, scale_tril=f64(np.diag(sd)))
    assert d.batch_shape == (2,) and d.event_shape == (2,)
    x = f64([1.0, 1.0])
    want = D.Normal(loc, f64(sd)).log_prob(x).sum(-1)
    np.testing.assert_allclose(d.log_prob(x).numpy(), want.numpy())
    assert d.entropy().shape == (2,)
    np.testing.assert_allclose(d.mean.numpy(), loc.numpy())


def test_kl_known_values():
    p, q = D.Normal(f64(0.0), f64(1.0)), D.Normal(f64(1.0), f64(2.0))
    want = math.log(2.0) + (1 + 1) / (2 * 4) - 0.5
    assert D.kl_divergence(p, q).item() == pytest.approx(want)
    assert D.kl_divergence(p, p).item() == 0.0
    cp, cq = D.Categorical(f64([0.5, 0.5, 0.0])), D.Categorical(f64([0.25, 0.75, 0.0]))
    want = 0.5 * math.log(2.0) + 0.5 * math.log(2 / 3)
    assert D.kl_divergence(cp, cq).item() == pytest.approx(want)
    assert D.kl_divergence(D.Categorical(f64([0.5, 0.5])),
                           D.Categorical(f64([1.0, 0.0]))).item() == math.inf
    bp = D.Bernoulli(f64([0.0, 1.0, 0.5]))
    bq = D.Bernoulli(f64([0.5, 0.0, 0.5]))
    np.testing.assert_allclose(D.kl_divergence(bp, bq).numpy(), [math.log(2), math.inf, 0])
    cov = spd(2, seed=3)
    m = D.MultivariateNormal(f64([0.0, 1.0]), f64(cov))
    assert D.kl_divergence(m, m).item() == pytest.approx(0.0, abs=1e-12)
    # Diagonal covariances: the sum of the per-coordinate normal KLs.
    mp = D.MultivariateNormal(f64([0.0, 1.0]), scale_tril=f64(np.diag([1.0, 2.0])))
    mq = D.MultivariateNormal(f64([1.0, 0.0]), scale_tril=f64(np.diag([0.5, 3.0])))
    want = D.kl_divergence(D.Normal(f64([0.0, 1.0]), f64([1.0, 2.0])),
                           D.Normal(f64([1.0, 0.0]), f64([0.5, 3.0]))).sum()
    assert D.kl_divergence(mp, mq).item() == pytest.approx(want.item())
    with pytest.raises(NotImplementedError, match="Normal and Bernoulli"):
        D.kl_divergence(p, D.Bernoulli(0.5))


# ----- gradients (finite differences, float64) -----------------------------------------
def test_gradients_by_finite_differences():
    x = f64([0.3, -1.2, 2.0])
    loc, scale = f64([0.1, 0.2, -0.3], True), f64([1.5, 0.7, 2.0], True)
    assert gradcheck(lambda m, s: D.Normal(m, s).log_prob(x), (loc, scale))
    assert gradcheck(lambda s: D.Normal(0.0, s).entropy(), (scale,))
    logits = f64([[0.2, -1.0, 0.5], [1.0, 2.0, -0.5]], True)
    idx = cr.tensor([2, 0])
    assert gradcheck(lambda lg: D.Categorical(logits=lg).log_prob(idx), (logits,))
    assert gradcheck(lambda lg: D.Categorical(logits=lg).entropy(), (logits,))
    probs = f64([[0.2, 0.3, 0.5], [0.6, 0.1, 0.3]], True)
    assert gradcheck(lambda p: D.Categorical(probs=p).log_prob(idx), (probs,))
    assert gradcheck(lambda p: D.Categorical(probs=p).entropy(), (probs,))
    bp = f64([0.2, 0.7], True)
    v = f64([1.0, 0.0])
    assert gradcheck(lambda p: D.Bernoulli(probs=p).log_prob(v), (bp,))
    assert gradcheck(lambda p: D.Bernoulli(probs=p).entropy(), (bp,))
    assert gradcheck(lambda lg: D.Bernoulli(logits=lg).log_prob(v), (f64([0.3, -2.0], True),))


def test_multivariate_normal_gradients_by_finite_differences():
    loc = f64([0.5, -1.0, 0.2], True)
    L = f64(np.linalg.cholesky(spd(3, seed=2)), True)
    x = f64([[0.0, 0.3, 1.0], [1.0, -2.0, 0.5]])
    # The tril keeps the perturbations of gradcheck lower triangular.
    tril = cr.numpy.tril
    assert gradcheck(lambda m, s: D.MultivariateNormal(m, scale_tril=tril(s)).log_prob(x),
                     (loc, L))
    cov = f64(spd(3, seed=4), True)
    sym = lambda c: (c + c.mT) / 2  # noqa: E731
    assert gradcheck(lambda c: D.MultivariateNormal(loc, sym(c)).log_prob(x), (cov,))
    assert gradcheck(lambda c: D.MultivariateNormal(loc, precision_matrix=sym(c)).log_prob(x),
                     (cov,))
    assert gradcheck(lambda c: D.MultivariateNormal(loc, sym(c)).entropy(), (cov,))


def test_second_order_and_transforms():
    x = f64([0.3, 1.0])
    m, s = f64([0.1, -0.2], True), f64([1.5, 0.5], True)
    assert gradgradcheck(lambda m, s: D.Normal(m, s).log_prob(x), (m, s))
    lg = f64([[0.1, 0.5, -1.0]], True)
    assert gradgradcheck(lambda lg: D.Categorical(logits=lg).entropy(), (lg,))
    assert gradgradcheck(lambda lg: D.Bernoulli(logits=lg).log_prob(f64([1.0, 0.0])), (m,))
    L = f64([[1.0, 0.0], [0.3, 2.0]], True)
    assert gradgradcheck(
        lambda m, L: D.MultivariateNormal(m, scale_tril=cr.numpy.tril(L)).log_prob(x), (m, L))
    # d^2/dm^2 of a normal log-density is -1/scale^2.
    hess = cr.func.hessian(lambda m: D.Normal(m, 2.0).log_prob(x).sum())(m.detach())
    np.testing.assert_allclose(hess.numpy(), -0.25 * np.eye(2))


def test_rsample_carries_gradients():
    cr.manual_seed(0)
    loc, scale = f64([1.0, 2.0], True), f64([0.5, 3.0], True)
    s = D.Normal(loc, scale).rsample((5,))
    s.sum().backward()
    np.testing.assert_allclose(loc.grad.numpy(), [5.0, 5.0])
    eps = (s.detach().numpy() - [1.0, 2.0]) / [0.5, 3.0]
    np.testing.assert_allclose(scale.grad.numpy(), eps.sum(0))
    loc = f64([0.0, 0.0], True)
    L = f64([[1.0, 0.0], [0.5, 2.0]], True)
    D.MultivariateNormal(loc, scale_tril=L).rsample((3,)).sum().backward()
    np.testing.assert_allclose(loc.grad.numpy(), [3.0, 3.0])
    assert L.grad is not None
    assert not D.Normal(loc, 1.0).sample().requires_grad


def test_sample_is_outside_the_graph_and_rsample_missing_for_discrete():
    p = f64([0.3, 0.7], True)
    assert not D.Categorical(p).sample((2,)).requires_grad
    assert not D.Categorical(p).has_rsample
    with pytest.raises(NotImplementedError):
        D.Bernoulli(p).rsample()


# ----- samples ------------------------------------------------------------------------
def test_sample_shapes_and_dtypes():
    c = D.Categorical(logits=cr.zeros(2, 3, 4))
    s = c.sample((5, 6))
    assert s.shape == (5, 6, 2, 3) and s.dtype == cr.int64
    assert c.sample().shape == (2, 3)
    assert s.numpy().min() >= 0 and s.numpy().max() <= 3
    b = D.Bernoulli(f64([0.1, 0.9]))
    assert b.sample((7,)).shape == (7, 2) and b.sample().dtype == cr.float64
    assert D.Bernoulli(0.5).sample().dtype == cr.float32
    assert set(np.unique(b.sample((100,)).numpy())) <= {0.0, 1.0}
    n = D.Normal(cr.zeros(3), 1.0)
    assert n.sample((4,)).shape == (4, 3) and n.sample().dtype == cr.float32
    assert n.rsample([2, 1]).shape == (2, 1, 3)
    assert n.sample((0,)).shape == (0, 3)
    m = D.MultivariateNormal(cr.zeros(2, 3), cr.eye(3))
    assert m.sample((4,)).shape == (4, 2, 3) and m.sample().dtype == cr.float32
    with pytest.raises(TypeError, match="sample_shape"):
        n.sample(5)


def test_sample_statistics():
    cr.manual_seed(123)
    n, tol = 20000, 4.0  # tol in standard errors
    probs = np.array([0.1, 0.6, 0.3])
    s = D.Categorical(f64(probs)).sample((n,)).numpy()
    freq = np.bincount(s, minlength=3) / n
    assert np.all(np.abs(freq - probs) < tol * np.sqrt(probs * (1 - probs) / n))
    zero = D.Categorical(f64([0.0, 0.5, 0.0, 0.5])).sample((2000,)).numpy()
    assert set(np.unique(zero)) == {1, 3}
    s = D.Bernoulli(f64([0.2, 0.9])).sample((n,)).numpy()
    assert np.all(np.abs(s.mean(0) - [0.2, 0.9]) < tol * np.sqrt([0.16 / n, 0.09 / n]))
    s = D.Normal(f64([1.0, -3.0]), f64([2.0, 0.5])).sample((n,)).numpy()
    assert np.all(np.abs(s.mean(0) - [1.0, -3.0]) < tol * np.array([2.0, 0.5]) / np.sqrt(n))
    np.testing.assert_allclose(s.std(0), [2.0, 0.5], rtol=0.03)
    cov = spd(2, seed=5)
    s = D.MultivariateNormal(f64([1.0, 2.0]), f64(cov)).sample((n,)).numpy()
    se = np.sqrt(np.diag(cov) / n)
    assert np.all(np.abs(s.mean(0) - [1.0, 2.0]) < tol * se)
    np.testing.assert_allclose(np.cov(s.T), cov, rtol=0.06, atol=0.06 * np.abs(cov).max())


@pytest.mark.parametrize("make", [
    lambda: D.Categorical(cr.tensor([0.2, 0.3, 0.5])),
    lambda: D.Bernoulli(cr.tensor([0.2, 0.7])),
    lambda: D.Normal(cr.zeros(3), 2.0),
    lambda: D.MultivariateNormal(cr.zeros(2), cr.eye(2)),
])
def test_sampling_is_reproducible_under_manual_seed(make):
    d = make()
    cr.manual_seed(7)
    a = d.sample((50,)).numpy()
    cr.manual_seed(7)
    b = d.sample((50,)).numpy()
    c = d.sample((50,)).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(b, c)


# ----- validation ---------------------------------------------------------------------
def test_parameter_validation():
    with pytest.raises(ValueError, match="Either `probs` or `logits`"):
        D.Categorical(probs=cr.ones(2), logits=cr.ones(2))
    with pytest.raises(ValueError, match="Either `probs` or `logits`"):
        D.Bernoulli()
    with pytest.raises(ValueError, match="at least one-dimensional"):
        D.Categorical(cr.tensor(1.0))
    with pytest.raises(ValueError, match="constraint Simplex"):
        D.Categorical(cr.tensor([-0.1, 1.1]))
    with pytest.raises(ValueError, match=r"constraint Interval\(lower_bound=0.0"):
        D.Bernoulli(cr.tensor([0.5, 1.5]))
    with pytest.raises(ValueError, match="parameter scale .* GreaterThan"):
        D.Normal(0.0, cr.tensor([1.0, -1.0]))
    with pytest.raises(ValueError, match="parameter loc"):
        D.Normal(cr.tensor(float("nan")), 1.0)
    with pytest.raises(ValueError, match="PositiveDefinite"):
        D.MultivariateNormal(cr.zeros(2), cr.tensor([[1.0, 2.0], [2.0, 1.0]]))
    with pytest.raises(ValueError, match="LowerCholesky"):
        D.MultivariateNormal(cr.zeros(2), scale_tril=cr.tensor([[1.0, 1.0], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="Exactly one of"):
        D.MultivariateNormal(cr.zeros(2))
    with pytest.raises(ValueError, match="loc must be at least one-dimensional"):
        D.MultivariateNormal(cr.tensor(0.0), cr.eye(1))
    with pytest.raises(ValueError, match="must end in \\(2, 2\\)"):
        D.MultivariateNormal(cr.zeros(2), cr.eye(3))
    with pytest.raises(ValueError, match="do not broadcast"):
        D.Normal(cr.zeros(2), cr.ones(3))
    # validate_args=False skips the checks, as in PyTorch.
    assert D.Normal(0.0, -1.0, validate_args=False).scale.item() == -1.0


def test_value_validation():
    c = D.Categorical(cr.tensor([0.3, 0.7]))
    with pytest.raises(ValueError, match=r"within the support \(IntegerInterval"):
        c.log_prob(cr.tensor(2))
    with pytest.raises(ValueError, match="within the support"):
        c.log_prob(cr.tensor(0.5))
    with pytest.raises(ValueError, match="within the support \\(Boolean"):
        D.Bernoulli(cr.tensor([0.3])).log_prob(cr.tensor([0.5]))
    with pytest.raises(ValueError, match="not broadcastable"):
        D.Normal(cr.zeros(3), 1.0).log_prob(cr.zeros(2))
    with pytest.raises(ValueError, match="right-most size of value must match event_shape"):
        D.MultivariateNormal(cr.zeros(2), cr.eye(2)).log_prob(cr.zeros(3))
    with pytest.raises(ValueError, match="must be a Tensor"):
        D.Normal(0.0, 1.0).log_prob(0.5)
    assert D.Normal(0.0, 1.0, validate_args=False).log_prob(0.0).item() == \
        pytest.approx(-0.5 * LOG_2PI)


def test_set_default_validate_args():
    D.Distribution.set_default_validate_args(False)
    try:
        assert D.Normal(0.0, -1.0).scale.item() == -1.0
    finally:
        D.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError):
        D.Normal(0.0, -1.0)


# ----- against torch.distributions -----------------------------------------------------
def _grads(torch, build_t, build_c, params):
    """log_prob/entropy sums and parameter gradients from torch and chainrule."""
    tp = [torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in params]
    cp = [f64(p, True) for p in params]
    tv, cv = build_t(*tp), build_c(*cp)
    tv.sum().backward()
    cv.sum().backward()
    np.testing.assert_allclose(cv.detach().numpy(), tv.detach().numpy(), rtol=1e-9, atol=1e-12)
    for t, c in zip(tp, cp):
        np.testing.assert_allclose(c.grad.numpy(), t.grad.numpy(), rtol=1e-8, atol=1e-10)


@pytest.mark.oracle
def test_oracle_categorical():
    torch = pytest.importorskip("torch")
    TD = torch.distributions
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(2, 3, 4))
    probs = rng.uniform(0.1, 1.0, size=(3, 4))
    idx = rng.integers(0, 4, size=(5, 1, 3))
    _grads(torch, lambda lg: TD.Categorical(logits=lg).log_prob(torch.tensor(idx)),
           lambda lg: D.Categorical(logits=lg).log_prob(cr.tensor(idx)), [logits])
    _grads(torch, lambda lg: TD.Categorical(logits=lg).entropy(),
           lambda lg: D.Categorical(logits=lg).entropy(), [logits])
    _grads(torch, lambda p: TD.Categorical(probs=p).log_prob(torch.tensor(idx)),
           lambda p: D.Categorical(probs=p).log_prob(cr.tensor(idx)), [probs])
    _grads(torch, lambda p: TD.Categorical(probs=p).entropy(),
           lambda p: D.Categorical(probs=p).entropy(), [probs])
    q = rng.uniform(0.1, 1.0, size=(3, 4))
    _grads(torch, lambda a, b: TD.kl_divergence(TD.Categorical(a), TD.Categorical(b)),
           lambda a, b: D.kl_divergence(D.Categorical(a), D.Categorical(b)), [probs, q])


@pytest.mark.oracle
def test_oracle_bernoulli():
    torch = pytest.importorskip("torch")
    TD = torch.distributions
    rng = np.random.default_rng(1)
    probs, logits = rng.uniform(0.05, 0.95, size=(3, 2)), rng.normal(size=(3, 2))
    v = rng.integers(0, 2, size=(4, 3, 2)).astype(np.float64)
    for kind, param in (("probs", probs), ("logits", logits)):
        _grads(torch, lambda a: TD.Bernoulli(**{kind: a}).log_prob(torch.tensor(v)),
               lambda a: D.Bernoulli(**{kind: a}).log_prob(f64(v)), [param])
        _grads(torch, lambda a: TD.Bernoulli(**{kind: a}).entropy(),
               lambda a: D.Bernoulli(**{kind: a}).entropy(), [param])
    _grads(torch, lambda a, b: TD.kl_divergence(TD.Bernoulli(a), TD.Bernoulli(b)),
           lambda a, b: D.kl_divergence(D.Bernoulli(a), D.Bernoulli(b)),
           [probs, probs[::-1].copy()])


@pytest.mark.oracle
def test_oracle_normal():
    torch = pytest.importorskip("torch")
    TD = torch.distributions
    rng = np.random.default_rng(2)
    loc, scale = rng.normal(size=(3, 1)), rng.uniform(0.5, 2.0, size=(4,))
    x = rng.normal(size=(2, 3, 4))
    _grads(torch, lambda m, s: TD.Normal(m, s).log_prob(torch.tensor(x)),
           lambda m, s: D.Normal(m, s).log_prob(f64(x)), [loc, scale])
    _grads(torch, lambda s: TD.Normal(0.0, s).entropy(),
           lambda s: D.Normal(0.0, s).entropy(), [scale])
    _grads(torch, lambda m, s: TD.Normal(m, s).cdf(torch.tensor(x)),
           lambda m, s: D.Normal(m, s).cdf(f64(x)), [loc, scale])
    _grads(torch, lambda m, s: TD.kl_divergence(TD.Normal(m, s), TD.Normal(s, m.exp())),
           lambda m, s: D.kl_divergence(D.Normal(m, s), D.Normal(s, m.exp())), [loc, scale])


@pytest.mark.oracle
@pytest.mark.parametrize("kind", ["covariance_matrix", "scale_tril", "precision_matrix"])
def test_oracle_multivariate_normal(kind):
    torch = pytest.importorskip("torch")
    TD = torch.distributions
    rng = np.random.default_rng(3)
    loc = rng.normal(size=(2, 3))
    cov = spd(3, batch=(2,), seed=6)
    mat = np.linalg.cholesky(cov) if kind == "scale_tril" else cov
    x = rng.normal(size=(4, 1, 3))
    _grads(torch, lambda m, c: TD.MultivariateNormal(m, **{kind: c}).log_prob(torch.tensor(x)),
           lambda m, c: D.MultivariateNormal(m, **{kind: c}).log_prob(f64(x)), [loc, mat])
    _grads(torch, lambda c: TD.MultivariateNormal(torch.zeros(3, dtype=torch.float64),
                                                  **{kind: c}).entropy(),
           lambda c: D.MultivariateNormal(f64(np.zeros(3)), **{kind: c}).entropy(), [mat])
    t = TD.MultivariateNormal(torch.tensor(loc), **{kind: torch.tensor(mat)})
    c = D.MultivariateNormal(f64(loc), **{kind: f64(mat)})
    for name in ("covariance_matrix", "precision_matrix", "scale_tril", "variance", "mean"):
        np.testing.assert_allclose(getattr(c, name).numpy(), getattr(t, name).numpy(),
                                   rtol=1e-9, atol=1e-12)
    q = spd(3, batch=(2,), seed=7)
    _grads(torch, lambda m, a: TD.kl_divergence(TD.MultivariateNormal(m, a),
                                                TD.MultivariateNormal(m.flip(-1), a.mT @ a)),
           lambda m, a: D.kl_divergence(D.MultivariateNormal(m, a),
                                        D.MultivariateNormal(m.flip(-1), a.mT @ a)), [loc, q])


@pytest.mark.oracle
def test_oracle_shapes_and_errors_match():
    torch = pytest.importorskip("torch")
    TD = torch.distributions
    cases = [
        (lambda M, t: M.Categorical(logits=t.zeros(2, 3)), (4,)),
        (lambda M, t: M.Bernoulli(t.full((3,), 0.5)), (2, 1)),
        (lambda M, t: M.Normal(t.zeros(2, 1), t.ones(3)), ()),
        (lambda M, t: M.MultivariateNormal(t.zeros(3, 2), t.eye(2)), (5,)),
    ]
    for build, shape in cases:
        td, cd = build(TD, torch), build(D, cr)
        assert cd.batch_shape == tuple(td.batch_shape)
        assert cd.event_shape == tuple(td.event_shape)
        assert cd.sample(shape).shape == tuple(td.sample(shape).shape)
        assert str(cd.sample().dtype) == str(td.sample().dtype).replace("torch.", "")
    for build in (lambda M, t: M.Bernoulli(t.tensor([1.5])),
                  lambda M, t: M.Categorical(t.tensor([-1.0, 2.0])),
                  lambda M, t: M.Normal(0.0, t.tensor(-1.0)),
                  lambda M, t: M.MultivariateNormal(t.zeros(2), t.ones(2, 2))):
        with pytest.raises(ValueError) as te:
            build(TD, torch)
        with pytest.raises(ValueError) as ce:
            build(D, cr)
        assert str(ce.value).split(" of distribution")[0] == \
            str(te.value).split(" of distribution")[0]
