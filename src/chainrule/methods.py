"""Give Tensor its operators and methods, all made from the op table (``chainrule.optable``),
and its NumPy protocols (``chainrule.numpy``)."""
from . import _surface
from . import numpy as _cnp
from .autograd.tensor import Tensor as _Tensor

__all__: list = []

_surface.install()
_Tensor.__array_ufunc__ = _cnp.array_ufunc
_Tensor.__array_function__ = _cnp.array_function
