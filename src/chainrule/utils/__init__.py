"""``chainrule.utils``: PyTorch's ``torch.utils`` paths: ``utils.data`` (datasets and
loaders, the same objects as ``chainrule.data``) and ``utils.checkpoint``."""
from . import data
from .checkpoint import checkpoint

__all__ = ["checkpoint", "data"]


def __dir__():  # dir() shows the exports, not the helpers
    return __all__
