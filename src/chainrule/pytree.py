"""Pytrees: nested tuples, lists, namedtuples and dicts, taken apart into their leaves and
put back together. The transforms in ``chainrule.func`` accept and return them; ``None``
is an empty subtree, and anything else is a leaf.

>>> leaves, spec = tree_flatten({"a": (1, 2), "b": [3]})
>>> leaves
[1, 2, 3]
>>> tree_unflatten(spec, [x * 10 for x in leaves])
{'a': (10, 20), 'b': [30]}
>>> tree_map(str, [1, (2, None)])
['1', ('2', None)]

It imports nothing from chainrule, so any module may use it.
"""
from __future__ import annotations as _annotations

from typing import Any as _Any
from typing import Callable as _Callable

__all__ = ["tree_flatten", "tree_unflatten", "tree_map"]


def tree_flatten(tree) -> tuple[list, _Any]:
    """Leaves (left to right) and a spec to rebuild the structure from them."""
    if isinstance(tree, (tuple, list)) and not hasattr(tree, "_fields"):
        leaves, specs = [], []
        for item in tree:
            sub, spec = tree_flatten(item)
            leaves += sub
            specs.append((len(sub), spec))
        return leaves, (type(tree), specs)
    if isinstance(tree, tuple):  # namedtuple
        leaves, spec = tree_flatten(tuple(tree))
        return leaves, ("namedtuple", type(tree), spec)
    if isinstance(tree, dict):
        keys = list(tree)
        leaves, spec = tree_flatten([tree[k] for k in keys])
        return leaves, ("dict", keys, spec)
    if tree is None:
        return [], None
    return [tree], "leaf"


def tree_unflatten(spec, leaves) -> _Any:
    """Inverse of :func:`tree_flatten`."""
    leaves = list(leaves)
    if spec == "leaf":
        return leaves[0]
    if spec is None:
        return None
    if spec[0] == "dict":
        return dict(zip(spec[1], tree_unflatten(spec[2], leaves)))
    if spec[0] == "namedtuple":
        return spec[1](*tree_unflatten(spec[2], leaves))
    kind, specs = spec
    out, start = [], 0
    for n, sub in specs:
        out.append(tree_unflatten(sub, leaves[start:start + n]))
        start += n
    return kind(out)


def tree_map(fn: _Callable, tree) -> _Any:
    """``tree`` with ``fn`` applied to every leaf."""
    leaves, spec = tree_flatten(tree)
    return tree_unflatten(spec, [fn(x) for x in leaves])
