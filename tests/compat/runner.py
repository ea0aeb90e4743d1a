"""Runs a PyTorch program from ``programs/`` under chainrule by changing only its imports.

``import torch`` becomes ``import chainrule as torch``; ``import torch.nn as nn`` becomes
``import chainrule.nn as nn``; ``from torch.utils.data import X`` becomes
``from chainrule.utils.data import X``; ``import torch.utils.data`` loads
``chainrule.utils.data`` and binds ``torch``. No other line changes: the rest of the program is
PyTorch code that chainrule runs as it is.
"""
from __future__ import annotations

import pathlib
import re
import types

PROGRAMS = pathlib.Path(__file__).parent / "programs"
NAMES = sorted(p.stem for p in PROGRAMS.glob("*.py"))

_IMPORT = re.compile(r"^(\s*)import torch(\s*(#.*)?)$")
_IMPORT_AS = re.compile(r"^(\s*)import torch((?:\.\w+)+) as (\w+)")
_IMPORT_SUB = re.compile(r"^(\s*)import torch((?:\.\w+)+)(\s*(#.*)?)$")
_FROM = re.compile(r"^(\s*)from torch((?:\.\w+)*) import ")


def rewrite_imports(source: str) -> str:
    """The program with its torch imports pointed at chainrule, every other line kept."""
    lines = []
    for line in source.splitlines():
        if _IMPORT.match(line):
            line = _IMPORT.sub(r"\1import chainrule as torch\2", line)
        elif _IMPORT_AS.match(line):
            line = _IMPORT_AS.sub(r"\1import chainrule\2 as \3", line)
        elif _IMPORT_SUB.match(line):  # binds ``torch`` and loads the submodule
            line = _IMPORT_SUB.sub(r"\1import chainrule\2; import chainrule as torch\3", line)
        elif _FROM.match(line):
            line = _FROM.sub(r"\1from chainrule\2 import ", line)
        elif re.match(r"^\s*(import|from)\s+torch\b", line):
            raise ValueError(f"no rewrite rule for the import line {line!r}")
        lines.append(line)
    return "\n".join(lines) + "\n"


def load(name: str, framework: str) -> types.ModuleType:
    """The program ``name`` as a module, importing ``framework`` ('chainrule' or 'torch')."""
    path = PROGRAMS / f"{name}.py"
    source = path.read_text()
    if framework == "chainrule":
        source = rewrite_imports(source)
    module = types.ModuleType(f"compat_{name}_{framework}")
    module.__file__ = str(path)
    exec(compile(source, str(path), "exec"), module.__dict__)
    return module


# Data the programs train on: made here with NumPy, so both frameworks see the same arrays
# and nothing is downloaded. A program receives NumPy arrays, as if it had read them.

def digits(n: int, size: int = 12, classes: int = 10, seed: int = 0):
    """``n`` noisy images (n, 1, size, size) of ``classes`` random prototypes (the same for
    every seed), shifted by up to a pixel, and their int64 labels: a small MNIST."""
    import numpy as np
    prototypes = np.random.default_rng(1000 + size).random((classes, size + 2, size + 2)) < 0.3
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, n)
    shifts = rng.integers(0, 3, (n, 2))
    images = np.stack([prototypes[c, i:i + size, j:j + size]
                       for c, (i, j) in zip(labels, shifts)]).astype(np.float32)
    images += rng.normal(0, 0.3, images.shape).astype(np.float32)
    return images[:, None], labels.astype(np.int64)


def corpus(n: int, vocab: int = 50, seed: int = 0):
    """``n`` int64 tokens of a Markov chain (the same for every seed) whose tokens each have
    three likely successors: text with structure a language model can learn."""
    import numpy as np
    successors = np.random.default_rng(2000 + vocab).integers(0, vocab, (vocab, 3))
    rng = np.random.default_rng(seed)
    tokens = np.empty(n, np.int64)
    tokens[0] = 0
    picks = rng.integers(0, 3, n)
    noise = rng.random(n) < 0.1
    random_tokens = rng.integers(0, vocab, n)
    for t in range(1, n):
        tokens[t] = random_tokens[t] if noise[t] else successors[tokens[t - 1], picks[t]]
    return tokens
