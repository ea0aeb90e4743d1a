"""gradcheck of a function of complex values, through real inputs: shared by the complex
NumPy tests (linalg/fft and the transforms)."""
import numpy as np

import chainrule as cr
import chainrule.numpy as cnp
from chainrule.autograd import gradcheck, gradgradcheck


def check_complex(f, shape=(3,), seed=0, second=True):
    """gradcheck (and gradgradcheck, with ``second``) of ``f`` at z = a + ib, with a and b
    real float64 inputs and the output split into its real and imaginary parts (a real
    output as it is)."""
    rng = np.random.default_rng(seed)
    a = cr.tensor(rng.standard_normal(shape), dtype="float64", requires_grad=True)
    b = cr.tensor(rng.standard_normal(shape), dtype="float64", requires_grad=True)

    def fn(a, b):
        w = f(a + 1j * b)
        return (cnp.real(w), cnp.imag(w)) if w.dtype.kind == "c" else w
    assert gradcheck(fn, (a, b))
    if second:
        assert gradgradcheck(fn, (a, b))
