"""PyTorch-style free functions (``chainrule.exp(x)``, ``chainrule.sum(x, dim=0)``, ...),
made from the op table (``chainrule.optable``): the same ops the Tensor methods use. Their
signatures are in the committed stub ``functional.pyi``."""
from . import _surface

_FREE = _surface.free_table()
globals().update(_FREE)

__all__ = sorted(_FREE)
