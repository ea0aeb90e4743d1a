"""The one place that gives Tensor its operators and methods, all taken from ``ops``.
Names and signatures follow PyTorch; NumPy spellings are accepted too."""
from __future__ import annotations

import numpy as np

from . import _backend
from . import numpy as cnp
from .autograd.primitives import apply, binary_operator as _binary, unary_operator as _unary
from .autograd.tensor import Tensor, make_tensor
from .ops import elementwise as ew
from .ops import index as ix
from .ops import inplace as ip
from .ops import linalg, reduce
from .ops import shape as sh
from .ops._util import data_of


def _reflected(prim):
    return _binary(prim, reflected=True)


def _compare(ufunc):
    # Comparisons and logic return bool tensors and never carry gradient (seed 001).
    def op(self, other=None):
        if other is None:
            return make_tensor(np.asarray(ufunc(self._data)))
        return make_tensor(np.asarray(ufunc(self._data, data_of(other))))
    return op


def _inplace_binary(prim, ufunc, opname):
    def op(self, other):
        return ip.inplace(self, prim, (other,), None, opname, ufunc)
    return op


def _inplace_unary(prim, opname):
    def op(self):
        return ip.inplace(self, prim, (), None, opname)
    return op


def _add_(self, other, alpha=1):
    if alpha != 1:
        other = other * alpha
    return ip.inplace(self, ew.add, (other,), None, "add_", np.add)


def _sub_(self, other, alpha=1):
    if alpha != 1:
        other = other * alpha
    return ip.inplace(self, ew.sub, (other,), None, "sub_", np.subtract)


_plain_add, _plain_sub = _binary(ew.add), _binary(ew.sub)


def _add(self, other, alpha=1):
    return _plain_add(self, other if alpha == 1 else other * alpha)


def _sub(self, other, alpha=1):
    return _plain_sub(self, other if alpha == 1 else other * alpha)


def _fill_(self, value):
    ip.setitem(self, Ellipsis, value, "fill_")
    return self


def _zero_(self):
    ip.setitem(self, Ellipsis, 0, "zero_")
    return self


def _copy_(self, src):
    ip.setitem(self, Ellipsis, src, "copy_")
    return self


def _clamp_(self, min=None, max=None):
    return ip.inplace(self, ew.clip, (min, max), None, "clamp_")


def _masked_fill_(self, mask, value):
    ip.setitem(self, data_of(mask), value, "masked_fill_")
    return self


def _setitem(self, index, value):
    ip.setitem(self, index, value, "setitem")


def _iter(self):
    if self._data.ndim == 0:
        raise TypeError("iteration over a 0-d tensor")
    return (ix.getitem(self, i) for i in range(self._data.shape[0]))


def _to(self, *args, dtype=None, device=None, copy=False):
    for a in args:
        if isinstance(a, str) and not a.startswith(("float", "int", "uint", "bool")):
            device = a
        elif isinstance(a, Tensor):
            dtype = a.dtype
        else:
            dtype = a
    _backend.normalize_device(device)
    out = self if dtype is None else sh.cast(self, dtype)
    return sh.clone(out) if copy and out is self else out


def _type_converter(dtype):
    def op(self):
        return sh.cast(self, dtype)
    return op


def _expand_as(self, other):
    return sh.expand(self, other.shape)


def _where(self, condition, other):
    return apply(ew.where_, (data_of(condition), self, other))


def _contiguous(self):
    return self if self._data.flags.c_contiguous else sh.clone(self)


def _all(self, dim=None, keepdim=False):
    return make_tensor(np.asarray(np.all(self._data, axis=dim, keepdims=keepdim)))


def _any(self, dim=None, keepdim=False):
    return make_tensor(np.asarray(np.any(self._data, axis=dim, keepdims=keepdim)))


