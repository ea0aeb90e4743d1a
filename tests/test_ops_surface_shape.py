"""The shape, matrix, indexing/scatter and tensor-creation surface (chainrule issues 14 and
15): narrow, t, tril/triu, diag, diagonal, diag_embed, unfold, unflatten, repeat_interleave,
meshgrid, scatter_add, scatter_reduce, index_add/copy/fill, masked_select/scatter, nonzero,
take, put, their in-place forms, new_* creation, type and type_as.

Known values run without torch; the oracle tests compare values, shapes, dtypes and the
gradients of a random cotangent with PyTorch; gradcheck covers first and second order in
reverse and forward mode, non-contiguous, 0-d and empty inputs."""
import numpy as np
import pytest

import chainrule as cr
from chainrule.autograd import gradcheck, gradgradcheck
from chainrule.errors import IndexOutOfRangeError, OpError, OpTypeError
from conftest import make


def _t(a):
    """A tensor as cr.tensor makes it: Python floats in float32, ints in int64."""
    return cr.tensor(a)


# ----- known values, no torch ---------------------------------------------------------------
def test_known_values_shape_ops():
    m = cr.arange(9).reshape(3, 3)
    assert m.narrow(1, 1, 2).tolist() == [[1, 2], [4, 5], [7, 8]]
    assert cr.narrow(m, 0, -1, 1).tolist() == [[6, 7, 8]]
    assert m.t().tolist() == [[0, 3, 6], [1, 4, 7], [2, 5, 8]]
    assert cr.arange(3).t().tolist() == [0, 1, 2]
    assert m.tril().tolist() == [[0, 0, 0], [3, 4, 0], [6, 7, 8]]
    assert cr.triu(m, 1).tolist() == [[0, 1, 2], [0, 0, 5], [0, 0, 0]]
    assert m.tril(-1).dtype == np.int64
    assert cr.diag(m).tolist() == [0, 4, 8]
    assert cr.diag(m, -1).tolist() == [3, 7]
    assert cr.diag(_t([1, 2]), 1).tolist() == [[0, 1, 0], [0, 0, 2], [0, 0, 0]]
    assert m.diagonal(1).tolist() == [1, 5]
    assert m.diagonal(5).shape == (0,)
    assert cr.diag_embed(_t([[1, 2]])).tolist() == [[[1, 0], [0, 2]]]
    assert cr.arange(5).unfold(0, 2, 2).tolist() == [[0, 1], [2, 3]]
    assert cr.arange(6).reshape(2, 3).unfold(1, 2, 1).shape == (2, 2, 2)
    assert cr.unflatten(cr.zeros(2, 6), 1, (3, -1)).shape == (2, 3, 2)
    assert cr.repeat_interleave(_t([1, 2]), 2).tolist() == [1, 1, 2, 2]
    assert _t([[1, 2], [3, 4]]).repeat_interleave(_t([1, 2]), dim=0).tolist() == \
        [[1, 2], [3, 4], [3, 4]]
    assert cr.repeat_interleave(_t([2, 0, 1])).tolist() == [0, 0, 2]
    gx, gy = cr.meshgrid(cr.arange(2), cr.arange(3), indexing="ij")
    assert gx.tolist() == [[0, 0, 0], [1, 1, 1]] and gy.tolist() == [[0, 1, 2], [0, 1, 2]]
    gx, gy = cr.meshgrid([cr.arange(2), cr.arange(3)], indexing="xy")
    assert gx.shape == (3, 2) and gx.tolist() == [[0, 1], [0, 1], [0, 1]]
    assert m.movedim(0, 1).tolist() == m.t().tolist()
    assert cr.roll(cr.arange(4), 1).tolist() == [3, 0, 1, 2]


