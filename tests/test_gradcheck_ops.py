"""Every primitive through finite differences (float64): broadcasting, 0-d, non-contiguous."""
import math

import numpy as np
import pytest

import chainrule as cr
from chainrule.autograd import gradcheck, gradgradcheck
from conftest import make

# name, function, domain (low, high)
# Operator forms with Python numbers, and piecewise-constant ops added to x (so the check
# is not of a zero Jacobian only). Every op's own checks come from its row in
# chainrule/optable.py (tests/test_optable.py).
UNARY = [
    ("pow_scalar", lambda x: x ** 3, (-2, 2)),
    ("pow_frac", lambda x: x ** 0.5, (0.1, 2)),
    ("rpow", lambda x: 2.0 ** x, (-2, 2)),
    ("rsub", lambda x: 1.0 - x, (-2, 2)),
    ("rdiv", lambda x: 1.0 / x, (0.5, 2)),
    ("sign", lambda x: x.sign() * x, (0.1, 2)),
    ("floor", lambda x: x.floor() + x, (-2, 2)),
    ("ceil", lambda x: x.ceil() + x, (-2, 2)),
    ("round", lambda x: x.round() + x, (-2, 2)),
    ("trunc", lambda x: x.trunc() + x, (-2, 2)),
]

SHAPES = [(), (3,), (2, 3)]


@pytest.mark.parametrize("name,fn,domain", UNARY, ids=[u[0] for u in UNARY])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_unary(name, fn, domain, shape):
    x = make(shape, *domain)
    assert gradcheck(fn, (x,))


@pytest.mark.parametrize("name,fn,domain", UNARY, ids=[u[0] for u in UNARY])
def test_unary_noncontiguous(name, fn, domain):
    x = make((3, 4), *domain, noncontiguous=True)
    assert gradcheck(fn, (x,))


BINARY = [
    ("floor_divide", lambda x, y: x // y + x * y, (0.1, 0.9), (1.0, 2)),
    ("where", lambda x, y: cr.where(x > 0, x, y), (-2, 2), (-2, 2)),
    ("clamp_tensor_bounds", lambda x, y: cr.clamp(x, min=y, max=y + 1.0), (-2, 2), (-1, 0)),
    ("matmul_elementwise_free", lambda x, y: (x * y).sum(), (-2, 2), (-2, 2)),
]

BROADCASTS = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 3), (4, 1)), ((), (3,)), ((3,), ())]


@pytest.mark.parametrize("name,fn,dx,dy", BINARY, ids=[b[0] for b in BINARY])
@pytest.mark.parametrize("shapes", BROADCASTS, ids=str)
def test_binary_broadcast(name, fn, dx, dy, shapes):
    x = make(shapes[0], *dx, seed=1)
    y = make(shapes[1], *dy, seed=2)
    assert gradcheck(fn, (x, y))


@pytest.mark.parametrize("name,fn,dx,dy", BINARY, ids=[b[0] for b in BINARY])
def test_binary_noncontiguous(name, fn, dx, dy):
    x = make((3, 4), *dx, seed=1, noncontiguous=True)
    y = make((3, 4), *dy, seed=2, noncontiguous=True)
    assert gradcheck(fn, (x, y))


def test_binary_with_constant_operands():
    x = make((2, 3))
    arr = np.arange(3.0) + 1
    assert gradcheck(lambda x: x * arr + arr / (x * x + 1) - 2 ** x, (x,))
    assert gradcheck(lambda x: arr * x + arr - x, (x,))


