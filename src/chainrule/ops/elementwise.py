"""Elementwise primitives.

An elementwise op's Jacobian is diagonal, so one "scale" rule ``scale(xp, v, ans, x)`` that
multiplies a vector by f'(x) serves as both its VJP (v = the output gradient) and its JVP
(v = the input tangent). A binary op gives one scale per argument.
"""
from __future__ import annotations

import math

import numpy as np

from .. import _backend, _fastnp
from ..autograd.fastpath import binary_operator
from ..autograd.primitives import Primitive, apply, call, defjvps, pass_through
from ..autograd.tensor import Tensor, make_tensor
from ..errors import OpError, OpTypeError

__all__ = ["unary", "binary", "neg", "positive", "absolute", "exp", "exp2", "expm1", "log",
           "log1p", "log2", "log10", "sqrt", "rsqrt", "cbrt", "square", "reciprocal", "sin",
           "cos", "tan",
           "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "arcsinh", "arccosh", "arctanh",
           "sigmoid", "relu", "leaky_relu", "elu", "gelu", "silu", "softplus", "erf", "sign",
           "floor", "ceil", "trunc", "rint", "round_p", "real", "imag", "conj", "add", "sub", "mul",
           "div", "pow_p", "maximum", "minimum", "arctan2", "logaddexp", "hypot", "floor_divide",
           "remainder", "fmod", "where_p", "clamp_p", "clamp", "round", "copysign", "xlogy",
           "lerp", "logit", "frac", "sgn", "float_power", "div_mode", "isclose", "allclose",
           "nan_to_num"]

_LN2, _LN10 = math.log(2.0), math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_INV_SQRT2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def unary(name: str, forward, scale, uses: str = "x", **flags) -> Primitive:
    """A one-input elementwise primitive whose derivative needs ``uses``: "x", "ans",
    "both" or "" (neither); ``flags`` are the Primitive's (``holomorphic``: also
    differentiable on complex values; ``bool_rule``)."""
    return Primitive(name, forward, saves=(0,) if uses in ("x", "both") else (),
                     saves_ans=uses in ("ans", "both"), vjps=(scale,),
                     jvp=lambda xp, ts, ans, x, **p: scale(xp, ts[0], ans, x, **p), **flags)


def binary(name: str, forward, scale_x, scale_y, saves=(0, 1), saves_ans=False,
           saves_for=None, **flags) -> Primitive:
    """A two-input elementwise primitive (broadcasting; the engine sums broadcast axes):
    each scale is its argument's VJP and, summed by the core, the JVP."""
    prim = Primitive(name, forward, saves=saves, saves_ans=saves_ans, saves_for=saves_for,
                     vjps=(scale_x, scale_y), **flags)
    return defjvps(prim, scale_x, scale_y)


def _zero(xp, v, ans, x, *rest, **p):
    return xp.zeros_like(v)


# ----- special functions the NumPy core lacks --------------------------------------------
# Each namespace's special-function library (SciPy's for NumPy: the scipy extra).
_math_erf = np.frompyfunc(math.erf, 1, 1)


def _erf(xp, x):
    special = _backend.special_functions(xp)
    if special is not None:
        return special.erf(x)
    # Without SciPy (the `scipy` extra), fall back to the exact math.erf, elementwise.
    return _math_erf(x).astype(xp.result_type(x, xp.float32))


def _sigmoid_fallback(xp, x):
    # 0.5 * (1 + tanh(x / 2)) is exact and never overflows, unlike 1 / (1 + exp(-x)).
    return 0.5 * (1.0 + xp.tanh(0.5 * x))


def _sigmoid(xp, x):
    special = _backend.special_functions(xp)
    return special.expit(x) if special is not None else _sigmoid_fallback(xp, x)


def _relu(xp, x):
    return xp.maximum(x, _fastnp.zero_operand(xp, x))


def _leaky_relu(xp, x, negative_slope):
    return xp.where(x > 0, x, x * negative_slope)


