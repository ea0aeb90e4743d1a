"""The op table's rows for ``nn.functional`` activations, losses, distances and normalizations.

``chainrule.optable`` joins ``ROWS`` into ``OPS``; see there for what a row declares.
"""
from __future__ import annotations

from typing import Tuple

from ._oprow import Op

__all__ = ["ROWS"]

ROWS: Tuple[Op, ...] = ()


def __dir__():  # dir() shows the exports, not the helpers
    return __all__
