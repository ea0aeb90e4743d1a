"""The NumPy protocols: ``Tensor.__array_ufunc__`` and ``Tensor.__array_function__`` run
chainrule's differentiable version of a NumPy ufunc or function called on tensors, run
the functions that have no gradient on the data, and refuse anything else by name (a
gradient is never dropped silently).

The tables saying which NumPy callable maps to which implementation are in one block
below, apart from the handlers that read them.
"""
from __future__ import annotations as _annotations

import numpy as _np

from .. import _surface
from ..autograd.primitives import apply as _apply
from ..autograd.tensor import Tensor as _Tensor
from ..autograd.tensor import make_tensor as _make
from ..ops import elementwise as _ew
from ..ops import index as _ix
from ..ops import inplace as _inplace
from ..ops import shape as _sh
from ..pytree import tree_map as _tree_map
from . import _creation, _elementwise, _extra, _indexing, _pad, _products, _reductions
from . import _shape
from ._out import write_out as _write_out
from . import fft as _fft
from . import linalg as _linalg

__all__ = ["array_ufunc", "array_function"]

_e = _elementwise

# ========== the protocol tables ============================================================
# Ufunc called directly (``np.sin(t)``, and ``np.add.outer``): the differentiable version.
# Those with a primitive of their own come from the op table (chainrule/optable.py); these
# are the ones built from others.
_UFUNCS = {
    **_surface.ufunc_table(_e),
    _np.deg2rad: _e._deg2rad, _np.radians: _e._deg2rad, _np.rad2deg: _e._rad2deg,
    _np.degrees: _e._rad2deg, _np.logaddexp2: _e._logaddexp2, _np.matmul: _products.matmul,
    _np.heaviside: _extra.heaviside,
}
# Ufuncs with two outputs (a tuple of tensors).
_UFUNCS_TWO_OUT = {_np.divmod: _extra.divmod, _np.modf: _extra.modf}
# Ufuncs with no gradient (comparisons, logic, bits, tests): they run on the data.
_UFUNC_NO_GRAD = {
    _np.greater, _np.greater_equal, _np.less, _np.less_equal, _np.equal, _np.not_equal,
    _np.logical_and, _np.logical_or, _np.logical_xor, _np.logical_not, _np.isnan, _np.isinf,
    _np.isfinite, _np.signbit, _np.bitwise_and, _np.bitwise_or, _np.bitwise_xor, _np.invert,
    _np.left_shift, _np.right_shift, _np.gcd, _np.lcm,
}
# ``ufunc.reduce`` and ``ufunc.accumulate``.
_REDUCE = {_np.add: _reductions.sum, _np.multiply: _reductions.prod,
           _np.maximum: _reductions.amax, _np.minimum: _reductions.amin,
           _np.fmax: _reductions.amax, _np.fmin: _reductions.amin}
_ACCUMULATE = {_np.add: _reductions.cumsum, _np.multiply: _reductions.cumprod}

# Functions with no gradient: they run on the data (indices, shapes, tests).
_PASS_THROUGH = {
    _np.argmax, _np.argmin, _np.argsort, _np.argpartition, _np.nonzero, _np.flatnonzero,
    _np.argwhere, _np.shape, _np.ndim, _np.size, _np.count_nonzero, _np.searchsorted,
    _np.isclose, _np.allclose, _np.array_equal, _np.any, _np.all, _np.iscomplexobj,
    _np.isrealobj, _np.result_type, _np.can_cast, _np.digitize, _np.isnan, _np.isinf,
    _np.isfinite, _np.may_share_memory, _np.shares_memory,
}


def _same_names(numpy_namespace, implementations, names):
    """``{numpy_namespace.<name>: implementations.<name>}``, for the names this NumPy has."""
    return {getattr(numpy_namespace, n): getattr(implementations, n) for n in names
            if getattr(numpy_namespace, n, None) is not None}


# Functions (``np.sum(t)``, ``np.linalg.inv(t)``): chainrule's version of the same name.
_FUNCTIONS = {
    **_same_names(_np, _reductions, (
        "sum", "mean", "prod", "amax", "amin", "max", "min", "var", "std", "cumsum",
        "cumprod", "ptp", "average", "diff", "median", "nansum", "nanmean", "nanmax",
        "nanmin", "nanprod", "nanvar", "nanstd", "quantile", "percentile", "nanquantile",
        "nanpercentile", "cov", "corrcoef")),
    _np.pad: _pad.pad,
    **_same_names(_np, _extra, (
        "angle", "real_if_close", "iscomplex", "isreal", "sinc", "nan_to_num", "linspace",
        "logspace", "gradient", "interp", "convolve", "correlate")),
    **_same_names(_np, _products, (
        "dot", "vdot", "inner", "outer", "matmul", "tensordot", "einsum", "kron", "trace",
        "diag", "diagonal", "triu", "tril", "cross")),
    **_same_names(_np, _shape, (
        "reshape", "ravel", "transpose", "moveaxis", "swapaxes", "squeeze", "expand_dims",
        "broadcast_to", "concatenate", "stack", "hstack", "vstack", "dstack", "split",
        "array_split", "tile", "repeat", "flip", "roll", "atleast_1d", "atleast_2d",
        "atleast_3d", "meshgrid", "flipud", "fliplr", "rot90", "append", "rollaxis",
        "column_stack", "hsplit", "vsplit", "dsplit")),
    **_same_names(_np, _indexing, ("take", "take_along_axis", "sort", "partition")),
    **_same_names(_np, _elementwise, (
        "clip", "where", "select", "round", "around", "polyval", "real", "imag")),
    **_same_names(_np, _creation, ("copy", "zeros_like", "ones_like", "full_like")),
    **_same_names(_np.linalg, _linalg, _linalg.__all__),
    **_same_names(_np.fft, _fft, _fft.__all__),
}
# ========== end of the protocol tables =====================================================


