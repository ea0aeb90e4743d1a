"""Elementwise primitives.

An elementwise op's Jacobian is diagonal, so one "scale" rule ``scale(xp, v, ans, x)`` that
multiplies a vector by f'(x) serves as both its VJP (v = the output gradient) and its JVP
(v = the input tangent). A binary op gives one scale per argument.
"""
from __future__ import annotations

import math

import numpy as np

from ..autograd.primitives import (Primitive, apply, bool_rule, call, defjvp, defvjp,
                                   integer_rule, pass_through)
from ..errors import OpError

_LN2, _LN10 = math.log(2.0), math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_INV_SQRT2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def unary(name: str, forward, scale, uses: str = "x", holomorphic: bool = False) -> Primitive:
    """A one-input elementwise primitive whose derivative needs ``uses``: "x", "ans",
    "both" or "" (neither). ``holomorphic``: also differentiable on complex values."""
    prim = Primitive(name, forward, saves=(0,) if uses in ("x", "both") else (),
                     saves_ans=uses in ("ans", "both"))
    prim.complex_ok = prim.holomorphic = holomorphic
    defvjp(prim, scale)
    defjvp(prim, lambda xp, ts, ans, x, **p: scale(xp, ts[0], ans, x, **p))
    return prim


def binary(name: str, forward, scale_x, scale_y, saves=(0, 1), saves_ans=False,
           saves_for=None, holomorphic: bool = False) -> Primitive:
    """A two-input elementwise primitive (broadcasting); the engine sums broadcast axes."""
    prim = Primitive(name, forward, saves=saves, saves_ans=saves_ans, saves_for=saves_for)
    prim.complex_ok = prim.holomorphic = holomorphic
    defvjp(prim, scale_x, scale_y)

    def jvp(xp, ts, ans, x, y):
        tx, ty = ts
        if ty is None:
            return scale_x(xp, tx, ans, x, y)
        if tx is None:
            return scale_y(xp, ty, ans, x, y)
        return scale_x(xp, tx, ans, x, y) + scale_y(xp, ty, ans, x, y)
    defjvp(prim, jvp)
    return prim


def _zero(xp, v, ans, x, *rest, **p):
    return xp.zeros_like(v)


# ----- special functions the NumPy core lacks --------------------------------------------
_special_module = []


def _special():
    """scipy.special when the `scipy` extra is installed (imported on first use), else None."""
    if not _special_module:
        try:
            import scipy.special
            _special_module.append(scipy.special)
        except ImportError:
            _special_module.append(None)
    return _special_module[0]


_math_erf = np.frompyfunc(math.erf, 1, 1)


def _erf(x):
    special = _special()
    if special is not None:
        return special.erf(x)
    # Without SciPy (the `scipy` extra), fall back to the exact math.erf, elementwise.
    return _math_erf(x).astype(np.result_type(x, np.float32))


def _sigmoid_fallback(x):
    # 0.5 * (1 + tanh(x / 2)) is exact and never overflows, unlike 1 / (1 + exp(-x)).
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def _sigmoid(x):
    special = _special()
    return special.expit(x) if special is not None else _sigmoid_fallback(x)


def _relu(x):
    return np.maximum(x, 0)


def _leaky_relu(x, negative_slope):
    return np.where(x > 0, x, x * negative_slope)


def _elu(x, alpha):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def _gelu(x, approximate):
    if approximate == "tanh":
        inner = math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)
        return 0.5 * x * (1.0 + np.tanh(inner))
    return 0.5 * x * (1.0 + _erf(x * _INV_SQRT2))


def _gelu_scale(xp, v, ans, x, approximate):
    if approximate == "tanh":
        k = math.sqrt(2.0 / math.pi)
        t = xp.tanh(k * (x + 0.044715 * x ** 3))
        return v * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * k * (1.0 + 3 * 0.044715 * x * x))
    cdf = 0.5 * (1.0 + call(xp, erf, x * _INV_SQRT2))
    pdf = xp.exp(-0.5 * x * x) * _INV_SQRT_2PI
    return v * (cdf + x * pdf)


def _silu(x):
    return x * _sigmoid(x)


