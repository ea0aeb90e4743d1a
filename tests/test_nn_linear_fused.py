"""``linear`` on the fused ``linear`` primitive (x @ weight.T + bias as one node, PyTorch's
addmm): known values, PyTorch as the oracle, finite differences (first and second order,
reverse and forward mode) in float64, the weight gradient's layout, what the node keeps,
and the operands that take the composite path instead."""
import numpy as np
import pytest

import chainrule as cr
from chainrule.autograd import gradcheck, gradgradcheck
from chainrule.errors import OpError
from chainrule.nn.linear import linear, linear_p
from chainrule.ops import shape as sh
from linear_torch_check import check_linear_matches_torch


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def _t(shape, seed=0, dtype=np.float64, grad=True):
    data = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    return cr.tensor(data, requires_grad=grad)


def test_known_values_and_gradients():
    x = cr.tensor([[1., 2.], [3., 4.]], requires_grad=True)
    w = cr.tensor([[1., 0.], [1., 1.], [0., 2.]], requires_grad=True)
    b = cr.tensor([0.5, 0., -1.], requires_grad=True)
    out = linear(x, w, b)
    assert out.grad_fn.name == "LinearBackward"
    np.testing.assert_array_equal(out.detach().numpy(), [[1.5, 3., 3.], [3.5, 7., 7.]])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[2., 3.], [2., 3.]])
    np.testing.assert_array_equal(w.grad.numpy(), [[4., 6.]] * 3)
    np.testing.assert_array_equal(b.grad.numpy(), [2., 2., 2.])


@pytest.mark.parametrize("shape", [(4, 5), (0, 5), (2, 3, 5), (1, 5)])
@pytest.mark.parametrize("bias", [True, False])
def test_matches_torch(torch, shape, bias):
    check_linear_matches_torch(torch, shape, bias)


def test_weight_gradient_is_contiguous_in_the_weights_layout():
    # g^T x, not (x^T g)^T: .grad is the product's own array, stored without a copy
    x, w, b = _t((8, 5)), _t((3, 5), 1), _t((3,), 2)
    linear(x, w, b).sum().backward()
    assert w.grad._data.flags.c_contiguous and w.grad._data.base is None
    np.testing.assert_allclose(w.grad.numpy(), np.ones((8, 3)).T @ x.detach().numpy())


@pytest.mark.parametrize("bias", [True, False])
def test_gradcheck_first_and_second_order(bias):
    x, w, b = _t((4, 3)), _t((2, 3), 1), _t((2,), 2)
    fn = (lambda x, w, b: linear(x, w, b)) if bias else (lambda x, w, b: linear(x, w) + 0 * b)
    assert gradcheck(fn, [x, w, b])
    assert gradgradcheck(fn, [x, w, b])


def test_gradcheck_some_inputs_constant():
    x, w, b = _t((4, 3), grad=False), _t((2, 3), 1), _t((2,), 2, grad=False)
    assert gradcheck(lambda w: linear(x, w, b), [w])
    assert gradgradcheck(lambda w: linear(x, w, b) ** 2, [w])


def test_forward_mode_matches_reverse_mode():
    x, w, b = _t((4, 3)), _t((2, 3), 1), _t((2,), 2)
    tangents = (_t((4, 3), 3, grad=False), _t((2, 3), 4, grad=False),
                _t((2,), 5, grad=False))
    _, jvp_out = cr.func.jvp(lambda x, w, b: linear(x, w, b), (x, w, b), tangents)
    tx, tw, tb = (t.numpy() for t in tangents)
    xd, wd = x.detach().numpy(), w.detach().numpy()
    np.testing.assert_allclose(jvp_out.detach().numpy(), tx @ wd.T + xd @ tw.T + tb,
                               rtol=1e-12)


def test_noncontiguous_operands():
    base, wbase = _t((3, 4)), _t((5, 6), 1)
    fn = lambda a, wb: linear(sh.permute(a, 1, 0), wb[:, ::2])  # (4, 3) @ (3, 5)
    assert gradcheck(fn, [base, wbase])
    assert gradgradcheck(fn, [base, wbase])
    want = base.detach().numpy().T @ wbase.detach().numpy()[:, ::2].T
    np.testing.assert_allclose(fn(base, wbase).detach().numpy(), want, rtol=1e-12)


def test_no_input_features_and_empty_batch():
    w, b = _t((3, 0), 1), _t((3,), 2)
    out = linear(_t((2, 0)), w, b)
    np.testing.assert_array_equal(out.detach().numpy(), np.broadcast_to(b.detach().numpy(),
                                                                      (2, 3)))
    out.sum().backward()
    assert w.grad.shape == (3, 0)
    np.testing.assert_array_equal(b.grad.numpy(), [2., 2., 2.])
    empty = linear(_t((0, 4)), _t((3, 4), 3))
    assert empty.shape == (0, 3)


def test_first_layer_does_not_keep_its_weight():
    # Only the input's gradient reads the weight: with a constant input (a first layer) the
    # weight may change before backward, as in PyTorch.
    x, w = _t((4, 3), grad=False), _t((2, 3), 1)
    out = linear(x, w)
    with cr.no_grad():
        w.mul_(2.0)
    out.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), np.ones((4, 2)).T @ x.numpy())
    x2 = _t((4, 3))
    out = linear(x2, w)
    with cr.no_grad():
        w.mul_(2.0)
    with pytest.raises(RuntimeError):  # the input's gradient reads it: the version check
        out.sum().backward()


def test_other_operands_take_the_composite_path():
    x = _t((3,))  # a single sample (in_features,)
    out = linear(x, _t((2, 3), 1), _t((2,), 2))
    assert out.shape == (2,) and out.grad_fn.prim is not linear_p
    with pytest.raises(OpError, match="dtype"):
        linear(_t((2, 3), dtype=np.float32), _t((4, 3), 1))
    with pytest.raises(OpError, match="linear"):
        linear(cr.ones(2, 4), cr.ones(5, 3))
