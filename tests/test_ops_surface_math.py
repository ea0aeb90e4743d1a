"""The PyTorch op surface for elementwise math, sorting, scans and statistics
(chainrule.optable_math): values, dtypes, shapes and gradients against PyTorch (the oracle),
gradchecks in float64 (first and second order, reverse and forward mode) on 0-d, broadcast
and non-contiguous inputs, empty inputs, and known values that need no PyTorch."""
import math

import numpy as np
import pytest

import chainrule as cr
from chainrule.autograd import gradcheck, gradgradcheck
from chainrule.errors import IndexOutOfRangeError, OpError, OpTypeError
from chainrule.ops import elementwise as ew
from conftest import make

NAN, INF = float("nan"), float("inf")


def t(data, dtype=None, grad=False):
    out = cr.tensor(data, dtype=dtype)
    return out.requires_grad_(True) if grad else out


def values(x):
    return x.detach().numpy() if hasattr(x, "detach") else np.asarray(x)


# ----- known values, without PyTorch -------------------------------------------------------
def test_elementwise_known_values():
    np.testing.assert_array_equal(values(cr.copysign(t([1., -2., 3.]), t([-1., 2., -0.]))),
                                  [-1., 2., -3.])
    np.testing.assert_allclose(values(cr.xlogy(t([0., 2., 0., 0.]), t([0., math.e, INF, NAN]))),
                               [0., 2., 0., NAN])
    np.testing.assert_allclose(values(cr.lerp(t([1., 2.]), t([3., 6.]), 0.25)), [1.5, 3.])
    np.testing.assert_allclose(values(cr.lerp(t([1., 2.]), t([3., 6.]), t([0.5, 1.]))), [2., 6.])
    np.testing.assert_allclose(values(cr.logit(t([0.5, 0.75]))), [0., math.log(3.)], rtol=1e-6)
    np.testing.assert_allclose(values(cr.logit(t([0., 1.]), eps=0.25)),
                               [-math.log(3.), math.log(3.)], rtol=1e-6)
    np.testing.assert_array_equal(values(cr.frac(t([1.5, -2.25, 3.]))), [0.5, -0.25, 0.])
    np.testing.assert_array_equal(values(cr.sgn(t([-2., 0., 3.]))), [-1., 0., 1.])
    np.testing.assert_allclose(values(cr.sgn(t([3 + 4j, 0j]))), [0.6 + 0.8j, 0])
    out = cr.float_power(t([2, 3]), 2)
    assert out.dtype == np.float64 and values(out).tolist() == [4., 9.]
    assert cr.float_power(t([1 + 1j]), 2).dtype == np.complex128
    assert cr.isclose(t([1., 2., INF, NAN]), t([1. + 1e-9, 2.1, INF, NAN])).tolist() == \
        [True, False, True, False]
    assert cr.isclose(t([NAN]), t([NAN]), equal_nan=True).tolist() == [True]
    assert cr.allclose(t([1., 2.]), t([1., 2. + 1e-9])) is True
    assert t([1., 2.]).allclose(t([1., 3.])) is False
    assert cr.nan_to_num(t([NAN, INF, -INF, 1.])).tolist() == \
        [0., float(np.finfo(np.float32).max), float(np.finfo(np.float32).min), 1.]
    assert cr.nan_to_num(t([NAN, INF, -INF]), nan=1., posinf=2., neginf=-3.).tolist() == \
        [1., 2., -3.]
    assert t([1, 2]).nan_to_num().tolist() == [1, 2]


def test_div_rounding_modes_known_values():
    # ew.div_mode is what cr.div / Tensor.div run once the div row points at it
    assert ew.div_mode(t([-7, 7]), 2, rounding_mode="trunc").tolist() == [-3, 3]
    assert ew.div_mode(t([-7, 7]), 2, rounding_mode="floor").tolist() == [-4, 3]
    assert ew.div_mode(t([-7., 7.]), 2, rounding_mode="trunc").tolist() == [-3., 3.]
    assert ew.div_mode(t([-7., 7.]), 2., rounding_mode="floor").tolist() == [-4., 3.]
    assert ew.div_mode(t([-7, 7]), t([2, -2]), rounding_mode="trunc").dtype == np.int64
    np.testing.assert_allclose(values(ew.div_mode(t([1, 3]), 2)), [0.5, 1.5])
    with pytest.raises(OpError, match="rounding_mode"):
        ew.div_mode(t([1.]), 2, rounding_mode="round")
    x = t([-7.5, 7.5], "float64", grad=True)
    ew.div_mode(x, 2., rounding_mode="floor").sum().backward()
    assert x.grad.tolist() == [0., 0.]