def test_known_values_indexing_ops():
    x = cr.zeros(2, 3)
    idx = _t([[0, 2, 0]])
    src = _t([[1., 2., 3.]])
    assert x.scatter_add(1, idx, src).tolist() == [[4, 0, 2], [0, 0, 0]]
    base = _t([[1., 1., 1.]])
    assert cr.scatter_reduce(base, 1, idx, src, "prod").tolist() == [[3, 1, 2]]
    assert cr.scatter_reduce(base, 1, idx, src, "amax", include_self=False).tolist() == \
        [[3, 1, 2]]
    np.testing.assert_allclose(cr.scatter_reduce(base, 1, idx, src, "mean").numpy(),
                               [[5 / 3, 1, 1.5]], rtol=1e-6)
    assert cr.scatter_reduce(_t([[1, 1, 1]]), 1, idx, _t([[1, 2, 4]]), "mean").tolist() == \
        [[2, 1, 1]]  # integers: floor division, as in PyTorch
    assert cr.zeros(3).index_add(0, _t([2, 2]), _t([1., 2.]), alpha=2).tolist() == [0, 0, 6]
    assert cr.zeros(3).index_copy(0, _t([2, 0]), _t([5., 6.])).tolist() == [6, 0, 5]
    assert cr.ones(2, 2).index_fill(1, _t([1]), -1).tolist() == [[1, -1], [1, -1]]
    mask = _t([True, False, True])
    assert _t([1, 2, 3]).masked_select(mask).tolist() == [1, 3]
    assert cr.masked_select(_t([[1, 2, 3], [4, 5, 6]]), mask).tolist() == [1, 3, 4, 6]
    assert cr.zeros(3).masked_scatter(mask, _t([7., 8., 9.])).tolist() == [7, 0, 8]
    assert _t([0, 3, 5]).nonzero().tolist() == [[1], [2]]
    assert [t.tolist() for t in cr.nonzero(_t([[0, 1], [1, 0]]), as_tuple=True)] == \
        [[0, 1], [1, 0]]
    assert cr.nonzero(_t(5.)).shape == (1, 0) and cr.nonzero(_t(0.)).shape == (0, 0)
    assert cr.nonzero(_t(5.), as_tuple=True)[0].tolist() == [0]
    assert cr.nonzero(_t([1, 2])).dtype == np.int64
    assert cr.take(_t([[1, 2], [3, 4]]), _t([0, -1])).tolist() == [1, 4]
    assert cr.take(_t([[1, 2], [3, 4]]), _t(3)).shape == ()
    assert cr.zeros(2, 2).put(_t([0, -1]), _t([1., 2.])).tolist() == [[1, 0], [0, 2]]
    assert cr.zeros(3).put(_t([1, 1]), _t([1., 2.]), accumulate=True).tolist() == [0, 3, 0]


def test_creation_methods_take_this_tensors_dtype():
    f, i = cr.tensor([1.5]), cr.tensor([1, 2])
    assert f.new_zeros(2, 3).shape == (2, 3) and f.new_zeros((2,)).dtype == np.float32
    assert i.new_ones(2).tolist() == [1, 1] and i.new_ones(2).dtype == np.int64
    assert i.new_full((2,), 1.5).tolist() == [1, 1]  # the tensor's dtype, as in PyTorch
    assert i.new_full((2,), 1.5, dtype=cr.float64).tolist() == [1.5, 1.5]
    assert f.new_empty(3, 1).shape == (3, 1) and f.new_empty(3).dtype == np.float32
    assert f.new_tensor([1, 2]).dtype == np.float32
    assert i.new_tensor([1.7]).tolist() == [1]
    assert f.new_tensor([1, 2], dtype=cr.int32).dtype == np.int32
    assert f.new_zeros(()).shape == ()
    g = f.new_ones(2, requires_grad=True)
    assert g.requires_grad and g.grad_fn is None
    d = cr.tensor([1.0], requires_grad=True)
    assert not d.new_tensor(d).requires_grad  # a copy, out of the graph
    with pytest.raises(OpError, match="new_zeros"):
        f.new_zeros(-1)


def test_type_and_type_as():
    f, i = cr.tensor([1.5]), cr.tensor([1, 2])
    assert f.type() == "chainrule.FloatTensor" and i.type() == "chainrule.LongTensor"
    assert cr.tensor([True]).type() == "chainrule.BoolTensor"
    assert f.type(cr.float64).dtype == np.float64
    assert f.type("torch.IntTensor").dtype == np.int32
    assert f.type("chainrule.DoubleTensor").dtype == np.float64
    assert i.type_as(f).dtype == np.float32 and i.type_as(f).tolist() == [1.0, 2.0]
    assert f.type_as(f) is f
    with pytest.raises(OpTypeError, match="type"):
        f.type("torch.NoSuchTensor")
    x = make((3,), seed=3)  # float64
    y = x.type_as(cr.zeros(1)).sum()
    y.backward()
    assert x.grad.dtype == np.float64 and x.grad.tolist() == [1, 1, 1]


