"""Constant folding and dead-line removal over a trace's lines, before its program is built.

A value that follows from the program alone (``Recorder.constant``: made by NumPy calls on
literals and other such values, as a Jacobian's identity seeds, the ``zeros`` a rule fills
from them, a ``broadcast_to`` of a literal) is the same on every replay: the program names
the array the trace made instead of making it again. Two things keep a value from being
folded: a write into its memory after it was made (then not every later line saw the
final value), and memory the caller or the state can reach (an output, a gradient handed
back, an array given to a tensor), which must be new on every call.

A matrix product with a folded multiple of the identity (``k·I @ x``, a Jacobian's seeds
meeting a weight) becomes a scaling, ``k * x + 0.0``: bitwise the GEMM's result for finite
``x`` (each output is one rounded product plus zeros, and the GEMM's sum starts at +0, so
a zero comes out +0: ``+ 0.0`` does the same). A non-finite ``x``, where the GEMM's zeros
times inf make NaNs, takes the GEMM.

Then the lines nothing reads are dropped: a value's line while no kept line reads it, a
write while no kept line reads the memory it writes; a line with an effect outside the
program (state, a draw, an optimizer's step) is always kept.
"""
from __future__ import annotations

import re

import numpy as np

from ._recorder import Recorder, uses
from ._traced import Traced, plain

__all__ = ["Plan", "plan", "identity_product"]

_DEF = re.compile(r"s(\d+) = ")
_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


class Plan:
    """What the build does to a trace's lines: ``folded`` (slot -> array, which the program
    names as a global), ``removed`` line indices, ``rewritten`` (index -> line), ``names``
    the program needs, ``saved`` (per pullback: the slots it reads from the replay) and the
    guards still to check (``value_guards``, ``late_guards``: one on a folded value holds)."""

    __slots__ = ("folded", "removed", "rewritten", "names", "saved", "value_guards",
                 "late_guards")

    def __init__(self):
        self.folded, self.removed, self.rewritten, self.names = {}, set(), {}, {}
        self.saved, self.value_guards, self.late_guards = [], [], []

    def line(self, i: int, rec: Recorder) -> str:
        return self.rewritten.get(i, rec.lines[i])


def plan(rec: Recorder, out_exprs, pullbacks) -> Plan:
    """The folding and removals for a trace whose outputs are ``out_exprs``, with the
    backward programs ``pullbacks``."""
    p = Plan()
    arrays = {rec.slot(t): plain(t) for t in rec.keep
              if t.__class__ is Traced and rec.slot(t) is not None}
    made_at = {int(m.group(1)): i for i, m in
               ((i, _DEF.match(line)) for i, line in enumerate(rec.lines)) if m}
    escaping = uses(" ".join(out_exprs))
    for pb in pullbacks:
        escaping.update(g for g in pb.grads if g is not None)
    for i, line in enumerate(rec.lines):
        if not _DEF.match(line) and i not in rec.writes and not line.startswith("_r = "):
            escaping |= uses(line)  # given to the state or to an opaque call
    owners = rec.owners
    reachable = {owners[n] for n in escaping if n in owners}
    p.folded = {n: a for n, a in rec.constant.items()
                if n not in rec.unfoldable and owners[n] not in reachable}
    p.removed = {made_at[n] for n in p.folded}
    p.names = {f"s{n}": a for n, a in p.folded.items()}
    p.value_guards = [g for g in rec.value_guards if uses(g[1]) - set(p.folded)]
    p.late_guards = [g for g in rec.late_guards if uses(g[1]) - set(p.folded)]
    _identity_products(rec, p, arrays)
    in_pullbacks = set()
    for pb in pullbacks:
        span = range(pb.start, pb.end)
        in_pullbacks.update(span)
        kept = _live(rec, p, span, {g for g in pb.grads if g is not None})
        read = set().union(*(uses(p.line(i, rec)) for i in kept))
        made = {n for n, i in made_at.items() if i in span}
        p.saved.append(sorted(read - made - set(p.folded)))
    checks = " ".join([c for _, c in p.value_guards] + [c for _, c, _ in p.late_guards])
    roots = escaping | uses(checks) | {n for saved in p.saved for n in saved}
    _live(rec, p, [i for i in range(len(rec.lines)) if i not in in_pullbacks], roots)
    return p


def _identity_products(rec: Recorder, p: Plan, arrays) -> None:
    """Rewrite each product with a folded multiple of the identity as a scaling."""
    for i, (a, b) in rec.matmuls.items():
        if i in p.removed:
            continue
        n = int(_DEF.match(rec.lines[i]).group(1))
        for ident, x, left in ((a, b, True), (b, a, False)):
            k = _identity_scale(p.folded.get(ident))
            if k is None or x not in arrays:
                continue
            c, xa, res = p.folded[ident], arrays[x], arrays[n]
            if xa.dtype != c.dtype or res.dtype != c.dtype or res.shape != xa.shape:
                continue
            p.names[f"_k{n}"] = c.dtype.type(k)
            p.names["_identity_product"] = identity_product
            p.rewritten[i] = f"s{n} = _identity_product(s{x}, _k{n}, s{ident}, {left})"
            break


def _identity_scale(c):
    """``k`` when ``c`` is ``k`` times the identity matrix (float32/64, k finite and not
    zero), else None."""
    if c is None or c.ndim != 2 or c.shape[0] != c.shape[1] or c.size == 0 or \
            c.dtype not in _FLOATS:
        return None
    k = c[0, 0]
    if k == 0 or not np.isfinite(k) or np.count_nonzero(c) != c.shape[0] or \
            not (c.diagonal() == k).all():
        return None
    return float(k)


def identity_product(x: np.ndarray, k, identity: np.ndarray, left: bool) -> np.ndarray:
    """``identity @ x`` (``left``) or ``x @ identity``, where ``identity`` is ``k`` times
    the identity matrix: ``k * x + 0.0``, bitwise the GEMM's result (see the module
    docstring); the GEMM itself where ``x`` is not finite."""
    if not np.isfinite(x).all():
        return np.matmul(identity, x) if left else np.matmul(x, identity)
    out = np.multiply(x, k, order="C")
    out += 0.0
    return out


def _live(rec: Recorder, p: Plan, indices, roots: set) -> list:
    """The lines among ``indices`` to keep, given the slots read after them (``roots``);
    the others are added to ``p.removed``. Returns the kept indices, in order."""
    live = set(roots) - set(p.folded)
    owners = rec.owners
    live_memory = {owners[n] for n in live if n in owners}
    effects = {i for i, _, _ in rec.effects}
    kept, need_r = [], False
    for i in reversed(list(indices)):
        if i in p.removed:
            continue
        line = p.line(i, rec)
        m = _DEF.match(line)
        if i in effects:
            keep = True
        elif i in rec.writes:
            keep = any(t is None or t not in owners or owners[t] in live_memory
                       for t in rec.writes[i]) or not rec.writes[i]
        elif m is not None:
            keep = int(m.group(1)) in live
        elif line.startswith("_r = "):
            keep, need_r = need_r, False
        else:
            keep = True
        if not keep:
            p.removed.add(i)
            continue
        if m is not None and "= _r[" in line:
            need_r = True
        kept.append(i)
        for n in uses(line):
            # (A folded value is the trace's array: what the program writes is not it.)
            if n not in live and n not in p.folded:
                live.add(n)
                if n in owners:
                    live_memory.add(owners[n])
    return kept[::-1]


def __dir__():
    return __all__
