"""Matrix and tensor products with NumPy's conventions (``dot``, ``inner``, ``tensordot``,
``kron``, ``cross``, ...), all through ``einsum`` or ``matmul``; and the matrix helpers
``diagonal``, ``trace``, ``diag``, ``triu``, ``tril``."""
from __future__ import annotations as _annotations

import builtins as _builtins

import numpy as _np

from ..ops import index as _ix
from ..ops import linalg as _linalg
from ..ops.shape import cast as _cast
from ..ops._util import data_of as _data
from ._creation import asarray as _asarray
from ._creation import zeros_like as _zeros_like
from ._out import finish as _finish
from ._elementwise import multiply as _multiply
from ._reductions import sum as _sum
from ._shape import moveaxis as _moveaxis
from ._shape import ravel as _ravel
from ._shape import reshape as _reshape
from ._shape import stack as _stack

__all__ = ["matmul", "einsum", "dot", "vdot", "inner", "outer", "tensordot", "kron", "cross",
           "diagonal", "trace", "diag", "triu", "tril"]

def matmul(x1, x2, /, out=None, *, dtype=None):
    """Differentiable numpy.matmul."""
    x1, x2 = _asarray(x1), _asarray(x2)
    if dtype is None:  # NumPy promotes mixed operands (float32 @ float64 is float64)
        dtype = _np.result_type(x1._data, x2._data)
    x1, x2 = _cast(x1, dtype), _cast(x2, dtype)
    return _finish(_linalg.matmul(x1, x2), out)


def einsum(*operands, out=None, dtype=None, order="K", casting="safe", optimize=False):
    """Differentiable numpy.einsum: the subscripts form (``'ij,jk->ik'``, ``'...'``) or
    the sublist form (``einsum(a, [0, 1], b, [1, 2], [0, 2])``). ``optimize`` only picks a
    contraction order in NumPy (results are the same), so it is accepted; ``dtype`` casts
    the operands (NumPy's ``casting`` rule); ``out`` is written."""
    if not operands:
        raise ValueError("No input operands")
    if isinstance(operands[0], str):
        subscripts, arrays = operands[0].replace(" ", ""), operands[1:]
    else:
        subscripts, arrays = _linalg.sublist_subscripts(operands)
    arrays = [_asarray(a) for a in arrays]
    if dtype is not None:
        for a in arrays:
            if not _np.can_cast(a._data.dtype, dtype, casting=casting):
                raise TypeError(f"einsum: cannot cast array data from {a._data.dtype!r} to "
                                f"{_np.dtype(dtype)!r} according to the rule {casting!r}")
        arrays = [_cast(a, dtype) for a in arrays]
    return _finish(_linalg.einsum(subscripts, *arrays), out)


def _scalar_operand_product(a, b):
    if _np.ndim(_data(a)) == 0 or _np.ndim(_data(b)) == 0:
        return _multiply(a, b)
    return None


def dot(a, b, out=None):
    """NumPy's dot: matmul for 1-D/2-D, the sum over a's last and b's second-last axis
    otherwise."""
    return _finish(_dot(_asarray(a), _asarray(b)), out)


def _dot(a, b):
    scalar = _scalar_operand_product(a, b)
    if scalar is not None:
        return scalar
    na, nb = _np.ndim(_data(a)), _np.ndim(_data(b))
    if na <= 2 and nb <= 2:
        return matmul(a, b)
    la = _linalg._LETTERS[:na]
    lb = _linalg._LETTERS[na:na + nb]
    lb = lb[:-2] + la[-1] + lb[-1] if nb >= 2 else la[-1]
    out_subs = la[:-1] + (lb[:-2] + lb[-1] if nb >= 2 else "")
    return einsum(f"{la},{lb}->{out_subs}", a, b)


def vdot(a, b):
    a, b = _asarray(a), _asarray(b)
    if a._data.size != b._data.size:
        raise ValueError("cannot reshape array: vdot needs inputs of the same size")
    return _sum(_multiply(_ravel(a), _ravel(b)))


def inner(a, b):
    a, b = _asarray(a), _asarray(b)
    scalar = _scalar_operand_product(a, b)
    if scalar is not None:
        return scalar
    na, nb = _np.ndim(_data(a)), _np.ndim(_data(b))
    la, lb = _linalg._LETTERS[:na - 1], _linalg._LETTERS[na - 1:na + nb - 2]
    return einsum(f"{la}z,{lb}z->{la}{lb}", a, b)


