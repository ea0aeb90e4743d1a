"""Front-ends with PyTorch's semantics over the shared primitives: comparisons, bitwise and
logical ops, reductions with PyTorch's dtypes, clamp, round, conversions and in-place
methods. The primitives keep NumPy's semantics for ``chainrule.numpy``; these are what the
Tensor methods and ``chainrule.*`` functions run. Which name each one gets is declared in
``chainrule.optable``."""
from __future__ import annotations

import functools

import numpy as np

from .. import _backend
from ..autograd.fastpath import binary_operator as _binary
from ..autograd.primitives import apply, describe
from ..autograd.promotion import promote
from ..autograd.tensor import Tensor, make_tensor
from ..errors import IndexOutOfRangeError, OpError, OpTypeError
from . import elementwise as ew
from . import index as ix
from . import inplace as ip
from . import reduce
from . import shape as sh
from ._util import check_size, data_of, normalize_axes, normalize_axis, pick, shape_arg

__all__ = ["eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_xor",
           "logical_not", "isnan", "isinf", "isfinite"]

_ndarray = np.ndarray


def _reflected(prim):
    return _binary(prim, reflected=True)


# ----- comparisons, logic and bitwise ops: no gradient (seed 001) ------------------------------
def _numpy_class(x, y=None):
    """The class of an ArrayBox operand (plain NumPy code under a transform, which keeps
    NumPy's semantics), else None."""
    for v in (x, y):
        if isinstance(v, Tensor) and v._propagates:
            return v.__class__
    return None


def _bool_result(ans, cls=None) -> Tensor:
    out = make_tensor(np.asarray(ans))
    if cls is not None:
        out.__class__ = cls
    return out


def _broadcast_error(name: str, x, y, exc) -> OpError:
    return OpError(f"{name}: cannot compare ({describe((x, y))}): the shapes do not "
                   f"broadcast ({exc}); make them match, e.g. with unsqueeze()")


def _compare(ufunc, name: str):
    """A comparison (``<``, ``eq``, ...): a bool tensor. Operands of different dtypes are
    compared in their promoted dtype, as PyTorch compares them (an integer tensor with a
    float in the default float dtype)."""
    def op(self, other):
        a, b = self._data, data_of(other)
        cls = _numpy_class(self, other)
        if cls is None:
            if b.__class__ in _backend.NUMPY_ARRAYS:
                if a.dtype is not b.dtype:
                    a, b = promote(name, a, b)
            elif b.__class__ is float or b.__class__ is complex or isinstance(b, np.generic):
                if a.dtype.kind not in "fc":
                    a, b = promote(name, a, b)
            elif b.__class__ is int and a.dtype.kind in "iu":
                a, b = promote(name, a, b)  # out of the dtype's range: wrapped, as in PyTorch
        try:
            return _bool_result(ufunc(a, b), cls)
        except ValueError as exc:
            raise _broadcast_error(name, self, other, exc) from None
        except TypeError:
            if getattr(type(other), "__array_ufunc__", False) is None:
                # NumPy's protocol: such an object (pytest.approx) opts out of array ops
                # and wants its reflected method asked, as ndarray and PyTorch's tensors do.
                return NotImplemented
            raise
    op.__name__ = name
    op.__doc__ = f"Elementwise ``{name}``: a bool tensor (no gradient)."
    return op


def _logical(ufunc, name: str):
    """logical_and/or/xor: the truth values, a bool tensor, whatever the dtypes."""
    def op(self, other):
        try:
            return _bool_result(ufunc(self._data, data_of(other)), _numpy_class(self, other))
        except ValueError as exc:
            raise _broadcast_error(name, self, other, exc) from None
    op.__name__ = name
    op.__doc__ = f"Elementwise ``{name}`` of the truth values: a bool tensor (no gradient)."
    return op


def _predicate(ufunc, name: str):
    def op(self):
        return _bool_result(ufunc(self._data), _numpy_class(self))
    op.__name__ = name
    op.__doc__ = f"Elementwise ``{name}``: a bool tensor (no gradient)."
    return op


def _shift(ufunc, left: bool):
    """A shift as PyTorch defines it for every count: shifting by a negative count or by the
    width or more gives 0 (or -1 for a negative number shifted right); NumPy leaves those
    to the processor."""
    def shift(a, count):
        out = ufunc(a, count)
        bits = out.dtype.itemsize * 8
        count = np.asarray(count)
        wide = (count < 0) | (count >= bits)
        if wide.any():
            fill = 0 if left else np.where(np.asarray(a) < 0, -1, 0)
            out = np.where(wide, fill, out).astype(out.dtype)
        return out
    return shift