def test_sorting_known_values():
    x = t([3., 1., 2., 1.])
    s = cr.sort(x)
    assert s.values.tolist() == [1., 1., 2., 3.] and s.indices.tolist() == [1, 3, 2, 0]
    d = x.sort(descending=True, stable=True)
    assert d.values.tolist() == [3., 2., 1., 1.] and d.indices.tolist() == [0, 2, 1, 3]
    assert cr.sort(t([2., NAN, 1.])).indices.tolist() == [2, 0, 1]
    assert cr.sort(t([2., NAN, 1.]), descending=True).indices.tolist() == [1, 0, 2]
    assert cr.argsort(x).tolist() == [1, 3, 2, 0] and cr.argsort(x).dtype == np.int64
    assert cr.msort(t([[2., 1.], [0., 3.]])).tolist() == [[0., 1.], [2., 3.]]
    k = cr.topk(t([1., 5., 3., 4.]), 2)
    assert k.values.tolist() == [5., 4.] and k.indices.tolist() == [1, 3]
    k = t([1., 5., 3., 4.]).topk(3, largest=False)
    assert k.values.tolist() == [1., 3., 4.] and k.indices.tolist() == [0, 2, 3]
    kv = cr.kthvalue(t([[3., 1., 2.]]), 2, 1, True)
    assert kv.values.tolist() == [[2.]] and kv.indices.tolist() == [[2]]
    assert cr.median(t([4., 1., 3., 2.])).item() == 2.
    m = cr.median(t([[4., 1., 3., 2.], [0., NAN, 5., 6.]]), 1)
    assert m.values.tolist()[0] == 2. and math.isnan(m.values.tolist()[1])
    assert m.indices.tolist() == [3, 1]
    assert math.isnan(cr.median(t([])).item())
    mo = cr.mode(t([1., 3., 3., 2., 2., 5.]))
    assert mo.values.item() == 2. and mo.indices.item() == 4
    c = cr.cummax(t([1., 3., 3., 2., 5., NAN, 7.]), 0)
    assert c.indices.tolist() == [0, 1, 2, 2, 4, 5, 5]
    c = cr.cummin(t([3, 1, 2, 0, 0]), 0)
    assert c.values.tolist() == [3, 1, 1, 0, 0] and c.indices.tolist() == [0, 1, 1, 3, 4]
    np.testing.assert_allclose(values(cr.logcumsumexp(t([0., 0., math.log(2.)]), 0)),
                               [0., math.log(2.), math.log(4.)], rtol=1e-6)
    np.testing.assert_allclose(values(cr.logcumsumexp(t([-INF, 0.]), 0)), [-INF, 0.])


def test_search_and_unique_known_values():
    assert cr.searchsorted(t([1, 3, 5, 7]), t([3, 6])).tolist() == [1, 3]
    assert cr.searchsorted(t([1, 3, 5, 7]), t([3, 6]), right=True).tolist() == [2, 3]
    assert cr.searchsorted(t([1, 3, 5, 7]), t([3]), side="right").tolist() == [2]
    assert cr.searchsorted(t([1, 3, 5]), 3).shape == ()
    assert cr.searchsorted(t([1, 3]), t([2]), out_int32=True).dtype == np.int32
    assert cr.searchsorted(t([[1, 3], [2, 4]]), t([[2], [5]])).tolist() == [[1], [2]]
    assert cr.searchsorted(t([5, 1, 3]), t([2]), sorter=t([1, 2, 0])).tolist() == [1]
    assert cr.bucketize(t([1, 4, 9]), t([1, 5, 9])).tolist() == [0, 1, 2]
    assert cr.bucketize(t([1, 4, 9]), t([1, 5, 9]), right=True).tolist() == [1, 1, 3]
    u, inv, cnt = cr.unique(t([[3, 1], [3, 2]]), return_inverse=True, return_counts=True)
    assert u.tolist() == [1, 2, 3] and inv.tolist() == [[2, 0], [2, 1]]
    assert cnt.tolist() == [1, 1, 2]
    assert t([3, 1, 3]).unique().tolist() == [1, 3]
    u, inv = cr.unique(t([[1, 2], [0, 0], [1, 2]]), dim=0, return_inverse=True)
    assert u.tolist() == [[0, 0], [1, 2]] and inv.tolist() == [1, 0, 1]


