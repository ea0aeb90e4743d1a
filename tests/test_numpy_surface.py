"""Plain NumPy code, whole: the functions, argument forms and input kinds of NumPy that
chainrule.numpy answers for, checked against NumPy itself (values, dtypes, shapes, errors)
and against finite differences (reverse and forward mode, first and second order)."""
import numpy as np
import pytest

import chainrule as cr
import chainrule.numpy as cnp
from chainrule.autograd import gradcheck, gradgradcheck
from chainrule.numpy import _creation, _extra, _indexing, _pad, _products, _reductions, _shape
from conftest import make

rng = np.random.default_rng(3)
A = rng.uniform(0.5, 2.0, (3, 4))
V = rng.uniform(-1.0, 1.0, 5)
W = rng.uniform(-1.0, 1.0, 3)
M = rng.uniform(-1.0, 1.0, (2, 3, 4))
XP = np.array([0.0, 0.7, 1.5, 2.5, 4.0])
FP = np.array([1.0, 3.0, 2.0, -1.0, 0.5])
XS = np.array([-0.5, 0.3, 1.1, 2.0, 3.3, 4.5])  # off the knots: a smooth function of all
COORDS = np.array([0.0, 0.5, 1.7, 2.0])

# name, function applied to NumPy arrays and to tensors alike (np.* dispatch), inputs
CASES = [
    ("angle_real", lambda x: np.angle(x - 1.0) + np.angle(x, deg=True), [A]),
    ("sinc", lambda x: np.sinc(x - 1.2), [A]),
    ("nan_to_num", lambda x: np.nan_to_num(x * 2.0), [A]),
    ("real_if_close", lambda x: np.real_if_close(x), [A]),
    ("heaviside_x2", lambda x, y: np.heaviside(np.round(x) - 1.0, y[:, :4]), [A, A[::-1]]),
    ("copysign", lambda x: np.copysign(x, -1.0) + np.copysign(x, x - 1.0), [A]),
    ("divmod", lambda x: np.divmod(x, 0.7)[1], [A]),
    ("modf", lambda x: np.modf(x * 3.0)[0] + np.modf(-x)[0], [A]),
    ("linspace", lambda a, b: np.linspace(a[0, 1], b[1, 2], 7), [A, A.T]),
    ("linspace_arrays", lambda a, b: np.linspace(a[0], b[:, 0], 5, axis=1, endpoint=False),
     [A, A.T]),
    ("linspace_retstep", lambda a: np.linspace(a[0, 0], a[1, 1], 4, retstep=True)[1], [A]),
    ("logspace", lambda a, b: np.logspace(a[0], b[:, 0] * 0.5, 4, base=2.0), [A, A.T]),
    ("gradient", lambda f: np.gradient(f)[1] + np.gradient(f, 0.5, axis=0), [A]),
    ("gradient_order2", lambda f: np.gradient(f, edge_order=2, axis=1), [A]),
    ("gradient_coords", lambda f, x: np.gradient(f, x, axis=1),
     [A, COORDS]),
    ("gradient_coords_o2", lambda f, x: np.gradient(f, x, axis=1, edge_order=2), [A, COORDS]),
    ("interp", lambda x, fp: np.interp(x, XP, fp), [XS, FP]),
    ("interp_xp_left_right", lambda x, xp, fp: np.interp(x, xp, fp, left=-2.0, right=fp[1]),
     [XS, XP, FP]),
    ("convolve_full", lambda a, v: np.convolve(a, v), [V, W]),
    ("convolve_same", lambda a, v: np.convolve(a, v, mode="same"), [W, V]),
    ("convolve_valid", lambda a, v: np.convolve(a, v, mode="valid"), [V, W]),
    ("correlate_valid", lambda a, v: np.correlate(a, v), [V, W]),
    ("correlate_full", lambda a, v: np.correlate(a, v, "full"), [W, V]),
    ("correlate_same", lambda a, v: np.correlate(a, v, "same"), [V, W]),
    ("cov", lambda x: np.cov(x), [A]),
    ("cov_y_cols_ddof", lambda x, y: np.cov(x, y, rowvar=False, ddof=0), [A, A[:, ::-1]]),
    ("cov_1d", lambda x: np.cov(x[0]), [A]),
    ("cov_weights", lambda x: np.cov(x, fweights=[1, 2, 1, 3], aweights=np.arange(1.0, 5.0)),
     [A]),
    ("corrcoef", lambda x: np.corrcoef(x), [A]),
    ("corrcoef_xy", lambda x, y: np.corrcoef(x[0], y[1]), [A, A[::-1]]),
    ("quantile", lambda x: np.quantile(x, 0.3) + np.quantile(x, [0.2, 0.9], axis=1).sum(),
     [A]),
    ("quantile_axes_keepdims", lambda x: np.quantile(x, 0.4, axis=(0, 2), keepdims=True), [M]),
    ("percentile", lambda x: np.percentile(x, [[10, 50], [75, 100]], axis=0), [A]),
    ("quantile_methods", lambda x: sum(np.quantile(x, 0.37, axis=1, method=m)
                                       for m in ("lower", "higher", "nearest", "midpoint")),
     [A]),
    ("median_even_odd", lambda x: np.median(x, axis=1) + np.median(x, axis=0).sum(), [A]),
    ("nanmax_nanmin", lambda x: np.nanmax(x, axis=1) + np.nanmin(x), [A]),
    ("nansum_nanmean", lambda x: np.nansum(x, axis=0) * np.nanmean(x), [A]),
    ("nanvar_nanstd", lambda x: np.nanvar(x, axis=1) + np.nanstd(x, ddof=1), [A]),
    ("nanprod", lambda x: np.nanprod(x, axis=0), [A]),
    ("rollaxis", lambda x: np.rollaxis(x, 2) + 0 * np.rollaxis(x, 0, 3).sum(), [M]),
    ("splits", lambda x: np.vsplit(x, [1])[1].sum() * np.hsplit(x, 2)[0]
     + np.dsplit(x[None], [1])[0].sum(), [A]),
    ("column_stack", lambda x: np.column_stack([x[0], x[1:].T, x[2]]), [A]),
    ("einsum_sublist", lambda x, y: np.einsum(x, [0, 1], y, [1, 2], [0, 2]), [A, A.T]),
    ("einsum_sublist_ellipsis", lambda x: np.einsum(x, [Ellipsis, 1], [1, Ellipsis]), [M]),
    ("einsum_dtype_optimize",
     lambda x, y: np.einsum("ij,jk", x, y, optimize=True, dtype=np.float64), [A, A.T]),
    ("stack_dtype", lambda x: np.stack([x, x ** 2], dtype=np.float64, axis=1), [A]),
    ("concat_dtype_none", lambda x: np.concatenate([x, x], axis=None, dtype=np.float64), [A]),
    ("hstack_vstack_dtype", lambda x: np.hstack([x, x], dtype=np.float64).sum()
     + np.vstack([x, x], dtype=np.float64), [A]),
    ("pad_3", lambda x: np.pad(x, (3,)), [A]),
    ("pad_pair", lambda x: np.pad(x, ((1, 2),), constant_values=1.5), [A]),
    ("amax_initial_where", lambda x: np.max(x, axis=1, initial=1.2, where=x > 0.9), [A]),
    ("sum_where", lambda x: np.sum(x, axis=0, where=x < 1.5), [A]),
    ("take_wrap", lambda x: np.take(x, [0, 13, -1], mode="wrap"), [A]),
]

