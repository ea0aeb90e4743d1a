"""Elementwise fusion for compiled programs (``cr.compile(fn, fuse=True)``; needs numba).

A run of consecutive program lines that are each one elementwise ufunc (``sin``,
``multiply``, ...) on arrays of one shape and float dtype, or on scalars, becomes one
call of a small numba loop (``_vm.run``) over a register file: one row per value, the
run's instructions as an integer array. On small arrays a NumPy call is mostly overhead,
so a 300-op chain runs as a few calls; nothing is compiled per program (the loop is
compiled once, and cached on disk), so tracing stays fast however long the program.

What changes: arithmetic (``+ - * /``, ``sqrt``) is IEEE in both, so bitwise the same; the
transcendental functions (``sin``, ``exp``, ``tanh``, ...) come from numba's math library
instead of NumPy's own loops and may differ in the last bit or two. Fused values are
C-ordered rows of the register file.
"""
from __future__ import annotations

import math
import re

import numpy as np

from ._traced import Traced

__all__ = ["FUSIBLE", "fuse", "elementwise_operands"]

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
_USES = re.compile(r"\bs(\d+)\b")
_MAX_BYTES = 32 << 20  # a register file larger than this is not made: the group stays NumPy


def _ops():
    from ._vm import OPS
    return {u: i for i, u in enumerate(OPS)}


FUSIBLE = set(_ops())


def elementwise_operands(rec, ufunc, args, kwargs, res):
    """The operands of a fusible ufunc call, as ("slot", n) or ("const", float); None when
    the call is not one (keywords, broadcasting, a dtype change, a non-float result)."""
    if ufunc not in FUSIBLE or kwargs or not isinstance(res, np.ndarray) or \
            res.dtype not in _FLOATS:
        return None
    operands = []
    for a in args:
        if isinstance(a, np.ndarray):
            n = rec.slot(a) if a.__class__ is Traced else None
            if n is not None and a.shape == res.shape and a.dtype == res.dtype:
                operands.append(("slot", n))
            else:  # (a 0-d array is not a constant: a traced one changes with the inputs,
                return None  # and a plain one may be written between calls)
        elif isinstance(a, (float, int, np.floating)) and not isinstance(a, bool):
            operands.append(("const", float(a)))
        else:
            return None
    if not any(kind == "slot" for kind, _ in operands):
        return None
    return operands


def fuse(numbered, steps, later_text: str):
    """``numbered``: the program's (index, line) pairs; ``steps``: index -> (ufunc, operands,
    result slot, shape, dtype) for the fusible lines; ``later_text``: what reads values
    after the lines (outputs, checks). Returns the pairs with each run of two or more
    fusible lines of one shape and dtype replaced by a call of the fused loop, and the
    names those calls use. Values a run makes live in its register file (one per shape
    and dtype, made once per replay); the lines that are not fused read views of rows."""
    runs = _runs(numbered, steps)
    if not runs:
        return numbered, {}
    vm = _numba_run()
    codes = _ops()
    in_runs = {k for a, b in runs for k in range(a, b + 1)}
    read_outside = _reads_outside(numbered, in_runs, later_text)
    files = {}  # (shape, dtype) -> _RegisterFile
    for a, b in runs:
        step = steps[numbered[a][0]]
        files.setdefault((step[3], step[4]), _RegisterFile(step[3], step[4]))
    for regs in files.values():
        for a, b in runs:
            if steps[numbered[a][0]][3:5] == (regs.shape, regs.dtype):
                for k in range(a, b + 1):
                    regs.plan(steps[numbered[k][0]])
    out, names = [], {"_vm": vm}
    starts = dict(runs)
    made_here = set()
    k = 0
    while k < len(numbered):
        if k not in starts:
            out.append(numbered[k])
            k += 1
            continue
        end = starts[k]
        run = [steps[numbered[i][0]] for i in range(k, end + 1)]
        regs = files[(run[0][3], run[0][4])]
        if not regs.fits():
            out += numbered[k:end + 1]
            k = end + 1
            continue
        lines = []
        if regs.name not in made_here:
            made_here.add(regs.name)
            names[regs.name + "_init"] = regs.template()
            lines.append(f"{regs.name} = {regs.name}_init.copy()")
        made = {st[2] for st in run}
        for slot in regs.inputs_of(run):
            if slot not in regs.results:  # made by a NumPy line: copied in, now
                lines.append(f"{regs.name}[{regs.row[slot]}] = s{slot}.reshape(-1)")
        code_name = f"{regs.name}_code{len(names)}"
        names[code_name] = regs.code(run, codes)
        lines.append(f"_vm({code_name}, {regs.name})")
        for slot in sorted(made & read_outside[end], key=lambda x: regs.row[x]):
            lines.append(f"s{slot} = {regs.name}[{regs.row[slot]}].reshape({regs.shape!r})")
        out.append((numbered[k][0], "\n    ".join(lines)))
        k = end + 1
    return out, names