def test_statistics_known_values():
    v, m = cr.var_mean(t([1., 2., 3., 4.]))
    assert math.isclose(v.item(), 5 / 3, rel_tol=1e-6) and m.item() == 2.5
    s, m = cr.std_mean(t([[1., 3.], [2., 2.]]), 1, correction=0)
    assert s.tolist() == [1., 0.] and m.tolist() == [2., 2.]
    assert cr.nansum(t([1., NAN, 2.])).item() == 3.
    assert t([1, 2], "int32").nansum().dtype == np.int64
    assert t([[1., NAN], [2., 3.]]).nanmean(1).tolist() == [1., 2.5]
    assert math.isnan(cr.nanmean(t([NAN])).item())
    assert cr.count_nonzero(t([[0, 1], [2, 3]]), dim=0).tolist() == [1, 2]
    assert cr.count_nonzero(t([[0, 1], [2, 3]]), dim=(0, 1)).item() == 3
    assert cr.count_nonzero(t(0.)).shape == ()
    mm = t([[1., 2.], [3., 0.]]).aminmax(dim=0)
    assert mm.min.tolist() == [1., 0.] and mm.max.tolist() == [3., 2.]
    assert cr.quantile(t([1., 2., 3., 4.]), 0.5).item() == 2.5
    q = cr.quantile(t([[1., 2., 3., 4.]]), t([0.25, 0.5]), dim=1, keepdim=True)
    assert q.shape == (2, 1, 1) and q.reshape(-1).tolist() == [1.75, 2.5]
    for mode_, want in (("lower", 2.), ("higher", 3.), ("midpoint", 2.5), ("nearest", 3.)):
        assert cr.quantile(t([1., 2., 3., 4.]), 0.5, interpolation=mode_).item() == want
    assert math.isnan(cr.quantile(t([1., NAN, 3.]), 0.1).item())


# ----- errors --------------------------------------------------------------------------------
def test_errors_name_the_op():
    with pytest.raises(OpTypeError, match="frac"):
        cr.frac(t([1, 2]))
    with pytest.raises(OpTypeError, match="lerp"):
        cr.lerp(t([1.]), t([1.], "float64"), 0.5)
    with pytest.raises(OpTypeError, match="isclose"):
        cr.isclose(t([1.]), t([1.], "float64"))
    with pytest.raises(IndexOutOfRangeError, match="topk"):
        cr.topk(t([1., 2.]), 3)
    with pytest.raises(IndexOutOfRangeError, match="kthvalue"):
        cr.kthvalue(t([1., 2.]), 0)
    with pytest.raises(IndexOutOfRangeError, match="median"):
        cr.median(cr.zeros((2, 0)), 1)
    with pytest.raises(IndexOutOfRangeError, match="sort"):
        cr.sort(t([1., 2.]), 3)
    with pytest.raises(OpError, match="quantile"):
        cr.quantile(t([1., 2.]), 1.5)
    with pytest.raises(OpError, match="quantile"):
        cr.quantile(t([]), 0.5)
    with pytest.raises(OpTypeError, match="quantile"):
        cr.quantile(t([1, 2]), 0.5)
    with pytest.raises(OpTypeError, match="logcumsumexp"):
        cr.logcumsumexp(t([1, 2]), 0)
    with pytest.raises(OpTypeError, match="nanmean"):
        cr.nanmean(t([1, 2]))
    with pytest.raises(OpError, match="searchsorted"):
        cr.searchsorted(t([[1, 2]]), t([[1], [2]]))
    with pytest.raises(OpError, match="bucketize"):
        cr.bucketize(t([1]), t([[1, 2]]))


