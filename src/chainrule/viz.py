"""Drawing the recorded graph as Graphviz DOT text."""
from __future__ import annotations

import os
import shutil
import subprocess
from typing import Union

from .autograd.engine import Node, walk
from .autograd.tensor import Tensor

__all__ = ["graph_to_dot", "draw_graph"]


# Control characters other than tab and newline have no meaning in a label and may upset
# Graphviz's parser; they are shown as spaces.
_CONTROLS = {c: " " for c in range(32) if chr(c) not in "\t\n"}


def _quote(text) -> str:
    """``text`` as a DOT quoted string that shows exactly ``text``: a backslash or a double
    quote in a tensor's name must not end the string (and so start a statement of its
    own) nor act as a Graphviz escape such as ``\\N``; a newline becomes a line break.

    >>> print(_quote('x"]; evil [label="'))
    "x\\"]; evil [label=\\""
    """
    text = str(text).replace("\r\n", "\n").replace("\r", "\n").translate(_CONTROLS)
    text = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{text}"'


def _tensor_label(t: Tensor) -> str:
    name = f"{t.name}\n" if t.name else ""
    return _quote(f"{name}{tuple(t.shape)} {t.dtype}")


def graph_to_dot(root: Tensor) -> str:
    """The graph behind ``root`` as DOT text: ops as boxes (with output shape and dtype),
    leaves as ellipses (filled when they require grad), edges in the forward direction.
    Every id and label is a quoted, escaped DOT string, so names cannot inject statements.

    >>> import chainrule as cr
    >>> x = cr.tensor([1., 2.], requires_grad=True, name="x")
    >>> print(graph_to_dot((x * x).sum()).splitlines()[0])
    digraph chainrule {
    """
    lines = ["digraph chainrule {", "  rankdir=BT;", '  node [fontname="Helvetica", fontsize=10];']
    ids = {}

    def ident(obj) -> str:
        if id(obj) not in ids:
            ids[id(obj)] = _quote(f"n{len(ids)}")
        return ids[id(obj)]

    out = ident(root)
    lines.append(f"  {out} [label={_tensor_label(root)}, shape=ellipse, style=bold];")
    start = root.grad_fn
    if start is None:
        lines.append("}")
        return "\n".join(lines) + "\n"
    lines.append(f"  {ident(start)} -> {out};")
    for obj in walk([start]):  # every node and leaf once
        if type(obj) is not Node:
            lines.append(f"  {ident(obj)} [label={_tensor_label(obj)}, shape=ellipse, "
                         f'style=filled, fillcolor="lightblue"];')
            continue
        label = _quote(f"{obj.name}\n{tuple(obj.shape)} {obj.dtype}")
        lines.append(f"  {ident(obj)} [label={label}, shape=box];")
        for edge in obj.edges or ():
            if edge is not None:
                lines.append(f"  {ident(edge)} -> {ident(obj)};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def draw_graph(root: Tensor, path: Union[str, os.PathLike]) -> str:
    """Write the graph behind ``root`` to ``path`` (seed 000's ``draw_graph``); returns the
    DOT text. ``.dot`` (or ``.gv``) writes DOT; ``.svg``, ``.png`` and ``.pdf`` are rendered
    by Graphviz's ``dot`` program, which must be installed (``apt install graphviz``)."""
    dot = graph_to_dot(root)
    path = os.fspath(path)
    ext = os.path.splitext(path)[1].lower()
    if ext in (".dot", ".gv"):
        with open(path, "w", encoding="utf-8") as f:  # Graphviz's default charset
            f.write(dot)
        return dot
    if ext not in (".svg", ".png", ".pdf"):
        raise ValueError(f"draw_graph: unknown output type {ext!r}; use .dot, .svg, .png or .pdf")
    program = shutil.which("dot")
    if program is None:
        raise RuntimeError(f"draw_graph: rendering {ext} needs Graphviz's `dot` program, which "
                           f"is not installed (apt install graphviz, or brew install graphviz); "
                           f"write a .dot file instead")
    subprocess.run([program, f"-T{ext[1:]}", "-o", path], input=dot.encode(), check=True)
    return dot


def __dir__():  # dir() and tab completion show what the module exports, not its helpers
    return __all__