def test_view_and_shape_aliases_exist():
    x = cr.arange(6.)
    other = cr.zeros(2, 3)
    assert x.view_as(other).shape == (2, 3) and x.reshape_as(other).shape == (2, 3)
    assert cr.zeros(2, 1).expand_as(other.unsqueeze(0).expand(4, 2, 3)).shape == (4, 2, 3)


# ----- errors: never a silent wrap --------------------------------------------------------
@pytest.mark.parametrize("call", [
    lambda: cr.take(cr.zeros(2, 2), _t([4])),
    lambda: cr.take(cr.zeros(2, 2), _t([-5])),
    lambda: cr.zeros(3).put(_t([3]), _t([1.])),
    lambda: cr.zeros(3).put(_t([-4]), _t([1.])),
    lambda: cr.zeros(3).index_copy(0, _t([-1]), _t([1.])),
    lambda: cr.zeros(3).index_fill(0, _t([3]), 1.),
    lambda: cr.zeros(3).index_add(0, _t([-1]), _t([1.])),
    lambda: cr.zeros(3).scatter_add(0, _t([3]), _t([1.])),
    lambda: cr.zeros(3).scatter_reduce(0, _t([-1]), _t([1.]), "sum"),
    lambda: cr.zeros(3).narrow(0, 4, 0),
    lambda: cr.zeros(3).narrow(1, 0, 1),
    lambda: cr.diagonal(cr.zeros(2, 2), 0, 0, 2),
], ids=["take", "take-neg", "put", "put-neg", "index_copy", "index_fill", "index_add",
        "scatter_add", "scatter_reduce", "narrow-start", "narrow-dim", "diagonal-dim"])
def test_out_of_range_raises(call):
    with pytest.raises(IndexOutOfRangeError):
        call()


def test_bad_arguments_raise_readable_errors():
    with pytest.raises(OpError, match="narrow.*exceeds"):
        cr.zeros(3).narrow(0, 2, 2)
    with pytest.raises(OpError, match="t: expects"):
        cr.zeros(2, 2, 2).t()
    with pytest.raises(OpError, match="tril"):
        cr.tril(cr.zeros(3))
    with pytest.raises(OpError, match="diag"):
        cr.diag(cr.zeros(2, 2, 2))
    with pytest.raises(OpError, match="unfold.*size"):
        cr.zeros(3).unfold(0, 4, 1)
    with pytest.raises(OpError, match="step"):
        cr.zeros(3).unfold(0, 2, 0)
    with pytest.raises(OpError, match="unflatten"):
        cr.unflatten(cr.zeros(6), 0, (4, -1))
    with pytest.raises(OpError, match="repeats"):
        cr.repeat_interleave(cr.zeros(3), _t([1, 2]))
    with pytest.raises(OpError, match="repeats"):
        cr.repeat_interleave(cr.zeros(3), -1)
    with pytest.raises(OpError, match="indexing"):
        cr.meshgrid(cr.zeros(2), indexing="yx")
    with pytest.raises(OpError, match="reduce"):
        cr.scatter_reduce(cr.zeros(3), 0, _t([0]), _t([1.]), "max")
    with pytest.raises(OpTypeError, match="int64"):
        cr.scatter_reduce(cr.zeros(3), 0, _t(np.array([0], np.int32)), _t([1.]), "sum")
    with pytest.raises(OpTypeError, match="mask"):
        cr.masked_select(cr.zeros(3), _t([1, 0, 1]))
    with pytest.raises(OpError, match="masked_scatter"):
        cr.zeros(3).masked_scatter(_t([True, True, False]), _t([1.]))
    with pytest.raises(OpError, match="put"):
        cr.zeros(3).put(_t([0, 1]), _t([1.]))
    with pytest.raises(OpError, match="index_copy"):
        cr.zeros(3, 2).index_copy(0, _t([0]), cr.zeros(1, 3))
    with pytest.raises(OpError, match="index_fill"):
        cr.zeros(3).index_fill(0, _t([0]), cr.zeros(2))