PAD_MODES = [
    ("edge", ((2, 1), (0, 3)), {}),
    ("reflect", ((5, 2), (1, 6)), {}),
    ("reflect", ((1, 2), (2, 1)), {"reflect_type": "odd"}),
    ("symmetric", ((4, 1), (2, 9)), {}),
    ("symmetric", ((2, 1), (3, 1)), {"reflect_type": "odd"}),
    ("wrap", ((4, 7), (5, 1)), {}),
    ("linear_ramp", ((2, 1), (1, 3)), {"end_values": ((1.0, 2.0), (3.0, -1.0))}),
    ("maximum", ((2, 1), (1, 3)), {}),
    ("minimum", ((1, 2), (2, 1)), {"stat_length": 2}),
    ("mean", ((2, 1), (1, 3)), {"stat_length": ((1, 2), (3, 1))}),
    ("median", ((2, 1), (1, 2)), {}),
    ("constant", ((1, 2), (3, 1)), {"constant_values": ((1.0, 2.0), (3.0, 4.0))}),
]
for _mode, _width, _kw in PAD_MODES:
    CASES.append((f"pad_{_mode}{'_' + '_'.join(_kw) if _kw else ''}",
                  lambda x, w=_width, m=_mode, kw=_kw: np.pad(x, w, mode=m, **kw), [A]))

