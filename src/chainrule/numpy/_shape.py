"""Shape functions: reshaping, transposing, joining, splitting, padding and rearranging
arrays, with NumPy's signatures. Array arguments may be tensors, NumPy arrays, Python
scalars or (nested) lists, as in NumPy."""
from __future__ import annotations as _annotations

import operator as _operator

import numpy as _np

from ..autograd.tensor import Tensor as _Tensor
from ..ops import index as _ix
from ..ops import shape as _sh
from ..ops._util import data_of as _data
from ._creation import asarray as _asarray
from ._out import finish as _finish

__all__ = ["reshape", "ravel", "transpose", "swapaxes", "moveaxis", "rollaxis", "expand_dims",
           "squeeze", "broadcast_to", "concatenate", "stack", "hstack", "vstack", "dstack",
           "column_stack", "append", "array_split", "split", "hsplit", "vsplit", "dsplit",
           "tile", "repeat", "flip", "flipud", "fliplr", "rot90", "roll", "atleast_1d",
           "atleast_2d", "atleast_3d", "meshgrid"]


def _shape_of(a) -> tuple:
    return _np.shape(_data(a))


def reshape(a, newshape=None, order="C", *, shape=None, copy=None):
    if order != "C":
        raise NotImplementedError("chainrule.numpy.reshape: only order='C' is supported")
    target = shape if shape is not None else newshape
    if target is None:
        raise TypeError("reshape() missing the shape")
    out = _sh.reshape(_asarray(a), tuple(target) if isinstance(target, (tuple, list))
                      else (target,))
    return _sh.clone(out) if copy else out


def ravel(a, order="C"):
    if order not in ("C", "K", "A"):
        raise NotImplementedError(f"chainrule.numpy.ravel: order={order!r} is not supported; "
                                  f"only 'C'")
    return _sh.ravel(_asarray(a))


def transpose(a, axes=None):
    return _sh.permute(_asarray(a), *(axes or ()))


def swapaxes(a, axis1, axis2):
    return _sh.swapaxes(_asarray(a), axis1, axis2)


def moveaxis(a, source, destination):
    return _sh.moveaxis(_asarray(a), source, destination)


def rollaxis(a, axis, start=0):
    """``numpy.rollaxis``: ``axis`` moved to before ``start`` (NumPy's checks and errors)."""
    a = _asarray(a)
    shape = _shape_of(a)
    # The permutation NumPy would apply, read from a zero-memory view with distinct dims.
    probe = _np.broadcast_to(_np.empty(()), tuple(range(2, len(shape) + 2)))
    moved = _np.rollaxis(probe, axis, start).shape
    return _sh.permute(a, *[n - 2 for n in moved])


def expand_dims(a, axis):
    return _sh.unsqueeze(_asarray(a), axis)


def squeeze(a, axis=None):
    a = _asarray(a)
    if axis is not None:
        shape = _shape_of(a)
        for ax in (axis if isinstance(axis, (tuple, list)) else (axis,)):
            if shape[_operator.index(ax)] != 1:
                raise ValueError("cannot select an axis to squeeze out which has size not "
                                 "equal to one")
    return _sh.squeeze(a, axis)


def broadcast_to(array, shape, subok=False):
    return _sh.broadcast_to(_asarray(array), shape)


def _joined(name, arrays, dtype, casting):
    """The inputs as tensors, cast to ``dtype`` under NumPy's ``casting`` rule."""
    if isinstance(arrays, _Tensor):
        arrays = [arrays[i] for i in range(arrays.shape[0])]
    tensors = [_asarray(a) for a in arrays]
    if not tensors:
        raise ValueError("need at least one array to concatenate")
    if dtype is None:
        return tensors
    dtype = _np.dtype(dtype)
    for t in tensors:
        if not _np.can_cast(t._data.dtype, dtype, casting=casting):
            raise TypeError(f"{name}: cannot cast array data from {t._data.dtype!r} to "
                            f"{dtype!r} according to the rule {casting!r}")
    return [_sh.cast(t, dtype) for t in tensors]


