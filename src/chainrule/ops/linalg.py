"""Matrix products."""
from __future__ import annotations

import numpy as np

from ..autograd.primitive import Primitive, apply, defjvp, defvjp
from ._util import shape_of


def _matmul_vjp_x(xp, g, ans, x, y):
    if y.ndim == 1:  # (..., k) @ (k,) -> (...)
        return xp.expand_dims(g, -1) * y
    if x.ndim == 1:  # (k,) @ (..., k, n) -> (..., n)
        return xp.matmul(y, xp.expand_dims(g, -1))[..., 0]
    return xp.matmul(g, xp.swapaxes(y, -1, -2))


def _matmul_vjp_y(xp, g, ans, x, y):
    if x.ndim == 1:  # (k,) @ (..., k, n): dy = outer(x, g) per batch
        if y.ndim == 1:
            return g * x
        return xp.expand_dims(x, -1) * xp.expand_dims(g, -2)
    if y.ndim == 1:  # (..., m, k) @ (k,) -> (..., m): dy = x^T g
        return xp.matmul(xp.expand_dims(g, -2), x)[..., 0, :]
    return xp.matmul(xp.swapaxes(x, -1, -2), g)


matmul_p = Primitive("mm", np.matmul, saves=(0, 1), saves_ans=False)
defvjp(matmul_p, _matmul_vjp_x, _matmul_vjp_y)


def _matmul_jvp(xp, ts, ans, x, y):
    tx, ty = ts
    if ty is None:
        return xp.matmul(tx, y)
    if tx is None:
        return xp.matmul(x, ty)
    return xp.matmul(tx, y) + xp.matmul(x, ty)


defjvp(matmul_p, _matmul_jvp)


def matmul(x, y):
    """Matrix product with NumPy's rules: 1-D operands are vectors, leading dims broadcast.

    >>> from chainrule import ones
    >>> matmul(ones(2, 3), ones(3)).shape
    (2,)
    """
    sx, sy = shape_of(x), shape_of(y)
    if not sx or not sy:
        raise ValueError(f"matmul: both operands need at least 1 dimension, got shapes {sx} "
                         f"and {sy}; use * for scalars")
    kx = sx[-1]
    ky = sy[0] if len(sy) == 1 else sy[-2]
    if kx != ky:
        raise ValueError(f"matmul: shapes {sx} and {sy} do not align: {kx} != {ky}")
    if len(sx) > 2 and len(sy) > 2:
        try:
            np.broadcast_shapes(sx[:-2], sy[:-2])
        except ValueError:
            raise ValueError(f"matmul: batch dims of shapes {sx} and {sy} do not "
                             f"broadcast") from None
    return apply(matmul_p, (x, y))