# ----- gradcheck: first and second order, both modes, layouts -------------------------------
IDX = np.array([[0, 3, 0], [2, 2, 1]])
CASES = {
    "narrow": (lambda x: cr.narrow(x, 1, 1, 2), (3, 4)),
    "t": (lambda x: x.t(), (3, 4)),
    "tril": (lambda x: cr.tril(x, -1), (2, 3, 4)),
    "triu": (lambda x: x.triu(1), (3, 4)),
    "diag-vector": (lambda x: cr.diag(x, -1), (4,)),
    "diag-matrix": (lambda x: cr.diag(x, 1), (3, 4)),
    "diagonal": (lambda x: cr.diagonal(x, -1, 2, 0), (2, 3, 4)),
    "diag_embed": (lambda x: cr.diag_embed(x, 1, 0, -1), (2, 3)),
    "unfold": (lambda x: x.unfold(1, 2, 1), (3, 4)),
    "unflatten": (lambda x: cr.unflatten(x, 1, (2, 2)), (3, 4)),
    "repeat_interleave": (lambda x: x.repeat_interleave(_t([2, 0, 1, 1]), 1), (3, 4)),
    "masked_select": (lambda x: cr.masked_select(x, _t([True, False, True, True])), (3, 4)),
    "take": (lambda x: cr.take(x, _t([[0, 11], [-1, 0]])), (3, 4)),
}
TWO = {
    "scatter_add": (lambda x, s: cr.scatter_add(x, 1, IDX, s), (3, 4), (2, 3)),
    "index_add": (lambda x, s: cr.index_add(x, 0, _t([2, 2]), s, alpha=0.5), (3, 4), (2, 4)),
    "index_copy": (lambda x, s: x.index_copy(1, _t([3, 0]), s), (3, 4), (3, 2)),
    "index_fill": (lambda x, v: x.index_fill(0, _t([1]), v), (3, 4), ()),
    "masked_scatter": (lambda x, s: cr.masked_scatter(
        x, _t(np.arange(12).reshape(3, 4) % 3 == 0), s), (3, 4), (5,)),
    "put": (lambda x, s: cr.put(x, _t([0, -1, 5]), s), (3, 4), (3,)),
    "put-accumulate": (lambda x, s: x.put(_t([5, 5, 0]), s, accumulate=True), (3, 4), (3,)),
    "meshgrid": (lambda x, y: cr.meshgrid(x, y, indexing="xy"), (3,), (4,)),
}
REDUCE = [(r, inc) for r in ("sum", "prod", "mean", "amax", "amin") for inc in (True, False)]


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradcheck_one_input(name):
    fn, shape = CASES[name]
    for noncontiguous in (False, True):
        assert gradcheck(fn, (make(shape, seed=1, noncontiguous=noncontiguous),))
    assert gradgradcheck(fn, (make(shape, seed=2),))


@pytest.mark.parametrize("name", sorted(TWO))
def test_gradcheck_two_inputs(name):
    fn, sx, ss = TWO[name]
    for noncontiguous in (False, True):
        xs = (make(sx, seed=1, noncontiguous=noncontiguous),
              make(ss, seed=2, noncontiguous=noncontiguous))
        assert gradcheck(fn, xs)
    assert gradgradcheck(fn, (make(sx, seed=3), make(ss, seed=4)))


@pytest.mark.parametrize("reduce,include_self", REDUCE)
def test_gradcheck_scatter_reduce(reduce, include_self):
    fn = lambda x, s: cr.scatter_reduce(x, 1, IDX, s, reduce, include_self=include_self)  # noqa
    for noncontiguous in (False, True):
        xs = (make((3, 4), seed=5, noncontiguous=noncontiguous),
              make((2, 3), seed=6, noncontiguous=noncontiguous))
        assert gradcheck(fn, xs)
    assert gradgradcheck(fn, (make((3, 4), seed=7), make((2, 3), seed=8)))


