"""Discrete Fourier transforms. Gradients follow PyTorch's convention for complex values
(the conjugate-Wirtinger derivative): for a linear map the VJP is its adjoint, and a real
input receives the real part."""
from __future__ import annotations

import math

import numpy as np

from ..autograd.primitives import Primitive, apply, call, defjvp, defvjp
from ._util import normalize_axis, shape_of
from .elementwise import mul
from .shape import roll

__all__ = ["fftn_p", "rfft_p", "irfft_p", "fft", "ifft", "fftn", "ifftn", "fft2", "ifft2", "rfft",
           "irfft", "rfftn", "irfftn", "rfft2", "irfft2", "fftshift", "ifftshift"]


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
_NORMS = (None, "backward", "ortho", "forward")


def _scaled(name, out, norm, count, inverse):
    """NumPy's ``norm=``: the unnormalized forward and 1/N inverse transforms, rescaled
    ('ortho': 1/sqrt(N) both ways; 'forward': 1/N on the forward transform, none on the
    inverse). A constant factor: its gradient is the same factor."""
    if norm not in _NORMS:
        raise ValueError(f"numpy.fft.{name}: invalid norm {norm!r}; use 'backward', "
                         f"'ortho' or 'forward'")
    if norm in (None, "backward") or count == 0:
        return out
    if norm == "ortho":
        factor = math.sqrt(count) if inverse else 1.0 / math.sqrt(count)
    else:
        factor = float(count) if inverse else 1.0 / count
    return mul(out, factor)


def _resize(x, n, axis, name):
    """NumPy's ``n``: crop or zero-pad the input along ``axis``."""
    from .shape import pad
    from .index import getitem
    size = shape_of(x)[axis]
    if n is None or n == size:
        return x
    if n < 1:
        raise ValueError(f"numpy.fft.{name}: invalid number of data points ({n}) specified")
    if n < size:
        return getitem(x, (slice(None),) * axis + (slice(0, n),))
    widths = [(0, 0)] * len(shape_of(x))
    widths[axis] = (0, n - size)
    return pad(x, widths)


def _axes_sizes(name, a, s, axes):
    """NumPy's ``s`` and ``axes`` for an n-dimensional transform: normalized axes and
    the sizes (None: the input's)."""
    nd = len(shape_of(a))
    if axes is None:
        axes = tuple(range(nd)) if s is None else tuple(range(nd - len(s), nd))
    axes = tuple(normalize_axis(name, x, nd) for x in axes)
    if s is not None and len(s) != len(axes):
        raise ValueError(f"numpy.fft.{name}: shape (s={tuple(s)}) and axes ({axes}) have "
                         f"different lengths")
    return axes, (tuple(s) if s is not None else (None,) * len(axes))


def fft(a, n=None, axis=-1, norm=None):
    """numpy.fft.fft, every ``norm``."""
    axis = normalize_axis("fft", axis, len(shape_of(a)))
    a = _resize(a, n, axis, "fft")
    out = apply(fftn_p, (a,), {"axes": (axis,), "inverse": False})
    return _scaled("fft", out, norm, shape_of(a)[axis], False)


def ifft(a, n=None, axis=-1, norm=None):
    """numpy.fft.ifft, every ``norm``."""
    axis = normalize_axis("ifft", axis, len(shape_of(a)))
    a = _resize(a, n, axis, "ifft")
    out = apply(fftn_p, (a,), {"axes": (axis,), "inverse": True})
    return _scaled("ifft", out, norm, shape_of(a)[axis], True)


def fftn(a, s=None, axes=None, norm=None, inverse=False):
    """numpy.fft.fftn (``inverse``: ifftn), every ``norm``."""
    name = "ifftn" if inverse else "fftn"
    axes, sizes = _axes_sizes(name, a, s, axes)
    for size, axis in zip(sizes, axes):
        a = _resize(a, size, axis, name)
    out = apply(fftn_p, (a,), {"axes": axes, "inverse": inverse})
    return _scaled(name, out, norm, _count(shape_of(a), axes), inverse)


