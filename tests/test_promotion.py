"""Tensor operators, methods and ``chainrule.*`` functions follow PyTorch's type promotion;
NumPy code (``np.*`` dispatch, ``chainrule.numpy``, plain NumPy under a transform) keeps
NumPy's. The first part states the expected dtypes and values outright and runs without
PyTorch; the oracle part at the end compares a grid of dtypes, shapes and ops with torch."""
import math

import numpy as np
import pytest

import chainrule as cr
import chainrule.numpy as cnp
from chainrule.autograd import gradcheck
from chainrule.autograd import promotion
from chainrule.errors import IndexOutOfRangeError, OpError, OpTypeError

F16, F32, F64 = np.dtype("float16"), np.dtype("float32"), np.dtype("float64")
C64, C128 = np.dtype("complex64"), np.dtype("complex128")
I8, I16, I32, I64 = (np.dtype(t) for t in ("int8", "int16", "int32", "int64"))
U8, BOOL = np.dtype("uint8"), np.dtype("bool")


def t(values, dtype, requires_grad=False):
    return cr.tensor(values, dtype=dtype, requires_grad=requires_grad)


def values(x):
    return x.detach().numpy()


@pytest.fixture
def default_float64():
    cr.set_default_dtype(cr.float64)
    yield
    cr.set_default_dtype(cr.float32)