# ----- gradients: gradcheck in float64, first and second order -------------------------------
GRAD_CASES = [
    ("copysign", lambda x, y: cr.copysign(x, y), [(3, 4), (4,)]),
    ("copysign-0d", lambda x, y: cr.copysign(x, y), [(), (3,)]),
    ("xlogy", lambda x, y: cr.xlogy(x, y + 2.5), [(3, 4), (4,)]),
    ("lerp", lambda a, b, w: cr.lerp(a, b, w), [(2, 3), (3,), ()]),
    ("logit", lambda x: cr.logit(x * 0.2 + 0.5), [(2, 3)]),
    ("logit-eps", lambda x: cr.logit(x * 0.2 + 0.5, 0.3), [(2, 3)]),
    ("frac", lambda x: cr.frac(x), [()]),
    ("float_power", lambda x, y: cr.float_power(x + 2.5, y), [(2, 3), (3,)]),
    ("nan_to_num", lambda x: cr.nan_to_num(x), [()]),
    ("sort-0d", lambda x: cr.sort(x).values, [()]),
    ("sort-desc", lambda x: cr.sort(x, 0, True).values, [(4, 3)]),
    ("topk", lambda x: cr.topk(x, 2, 0).values, [(4, 3)]),
    ("kthvalue-0d", lambda x: cr.kthvalue(x, 1).values, [()]),
    ("median-all", lambda x: cr.median(x), [(3, 4)]),
    ("median-0d", lambda x: cr.median(x), [()]),
    ("mode-0d", lambda x: cr.mode(x).values, [()]),
    ("cummax-0d", lambda x: cr.cummax(x, 0).values, [()]),
    ("cummin", lambda x: cr.cummin(x, -1).values, [(3, 5)]),
    ("logcumsumexp", lambda x: cr.logcumsumexp(x, -1), [(3, 5)]),
    ("quantile-0d", lambda x: cr.quantile(x, 0.3), [()]),
    ("quantile-q", lambda x: cr.quantile(x, cr.tensor([0.1, 0.9], dtype="float64")), [(3, 4)]),
    ("var_mean-0d", lambda x: cr.var_mean(x, correction=0), [()]),
    ("std_mean", lambda x: cr.std_mean(x, 0), [(3, 4)]),
    ("nansum-0d", lambda x: cr.nansum(x), [()]),
    ("nanmean", lambda x: cr.nanmean(x, (0, 1)), [(2, 3, 2)]),
    ("aminmax-0d", lambda x: cr.aminmax(x), [()]),
]


@pytest.mark.parametrize("name,fn,shapes", GRAD_CASES, ids=[c[0] for c in GRAD_CASES])
def test_gradcheck(name, fn, shapes):
    for noncontiguous in (False, True):
        xs = [make(s, seed=k + 3, noncontiguous=noncontiguous) for k, s in enumerate(shapes)]
        assert gradcheck(fn, xs)
    xs = [make(s, seed=k + 3) for k, s in enumerate(shapes)]
    assert gradgradcheck(fn, xs)


def test_gradients_at_special_points():
    # copysign: 0 at x == 0, nothing to y; xlogy: log(y) is not taken where x == 0
    x, y = t([0., 2., -3.], "float64", True), t([-1., -1., 2.], "float64", True)
    cr.copysign(x, y).sum().backward()
    assert x.grad.tolist() == [0., -1., -1.] and y.grad.tolist() == [0., 0., 0.]
    x, y = t([0., 2.], "float64", True), t([1., 4.], "float64", True)
    cr.xlogy(x, y).sum().backward()
    assert x.grad.tolist() == [0., math.log(4.)] and y.grad.tolist() == [0., 0.5]
    # nan_to_num: gradient 1 where finite, 0 where replaced
    x = t([NAN, 1., INF], "float64", True)
    cr.nan_to_num(x).sum().backward()
    assert x.grad.tolist() == [0., 1., 0.]
    # nansum / nanmean: NaN positions get 0
    x = t([NAN, 1., 3.], "float64", True)
    cr.nanmean(x).backward()
    assert x.grad.tolist() == [0., 0.5, 0.5]
    # median without dim: ties share the gradient evenly
    x = t([1., 2., 2., 3.], "float64", True)
    cr.median(x).backward()
    assert x.grad.tolist() == [0., 0.5, 0.5, 0.]
    # logit with eps: 0 outside [eps, 1 - eps]
    x = t([0.1, 0.5], "float64", True)
    cr.logit(x, eps=0.2).sum().backward()
    assert x.grad.tolist() == [0., 4.]