def test_scatter_reduce_prod_gradient_is_exact_at_zeros():
    x = cr.tensor([[2.0, 3.0]], dtype=cr.float64, requires_grad=True)
    s = cr.tensor([[0.0, 5.0]], dtype=cr.float64, requires_grad=True)
    cr.scatter_reduce(x, 1, _t([[0, 0]]), s, "prod").sum().backward()
    assert x.grad.tolist() == [[0.0, 1.0]] and s.grad.tolist() == [[10.0, 0.0]]


def test_amax_ties_share_the_gradient():
    x = cr.tensor([1.0, 0.0], dtype=cr.float64, requires_grad=True)
    s = cr.tensor([1.0, 1.0], dtype=cr.float64, requires_grad=True)
    cr.scatter_reduce(x, 0, _t([0, 0]), s, "amax").sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1 / 3, 1.0])
    np.testing.assert_allclose(s.grad.numpy(), [1 / 3, 1 / 3])


def test_zero_dim_and_empty_inputs():
    x0 = make((), seed=1)
    assert gradcheck(lambda x: cr.take(x, _t([0, 0])), (x0,))
    assert gradcheck(lambda x: x.unfold(0, 1, 1), (x0,))
    assert x0.unfold(0, 1, 1).shape == (1,) and x0.unfold(0, 0, 1).shape == (0,)
    assert gradcheck(lambda x: x.repeat_interleave(3), (x0,))
    assert gradcheck(lambda x: x.t(), (x0,))
    assert gradcheck(lambda x: x.index_fill(0, _t([0]), 2.0), (x0,))
    assert x0.index_fill(0, _t([0]), 2.0).shape == ()
    assert gradcheck(lambda x, s: cr.scatter_reduce(x, 0, _t(0), s, "amax"),
                     (x0, make((), seed=2)))
    e = make((0, 3), seed=1)
    assert cr.tril(e).shape == (0, 3) and cr.diagonal(e).shape == (0,)
    assert e.narrow(1, 1, 2).shape == (0, 2)
    assert cr.masked_select(e, _t([True, False, True])).shape == (0,)
    assert cr.take(e, _t(np.zeros(0, np.int64))).shape == (0,)
    assert e.unfold(1, 2, 1).shape == (0, 2, 2)
    assert cr.repeat_interleave(e, 2, dim=1).shape == (0, 6)
    assert cr.nonzero(e).shape == (0, 2)
    assert cr.scatter_add(e, 1, _t(np.zeros((0, 3), np.int64)), e).shape == (0, 3)
    for out in (cr.tril(e), cr.diagonal(e), e.narrow(1, 1, 2), cr.diag_embed(e)):
        out.sum().backward()
    assert e.grad.shape == (0, 3)


# ----- in-place forms ---------------------------------------------------------------------
def test_inplace_forms_write_and_differentiate():
    src = make((2, 3), seed=2)
    x = make((3, 4), seed=1, requires_grad=False)
    before = x.numpy().copy()
    out = x.scatter_add_(1, IDX, src)
    assert out is x
    want = before.copy()
    np.add.at(want, (np.array([[0], [1]]), IDX), src.detach().numpy())
    np.testing.assert_allclose(x.detach().numpy(), want)
    x.sum().backward()
    assert src.grad.tolist() == [[1.0] * 3] * 2
    # A non-leaf target keeps its history: gradients reach the leaf through the write.
    leaf = make((3, 4), seed=3)
    y = leaf * 2
    y.tril_().index_fill_(1, _t([0]), 0.0)
    y.sum().backward()
    want = np.tril(np.full((3, 4), 2.0))
    want[:, 0] = 0
    np.testing.assert_allclose(leaf.grad.numpy(), want)
    with pytest.raises(RuntimeError, match="leaf"):
        make((3,), seed=4).put_(_t([0]), cr.zeros(1, dtype=cr.float64))