def _runs(numbered, steps) -> list:
    """(first, last) positions of the runs of two or more fusible lines of one shape and
    dtype."""
    runs, k = [], 0
    while k < len(numbered):
        step = steps.get(numbered[k][0])
        end = k
        if step is not None:
            while end + 1 < len(numbered):
                nxt = steps.get(numbered[end + 1][0])
                if nxt is None or nxt[3:5] != step[3:5]:
                    break
                end += 1
        if end > k:
            runs.append((k, end))
        k = end + 1
    return runs


def _reads_outside(numbered, in_runs, later_text: str) -> list:
    """For each position, the variables that lines after it, other than fused ones, read."""
    outside = {int(u) for u in _USES.findall(later_text)}
    after = [None] * len(numbered)
    for k in range(len(numbered) - 1, -1, -1):
        after[k] = set(outside)
        if k not in in_runs:
            outside |= {int(u) for u in _USES.findall(numbered[k][1])}
    return after


class _RegisterFile:
    """The rows of one shape and dtype: each value a fused run reads or makes, and each
    constant, gets one."""

    count = 0

    def __init__(self, shape, dtype):
        self.shape, self.dtype = shape, dtype
        self.size = math.prod(shape)
        self.row, self.consts, self.results = {}, {}, set()
        self.name = f"_R{_RegisterFile.count}"
        _RegisterFile.count += 1

    def plan(self, step) -> None:
        for kind, value in step[1]:
            if kind == "slot":
                self.row.setdefault(value, len(self.row) + len(self.consts))
            elif value not in self.consts:
                self.consts[value] = len(self.row) + len(self.consts)
        self.row.setdefault(step[2], len(self.row) + len(self.consts))
        self.results.add(step[2])

    def fits(self) -> bool:
        rows = len(self.row) + len(self.consts)
        return rows * self.size * self.dtype.itemsize <= _MAX_BYTES

    def template(self) -> np.ndarray:
        regs = np.zeros((len(self.row) + len(self.consts), self.size), self.dtype)
        for value, r in self.consts.items():
            regs[r] = value  # rounded to the dtype, as NumPy rounds a Python float operand
        return regs

    def inputs_of(self, run) -> list:
        made, seen = set(), []
        for _, operands, slot, _, _ in run:
            for kind, value in operands:
                if kind == "slot" and value not in made and value not in seen:
                    seen.append(value)
            made.add(slot)
        return seen

    def code(self, run, codes) -> np.ndarray:
        code = np.zeros((len(run), 4), np.int64)
        for j, (ufunc, operands, slot, _, _) in enumerate(run):
            rows = [self.row[v] if kind == "slot" else self.consts[v] for kind, v in operands]
            code[j] = (codes[ufunc], rows[0], rows[-1], self.row[slot])
        return code


def _numba_run():
    from ._vm import run
    _numba()
    return run


def _numba():
    try:
        import numba
    except ImportError as exc:
        raise ImportError("compile(fuse=True) needs numba: pip install 'chainrule[compile]'"
                          ) from exc
    return numba


def __dir__():
    return __all__
