"""The loop that runs fused elementwise code (see ``_fuse``), compiled by numba once per
dtype and cached on disk: a program's code is data (an array of instructions), so no
program is compiled on its own, however long.

``regs`` is a register file, one row per value (inputs, constants, results), one column
per element; each instruction ``(op, a, b, out)`` computes row ``out`` from rows ``a`` and
``b`` (``b`` unused by one-input ops), element by element, with NumPy's meaning of ``op``.
"""
from __future__ import annotations

import numpy as np

try:
    import numba
except ImportError:  # the extra is not installed: _fuse says so when fusion is asked for
    numba = None

__all__ = ["OPS", "run"]

# The instruction set: OPS[op] is what instruction ``op`` computes (binary ones first).
OPS = (np.add, np.subtract, np.multiply, np.true_divide, np.maximum, np.minimum,
       np.negative, np.positive, np.sin, np.cos, np.tan, np.arcsin, np.arccos, np.arctan,
       np.sinh, np.cosh, np.tanh, np.exp, np.expm1, np.log, np.log1p, np.sqrt, np.square,
       np.absolute, np.reciprocal)
BINARY = 6


def run(code, regs):  # noqa: C901 (one branch per instruction: the loop stays in numba)
    n = regs.shape[1]
    for j in range(code.shape[0]):
        op, a, b, o = code[j, 0], code[j, 1], code[j, 2], code[j, 3]
        if op == 0:  # add
            for i in range(n):
                regs[o, i] = regs[a, i] + regs[b, i]
        elif op == 1:  # subtract
            for i in range(n):
                regs[o, i] = regs[a, i] - regs[b, i]
        elif op == 2:  # multiply
            for i in range(n):
                regs[o, i] = regs[a, i] * regs[b, i]
        elif op == 3:  # true_divide
            for i in range(n):
                regs[o, i] = regs[a, i] / regs[b, i]
        elif op == 4:  # maximum
            for i in range(n):
                regs[o, i] = np.maximum(regs[a, i], regs[b, i])
        elif op == 5:  # minimum
            for i in range(n):
                regs[o, i] = np.minimum(regs[a, i], regs[b, i])
        elif op == 6:  # negative
            for i in range(n):
                regs[o, i] = np.negative(regs[a, i])
        elif op == 7:  # positive
            for i in range(n):
                regs[o, i] = np.positive(regs[a, i])
        elif op == 8:  # sin
            for i in range(n):
                regs[o, i] = np.sin(regs[a, i])
        elif op == 9:  # cos
            for i in range(n):
                regs[o, i] = np.cos(regs[a, i])
        elif op == 10:  # tan
            for i in range(n):
                regs[o, i] = np.tan(regs[a, i])
        elif op == 11:  # arcsin
            for i in range(n):
                regs[o, i] = np.arcsin(regs[a, i])
        elif op == 12:  # arccos
            for i in range(n):
                regs[o, i] = np.arccos(regs[a, i])
        elif op == 13:  # arctan
            for i in range(n):
                regs[o, i] = np.arctan(regs[a, i])
        elif op == 14:  # sinh
            for i in range(n):
                regs[o, i] = np.sinh(regs[a, i])
        elif op == 15:  # cosh
            for i in range(n):
                regs[o, i] = np.cosh(regs[a, i])
        elif op == 16:  # tanh
            for i in range(n):
                regs[o, i] = np.tanh(regs[a, i])
        elif op == 17:  # exp
            for i in range(n):
                regs[o, i] = np.exp(regs[a, i])
        elif op == 18:  # expm1
            for i in range(n):
                regs[o, i] = np.expm1(regs[a, i])
        elif op == 19:  # log
            for i in range(n):
                regs[o, i] = np.log(regs[a, i])
        elif op == 20:  # log1p
            for i in range(n):
                regs[o, i] = np.log1p(regs[a, i])
        elif op == 21:  # sqrt
            for i in range(n):
                regs[o, i] = np.sqrt(regs[a, i])
        elif op == 22:  # square
            for i in range(n):
                regs[o, i] = np.square(regs[a, i])
        elif op == 23:  # absolute
            for i in range(n):
                regs[o, i] = np.absolute(regs[a, i])
        elif op == 24:  # reciprocal
            for i in range(n):
                regs[o, i] = np.reciprocal(regs[a, i])


if numba is not None:
    run = numba.njit(cache=True)(run)


def __dir__():
    return __all__
