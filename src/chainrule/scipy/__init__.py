"""SciPy-compatible differentiable functions: ``chainrule.scipy.special``."""
from . import special  # noqa: F401