@pytest.mark.parametrize("fn", [
    lambda x: cr.sort(x, 1).values, lambda x: cr.cummax(x, 1).values,
    lambda x: cr.logcumsumexp(x, 1), lambda x: cr.nansum(x, 1), lambda x: cr.msort(x),
    lambda x: cr.topk(x, 0, 1).values, lambda x: cr.var_mean(x, 1)[1],
], ids=["sort", "cummax", "logcumsumexp", "nansum", "msort", "topk", "var_mean"])
def test_empty_inputs(fn):
    x = cr.zeros((0, 3), dtype="float64").requires_grad_(True)
    out = fn(x)
    out.sum().backward()
    assert x.grad.shape == (0, 3)


def test_forward_mode_through_sort():
    x = make((2, 4), seed=5)
    v = make((2, 4), seed=6, requires_grad=False)
    _, tangent = cr.func.jvp(lambda a: cr.sort(a, 1).values, (x.detach(),), (v,))
    idx = np.argsort(values(x), 1)
    np.testing.assert_allclose(values(tangent), np.take_along_axis(values(v), idx, 1))


# ----- against PyTorch -------------------------------------------------------------------------
def _flat(out):
    return list(out) if isinstance(out, tuple) else [out]


def _torch_dtype_name(torch_dtype):
    return str(torch_dtype).replace("torch.", "")


def _oracle(cr_fn, torch_fn, arrays, grad=True, rtol=1e-6):
    torch = pytest.importorskip("torch")
    xs = [cr.from_numpy(a.copy()) for a in arrays]
    ts = [torch.from_numpy(a.copy()) for a in arrays]
    diff = [i for i, a in enumerate(arrays) if grad and a.dtype.kind == "f"]
    for i in diff:
        xs[i].requires_grad_(True)
        ts[i].requires_grad_(True)
    got, want = _flat(cr_fn(*xs)), _flat(torch_fn(*ts))
    assert len(got) == len(want)
    for g, w in zip(got, want):
        if isinstance(w, bool):
            assert g is w
            continue
        assert g.shape == tuple(w.shape), (g.shape, w.shape)
        assert str(g.dtype) == _torch_dtype_name(w.dtype), (g.dtype, w.dtype)
        np.testing.assert_allclose(values(g), w.detach().numpy(), rtol=rtol, atol=1e-7)
    if not diff:
        return
    rng = np.random.default_rng(7)
    pairs = [(g, w) for g, w in zip(got, want) if getattr(w, "requires_grad", False)]
    if not pairs:  # no gradient (isclose, argsort, searchsorted, ...): none in chainrule
        assert not any(getattr(g, "requires_grad", False) for g in got)
        return
    cots = [rng.standard_normal(tuple(w.shape)).astype(values(g).dtype) for g, w in pairs]
    sum((g * cr.from_numpy(c)).sum() for (g, _), c in zip(pairs, cots)).backward()
    sum((w * torch.from_numpy(c)).sum() for (_, w), c in zip(pairs, cots)).backward()
    for i in diff:
        tg = ts[i].grad
        want_grad = np.zeros(arrays[i].shape) if tg is None or tg._is_zerotensor() else \
            tg.numpy()
        got_grad = np.zeros(arrays[i].shape) if xs[i].grad is None else values(xs[i].grad)
        np.testing.assert_allclose(got_grad, want_grad, rtol=1e-5, atol=1e-6)


R = np.random.default_rng(0)
A = R.uniform(-2, 2, (3, 5))
B = R.uniform(-2, 2, (5,))
P = R.uniform(0.05, 0.95, (3, 5))
I = R.integers(-5, 6, (3, 5))
TIES = np.array([[1., 3., 3., 2., 2., 5.], [4., 4., 1., 0., 0., 0.]])
WITH_NAN = np.array([[1., NAN, 3., -INF], [INF, 2., NAN, 0.]])