def _bitwise_compute(fn, name: str, x, y) -> Tensor:
    """``fn`` on integer or bool operands promoted as PyTorch promotes them; bitwise on
    integers, logical on bools."""
    a, b = data_of(x), data_of(y)
    cls = _numpy_class(x, y)
    if cls is None:
        a, b = promote(name, a, b)
        kinds = {np.asarray(v).dtype.kind for v in (a, b)}
        if not kinds <= set("biu"):
            raise OpTypeError(f"{name}: only integer and bool tensors are supported, got "
                              f"({describe((x, y))}); compare floats (x > 0) for a mask, or "
                              f"convert with .long()")
        if kinds == {"b"} and "shift" in name:
            raise OpTypeError(f"{name}: not implemented for bool tensors, as in PyTorch; "
                              f"convert with .long() first")
    try:
        ans = fn(a, b)
    except ValueError as exc:
        raise OpError(f"{name}: cannot apply to ({describe((x, y))}): the shapes do not "
                      f"broadcast ({exc})") from None
    out = make_tensor(np.asarray(ans))
    if cls is not None:
        out.__class__ = cls
    return out


def _bitwise(fn, name: str, reflected: bool = False):
    def op(self, other):
        return _bitwise_compute(fn, name, other, self) if reflected else \
            _bitwise_compute(fn, name, self, other)
    op.__name__ = name
    op.__doc__ = (f"Elementwise ``{name}``: bitwise on integer tensors, logical on bool "
                  f"tensors, in the promoted dtype; float tensors raise OpTypeError.")
    return op


def _bitwise_not(self):
    """Elementwise ``~``: bitwise on integer tensors, logical on bool tensors; float tensors
    raise OpTypeError."""
    data = self._data
    cls = _numpy_class(self)
    if cls is None and data.dtype.kind not in "biu":
        raise OpTypeError(f"bitwise_not: ~ is only implemented on integer and bool tensors, "
                          f"got {data.dtype}; use logical_not() for the truth values")
    return _bool_result(np.invert(data), cls)


def _inplace_bitwise(fn, name: str):
    def op(self, other):
        out = fn(self, other)
        if not np.can_cast(out.dtype, self.dtype, "same_kind"):
            raise OpError(f"{name}: the result type {out.dtype} can't be cast to the dtype "
                          f"{self.dtype} of the in-place target; use the out-of-place op")
        ip.setitem(self, Ellipsis, out, name)
        return self
    op.__name__ = name
    op.__doc__ = f"In-place ``{name.rstrip('_')}``; returns self."
    return op


_bitwise_and = _bitwise(np.bitwise_and, "bitwise_and")
_bitwise_or = _bitwise(np.bitwise_or, "bitwise_or")
_bitwise_xor = _bitwise(np.bitwise_xor, "bitwise_xor")
_left_shift = _bitwise(_shift(np.left_shift, True), "bitwise_left_shift")
_right_shift = _bitwise(_shift(np.right_shift, False), "bitwise_right_shift")


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
    return ip.inplace(self, ew.clamp_p, (min, max), None, "clamp_")


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
    return apply(ew.where_p, (data_of(condition), self, other))


def _contiguous(self):
    return self if self._data.flags.c_contiguous else sh.clone(self)


# ----- reductions with PyTorch's dtypes ---------------------------------------------------
# The reduction ops are shared with chainrule.numpy, which keeps NumPy's dtypes; these are
# the Tensor methods' (and chainrule.*'s) front-ends.
def _dtype_of(x):
    return np.result_type(data_of(x))


def _integral(x) -> bool:
    return _dtype_of(x).kind in "biu"


def _require_inexact(op: str, x) -> None:
    """PyTorch's mean, var, std and norm refuse integer and bool tensors."""
    if _integral(x):
        raise OpTypeError(f"{op}: expected a floating point or complex tensor, got "
                          f"{_dtype_of(x)}; convert with .float() first (or pass dtype=)")


def _as_accumulator(x):
    """Integer and bool tensors sum and multiply in int64 in PyTorch (NumPy: uint64 for
    unsigned ones)."""
    return sh.cast(x, np.int64) if _integral(x) and _dtype_of(x) != np.int64 else x