def _elu(xp, x, alpha):
    return xp.where(x > 0, x, alpha * xp.expm1(xp.minimum(x, _fastnp.zero_operand(xp, x))))


def _gelu(xp, x, approximate):
    if approximate == "tanh":
        inner = math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)
        return 0.5 * x * (1.0 + xp.tanh(inner))
    return 0.5 * x * (1.0 + _erf(xp, x * _INV_SQRT2))


def _gelu_scale(xp, v, ans, x, approximate):
    if approximate == "tanh":
        k = math.sqrt(2.0 / math.pi)
        t = xp.tanh(k * (x + 0.044715 * x ** 3))
        return v * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * k * (1.0 + 3 * 0.044715 * x * x))
    cdf = 0.5 * (1.0 + call(xp, erf, x * _INV_SQRT2))
    pdf = xp.exp(-0.5 * x * x) * _INV_SQRT_2PI
    return v * (cdf + x * pdf)


def _silu(xp, x):
    return x * _sigmoid(xp, x)


def _silu_scale(xp, v, ans, x):
    s = call(xp, sigmoid, x)
    return v * (s * (1.0 + x * (1.0 - s)))


def _softplus(xp, x, beta, threshold):
    bx = x * beta
    return xp.where(bx > threshold, x, xp.logaddexp(0, bx) / beta)


def _softplus_scale(xp, v, ans, x, beta, threshold):
    bx = x * beta
    return v * xp.where(bx > threshold, 1.0, call(xp, sigmoid, bx))


