"""The per-op floor of a pure-Python engine, next to chainrule, on the benchmark's chain.

The engine below is the least any eager, tape-based engine over NumPy can do per op: one
slotted Tensor and one Node per op, the NumPy call, and in backward one rule call per node.
It has no checks at all: no grad mode, no dtypes, no broadcasting, no in-place version
counters, no hooks, no fan-in (a chain only). Whatever it measures, an engine that keeps
those guarantees pays more. Run it with ``python bench/engine_floor.py``.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from workloads import CHAIN_OPS, chain_data  # noqa: E402

_new = object.__new__


def _mul_vjp(g, c):
    return g * c


def _sin_vjp(g, x):
    return g * np.cos(x)


def _add_vjp(g):
    return g


_CONSTS = {}


def _const(c: float) -> np.ndarray:
    """A Python float as a cached 0-d array (NumPy converts a float anew on every call)."""
    arr = _CONSTS.get(c)
    if arr is None:
        arr = _CONSTS[c] = np.array(c)
    return arr


class Tensor:
    """An array and the node that made it: a node is a tuple (vjp, inputs, parent tensor),
    the cheapest record Python makes, since this engine never frees or revisits one."""
    __slots__ = ("data", "node", "grad")

    def __mul__(self, c):
        c = _const(c)
        t = _new(Tensor)
        t.data, t.node = np.multiply(self.data, c), (_mul_vjp, (c,), self)
        return t

    def __add__(self, c):
        t = _new(Tensor)
        t.data, t.node = np.add(self.data, _const(c)), (_add_vjp, (), self)
        return t

    def sin(self):
        x = self.data
        t = _new(Tensor)
        t.data, t.node = np.sin(x), (_sin_vjp, (x,), self)
        return t


def leaf(data) -> Tensor:
    t = _new(Tensor)
    t.data, t.node = data, None
    return t


def backward(y: Tensor) -> None:
    g = np.ones_like(y.data)
    t = y
    while t.node is not None:
        vjp, inputs, t = t.node
        g = vjp(g, *inputs)
    t.grad = g


def per_op_us(forward, backward_of, rounds: int = 7, reps: int = 200) -> tuple:
    """Best-of-rounds microseconds per op: (forward, forward + backward)."""
    n = CHAIN_OPS + 1
    best_f = best_t = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(reps):
            forward()
        t1 = time.perf_counter()
        for _ in range(reps):
            backward_of(forward())
        t2 = time.perf_counter()
        best_f, best_t = min(best_f, (t1 - t0) / reps), min(best_t, (t2 - t1) / reps)
    return best_f / n * 1e6, best_t / n * 1e6


def main() -> None:
    import chainrule as cr
    x0 = chain_data()

    def floor_forward():
        y = leaf(x0)
        for _ in range(CHAIN_OPS // 3):
            y = (y * 0.9).sin() + 0.1
        return y

    def chainrule_forward():
        y = cr.tensor(x0, requires_grad=True)
        for _ in range(CHAIN_OPS // 3):
            y = (y * 0.9).sin() + 0.1
        return y.sum()

    print(f"elementwise chain, {CHAIN_OPS} ops on {len(x0)} floats: µs per op")
    for name, fwd, bwd in (("engine floor (no checks)", floor_forward, backward),
                           ("chainrule", chainrule_forward, lambda y: y.backward())):
        f, t = per_op_us(fwd, bwd)
        print(f"  {name:26s} forward {f:.2f}  forward+backward {t:.2f}")


if __name__ == "__main__":
    main()