AXES = [None, 0, 1, -1, (0, 2)]
REDUCTIONS = [
    ("sum", lambda x, d, k: x.sum(dim=d, keepdim=k)),
    ("mean", lambda x, d, k: x.mean(dim=d, keepdim=k)),
    ("prod", lambda x, d, k: x.prod(dim=d, keepdim=k)),
    ("amax", lambda x, d, k: x.amax(dim=d, keepdim=k)),
    ("amin", lambda x, d, k: x.amin(dim=d, keepdim=k)),
    ("logsumexp", lambda x, d, k: x.logsumexp(dim=d, keepdim=k)),
    ("var", lambda x, d, k: x.var(dim=d, keepdim=k)),
    ("var_biased", lambda x, d, k: x.var(dim=d, keepdim=k, correction=0)),
    ("std", lambda x, d, k: x.std(dim=d, keepdim=k)),
    ("norm2", lambda x, d, k: x.norm(dim=d, keepdim=k)),
    ("norm1", lambda x, d, k: x.norm(p=1, dim=d, keepdim=k)),
    ("norm_inf", lambda x, d, k: x.norm(p=math.inf, dim=d, keepdim=k)),
    ("norm3", lambda x, d, k: x.norm(p=3, dim=d, keepdim=k)),
]


@pytest.mark.parametrize("name,fn", REDUCTIONS, ids=[r[0] for r in REDUCTIONS])
@pytest.mark.parametrize("axis", AXES, ids=str)
@pytest.mark.parametrize("keepdim", [False, True])
def test_reductions(name, fn, axis, keepdim):
    x = make((2, 3, 4), 0.5, 2.0)
    assert gradcheck(lambda x: fn(x, axis, keepdim), (x,))


@pytest.mark.parametrize("name,fn", REDUCTIONS, ids=[r[0] for r in REDUCTIONS])
def test_reductions_0d_and_noncontiguous(name, fn):
    with np.errstate(divide="ignore", invalid="ignore"):  # var of one element is nan
        assert gradcheck(lambda x: fn(x, None, False), (make((), 0.5, 2.0),))
    assert gradcheck(lambda x: fn(x, 0, False), (make((3, 4), 0.5, 2.0, noncontiguous=True),))


def test_prod_with_zeros():
    x = cr.tensor([[2.0, 0.0, 3.0], [0.0, 0.0, 1.0], [1.0, 2.0, 4.0]], dtype=cr.float64,
                  requires_grad=True)
    x.prod(dim=1).sum().backward()
    assert np.array_equal(x.grad.numpy(), [[0.0, 6.0, 0.0], [0.0, 0.0, 0.0], [8.0, 4.0, 2.0]])
    assert gradcheck(lambda x: x.prod(dim=1), (x,))
    assert gradcheck(lambda x: x.prod(), (x,))


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_scans(axis):
    x = make((3, 4), 0.5, 2.0)
    assert gradcheck(lambda x: x.cumsum(axis), (x,))
    assert gradcheck(lambda x: x.cumprod(axis), (x,))
    assert gradcheck(lambda x: x.cumsum(axis), (make((3, 4), noncontiguous=True),))


def test_cumprod_with_zeros():
    x = cr.tensor([[1.5, 0.0, 2.0, 0.0, 3.0]], dtype=cr.float64, requires_grad=True)
    assert gradcheck(lambda x: x.cumprod(1), (x,))
    y = cr.tensor([2.0, 0.0, 3.0], dtype=cr.float64, requires_grad=True)
    y.cumprod(0).sum().backward()  # d/dy of y0 + y0 y1 + y0 y1 y2
    assert np.allclose(y.grad.numpy(), [1.0, 2.0 + 6.0, 0.0])


def test_max_min_with_dim_send_gradient_to_the_index():
    x = make((3, 4))
    assert gradcheck(lambda x: x.max(dim=1).values, (x,))
    assert gradcheck(lambda x: x.min(dim=0, keepdim=True).values, (x,))
    values, indices = x.max(1)
    assert np.array_equal(indices.numpy(), np.argmax(x.detach().numpy(), 1))


def test_amax_ties_share_the_gradient():
    x = cr.tensor([1.0, 3.0, 3.0, 2.0], requires_grad=True)
    x.amax().backward()
    assert np.allclose(x.grad.numpy(), [0, 0.5, 0.5, 0])
    y = cr.tensor([1.0, 3.0, 3.0, 3.0], requires_grad=True)
    y.max().backward()
    assert np.allclose(y.grad.numpy(), [0, 1 / 3, 1 / 3, 1 / 3])