def _sum(x, dim=None, keepdim=False, *, axis=None, keepdims=None, dtype=None):
    """Sum over ``dim`` (an int, a tuple, or None for all); integer and bool tensors sum in
    int64, as in PyTorch.

    >>> from chainrule import tensor
    >>> tensor([[1., 2.], [3., 4.]]).sum(dim=0)
    tensor([4., 6.])
    """
    return reduce.sum(x if dtype is not None else _as_accumulator(x), dim, keepdim,
                      axis=axis, keepdims=keepdims, dtype=dtype)


def _prod(x, dim=None, keepdim=False, *, axis=None, keepdims=None, dtype=None):
    """Product over ``dim``; integer and bool tensors multiply in int64, as in PyTorch. The
    gradient is exact where the input holds zeros."""
    x = sh.cast(x, dtype) if dtype is not None else _as_accumulator(x)
    return reduce.prod(x, dim, keepdim, axis=axis, keepdims=keepdims)


def _mean(x, dim=None, keepdim=False, *, axis=None, keepdims=None, dtype=None):
    """Arithmetic mean over ``dim``; integer tensors need ``dtype=`` (as in PyTorch)."""
    if dtype is None:
        _require_inexact("mean", x)
    return reduce.mean(x, dim, keepdim, axis=axis, keepdims=keepdims, dtype=dtype)


@functools.wraps(reduce.var)
def _var(x, *args, **kwargs):
    _require_inexact("var", x)
    return reduce.var(x, *args, **kwargs)


@functools.wraps(reduce.std)
def _std(x, *args, **kwargs):
    _require_inexact("std", x)
    return reduce.std(x, *args, **kwargs)


@functools.wraps(reduce.norm)
def _norm(x, *args, **kwargs):
    _require_inexact("norm", x)
    return reduce.norm(x, *args, **kwargs)


