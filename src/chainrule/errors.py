"""The errors chainrule raises, typed so that code written for PyTorch catches them.

PyTorch raises ``RuntimeError`` for most shape, index and value errors, ``IndexError`` for
indices out of range and ``TypeError`` for arguments of the wrong kind; NumPy users expect
``ValueError`` and ``IndexError``. Each class here derives from both families, so either
``except`` clause catches it. Every message names the op, the shapes or dtypes involved,
and what to do.

>>> try:
...     raise OpError("add: shapes (2,) and (3,) do not broadcast")
... except RuntimeError as exc:
...     print(exc)
add: shapes (2,) and (3,) do not broadcast
"""
__all__ = ["OpError", "IndexOutOfRangeError", "OpTypeError"]


class OpError(RuntimeError, ValueError):
    """An op got operands or arguments it cannot work with (shapes that do not broadcast,
    a stride of 0, a negative size): PyTorch's ``RuntimeError``, NumPy's ``ValueError``."""


class IndexOutOfRangeError(IndexError, RuntimeError):
    """An index or class label outside the valid range (negative where that is not
    allowed, or past the end): never wrapped around, never clipped."""


class OpTypeError(TypeError, RuntimeError):
    """An argument of the wrong kind or dtype (a float index, an integer tensor where a
    floating one is needed)."""
