"""Elementwise functions: NumPy's differentiable ufuncs, by their NumPy names, and the
elementwise functions built on them (``where``, ``clip``, ``round``, ``select``,
``polyval``, the complex parts)."""
from __future__ import annotations as _annotations

import numpy as _np

from .. import _surface
from ..autograd.primitives import apply as _apply
from ..autograd.tensor import Tensor as _Tensor
from ..autograd.tensor import make_tensor as _make
from ..ops import elementwise as _ew
from ..ops._util import data_of as _data
from ._creation import asarray as _asarray
from ._creation import zeros_like as _zeros_like
from ._out import finish as _finish

# The NumPy ufuncs with a primitive of their own, made from the op table
# (chainrule/optable.py, its ``numpy`` names): ``exp``, ``add``, ``absolute``, ``fabs``, ...
_MADE = _surface.numpy_table()
globals().update(_MADE)

__all__ = sorted(_MADE) + ["round", "around", "clip", "where", "select", "polyval", "real",
                           "imag"]


def real(val):
    return _apply(_ew.real, (val,))


def imag(val):
    return _apply(_ew.imag, (val,))


# Ufuncs that NumPy dispatch answers for but that have no name of their own here.
def _deg2rad(x):
    return _MADE["multiply"](x, _np.pi / 180.0)


def _rad2deg(x):
    return _MADE["multiply"](x, 180.0 / _np.pi)


def _logaddexp2(x1, x2):
    ln2 = _np.log(2)
    multiply = _MADE["multiply"]
    return _MADE["divide"](_MADE["logaddexp"](multiply(x1, ln2), multiply(x2, ln2)), ln2)


def round(a, decimals=0, out=None):
    return _finish(_ew.round(_asarray(a), decimals), out)


around = round


def clip(a, a_min=None, a_max=None, out=None, *, min=None, max=None):
    """Differentiable numpy.clip (``min``/``max`` are NumPy 2.1's names for the bounds)."""
    a_min = a_min if min is None else min
    a_max = a_max if max is None else max
    if a_min is None and a_max is None:
        raise ValueError("One of max or min must be given")
    return _finish(_ew.clamp(_asarray(a), a_min, a_max), out)


def where(condition, x=None, y=None):
    """Differentiable in ``x`` and ``y``; with one argument, the indices (no gradient)."""
    if x is None and y is None:
        return tuple(_make(i) for i in _np.nonzero(_data(condition)))
    return _apply(_ew.where_p, (_data(condition), x, y))


def select(condlist, choicelist, default=0):
    out = default
    for cond, choice in reversed(list(zip(condlist, choicelist))):
        out = where(cond, choice, out)
    return out if isinstance(out, _Tensor) else _asarray(out)


def polyval(p, x):
    """Horner's rule: p[0] x^(n-1) + ... + p[n-1]."""
    coeffs = [p[i] for i in range(_np.shape(_data(p))[0])] if isinstance(p, _Tensor) else list(p)
    y = _zeros_like(x) if isinstance(x, _Tensor) else 0.0
    add, multiply = _MADE["add"], _MADE["multiply"]
    for c in coeffs:
        y = add(multiply(y, x), c)
    return y
