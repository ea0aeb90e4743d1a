"""The im2col (unfold) and col2im (fold) primitives: linear, each the other's transpose, so
each is the other's VJP and its own JVP. Front-ends: ``chainrule.nn.fold``."""
from __future__ import annotations

import math

from ..autograd.primitives import Primitive, call, defjvp, defvjp
from ._window import col2im, im2col

__all__ = ["unfold_p", "fold_p"]


def _unfold(xp, x, kernel, stride, padding, dilation, in_shape):
    cols, out_sp = im2col(xp, x, kernel, stride, padding, dilation)
    n, c = x.shape[:2]
    return cols.reshape(n, c * math.prod(kernel), math.prod(out_sp))


def _fold(xp, cols, kernel, stride, padding, dilation, in_shape):
    n, ckk, _ = cols.shape
    out_sp = tuple((s + 2 * p - d * (k - 1) - 1) // st + 1 for s, k, st, p, d in
                   zip(in_shape[2:], kernel, stride, padding, dilation))
    blocks = cols.reshape((n, ckk // math.prod(kernel)) + tuple(kernel) + out_sp)
    return xp.ascontiguousarray(col2im(xp, blocks, in_shape, kernel, stride, padding,
                                       dilation))


# ``in_shape``: the (N, C, H, W) shape of unfold's input, which is fold's output.
unfold_p = Primitive("unfold_im2col", _unfold, saves=(), saves_ans=False)
fold_p = Primitive("fold_col2im", _fold, saves=(), saves_ans=False)
defvjp(unfold_p, lambda xp, g, ans, x, **p: call(xp, fold_p, g, **p))
defvjp(fold_p, lambda xp, g, ans, cols, **p: call(xp, unfold_p, g, **p))
defjvp(unfold_p, lambda xp, ts, ans, x, **p: call(xp, unfold_p, ts[0], **p))
defjvp(fold_p, lambda xp, ts, ans, cols, **p: call(xp, fold_p, ts[0], **p))


def __dir__():
    return __all__
