"""Drawing the recorded graph as Graphviz DOT text."""
from __future__ import annotations

import os
from typing import Union

from .autograd.engine import Node
from .autograd.tensor import Tensor


def _tensor_label(t: Tensor) -> str:
    name = f"{t.name}\\n" if t.name else ""
    return f"{name}{tuple(t.shape)} {t.dtype}"


def graph_to_dot(root: Tensor) -> str:
    """The graph behind ``root`` as DOT text: ops as boxes (with output shape and dtype),
    leaves as ellipses (filled when they require grad), edges in the forward direction.

    >>> import chainrule as cr
    >>> x = cr.tensor([1., 2.], requires_grad=True, name="x")
    >>> print(graph_to_dot((x * x).sum()).splitlines()[0])
    digraph chainrule {
    """
    lines = ["digraph chainrule {", "  rankdir=BT;", '  node [fontname="Helvetica", fontsize=10];']
    ids = {}

    def ident(obj) -> str:
        if id(obj) not in ids:
            ids[id(obj)] = f"n{len(ids)}"
        return ids[id(obj)]

    out = ident(root)
    lines.append(f'  {out} [label="{_tensor_label(root)}", shape=ellipse, style=bold];')
    start = root.grad_fn
    if start is None:
        lines.append("}")
        return "\n".join(lines) + "\n"
    lines.append(f"  {ident(start)} -> {out};")
    seen, stack = {id(start)}, [start]
    while stack:
        node = stack.pop()
        label = f"{node.name}\\n{tuple(node.shape)} {node.dtype}"
        lines.append(f'  {ident(node)} [label="{label}", shape=box];')
        for edge in node.edges or ():
            if edge is None:
                continue
            if type(edge) is Node:
                lines.append(f"  {ident(edge)} -> {ident(node)};")
                if id(edge) not in seen:
                    seen.add(id(edge))
                    stack.append(edge)
            else:
                leaf = ident(edge)
                if id(edge) not in seen:
                    seen.add(id(edge))
                    lines.append(f'  {leaf} [label="{_tensor_label(edge)}", shape=ellipse, '
                                 f'style=filled, fillcolor="lightblue"];')
                lines.append(f"  {leaf} -> {ident(node)};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def draw_graph(root: Tensor, path: Union[str, os.PathLike]) -> str:
    """Write the graph behind ``root`` to ``path`` as DOT (seed 000's ``draw_graph``);
    returns the DOT text. Render it with ``dot -Tpng graph.dot -o graph.png``."""
    dot = graph_to_dot(root)
    path = os.fspath(path)
    if not path.endswith(".dot"):
        raise NotImplementedError(f"draw_graph: only .dot output is available yet, got {path!r}; "
                                  f"render the DOT file with Graphviz")
    with open(path, "w") as f:
        f.write(dot)
    return dot
