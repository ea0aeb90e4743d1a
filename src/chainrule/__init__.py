"""chainrule: a dynamic-graph automatic differentiation engine over NumPy.

>>> import chainrule as cr
>>> x = cr.tensor([[1., 2.], [3., 4.]], requires_grad=True)
>>> y = cr.tensor([[2., 0.], [1., 3.]], requires_grad=True)
>>> ((x + y) * x).sum().backward()
>>> x.grad
tensor([[ 4.,  4.],
        [ 7., 11.]])
"""
import numpy as _np

from . import methods as _methods  # noqa: F401  (gives Tensor its operators)
from . import numpy  # noqa: F401  (registers the namespace used by recorded backward passes)
from . import autograd
from ._backend import bool_ as _bool_
from ._backend import (double, float16, float32, float64, get_default_dtype, half,
                       int8, int16, int32, int64, long, manual_seed, set_default_dtype, uint8)
from .autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .errors import IndexOutOfRangeError, OpError, OpTypeError
from .autograd.tensor import Tensor
from ._seed_names import Variable
from .creation import (arange, as_tensor, asarray, empty, empty_like, eye, from_numpy, full,
                       full_like,
                       linspace, ones, ones_like, rand, rand_like, randint, randint_like, randn,
                       randn_like, tensor, zeros, zeros_like)
from . import data, errors, func, linalg, nn, optim, scipy, utils
from . import accelerator, backends, cuda, distributions
from . import onnx  # noqa: F401  (export; the onnx package is imported only when export runs)
from ._device import device
from .sampling import Generator, bernoulli, multinomial, normal, poisson, randperm
from . import serialization  # noqa: F401  (add_safe_globals, safe_globals, ...)
from .serialization import load, save
from .threads import (are_deterministic_algorithms_enabled, get_num_threads, set_num_threads,
                      use_deterministic_algorithms)
from .viz import draw_graph
from .compiler import compile  # noqa: A004  (PyTorch's name; the builtin stays builtins.compile)
from .functional import *  # noqa: F401,F403
from .functional import __all__ as _functional_all
from . import _malloc

_malloc.tune()  # keep freed array memory for reuse: see chainrule/_malloc.py


def __getattr__(name):
    # chainrule.distributed loads on first use: importing mpi4py starts MPI.
    if name == "distributed":
        import importlib
        return importlib.import_module(".distributed", __name__)
    raise AttributeError(f"module 'chainrule' has no attribute {name!r}")

bool = _bool_
# PyTorch's dtype names that shadow builtins here (as in torch): cr.float is float32.
float, int, short = float32, int32, int16
cfloat = complex64 = _np.complex64
cdouble = complex128 = _np.complex128
__version__ = "0.1.0"

__all__ = ["Tensor", "Variable", "tensor", "as_tensor", "asarray", "from_numpy", "zeros", "ones",
           "empty", "full",
           "arange", "linspace", "eye", "rand", "randn", "randint", "zeros_like", "ones_like",
           "empty_like", "full_like", "rand_like", "randn_like", "randint_like", "manual_seed",
           "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled",
           "autograd", "numpy", "scipy", "func", "utils", "nn", "optim", "data", "errors", "linalg",
           "distributions", "onnx", "cuda", "accelerator", "backends", "device", "float", "int",
           "short", "cfloat", "cdouble", "complex64", "complex128",
           "Generator", "randperm", "multinomial", "bernoulli", "normal", "poisson",
           "float16", "float32", "float64", "half", "double", "int8", "int16", "int32", "int64",
           "long", "uint8", "bool", "get_default_dtype", "set_default_dtype",
           "OpError", "IndexOutOfRangeError", "OpTypeError", "draw_graph", "save", "load",
           "serialization", "set_num_threads", "get_num_threads", "use_deterministic_algorithms",
           "are_deterministic_algorithms_enabled", "compile",
           *_functional_all]
