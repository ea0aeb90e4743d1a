"""``chainrule.numpy.fft``: differentiable ``numpy.fft`` transforms of real inputs (the
primitives are in ``chainrule.ops.fft``)."""
from ..ops.fft import fft, fft2, fftn, ifft, ifft2, ifftn, irfft, rfft

__all__ = ["fft", "ifft", "fft2", "ifft2", "fftn", "ifftn", "rfft", "irfft"]