def _pow_scale_y(xp, v, ans, x, y):
    # d(x^y)/dy = x^y log x; where x == 0 and y >= 0 the limit is 0, as PyTorch gives; at
    # x == 0 and y < 0 it is inf * -inf = -inf, as PyTorch's.
    zero = (x == 0) & (xp.real(y) >= 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return v * xp.where(zero, 0.0, ans * xp.log(xp.where(zero, 1.0, x)))


def _max_scale(mine, other):
    # Where the two are tied, each gets half the gradient (PyTorch's convention).
    def scale(xp, v, ans, x, y):
        a, b = (x, y) if mine == 0 else (y, x)
        return xp.where(a > b, v, xp.where(a == b, v * 0.5, 0.0))
    return scale


def _min_scale(mine):
    def scale(xp, v, ans, x, y):
        a, b = (x, y) if mine == 0 else (y, x)
        return xp.where(a < b, v, xp.where(a == b, v * 0.5, 0.0))
    return scale


# ----- one-input ----------------------------------------------------------------------
# bool_rule: how the Tensor methods treat bool tensors where PyTorch differs from NumPy (no
# kernels for these; sign is the identity; square is computed in int64).
neg = unary("neg", "negative", lambda xp, v, ans, x: -v, uses="", holomorphic=True,
            bool_rule="error")
positive = unary("positive", "positive", pass_through, uses="", holomorphic=True,
                 bool_rule="error")
def _unit(xp, ans, x):
    """sign(x) for real x; z/|z| (0 at 0) for complex z, from complex-aware ops."""
    if x.dtype.kind != "c":
        return xp.sign(x)
    return x / xp.where(ans == 0, 1.0, ans)


# complex_ok: the VJP g * z/|z| (g real) holds for complex z as written.
absolute = Primitive("absolute", "absolute", saves=(0,), saves_ans=True, complex_ok=True,
                     bool_rule="error", vjps=(lambda xp, v, ans, x: v * _unit(xp, ans, x),),
                     jvp=lambda xp, ts, ans, x: ts[0] * xp.sign(x) if x.dtype.kind != "c" else
                     xp.real(ts[0] * xp.conj(_unit(xp, ans, x))))
exp = unary("exp", "exp", lambda xp, v, ans, x: v * ans, uses="ans", holomorphic=True)
exp2 = unary("exp2", "exp2", lambda xp, v, ans, x: v * ans * _LN2, uses="ans", holomorphic=True)
expm1 = unary("expm1", "expm1", lambda xp, v, ans, x: v * (ans + 1.0), uses="ans",
              holomorphic=True)
log = unary("log", "log", lambda xp, v, ans, x: v / x, holomorphic=True)
log1p = unary("log1p", "log1p", lambda xp, v, ans, x: v / (x + 1.0), holomorphic=True)
log2 = unary("log2", "log2", lambda xp, v, ans, x: v / (x * _LN2), holomorphic=True)
log10 = unary("log10", "log10", lambda xp, v, ans, x: v / (x * _LN10), holomorphic=True)
sqrt = unary("sqrt", "sqrt", lambda xp, v, ans, x: v / (ans * 2.0), uses="ans", holomorphic=True)
rsqrt = unary("rsqrt", lambda xp, x: 1.0 / xp.sqrt(x),
              lambda xp, v, ans, x: v * (ans * ans * ans) * -0.5, uses="ans", holomorphic=True)
cbrt = unary("cbrt", "cbrt", lambda xp, v, ans, x: v / (ans * ans * 3.0), uses="ans")
square = unary("square", "square", lambda xp, v, ans, x: v * (x * 2.0), holomorphic=True,
               bool_rule="int64")
reciprocal = unary("reciprocal", lambda xp, x: 1.0 / x, lambda xp, v, ans, x: -v * (ans * ans),
                   uses="ans", holomorphic=True)
sin = unary("sin", "sin", lambda xp, v, ans, x: v * xp.cos(x), holomorphic=True)
cos = unary("cos", "cos", lambda xp, v, ans, x: -v * xp.sin(x), holomorphic=True)
tan = unary("tan", "tan", lambda xp, v, ans, x: v * (1.0 + ans * ans), uses="ans",
            holomorphic=True)
# The inverse functions are analytic off their branch cuts (NumPy's principal branches):
# the rules below are their complex derivatives too, so they are marked holomorphic.
arcsin = unary("arcsin", "arcsin", lambda xp, v, ans, x: v / xp.sqrt(1.0 - x * x),
               holomorphic=True)
arccos = unary("arccos", "arccos", lambda xp, v, ans, x: -v / xp.sqrt(1.0 - x * x),
               holomorphic=True)
arctan = unary("arctan", "arctan", lambda xp, v, ans, x: v / (1.0 + x * x), holomorphic=True)
sinh = unary("sinh", "sinh", lambda xp, v, ans, x: v * xp.cosh(x), holomorphic=True)
cosh = unary("cosh", "cosh", lambda xp, v, ans, x: v * xp.sinh(x), holomorphic=True)
tanh = unary("tanh", "tanh", lambda xp, v, ans, x: v * (1.0 - ans * ans), uses="ans",
             holomorphic=True)


def _arccosh_scale(xp, v, ans, x):
    if x.dtype.kind != "c":
        return v / xp.sqrt(x * x - 1.0)
    # sqrt(z - 1) sqrt(z + 1), not sqrt(z^2 - 1): the two differ in sign where Re z < 0,
    # and only the first is the derivative of the principal branch (NumPy's, PyTorch's).
    return v / (xp.sqrt(x - 1.0) * xp.sqrt(x + 1.0))


arcsinh = unary("arcsinh", "arcsinh", lambda xp, v, ans, x: v / xp.sqrt(x * x + 1.0),
                holomorphic=True)
arccosh = unary("arccosh", "arccosh", _arccosh_scale, holomorphic=True)
arctanh = unary("arctanh", "arctanh", lambda xp, v, ans, x: v / (1.0 - x * x), holomorphic=True)
sigmoid = unary("sigmoid", _sigmoid, lambda xp, v, ans, x: v * (ans * (1.0 - ans)), uses="ans")
relu = unary("relu", _relu, lambda xp, v, ans, x: v * (ans > 0), uses="ans", bool_rule="error")
leaky_relu = unary("leaky_relu", _leaky_relu,
                   lambda xp, v, ans, x, negative_slope: xp.where(x > 0, v, v * negative_slope))
elu = unary("elu", _elu, lambda xp, v, ans, x, alpha: xp.where(x > 0, v, v * (ans + alpha)),
            uses="both")
gelu = unary("gelu", _gelu, _gelu_scale)
silu = unary("silu", _silu, _silu_scale)
softplus = unary("softplus", _softplus, _softplus_scale)
erf = unary("erf", _erf, lambda xp, v, ans, x: v * (xp.exp(-(x * x)) * _TWO_OVER_SQRT_PI))
# Piecewise-constant functions: the gradient is zero (where it exists), as in PyTorch.
sign = unary("sign", "sign", _zero, uses="", bool_rule="identity")
floor = unary("floor", "floor", _zero, uses="", bool_rule="error")
ceil = unary("ceil", "ceil", _zero, uses="", bool_rule="error")
trunc = unary("trunc", "trunc", _zero, uses="", bool_rule="error")
rint = unary("rint", "rint", _zero, uses="")
round_p = unary("round", "round", _zero, uses="")

# Real and imaginary parts and the conjugate: real-linear, not analytic.
# (real's VJP passes g through: the engine makes it complex, g + 0i.)
real = Primitive("real", "real", saves=(), saves_ans=False, is_view=True, complex_ok=True,
                 vjps=(pass_through,), jvp=lambda xp, ts, ans, x: xp.real(ts[0]))
imag = Primitive("imag", "imag", saves=(), saves_ans=False, is_view=True, complex_ok=True,
                 vjps=(lambda xp, g, ans, x: g * 1j,), jvp=lambda xp, ts, ans, x: xp.imag(ts[0]))
conj = Primitive("conj", "conjugate", saves=(), saves_ans=False, complex_ok=True,
                 vjps=(lambda xp, g, ans, x: xp.conj(g),),
                 jvp=lambda xp, ts, ans, x: xp.conj(ts[0]))


# ----- two-input ----------------------------------------------------------------------
# scalar_operands: Python floats may become cached 0-d arrays (see autograd/fastpath.py).
# integer_rule: how the Tensor operators treat integer and bool operands, by PyTorch's kernels
# (NumPy code keeps NumPy's results): true division and atan2 give the default float dtype;
# hypot and logaddexp have no integer kernels; integer division by zero raises, as does an
# integer to a negative int power; bool has no kernels for division, remainder or a tensor
# power, and no subtraction.
add = binary("add", "add", pass_through, pass_through, saves=(), holomorphic=True,
             scalar_operands=True)
sub = binary("sub", "subtract", pass_through, lambda xp, v, ans, x, y: -v,
             saves=(), holomorphic=True, scalar_operands=True, integer_rule="no_bool_operand")
mul = binary("mul", "multiply", lambda xp, v, ans, x, y: v * y, lambda xp, v, ans, x, y: v * x,
             saves_for=((1,), (0,)), holomorphic=True, scalar_operands=True)
div = binary("div", "true_divide", lambda xp, v, ans, x, y: v / y,
             lambda xp, v, ans, x, y: -v * ans / y, saves=(1,), saves_ans=True, holomorphic=True,
             scalar_operands=True, integer_rule="float")


def _pow_scale_x(xp, v, ans, x, y):
    if isinstance(y, (int, float)):
        return v * (y * x ** (y - 1)) if y != 0 else xp.zeros_like(v)
    # x^0 is constant: its gradient is 0 even where x^-1 is infinite.
    return xp.where(y == 0, 0.0, v * (y * x ** (y - 1)))


pow_p = binary("pow", "power", _pow_scale_x, _pow_scale_y, saves_ans=True, holomorphic=True,
               integer_rule="power")
maximum = binary("maximum", "maximum", _max_scale(0, 1), _max_scale(1, 0))
minimum = binary("minimum", "minimum", _min_scale(0), _min_scale(1))
arctan2 = binary("arctan2", "arctan2", lambda xp, v, ans, y, x: v * x / (x * x + y * y),
                 lambda xp, v, ans, y, x: -v * y / (x * x + y * y), integer_rule="float")
logaddexp = binary("logaddexp", "logaddexp", lambda xp, v, ans, x, y: v * xp.exp(x - ans),
                   lambda xp, v, ans, x, y: v * xp.exp(y - ans), saves_ans=True,
                   integer_rule="float_only")
hypot = binary("hypot", "hypot", lambda xp, v, ans, x, y: v * x / ans,
               lambda xp, v, ans, x, y: v * y / ans, saves_ans=True, integer_rule="float_only")
# No gradient flows through the integer part (PyTorch's convention).
floor_divide = binary("floor_divide", "floor_divide", _zero, _zero, saves=(),
                      integer_rule="divide")
remainder = binary("remainder", "remainder", pass_through,
                   lambda xp, v, ans, x, y: -v * xp.floor_divide(x, y), integer_rule="divide")
fmod = binary("fmod", "fmod", pass_through,
              lambda xp, v, ans, x, y: -v * xp.trunc(x / y), integer_rule="divide")



def _copysign_scale_x(xp, v, ans, x, y):
    # d/dx copysign(x, y) = ans / x, +-1; 0 at x == 0 (PyTorch's convention).
    return v * xp.where(x == 0, 0.0, ans / xp.where(x == 0, 1.0, x))


copysign = binary("copysign", "copysign", _copysign_scale_x, _zero, saves=(0,), saves_ans=True,
                  integer_rule="float")


def _xlogy(xp, x, y):
    # 0 where x == 0 (even for y == 0 or inf), NaN where y is NaN: scipy's and PyTorch's.
    # (where() makes a Python-number operand float64: the result takes the dtype the
    # ufuncs would give, Python numbers weak, as for every other binary op.)
    # Integer operands are converted before the forward (integer_rule "float").
    dtype = xp.result_type(x, y)
    zero = x == 0
    out = x * xp.log(xp.where(zero, 1.0, y))
    out = xp.where(zero, xp.where(xp.isnan(y), y, 0.0 * out), out)
    return out.astype(dtype, copy=False) if dtype.kind in "fc" else out


def _xlogy_scale_x(xp, v, ans, x, y):
    # log(y), also at x == 0, except 0 where x == 0 and y <= 0: PyTorch's rule.
    zero = (x == 0) & (y <= 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return v * xp.where(zero, 0.0, xp.log(xp.where(zero, 1.0, y)))


xlogy = binary("xlogy", _xlogy, _xlogy_scale_x,
               lambda xp, v, ans, x, y: v * x / y, integer_rule="float")

# ----- three-input --------------------------------------------------------------------
# Linear in x and in y, so each argument's VJP rule is also its share of the JVP.
_where_vjp_x = lambda xp, g, ans, c, x, y: xp.where(c, g, 0.0)  # noqa: E731
_where_vjp_y = lambda xp, g, ans, c, x, y: xp.where(c, 0.0, g)  # noqa: E731
where_p = defjvps(Primitive("where", "where", saves=(0,), saves_ans=False, complex_ok=True,
                            vjps=(None, _where_vjp_x, _where_vjp_y)),
                  None, _where_vjp_x, _where_vjp_y)


def _clip_scale_x(xp, v, ans, x, lo, hi):
    inside = True
    if lo is not None:
        inside = x >= lo
    if hi is not None:
        inside = (x <= hi) if inside is True else inside & (x <= hi)
    return xp.where(inside, v, 0.0)


def _clamp_vjp_lo(xp, g, ans, x, lo, hi):
    return xp.where(x < lo, g, 0.0)


def _clamp_vjp_hi(xp, g, ans, x, lo, hi):
    return xp.where(x > hi, g, 0.0)


# Piecewise linear in each argument: the VJP rules are also the JVP's shares.
clamp_p = defjvps(Primitive("clamp", "clip", saves=(0, 1, 2), saves_ans=False,
                            vjps=(_clip_scale_x, _clamp_vjp_lo, _clamp_vjp_hi)),
                  _clip_scale_x, _clamp_vjp_lo, _clamp_vjp_hi)


# ----- front-ends with arguments ----------------------------------------------------------
def clamp(x, min=None, max=None):
    """Limit ``x`` to [min, max]; the bounds may be numbers or tensors (gradient flows to
    whichever value is selected).

    >>> from chainrule import tensor
    >>> clamp(tensor([-2., 0.5, 3.]), 0, 1)
    tensor([0.0, 0.5, 1.0])
    """
    if min is None and max is None:
        raise OpError("clamp: give at least one of min and max (both are None)")
    return apply(clamp_p, (x, min, max))


def round(x, decimals: int = 0):
    return apply(round_p, (x,), {"decimals": decimals} if decimals else {})



# ----- PyTorch front-ends composed of the primitives above --------------------------------
def _data(x):
    return x._data if hasattr(x, "_data") else np.asarray(x)


def _is_float(x) -> bool:
    return _data(x).dtype.kind in "fc"


def _to_default_float(x):
    """Integer and bool tensors as the default float dtype (PyTorch's unary float ops)."""
    # Tensor.to (made from the op table) casts: this module cannot import ops.shape, which
    # builds on it.
    return x if _is_float(x) else x.to(_backend.get_default_dtype())


def lerp(input, end, weight):
    """``input + weight * (end - input)``; ``weight`` a number or a tensor. Gradients flow to
    all three (PyTorch's formula: from ``end`` back when ``|weight| >= 0.5``, for accuracy).

    >>> from chainrule import tensor
    >>> lerp(tensor([1., 2.]), tensor([3., 6.]), 0.5)
    tensor([2., 4.])
    """
    a, b = _data(input), _data(end)
    if a.dtype != b.dtype:
        raise OpTypeError(f"lerp: expected dtype {a.dtype} for `end` but got dtype {b.dtype}; "
                          f"convert one with .to()")
    diff = end - input
    if isinstance(weight, (int, float)):
        return input + weight * diff if abs(weight) < 0.5 else end - diff * (1 - weight)
    small = np.abs(_data(weight)) < 0.5
    return apply(where_p, (small, input + weight * diff, end - diff * (1 - weight)))


def logit(input, eps=None):
    """log(p / (1 - p)); with ``eps``, p is first clamped to [eps, 1 - eps] (gradient 0
    outside). Integer tensors give the default float dtype.

    >>> from chainrule import tensor
    >>> logit(tensor([0.5, 0.75]))
    tensor([0.0000000, 1.0986123])
    """
    z = _to_default_float(input)
    if eps is not None:
        z = apply(clamp_p, (z, eps, 1.0 - eps))
    # log(z) - log(1 - z): its gradient 1/z + 1/(1 - z) is inf at 0 and 1, as PyTorch's
    # (log of the ratio would give inf * 0 = nan there).
    with np.errstate(divide="ignore"):  # -inf at 0 and inf at 1, silently, as PyTorch
        return apply(log, (z,)) - apply(log1p, (-z,))


def frac(input):
    """The fractional part, x - trunc(x) (gradient 1); floating point tensors only.

    >>> from chainrule import tensor
    >>> frac(tensor([1.5, -2.25]))
    tensor([ 0.50, -0.25])
    """
    if not _is_float(input):
        raise OpTypeError(f"frac: not implemented for {_data(input).dtype} tensors (PyTorch has "
                          f"no integer kernel); convert with .float() first")
    return input - apply(trunc, (input,))


def sgn(input):
    """sign(x) for real tensors; z / |z| (0 at 0) for complex ones.

    >>> from chainrule import tensor
    >>> sgn(tensor([-2., 0., 3.]))
    tensor([-1.,  0.,  1.])
    """
    if _data(input).dtype.kind != "c":
        return input.sign()
    mag = apply(absolute, (input,))
    return input / apply(where_p, (_data(mag) == 0, 1.0, mag))


def float_power(input, exponent):
    """``input ** exponent`` computed in float64 (complex128 if either is complex), as
    PyTorch's float_power; gradients flow back in each input's own dtype.

    >>> from chainrule import tensor
    >>> float_power(tensor([2, 3]), 2)
    tensor([4., 9.], dtype=float64)
    """
    complex_ = any(np.asarray(_data(v)).dtype.kind == "c" for v in (input, exponent))
    dtype = np.complex128 if complex_ else np.float64
    if not isinstance(input, Tensor):
        input = make_tensor(np.asarray(input, dtype))
    base = input.to(dtype)
    if isinstance(exponent, Tensor):
        exponent = exponent.to(dtype)
    return base ** exponent


# The operators' fast paths, with PyTorch's promotion (made once, not per call).
_true_divide, _floor_divide = binary_operator(div), binary_operator(floor_divide)


def div_mode(input, other, *, rounding_mode=None):
    """Division: true division (``rounding_mode=None``), rounded toward zero (``"trunc"``)
    or down (``"floor"``, Python's ``//``). The rounded modes keep integer dtypes and have
    gradient 0.

    >>> from chainrule import tensor
    >>> div_mode(tensor([-7, 7]), 2, rounding_mode="trunc")
    tensor([-3,  3])
    """
    if rounding_mode is None:
        return _true_divide(input, other)
    if rounding_mode not in ("trunc", "floor"):
        raise OpError(f"div: expected rounding_mode to be one of None, 'trunc' or 'floor', "
                      f"got {rounding_mode!r}")
    if not isinstance(input, Tensor):
        input = make_tensor(np.asarray(input))
    if rounding_mode == "floor" or (_is_float(input) or _is_float(other) or
                                    isinstance(other, float)):
        if rounding_mode == "floor":
            return _floor_divide(input, other)
        return apply(trunc, (_true_divide(input, other),))
    q = _floor_divide(input, other)  # integer: checks division by zero
    a, b, qd = _data(input), np.asarray(_data(other)), q._data
    # floor and trunc differ where the division is inexact and the signs differ
    fix = (a - qd * b != 0) & ((a < 0) != (b < 0))
    return make_tensor((qd + fix).astype(qd.dtype))


def isclose(input, other, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False):
    """|input - other| <= atol + rtol * |other| elementwise (infinities equal when equal):
    a bool tensor, no gradient. Both must have one dtype, as in PyTorch.

    >>> from chainrule import tensor
    >>> isclose(tensor([1., 2.]), tensor([1. + 1e-9, 2.1]))
    tensor([ True, False])
    """
    a, b = _data(input), _data(other)
    if a.dtype != b.dtype:
        raise OpTypeError(f"isclose: expected both inputs to have one dtype, got {a.dtype} and "
                          f"{b.dtype}; convert one with .to()")
    if rtol < 0 or atol < 0:
        raise OpError(f"isclose: rtol and atol must be >= 0, got rtol={rtol}, atol={atol}")
    if a.dtype == np.bool_:
        return make_tensor(np.asarray(a == b))
    return make_tensor(np.asarray(np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)))


def allclose(input, other, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> bool:
    """Whether :func:`isclose` holds everywhere: a Python bool.

    >>> from chainrule import tensor
    >>> allclose(tensor([1., 2.]), tensor([1., 2. + 1e-9]))
    True
    """
    return bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


def nan_to_num(input, nan: float = 0.0, posinf=None, neginf=None):
    """NaN, +inf and -inf replaced by ``nan``, ``posinf`` and ``neginf`` (by default the
    dtype's largest and smallest finite values); gradient 1 where the input is finite, 0
    where it was replaced.

    >>> from chainrule import tensor
    >>> nan_to_num(tensor([float("nan"), 1.]))
    tensor([0., 1.])
    """
    d = _data(input)
    if d.dtype.kind not in "fc":
        return apply(where_p, (True, input, input))  # a copy, in the graph: nothing to replace
    filled = np.nan_to_num(d, nan=nan, posinf=posinf, neginf=neginf)
    return apply(where_p, (np.isfinite(d), input, filled))


def __dir__():  # dir() and tab completion show what the module exports, not its helpers
    return __all__