SHAPE_OPS = [
    ("reshape", lambda x: x.reshape(4, 6), (2, 3, 4)),
    ("reshape_minus1", lambda x: x.reshape(-1, 2), (2, 3, 4)),
    ("view", lambda x: x.contiguous().view(24), (2, 3, 4)),
    ("flatten", lambda x: x.flatten(1), (2, 3, 4)),
    ("squeeze", lambda x: x.squeeze(1), (2, 1, 4)),
    ("squeeze_all", lambda x: x.squeeze(), (2, 1, 4)),
    ("unsqueeze", lambda x: x.unsqueeze(-1), (2, 3)),
    ("expand", lambda x: x.expand(3, -1, 4), (1, 2, 4)),
    ("broadcast_to", lambda x: x.broadcast_to((2, 3, 4)), (3, 1)),
    ("transpose", lambda x: x.transpose(0, 2), (2, 3, 4)),
    ("permute", lambda x: x.permute(2, 0, 1), (2, 3, 4)),
    ("T", lambda x: x.T, (3, 4)),
    ("mT", lambda x: x.mT, (2, 3, 4)),
    ("swapaxes", lambda x: x.swapaxes(0, 1), (2, 3, 4)),
    ("moveaxis", lambda x: x.moveaxis(0, -1), (2, 3, 4)),
    ("repeat", lambda x: x.repeat(2, 1, 3), (2, 3)),
    ("tile", lambda x: x.tile((2, 2)), (2, 3)),
    ("flip", lambda x: x.flip(0), (2, 3, 4)),
    ("flip_all", lambda x: x.flip(), (2, 3)),
    ("roll", lambda x: x.roll(1, 1), (2, 3, 4)),
    ("roll_flat", lambda x: x.roll(2), (2, 3)),
    ("roll_multi", lambda x: x.roll((1, -1), (0, 1)), (2, 3)),
    ("pad_numpy", lambda x: cr.pad(x, ((1, 0), (2, 1))), (2, 3)),
    ("pad_torch", lambda x: cr.pad(x, (1, 2), value=3.0), (2, 3)),
    ("split", lambda x: x.split(2, dim=1)[1], (2, 5)),
    ("split_sizes", lambda x: x.split([1, 4], dim=1)[1] * 2, (2, 5)),
    ("chunk", lambda x: x.chunk(3, dim=1)[2], (2, 5)),
    ("unbind", lambda x: x.unbind(1)[1], (2, 3)),
    ("clone", lambda x: x.clone() * x, (2, 3)),
]


@pytest.mark.parametrize("name,fn,shape", SHAPE_OPS, ids=[s[0] for s in SHAPE_OPS])
def test_shape_ops(name, fn, shape):
    assert gradcheck(fn, (make(shape),))


@pytest.mark.parametrize("name,fn,shape", SHAPE_OPS, ids=[s[0] for s in SHAPE_OPS])
def test_shape_ops_noncontiguous(name, fn, shape):
    assert gradcheck(fn, (make(shape, noncontiguous=True),))


def test_cast_sends_the_gradient_back_in_the_input_dtype():
    x = make((2, 3))
    y = x.astype(cr.float32)
    assert y.dtype == np.float32 and y.requires_grad
    (y * 3).sum().backward()
    assert x.grad.dtype == np.float64
    assert np.array_equal(x.grad.numpy(), np.full((2, 3), 3.0))
    assert x.to(cr.float64) is x


def test_cat_and_stack():
    a, b, c = make((2, 3), seed=1), make((2, 1), seed=2), make((2, 4), seed=3)
    assert gradcheck(lambda a, b, c: cr.cat([a, b, c], dim=1), (a, b, c))
    d, e = make((2, 3), seed=4), make((2, 3), seed=5)
    assert gradcheck(lambda d, e: cr.stack([d, e], dim=1), (d, e))
    assert gradcheck(lambda d, e: cr.stack([d, e, d]), (d, e))
    # a constant among the inputs
    assert gradcheck(lambda a: cr.cat([a, cr.ones(2, 2, dtype=cr.float64)], 1), (a,))


