"""Differentiable ``scipy.special`` functions (``gammaln`` and ``digamma`` need the
``scipy`` extra: ``pip install chainrule[scipy]``).

>>> import chainrule as cr
>>> from chainrule.scipy.special import expit
>>> expit(cr.tensor(0.0))
tensor(0.5)
"""
from __future__ import annotations as _annotations

from .. import _backend
from ..autograd.primitives import Primitive as _Primitive
from ..autograd.primitives import apply as _apply
from ..autograd.primitives import call as _call
from ..autograd.primitives import defjvp as _defjvp
from ..autograd.primitives import defvjp as _defvjp
from ..ops import elementwise as _ew
from ..ops import reduce as _reduce

__all__ = ["polygamma_p", "gammaln_p", "gammaln", "digamma", "psi", "polygamma", "expit",
           "erf", "logsumexp"]


def _special(xp):
    """The namespace's special-function library (SciPy's for NumPy data)."""
    special = _backend.special_functions(xp)
    if special is None:
        raise ImportError("this function needs SciPy: pip install chainrule[scipy]")
    return special


def _polygamma(xp, x, n):
    special = _special(xp)
    if special.__name__ != "scipy.special":
        return special.polygamma(n, x).astype(x.dtype, copy=False)
    # SciPy's polygamma, written with its ufuncs: its own np.asarray (bound at its import)
    # hides the work from a compiling trace. The same operations in the same dtypes (the
    # order n as a 0-d int64 array), so the same values.
    if n == 0:
        return special.psi(x).astype(x.dtype, copy=False)
    order = xp.asarray(n)
    scale = (-1.0) ** (order + 1) * special.gamma(order + 1.0)
    return (scale * special.zeta(order + 1, x)).astype(x.dtype, copy=False)


def _gammaln(xp, x):
    return _special(xp).gammaln(x)


polygamma_p = _Primitive("polygamma", _polygamma, saves=(0,), saves_ans=False)
_defvjp(polygamma_p, lambda xp, g, ans, x, n: g * _call(xp, polygamma_p, x, n=n + 1))
_defjvp(polygamma_p, lambda xp, ts, ans, x, n: ts[0] * _call(xp, polygamma_p, x, n=n + 1))

gammaln_p = _Primitive("gammaln", _gammaln, saves=(0,), saves_ans=False)
_defvjp(gammaln_p, lambda xp, g, ans, x: g * _call(xp, polygamma_p, x, n=0))
_defjvp(gammaln_p, lambda xp, ts, ans, x: ts[0] * _call(xp, polygamma_p, x, n=0))


def gammaln(x):
    """log|Gamma(x)|; its derivative is digamma."""
    return _apply(gammaln_p, (x,))


def digamma(x):
    return _apply(polygamma_p, (x,), {"n": 0})


psi = digamma


def polygamma(n: int, x):
    return _apply(polygamma_p, (x,), {"n": int(n)})


def expit(x):
    """The logistic sigmoid, 1 / (1 + exp(-x))."""
    return _apply(_ew.sigmoid, (x,))


def erf(x):
    return _apply(_ew.erf, (x,))


def logsumexp(a, axis=None, b=None, keepdims=False, return_sign=False):
    """log(sum(exp(a))) along ``axis``, computed without overflow (``b``: weights)."""
    if return_sign:
        raise NotImplementedError("logsumexp: return_sign=True is not supported")
    if b is not None:
        return _ew.log(_reduce.sum(_ew.exp(a - _reduce.amax(a, axis=axis, keepdims=True)
                                           .detach()) * b, axis=axis, keepdims=keepdims)) + \
            _reduce.amax(a, axis=axis, keepdims=keepdims).detach()
    return _reduce.logsumexp(a, axis=axis, keepdims=keepdims)
