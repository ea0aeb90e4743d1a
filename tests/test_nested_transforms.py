"""Nested transforms never confuse their levels (no perturbation confusion).

Every pair and triple of transforms is nested with closures: the transform at depth k
differentiates a function that closes over the variables of every enclosing transform,
and is evaluated at a point that depends on them. The same program runs on chainrule
Tensors, on plain NumPy inputs, and on ``torch.func`` (the oracle, where installed).
"""
import itertools

import numpy as np
import pytest

import chainrule as cr

TRANSFORMS = ("grad", "vjp", "jvp", "jacrev", "jacfwd", "hessian")
N = 2


def scalarize(lib, name, fn, x, ns):
    """Apply transform ``name`` of ``lib`` (chainrule.func or torch.func) to the scalar
    function ``fn`` at ``x`` and reduce the result to a scalar with fixed weights."""
    w = ns.weights(N)
    if name == "grad":
        return ns.sum(lib.grad(fn)(x) * w)
    if name == "vjp":
        out, pull = lib.vjp(fn, x)
        return ns.sum(pull(ns.ones_like(out))[0] * w) + out
    if name == "jvp":
        out, tangent = lib.jvp(fn, (x,), (ns.weights(N),))
        return tangent * out
    if name == "jacrev":
        return ns.sum(lib.jacrev(fn)(x) * w)
    if name == "jacfwd":
        return ns.sum(lib.jacfwd(fn)(x) * w)
    return ns.sum(lib.hessian(fn)(x) * ns.weights(N * N).reshape(N, N))


def nested(lib, names, ns, same_point=False):
    """The scalar function x1 -> T1[x2 -> c(x1, x2) * T2[x3 -> ...](g(x1, x2))](g(x1)),
    where every level closes over all enclosing variables. ``same_point``: each inner
    transform is evaluated at its enclosing variable itself (g = identity), the case in
    which an inner variable is most easily mistaken for the outer one."""
    return lambda x: scalarize(lib, names[0], first_level(lib, names, ns, same_point), x, ns)


def first_level(lib, names, ns, same_point=False):
    """The function that the outermost transform differentiates."""
    def level(k, outer):
        def f(x):
            env = outer + [x]
            prod = env[0]
            for v in env[1:]:
                prod = prod * v
            base = ns.sum(ns.sin(prod) + prod * prod) * (k + 1)
            if k == len(names) - 1:
                return base
            inner_point = x if same_point else ns.cos(x) + 0.5 * sum(env[:-1], 0.0 * x)
            return base + ns.sum(x) * scalarize(lib, names[k + 1], level(k + 1, env),
                                                inner_point, ns)
        return f
    return level(0, [])


class _Namespace:
    """The few array functions the nested programs need, for one library."""

    def __init__(self, sin, cos, sum_, ones_like, weights):
        self.sin, self.cos, self.sum, self.ones_like, self.weights = \
            sin, cos, sum_, ones_like, weights


def _weights(n, make):
    return make(np.linspace(0.3, 1.1, n))


CR = _Namespace(cr.sin, cr.cos, lambda t: t.sum(), cr.ones_like,
                lambda n: _weights(n, lambda a: cr.tensor(a, dtype=cr.float64)))
NP = _Namespace(np.sin, np.cos, np.sum, np.ones_like, lambda n: _weights(n, np.asarray))

POINT = np.array([0.7, -0.4])
PAIRS = list(itertools.product(TRANSFORMS, repeat=2))
TRIPLES = list(itertools.product(TRANSFORMS, repeat=3))


def _oracle(names, same_point):
    torch = pytest.importorskip("torch")
    tf = torch.func
    ns = _Namespace(torch.sin, torch.cos, torch.sum, torch.ones_like,
                    lambda n: _weights(n, lambda a: torch.tensor(a, dtype=torch.float64)))
    return float(nested(tf, names, ns, same_point)(torch.tensor(POINT, dtype=torch.float64)))


