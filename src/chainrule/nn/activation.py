"""Activation functions, as in ``torch.nn.functional``: the elementwise ones (relu, gelu,
hardtanh, mish...), the gated and parametric ones (glu, prelu, rrelu) and softmax /
log-softmax / softmin along a dim.

The elementwise activations with a primitive of their own are the op table's (the Tensor
methods' own functions); the rest are composites of primitives, so their gradients (first
and higher order, reverse and forward mode) come from those. The piecewise ones pick their
branches with ``where`` on masks written as PyTorch's kernels write them, so that the
gradient at a kink (hardtanh at its bounds, hardsigmoid at +-3) is PyTorch's too.
``inplace=True`` writes the result into the input, as PyTorch does (and refuses a leaf that
requires grad, as it does).
"""
from __future__ import annotations

import math
from typing import Optional

from .. import _backend
from .. import _surface
from ..autograd.primitives import apply
from ..autograd.tensor import Tensor
from ..errors import OpError
from ..ops import elementwise as ew
from ..ops import inplace as ip
from ..ops import shape as sh
from ..ops._util import data_of, normalize_axis, shape_of
from ..ops.frontends import _integral, _require_floating
from ..ops.softmax import implicit_dim, log_softmax, softmax, softmax_axis, softmax_p

__all__ = ["relu", "sigmoid", "tanh", "silu", "leaky_relu", "elu", "gelu", "softplus",
           "celu", "selu", "softsign", "logsigmoid", "hardsigmoid", "hardswish", "relu6",
           "mish", "hardtanh", "prelu", "rrelu", "glu", "threshold", "tanhshrink",
           "softshrink", "hardshrink", "softmax", "log_softmax", "softmin"]

# The elementwise activations with primitives are the op table's.
_TABLE = _surface.functional_table()
sigmoid, tanh, softplus, gelu = (_TABLE["sigmoid"], _TABLE["tanh"], _TABLE["softplus"],
                                 _TABLE["gelu"])
_relu, _silu, _leaky_relu, _elu = (_TABLE["relu"], _TABLE["silu"], _TABLE["leaky_relu"],
                                   _TABLE["elu"])

# SELU's constants (Klambauer et al. 2017), as PyTorch spells them.
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _where(mask, a, b):
    """``a`` where ``mask`` (a raw bool array), else ``b``: the gradient goes to the branch
    taken."""
    return apply(ew.where_p, (mask, a, b))


def _in_place(op: str, x, fn, *args):
    """``fn(x, *args)`` written into ``x`` (PyTorch's ``inplace=True``). The result is
    computed from a clone, so that the recorded graph never reads ``x`` after the write."""
    if not isinstance(x, Tensor):
        raise OpError(f"{op}: inplace=True needs a Tensor to write into, got "
                      f"{type(x).__name__}")
    ip.setitem(x, Ellipsis, fn(sh.clone(x), *args), f"{op}_")
    return x


def _same_dtype(x, out):
    """Integer inputs keep their dtype (PyTorch's hardtanh, relu6 and threshold do)."""
    return sh.cast(out, data_of(x).dtype) if _integral(x) else out


# ----- the table's activations, with PyTorch's inplace flag --------------------------------
def relu(input, inplace: bool = False):
    """max(x, 0), elementwise.

    >>> import chainrule as cr
    >>> cr.nn.functional.relu(cr.tensor([-1.0, 2.0])).tolist()
    [0.0, 2.0]
    """
    return _in_place("relu", input, _relu) if inplace else _relu(input)


def silu(input, inplace: bool = False):
    """x * sigmoid(x), elementwise.

    >>> import chainrule as cr
    >>> cr.nn.functional.silu(cr.tensor([0.0])).tolist()
    [0.0]
    """
    return _in_place("silu", input, _silu) if inplace else _silu(input)