def _raw(x):
    return x._data if isinstance(x, _Tensor) else x


def _no_grad_result(out):
    if isinstance(out, tuple):
        return tuple(_make(_np.asarray(o)) for o in out)
    return _make(_np.asarray(out))


def _ufunc_at(ufunc, inputs):
    """``np.add.at(t, index, values)`` / ``np.subtract.at``: an accumulating scatter,
    written in place into ``t``."""
    target, index = inputs[0], inputs[1]
    values = inputs[2] if len(inputs) > 2 else 1.0
    if ufunc is _np.subtract:
        values = _e.negative(values)
    raw_index, _, _ = _ix.normalize_index(index)
    shape = _np.shape(_raw(target))
    if not isinstance(values, _Tensor):
        values = _creation.asarray(values, dtype=_np.result_type(_raw(target)))
    values = _shape.broadcast_to(values, _np.shape(_raw(target)[raw_index]))
    update = _apply(_ix.scatter_p, (values,), {"index": raw_index, "shape": shape,
                                              "accumulate": True})
    _inplace.inplace(target, _ew.add, (update,), None, "numpy.add.at", _np.add)


def array_ufunc(self, ufunc, method, *inputs, out=None, **kwargs):
    """``Tensor.__array_ufunc__``: NumPy ufuncs on tensors run the differentiable op."""
    name = f"numpy.{ufunc.__name__}" + ("" if method == "__call__" else f".{method}")
    if ufunc in _UFUNC_NO_GRAD:
        raw_out = tuple(_raw(o) for o in out) if out is not None else None
        result = getattr(ufunc, method)(*[_raw(i) for i in inputs], **kwargs,
                                        **({"out": raw_out} if raw_out else {}))
        return out[0] if out is not None and len(out) == 1 else _no_grad_result(result)
    dtype = kwargs.pop("dtype", None)
    if method == "__call__":
        fn = _UFUNCS.get(ufunc) or _UFUNCS_TWO_OUT.get(ufunc)
        if fn is None or set(kwargs) - {"casting", "order", "subok"}:
            raise TypeError(f"{name} is not differentiable by chainrule yet"
                            + (f" (with {sorted(kwargs)})" if fn is not None else ""))
        result = fn(*inputs)
    elif method == "reduce":
        fn = _REDUCE.get(ufunc)
        if fn is None or set(kwargs) - {"axis", "keepdims"}:
            raise TypeError(f"{name} is not differentiable by chainrule yet")
        result = fn(inputs[0], axis=kwargs.get("axis", 0), keepdims=kwargs.get("keepdims", False))
    elif method == "accumulate":
        fn = _ACCUMULATE.get(ufunc)
        if fn is None:
            raise TypeError(f"{name} is not differentiable by chainrule yet")
        result = fn(inputs[0], axis=kwargs.get("axis", 0))
    elif method == "outer":
        fn = _UFUNCS.get(ufunc)
        if fn is None:
            raise TypeError(f"{name} is not differentiable by chainrule yet")
        a, b = inputs
        na, nb = _np.ndim(_raw(a)), _np.ndim(_raw(b))
        result = fn(_shape.reshape(a, _np.shape(_raw(a)) + (1,) * nb) if na else a, b)
    elif method == "at" and ufunc in (_np.add, _np.subtract):
        _ufunc_at(ufunc, inputs)
        return None
    else:
        raise TypeError(f"{name} is not differentiable by chainrule yet")
    if dtype is not None:
        result = _sh.cast(result, dtype)
    if out is not None:
        return _write_out(result, out)
    return result


def array_function(self, func, types, args, kwargs):
    """``Tensor.__array_function__``: NumPy functions on tensors run chainrule's version;
    functions with no gradient run on the data; anything else is refused by name."""
    impl = _FUNCTIONS.get(func)
    if impl is not None:
        return impl(*args, **kwargs)
    if func in _PASS_THROUGH:
        return func(*_tree_map(_raw, list(args)), **{k: _raw(v) for k, v in kwargs.items()})
    module = getattr(func, "__module__", None) or "numpy"
    prefix = module if module in ("numpy.linalg", "numpy.fft", "numpy.random") else "numpy"
    raise TypeError(f"{prefix}.{func.__name__} is not differentiable by chainrule yet; "
                    f"use chainrule's ops, or .detach() the tensor if no gradient is wanted")
