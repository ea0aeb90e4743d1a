"""The primitives, by family. Each primitive is defined once, with its rules beside it."""

__all__ = []  # the package holds only its submodules, which dir() shows