def _silu_scale(xp, v, ans, x):
    s = call(xp, sigmoid, x)
    return v * (s * (1.0 + x * (1.0 - s)))


def _softplus(x, beta, threshold):
    bx = x * beta
    return np.where(bx > threshold, x, np.logaddexp(0, bx) / beta)


def _softplus_scale(xp, v, ans, x, beta, threshold):
    bx = x * beta
    return v * xp.where(bx > threshold, 1.0, call(xp, sigmoid, bx))


def _remainder(x, y):
    return np.remainder(x, y)


def _pow_scale_y(xp, v, ans, x, y):
    # d(x^y)/dy = x^y log x; where x == 0 the limit is 0 (for y > 0), as PyTorch gives.
    safe = xp.where(x == 0, 1.0, x)
    return v * xp.where(x == 0, 0.0, ans * xp.log(safe))


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
neg = unary("neg", np.negative, lambda xp, v, ans, x: -v, uses="", holomorphic=True)
positive = unary("positive", np.positive, pass_through, uses="", holomorphic=True)
def _unit(xp, ans, x):
    """sign(x) for real x; z/|z| (0 at 0) for complex z, from complex-aware ops."""
    if x.dtype.kind != "c":
        return xp.sign(x)
    return x / xp.where(ans == 0, 1.0, ans)


abs_ = Primitive("abs", np.abs, saves=(0,), saves_ans=True)
abs_.complex_ok = True  # the VJP g * z/|z| (g real) holds for complex z as written
defvjp(abs_, lambda xp, v, ans, x: v * _unit(xp, ans, x))
defjvp(abs_, lambda xp, ts, ans, x: ts[0] * xp.sign(x) if x.dtype.kind != "c" else
       xp.real(ts[0] * xp.conj(_unit(xp, ans, x))))
exp = unary("exp", np.exp, lambda xp, v, ans, x: v * ans, uses="ans", holomorphic=True)
exp2 = unary("exp2", np.exp2, lambda xp, v, ans, x: v * ans * _LN2, uses="ans", holomorphic=True)
expm1 = unary("expm1", np.expm1, lambda xp, v, ans, x: v * (ans + 1.0), uses="ans", holomorphic=True)
log = unary("log", np.log, lambda xp, v, ans, x: v / x, holomorphic=True)
log1p = unary("log1p", np.log1p, lambda xp, v, ans, x: v / (x + 1.0), holomorphic=True)
log2 = unary("log2", np.log2, lambda xp, v, ans, x: v / (x * _LN2), holomorphic=True)
log10 = unary("log10", np.log10, lambda xp, v, ans, x: v / (x * _LN10), holomorphic=True)
sqrt = unary("sqrt", np.sqrt, lambda xp, v, ans, x: v / (ans * 2.0), uses="ans", holomorphic=True)
rsqrt = unary("rsqrt", lambda x: 1.0 / np.sqrt(x),
              lambda xp, v, ans, x: v * (ans * ans * ans) * -0.5, uses="ans", holomorphic=True)
cbrt = unary("cbrt", np.cbrt, lambda xp, v, ans, x: v / (ans * ans * 3.0), uses="ans")
square = unary("square", np.square, lambda xp, v, ans, x: v * (x * 2.0), holomorphic=True)
reciprocal = unary("reciprocal", lambda x: 1.0 / x, lambda xp, v, ans, x: -v * (ans * ans),
                   uses="ans", holomorphic=True)
