"""Shape functions: reshaping, transposing, joining, splitting and rearranging arrays,
with NumPy's signatures."""
from __future__ import annotations as _annotations

import numpy as _np

from ..ops import index as _ix
from ..ops import shape as _sh
from ..ops._util import data_of as _data

__all__ = ["reshape", "ravel", "transpose", "swapaxes", "moveaxis", "expand_dims", "squeeze",
           "broadcast_to", "concatenate", "stack", "hstack", "vstack", "dstack", "append",
           "array_split", "split", "tile", "repeat", "pad", "flip", "flipud", "fliplr",
           "rot90", "roll", "atleast_1d", "atleast_2d", "atleast_3d", "meshgrid"]


def reshape(a, newshape=None, order="C", *, shape=None):
    if order != "C":
        raise NotImplementedError("chainrule.numpy.reshape: only order='C' is supported")
    target = shape if shape is not None else newshape
    return _sh.reshape(a, target if isinstance(target, (tuple, list)) else (target,))


def ravel(a):
    return _sh.ravel(a)


def transpose(a, axes=None):
    return _sh.permute(a, *(axes or ()))


swapaxes, moveaxis = _sh.swapaxes, _sh.moveaxis
expand_dims = _sh.unsqueeze


def squeeze(a, axis=None):
    return _sh.squeeze(a, axis)


def broadcast_to(array, shape):
    return _sh.broadcast_to(array, shape)


def concatenate(arrays, axis=0):
    return _sh.concatenate(arrays, axis)


def stack(arrays, axis=0):
    return _sh.stack(arrays, axis)


def flip(m, axis=None):
    return _sh.flip(m, axis)


def roll(a, shift, axis=None):
    return _sh.roll(a, shift, axis)


def tile(A, reps):
    return _sh.tile(A, reps)


def pad(array, pad_width, mode="constant", constant_values=0):
    return _sh.pad(array, pad_width, mode, constant_values)


def atleast_1d(a):
    return reshape(a, (1,)) if _np.ndim(_data(a)) == 0 else a


def atleast_2d(a):
    nd = _np.ndim(_data(a))
    return reshape(a, (1,) * (2 - nd) + _np.shape(_data(a))) if nd < 2 else a


def atleast_3d(a):
    nd, shape = _np.ndim(_data(a)), _np.shape(_data(a))
    if nd == 0:
        return reshape(a, (1, 1, 1))
    if nd == 1:
        return reshape(a, (1,) + shape + (1,))
    if nd == 2:
        return reshape(a, shape + (1,))
    return a


def hstack(tup):
    arrays = [atleast_1d(a) for a in tup]
    return concatenate(arrays, axis=0 if _np.ndim(_data(arrays[0])) == 1 else 1)


def vstack(tup):
    return concatenate([atleast_2d(a) for a in tup], axis=0)


def dstack(tup):
    return concatenate([atleast_3d(a) for a in tup], axis=2)


def array_split(ary, indices_or_sections, axis=0):
    n = _np.shape(_data(ary))[axis]
    if isinstance(indices_or_sections, (int, _np.integer)):
        sections = int(indices_or_sections)
        if sections <= 0:
            raise ValueError("array_split: number of sections must be larger than 0")
        each, extra = divmod(n, sections)
        sizes = [each + 1] * extra + [each] * (sections - extra)
        bounds = _np.cumsum([0] + sizes)
    else:
        bounds = [0] + list(indices_or_sections) + [n]
    lead = (slice(None),) * (axis % _np.ndim(_data(ary)))
    return [_ix.getitem(ary, lead + (slice(int(lo), int(hi)),))
            for lo, hi in zip(bounds[:-1], bounds[1:])]


def split(ary, indices_or_sections, axis=0):
    if isinstance(indices_or_sections, (int, _np.integer)):
        n = _np.shape(_data(ary))[axis]
        if n % indices_or_sections:
            raise ValueError(f"split: array split does not result in an equal division ({n} "
                             f"into {indices_or_sections}); use array_split")
    return array_split(ary, indices_or_sections, axis)


def repeat(a, repeats, axis=None):
    """NumPy's repeat (PyTorch's repeat_interleave); gradients of the copies add up."""
    if axis is None:
        a, axis = ravel(a), 0
    n = _np.shape(_data(a))[axis]
    index = _np.repeat(_np.arange(n), _data(repeats))
    return _ix.getitem(a, (slice(None),) * (axis % _np.ndim(_data(a))) + (index,))


def meshgrid(*xi, indexing="xy"):
    nd = len(xi)
    shapes = [_np.shape(_data(x))[0] for x in xi]
    if indexing == "xy" and nd >= 2:
        shapes[0], shapes[1] = shapes[1], shapes[0]
    out = []
    for i, x in enumerate(xi):
        axis = i
        if indexing == "xy" and nd >= 2 and i < 2:
            axis = 1 - i
        shape = [1] * nd
        shape[axis] = -1
        out.append(broadcast_to(reshape(x, tuple(shape)), tuple(shapes)))
    return out


def flipud(m):
    return flip(m, 0)


def fliplr(m):
    return flip(m, 1)


def rot90(m, k=1, axes=(0, 1)):
    k %= 4
    for _ in range(k):
        m = swapaxes(flip(m, axes[1]), axes[0], axes[1])
    return m


def append(arr, values, axis=None):
    if axis is None:
        return concatenate([ravel(arr), ravel(values)])
    return concatenate([arr, values], axis=axis)