# ----- binary arithmetic: result dtypes and values, written out -----------------------------
A = [1, 2, 3]
B = [2, 1, 2]
# (name, fn, expected dtype, expected values)
ARITHMETIC = [
    ("f32+i32", lambda: t(A, F32) + t(B, I32), F32, [3, 3, 5]),
    ("f32*i64", lambda: t(A, F32) * t(B, I64), F32, [2, 2, 6]),
    ("i64*f16", lambda: t(A, I64) * t(B, F16), F16, [2, 2, 6]),
    ("f32*f64", lambda: t(A, F32) * t(B, F64), F64, [2, 2, 6]),
    ("f32*f64_0d", lambda: t(A, F32) * t(2, F64), F32, [2, 4, 6]),
    ("f64_0d*f32", lambda: t(2, F64) * t(A, F32), F32, [2, 4, 6]),
    ("i32*f64_0d", lambda: t(A, I32) * t(0.5, F64), F64, [0.5, 1, 1.5]),
    ("i32*i64_0d", lambda: t(A, I32) * t(2, I64), I32, [2, 4, 6]),
    ("i8_0d+i16_0d", lambda: t(1, I8) + t(2, I16), I16, 3),
    ("u8+i8", lambda: t(A, U8) + t(B, I8), I16, [3, 3, 5]),
    ("i32+1.5", lambda: t(A, I32) + 1.5, F32, [2.5, 3.5, 4.5]),
    ("1.5+i32", lambda: 1.5 + t(A, I32), F32, [2.5, 3.5, 4.5]),
    ("i32-0.0", lambda: t(A, I32) - 0.0, F32, [1, 2, 3]),
    ("bool+1.5", lambda: t([True, False], BOOL) + 1.5, F32, [2.5, 1.5]),
    ("bool+1", lambda: t([True, False], BOOL) + 1, I64, [2, 1]),
    ("bool+True", lambda: t([True, False], BOOL) + True, BOOL, [True, True]),
    ("bool+bool", lambda: t([True, False], BOOL) + t([True, True], BOOL), BOOL, [True, True]),
    ("bool*bool", lambda: t([True, False], BOOL) * t([True, True], BOOL), BOOL, [True, False]),
    ("i8+True", lambda: t(A, I8) + True, I8, [2, 3, 4]),
    ("i8+1000 wraps", lambda: t([1, 2], I8) + 1000, I8, [-23, -22]),
    ("u8+(-1) wraps", lambda: t([1, 2], U8) + (-1), U8, [0, 1]),
    ("u8+300 wraps", lambda: t([1, 2], U8) + 300, U8, [45, 46]),
    ("f32*np.float64", lambda: t(A, F32) * np.float64(2), F32, [2, 4, 6]),
    ("i32*np.int64", lambda: t(A, I32) * np.int64(2), I32, [2, 4, 6]),
    ("i32*np.float64", lambda: t(A, I32) * np.float64(0.5), F32, [0.5, 1, 1.5]),
    ("f32*ndarray f64", lambda: t(A, F32) * np.array([1.0, 2.0, 3.0]), F64, [1, 4, 9]),
    ("f32*list", lambda: t(A, F32) * [1, 2, 3], F32, [1, 4, 9]),
    ("add(1, 2.5)", lambda: cr.add(1, 2.5), F32, 3.5),
    ("i32/i32", lambda: t(A, I32) / t(B, I32), F32, [0.5, 2, 1.5]),
    ("i64/2", lambda: t(A, I64) / 2, F32, [0.5, 1, 1.5]),
    ("2/i64", lambda: 2 / t([1, 2, 4], I64), F32, [2, 1, 0.5]),
    ("bool/bool", lambda: t([True, True], BOOL) / t([True, True], BOOL), F32, [1, 1]),
    ("i8/i8", lambda: t(A, I8) / t(B, I8), F32, [0.5, 2, 1.5]),
    ("i32//i32", lambda: t(A, I32) // t(B, I32), I32, [0, 2, 1]),
    ("i32//2.5", lambda: t([5, 6, 7], I32) // 2.5, F32, [2, 2, 2]),
    ("bool//2", lambda: t([True, False], BOOL) // 2, I64, [0, 0]),
    ("i32%i32", lambda: t(A, I32) % t(B, I32), I32, [1, 0, 1]),
    ("i32%-2", lambda: t(A, I32) % -2, I32, [-1, 0, -1]),
    ("i32%2.5", lambda: t(A, I32) % 2.5, F32, [1, 2, 0.5]),
    ("fmod(i32,i16)", lambda: cr.fmod(t([-3, 2, 3], I32), t(B, I16)), I32, [-1, 0, 1]),
    ("fmod(i32,2.5)", lambda: cr.fmod(t(A, I32), 2.5), F32, [1, 2, 0.5]),
    ("i64**2", lambda: t(A, I64) ** 2, I64, [1, 4, 9]),
    ("bool**2", lambda: t([True, False], BOOL) ** 2, I64, [1, 0]),
    ("bool**2.0", lambda: t([True, False], BOOL) ** 2.0, F32, [1, 0]),
    ("i64**0.5", lambda: t([1, 4, 9], I64) ** 0.5, F32, [1, 2, 3]),
    ("2**i64", lambda: 2 ** t(A, I64), I64, [2, 4, 8]),
    ("2.5**i64", lambda: 2.5 ** t([1, 2], I64), F32, [2.5, 6.25]),
    ("f32**i32", lambda: t(A, F32) ** t(B, I32), F32, [1, 2, 9]),
    # integers to negative integer tensor powers: truncated, as PyTorch (NumPy refuses)
    ("i64**-i64", lambda: t([0, 1, -1, 2, -1, 3], I64) ** t([-1, -1, -1, -2, -2, 2], I64),
     I64, [0, 1, -1, 0, 1, 9]),
    ("2**-i64", lambda: 2 ** t([-1, 2], I64), I64, [0, 4]),
    ("bool**-i32", lambda: t([True, False], BOOL) ** t([-1, -2], I32), I32, [1, 0]),
    ("u8**-i8", lambda: t([1, 2], U8) ** t([-1, -1], I8), I16, [1, 0]),
    ("maximum(i32,f16)", lambda: cr.maximum(t(A, I32), t(B, F16)), F16, [2, 2, 3]),
    ("maximum(bool,i8)", lambda: cr.maximum(t([True, False], BOOL), t([0, 3], I8)), I8, [1, 3]),
    ("maximum(bool,bool)", lambda: cr.maximum(t([True, False], BOOL), t([False, False], BOOL)),
     BOOL, [True, False]),
    ("minimum(i32,2.5)", lambda: t(A, I32).minimum(2.5), F32, [1, 2, 2.5]),
    ("maximum(i32,f32_0d)", lambda: cr.maximum(t(A, I32), t(2.5, F32)), F32, [2.5, 2.5, 3]),
    ("atan2(i32,i32)", lambda: cr.atan2(t([1, 0], I32), t([1, 1], I32)), F32, [math.pi / 4, 0]),
    ("atan2(bool,bool)", lambda: cr.atan2(t([True, False], BOOL), t([True, True], BOOL)), F32,
     [math.pi / 4, 0]),
    ("atan2(f32,f64_0d)", lambda: cr.atan2(t([1.0], F32), t(1.0, F64)), F32, [math.pi / 4]),
    ("hypot(f16,i64)", lambda: cr.hypot(t([3.0], F16), t([4], I64)), F16, [5]),
    ("logaddexp(f32,i32)", lambda: cr.logaddexp(t([0.0], F32), t([0], I32)), F32,
     [math.log(2)]),
    ("f32+1j", lambda: t(A, F32) + 1j, C64, [1 + 1j, 2 + 1j, 3 + 1j]),
    ("f64+1j", lambda: t(A, F64) + 1j, C128, [1 + 1j, 2 + 1j, 3 + 1j]),
    ("i32+1j", lambda: t(A, I32) + 1j, C64, [1 + 1j, 2 + 1j, 3 + 1j]),
    ("bool+1j", lambda: t([True, False], BOOL) + 1j, C64, [1 + 1j, 1j]),
    ("c64+f64", lambda: t([1 + 1j], C64) + t([1.0], F64), C128, [2 + 1j]),
    ("c64+f64_0d", lambda: t([1 + 1j], C64) + t(1.0, F64), C64, [2 + 1j]),
    ("f32+c128_0d", lambda: t([1.0], F32) + t(1j, C128), C64, [1 + 1j]),
    ("f64_0d+1j", lambda: t(1.0, F64) + 1j, C128, 1 + 1j),
    ("i32+c128_0d", lambda: t([1], I32) + t(1j, C128), C128, [1 + 1j]),
    ("sub(f32, i64)", lambda: t(A, F32).sub(t(B, I64)), F32, [-1, 1, 1]),
    ("add(i32, f32, alpha=2)", lambda: t(A, I32).add(t(B, F32), alpha=2), F32, [5, 4, 7]),
]


@pytest.mark.parametrize("name, fn, dtype, expected", ARITHMETIC, ids=[c[0] for c in ARITHMETIC])
def test_arithmetic_promotes_as_pytorch(name, fn, dtype, expected):
    out = fn()
    assert isinstance(out, cr.Tensor)
    assert out.dtype == dtype, name
    np.testing.assert_allclose(values(out), np.asarray(expected, dtype=dtype), rtol=1e-3)


def test_default_dtype_decides_python_floats_and_complexes(default_float64):
    assert (t(A, I32) + 1.5).dtype == F64
    assert (t(A, I32) / t(B, I32)).dtype == F64
    assert (t(A, I32) + 1j).dtype == C128
    assert t(A, I32).sin().dtype == F64
    assert (t(A, F32) + 1.5).dtype == F32  # a float tensor keeps its dtype


@pytest.mark.parametrize("dtype", [I8, U8, I16, I32, I64, BOOL])
@pytest.mark.parametrize("op", ["sin", "exp", "sqrt", "log1p", "reciprocal", "rsqrt",
                                "sigmoid", "tanh", "erf", "exp2", "expm1"])
def test_floating_functions_of_integer_tensors_give_the_default_float(op, dtype):
    x = t([True, True] if dtype == BOOL else [1, 2, 4], dtype)
    out = getattr(x, op)()
    assert out.dtype == F32  # NumPy: float16 for int8/uint8/bool, float64 for int32/int64
    ref = getattr(t(x.numpy().astype(F32), F32), op)()
    np.testing.assert_allclose(values(out), values(ref), rtol=1e-6)


INTEGER_PRESERVING = {
    "neg": (lambda x: -x, np.negative), "abs": (abs, np.abs),
    "positive": (lambda x: +x, np.positive), "square": (cr.Tensor.square, np.square),
    "sign": (cr.Tensor.sign, np.sign), "floor": (cr.Tensor.floor, np.floor),
    "ceil": (cr.Tensor.ceil, np.ceil), "trunc": (cr.Tensor.trunc, np.trunc),
    "round": (cr.Tensor.round, np.round), "relu": (cr.Tensor.relu, lambda a: np.maximum(a, 0)),
}


@pytest.mark.parametrize("op", sorted(INTEGER_PRESERVING))
def test_integer_preserving_functions_keep_the_integer_dtype(op):
    ours, numpy_fn = INTEGER_PRESERVING[op]
    out = ours(t([-2, 0, 3], I32))
    assert out.dtype == I32
    assert out.tolist() == numpy_fn(np.array([-2, 0, 3], I32)).tolist()


# ----- errors PyTorch raises (or where chainrule cannot match it) ----------------------------
RAISES = [
    ("bool-bool", lambda: t([True], BOOL) - t([False], BOOL), (OpError, OpTypeError)),
    ("i32-bool", lambda: t([1], I32) - t([True], BOOL), OpTypeError),
    ("f32-True", lambda: t([1.0], F32) - True, OpTypeError),
    ("bool**bool", lambda: t([True], BOOL) ** t([True], BOOL), OpTypeError),
    ("bool//bool", lambda: t([True], BOOL) // t([True], BOOL), OpTypeError),
    ("bool%bool", lambda: t([True], BOOL) % t([True], BOOL), OpTypeError),
    ("fmod(bool,bool)", lambda: cr.fmod(t([True], BOOL), t([True], BOOL)), OpTypeError),
    ("hypot(i32,i32)", lambda: cr.hypot(t([3], I32), t([4], I32)), OpTypeError),
    ("logaddexp(i64,i64)", lambda: cr.logaddexp(t([3], I64), t([4], I64)), OpTypeError),
    ("i64**-1", lambda: t([1, 2], I64) ** -1, OpError),
    ("empty i32**-1", lambda: t(np.zeros(0, I32), I32) ** -1, OpError),
    ("u8**300", lambda: t([1, 2], U8) ** 300, OpError),
    ("i32//0", lambda: t([1, 2], I32) // 0, OpError),
    ("i32%zeros", lambda: t([1, 2], I32) % t([1, 0], I32), OpError),
    ("fmod(i32,0)", lambda: cr.fmod(t([1, 2], I32), 0), OpError),
    ("bool//0", lambda: t([True], BOOL) // 0, OpError),
    ("uint16+int8", lambda: t([1], "uint16") + t([1], I8), OpTypeError),
    ("uint64+int64", lambda: t([1], "uint64") + t([1], I64), OpTypeError),
    ("uint32+bool", lambda: t([1], "uint32") + t([True], BOOL), OpTypeError),
    ("f16+1j", lambda: t([1.0], F16) + 1j, OpTypeError),
    ("shapes", lambda: cr.randn(2) + cr.randn(3), OpError),
]


@pytest.mark.parametrize("name, fn, error", RAISES, ids=[c[0] for c in RAISES])
def test_pytorch_errors(name, fn, error):
    with pytest.raises(error) as info:
        fn()
    assert isinstance(info.value, RuntimeError)  # what PyTorch code catches


def test_error_messages_name_the_op_and_the_dtypes():
    with pytest.raises(OpTypeError, match=r"sub: .*bool.*logical_not"):
        t([1], I32) - t([True], BOOL)
    with pytest.raises(OpTypeError, match=r"hypot: .*integer.*int32.*\.float\(\)"):
        cr.hypot(t([3], I32), t([4], I32))
    with pytest.raises(OpError, match=r"floor_divide: .*division by zero"):
        t([1], I32) // 0
    with pytest.raises(OpTypeError, match=r"uint16 and int8"):
        t([1], "uint16") + t([1], I8)
    assert (t([1], "uint16") + 1.5).dtype == F32  # with a float it promotes


def test_float_division_by_zero_still_gives_inf():
    with np.errstate(divide="ignore"):
        assert np.isinf(values(t([1.0], F32) // 0)).all()
        assert np.isinf(values(t([1], I32) / 0)).all()  # true division is floating


# ----- the common case does no promotion work ------------------------------------------------
def test_same_dtype_float_operands_never_reach_promotion(monkeypatch):
    def boom(*args, **kwargs):
        raise AssertionError("promote() called on the fast path")
    monkeypatch.setattr(promotion, "_promote", boom)
    for dtype in (F16, F32, F64):
        x = t([1.0, 2.0], dtype, requires_grad=True)
        y = t([3.0, 4.0], dtype)
        outs = [x * y, x + 1.5, 1.5 * x, x - 0.5, x / y, 2.0 / x, x ** 2, x ** 0.5,
                x * 2, x.maximum(y), x % 1.5, cr.atan2(x, y), x.sin(), x.exp(), x < y, x > 0.5,
                x - 0.0]
        assert all(o.dtype == dtype for o in outs[:-3] + outs[-1:])
        sum(o.sum() for o in outs if o.dtype != BOOL).backward()
    with pytest.raises(AssertionError, match="fast path"):
        t([1.0], F32) * t([1], I32)  # the check itself works


# ----- gradients through promoted operands ---------------------------------------------------
def test_gradients_keep_each_inputs_dtype():
    x = t([1.0, 2.0, 3.0], F32, requires_grad=True)
    s = t(2.0, F64, requires_grad=True)
    y = x * s  # float32: the 0-d float64 does not take part
    assert y.dtype == F32
    y.sum().backward()
    assert x.grad.dtype == F32 and s.grad.dtype == F64
    np.testing.assert_allclose(x.grad.numpy(), [2, 2, 2])
    np.testing.assert_allclose(s.grad.numpy(), 6.0)


def test_gradient_of_a_float_tensor_with_an_integer_tensor():
    x = t([1.0, 2.0], F32, requires_grad=True)
    k = t([3, 4], I64)
    out = x * k / k + x ** k
    assert out.dtype == F32
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 1 + np.array([3 * 1.0 ** 2, 4 * 2.0 ** 3]))


def test_version_check_ignores_an_operand_that_was_converted():
    x = t([1.0, 2.0], F64, requires_grad=True)
    k = t([3, 4], I32)
    out = (x * k).sum()
    k.add_(1)  # the node keeps its own float64 copy of k
    out.backward()
    np.testing.assert_allclose(x.grad.numpy(), [3, 4])


def _int(values_, dtype=I32):
    return t(values_, dtype)


GRADCHECKS = [
    ("x*i32", lambda x: (x * _int([1, -2, 3])).sum()),
    ("i32/x", lambda x: (_int([1, -2, 3]) / x).sum()),
    ("x/i64", lambda x: (x / _int([1, -2, 3], I64)).sum()),
    ("x**i32", lambda x: (x.abs() ** _int([2, 3, 1])).sum()),
    ("i32**x", lambda x: (_int([2, 3, 1]) ** x).sum()),
    ("maximum(x,i32)", lambda x: cr.maximum(x, _int([0, 0, 0])).sum()),
    ("x%i32", lambda x: (x % _int([3, 3, 3])).sum()),
    ("atan2(i32,x)", lambda x: cr.atan2(_int([1, 2, 3]), x).sum()),
    ("hypot(x,i64)", lambda x: cr.hypot(x, _int([1, 2, 3], I64)).sum()),
    ("x+bool", lambda x: (x + t([True, False, True], BOOL)).sum()),
    ("x_0d*i32", lambda x: (x[0] * _int([1, 2, 3])).sum()),
    ("x*c128", lambda x: (x * t([1 + 2j, 3 - 1j, 2j], C128)).abs().sum()),
    ("x*i32_0d", lambda x: (x * _int(3)).sum()),
    ("x-1", lambda x: (x - 1).sum()),
    ("x*f32_0d", lambda x: (x * t(0.5, F32)).sum()),
]


@pytest.mark.parametrize("name, fn", GRADCHECKS, ids=[c[0] for c in GRADCHECKS])
def test_gradcheck_through_promoted_operands(name, fn):
    x = t([0.7, -1.3, 2.1], F64, requires_grad=True)
    assert fn(x).dtype in (F64, C128)
    assert gradcheck(fn, (x,))


def test_second_order_through_promotion():
    x = t([0.5, 1.5], F64, requires_grad=True)
    k = _int([2, 3])
    (g,) = cr.autograd.grad((x ** k * k).sum(), (x,), create_graph=True)
    assert g.dtype == F64
    np.testing.assert_allclose(values(g), [2 * 2 * 0.5, 3 * 3 * 1.5 ** 2])
    (h,) = cr.autograd.grad(g.sum(), (x,))
    np.testing.assert_allclose(values(h), [2 * 2, 3 * 3 * 2 * 1.5])


def test_forward_mode_promotes_as_reverse_mode():
    x = t([1.0, 2.0], F32)
    v = t([1.0, 1.0], F32)
    s = t(3.0, F64)
    out, tangent = cr.func.jvp(lambda x: x * s + x * _int([1, 2]) + 1.5, (x,), (v,))
    assert out.dtype == F32 and tangent.dtype == F32
    np.testing.assert_allclose(values(tangent), [4, 5])
    # a float64 0-d dual with a float32 tensor: the tangent flows through the conversion
    out, tangent = cr.func.jvp(lambda s: (x * s).sum(), (s,), (t(1.0, F64),))
    np.testing.assert_allclose(values(tangent), 3.0)


def test_anomaly_mode_promotes_as_the_fast_path():
    with cr.autograd.detect_anomaly():
        x = t([1.0, 2.0], F32, requires_grad=True)
        y = x * _int([1, 2], I64) + 1
        assert y.dtype == F32
        assert (_int([1, 2]) / _int([2, 2])).dtype == F32
        assert _int([1, 2]).sin().dtype == F32
        y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1, 2])


# ----- NumPy code keeps NumPy's promotion ----------------------------------------------------
def test_numpy_dispatch_keeps_numpy_promotion():
    f32, i32, i64 = t([1.0, 2.0], F32), t([1, 2], I32), t([1, 2], I64)
    assert np.add(f32, i32).dtype == F64
    assert np.multiply(i64, 0.5).dtype == F64
    assert np.true_divide(i32, i32).dtype == F64
    assert np.sin(t([1, 2], I8)).dtype == F16
    assert cnp.add(f32, i32).dtype == F64
    assert cnp.divide(i64, i64).dtype == F64
    assert cnp.sin(i64).dtype == F64
    assert cnp.sum(t([1, 2], U8)).dtype == np.dtype("uint64")
    assert np.sum(t([1, 2], U8)).dtype == np.dtype("uint64")
    assert cnp.cumsum(t(3.0, F32)).shape == (1,)
    assert cnp.mean(i32).dtype == F64 and cnp.mean(i32).item() == 1.5
    # ...while the Tensor layer follows PyTorch
    assert (f32 + i32).dtype == F32 and (i64 * 0.5).dtype == F32
    assert t([1, 2], U8).sum().dtype == I64 and t(3.0, F32).cumsum(0).shape == ()


def test_plain_numpy_under_a_transform_keeps_numpy_promotion():
    seen = {}

    def f(w):
        scaled = w * np.arange(3)  # float32 ArrayBox * int64 ndarray: NumPy gives float64
        seen["scaled"] = scaled.dtype
        seen["half"] = (np.array([1, 2, 3]) * w).dtype
        seen["mask"] = ((w > 0) & (w < 5)).dtype
        seen["scalar"] = (w.sum() * np.float64(2)).dtype
        return np.sum(scaled * w)

    w = np.array([1.0, 2.0, 3.0], np.float32)
    g = cr.func.grad(f)(w)
    assert seen == {"scaled": F64, "half": F64, "mask": BOOL, "scalar": F64}
    np.testing.assert_allclose(g, 2 * np.arange(3) * w)


def test_arraybox_bitwise_and_comparisons_are_numpy_s():
    seen = {}

    def f(w):
        seen["cmp"] = type(w > 0).__name__
        # int64 with a float: NumPy compares exactly, PyTorch in float32 (where they are equal)
        seen["eq"] = bool((w.sum() * 0).astype(np.int64) + 16777217 == 16777216.0)
        return np.sum(w * w)

    cr.func.grad(f)(np.array([1.0, 2.0]))
    assert seen["cmp"] == "ArrayBox" and seen["eq"] is False


# ----- comparisons -------------------------------------------------------------------------
def test_comparisons_promote_and_name_unbroadcastable_shapes():
    assert (t([16777217], I64) == 16777216.0).tolist() == [True]  # in float32, as PyTorch
    assert (t([0.1], F32) == t(0.1, F64)).tolist() == [True]  # the 0-d float64 is cast
    assert (t([1, 2], I32) < 1.5).tolist() == [True, False]
    assert (t([1, 2], I32) > t([1, 2], U8)).tolist() == [False, False]
    for op in ("<", "<=", ">", ">=", "==", "!="):
        with pytest.raises(OpError, match=r"(lt|le|gt|ge|eq|ne): .*\(2,\).*\(3,\)"):
            eval(f"a {op} b", {"a": cr.randn(2), "b": cr.randn(3)})
    with pytest.raises(OpError, match=r"lt: "):
        cr.randn(2).lt(cr.randn(3))
    with pytest.raises(OpError, match=r"logical_and: "):
        cr.randn(2).logical_and(cr.randn(3))


# ----- bitwise and logical ops ---------------------------------------------------------------
BITWISE = [
    ("i32&i8", lambda: t([6, 3], I32) & t([3, 1], I8), I32, [2, 1]),
    ("i32&bool", lambda: t([6, 3], I32) & t([True, False], BOOL), I32, [0, 0]),
    ("bool&bool", lambda: t([True, True], BOOL) & t([True, False], BOOL), BOOL, [True, False]),
    ("bool&1", lambda: t([True, False], BOOL) & 1, I64, [1, 0]),
    ("bool&True", lambda: t([True, False], BOOL) & True, BOOL, [True, False]),
    ("bool|bool", lambda: t([True, False], BOOL) | t([False, False], BOOL), BOOL,
     [True, False]),
    ("bool^bool", lambda: t([True, False], BOOL) ^ t([True, True], BOOL), BOOL, [False, True]),
    ("i32|u8", lambda: t([4, 1], I32) | t([1, 1], U8), I32, [5, 1]),
    ("u8|i8", lambda: t([4, 1], U8) | t([1, 1], I8), I16, [5, 1]),
    ("i32^3", lambda: t([1, 2], I32) ^ 3, I32, [2, 1]),
    ("3&i32", lambda: 3 & t([1, 2], I32), I32, [1, 2]),
    ("6|i8", lambda: 6 | t([1, 2], I8), I8, [7, 6]),
    ("5^i64", lambda: 5 ^ t([1, 4], I64), I64, [4, 1]),
    ("True&bool", lambda: True & t([True, False], BOOL), BOOL, [True, False]),
    ("i8&1000", lambda: t([1, 2], I8) & 1000, I8, [0, 0]),  # 1000 wraps to -24 in int8
    ("~i32", lambda: ~t([1, -1], I32), I32, [-2, 0]),
    ("~bool", lambda: ~t([True, False], BOOL), BOOL, [False, True]),
    ("i32<<2", lambda: t([1, 2], I32) << 2, I32, [4, 8]),
    ("i32<<i8", lambda: t([1, 2], I32) << t([1, 2], I8), I32, [2, 8]),
    ("i32>>1", lambda: t([-4, 4], I32) >> 1, I32, [-2, 2]),
    ("3<<i32", lambda: 3 << t([1, 2], I32), I32, [6, 12]),
    ("64>>i64", lambda: 64 >> t([1, 3], I64), I64, [32, 8]),
    ("1<<u8", lambda: 1 << t([1, 2], U8), U8, [2, 4]),
    ("bool<<1", lambda: t([True, False], BOOL) << 1, I64, [2, 0]),
    ("i64<<70", lambda: t([1, 2], I64) << 70, I64, [0, 0]),
    ("i64>>70", lambda: t([-8, 8], I64) >> 70, I64, [-1, 0]),
    ("i64>>-1", lambda: t([-8, 8], I64) >> -1, I64, [-1, 0]),
    ("i64<<-1", lambda: t([8], I64) << -1, I64, [0]),
    ("i8<<9", lambda: t([1], I8) << 9, I8, [0]),
    ("bitwise_and", lambda: cr.bitwise_and(t([6], I32), 3), I32, [2]),
    ("bitwise_or", lambda: t([6], I32).bitwise_or(t([1], I64)), I64, [7]),
    ("bitwise_xor", lambda: cr.bitwise_xor(t([6], I32), t([3], I32)), I32, [5]),
    ("bitwise_not", lambda: cr.bitwise_not(t([0], U8)), U8, [255]),
    ("bitwise_left_shift", lambda: cr.bitwise_left_shift(t([1], I32), 3), I32, [8]),
    ("bitwise_right_shift", lambda: t([-16], I16).bitwise_right_shift(2), I16, [-4]),
    ("logical_and(f32,i32)", lambda: t([1.0, 0.0], F32).logical_and(t([2, 2], I32)), BOOL,
     [True, False]),
]


@pytest.mark.parametrize("name, fn, dtype, expected", BITWISE, ids=[c[0] for c in BITWISE])
def test_bitwise_ops(name, fn, dtype, expected):
    out = fn()
    assert out.dtype == dtype
    assert out.tolist() == expected


@pytest.mark.parametrize("fn", [
    lambda: t([1.0], F32) & t([1.0], F32), lambda: t([1.0], F32) | 1, lambda: 1 ^ t([1.0], F32),
    lambda: ~t([1.0], F32), lambda: t([1.0], F32) << 1, lambda: 1 >> t([1.0], F32),
    lambda: t([1], I32) & 1.5, lambda: t([True], BOOL) << t([True], BOOL),
    lambda: cr.bitwise_not(t([1.0], F64)), lambda: t([1 + 0j], C64) & 1])
def test_bitwise_ops_refuse_float_tensors(fn):
    with pytest.raises(OpTypeError, match=r"bitwise_\w+: "):
        fn()


def test_inplace_bitwise_ops():
    x = t([6, 3], I32)
    alias = x
    x &= t([3, 1], I64)  # int64 result written back into int32, as PyTorch allows
    assert x is alias and x.dtype == I32 and x.tolist() == [2, 1] and x.version == 1
    x |= 4
    x ^= t([True, False], BOOL)
    x <<= 1
    x >>= t([1, 0], I8)
    assert x.tolist() == [7, 10] and x.dtype == I32
    m = t([True, False], BOOL)
    m |= True
    assert m.tolist() == [True, True] and m.dtype == BOOL
    with pytest.raises(OpError, match=r"bitwise_and_: .*int64.*bool"):
        m &= t([1, 0], I64)
    with pytest.raises(OpTypeError):
        y = t([1.0], F32)
        y &= t([True], BOOL)
    assert t([6], I32).bitwise_and_(3).tolist() == [2]


# ----- reductions ------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [BOOL, U8, I8, I16, I32, I64, np.dtype("uint32")])
def test_integer_sums_and_products_accumulate_in_int64(dtype):
    x = t([1, 1, 0] if dtype == BOOL else [1, 2, 3], dtype)
    raw = x.numpy().astype(np.int64)
    for name, expected in (("sum", raw.sum()), ("prod", raw.prod()),
                           ("cumsum", raw.cumsum()), ("cumprod", raw.cumprod())):
        out = getattr(x, name)() if name in ("sum", "prod") else getattr(x, name)(0)
        assert out.dtype == I64, name
        assert out.tolist() == expected.tolist(), name
    assert cr.sum(x, dim=0).dtype == I64
    assert x.sum(dtype=I32).dtype == I32 and x.cumsum(0, dtype=I16).dtype == I16
    assert x.amax().dtype == dtype
    if dtype == BOOL:
        with pytest.raises(OpTypeError, match="argmax: bool"):
            x.argmax()  # as PyTorch
    else:
        assert x.argmax().dtype == I64


def test_logsumexp_of_integers_gives_the_default_float():
    out = t([1, 2, 3], I32).logsumexp(0)
    assert out.dtype == F32
    np.testing.assert_allclose(out.item(), np.log(np.exp([1.0, 2.0, 3.0]).sum()), rtol=1e-6)
    assert t([True, False], BOOL).logsumexp(0).dtype == F32


@pytest.mark.parametrize("op", ["mean", "var", "std", "norm"])
def test_floating_only_reductions_refuse_integers(op):
    with pytest.raises(OpTypeError, match=op):
        getattr(t([1, 2], I32), op)()
    assert t([1, 2], I32).mean(dtype=F64).item() == 1.5


ZERO_D = ["sum", "prod", "logsumexp", "mean", "amax", "amin", "cumsum", "cumprod"]


@pytest.mark.parametrize("dim", [0, -1, (0,), None])
@pytest.mark.parametrize("op", ZERO_D)
def test_0d_reductions_accept_dim_0_and_minus_1(op, dim):
    if dim is None and op in ("logsumexp",):
        pytest.skip("logsumexp needs a dim")
    if isinstance(dim, tuple) and op in ("cumsum", "cumprod"):
        pytest.skip("scans take one dim")
    x = t(3.0, F64, requires_grad=True)
    out = getattr(x, op)() if dim is None else getattr(x, op)(dim)
    assert out.shape == () and out.dtype == F64
    assert out.item() == pytest.approx(3.0)
    out.backward()
    assert x.grad.item() == pytest.approx(1.0)
    assert getattr(cr, op)(t(3.0, F32), 0).shape == ()


@pytest.mark.parametrize("op", ZERO_D + ["argmax", "argmin", "max", "min"])
def test_0d_reductions_refuse_dim_1(op):
    with pytest.raises(IndexOutOfRangeError, match=rf"{op}: dim 1 .*0 dimensions"):
        getattr(t(3.0, F32), op)(1)


def test_0d_keepdim_and_arg_reductions():
    x = t(3.0, F32, requires_grad=True)
    assert x.sum(0, keepdim=True).shape == ()
    assert x.argmax(0).tolist() == 0 and x.argmin(-1).dtype == I64
    values_, indices = x.max(0)
    assert values_.shape == () and indices.shape == () and indices.item() == 0
    values_.backward()
    assert x.grad.item() == 1.0
    values_, indices = x.min(-1, keepdim=True)
    assert values_.item() == 3.0 and indices.item() == 0
    assert t(3, I32).cumsum(0).dtype == I64 and t(3, I32).cumsum(0).shape == ()


# ----- bool tensors in one-input ops, clamp, empty reductions --------------------------------
@pytest.mark.parametrize("fn", [abs, lambda x: -x, lambda x: +x, cr.Tensor.floor,
                                cr.Tensor.ceil, cr.Tensor.trunc, cr.Tensor.relu,
                                cr.Tensor.round, cr.floor])
def test_one_input_ops_without_bool_kernels_refuse_bool(fn):
    with pytest.raises(OpTypeError, match="bool"):
        fn(t([True, False], BOOL))


def test_bool_sign_and_square():
    assert cr.sign(t([True, False], BOOL)).dtype == BOOL
    assert t([True, False], BOOL).sign().tolist() == [True, False]
    out = t([True, False], BOOL).square()
    assert out.dtype == I64 and out.tolist() == [1, 0]
    assert np.abs(cnp.absolute(t([True], BOOL)).numpy()).dtype == BOOL  # NumPy code: NumPy's


def test_clamp_promotes():
    out = t([-2, 1, 3], I64).clamp(0, 1.5)
    assert out.dtype == F32 and out.tolist() == [0.0, 1.0, 1.5]
    assert t([-2, 1, 3], I32).clamp(0, 2).dtype == I32
    assert t([True, False], BOOL).clamp(max=0.5).dtype == F32
    x = t([0.5, 3.0], F32, requires_grad=True)
    hi = t(2.0, F64, requires_grad=True)
    out = cr.clamp(x, max=hi)  # a 0-d float64 bound does not widen float32
    assert out.dtype == F32
    out.sum().backward()
    assert x.grad.tolist() == [1.0, 0.0] and hi.grad.dtype == F64 and hi.grad.item() == 1.0
    with pytest.raises(OpTypeError, match="clamp: .*bool"):
        t([True], BOOL).clamp(max=True)
    out = t([True, False], BOOL).clamp(max=t(False, BOOL))  # tensor bounds are fine
    assert out.dtype == BOOL and out.tolist() == [False, False]
    with pytest.raises(OpError, match="clamp: "):
        t([1.0], F32).clamp()


@pytest.mark.parametrize("op", ["amax", "amin", "max", "min", "argmax", "argmin"])
def test_extremes_of_nothing_raise_index_errors(op):
    with pytest.raises(IndexOutOfRangeError, match=rf"{op}: .*dim 0 .*non-zero"):
        getattr(cr.zeros(0, 3), op)(0)
    with pytest.raises(IndexOutOfRangeError, match=rf"{op}: "):
        getattr(cr.zeros(0), op)()
    out = getattr(cr.zeros(0, 3), op)(1)  # an empty result is fine
    assert (out[0] if op in ("max", "min") else out).shape == (0,)


def test_empty_logsumexp_and_norms():
    assert t(np.zeros(0), F32).logsumexp(0).item() == -np.inf
    assert cr.zeros(2, 0).logsumexp(1).tolist() == [-np.inf, -np.inf]
    with pytest.raises(OpError, match="norm: .*inf norm of an empty"):
        cr.zeros(0).norm(p=math.inf)
    x = t([1.0, 0.0, -2.0], F64, requires_grad=True)
    assert x.norm(p=0).item() == 2.0
    with pytest.raises(IndexOutOfRangeError, match="norm: dim 1"):
        t(1.0, F32).norm(p=1, dim=1)


def test_0d_var_std_all_any():
    x = t(3.0, F64)
    assert x.std(0, correction=0).item() == 0.0 and x.var(-1, correction=0).shape == ()
    with pytest.raises(IndexOutOfRangeError, match="std: dim 1"):
        x.std(1)
    assert t(False, BOOL).any(0).tolist() is False and t(True, BOOL).all(dim=(0,)).item()
    with pytest.raises(IndexOutOfRangeError, match="all: dim 1"):
        t(False, BOOL).all(1)
    assert t([[True, False]], BOOL).all(1).tolist() == [False]
    assert t([[True, False]], BOOL).any(dim=0, keepdim=True).tolist() == [[True, False]]


# ----- oracle: PyTorch itself ----------------------------------------------------------------
DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64",
          "complex64", "complex128"]
BINARY_OPS = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "truediv": lambda a, b: a / b, "floordiv": lambda a, b: a // b,
    "mod": lambda a, b: a % b, "pow": lambda a, b: a ** b,
    "maximum": lambda a, b: a.maximum(b), "minimum": lambda a, b: a.minimum(b),
    "atan2": lambda a, b: a.atan2(b), "fmod": lambda a, b: a.fmod(b),
    "hypot": lambda a, b: a.hypot(b), "logaddexp": lambda a, b: a.logaddexp(b),
    "and": lambda a, b: a & b, "or": lambda a, b: a | b, "xor": lambda a, b: a ^ b,
    "lshift": lambda a, b: a << b, "rshift": lambda a, b: a >> b,
    "lt": lambda a, b: a < b, "eq": lambda a, b: a == b,
}
# Where chainrule knowingly differs from PyTorch 2.13: complex operands of ops whose PyTorch
# CPU kernels lack complex support (chainrule computes NumPy's result).
KNOWN = {("maximum", "c"), ("minimum", "c"), ("atan2", "c"), ("fmod", "c"), ("floordiv", "c"),
         ("mod", "c"), ("hypot", "c"), ("logaddexp", "c"), ("lt", "c")}


def _to_torch(torch, value):
    if isinstance(value, cr.Tensor):
        return torch.from_numpy(np.array(value.numpy()))
    return value


def _run_both(torch, op, a, b):
    """(our result or exception, torch's result or exception)."""
    results = []
    for lib in ("cr", "torch"):
        try:
            x, y = (a, b) if lib == "cr" else (_to_torch(torch, a), _to_torch(torch, b))
            with np.errstate(all="ignore"):
                results.append(BINARY_OPS[op](x, y) if isinstance(x, (cr.Tensor, torch.Tensor))
                               else _reflected(op, x, y))
        except Exception as exc:  # noqa: BLE001 (either side's error is the datum)
            results.append(exc)
    return results


def _reflected(op, x, y):
    return {"add": lambda: x + y, "sub": lambda: x - y, "mul": lambda: x * y,
            "truediv": lambda: x / y, "floordiv": lambda: x // y, "mod": lambda: x % y,
            "pow": lambda: x ** y, "and": lambda: x & y, "or": lambda: x | y,
            "xor": lambda: x ^ y, "lshift": lambda: x << y, "rshift": lambda: x >> y,
            "lt": lambda: x < y, "eq": lambda: x == y}[op]()


def _operand(dtype, zero_d, values_=(1, 2, 3)):
    data = np.array([v % 2 == 1 for v in values_]) if dtype == "bool" else \
        np.array(values_).astype(dtype)
    return cr.from_numpy(np.array(data[0]) if zero_d else data)


def _compare(ours, theirs, what):
    if isinstance(theirs, Exception):
        assert isinstance(ours, Exception), f"{what}: PyTorch raises {theirs!r}, we give {ours!r}"
        assert isinstance(ours, (RuntimeError, TypeError)), f"{what}: {ours!r}"
        return
    assert not isinstance(ours, Exception), f"{what}: we raise {ours!r}, PyTorch gives {theirs}"
    expected_dtype = np.dtype(str(theirs.dtype).replace("torch.", ""))
    assert ours.dtype == expected_dtype, f"{what}: {ours.dtype} vs PyTorch's {expected_dtype}"
    ref = theirs.numpy()
    got = ours.numpy()
    assert got.shape == ref.shape, what
    if ref.dtype.kind in "fc":
        tol = 1e-2 if ref.dtype in (F16, C64) or ref.dtype == F32 else 1e-6
        np.testing.assert_allclose(got, ref, rtol=tol, atol=tol, equal_nan=True, err_msg=what)
    else:
        assert got.tolist() == ref.tolist(), what


def _skip_known(op, da, db):
    kinds = {np.dtype(da).kind, np.dtype(db).kind}
    if {da, db} & {"float16"} and "c" in kinds:
        return True  # PyTorch: complex32 (experimental); chainrule raises OpTypeError
    return "c" in kinds and (op, "c") in KNOWN


@pytest.mark.oracle
@pytest.mark.parametrize("op", sorted(BINARY_OPS))
@pytest.mark.parametrize("shapes", ["dim-dim", "dim-0d", "0d-dim"])
def test_oracle_tensor_tensor(op, shapes):
    torch = pytest.importorskip("torch")
    for da in DTYPES:
        for db in DTYPES:
            if _skip_known(op, da, db):
                continue
            a = _operand(da, shapes.startswith("0d"))
            b = _operand(db, shapes.endswith("0d"), (2, 1, 2))
            ours, theirs = _run_both(torch, op, a, b)
            _compare(ours, theirs, f"{op}({da} {shapes} {db})")


SCALARS = [True, 2, -1, 300, 2.5, 1j + 0.5]


@pytest.mark.oracle
@pytest.mark.parametrize("op", sorted(BINARY_OPS))
@pytest.mark.parametrize("side", ["tensor-scalar", "scalar-tensor"])
def test_oracle_tensor_scalar(op, side):
    torch = pytest.importorskip("torch")
    for da in DTYPES:
        for s in SCALARS:
            if da == "float16" and isinstance(s, complex):
                continue  # PyTorch: complex32 (experimental); chainrule raises
            kind = "c" if isinstance(s, complex) else "x"
            if _skip_known(op, da, "complex64" if kind == "c" else da):
                continue
            if op in ("maximum", "minimum", "atan2", "hypot", "logaddexp") or \
                    op == "fmod" and side == "scalar-tensor":
                continue  # PyTorch's methods take tensors only (chainrule's take numbers too)
            for zero_d in (False, True):
                a = _operand(da, zero_d)
                x, y = (a, s) if side == "tensor-scalar" else (s, a)
                ours, theirs = _run_both(torch, op, x, y)
                _compare(ours, theirs, f"{op}({x!r}, {y!r}) {da}")


UNARY_OPS = ["sin", "exp", "sqrt", "log1p", "reciprocal", "rsqrt", "sigmoid", "tanh", "erf",
             "exp2", "neg", "abs", "square", "sign", "floor", "ceil", "trunc", "round", "relu"]


@pytest.mark.oracle
@pytest.mark.parametrize("op", UNARY_OPS)
def test_oracle_unary(op):
    torch = pytest.importorskip("torch")
    for da in DTYPES[1:6] + ["float16", "float32", "float64"]:
        a = _operand(da, False)
        ours = getattr(a, op)()
        theirs = getattr(torch.from_numpy(a.numpy()), op)()
        _compare(ours, theirs, f"{op}({da})")


REDUCTIONS = {
    "sum": lambda x: x.sum(), "sum0": lambda x: x.sum(0), "prod": lambda x: x.prod(),
    "cumsum": lambda x: x.cumsum(0), "cumprod": lambda x: x.cumprod(-1),
    "logsumexp": lambda x: x.logsumexp(0), "amax": lambda x: x.amax(0),
    "amin": lambda x: x.amin(-1), "argmax": lambda x: x.argmax(0),
    "max": lambda x: x.max(0)[0], "min_idx": lambda x: x.min(-1)[1],
    "mean": lambda x: x.mean(0), "sum1": lambda x: x.sum(1), "cumsum1": lambda x: x.cumsum(1),
    "argmax1": lambda x: x.argmax(1),
}


@pytest.mark.oracle
@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@pytest.mark.parametrize("zero_d", [False, True])
def test_oracle_reductions(name, zero_d):
    torch = pytest.importorskip("torch")
    for da in ["bool", "uint8", "int8", "int32", "int64", "float16", "float32", "float64"]:
        a = _operand(da, zero_d)
        results = []
        for x in (a, torch.from_numpy(np.array(a.numpy()))):
            try:
                results.append(REDUCTIONS[name](x))
            except Exception as exc:  # noqa: BLE001
                results.append(exc)
        ours, theirs = results
        if isinstance(theirs, IndexError):
            assert isinstance(ours, IndexOutOfRangeError), f"{name}({da}): {ours!r}"
            continue
        _compare(ours, theirs, f"{name}({da}, 0-d={zero_d})")


@pytest.mark.oracle
def test_oracle_gradients_of_mixed_dtypes():
    torch = pytest.importorskip("torch")
    x = t([0.5, 1.5, -2.0], F32, requires_grad=True)
    s = t(1.25, F64, requires_grad=True)
    k = t([1, 2, 3], I32)
    out = (x * s + x ** k / k - cr.maximum(x, k) * s).sum()
    out.backward()
    tx = torch.tensor([0.5, 1.5, -2.0], requires_grad=True)
    ts = torch.tensor(1.25, dtype=torch.float64, requires_grad=True)
    tk = torch.tensor([1, 2, 3], dtype=torch.int32)
    tout = (tx * ts + tx ** tk / tk - torch.maximum(tx, tk) * ts).sum()
    tout.backward()
    assert out.dtype == F32 and str(tout.dtype) == "torch.float32"
    np.testing.assert_allclose(out.item(), tout.item(), rtol=1e-6)
    assert x.grad.dtype == F32 and s.grad.dtype == F64
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-6)
    np.testing.assert_allclose(s.grad.numpy(), ts.grad.numpy(), rtol=1e-6)