SECOND_ORDER = {"sinc", "linspace", "logspace", "gradient_coords", "gradient_coords_o2",
                "interp_xp_left_right", "convolve_same", "correlate_full", "cov_weights",
                "corrcoef", "quantile", "percentile", "nanvar_nanstd", "pad_linear_ramp",
                "pad_reflect_reflect_type", "pad_mean_stat_length", "einsum_sublist",
                "angle_real", "nanprod"}


def _same_value(got, expected):
    expected = np.asarray(expected)
    assert isinstance(got, cr.Tensor)
    assert got.shape == expected.shape
    assert got.dtype == expected.dtype, (got.dtype, expected.dtype)
    assert np.allclose(got.detach().numpy(), expected, rtol=1e-7, atol=1e-9, equal_nan=True)


@pytest.mark.parametrize("name,fn,arrays", CASES, ids=[c[0] for c in CASES])
def test_dispatch_values_dtypes_and_gradients(name, fn, arrays):
    expected = fn(*arrays)
    tensors = [cr.tensor(a, requires_grad=True) for a in arrays]
    got = fn(*tensors)
    _same_value(got, expected)
    assert gradcheck(fn, tensors, atol=1e-5, rtol=1e-4)
    if name in SECOND_ORDER:
        assert gradgradcheck(fn, tensors, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("name,fn,arrays", CASES[:12], ids=[c[0] for c in CASES[:12]])
def test_noncontiguous_inputs(name, fn, arrays):
    tensors = [cr.tensor(np.asfortranarray(a), requires_grad=True) for a in arrays]
    _same_value(fn(*tensors), fn(*arrays))


def _central_difference(f, x, eps=1e-6):
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = eps
        g[i] = (f(x + e) - f(x - e)) / (2 * eps)
    return g


CNP_PROGRAMS = [
    ("linspace_interp", lambda w: cnp.sum(cnp.interp(cnp.linspace(w[0], w[1], 6), XP, FP))),
    ("convolve_cov", lambda w: cnp.sum(cnp.convolve(w, w[::-1], "same")
                                       * cnp.cov(cnp.stack([w, w ** 2]))[0, 1])),
    ("percentile_gradient", lambda w: cnp.percentile(w, 30) * cnp.sum(cnp.gradient(w) ** 2)),
    ("array_of_traced", lambda w: cnp.sum(cnp.array([w[0] * w[1], 2.0, w[2]]) ** 2)),
    ("pad_modes", lambda w: cnp.sum(cnp.pad(w, (2,), mode="reflect") ** 2)
     + cnp.sum(cnp.pad(w, ((1, 3),), mode="linear_ramp", end_values=0.5) ** 3)),
    ("r_c_", lambda w: cnp.sum(cnp.r_[w, 0.0, w[:2]] ** 2) + cnp.sum(cnp.c_[w, w ** 2] ** 3)),
    ("nan_sinc", lambda w: cnp.nansum(cnp.sinc(w)) + cnp.nanmax(cnp.heaviside(w, 0.5) * w)),
]


@pytest.mark.parametrize("name,fn", CNP_PROGRAMS, ids=[p[0] for p in CNP_PROGRAMS])
def test_chainrule_numpy_under_func_transforms(name, fn):
    w = np.array([0.3, 1.7, -0.4, 2.2])
    numeric = _central_difference(lambda x: float(fn(cr.tensor(x)).item()), w)
    g = cr.func.grad(fn)(w)
    assert isinstance(g, np.ndarray) and np.allclose(g, numeric, rtol=1e-5, atol=1e-7)
    _, tangent = cr.func.jvp(fn, (w,), (np.ones(4),))
    assert np.allclose(np.asarray(tangent), numeric.sum(), rtol=1e-5, atol=1e-7)
    h = cr.func.hessian(fn)(w)
    num_h = np.stack([_central_difference(lambda x, i=i: float(cr.func.grad(fn)(x)[i]), w)
                      for i in range(4)])
    assert np.allclose(h, num_h, rtol=1e-4, atol=1e-5)


def test_python_scalars_and_lists_are_accepted_as_numpy_does():
    assert cnp.ravel(0.5).tolist() == [0.5] and cnp.ravel(0.5).dtype == np.float64
    assert cnp.reshape([1.0, 2.0], (2, 1)).shape == (2, 1)
    _same_value(cnp.concatenate([[1.0, 2.0], [3]]), np.concatenate([[1.0, 2.0], [3]]))
    _same_value(cnp.stack([[1, 2], [3, 4]], axis=1), np.stack([[1, 2], [3, 4]], axis=1))
    _same_value(cnp.transpose([[1, 2, 3]]), np.transpose([[1, 2, 3]]))
    _same_value(cnp.median([3, 1, 2, 4]), np.median([3, 1, 2, 4]))
    _same_value(cnp.dot([1.0, 2.0], [3.0, 4.0]), np.dot([1.0, 2.0], [3.0, 4.0]))
    _same_value(cnp.atleast_2d(3.0), np.atleast_2d(3.0))
    assert [a.shape for a in cnp.atleast_1d(1.0, [2.0, 3.0])] == [(1,), (2,)]
    _same_value(cnp.take_along_axis([[3, 1]], [[1, 0]], 1),
                np.take_along_axis(np.array([[3, 1]]), np.array([[1, 0]]), 1))
    _same_value(cnp.einsum([1.0, 2.0], [0], [3.0, 4.0], [0]), np.einsum([1.0, 2.0], [0],
                                                                    [3.0, 4.0], [0]))
    _same_value(cnp.matmul(np.ones((2, 2), np.float32), np.ones(2)),
                np.matmul(np.ones((2, 2), np.float32), np.ones(2)))


def test_array_follows_numpy_and_keeps_traced_values_traced():
    for data in ([1.0, 2.0], [1, 2], [[1, 2.5]], 3.0, [True, False], []):
        _same_value(cnp.array(data), np.array(data))
    assert cnp.asarray([1.0]).dtype == np.float64
    x = cr.tensor(2.0, dtype="float64", requires_grad=True)
    y = cnp.array([[x, 1.0], [3.0, x * x]])
    assert y.requires_grad and y.dtype == np.float64 and y.shape == (2, 2)
    y.sum().backward()
    assert x.grad.item() == pytest.approx(1.0 + 4.0)
    # forward mode through a list of traced scalars is not silently 0
    _, t = cr.func.jvp(lambda s: cnp.sum(cnp.array([s, s * 3.0])), (np.array(1.0),),
                       (np.array(1.0),))
    assert float(np.asarray(t)) == pytest.approx(4.0)
    # float32 parts and a Python float: float64, as NumPy
    f32 = cr.tensor(1.0)
    assert cnp.array([f32, 1.0]).dtype == np.array([np.float32(1), 1.0]).dtype
    c = cnp.array(x)
    assert c is not x and c.requires_grad
    assert cnp.array([1.0], ndmin=3).shape == (1, 1, 1)
    with pytest.raises(ValueError, match="inhomogeneous"):
        cnp.array([x, cnp.array([1.0, 2.0])])


def test_scalar_conversions_of_tensors_without_gradient():
    t = cr.tensor([3.0, 4.0], dtype="float64")
    assert int(t[0]) == 3 and float(t[1]) == 4.0
    assert np.int64(t[0]) == 3 and np.float64(t[1]) == 4.0


def test_out_is_filled_or_refused_never_ignored():
    x = cr.tensor([[1.0, 5.0], [3.0, 2.0]], dtype="float64", requires_grad=True)
    o = cr.zeros((), dtype="float64")
    assert np.amax(x, out=o) is o and o.item() == 5.0 and o.requires_grad
    o.backward()
    assert x.grad.tolist() == [[0.0, 1.0], [0.0, 0.0]]
    plain = np.zeros(2)
    xd = x.detach()
    assert np.amin(xd, axis=0, out=plain) is plain and plain.tolist() == [1.0, 2.0]
    with pytest.raises(TypeError, match="drop its gradient"):
        np.sum(x, axis=0, out=np.zeros(2))
    with pytest.raises(ValueError, match="shape"):
        np.sum(x, axis=0, out=cr.zeros(3))
    for call in (lambda o: np.mean(x, axis=1, out=o), lambda o: np.cumsum(x[0], out=o),
                 lambda o: np.concatenate([x[0], x[1]][:1], out=o),
                 lambda o: np.einsum("ij->j", x, out=o), lambda o: np.clip(x[0], 2, 4, out=o),
                 lambda o: np.take(x, [0, 1], out=o), lambda o: np.dot(x, x[0], out=o),
                 lambda o: np.median(x, axis=0, out=o), lambda o: np.nanmax(x, 0, out=o)):
        o = cr.zeros(2, dtype="float64")
        result = call(o)
        assert result is o and o.requires_grad
    q, r = cr.zeros(2, dtype="float64"), cr.zeros(2, dtype="float64")
    np.divmod(x[0], 2.0, out=(q, r))
    assert q.tolist() == [0.0, 2.0] and r.tolist() == [1.0, 1.0]


def test_numpy_signatures_accept_what_numpy_accepts():
    import inspect
    checks = [(_reductions.amax, np.amax), (_reductions.sum, np.sum), (_reductions.mean, np.mean),
              (_reductions.var, np.var), (_reductions.cumsum, np.cumsum),
              (_reductions.nanmax, np.nanmax), (_reductions.quantile, np.quantile),
              (_shape.concatenate, np.concatenate), (_shape.stack, np.stack),
              (_indexing.take, np.take), (_products.dot, np.dot), (_extra.linspace, np.linspace),
              (_extra.interp, np.interp), (_reductions.cov, np.cov),
              (_extra.nan_to_num, np.nan_to_num), (_pad.pad, np.pad),
              (_creation.zeros_like, np.zeros_like)]
    for ours, theirs in checks:
        mine = set(inspect.signature(ours).parameters)
        numpys = set(inspect.signature(theirs).parameters) - {"like", "device"}
        assert numpys <= mine, (ours.__name__, numpys - mine)


def test_refused_arguments_name_themselves():
    x = cr.tensor([1.0, 2.0, 3.0], dtype="float64", requires_grad=True)
    with pytest.raises(NotImplementedError, match="period"):
        np.interp(x, [0.0, 1.0], [1.0, 2.0], period=1.0)
    with pytest.raises(NotImplementedError, match="callable"):
        np.pad(x, 1, mode=lambda *a: None)
    with pytest.raises(ValueError, match="unsupported keyword arguments for mode 'edge'"):
        np.pad(x, 1, mode="edge", constant_values=2)
    with pytest.raises(NotImplementedError, match="method 'weibull'"):
        np.quantile(x, 0.5, method="weibull")
    with pytest.raises(NotImplementedError, match="order="):
        cnp.sort(x, order="f")
    with pytest.raises(NotImplementedError, match="copy=False"):
        np.nan_to_num(x, copy=False)
    with pytest.raises(TypeError, match="out"):
        cnp.add(x, x, out=x)


ERRORS = [
    ("pad_bad_mode", lambda a: np.pad(a, 1, mode="nope")),
    ("pad_negative", lambda a: np.pad(a, -1)),
    ("pad_float_width", lambda a: np.pad(a, 1.5)),
    ("pad_widths_shape", lambda a: np.pad(a, ((1, 2, 3),))),
    ("pad_empty_edge", lambda a: np.pad(a[:0], 1, mode="edge")),
    ("convolve_empty", lambda a: np.convolve(a[:0], a)),
    ("convolve_2d", lambda a: np.convolve(a.reshape(1, 3), a)),
    ("convolve_mode", lambda a: np.convolve(a, a, mode="bad")),
    ("quantile_range", lambda a: np.quantile(a, 1.5)),
    ("percentile_range", lambda a: np.percentile(a, -1)),
    ("interp_lengths", lambda a: np.interp(a, [0.0, 1.0], [1.0, 2.0, 3.0])),
    ("interp_empty", lambda a: np.interp(a, a[:0], a[:0])),
    ("gradient_short", lambda a: np.gradient(a[:2], edge_order=2)),
    ("gradient_spacing_len", lambda a: np.gradient(a, [1.0, 2.0])),
    ("linspace_negative", lambda a: np.linspace(a[0], a[1], -2)),
    ("vsplit_1d", lambda a: np.vsplit(a, 3)),
    ("dsplit_2d", lambda a: np.dsplit(a.reshape(1, 3), 3)),
    ("split_unequal", lambda a: np.split(a, 2)),
    ("rollaxis_range", lambda a: np.rollaxis(a, 3)),
    ("stack_shapes", lambda a: np.stack([a, a[:2]])),
    ("stack_cast", lambda a: np.stack([a, a], dtype=np.int64)),
    ("concat_0d", lambda a: np.concatenate([a[0], a[1]])),
    ("cov_3d", lambda a: np.cov(a.reshape(1, 1, 3))),
    ("amax_empty", lambda a: np.amax(a[:0])),
    ("amax_where_no_initial", lambda a: np.amax(a, where=a > 1)),
    ("squeeze_not_one", lambda a: np.squeeze(a, axis=0)),
    ("take_mode", lambda a: np.take(a, [0], mode="bad")),
    ("average_zero_weights", lambda a: np.average(a, weights=[0.0, 0.0, 0.0])),
]


@pytest.mark.parametrize("name,fn", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_where_numpy_raises(name, fn):
    data = np.array([1.0, 2.0, 3.0])
    with pytest.raises(Exception) as expected:
        fn(data)
    with pytest.raises(type(expected.value)):
        fn(cr.tensor(data, requires_grad=True))


def test_r_and_c_match_numpy():
    a, b = np.array([1.0, 2.0, 3.0]), np.array([[1.0, 2.0], [3.0, 4.0]])
    ta, tb = cr.tensor(a, requires_grad=True), cr.tensor(b, requires_grad=True)
    for ours, theirs in [
            (cnp.r_[ta, 0, ta], np.r_[a, 0, a]), (cnp.r_[1:4, ta], np.r_[1:4, a]),
            (cnp.r_[0:1:5j, ta], np.r_[0:1:5j, a]), (cnp.c_[ta, ta], np.c_[a, a]),
            (cnp.c_[tb, tb], np.c_[b, b]), (cnp.r_["-1", tb, tb], np.r_["-1", b, b]),
            (cnp.r_["0,2", ta, ta], np.r_["0,2", a, a]),
            (cnp.r_["0,2,0", ta, ta], np.r_["0,2,0", a, a]),
            (cnp.r_["1,3,1", ta, ta], np.r_["1,3,1", a, a]), (cnp.r_[tb, tb], np.r_[tb.detach(
            ).numpy(), b]), (cnp.r_[1, 2.5], np.r_[1, 2.5]), (cnp.c_[1, 2, ta[:1]],
                                                             np.c_[1, 2, a[:1]])]:
        _same_value(ours, theirs)
    assert gradcheck(lambda x, y: cnp.c_[x, y[0], y[1][:0].sum() + x], (ta, make((2, 3))))
    with pytest.raises(ValueError, match="first entry"):
        cnp.r_[ta, "0"]


def test_iscomplex_isreal_have_no_gradient_and_match_numpy():
    z = np.array([1 + 1j, 2.0, 3j])
    _same_value(np.iscomplex(cr.tensor(z)), np.iscomplex(z))
    _same_value(np.isreal(cr.tensor(z)), np.isreal(z))
    _same_value(np.angle(cr.tensor(z)), np.angle(z))
    _same_value(np.real_if_close(cr.tensor(z)), np.real_if_close(z))
    close = np.array([1 + 1e-16j, 2.0])
    _same_value(np.real_if_close(cr.tensor(close)), np.real_if_close(close))


@pytest.mark.parametrize("dtype", [np.int64, np.float32])
def test_integer_and_float32_inputs_keep_numpy_dtypes(dtype):
    a = (A * 3).astype(dtype)
    t = cr.tensor(a)
    for fn in (lambda x: np.pad(x, 2, mode="mean"), lambda x: np.pad(x, 1, mode="median"),
               lambda x: np.pad(x, 2, mode="linear_ramp", end_values=1),
               lambda x: np.pad(x, 3, mode="reflect"), lambda x: np.median(x, axis=0),
               lambda x: np.quantile(x, 0.3), lambda x: np.cov(x), lambda x: np.gradient(x)[0],
               lambda x: np.sinc(x), lambda x: np.linspace(x[0], x[1], 3),
               lambda x: np.nanmax(x, axis=1), lambda x: np.heaviside(x - 3, 1),
               lambda x: np.modf(x)[0], lambda x: np.convolve(x[0], x[1]),
               lambda x: np.stack([x, x], dtype=np.float64), lambda x: np.interp(x, XP, FP)):
        _same_value(fn(t), fn(a))


def test_empty_and_zero_d_inputs():
    e = np.zeros((0, 3))
    _same_value(np.pad(cr.tensor(e), 1), np.pad(e, 1))
    one = np.float32(1.0)
    for num in (0, 1, 2):
        _same_value(np.linspace(cr.tensor(one), 2.0, num), np.linspace(one, 2.0, num))
        _same_value(np.linspace(cr.tensor(1), 2, num), np.linspace(1, 2, num))
    _same_value(np.sinc(cr.tensor(np.float64(0.0))), np.sinc(0.0))
    _same_value(np.var(cr.tensor(A), axis=1, mean=np.mean(A, 1, keepdims=True), correction=1),
                np.var(A, axis=1, mean=np.mean(A, 1, keepdims=True), correction=1))
    _same_value(np.std(cr.tensor(A), axis=0, correction=1), np.std(A, axis=0, correction=1))
    _same_value(np.nanmax(cr.tensor(np.array([np.nan, 1.0]))), np.nanmax([np.nan, 1.0]))
    with pytest.warns(RuntimeWarning):
        _same_value(np.nanmax(cr.tensor(np.array([np.nan]))), np.array(np.nan))
    _same_value(np.quantile(cr.tensor(np.float64(2.0)), 0.5), np.quantile(2.0, 0.5))
    _same_value(np.interp(cr.tensor(0.5), [1.0], [7.0]), np.interp(0.5, [1.0], [7.0]))


def test_nan_functions_route_gradient_around_nan():
    x = cr.tensor([1.0, np.nan, 3.0, 2.0], requires_grad=True)
    (np.nanmax(x) + np.nansum(x) + np.nanmean(x) + np.nanmin(x)).backward()
    assert np.allclose(x.grad.numpy(), [1 + 1 / 3 + 1, 0.0, 1 + 1 + 1 / 3, 1 + 1 / 3])


def test_quantile_is_differentiable_in_q_and_linspace_in_endpoints():
    data = cr.tensor(A)
    q = cr.tensor(np.array([0.23, 0.61]), requires_grad=True)
    assert gradcheck(lambda q: cnp.quantile(data, q, axis=1), (q,))
    assert gradcheck(lambda q: cnp.percentile(data, q * 100.0), (q,))
    lo, hi = make((), seed=1), make((2,), seed=2)
    assert gradcheck(lambda a, b: cnp.linspace(a, b, 5, axis=-1), (lo, hi))
    assert gradgradcheck(lambda a, b: cnp.logspace(a, b, 3) ** 2, (lo, hi))
    g = cr.func.grad(lambda s: cnp.sum(cnp.linspace(s[0], s[1], 4)))(np.array([0.0, 1.0]))
    assert np.allclose(g, [2.0, 2.0])