def ifftn(a, s=None, axes=None, norm=None):
    """numpy.fft.ifftn, every ``norm``."""
    return fftn(a, s, axes, norm, inverse=True)


def fft2(a, s=None, axes=(-2, -1), norm=None):
    """numpy.fft.fft2, every ``norm``."""
    return fftn(a, s, axes, norm)


def ifft2(a, s=None, axes=(-2, -1), norm=None):
    """numpy.fft.ifft2, every ``norm``."""
    return fftn(a, s, axes, norm, inverse=True)


def _check_real(name, a):
    data = getattr(a, "_data", a)
    if np.iscomplexobj(data):
        raise TypeError(f"numpy.fft.{name}: the input must be real, got {data.dtype}; "
                        f"use fft for complex inputs")


def rfft(a, n=None, axis=-1, norm=None):
    """numpy.fft.rfft of a real input, every ``norm``."""
    _check_real("rfft", a)
    axis = normalize_axis("rfft", axis, len(shape_of(a)))
    a = _resize(a, n, axis, "rfft")
    size = shape_of(a)[axis]
    out = apply(rfft_p, (a,), {"axis": axis, "n": size})
    return _scaled("rfft", out, norm, size, False)


def irfft(a, n=None, axis=-1, norm=None):
    """numpy.fft.irfft, every ``norm`` (the output has ``n`` points, default 2 (m - 1))."""
    axis = normalize_axis("irfft", axis, len(shape_of(a)))
    m = shape_of(a)[axis]
    n = 2 * (m - 1) if n is None else n
    if n < 1:
        raise ValueError(f"numpy.fft.irfft: invalid number of data points ({n}) specified")
    a = _resize(a, n // 2 + 1, axis, "irfft")
    out = apply(irfft_p, (a,), {"axis": axis, "n": n})
    return _scaled("irfft", out, norm, n, True)


def rfftn(a, s=None, axes=None, norm=None):
    """numpy.fft.rfftn: rfft over the last of ``axes``, then fft over the others."""
    _check_real("rfftn", a)
    axes, sizes = _axes_sizes("rfftn", a, s, axes)
    for size, axis in zip(sizes, axes):
        a = _resize(a, size, axis, "rfftn")
    out = rfft(a, axis=axes[-1], norm=norm)
    if len(axes) > 1:
        out = fftn(out, axes=axes[:-1], norm=norm)
    return out


def irfftn(a, s=None, axes=None, norm=None):
    """numpy.fft.irfftn: ifft over all but the last of ``axes``, then irfft over it
    (``s[-1]`` points, default 2 (m - 1))."""
    axes, sizes = _axes_sizes("irfftn", a, s, axes)
    out = a
    if len(axes) > 1:
        out = fftn(out, s=sizes[:-1] if s is not None else None, axes=axes[:-1], norm=norm,
                   inverse=True)
    return irfft(out, n=sizes[-1], axis=axes[-1], norm=norm)


def rfft2(a, s=None, axes=(-2, -1), norm=None):
    """numpy.fft.rfft2."""
    return rfftn(a, s, axes, norm)


def irfft2(a, s=None, axes=(-2, -1), norm=None):
    """numpy.fft.irfft2."""
    return irfftn(a, s, axes, norm)


def _shift(name, x, axes, sign):
    shape = shape_of(x)
    nd = len(shape)
    if axes is None:
        axes = tuple(range(nd))
    elif isinstance(axes, (int, np.integer)):
        axes = (axes,)
    axes = tuple(normalize_axis(name, a, nd) for a in axes)
    if not axes:
        return x
    shifts = tuple(sign * (shape[a] // 2) for a in axes)
    return roll(x, shifts, axes)


def fftshift(x, axes=None):
    """numpy.fft.fftshift: the zero frequency moved to the centre (a roll)."""
    return _shift("fftshift", x, axes, 1)


def ifftshift(x, axes=None):
    """numpy.fft.ifftshift: the inverse of fftshift."""
    return _shift("ifftshift", x, axes, -1)


def __dir__():  # dir() and tab completion show what the module exports, not its helpers
    return __all__
