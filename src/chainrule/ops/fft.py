"""Discrete Fourier transforms. Gradients follow PyTorch's convention for complex values
(the conjugate-Wirtinger derivative): for a linear map the VJP is its adjoint, and a real
input receives the real part."""
from __future__ import annotations

import math

import numpy as np

from ..autograd.primitives import Primitive, apply, call, defjvp, defvjp
from ._util import normalize_axis, shape_of

__all__ = ["fftn_p", "rfft_p", "irfft_p", "fft", "ifft", "fftn", "ifftn", "fft2", "ifft2", "rfft",
           "irfft"]


def _count(shape, axes):
    return math.prod(shape[a] for a in axes)


def _fftn(xp, x, axes, inverse):
    return (xp.fft.ifftn if inverse else xp.fft.fftn)(x, axes=axes)


fftn_p = Primitive("fftn", _fftn, complex_ok=True, saves=(), saves_ans=False)
# F^H = N * ifft and (F^-1)^H = fft / N, with F the unnormalized transform.
defvjp(fftn_p, lambda xp, g, ans, x, axes, inverse:
       call(xp, fftn_p, g, axes=axes, inverse=not inverse) *
       (1.0 / _count(g.shape, axes) if inverse else float(_count(g.shape, axes))))
defjvp(fftn_p, lambda xp, ts, ans, x, axes, inverse:
       call(xp, fftn_p, ts[0], axes=axes, inverse=inverse))


def _rfft(xp, x, axis, n):
    return xp.fft.rfft(x, axis=axis)


def _rfft_vjp(xp, g, ans, x, axis, n):
    # Adjoint of the half spectrum: zero-fill the missing bins, then N * ifft; the engine
    # keeps the real part for the real input.
    missing = n - g.shape[axis]
    widths = [(0, 0)] * g.ndim
    widths[axis] = (0, missing)
    full = xp.pad(g, widths) if missing else g
    return call(xp, fftn_p, full, axes=(axis,), inverse=True) * float(n)


rfft_p = Primitive("rfft", _rfft, complex_ok=True, saves=(), saves_ans=False)
defvjp(rfft_p, _rfft_vjp)
defjvp(rfft_p, lambda xp, ts, ans, x, axis, n: call(xp, rfft_p, ts[0], axis=axis, n=n))


def _irfft(xp, x, axis, n):
    return xp.fft.irfft(x, n=n, axis=axis)


def _half_weights(m, n, axis, ndim):
    """Bins other than DC (and Nyquist, for even n) appear twice in the full spectrum."""
    w = np.full(m, 2.0)
    w[0] = 1.0
    if n % 2 == 0:
        w[-1] = 1.0
    shape = [1] * ndim
    shape[axis] = m
    return w.reshape(shape)


irfft_p = Primitive("irfft", _irfft, complex_ok=True, saves=(), saves_ans=False)
defvjp(irfft_p, lambda xp, g, ans, x, axis, n: call(xp, rfft_p, g, axis=axis, n=n) *
       (_half_weights(n // 2 + 1, n, axis, g.ndim) / n))
defjvp(irfft_p, lambda xp, ts, ans, x, axis, n: call(xp, irfft_p, ts[0], axis=axis, n=n))


# ----- front-ends (NumPy's signatures) -------------------------------------------------------
def _check_norm(name, norm):
    if norm not in (None, "backward"):
        raise NotImplementedError(f"numpy.fft.{name}: norm={norm!r} is not supported yet; "
                                  f"use the default ('backward')")


def _resize(x, n, axis, name):
    """NumPy's ``n``: crop or zero-pad the input along ``axis``."""
    from .shape import pad
    from .index import getitem
    size = shape_of(x)[axis]
    if n is None or n == size:
        return x
    if n < size:
        return getitem(x, (slice(None),) * axis + (slice(0, n),))
    widths = [(0, 0)] * len(shape_of(x))
    widths[axis] = (0, n - size)
    return pad(x, widths)


def fft(a, n=None, axis=-1, norm=None):
    _check_norm("fft", norm)
    axis = normalize_axis("fft", axis, len(shape_of(a)))
    return apply(fftn_p, (_resize(a, n, axis, "fft"),), {"axes": (axis,), "inverse": False})


def ifft(a, n=None, axis=-1, norm=None):
    _check_norm("ifft", norm)
    axis = normalize_axis("ifft", axis, len(shape_of(a)))
    return apply(fftn_p, (_resize(a, n, axis, "ifft"),), {"axes": (axis,), "inverse": True})


def fftn(a, s=None, axes=None, norm=None, inverse=False):
    _check_norm("fftn", norm)
    nd = len(shape_of(a))
    axes = tuple(range(nd)) if axes is None else tuple(normalize_axis("fftn", x, nd)
                                                       for x in axes)
    if s is not None:
        for size, axis in zip(s, axes):
            a = _resize(a, size, axis, "fftn")
    return apply(fftn_p, (a,), {"axes": axes, "inverse": inverse})


def ifftn(a, s=None, axes=None, norm=None):
    return fftn(a, s, axes, norm, inverse=True)


def fft2(a, s=None, axes=(-2, -1), norm=None):
    return fftn(a, s, axes, norm)


def ifft2(a, s=None, axes=(-2, -1), norm=None):
    return fftn(a, s, axes, norm, inverse=True)


def rfft(a, n=None, axis=-1, norm=None):
    _check_norm("rfft", norm)
    data = getattr(a, "_data", a)
    if np.iscomplexobj(data):
        raise TypeError("numpy.fft.rfft: the input must be real")
    axis = normalize_axis("rfft", axis, len(shape_of(a)))
    a = _resize(a, n, axis, "rfft")
    return apply(rfft_p, (a,), {"axis": axis, "n": shape_of(a)[axis]})


def irfft(a, n=None, axis=-1, norm=None):
    _check_norm("irfft", norm)
    axis = normalize_axis("irfft", axis, len(shape_of(a)))
    m = shape_of(a)[axis]
    n = 2 * (m - 1) if n is None else n
    a = _resize(a, n // 2 + 1, axis, "irfft")
    return apply(irfft_p, (a,), {"axis": axis, "n": n})


def __dir__():  # dir() and tab completion show what the module exports, not its helpers
    return __all__
