"""A NumPy-compatible namespace of differentiable functions: NumPy's names and signatures
(``axis``, ``keepdims``), returning chainrule Tensors.

It is what VJP rules run against when a backward pass is recorded (``create_graph=True``),
and what users may import: ``import chainrule.numpy as cnp``.

>>> import chainrule.numpy as cnp
>>> from chainrule import tensor
>>> cnp.sum(cnp.sin(tensor([0., 0.])), axis=0)
tensor(0.)

This module only gathers the names; they are defined by family in ``_creation``,
``_elementwise``, ``_extra``, ``_reductions``, ``_shape``, ``_indexing`` and ``_products``
(``_pad`` pads, ``_out`` writes ``out=``), beside the submodules ``linalg`` and ``fft``.
``_dispatch`` holds the NumPy protocol handlers (``array_ufunc``, ``array_function``) and
their tables; ``_box`` holds ArrayBox.
"""
import sys as _sys

from ..autograd.engine import set_graph_namespace as _set_graph_namespace
from . import _creation, _elementwise, _extra, _indexing, _pad, _products, _reductions
from . import _shape
from . import fft, linalg
from ._box import ArrayBox
from ._creation import *  # noqa: F401,F403
from ._dispatch import array_function, array_ufunc
from ._elementwise import *  # noqa: F401,F403
from ._extra import *  # noqa: F401,F403
from ._indexing import *  # noqa: F401,F403
from ._pad import *  # noqa: F401,F403
from ._products import *  # noqa: F401,F403
from ._reductions import *  # noqa: F401,F403
from ._shape import *  # noqa: F401,F403
from .linalg import norm as linalg_norm  # the name it had before linalg was a module

__all__ = [*_creation.__all__, *_elementwise.__all__, *_extra.__all__, *_reductions.__all__,
           *_shape.__all__, *_pad.__all__, *_indexing.__all__, *_products.__all__, "linalg",
           "fft", "linalg_norm", "ArrayBox", "array_ufunc", "array_function"]

# Recorded backward passes (create_graph=True) run their rules with this module as ``xp``.
_set_graph_namespace(_sys.modules[__name__])