def test_inplace_forms_without_grad():
    x = cr.zeros(3)
    x.index_add_(0, _t([1]), _t([2.])).index_copy_(0, _t([0]), _t([5.]))
    x.masked_scatter_(_t([False, False, True]), _t([7.]))
    x.put_(_t([1]), _t([1.]), accumulate=True)
    assert x.tolist() == [5, 3, 7]
    x.scatter_reduce_(0, _t([0, 0]), _t([1., 9.]), "amin", include_self=False)
    assert x.tolist() == [1, 3, 7]
    m = cr.ones(2, 2)
    m.triu_(1)
    assert m.tolist() == [[0, 1], [0, 0]]


# ----- PyTorch as the oracle ----------------------------------------------------------------
def _both(torch, arrays, grad=True):
    ours = [cr.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays]
    theirs = [torch.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays]
    return ours, theirs


def _arg(torch, a):
    return torch.tensor(a) if isinstance(a, np.ndarray) else a


def _check(torch, fn, tfn, arrays, args=(), kwargs=None):
    """Values, shapes and dtypes, and the gradients of a random cotangent, against torch.
    ``args``: non-tensor arguments; NumPy arrays among them become torch tensors."""
    kwargs = kwargs or {}
    ours, theirs = _both(torch, arrays)
    out = fn(*ours, *args, **kwargs)
    ref = tfn(*theirs, *(_arg(torch, a) for a in args),
              **{k: _arg(torch, v) for k, v in kwargs.items()})
    outs = out if isinstance(out, tuple) else (out,)
    refs = ref if isinstance(ref, tuple) else (ref,)
    assert len(outs) == len(refs)
    rng = np.random.default_rng(0)
    loss_ours, loss_theirs = 0, 0
    for o, r in zip(outs, refs):
        assert o.shape == tuple(r.shape), (o.shape, r.shape)
        assert str(o.dtype) == str(r.dtype).replace("torch.", ""), (o.dtype, r.dtype)
        np.testing.assert_allclose(o.detach().numpy(), r.detach().numpy(), rtol=1e-12)
        if o.requires_grad:
            ct = rng.standard_normal(o.shape)
            loss_ours = loss_ours + (o * cr.tensor(ct)).sum()
            loss_theirs = loss_theirs + (r * torch.tensor(ct)).sum()
    if not isinstance(loss_ours, int):
        loss_ours.backward()
        loss_theirs.backward()
        for a, b in zip(ours, theirs):
            if b.grad is not None:
                np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-10,
                                           atol=1e-12)