_METHODS = {
    # operators
    "__add__": _binary(ew.add), "__radd__": _reflected(ew.add),
    "__sub__": _binary(ew.sub), "__rsub__": _reflected(ew.sub),
    "__mul__": _binary(ew.mul), "__rmul__": _reflected(ew.mul),
    "__truediv__": _binary(ew.div), "__rtruediv__": _reflected(ew.div),
    "__pow__": _binary(ew.pow_), "__rpow__": _reflected(ew.pow_),
    "__floordiv__": _binary(ew.floor_divide), "__rfloordiv__": _reflected(ew.floor_divide),
    "__mod__": _binary(ew.remainder), "__rmod__": _reflected(ew.remainder),
    "__matmul__": lambda self, other: linalg.matmul(self, other),
    "__rmatmul__": lambda self, other: linalg.matmul(other, self),
    "__neg__": _unary(ew.neg), "__pos__": _unary(ew.positive), "__abs__": _unary(ew.abs_),
    "__iadd__": _inplace_binary(ew.add, np.add, "add_"),
    "__isub__": _inplace_binary(ew.sub, np.subtract, "sub_"),
    "__imul__": _inplace_binary(ew.mul, np.multiply, "mul_"),
    "__itruediv__": _inplace_binary(ew.div, np.true_divide, "div_"),
    "__ipow__": _inplace_binary(ew.pow_, np.power, "pow_"),
    "__eq__": _compare(np.equal), "__ne__": _compare(np.not_equal),
    "__lt__": _compare(np.less), "__le__": _compare(np.less_equal),
    "__gt__": _compare(np.greater), "__ge__": _compare(np.greater_equal),
    "__and__": _compare(np.logical_and), "__or__": _compare(np.logical_or),
    "__xor__": _compare(np.logical_xor), "__invert__": _compare(np.logical_not),
    "__rand__": _compare(np.logical_and), "__ror__": _compare(np.logical_or),
    "__getitem__": ix.getitem, "__setitem__": _setitem, "__iter__": _iter,
    # arithmetic by name
    "add": _add, "sub": _sub, "subtract": _sub, "mul": _binary(ew.mul),
    "multiply": _binary(ew.mul), "div": _binary(ew.div), "divide": _binary(ew.div),
    "true_divide": _binary(ew.div), "pow": _binary(ew.pow_),
    "floor_divide": _binary(ew.floor_divide), "remainder": _binary(ew.remainder),
    "fmod": _binary(ew.fmod), "matmul": linalg.matmul, "mm": linalg.matmul,
    "maximum": _binary(ew.maximum), "minimum": _binary(ew.minimum),
    "atan2": _binary(ew.arctan2), "arctan2": _binary(ew.arctan2),
    "logaddexp": _binary(ew.logaddexp), "hypot": _binary(ew.hypot), "where": _where,
    "clamp": ew.clamp, "clip": ew.clamp,
    "clamp_min": lambda self, min: ew.clamp(self, min=min),
    "clamp_max": lambda self, max: ew.clamp(self, max=max),
    "round": ew.round,
    # comparisons by name
    "eq": _compare(np.equal), "ne": _compare(np.not_equal), "lt": _compare(np.less),
    "le": _compare(np.less_equal), "gt": _compare(np.greater), "ge": _compare(np.greater_equal),
    "logical_and": _compare(np.logical_and), "logical_or": _compare(np.logical_or),
    "logical_xor": _compare(np.logical_xor), "logical_not": _compare(np.logical_not),
    "isnan": _compare(np.isnan), "isinf": _compare(np.isinf), "isfinite": _compare(np.isfinite),
    "all": _all, "any": _any,
    # reductions
    "sum": reduce.sum, "mean": reduce.mean, "var": reduce.var, "std": reduce.std,
    "prod": reduce.prod, "max": reduce.max, "min": reduce.min, "amax": reduce.amax,
    "amin": reduce.amin, "argmax": reduce.argmax, "argmin": reduce.argmin,
    "logsumexp": reduce.logsumexp, "cumsum": reduce.cumsum, "cumprod": reduce.cumprod,
    "norm": reduce.norm,
    # shape
    "reshape": sh.reshape, "view": sh.reshape, "flatten": sh.flatten, "ravel": sh.ravel,
    "squeeze": sh.squeeze, "unsqueeze": sh.unsqueeze, "expand_dims": sh.unsqueeze,
    "expand": sh.expand, "expand_as": _expand_as, "broadcast_to": sh.broadcast_to,
    "view_as": lambda self, other: sh.reshape(self, other.shape),
    "reshape_as": lambda self, other: sh.reshape(self, other.shape),
    "transpose": sh.transpose, "permute": sh.permute, "swapaxes": sh.swapaxes,
    "swapdims": sh.swapaxes, "moveaxis": sh.moveaxis, "movedim": sh.moveaxis,
    "repeat": lambda self, *reps: sh.tile(self, reps[0] if len(reps) == 1 and
                                          not isinstance(reps[0], int) else reps),
    "tile": sh.tile, "flip": sh.flip, "roll": sh.roll, "split": sh.split, "chunk": sh.chunk,
    "unbind": lambda self, dim=0, *, axis=None: tuple(
        sh.squeeze(p, dim if axis is None else axis)
        for p in sh.split(self, 1, dim if axis is None else axis)),
    # indexing
    "gather": ix.gather, "index_select": ix.index_select, "take_along_dim": ix.take_along_dim,
    "masked_fill": ix.masked_fill,
    # conversions
    "astype": lambda self, dtype: sh.cast(self, dtype), "to": _to,
    "float": _type_converter(np.float32), "double": _type_converter(np.float64),
    "half": _type_converter(np.float16), "long": _type_converter(np.int64),
    "int": _type_converter(np.int32), "bool": _type_converter(np.bool_),
    "clone": sh.clone, "contiguous": _contiguous, "cpu": lambda self: self,
    # in-place
    "add_": _add_, "sub_": _sub_,
    "mul_": _inplace_binary(ew.mul, np.multiply, "mul_"),
    "div_": _inplace_binary(ew.div, np.true_divide, "div_"),
    "pow_": _inplace_binary(ew.pow_, np.power, "pow_"),
    "clamp_": _clamp_, "clip_": _clamp_, "zero_": _zero_, "fill_": _fill_, "copy_": _copy_,
    "masked_fill_": _masked_fill_,
    "neg_": _inplace_unary(ew.neg, "neg_"), "exp_": _inplace_unary(ew.exp, "exp_"),
    "relu_": _inplace_unary(ew.relu, "relu_"), "sigmoid_": _inplace_unary(ew.sigmoid, "sigmoid_"),
    "tanh_": _inplace_unary(ew.tanh, "tanh_"),
}

