"""The names the seed documents use where PyTorch's differ, in one place.

chainrule names things as PyTorch does; the seeds (``../shared/seeds``, see DESIGN.md)
used a few other names, and their examples must run as written. Those names are made
here and re-exported by the public modules the seeds reach them through:

==================  ===========================  ====================================
seed name           where the seeds reach it     what it is
==================  ===========================  ====================================
``Variable``        ``chainrule.Variable``       ``Tensor`` (seeds 001, 002)
``nn.Dense``        ``chainrule.nn.Dense``       ``nn.Linear``, with ``weights`` as
                                                 a name for ``weight`` (seed 002)
==================  ===========================  ====================================

Seed names that are methods stay on their classes, where ``help()`` and IDEs find them,
and are listed in :data:`METHODS`; ``draw_graph`` (seed 000) is the function's only name
(``chainrule.viz``), not an alias.

This module imports only ``Tensor``: it sits below every module that re-exports from it.
``Dense`` is made from the ``Linear`` class that ``chainrule.nn`` passes in, since
importing ``nn`` from here would make the two import each other.
"""
from .autograd.tensor import Tensor as _Tensor

__all__ = ["Variable", "make_dense", "METHODS"]

Variable = _Tensor

# Seed methods kept on their classes: (class, method, the seed that uses it, what PyTorch
# does instead). tests/test_module_hygiene.py checks that each exists.
METHODS = (
    ("chainrule.Tensor", "zero_grad", "000, 001", "x.grad.zero_() or x.grad = None"),
    ("chainrule.Tensor", "incr_grad", "001", "x.grad += g"),
    ("chainrule.Tensor", "clear_graph", "000", "let the graph go out of scope"),
)


def make_dense(linear: type) -> type:
    """Seed 002's ``Dense``: a subclass of ``linear`` (``nn.Linear``) whose ``weights`` is
    its ``weight``. Called once, by ``chainrule.nn``."""
    class Dense(linear):
        """Seed 002's name for Linear; ``weights`` is an alias of ``weight``."""

        @property
        def weights(self):
            return self.weight

    # Found by pickle and shown by repr as chainrule.nn.Dense, where users reach it.
    Dense.__module__, Dense.__qualname__ = "chainrule.nn", "Dense"
    return Dense