INDEX_CASES = [
    ("int", lambda x: x[1]),
    ("negative_int", lambda x: x[-1, 2]),
    ("slice", lambda x: x[1:, ::2]),
    ("negative_step", lambda x: x[::-1, 1:3]),
    ("ellipsis_none", lambda x: x[..., None, 1]),
    ("int_array_repeats", lambda x: x[[0, 2, 0, 0]]),
    ("int_arrays_2d", lambda x: x[[0, 1, 1], [3, 2, 3]]),
    ("bool_mask", lambda x: x[x.detach() > 0]),
    ("mixed", lambda x: x[1:, [0, 0, 2]]),
    ("tensor_index", lambda x: x[cr.tensor([2, 0, 2])]),
    ("gather", lambda x: x.gather(1, cr.tensor([[0, 0], [1, 3], [2, 2]]))),
    ("gather_small_index", lambda x: x.gather(0, cr.tensor([[2, 0, 1]]))),
    ("index_select", lambda x: x.index_select(1, cr.tensor([3, 0, 3]))),
    ("take_along_dim", lambda x: x.take_along_dim(cr.tensor([[1], [0], [3]]), 1)),
    ("masked_fill", lambda x: x.masked_fill(x.detach() > 0.5, 0.25)),
]


@pytest.mark.parametrize("name,fn", INDEX_CASES, ids=[c[0] for c in INDEX_CASES])
def test_indexing(name, fn):
    assert gradcheck(fn, (make((3, 4)),))
    assert gradcheck(fn, (make((3, 4), noncontiguous=True),))


def test_repeated_indices_accumulate():
    x = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[[0, 0, 2, 0]].sum().backward()
    assert np.array_equal(x.grad.numpy(), [3.0, 0.0, 1.0])


def test_setitem_functional_gradients():
    x, v = make((3, 4), seed=1), make((2,), seed=2)

    def f(x, v):
        y = x * 1.0
        y[1, 1:3] = v
        y[0] = 0.5
        return y * y

    assert gradcheck(f, (x, v))


MATMUL_SHAPES = [((3, 4), (4, 2)), ((4,), (4, 2)), ((3, 4), (4,)), ((4,), (4,)),
                 ((2, 3, 4), (4, 5)), ((2, 3, 4), (2, 4, 5)), ((2, 1, 3, 4), (5, 4, 2)),
                 ((4,), (2, 4, 3)), ((2, 3, 4), (4,))]


@pytest.mark.parametrize("sx,sy", MATMUL_SHAPES, ids=str)
def test_matmul(sx, sy):
    x, y = make(sx, seed=1), make(sy, seed=2)
    assert gradcheck(lambda x, y: x @ y, (x, y))


def test_matmul_noncontiguous():
    x, y = make((3, 4), noncontiguous=True, seed=1), make((4, 2), noncontiguous=True, seed=2)
    assert gradcheck(lambda x, y: x @ y, (x, y))


SECOND_ORDER = [u for u in UNARY if u[0] not in ("sign", "floor", "ceil", "round", "trunc",
                                                  "relu", "leaky_relu", "clamp", "clamp_min",
                                                  "abs")]


@pytest.mark.parametrize("name,fn,domain", SECOND_ORDER, ids=[u[0] for u in SECOND_ORDER])
def test_second_order_unary(name, fn, domain):
    assert gradgradcheck(fn, (make((2, 3), *domain),))


@pytest.mark.parametrize("name,fn,dx,dy", BINARY[:12], ids=[b[0] for b in BINARY[:12]])
def test_second_order_binary(name, fn, dx, dy):
    assert gradgradcheck(fn, (make((2, 3), *dx, seed=1), make((3,), *dy, seed=2)))


@pytest.mark.parametrize("sx,sy", MATMUL_SHAPES, ids=str)
def test_second_order_matmul(sx, sy):
    assert gradgradcheck(lambda x, y: (x @ y).tanh(), (make(sx, seed=1), make(sy, seed=2)))


@pytest.mark.parametrize("name,fn", REDUCTIONS, ids=[r[0] for r in REDUCTIONS])
def test_second_order_reductions(name, fn):
    assert gradgradcheck(lambda x: fn(x, 1, False), (make((2, 3), 0.5, 2.0),))