_UNARY_METHODS = {
    "neg": ew.neg, "negative": ew.neg, "abs": ew.abs_, "exp": ew.exp, "exp2": ew.exp2,
    "expm1": ew.expm1, "log": ew.log, "log1p": ew.log1p, "log2": ew.log2, "log10": ew.log10,
    "sqrt": ew.sqrt, "rsqrt": ew.rsqrt, "square": ew.square, "reciprocal": ew.reciprocal,
    "sin": ew.sin, "cos": ew.cos, "tan": ew.tan, "arcsin": ew.arcsin, "asin": ew.arcsin,
    "arccos": ew.arccos, "acos": ew.arccos, "arctan": ew.arctan, "atan": ew.arctan,
    "sinh": ew.sinh, "cosh": ew.cosh, "tanh": ew.tanh, "arcsinh": ew.arcsinh,
    "asinh": ew.arcsinh, "arccosh": ew.arccosh, "acosh": ew.arccosh, "arctanh": ew.arctanh,
    "atanh": ew.arctanh, "sigmoid": ew.sigmoid, "relu": ew.relu, "silu": ew.silu,
    "erf": ew.erf, "sign": ew.sign, "conj": ew.conj, "floor": ew.floor, "ceil": ew.ceil, "trunc": ew.trunc,
}


def _leaky_relu(self, negative_slope=0.01):
    return apply(ew.leaky_relu, (self,), {"negative_slope": negative_slope})


def _elu(self, alpha=1.0):
    return apply(ew.elu, (self,), {"alpha": alpha})


def _gelu(self, approximate="none"):
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return apply(ew.gelu, (self,), {"approximate": approximate})


def _softplus(self, beta=1.0, threshold=20.0):
    return apply(ew.softplus, (self,), {"beta": beta, "threshold": threshold})


_METHODS.update({"leaky_relu": _leaky_relu, "elu": _elu, "gelu": _gelu,
                 "softplus": _softplus})


def _install() -> None:
    for name, fn in _METHODS.items():
        setattr(Tensor, name, fn)
    for name, prim in _UNARY_METHODS.items():
        setattr(Tensor, name, _unary(prim))
    Tensor.__array_ufunc__ = cnp.array_ufunc
    Tensor.__array_function__ = cnp.array_function
    Tensor.real = property(lambda self: apply(ew.real, (self,)))
    Tensor.imag = property(lambda self: apply(ew.imag, (self,)))
    Tensor.T = property(lambda self: sh.permute(self))
    Tensor.mT = property(lambda self: sh.swapaxes(self, -1, -2))


_install()
