"""``chainrule.numpy.fft``: differentiable ``numpy.fft`` transforms, every ``norm=``
(the primitives are in ``chainrule.ops.fft``)."""
from ..ops.fft import (fft, fft2, fftn, fftshift, ifft, ifft2, ifftn, ifftshift, irfft,
                       irfft2, irfftn, rfft, rfft2, rfftn)

__all__ = ["fft", "ifft", "fft2", "ifft2", "fftn", "ifftn", "rfft", "irfft", "rfft2", "irfft2",
           "rfftn", "irfftn", "fftshift", "ifftshift"]


def __dir__():  # dir() and tab completion show what the module exports, not its helpers
    return __all__