sin = unary("sin", np.sin, lambda xp, v, ans, x: v * xp.cos(x), holomorphic=True)
cos = unary("cos", np.cos, lambda xp, v, ans, x: -v * xp.sin(x), holomorphic=True)
tan = unary("tan", np.tan, lambda xp, v, ans, x: v * (1.0 + ans * ans), uses="ans", holomorphic=True)
arcsin = unary("arcsin", np.arcsin, lambda xp, v, ans, x: v / xp.sqrt(1.0 - x * x))
arccos = unary("arccos", np.arccos, lambda xp, v, ans, x: -v / xp.sqrt(1.0 - x * x))
arctan = unary("arctan", np.arctan, lambda xp, v, ans, x: v / (1.0 + x * x))
sinh = unary("sinh", np.sinh, lambda xp, v, ans, x: v * xp.cosh(x), holomorphic=True)
cosh = unary("cosh", np.cosh, lambda xp, v, ans, x: v * xp.sinh(x), holomorphic=True)
tanh = unary("tanh", np.tanh, lambda xp, v, ans, x: v * (1.0 - ans * ans), uses="ans", holomorphic=True)
arcsinh = unary("arcsinh", np.arcsinh, lambda xp, v, ans, x: v / xp.sqrt(x * x + 1.0))
arccosh = unary("arccosh", np.arccosh, lambda xp, v, ans, x: v / xp.sqrt(x * x - 1.0))
arctanh = unary("arctanh", np.arctanh, lambda xp, v, ans, x: v / (1.0 - x * x))
sigmoid = unary("sigmoid", _sigmoid, lambda xp, v, ans, x: v * (ans * (1.0 - ans)), uses="ans")
relu = unary("relu", _relu, lambda xp, v, ans, x: v * (ans > 0), uses="ans")
leaky_relu = unary("leaky_relu", _leaky_relu,
                   lambda xp, v, ans, x, negative_slope: xp.where(x > 0, v, v * negative_slope))
elu = unary("elu", _elu, lambda xp, v, ans, x, alpha: xp.where(x > 0, v, v * (ans + alpha)),
            uses="both")
gelu = unary("gelu", _gelu, _gelu_scale)
silu = unary("silu", _silu, _silu_scale)
softplus = unary("softplus", _softplus, _softplus_scale)
erf = unary("erf", _erf, lambda xp, v, ans, x: v * (xp.exp(-(x * x)) * _TWO_OVER_SQRT_PI))
# Piecewise-constant functions: the gradient is zero (where it exists), as in PyTorch.
sign = unary("sign", np.sign, _zero, uses="")
floor = unary("floor", np.floor, _zero, uses="")
ceil = unary("ceil", np.ceil, _zero, uses="")
trunc = unary("trunc", np.trunc, _zero, uses="")
rint = unary("rint", np.rint, _zero, uses="")
round_ = unary("round", lambda x, decimals=0: np.round(x, decimals), _zero, uses="")

# Real and imaginary parts and the conjugate: real-linear, not analytic.
real = Primitive("real", np.real, saves=(), saves_ans=False, is_view=True)
imag = Primitive("imag", np.imag, saves=(), saves_ans=False, is_view=True)
conj = Primitive("conj", np.conjugate, saves=(), saves_ans=False)
for _p in (real, imag, conj):
    _p.complex_ok = True
defvjp(real, pass_through)  # the engine makes it complex: g + 0i
defvjp(imag, lambda xp, g, ans, x: g * 1j)
defvjp(conj, lambda xp, g, ans, x: xp.conj(g))
defjvp(real, lambda xp, ts, ans, x: xp.real(ts[0]))
defjvp(imag, lambda xp, ts, ans, x: xp.imag(ts[0]))
defjvp(conj, lambda xp, ts, ans, x: xp.conj(ts[0]))


# ----- two-input ----------------------------------------------------------------------
add = binary("add", np.add, pass_through, pass_through, saves=(), holomorphic=True)
sub = binary("sub", np.subtract, pass_through, lambda xp, v, ans, x, y: -v,
             saves=(), holomorphic=True)
mul = binary("mul", np.multiply, lambda xp, v, ans, x, y: v * y, lambda xp, v, ans, x, y: v * x,
             saves_for=((1,), (0,)), holomorphic=True)
div = binary("div", np.true_divide, lambda xp, v, ans, x, y: v / y,
             lambda xp, v, ans, x, y: -v * ans / y, saves=(1,), saves_ans=True, holomorphic=True)
def _pow_scale_x(xp, v, ans, x, y):
    if isinstance(y, (int, float)):
        return v * (y * x ** (y - 1)) if y != 0 else xp.zeros_like(v)
    # x^0 is constant: its gradient is 0 even where x^-1 is infinite.
    return xp.where(y == 0, 0.0, v * (y * x ** (y - 1)))