def _same_dtype(tensors):
    dtype = _np.result_type(*(t._data for t in tensors))
    return [_sh.cast(t, dtype) for t in tensors]


def concatenate(arrays, axis=0, out=None, *, dtype=None, casting="same_kind"):
    """``numpy.concatenate`` (``axis=None`` flattens first); ``dtype``/``casting`` and
    ``out`` as in NumPy."""
    tensors = _joined("concatenate", arrays, dtype, casting)
    if axis is None:
        tensors, axis = [_sh.ravel(t) for t in tensors], 0
    for t in tensors:
        if not _shape_of(t):
            raise ValueError("zero-dimensional arrays cannot be concatenated")
    return _finish(_sh.concatenate(_same_dtype(tensors), axis), out)


def stack(arrays, axis=0, out=None, *, dtype=None, casting="same_kind"):
    tensors = _joined("stack", arrays, dtype, casting)
    shapes = {_shape_of(t) for t in tensors}
    if len(shapes) > 1:
        raise ValueError("all input arrays must have the same shape")
    return _finish(_sh.stack(_same_dtype(tensors), axis), out)


def flip(m, axis=None):
    return _sh.flip(_asarray(m), axis)


def roll(a, shift, axis=None):
    return _sh.roll(_asarray(a), shift, axis)


def tile(A, reps):
    return _sh.tile(_asarray(A), reps)


# ----- dimension helpers, joining and splitting --------------------------------------------
def _each(fn, arys):
    out = [fn(_asarray(a)) for a in arys]
    return out[0] if len(out) == 1 else out


def _atleast_1d(a):
    return _sh.reshape(a, (1,)) if not _shape_of(a) else a


def _atleast_2d(a):
    nd = len(_shape_of(a))
    return _sh.reshape(a, (1,) * (2 - nd) + _shape_of(a)) if nd < 2 else a


def _atleast_3d(a):
    nd, shape = len(_shape_of(a)), _shape_of(a)
    if nd == 0:
        return _sh.reshape(a, (1, 1, 1))
    if nd == 1:
        return _sh.reshape(a, (1,) + shape + (1,))
    if nd == 2:
        return _sh.reshape(a, shape + (1,))
    return a


def atleast_1d(*arys):
    return _each(_atleast_1d, arys)


def atleast_2d(*arys):
    return _each(_atleast_2d, arys)


def atleast_3d(*arys):
    return _each(_atleast_3d, arys)


def _sequence(name, tup):
    if isinstance(tup, _Tensor) or not isinstance(tup, (list, tuple)):
        raise TypeError(f"arrays to {name} must be passed as a sequence (a list or tuple)")
    return tup


def hstack(tup, *, dtype=None, casting="same_kind"):
    arrays = [_atleast_1d(t) for t in _joined("hstack", _sequence("hstack", tup), dtype,
                                              casting)]
    return concatenate(arrays, axis=0 if len(_shape_of(arrays[0])) == 1 else 1)


def vstack(tup, *, dtype=None, casting="same_kind"):
    return concatenate([_atleast_2d(t) for t in _joined("vstack", _sequence("vstack", tup),
                                                          dtype, casting)], axis=0)


def dstack(tup):
    return concatenate([_atleast_3d(_asarray(a)) for a in _sequence("dstack", tup)], axis=2)


def column_stack(tup):
    """1-D inputs become columns; 2-D inputs are joined as they are, along axis 1."""
    arrays = []
    for a in _sequence("column_stack", tup):
        a = _asarray(a)
        nd = len(_shape_of(a))
        arrays.append(_sh.reshape(a, (-1, 1)) if nd < 2 else a)
    return concatenate(arrays, axis=1)