def _r(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


@pytest.mark.oracle
def test_oracle_shape_ops():
    torch = pytest.importorskip("torch")
    x, m = _r(2, 3, 4), _r(3, 4)
    _check(torch, cr.narrow, torch.narrow, [x], (2, -3, 2))
    _check(torch, lambda a: a.t(), lambda a: a.t(), [m])
    _check(torch, lambda a: a.t(), lambda a: a.t(), [_r(4)])
    for d in (-2, 0, 1, 5):
        _check(torch, cr.tril, torch.tril, [x], (d,))
        _check(torch, cr.triu, torch.triu, [x], kwargs={"diagonal": d})
        _check(torch, cr.diag, torch.diag, [m], (d,))
        _check(torch, cr.diag, torch.diag, [_r(3)], (d,))
    for args in ((0, 0, 1), (1, 2, 0), (-2, -1, 1), (4, 0, 2)):
        _check(torch, cr.diagonal, torch.diagonal, [x], args)
    for args in ((0, -2, -1), (1, 0, 2), (-1, 2, 0)):
        _check(torch, cr.diag_embed, torch.diag_embed, [x], args)
    for args in ((2, 2, 1), (0, 2, 3), (1, 3, 2), (-1, 4, 1)):
        _check(torch, lambda a, *k: a.unfold(*k), lambda a, *k: a.unfold(*k), [x], args)
    _check(torch, cr.unflatten, torch.unflatten, [x], (-1, (2, -1)))
    _check(torch, cr.repeat_interleave, torch.repeat_interleave, [x], (2,))
    _check(torch, cr.repeat_interleave, torch.repeat_interleave, [x], (np.array([1, 3, 0]), 1))
    _check(torch, cr.repeat_interleave, torch.repeat_interleave, [x], (np.array(2), -1))
    _check(torch, cr.movedim, torch.movedim, [x], ((0, 1), (2, 0)))
    _check(torch, cr.moveaxis, torch.moveaxis, [x], (-1, 0))
    _check(torch, cr.roll, torch.roll, [x], (3,))
    _check(torch, cr.roll, torch.roll, [x], ((1, -2), (0, 2)))
    _check(torch, cr.roll, torch.roll, [x], (-1, 1))
    for indexing in ("ij", "xy"):
        _check(torch, lambda *t, **k: cr.meshgrid(*t, **k),
               lambda *t, **k: torch.meshgrid(*t, **k),
               [_r(2), _r(3), _r(4)], kwargs={"indexing": indexing})


@pytest.mark.oracle
def test_oracle_roll_argument_rules():
    torch = pytest.importorskip("torch")
    for args in (((1, 2),), ((1,), (0, 1)), (1, 3)):
        with pytest.raises((RuntimeError, IndexError)):
            torch.roll(torch.zeros(2, 3), *args)
        with pytest.raises((OpError, IndexOutOfRangeError)):
            cr.roll(cr.zeros(2, 3), *args)


@pytest.mark.oracle
def test_oracle_indexing_ops():
    torch = pytest.importorskip("torch")
    x, src = _r(3, 4), _r(2, 3, seed=1)
    sa = lambda a, s: cr.scatter_add(a, 1, IDX, s)  # noqa: E731
    _check(torch, sa, lambda a, s: torch.scatter_add(a, 1, torch.tensor(IDX), s), [x, src])
    for reduce, include_self in REDUCE:
        def ours(a, s):
            return cr.scatter_reduce(a, 1, IDX, s, reduce, include_self=include_self)

        def theirs(a, s):
            return torch.scatter_reduce(a, 1, torch.tensor(IDX), s, reduce,
                                        include_self=include_self)
        _check(torch, ours, theirs, [x, src])
        xi, si = (np.arange(12) - 5).reshape(3, 4), np.arange(6).reshape(2, 3) - 2
        _check(torch, ours, theirs, [xi, si])
    i2 = np.array([3, 0, 3])
    _check(torch, lambda a, s: cr.index_add(a, 1, i2, s, alpha=2.0),
           lambda a, s: torch.index_add(a, 1, torch.tensor(i2), s, alpha=2.0),
           [x, _r(3, 3, seed=2)])
    _check(torch, lambda a, s: cr.index_copy(a, 0, np.array([2, 0]), s),
           lambda a, s: torch.index_copy(a, 0, torch.tensor([2, 0]), s), [x, _r(2, 4, seed=3)])
    _check(torch, lambda a, v: cr.index_fill(a, 1, np.array([1, 3]), v),
           lambda a, v: torch.index_fill(a, 1, torch.tensor([1, 3]), v), [x, np.array(0.5)])
    _check(torch, cr.index_fill, torch.index_fill, [x], (1, np.array([2]), -3.0))
    mask = np.array([True, False, False, True])
    _check(torch, cr.masked_select, torch.masked_select, [x], (mask,))
    _check(torch, cr.masked_select, torch.masked_select, [_r(4)], (x > 0,))
    _check(torch, lambda a, s: cr.masked_scatter(a, mask, s),
           lambda a, s: torch.masked_scatter(a, torch.tensor(mask), s), [x, _r(9, seed=4)])
    _check(torch, cr.take, torch.take, [x], (np.array([[0, -12], [11, 3]]),))
    _check(torch, lambda a, s: cr.put(a, np.array([0, -1, 6]), s),
           lambda a, s: torch.put(a, torch.tensor([0, -1, 6]), s), [x, _r(3, seed=5)])
    _check(torch, lambda a, s: a.put(np.array([6, 6, 1]), s, accumulate=True),
           lambda a, s: a.put(torch.tensor([6, 6, 1]), s, accumulate=True), [x, _r(3, seed=5)])
    for data in (x > 0, np.array(3.0), np.array(0), np.zeros((2, 0))):
        ours, ref = cr.nonzero(cr.tensor(data)), torch.nonzero(torch.tensor(data))
        assert ours.shape == tuple(ref.shape) and ours.tolist() == ref.tolist()
        ours = cr.nonzero(cr.tensor(data), as_tuple=True)
        ref = torch.nonzero(torch.tensor(data), as_tuple=True)
        assert [o.tolist() for o in ours] == [r.tolist() for r in ref]


@pytest.mark.oracle
def test_oracle_out_of_range_agrees():
    torch = pytest.importorskip("torch")
    x = np.zeros((3, 4))
    for fn in (lambda lib, t: lib.take(t, lib.tensor([12])),
               lambda lib, t: lib.take(t, lib.tensor([-13])),
               lambda lib, t: t.narrow(0, 4, 0)):
        with pytest.raises(IndexError):
            fn(torch, torch.tensor(x))
        with pytest.raises(IndexOutOfRangeError):
            fn(cr, cr.tensor(x))


@pytest.mark.oracle
def test_oracle_creation_and_types():
    torch = pytest.importorskip("torch")
    for data in ([1.5], [1, 2], [True]):
        a, b = cr.tensor(data), torch.tensor(data)
        for name, args in (("new_zeros", ((2, 3),)), ("new_ones", (2,)),
                           ("new_full", ((2,), 3.7)), ("new_empty", ((2,),)),
                           ("new_tensor", ([0, 1.5],))):
            o, r = getattr(a, name)(*args), getattr(b, name)(*args)
            assert o.shape == tuple(r.shape) and str(o.dtype) == str(r.dtype)[6:], name
            if name != "new_empty":
                assert o.tolist() == r.tolist(), name
        assert a.type().split(".")[1] == b.type().split(".")[1]
        assert str(a.type_as(cr.zeros(1, dtype=cr.float64)).dtype) == \
            str(b.type_as(torch.zeros(1, dtype=torch.float64)).dtype)[6:]


@pytest.mark.oracle
def test_oracle_inplace_forms():
    torch = pytest.importorskip("torch")
    x, src = _r(3, 4), _r(2, 3, seed=1)
    for name, args in (("scatter_add_", (1, IDX, src)),
                       ("scatter_reduce_", (1, IDX, src, "prod")),
                       ("index_add_", (0, np.array([2, 2]), _r(2, 4))),
                       ("index_copy_", (0, np.array([2, 0]), _r(2, 4))),
                       ("index_fill_", (1, np.array([1]), 2.5)),
                       ("masked_scatter_", (x > 0, _r(12))),
                       ("put_", (np.array([1, -2]), _r(2))),
                       ("tril_", (1,)), ("triu_", (-1,))):
        a, b = cr.tensor(x), torch.tensor(x)
        getattr(a, name)(*args)
        getattr(b, name)(*(_arg(torch, v) for v in args))
        np.testing.assert_allclose(a.numpy(), b.numpy(), err_msg=name)


# ----- view(dtype): the same bits read as another dtype -------------------------------------
def test_view_dtype_reinterprets_bits():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    bits = x.view(cr.int32)
    assert bits.dtype == np.int32 and not bits.requires_grad
    assert bits.tolist() == [1065353216, 1073741824]
    assert cr.ones(2, 3).view(cr.float16).shape == (2, 6)
    assert cr.ones(2, 4, dtype=cr.float16).view(cr.float64).shape == (2, 1)
    same = x.view(cr.float32)
    assert same.requires_grad  # the same dtype: an ordinary, differentiable view
    same.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]
    for bad in (lambda: cr.tensor(1.0).view(cr.float16),
                lambda: cr.ones(3, 2).t().view(cr.float16),
                lambda: cr.ones(3).view(cr.float64)):
        with pytest.raises(RuntimeError, match="view"):
            bad()


@pytest.mark.oracle
@pytest.mark.parametrize("src, dst, shape", [("float32", "int32", (2, 3)),
                                             ("float32", "float16", (2, 3)),
                                             ("float16", "float32", (3, 4)),
                                             ("int64", "float64", (5,)),
                                             ("float64", "uint8", (2,))])
def test_view_dtype_against_torch(src, dst, shape):
    torch = pytest.importorskip("torch")
    data = np.random.default_rng(0).normal(size=shape).astype(src)
    ours = cr.tensor(data).view(np.dtype(dst))
    theirs = torch.from_numpy(data.copy()).view(getattr(torch, dst))
    assert ours.shape == tuple(theirs.shape)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