def _logsumexp(x, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """log(sum(exp(x))) over ``dim``, computed without overflow; integer and bool tensors
    give the default float dtype, as in PyTorch."""
    if _integral(x):
        x = sh.cast(x, _backend.get_default_dtype())
    return reduce.logsumexp(x, dim, keepdim, axis=axis, keepdims=keepdims)


def _check_nonempty(op: str, x, dim) -> None:
    """PyTorch's maxima, minima and their indices refuse to reduce a dim of size 0 (NumPy
    raises ValueError, which PyTorch code would not catch)."""
    data = data_of(x)
    if np.size(data) or isinstance(dim, (Tensor, np.ndarray)):
        return
    shape = np.shape(data)
    if dim is None:
        raise IndexOutOfRangeError(f"{op}: expected a dim to be given for an empty tensor "
                                   f"(shape {shape}): there is no {op} of no values")
    for d in dim if isinstance(dim, (tuple, list)) else (dim,):
        d = normalize_axis(op, d, len(shape))
        if shape[d] == 0:
            raise IndexOutOfRangeError(f"{op}: expected reduction dim {d} to have non-zero "
                                       f"size (shape {shape})")


def _extreme(fn, op: str, bool_ok: bool = True):
    @functools.wraps(fn)
    def reduction(x, dim=None, *args, axis=None, **kwargs):
        if not bool_ok and _dtype_of(x) == np.bool_:
            raise OpTypeError(f"{op}: bool input is not supported, as in PyTorch; convert "
                              f"with .long() first")
        _check_nonempty(op, x, dim if dim is not None else axis)
        return fn(x, dim, *args, axis=axis, **kwargs)
    return reduction


_amax, _amin = _extreme(reduce.amax, "amax"), _extreme(reduce.amin, "amin")
_max, _min = _extreme(reduce.max, "max"), _extreme(reduce.min, "min")
_argmax = _extreme(reduce.argmax, "argmax", bool_ok=False)
_argmin = _extreme(reduce.argmin, "argmin", bool_ok=False)


def _round(x, decimals: int = 0):
    """Round to ``decimals`` places, halves to even; integer tensors stay as they are and
    bool tensors raise, as in PyTorch."""
    if _dtype_of(x) == np.bool_:
        raise OpTypeError("round: not implemented for bool tensors, as in PyTorch; convert "
                          "with .float() first")
    return ew.round(x, decimals)


def _clamp(x, min=None, max=None):
    """Limit ``x`` to [min, max]; the bounds may be numbers or tensors (gradient flows to
    whichever value is selected). The result has PyTorch's promoted dtype (an integer
    tensor clamped to 0.5 is the default float dtype).

    >>> from chainrule import tensor
    >>> tensor([-2, 1, 3]).clamp(0, 1.5)
    tensor([0.0, 1.0, 1.5])
    """
    if min is not None or max is not None:
        dtype = _backend.result_type(*(data_of(v) for v in (x, min, max) if v is not None))
        if dtype == np.bool_ and not all(isinstance(v, Tensor) for v in (min, max)
                                         if v is not None):
            # PyTorch clamps bool tensors by bool tensors, but has no kernel for numbers
            raise OpTypeError("clamp: a bool tensor with number bounds is not implemented, "
                              "as in PyTorch; convert with .long() first")
        x, min, max = (v if not isinstance(v, Tensor) or v.dtype == dtype else
                       sh.cast(v, dtype) for v in (x, min, max))
        if not isinstance(x, Tensor) or x.dtype != dtype:
            x = sh.cast(x, dtype)
    return ew.clamp(x, min, max)


def _scan(fn, op):
    def scan(x, dim=None, *, axis=None, dtype=None):
        x = sh.cast(x, dtype) if dtype is not None else _as_accumulator(x)
        if np.ndim(data_of(x)) == 0:  # a 0-d tensor stays 0-d (NumPy would give shape (1,))
            given = dim if dim is not None else axis
            if given is not None:
                normalize_axis(op, given, 0)
            out = sh.reshape(fn(x), ())
        else:
            out = fn(x, dim, axis=axis)
        # NumPy accumulates small integers in int64; an explicit dtype is the result's.
        return out if dtype is None or out.dtype == np.dtype(dtype) else sh.cast(out, dtype)
    scan.__name__ = op
    scan.__doc__ = (f"Running {op[3:]} along ``dim`` (all elements, flattened, when none is "
                    f"given); integer and bool tensors accumulate in int64 and a 0-d tensor "
                    f"stays 0-d, as in PyTorch.")
    return scan


_cumsum, _cumprod = _scan(reduce.cumsum, "cumsum"), _scan(reduce.cumprod, "cumprod")


def _truth_reduction(fn, op):
    def reduction(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        data = data_of(self)
        dim = pick(op, dim, axis, "axis", "dim")
        keepdim = bool(pick(op, keepdim, keepdims, "keepdims", "keepdim"))
        axes = normalize_axes(op, dim, np.ndim(data))
        if axes and not np.ndim(data):
            axes = ()  # dim 0 or -1 of a 0-d tensor: its own truth value
        return make_tensor(np.asarray(fn(data, axis=axes, keepdims=keepdim)))
    reduction.__name__ = op
    reduction.__doc__ = (f"Whether {'all' if op == 'all' else 'any'} elements along ``dim`` "
                         f"(all of them when None) are true: a bool tensor.")
    return reduction


_all, _any = _truth_reduction(np.all, "all"), _truth_reduction(np.any, "any")




# ----- named front-ends the op table refers to -------------------------------------------
eq, ne = _compare(np.equal, "eq"), _compare(np.not_equal, "ne")
lt, le = _compare(np.less, "lt"), _compare(np.less_equal, "le")
gt, ge = _compare(np.greater, "gt"), _compare(np.greater_equal, "ge")
logical_and = _logical(np.logical_and, "logical_and")
logical_or = _logical(np.logical_or, "logical_or")
logical_xor = _logical(np.logical_xor, "logical_xor")
logical_not = _predicate(np.logical_not, "logical_not")
isnan, isinf = _predicate(np.isnan, "isnan"), _predicate(np.isinf, "isinf")
isfinite = _predicate(np.isfinite, "isfinite")


def _require_floating(op: str, x) -> None:
    """PyTorch's gelu, silu, softplus, elu and leaky_relu (and softmax, log_softmax) have no
    integer or bool kernels: raise as it does (its NotImplementedError is a RuntimeError)."""
    if _integral(x):
        raise OpTypeError(f"{op}: not implemented for {_dtype_of(x)} tensors (PyTorch has "
                          f"no integer or bool kernel); convert with .float() first")


def _silu(self):
    """x * sigmoid(x), elementwise; floating point tensors only."""
    _require_floating("silu", self)
    return apply(ew.silu, (self,))


def _leaky_relu(self, negative_slope=0.01):
    """max(x, 0) + negative_slope * min(x, 0), elementwise."""
    _require_floating("leaky_relu", self)
    return apply(ew.leaky_relu, (self,), {"negative_slope": negative_slope})


def _elu(self, alpha=1.0):
    """x where x > 0, else alpha * (exp(x) - 1), elementwise."""
    _require_floating("elu", self)
    return apply(ew.elu, (self,), {"alpha": alpha})


def _gelu(self, approximate="none"):
    """x * Phi(x), Phi the standard normal CDF (``approximate="tanh"``: its tanh form)."""
    _require_floating("gelu", self)
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return apply(ew.gelu, (self,), {"approximate": approximate})


def _softplus(self, beta=1.0, threshold=20.0):
    """log(1 + exp(beta * x)) / beta, and x itself where beta * x > threshold."""
    _require_floating("softplus", self)
    return apply(ew.softplus, (self,), {"beta": beta, "threshold": threshold})


def _view_as(self, other):
    """``self`` viewed with ``other``'s shape."""
    return sh.reshape(self, other.shape)


def _clamp_min(self, min):
    """``clamp(min=min)``."""
    return _clamp(self, min=min)


def _clamp_max(self, max):
    """``clamp(max=max)``."""
    return _clamp(self, max=max)


def _astype(self, dtype):
    """A copy converted to ``dtype`` (NumPy's spelling of ``to(dtype)``)."""
    return sh.cast(self, dtype)


def _cpu(self):
    """The tensor itself: it already lives on the CPU."""
    return self


def _free_where(condition, input=None, other=None):
    """``input`` where ``condition`` holds, else ``other``; gradients flow to both. With the
    condition alone, the indices where it holds (a tuple of index tensors, no gradient)."""
    if input is None and other is None:
        return tuple(make_tensor(i) for i in np.nonzero(data_of(condition)))
    return apply(ew.where_p, (data_of(condition), input, other))


def _real(self):
    """The real part (a view for complex tensors)."""
    return apply(ew.real, (self,))


def _imag(self):
    """The imaginary part (a view for complex tensors)."""
    return apply(ew.imag, (self,))


def _T(self):
    """The dimensions reversed."""
    return sh.permute(self)


def _mT(self):
    """The last two dimensions swapped (a batch of matrices transposed)."""
    return sh.swapaxes(self, -1, -2)


# ----- creation from a tensor, dtype conversion by another tensor or by name ---------------
def _new_dtype(self, dtype):
    return np.dtype(dtype) if dtype is not None else self._data.dtype


def _finish_new(self, data, requires_grad: bool, device) -> Tensor:
    _backend.normalize_device(device)
    out = make_tensor(data)
    return out.requires_grad_(True) if requires_grad else out


def _new_filled(fill, name: str):
    def op(self, *size, dtype=None, device=None, requires_grad=False):
        if not size:
            raise OpTypeError(f"{name}: missing the size; give {name}(2, 3) or {name}((2, 3))")
        shape = shape_arg(name, size)
        check_size(name, shape)
        return _finish_new(self, np.full(shape, fill, _new_dtype(self, dtype)), requires_grad,
                           device)
    op.__name__ = name
    op.__doc__ = (f"A new tensor of {'zeros' if fill == 0 else 'ones'} of ``size``, in this "
                  f"tensor's dtype unless ``dtype`` is given.\n\n"
                  f">>> from chainrule import tensor\n"
                  f">>> tensor([1, 2]).{name}(2).tolist()\n[{fill}, {fill}]")
    return op


_new_zeros, _new_ones = _new_filled(0, "new_zeros"), _new_filled(1, "new_ones")


def _new_empty(self, *size, dtype=None, device=None, requires_grad=False):
    """A new uninitialized tensor of ``size``, in this tensor's dtype unless ``dtype`` is
    given."""
    if not size:
        raise OpTypeError("new_empty: missing the size; give new_empty(2, 3)")
    shape = shape_arg("new_empty", size)
    check_size("new_empty", shape)
    return _finish_new(self, np.empty(shape, _new_dtype(self, dtype)), requires_grad, device)


def _new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
    """A new tensor of ``size`` filled with ``fill_value``, in this tensor's dtype unless
    ``dtype`` is given (whatever the fill value's type, as in PyTorch).

    >>> from chainrule import tensor
    >>> tensor([1, 2]).new_full((2,), 1.5).tolist()
    [1, 1]
    """
    shape = shape_arg("new_full", (size,))
    check_size("new_full", shape)
    return _finish_new(self, np.full(shape, data_of(fill_value), _new_dtype(self, dtype)),
                       requires_grad, device)


def _einsum(equation, *operands):
    """Einstein summation as ``torch.einsum``: operands as arguments or as one list, the
    sublist form, spaces allowed in the equation; differentiable in every operand.

    >>> import chainrule as cr
    >>> cr.einsum("ij, jk -> ik", [cr.ones(2, 3), cr.ones(3, 4)]).shape
    (2, 4)
    """
    from .linalg import einsum, sublist_subscripts  # (linalg builds on these front-ends)
    if not isinstance(equation, str):
        equation, operands = sublist_subscripts((equation,) + operands)
    elif len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    return einsum(equation.replace(" ", ""), *operands)


def _new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
    """A new tensor holding a copy of ``data`` (no graph), in this tensor's dtype unless
    ``dtype`` is given.

    >>> from chainrule import tensor
    >>> tensor([1.5]).new_tensor([1, 2]).dtype
    dtype('float32')
    """
    raw = data._data if isinstance(data, Tensor) else data
    return _finish_new(self, np.array(raw, dtype=_new_dtype(self, dtype)), requires_grad,
                       device)


def _type_as(self, other):
    """Converted to ``other``'s dtype (the tensor itself if it already has it)."""
    return sh.cast(self, other.dtype)


# PyTorch's legacy type names, by dtype: Tensor.type() and Tensor.type("...Tensor").
_TYPE_NAMES = {np.dtype(k): v for k, v in (
    ("float32", "FloatTensor"), ("float64", "DoubleTensor"), ("float16", "HalfTensor"),
    ("int64", "LongTensor"), ("int32", "IntTensor"), ("int16", "ShortTensor"),
    ("int8", "CharTensor"), ("uint8", "ByteTensor"), ("bool", "BoolTensor"),
    ("complex64", "ComplexFloatTensor"), ("complex128", "ComplexDoubleTensor"))}
_BY_TYPE_NAME = {v: k for k, v in _TYPE_NAMES.items()}


def _type(self, dtype=None, non_blocking=False):
    """With no argument, the type's name (``'chainrule.FloatTensor'``); else converted to
    ``dtype`` (a dtype, or a name such as ``'torch.DoubleTensor'``).

    >>> from chainrule import tensor
    >>> tensor([1.]).type(), tensor([1.]).type("torch.LongTensor").dtype
    ('chainrule.FloatTensor', dtype('int64'))
    """
    if dtype is None:
        return "chainrule." + _TYPE_NAMES.get(self._data.dtype, str(self._data.dtype))
    if isinstance(dtype, str) and dtype.endswith("Tensor"):
        name = dtype.rsplit(".", 1)[-1]
        if name not in _BY_TYPE_NAME:
            raise OpTypeError(f"type: unknown type name {dtype!r}; expected one of "
                              f"{sorted(_BY_TYPE_NAME)}")
        dtype = _BY_TYPE_NAME[name]
    return sh.cast(self, dtype)


# ----- in-place forms of the functional indexing and triangle ops --------------------------
def _inplace_of(fn, name: str):
    """``Tensor.<name>``: ``fn`` (the functional form) computed, then written into self
    (recorded as a write of the whole tensor, so gradients flow as through ``fn``)."""
    def op(self, *args, **kwargs):
        ip.setitem(self, Ellipsis, fn(self, *args, **kwargs), name)
        return self
    op.__name__ = name
    op.__doc__ = f"In-place ``{name.rstrip('_')}``; returns self."
    return op


_tril_, _triu_ = _inplace_of(sh.tril, "tril_"), _inplace_of(sh.triu, "triu_")
_scatter_add_ = _inplace_of(ix.scatter_add, "scatter_add_")
_scatter_reduce_ = _inplace_of(ix.scatter_reduce, "scatter_reduce_")
_index_add_ = _inplace_of(ix.index_add, "index_add_")
_index_copy_ = _inplace_of(ix.index_copy, "index_copy_")
_index_fill_ = _inplace_of(ix.index_fill, "index_fill_")
_masked_scatter_ = _inplace_of(ix.masked_scatter, "masked_scatter_")
_put_ = _inplace_of(ix.put, "put_")


def __dir__():  # dir() and tab completion show what the module exports, not its helpers
    return __all__