def leaky_relu(input, negative_slope: float = 0.01, inplace: bool = False):
    """x where x > 0, else negative_slope * x.

    >>> import chainrule as cr
    >>> cr.nn.functional.leaky_relu(cr.tensor([-2.0, 3.0]), 0.5).tolist()
    [-1.0, 3.0]
    """
    if inplace:
        return _in_place("leaky_relu", input, _leaky_relu, negative_slope)
    return _leaky_relu(input, negative_slope)


def elu(input, alpha: float = 1.0, inplace: bool = False):
    """x where x > 0, else alpha * (exp(x) - 1).

    >>> import chainrule as cr
    >>> cr.nn.functional.elu(cr.tensor([0.0, 2.0])).tolist()
    [0.0, 2.0]
    """
    return _in_place("elu", input, _elu, alpha) if inplace else _elu(input, alpha)


# ----- composites ------------------------------------------------------------------------
def _celu(x, alpha):
    return _elu(x / alpha) * alpha


def celu(input, alpha: float = 1.0, inplace: bool = False):
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1)); alpha must not be 0.

    >>> import chainrule as cr
    >>> cr.nn.functional.celu(cr.tensor([0.0, 2.0]), 2.0).tolist()
    [0.0, 2.0]
    """
    _require_floating("celu", input)
    if alpha == 0:
        raise OpError("celu: alpha cannot be 0 (CELU divides by it); give a non-zero alpha")
    return _in_place("celu", input, _celu, alpha) if inplace else _celu(input, alpha)


def _selu(x):
    return _elu(x, _SELU_ALPHA) * _SELU_SCALE


def selu(input, inplace: bool = False):
    """scale * elu(x, alpha), with SELU's fixed alpha ~ 1.6733 and scale ~ 1.0507.

    >>> import chainrule as cr
    >>> cr.nn.functional.selu(cr.tensor([0.0])).tolist()
    [0.0]
    """
    _require_floating("selu", input)
    return _in_place("selu", input, _selu) if inplace else _selu(input)


def softsign(input):
    """x / (1 + |x|).

    >>> import chainrule as cr
    >>> cr.nn.functional.softsign(cr.tensor([1.0, -3.0])).tolist()
    [0.5, -0.75]
    """
    return input / (input.abs() + 1)


def logsigmoid(input):
    """log(sigmoid(x)) = -softplus(-x), stable for any magnitude.

    >>> import chainrule as cr
    >>> round(cr.nn.functional.logsigmoid(cr.tensor(0.0)).item(), 4)
    -0.6931
    """
    _require_floating("logsigmoid", input)
    # No threshold: softplus's own form log(1 + exp(y)) is stable everywhere.
    return -softplus(-input, 1.0, math.inf)


def _hardsigmoid(x):
    d = data_of(x)
    return _where((d > -3) & (d < 3), x / 6 + 0.5, (d >= 3).astype(d.dtype))


def hardsigmoid(input, inplace: bool = False):
    """0 for x <= -3, 1 for x >= 3, else x / 6 + 1/2 (gradient 0 at +-3, as PyTorch's).

    >>> import chainrule as cr
    >>> cr.nn.functional.hardsigmoid(cr.tensor([-4.0, 0.0, 4.0])).tolist()
    [0.0, 0.5, 1.0]
    """
    _require_floating("hardsigmoid", input)
    return _in_place("hardsigmoid", input, _hardsigmoid) if inplace else _hardsigmoid(input)


def _hardswish(x):
    d = data_of(x)
    return _where(d >= 3, x, _where(d > -3, x * (x + 3) / 6, 0.0))


def hardswish(input, inplace: bool = False):
    """x * hardsigmoid(x): 0 for x <= -3, x for x >= 3, else x (x + 3) / 6.

    >>> import chainrule as cr
    >>> cr.nn.functional.hardswish(cr.tensor([-4.0, 1.0, 4.0])).tolist()
    [0.0, 0.6666666865348816, 4.0]
    """
    _require_floating("hardswish", input)
    return _in_place("hardswish", input, _hardswish) if inplace else _hardswish(input)


def _hardtanh(x, min_val, max_val):
    d = data_of(x)
    return _same_dtype(x, _where((d > min_val) & (d < max_val), x, d.clip(min_val, max_val)))


def hardtanh(input, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False):
    """x limited to [min_val, max_val]; the gradient is 1 strictly inside, else 0.

    >>> import chainrule as cr
    >>> cr.nn.functional.hardtanh(cr.tensor([-2.0, 0.5, 2.0])).tolist()
    [-1.0, 0.5, 1.0]
    """
    if min_val > max_val:
        raise OpError(f"hardtanh: min_val cannot be greater than max_val, got min_val="
                      f"{min_val} and max_val={max_val}")
    if inplace:
        return _in_place("hardtanh", input, _hardtanh, min_val, max_val)
    return _hardtanh(input, min_val, max_val)


def relu6(input, inplace: bool = False):
    """min(max(x, 0), 6): hardtanh(x, 0, 6).

    >>> import chainrule as cr
    >>> cr.nn.functional.relu6(cr.tensor([-1.0, 3.0, 7.0])).tolist()
    [0.0, 3.0, 6.0]
    """
    return hardtanh(input, 0.0, 6.0, inplace)


def _mish(x):
    return x * softplus(x).tanh()


def mish(input, inplace: bool = False):
    """x * tanh(softplus(x)).

    >>> import chainrule as cr
    >>> cr.nn.functional.mish(cr.tensor([0.0])).tolist()
    [0.0]
    """
    _require_floating("mish", input)
    return _in_place("mish", input, _mish) if inplace else _mish(input)


def prelu(input, weight):
    """x where x > 0, else weight * x; ``weight`` (learnable) holds one slope, or one per
    channel (dim 1 of the input).

    >>> import chainrule as cr
    >>> cr.nn.functional.prelu(cr.tensor([-2.0, 3.0]), cr.tensor([0.25])).tolist()
    [-0.5, 3.0]
    """
    x_shape, w_shape = tuple(shape_of(input)), tuple(shape_of(weight))
    if len(w_shape) > 1:
        raise OpError(f"prelu: expected `weight` to be a scalar or 1D tensor, but got shape "
                      f"{w_shape}")
    count = math.prod(w_shape)
    if count != 1:
        if not x_shape:
            raise OpError(f"prelu: a 0-d input takes one slope, got a weight of shape "
                          f"{w_shape}")
        channels = x_shape[1] if len(x_shape) > 1 else 1
        if channels != count:
            raise OpError(f"prelu: mismatch of parameter numbers and input channel size: "
                          f"the weight has {count} slopes and the input of shape {x_shape} "
                          f"has {channels} channel(s) (dim 1)")
    x_dtype, w_dtype = data_of(input).dtype, data_of(weight).dtype
    if x_dtype != w_dtype:
        raise OpError(f"prelu: type promoting is not supported: the input is {x_dtype} and "
                      f"the weight {w_dtype}; convert one to the other's dtype")
    _require_floating("prelu", input)
    if len(x_shape) != len(w_shape):  # one slope per channel, broadcast along dim 1
        weight = sh.reshape(weight, tuple(count if i == 1 else 1 for i in range(len(x_shape))))
    return _where(data_of(input) > 0, input, weight * input)


def _rrelu_train(x, lower, upper):
    d = data_of(x)
    slopes = _backend.generator().uniform(lower, upper, d.shape).astype(d.dtype)
    noise = (d > 0) + (d <= 0) * slopes  # 1 where x > 0, a random slope elsewhere
    return x * noise.astype(d.dtype)


def rrelu(input, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
          inplace: bool = False):
    """Randomized leaky ReLU: in training each x <= 0 is scaled by a slope drawn uniformly
    from [lower, upper]; otherwise the fixed slope (lower + upper) / 2.

    >>> import chainrule as cr
    >>> cr.nn.functional.rrelu(cr.tensor([-2.0, 3.0]), 0.25, 0.75).tolist()
    [-1.0, 3.0]
    """
    if lower > upper:
        raise OpError(f"rrelu: lower bound should be less than or equal to the upper bound, "
                      f"got lower={lower} and upper={upper}")
    _require_floating("rrelu", input)
    if training:
        fn, args = _rrelu_train, (lower, upper)
    else:
        fn, args = _leaky_relu, ((lower + upper) / 2,)
    return _in_place("rrelu", input, fn, *args) if inplace else fn(input, *args)


def glu(input, dim: int = -1):
    """a * sigmoid(b), ``a`` and ``b`` the two halves of ``input`` along ``dim``.

    >>> import chainrule as cr
    >>> cr.nn.functional.glu(cr.tensor([2.0, 0.0])).tolist()
    [1.0]
    """
    shape = tuple(shape_of(input))
    if not shape:
        raise OpError("glu: does not support scalars (0-d tensors) because halving size must "
                      "be even")
    axis = normalize_axis("glu", dim, len(shape))
    if shape[axis] % 2:
        raise OpError(f"glu: halving dimension must be even, but dimension {axis} of the input "
                      f"of shape {shape} is size {shape[axis]}")
    _require_floating("glu", input)
    a, b = sh.chunk(input, 2, axis)
    return a * b.sigmoid()


def _threshold(x, threshold, value):
    return _same_dtype(x, _where(data_of(x) > threshold, x, value))


def threshold(input, threshold: float, value: float, inplace: bool = False):
    """x where x > threshold, else ``value``.

    >>> import chainrule as cr
    >>> cr.nn.functional.threshold(cr.tensor([0.5, 2.0]), 1.0, -1.0).tolist()
    [-1.0, 2.0]
    """
    if inplace:
        return _in_place("threshold", input, _threshold, threshold, value)
    return _threshold(input, threshold, value)


def tanhshrink(input):
    """x - tanh(x).

    >>> import chainrule as cr
    >>> cr.nn.functional.tanhshrink(cr.tensor([0.0])).tolist()
    [0.0]
    """
    return input - tanh(input)


def _check_lambd(op: str, lambd) -> None:
    if not lambd >= 0:  # also refuses NaN
        raise OpError(f"{op}: lambd must be non-negative, but found {lambd}")


def softshrink(input, lambd: float = 0.5):
    """x - lambd above lambd, x + lambd below -lambd, else 0 (lambd >= 0).

    >>> import chainrule as cr
    >>> cr.nn.functional.softshrink(cr.tensor([-2.0, 0.25, 2.0])).tolist()
    [-1.5, 0.0, 1.5]
    """
    _check_lambd("softshrink", lambd)
    _require_floating("softshrink", input)
    d = data_of(input)
    return _where(d > lambd, input - lambd, _where(d < -lambd, input + lambd, 0.0))


def hardshrink(input, lambd: float = 0.5):
    """x where |x| > lambd, else 0.

    >>> import chainrule as cr
    >>> cr.nn.functional.hardshrink(cr.tensor([-2.0, 0.25, 2.0])).tolist()
    [-2.0, 0.0, 2.0]
    """
    _require_floating("hardshrink", input)
    d = data_of(input)
    return _where((d > lambd) | (d < -lambd), input, 0.0)


# ----- along a dim ---------------------------------------------------------------------------
def softmin(input, dim: Optional[int] = None, _stacklevel: int = 3, dtype=None):
    """softmax(-x) along ``dim`` (after a cast to ``dtype``, when given).

    >>> import chainrule as cr
    >>> cr.nn.functional.softmin(cr.tensor([1.0, 1.0]), dim=0).tolist()
    [0.5, 0.5]
    """
    if dim is None:
        dim = implicit_dim("softmin", len(shape_of(input)), _stacklevel)
    if dtype is not None:
        input = sh.cast(input, dtype)
    axis = softmax_axis("softmin", input, dim)
    return apply(softmax_p, (-input,), {"axis": axis})


def __dir__():  # dir() and tab completion show what the module exports, not its helpers
    return __all__