pow_ = binary("pow", np.power, _pow_scale_x, _pow_scale_y, saves_ans=True, holomorphic=True)
maximum = binary("maximum", np.maximum, _max_scale(0, 1), _max_scale(1, 0))
minimum = binary("minimum", np.minimum, _min_scale(0), _min_scale(1))
arctan2 = binary("arctan2", np.arctan2, lambda xp, v, ans, y, x: v * x / (x * x + y * y),
                 lambda xp, v, ans, y, x: -v * y / (x * x + y * y))
logaddexp = binary("logaddexp", np.logaddexp, lambda xp, v, ans, x, y: v * xp.exp(x - ans),
                   lambda xp, v, ans, x, y: v * xp.exp(y - ans), saves_ans=True)
hypot = binary("hypot", np.hypot, lambda xp, v, ans, x, y: v * x / ans,
               lambda xp, v, ans, x, y: v * y / ans, saves_ans=True)
# No gradient flows through the integer part (PyTorch's convention).
floor_divide = binary("floor_divide", np.floor_divide, _zero, _zero, saves=())
remainder = binary("remainder", _remainder, pass_through,
                   lambda xp, v, ans, x, y: -v * xp.floor_divide(x, y))
fmod = binary("fmod", np.fmod, pass_through,
              lambda xp, v, ans, x, y: -v * xp.trunc(x / y))


for _p in (add, sub, mul, div):
    _p.scalar_operands = True

# How the Tensor operators treat integer and bool operands, by PyTorch's kernels (NumPy code
# keeps NumPy's results): true division and atan2 give the default float dtype; hypot and
# logaddexp have no integer kernels; integer division by zero raises, as does an integer to a
# negative int power; bool has no kernels for division, remainder or a tensor power, and no
# subtraction.
for _p, _rule in ((div, "float"), (arctan2, "float"), (hypot, "float_only"),
                  (logaddexp, "float_only"), (floor_divide, "divide"), (remainder, "divide"),
                  (fmod, "divide"), (pow_, "power"), (sub, "no_bool_operand")):
    integer_rule(_p, _rule)


# How the Tensor methods treat bool tensors where PyTorch differs from NumPy: no kernels for
# these, sign is the identity, square is computed in int64.
for _p in (abs_, neg, positive, floor, ceil, trunc, relu):
    bool_rule(_p, "error")
bool_rule(sign, "identity")
bool_rule(square, "int64")


# ----- three-input --------------------------------------------------------------------
def _where(cond, x, y):
    return np.where(cond, x, y)


where_ = Primitive("where", _where, saves=(0,), saves_ans=False)
where_.complex_ok = True
defvjp(where_, None, lambda xp, g, ans, c, x, y: xp.where(c, g, 0.0),
       lambda xp, g, ans, c, x, y: xp.where(c, 0.0, g))
defjvp(where_, lambda xp, ts, ans, c, x, y: xp.where(
    c, 0.0 if ts[1] is None else ts[1], 0.0 if ts[2] is None else ts[2]))


def _clip(x, lo, hi):
    return np.clip(x, lo, hi)


def _clip_scale_x(xp, v, ans, x, lo, hi):
    inside = True
    if lo is not None:
        inside = x >= lo
    if hi is not None:
        inside = (x <= hi) if inside is True else inside & (x <= hi)
    return xp.where(inside, v, 0.0)


clip = Primitive("clamp", _clip, saves=(0, 1, 2), saves_ans=False)
defvjp(clip, _clip_scale_x,
       lambda xp, g, ans, x, lo, hi: xp.where(x < lo, g, 0.0),
       lambda xp, g, ans, x, lo, hi: xp.where(x > hi, g, 0.0))


def _clip_jvp(xp, ts, ans, x, lo, hi):
    out = 0.0 if ts[0] is None else _clip_scale_x(xp, ts[0], ans, x, lo, hi)
    if ts[1] is not None:
        out = out + xp.where(x < lo, ts[1], 0.0)
    if ts[2] is not None:
        out = out + xp.where(x > hi, ts[2], 0.0)
    return out


defjvp(clip, _clip_jvp)


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
    return apply(clip, (x, min, max))


def round(x, decimals: int = 0):
    return apply(round_, (x,), {"decimals": decimals} if decimals else {})
