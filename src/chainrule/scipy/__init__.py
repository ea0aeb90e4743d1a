"""SciPy-compatible differentiable functions: ``chainrule.scipy.special``."""
from . import special

__all__ = ["special"]