def _cases():
    return [
        ("copysign", cr.copysign, "copysign", [A, B]),
        ("copysign-int", cr.copysign, "copysign", [I, -I]),
        ("xlogy", cr.xlogy, "xlogy", [A, np.abs(B) + 0.1]),
        ("xlogy-int", cr.xlogy, "xlogy", [I, np.abs(I) + 1]),
        ("lerp", lambda a, b: cr.lerp(a, b, 0.7), lambda a, b: a.lerp(b, 0.7), [A, A[::-1]]),
        ("lerp-w", cr.lerp, "lerp", [A, B, P]),
        ("logit", cr.logit, "logit", [P]),
        ("logit-eps", lambda x: x.logit(0.2), lambda x: x.logit(0.2), [P]),
        ("logit-int", cr.logit, "logit", [np.array([0, 1])]),
        ("frac", cr.frac, "frac", [A * 3]),
        ("sgn", cr.sgn, "sgn", [A]),
        ("sgn-int", cr.sgn, "sgn", [I]),
        ("float_power", cr.float_power, "float_power", [np.abs(A).astype(np.float32), B]),
        ("float_power-int", lambda x: cr.float_power(x, 2), lambda x: x.float_power(2), [I]),
        ("isclose", cr.isclose, "isclose", [A, A + 1e-6]),
        ("isclose-nan", lambda a, b: cr.isclose(a, b, equal_nan=True),
         lambda a, b: a.isclose(b, equal_nan=True), [WITH_NAN, WITH_NAN]),
        ("allclose", cr.allclose, "allclose", [A, A + 1e-9]),
        ("nan_to_num", cr.nan_to_num, "nan_to_num", [WITH_NAN]),
        ("nan_to_num-args", lambda x: cr.nan_to_num(x, 1., 2., -2.),
         lambda x: x.nan_to_num(1., 2., -2.), [WITH_NAN.astype(np.float32)]),
        ("sort", lambda x: cr.sort(x, 1), lambda x: x.sort(dim=1, stable=True), [A]),
        ("sort-desc", lambda x: x.sort(0, descending=True, stable=True),
         lambda x: x.sort(dim=0, descending=True, stable=True), [TIES.T.copy()]),
        ("sort-nan", lambda x: cr.sort(x, stable=True), lambda x: x.sort(stable=True),
         [WITH_NAN]),
        ("sort-int", lambda x: cr.sort(x, stable=True), lambda x: x.sort(stable=True), [I]),
        ("argsort", lambda x: cr.argsort(x, descending=True, stable=True),
         lambda x: x.argsort(descending=True, stable=True), [TIES]),
        ("msort", cr.msort, "msort", [A]),
        ("topk", lambda x: cr.topk(x, 3), lambda x: x.topk(3), [A]),
        ("topk-small", lambda x: x.topk(2, 0, False), lambda x: x.topk(2, 0, False), [A]),
        ("kthvalue", lambda x: cr.kthvalue(x, 2, 0, True), lambda x: x.kthvalue(2, 0, True),
         [A]),
        ("median", cr.median, "median", [A]),
        ("median-ties", cr.median, "median", [TIES]),
        ("median-dim", lambda x: cr.median(x, 1), lambda x: x.median(1), [A]),
        ("median-dim-keep", lambda x: x.median(0, True), lambda x: x.median(0, True), [A]),
        ("mode", cr.mode, "mode", [TIES]),
        ("mode-dim0", lambda x: cr.mode(x, 0), lambda x: x.mode(0), [TIES.T.copy()]),
        ("cummax", lambda x: cr.cummax(x, 1), lambda x: x.cummax(1), [TIES]),
        ("cummin", lambda x: cr.cummin(x, 1), lambda x: x.cummin(1), [TIES]),
        ("cummax-nan", lambda x: cr.cummax(x, 1), lambda x: x.cummax(1), [WITH_NAN]),
        ("cummin-int", lambda x: cr.cummin(x, 0), lambda x: x.cummin(0), [I]),
        ("logcumsumexp", lambda x: cr.logcumsumexp(x, 1), lambda x: x.logcumsumexp(1),
         [A * 10]),
        ("logcumsumexp-f32", lambda x: cr.logcumsumexp(x, 0), lambda x: x.logcumsumexp(0),
         [A.astype(np.float32)]),
        ("searchsorted", cr.searchsorted, "searchsorted", [np.sort(B), A]),
        ("searchsorted-right", lambda s, v: cr.searchsorted(s, v, right=True),
         lambda s, v: __import__("torch").searchsorted(s, v, right=True),
         [np.array([1, 2, 2, 3]), np.array([2, 0, 4])]),
        ("searchsorted-nd", cr.searchsorted, "searchsorted", [np.sort(A, 1), A[:, :2]]),
        ("bucketize", cr.bucketize, "bucketize", [A, np.sort(B)]),
        ("unique", lambda x: cr.unique(x, return_inverse=True, return_counts=True),
         lambda x: x.unique(return_inverse=True, return_counts=True), [I]),
        ("unique-nan", lambda x: cr.unique(x, return_inverse=True, return_counts=True),
         lambda x: x.unique(return_inverse=True, return_counts=True),
         [np.array([2., NAN, 1., NAN, 2.])]),
        ("unique-dim", lambda x: cr.unique(x, dim=1, return_inverse=True),
         lambda x: x.unique(dim=1, return_inverse=True),
         [np.array([[1, 2, 1, 0], [3, 4, 3, 0]])]),
        ("quantile", lambda x: cr.quantile(x, 0.3), lambda x: x.quantile(0.3), [A]),
        ("quantile-dim", lambda x, q: cr.quantile(x, q, 1, True),
         lambda x, q: x.quantile(q, 1, True), [A, np.array([0.1, 0.5, 0.95])]),
        ("quantile-nan", lambda x: cr.quantile(x, 0.5, 1), lambda x: x.quantile(0.5, 1),
         [WITH_NAN]),
        *[(f"quantile-{m}", lambda x, m=m: cr.quantile(x, 0.4, 0, interpolation=m),
           lambda x, m=m: x.quantile(0.4, 0, interpolation=m), [A])
          for m in ("lower", "higher", "midpoint", "nearest")],
        ("var_mean", lambda x: cr.var_mean(x, 1), lambda x: __import__("torch").var_mean(x, 1),
         [A]),
        ("std_mean", lambda x: cr.std_mean(x, (0, 1), correction=0, keepdim=True),
         lambda x: __import__("torch").std_mean(x, (0, 1), correction=0, keepdim=True), [A]),
        ("nansum", lambda x: cr.nansum(x, 1), lambda x: x.nansum(1),
         [np.where(np.isinf(WITH_NAN), 1., WITH_NAN)]),
        ("nansum-int", cr.nansum, "nansum", [I.astype(np.int32)]),
        ("nanmean", lambda x: cr.nanmean(x, 0, True), lambda x: x.nanmean(0, True),
         [np.where(np.isinf(WITH_NAN), 1., WITH_NAN)]),
        ("count_nonzero", lambda x: cr.count_nonzero(x, 1), lambda x: x.count_nonzero(1), [I]),
        ("aminmax", lambda x: cr.aminmax(x, dim=1), lambda x: x.aminmax(dim=1), [TIES]),
        ("aminmax-all", cr.aminmax, "aminmax", [A]),
    ]


