"""ArrayBox: the array-flavoured tensor that plain NumPy code sees under a transform.

PyTorch and NumPy disagree on a few method names (``size``, ``max(axis)``, ``copy``,
``var``'s default, ``repeat``); a Tensor follows PyTorch, an ArrayBox follows NumPy. It is
the same graph machinery: only the methods differ, and op results keep the class.
"""
from __future__ import annotations as _annotations

import numpy as _np

from ..autograd.tensor import Tensor as _Tensor
from ..ops import shape as _sh
from . import _elementwise as _e
from . import _products as _p
from . import _reductions as _r
from . import _shape as _s

__all__ = ["ArrayBox"]


class ArrayBox(_Tensor):
    """A tensor that behaves as an ndarray does, for plain NumPy code under a transform:
    ``size`` is an int, ``max(axis)`` gives values only, ``copy()`` copies, ``var`` has
    ``ddof=0``, ``repeat`` is NumPy's. Ops on it give ArrayBoxes."""

    __slots__ = ()
    _propagates = True

    size = property(lambda self: int(self._data.size))

    def _concrete(self, kind: str):
        # A Python number from a traced value would drop its derivative silently (NumPy
        # also converts this way when a box is written into an ndarray): refused, as
        # JAX refuses it.
        if self._requires_grad or self._fw:
            raise TypeError(f"{kind}() of a value being differentiated drops its derivative "
                            f"(also when it is written into a NumPy array: np.zeros(3)[0] = "
                            f"x); keep it an array (build arrays with np.stack), or "
                            f"differentiate with respect to something else")
        return (float if kind == "float" else complex)(self.item())

    def __float__(self):
        return self._concrete("float")

    def __complex__(self):
        return self._concrete("complex")

    def max(self, axis=None, out=None, keepdims=False, initial=_np._NoValue, where=True):
        return _r.amax(self, axis, out, keepdims, initial, where)

    def min(self, axis=None, out=None, keepdims=False, initial=_np._NoValue, where=True):
        return _r.amin(self, axis, out, keepdims, initial, where)

    def sum(self, axis=None, dtype=None, out=None, keepdims=False):
        return _r.sum(self, axis, dtype, out, keepdims)

    def mean(self, axis=None, dtype=None, out=None, keepdims=False):
        return _r.mean(self, axis, dtype, out, keepdims)

    def prod(self, axis=None, dtype=None, out=None, keepdims=False):
        return _r.prod(self, axis, dtype, out, keepdims)

    def var(self, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
        return _r.var(self, axis, dtype, out, ddof, keepdims)

    def std(self, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
        return _r.std(self, axis, dtype, out, ddof, keepdims)

    def cumsum(self, axis=None, dtype=None, out=None):
        return _r.cumsum(self, axis, dtype, out)

    def cumprod(self, axis=None, dtype=None, out=None):
        return _r.cumprod(self, axis, dtype, out)

    def argmax(self, axis=None, out=None, *, keepdims=False):
        return _r.argmax(self, axis, out, keepdims=keepdims)

    def argmin(self, axis=None, out=None, *, keepdims=False):
        return _r.argmin(self, axis, out, keepdims=keepdims)

    def copy(self, order="C"):
        return _sh.clone(self)

    def reshape(self, *shape, order="C"):
        return _s.reshape(self, shape[0] if len(shape) == 1 else shape, order)

    def transpose(self, *axes):
        return _s.transpose(self, axes[0] if len(axes) == 1 and not isinstance(axes[0], int)
                            else (axes or None))

    def flatten(self, order="C"):
        return _sh.clone(_s.ravel(self, order))

    def ravel(self, order="C"):
        return _s.ravel(self, order)

    def repeat(self, repeats, axis=None):
        return _s.repeat(self, repeats, axis)

    def squeeze(self, axis=None):
        return _s.squeeze(self, axis)

    def clip(self, min=None, max=None, out=None):
        return _e.clip(self, min, max, out)

    def dot(self, b, out=None):
        return _p.dot(self, b, out)

    def round(self, decimals=0, out=None):
        return _e.round(self, decimals, out)

    def astype(self, dtype, order="K", casting="unsafe", subok=True, copy=True):
        if not _np.can_cast(self._data.dtype, dtype, casting=casting):
            raise TypeError(f"Cannot cast array data from {self._data.dtype!r} to "
                            f"{_np.dtype(dtype)!r} according to the rule {casting!r}")
        out = _sh.cast(self, dtype)
        return _sh.clone(out) if copy and out is self else out

    def all(self, axis=None, out=None, keepdims=False, *, where=True):
        return _np.all(self._data, axis=axis, out=out, keepdims=keepdims, where=where)

    def any(self, axis=None, out=None, keepdims=False, *, where=True):
        return _np.any(self._data, axis=axis, out=out, keepdims=keepdims, where=where)

    def conj(self):
        return self

    conjugate = conj
    real = property(lambda self: self)
    ptp = _r.ptp
    trace = _p.trace
    diagonal = _p.diagonal

    def __repr__(self):
        return "ArrayBox(" + _np.array2string(self._data, separator=", ") + ")"
