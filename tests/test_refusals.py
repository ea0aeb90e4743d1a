"""What chainrule refuses on purpose, and edge cases where it follows PyTorch rather than
the formula's 0 * inf: known values, no oracle needed (the oracle suites compare the rest)."""
import numpy as np
import pytest

import chainrule as cr
import chainrule.numpy as cnp
from chainrule.autograd import gradcheck, gradgradcheck


@pytest.mark.parametrize("shape, dim", [((3,), None), ((2, 3), 1), ((2, 3), (0, 1))])
def test_std_gradient_of_equal_values_is_zero(shape, dim):
    # PyTorch masks std's gradient where std is 0; sqrt's slope there is infinite.
    x = cr.full(shape, 1.5, dtype=cr.float64, requires_grad=True)
    cr.std(x, dim).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros(shape))


def test_std_gradient_elsewhere_is_sqrts():
    x = cr.tensor([[1.0, 2.0, 4.0], [3.0, 3.0, 3.0]], dtype=cr.float64, requires_grad=True)
    cr.std(x, 1).sum().backward()
    row = np.array([1.0, 2.0, 4.0])
    expected = (row - row.mean()) / (2 * row.std(ddof=1))
    np.testing.assert_allclose(x.grad.numpy(), [expected, [0, 0, 0]], rtol=1e-12)
    y = cr.tensor([[1.0, 2.0, 4.0], [0.5, -1.0, 3.0]], dtype=cr.float64, requires_grad=True)
    assert gradcheck(lambda t: cr.std(t, 1), (y,))
    assert gradgradcheck(lambda t: cr.std(t, 1), (y,))


@pytest.mark.parametrize("p, dim", [(np.inf, 0), (-np.inf, -1), (np.inf, (0,))])
def test_infinity_norm_of_a_0d_tensor_over_its_one_dim(p, dim):
    assert cr.norm(cr.tensor(-1.5), p=p, dim=dim).item() == 1.5


def test_slogdet_gradient_at_a_singular_matrix_is_refused():
    a = cr.tensor(np.ones((2, 2)), requires_grad=True)
    _, logabsdet = cnp.linalg.slogdet(a)
    assert logabsdet.item() == -np.inf
    with pytest.raises(cr.OpError, match=r"slogdet: .*singular matrix \(shape \(2, 2\)"):
        logabsdet.backward()
    b = cr.tensor([[2.0, 1.0], [1.0, 3.0]], dtype=cr.float64, requires_grad=True)
    cr.linalg.slogdet(b)[1].backward()
    np.testing.assert_allclose(b.grad.numpy(), np.linalg.inv(b.detach().numpy()).T, rtol=1e-12)


def test_linalg_solve_takes_pytorchs_batched_vectors_numpy_keeps_its_rule():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(4, 3, 3)) + 3 * np.eye(3)
    b = rng.normal(size=(4, 3))
    ta = cr.tensor(a, requires_grad=True)
    tb = cr.tensor(b, requires_grad=True)
    x = cr.linalg.solve(ta, tb)
    expected = np.linalg.solve(a, b[..., None])[..., 0]
    np.testing.assert_allclose(x.detach().numpy(), expected, rtol=1e-12)
    assert gradcheck(cr.linalg.solve, (ta, tb))
    with pytest.raises(cr.OpError, match="linalg.solve"):  # NumPy 2: b is 4 by 3 matrices
        cnp.linalg.solve(ta, tb)


def test_linalg_speaks_pytorch():
    a = cr.tensor([[4.0, 2.0], [2.0, 3.0]], dtype=cr.float64)
    low = cr.linalg.cholesky(a)
    np.testing.assert_allclose(cr.linalg.cholesky(a, upper=True).numpy(), low.numpy().T)
    np.testing.assert_allclose(cr.linalg.svdvals(a).numpy(), np.linalg.svd(a.numpy())[1])
    m = cr.tensor(np.arange(6.0).reshape(2, 3))
    np.testing.assert_allclose(cr.linalg.vector_norm(m, 1, dim=1).numpy(), [3.0, 12.0])
    assert cr.linalg.matrix_norm(m).item() == pytest.approx(np.linalg.norm(m.numpy()))
    np.testing.assert_allclose(cr.linalg.norm(m, dim=1, keepdim=True).numpy(),
                               np.linalg.norm(m.numpy(), axis=1, keepdims=True), rtol=1e-6)