CASES = _cases()


@pytest.mark.oracle
@pytest.mark.parametrize("name,cr_fn,torch_fn,arrays", CASES, ids=[c[0] for c in CASES])
def test_against_torch(name, cr_fn, torch_fn, arrays):
    torch = pytest.importorskip("torch")
    if isinstance(torch_fn, str):
        torch_fn = getattr(torch, torch_fn)
    # torch's unique output requires grad but has no backward: compare values only
    _oracle(cr_fn, torch_fn, arrays, grad=not name.startswith("unique"))


@pytest.mark.oracle
def test_div_rounding_modes_against_torch():
    torch = pytest.importorskip("torch")
    for a, b in ((I, np.where(I == 0, 3, I)[::-1].copy()), (A * 5, B)):
        for mode_ in (None, "trunc", "floor"):
            got = ew.div_mode(cr.from_numpy(a), cr.from_numpy(b), rounding_mode=mode_)
            want = torch.div(torch.from_numpy(a), torch.from_numpy(b), rounding_mode=mode_)
            assert str(got.dtype) == _torch_dtype_name(want.dtype)
            np.testing.assert_allclose(values(got), want.numpy())


@pytest.mark.oracle
def test_float32_dtypes_follow_torch():
    torch = pytest.importorskip("torch")
    a = A.astype(np.float32)
    for name in ("sort", "median", "cummax", "aminmax", "nansum", "nanmean", "var_mean"):
        fn = getattr(cr, name)
        args = (1,) if name in ("cummax",) else ()
        got = _flat(fn(cr.from_numpy(a), *args))
        want = _flat(getattr(torch, name)(torch.from_numpy(a), *args))
        assert [str(g.dtype) for g in got] == [_torch_dtype_name(w.dtype) for w in want], name