def outer(a, b, out=None):
    return _finish(_multiply(_reshape(a, (-1, 1)), _reshape(b, (1, -1))), out)


def tensordot(a, b, axes=2):
    a, b = _asarray(a), _asarray(b)
    na, nb = _np.ndim(_data(a)), _np.ndim(_data(b))
    if isinstance(axes, int):
        axes = (list(range(na - axes, na)), list(range(axes)))
    ax_a, ax_b = ([axes[0]] if isinstance(axes[0], int) else list(axes[0]),
                  [axes[1]] if isinstance(axes[1], int) else list(axes[1]))
    ax_a = [x % na for x in ax_a]
    ax_b = [x % nb for x in ax_b]
    letters = iter(_linalg._LETTERS)
    la = [next(letters) for _ in range(na)]
    lb = [next(letters) for _ in range(nb)]
    for i, j in zip(ax_a, ax_b):
        lb[j] = la[i]
    out_subs = [c for i, c in enumerate(la) if i not in ax_a] + \
        [c for j, c in enumerate(lb) if j not in ax_b]
    return einsum(f"{''.join(la)},{''.join(lb)}->{''.join(out_subs)}", a, b)


def kron(a, b):
    a, b = _asarray(a), _asarray(b)
    na, nb = _np.ndim(_data(a)), _np.ndim(_data(b))
    nd = _builtins.max(na, nb)
    a = _reshape(a, (1,) * (nd - na) + _np.shape(_data(a)))
    b = _reshape(b, (1,) * (nd - nb) + _np.shape(_data(b)))
    sa, sb = _np.shape(_data(a)), _np.shape(_data(b))
    inter_a = tuple(x for n in sa for x in (n, 1))
    inter_b = tuple(x for n in sb for x in (1, n))
    product = _multiply(_reshape(a, inter_a), _reshape(b, inter_b))
    return _reshape(product, tuple(x * y for x, y in zip(sa, sb)))


def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = _asarray(a), _asarray(b)
    a, b = _moveaxis(a, axisa, -1), _moveaxis(b, axisb, -1)
    if _np.shape(_data(a))[-1] != 3 or _np.shape(_data(b))[-1] != 3:
        raise ValueError("cross: only 3-vectors are supported")
    ax, ay, az = (a[..., i] for i in range(3))
    bx, by, bz = (b[..., i] for i in range(3))
    c = _stack([ay * bz - az * by, az * bx - ax * bz, ax * by - ay * bx], axis=-1)
    return _moveaxis(c, -1, axisc)


def diagonal(a, offset=0, axis1=0, axis2=1):
    """The diagonal of the (axis1, axis2) planes, as the last axis (NumPy's layout)."""
    moved = _moveaxis(_asarray(a), (axis1, axis2), (-2, -1))
    n, m = _np.shape(_data(moved))[-2:]
    rows = _np.arange(_builtins.max(0, -offset), _builtins.min(n, m - offset))
    return _ix.getitem(moved, (Ellipsis, rows, rows + offset))


def trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    return _sum(diagonal(a, offset, axis1, axis2), axis=-1, dtype=dtype, out=out)


def diag(v, k=0):
    """A 1-D input becomes a matrix with it on diagonal ``k``; a 2-D input gives that
    diagonal."""
    v = _asarray(v)
    nd = _np.ndim(_data(v))
    if nd == 2:
        return diagonal(v, k)
    if nd != 1:
        raise ValueError(f"diag: expected a 1-D or 2-D input, got {nd} dims")
    n = _np.shape(_data(v))[0] + _builtins.abs(k)
    rows = _np.arange(n - _builtins.abs(k))
    base = _zeros_like(_np.zeros((n, n), dtype=_np.result_type(_data(v))))
    return _ix.index_put(base, (rows + _builtins.max(-k, 0), rows + _builtins.max(k, 0)), v)


def triu(m, k=0):
    m = _asarray(m)
    shape = _np.shape(_data(m))
    return _multiply(m, _np.triu(_np.ones(shape[-2:], dtype=bool), k))


def tril(m, k=0):
    m = _asarray(m)
    shape = _np.shape(_data(m))
    return _multiply(m, _np.tril(_np.ones(shape[-2:], dtype=bool), k))