def array_split(ary, indices_or_sections, axis=0):
    ary = _asarray(ary)
    nd = len(_shape_of(ary))
    axis = _np.lib.array_utils.normalize_axis_index(axis, nd) if nd else axis
    n = _shape_of(ary)[axis]
    if isinstance(indices_or_sections, (int, _np.integer)):
        sections = int(indices_or_sections)
        if sections <= 0:
            raise ValueError("number sections must be larger than 0.")
        each, extra = divmod(n, sections)
        sizes = [each + 1] * extra + [each] * (sections - extra)
        bounds = _np.cumsum([0] + sizes)
    else:
        bounds = [0] + list(indices_or_sections) + [n]
    lead = (slice(None),) * axis
    return [_ix.getitem(ary, lead + (slice(int(lo), int(hi)),))
            for lo, hi in zip(bounds[:-1], bounds[1:])]


def split(ary, indices_or_sections, axis=0):
    ary = _asarray(ary)
    if isinstance(indices_or_sections, (int, _np.integer)):
        n = _shape_of(ary)[axis]
        if n % indices_or_sections:
            raise ValueError("array split does not result in an equal division")
    return array_split(ary, indices_or_sections, axis)


def hsplit(ary, indices_or_sections):
    ary = _asarray(ary)
    nd = len(_shape_of(ary))
    if nd == 0:
        raise ValueError("hsplit only works on arrays of 1 or more dimensions")
    return split(ary, indices_or_sections, 1 if nd > 1 else 0)


def vsplit(ary, indices_or_sections):
    ary = _asarray(ary)
    if len(_shape_of(ary)) < 2:
        raise ValueError("vsplit only works on arrays of 2 or more dimensions")
    return split(ary, indices_or_sections, 0)


def dsplit(ary, indices_or_sections):
    ary = _asarray(ary)
    if len(_shape_of(ary)) < 3:
        raise ValueError("dsplit only works on arrays of 3 or more dimensions")
    return split(ary, indices_or_sections, 2)


def repeat(a, repeats, axis=None):
    """NumPy's repeat (PyTorch's repeat_interleave); gradients of the copies add up."""
    a = _asarray(a)
    if axis is None:
        a, axis = _sh.ravel(a), 0
    n = _shape_of(a)[axis]
    index = _np.repeat(_np.arange(n), _data(repeats))
    return _ix.getitem(a, (slice(None),) * (axis % len(_shape_of(a))) + (index,))


def meshgrid(*xi, copy=True, sparse=False, indexing="xy"):
    if indexing not in ("xy", "ij"):
        raise ValueError("Valid values for `indexing` are 'xy' and 'ij'.")
    xi = [_sh.ravel(_asarray(x)) for x in xi]
    nd = len(xi)
    shapes = [_shape_of(x)[0] for x in xi]
    if indexing == "xy" and nd >= 2:
        shapes[0], shapes[1] = shapes[1], shapes[0]
    out = []
    for i, x in enumerate(xi):
        axis = i
        if indexing == "xy" and nd >= 2 and i < 2:
            axis = 1 - i
        shape = [1] * nd
        shape[axis] = -1
        g = _sh.reshape(x, tuple(shape))
        out.append(g if sparse else _sh.broadcast_to(g, tuple(shapes)))
    return tuple(out)


def flipud(m):
    m = _asarray(m)
    if len(_shape_of(m)) < 1:
        raise ValueError("Input must be >= 1-d.")
    return flip(m, 0)


def fliplr(m):
    m = _asarray(m)
    if len(_shape_of(m)) < 2:
        raise ValueError("Input must be >= 2-d.")
    return flip(m, 1)


def rot90(m, k=1, axes=(0, 1)):
    m = _asarray(m)
    k %= 4
    for _ in range(k):
        m = swapaxes(flip(m, axes[1]), axes[0], axes[1])
    return m


def append(arr, values, axis=None):
    if axis is None:
        return concatenate([ravel(arr), ravel(values)])
    return concatenate([arr, values], axis=axis)


def __dir__():
    return __all__
