"""The primitives, by family. Each primitive is defined once, with its rules beside it."""