def test_the_known_confusions():
    grad = cr.func.grad
    assert grad(lambda x: x * grad(lambda y: x * y)(2.))(1.) == 2.0
    assert float(grad(grad(lambda x: grad(lambda y: y * x)(x) ** 2))(1.)) == 2.0
    assert float(grad(grad(lambda x: grad(lambda y: y * x)(x) ** 2))(cr.tensor(1.))) == 2.0
    # forward inside reverse and reverse inside forward
    assert grad(lambda x: x * cr.func.jvp(lambda y: x * y, (2.,), (1.,))[1])(1.) == 2.0
    assert cr.func.jvp(lambda x: x * grad(lambda y: x * y)(2.), (1.,), (1.,)) == (1.0, 2.0)
    assert cr.func.jvp(lambda x: x * cr.func.jvp(lambda y: x * y, (2.,), (1.,))[1],
                       (1.,), (1.,)) == (1.0, 2.0)


def test_aux_leaves_the_transform_without_its_graph():
    g, aux = cr.func.grad(lambda x: ((x * x).sum(), x * 2), has_aux=True)(cr.tensor([1., 2.]))
    assert not aux.requires_grad and aux.grad_fn is None
    np.testing.assert_allclose(aux.numpy(), [2., 4.])
    g, aux = cr.func.grad(lambda x: (np.sum(x * x), x * 2), has_aux=True)(np.array([1., 2.]))
    assert type(aux) is np.ndarray and type(g) is np.ndarray
    _, _, aux = cr.func.jvp(lambda x: (x * x, x.sin()), (cr.tensor(1.),), (cr.tensor(1.),),
                            has_aux=True)
    assert not aux.requires_grad and not aux._fw


def test_aux_inside_an_outer_transform_stays_differentiable_by_it():
    # The inner aux depends on the outer variable; the outer gradient sees through it.
    def outer(x):
        g, aux = cr.func.grad(lambda y: ((x * y).sum(), (x * y * y).sum()), has_aux=True)(x)
        return aux + g.sum()
    # aux = sum(x^3), g = x  ->  d/dx = 3x^2 + 1
    np.testing.assert_allclose(cr.func.grad(outer)(cr.tensor([1., 2.], dtype=cr.float64)).numpy(),
                               [4., 13.])


@pytest.mark.oracle
@pytest.mark.parametrize("same_point", [False, True], ids=["derived", "same"])
@pytest.mark.parametrize("names", PAIRS, ids="-".join)
def test_pairs_against_torch_func(names, same_point):
    expected = _oracle(names, same_point)
    x = cr.tensor(POINT, dtype=cr.float64)
    np.testing.assert_allclose(float(nested(cr.func, names, CR, same_point)(x)), expected,
                               rtol=1e-10)
    got_np = nested(cr.func, names, NP, same_point)(POINT.copy())
    assert isinstance(got_np, (float, np.ndarray, np.floating))
    np.testing.assert_allclose(float(got_np), expected, rtol=1e-10)


@pytest.mark.oracle
@pytest.mark.parametrize("same_point", [False, True], ids=["derived", "same"])
@pytest.mark.parametrize("names", TRIPLES, ids="-".join)
def test_triples_against_torch_func(names, same_point):
    expected = _oracle(names, same_point)
    x = cr.tensor(POINT, dtype=cr.float64)
    np.testing.assert_allclose(float(nested(cr.func, names, CR, same_point)(x)), expected,
                               rtol=1e-9)
    np.testing.assert_allclose(float(nested(cr.func, names, NP, same_point)(POINT.copy())),
                               expected, rtol=1e-9)


DIRECTIONAL = [n for n in PAIRS + TRIPLES if n[0] in ("grad", "jacrev", "jacfwd")]


@pytest.mark.parametrize("same_point", [False, True], ids=["derived", "same"])
@pytest.mark.parametrize("names", DIRECTIONAL, ids="-".join)
def test_outer_derivative_through_an_inner_transform_matches_finite_differences(names,
                                                                                same_point):
    # Without an oracle: the outer transform's result, weighted by w, is the derivative of
    # the function it differentiates (which runs the inner transform) along w.
    x, w = POINT.copy(), NP.weights(N)
    got = float(nested(cr.func, names, NP, same_point)(x))
    t_got = float(nested(cr.func, names, CR, same_point)(cr.tensor(x, dtype=cr.float64)))
    f = first_level(cr.func, names, NP, same_point)
    eps = 1e-5
    fd = (float(f(x + eps * w)) - float(f(x - eps * w))) / (2 * eps)
    np.testing.assert_allclose(got, fd, rtol=1e-6)
    np.testing.assert_allclose(t_got, got, rtol=1e-12)