EINSUM_FORMS = [  # (chainrule/torch call on (a, b), what it computes)
    (lambda m, a, b: m.einsum("ij,jk->ik", a, b), "varargs"),
    (lambda m, a, b: m.einsum("ij, jk -> ik", [a, b]), "a list, spaces"),
    (lambda m, a, b: m.einsum("ij,jk", (a, b)), "implicit output"),
    (lambda m, a, b: m.einsum(a, [0, 1], b, [1, 2], [0, 2]), "sublists"),
    (lambda m, a, b: m.einsum(a, [Ellipsis, 1], b, [1, 2]), "sublists, ellipsis"),
    (lambda m, a, b: m.einsum("...j,jk->...k", a, b), "ellipsis"),
]


@pytest.mark.parametrize("form", [f for f, _ in EINSUM_FORMS],
                         ids=[name for _, name in EINSUM_FORMS])
def test_einsum_takes_pytorchs_forms(form):
    rng = np.random.default_rng(0)
    a_np, b_np = rng.normal(size=(2, 3)), rng.normal(size=(3, 4))
    a, b = cr.tensor(a_np, requires_grad=True), cr.tensor(b_np, requires_grad=True)
    out = form(cr, a, b)
    np.testing.assert_allclose(out.detach().numpy(), a_np @ b_np, rtol=1e-12)
    out.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), np.ones((2, 4)) @ b_np.T, rtol=1e-12)
    torch = pytest.importorskip("torch")
    ta, tb = torch.tensor(a_np), torch.tensor(b_np)
    np.testing.assert_allclose(form(torch, ta, tb).numpy(), out.detach().numpy(), rtol=1e-12)


def test_einsum_refuses_bad_sublists():
    with pytest.raises(OpError, match="einsum: sublist"):
        cr.einsum(cr.ones(2), ["a"])


GRADIENT_EDGES = [  # (function of x, x, PyTorch's gradient there)
    (lambda x: cr.xlogy(x, cr.tensor(1.5, dtype=cr.float64)), 0.0, math.log(1.5)),
    (lambda x: cr.xlogy(x, cr.tensor(0.0, dtype=cr.float64)), 0.0, 0.0),
    (lambda x: cr.logit(x), 0.0, math.inf),
    (lambda x: cr.logit(x), 1.0, math.inf),
    (lambda y: cr.tensor(0.0, dtype=cr.float64) ** y, -1.0, -math.inf),
    (lambda y: cr.tensor(0.0, dtype=cr.float64) ** y, 2.0, 0.0),
    (lambda x: cr.var(cr.stack([x]), 0, correction=2), 0.3, 0.0),
]


@pytest.mark.parametrize("fn,at,want", GRADIENT_EDGES)
def test_gradients_at_the_edges_are_pytorchs(fn, at, want):
    x = cr.tensor(at, dtype=cr.float64, requires_grad=True)
    with np.errstate(all="ignore"):
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn(x).backward()
    assert x.grad.item() == want


def test_var_without_degrees_of_freedom_warns_and_keeps_pytorchs_gradient():
    x = cr.tensor([0.3, 0.5, 0.9], dtype=cr.float64, requires_grad=True)
    with pytest.warns(UserWarning, match="degrees of freedom"):
        v = cr.var(x, 0, correction=4)
    assert v.item() == math.inf
    v.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * (x.detach().numpy() - 17 / 30) / -1)
