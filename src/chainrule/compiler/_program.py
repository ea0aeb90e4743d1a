"""A trace's program: the generated replay function (guards first, then the values read
from the inputs alone, then the lines, with the checks read from the state where they were
read), and, for outputs a caller will differentiate, the backward program behind them.
"""
from __future__ import annotations

import bisect
import builtins

import numpy as np

from ..autograd.primitives import Primitive, recorded
from ..autograd.tensor import make_tensor
from . import _fold, _fuse
from ._recorder import Recorder

__all__ = ["Program", "Pullback", "MISS", "build"]

MISS = object()  # a replay's answer when a guard does not hold


class Pullback:
    """The backward pass behind output ``index``, traced once (``autograd.grad`` of it with
    respect to every tensor the trace read that requires grad) as lines ``start:end``."""

    __slots__ = ("index", "start", "end", "seed", "grads", "leaves", "saved", "run")

    def __init__(self, index: int, start: int, end: int, seed: int, grads: list, leaves):
        self.index, self.start, self.end, self.seed = index, start, end, seed
        self.grads, self.leaves = grads, leaves  # variable numbers (None: unused); exprs
        self.saved = self.run = None


class Program:
    """One trace: the generated replay function, how outputs come back, the pullbacks."""

    __slots__ = ("replay", "source", "out_spec", "pullbacks")

    def __init__(self, replay, source: str, out_spec, pullbacks):
        self.replay, self.source, self.out_spec = replay, source, out_spec
        self.pullbacks = pullbacks

    def __call__(self, leaves):
        """The outputs of a replay (a list), or MISS."""
        out = self.replay(leaves)
        if out is MISS or not self.pullbacks:
            return out
        n = len(out) - len(self.pullbacks)
        for pb, (saved, tensors) in zip(self.pullbacks, out[n:]):
            out[pb.index] = _differentiable(out[pb.index], pb.run, saved, tensors)
        return out[:n]


def _compiled_vjp(xp, g, ans, inputs, needs, run, saved):
    if not isinstance(g, np.ndarray):
        raise RuntimeError("compile: the output of a compiled function was differentiated "
                           "with create_graph=True (or inside a transform); its backward "
                           "pass was traced once, for first order only: compile the whole "
                           "computation, or call the function uncompiled")
    return run(saved, g)


_COMPILED = Primitive("compiled", lambda *a: None, vjp_all=_compiled_vjp)


def _differentiable(array, run, saved, tensors):
    """A replay's output as a tensor whose one Node runs the traced backward pass."""
    edges = [(t.grad_fn or t) if t._requires_grad else None for t in tensors]
    return recorded(_COMPILED, array, array.dtype, tuple(t._data for t in tensors), edges,
                    (), False, {"run": run, "saved": saved})


def build(rec: Recorder, out_exprs, out_spec, fuse: bool, pullbacks=()) -> Program:
    folding = _fold.plan(rec, out_exprs, pullbacks)
    body = []
    if rec.guards:
        body.append("if not (" + "\n        and ".join(rec.guards) + "):")
        body.append("    return _MISS")
    # Values read from the inputs alone: computed first, before anything changes.
    early = sorted({i for lines, _ in folding.value_guards for i in lines} - folding.removed)
    body += [folding.line(i, rec) for i in early]
    for _, check in folding.value_guards:
        body += [f"if {check}:", "    return _MISS"]
    skip = set(early) | folding.removed
    for pb in pullbacks:
        skip.update(range(pb.start, pb.end))
    numbered = [(i, folding.line(i, rec)) for i in range(len(rec.lines)) if i not in skip]
    late_guards = _moved_to_kept_lines(folding.late_guards, numbered, len(rec.lines))
    kernels = {}
    if fuse:  # (what the backward programs read from the replay is read after it, too)
        saved_text = " ".join(f"s{n}" for saved in folding.saved for n in saved)
        barriers = {i for i, _, _ in rec.effects} | {i for i, _, _ in late_guards}
        steps = {i: step for i, step in rec.elementwise.items()
                 if i not in barriers and i not in folding.rewritten}
        later = " ".join(out_exprs) + " " + " ".join(c for _, c, _ in late_guards) + \
            " " + saved_text
        numbered, kernels = _fuse.fuse(numbered, steps, later)
    body += _with_late_guards(rec, numbered, late_guards)
    extra = []
    sources = []
    for pb, saved in zip(pullbacks, folding.saved):  # each backward pass: its own function
        pb.saved = saved  # the values of the replay it reads
        lines = [folding.line(i, rec) for i in range(pb.start, pb.end)
                 if i not in folding.removed]
        extra.append(f"(({''.join(f's{k}, ' for k in saved)}), "
                     f"[{', '.join(pb.leaves)}])")
        grads = ", ".join("None" if g is None else f"s{g}" for g in pb.grads)
        sources.append(f"def pullback{len(sources)}(S, G):\n"
                       f"    ({''.join(f's{k}, ' for k in saved)}) = S\n" +
                       "".join(f"    {line}\n" for line in lines) + f"    return [{grads}]\n")
    body.append("return [" + ", ".join(list(out_exprs) + extra) + "]")
    source = "\n\n".join(["def replay(A):\n" + "".join(f"    {line}\n" for line in body)]
                         + sources)
    namespace = dict(rec.consts, _MISS=MISS, _as0d=np.asarray, _mk=make_tensor,
                     _item=lambda a: a.item(), **kernels, **folding.names)
    exec(builtins.compile(source, "<chainrule.compile>", "exec"), namespace)
    for j, pb in enumerate(pullbacks):
        pb.run = namespace[f"pullback{j}"]
    return Program(namespace["replay"], source, out_spec, list(pullbacks))


def _moved_to_kept_lines(late_guards, numbered, end: int) -> list:
    """The guards read from the state, each checked before the first line kept at or after
    the one it was read at (the lines between were folded or removed)."""
    kept = [i for i, _ in numbered]
    moved = []
    for i, check, before in late_guards:
        k = bisect.bisect_left(kept, i)
        moved.append((kept[k] if k < len(kept) else end, check, before))
    return moved


def _with_late_guards(rec: Recorder, numbered, late_guards) -> list:
    """The program's lines with the guards read from the state checked in place: before
    the first change each later guard may have to undo, a copy is kept (of a buffer, or a
    generator's state), and a guard that fails puts them back before returning."""
    if not late_guards:
        return [line for _, line in numbered]
    last = late_guards[-1][0]
    backups, at = {}, {}
    for i, kind, target in rec.effects:
        if i < last and kind != "final" and (kind, target) not in backups:
            name = backups[(kind, target)] = f"_b{len(backups)}"
            at.setdefault(i, []).append(
                f"{name} = {target}.copy()" if kind == "array" else
                f"{name} = {target}.bit_generator.state")
    checks = {}
    for i, check, before in late_guards:
        undo = []
        for _, kind, target in reversed(before):
            name = backups[(kind, target)]
            line = (f"{target}[...] = {name}" if kind == "array" else
                    f"{target}.bit_generator.state = {name}")
            if line not in undo:
                undo.append(line)
        checks.setdefault(i, []).append(
            f"if {check}:\n" + "".join(f"        {u}\n" for u in undo) + "        return _MISS")
    out = []
    for i, line in numbered:
        out += at.get(i, []) + checks.get(i, [])
        out.append(line)
    return out + checks.get(len(rec.lines), [])


def __dir__():
    return __all__
