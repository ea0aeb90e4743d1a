"""``chainrule.nn.modules``: ``torch.nn.modules``' import paths for ``chainrule.nn``'s
classes (``from chainrule.nn.modules.linear import Linear``,
``from chainrule.nn.modules.loss import MSELoss``).

Each submodule PyTorch has (``linear``, ``conv``, ``loss``, ``rnn``, ...) is made here as a
view of every ``chainrule.nn`` class, rather than kept as a file of re-exports per path: the
classes live where chainrule keeps them, and a class added to ``chainrule.nn`` is found
under every path at once.

>>> from chainrule.nn.modules.module import Module
>>> from chainrule.nn.modules.conv import Conv2d
>>> Conv2d.__module__
'chainrule.nn.layers'
"""
from __future__ import annotations

import sys as _sys
import types as _types

from .. import __all__ as _nn_all
from .. import __name__ as _nn_name

_nn = _sys.modules[_nn_name]

# torch/nn/modules/*.py, by file name.
SUBMODULES = ("module", "container", "linear", "conv", "activation", "loss", "pooling",
              "batchnorm", "normalization", "instancenorm", "dropout", "rnn", "sparse",
              "flatten", "transformer", "padding", "pixelshuffle", "upsampling", "distance",
              "fold", "channelshuffle", "adaptive")

__all__ = [name for name in _nn_all if isinstance(getattr(_nn, name, None), type)]
globals().update({name: getattr(_nn, name) for name in __all__})

for _path in SUBMODULES:
    _module = _types.ModuleType(f"{__name__}.{_path}",
                                f"``torch.nn.modules.{_path}``'s path to chainrule.nn's classes.")
    _module.__dict__.update({name: getattr(_nn, name) for name in __all__})
    _module.__all__ = list(__all__)
    _sys.modules[_module.__name__] = _module
    globals()[_path] = _module
del _path, _module


def __dir__():  # dir() shows the exports, not the helpers
    return __all__ + list(SUBMODULES)
