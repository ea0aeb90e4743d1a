"""Hypothesis strategies for tests/test_parity_torch.py: NumPy arguments for one op call.

Every strategy here draws a :class:`Call` (positional and keyword arguments, NumPy arrays
and plain Python values) that the parity harness hands to both chainrule and PyTorch.
Values come from a NumPy generator seeded by hypothesis, so drawing stays fast; shapes,
layouts (contiguous, transposed, strided) and scalar arguments are drawn by hypothesis, so
it explores and shrinks them. Floating arrays become differentiable leaves unless wrapped
in :class:`Const`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

__all__ = ["Call", "Const", "arr", "bshapes", "call", "dim_of", "dims_of", "shapes", "with_x",
           "seeds", "perm_values", "LAYOUTS"]


def __dir__():
    return __all__


LAYOUTS = ("c", "t", "s")
seeds = st.integers(0, 2**32 - 1)


@dataclass
class Const:
    """An array passed to the op as a tensor that does not require grad (targets, weights
    we do not differentiate, float index-like arguments)."""
    value: np.ndarray


@dataclass
class Call:
    """One op call: positional and keyword arguments (NumPy arrays, Const, Python values)."""
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)

    def __repr__(self):
        def show(v):
            if isinstance(v, Const):
                return f"Const({show(v.value)})"
            if isinstance(v, np.ndarray):
                lay = "C" if v.flags.c_contiguous else f"strides={v.strides}"
                vals = f", {v.tolist()}" if 0 < v.size <= 12 else ""
                return f"array({v.dtype}, shape={v.shape}, {lay}{vals})"
            if isinstance(v, (list, tuple)):
                return type(v)(show(e) for e in v).__repr__()
            return repr(v)
        a = ", ".join(str(show(v)) for v in self.args)
        k = ", ".join(f"{n}={show(v)}" for n, v in self.kwargs.items())
        return f"Call({a}{', ' if a and k else ''}{k})"


def shapes(min_dims=0, max_dims=4, min_side=0, max_side=4):
    """Array shapes with small sides (0 allowed by default: empty inputs)."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                            max_side=max_side)


def bshapes(n=2, min_dims=0, max_dims=4, min_side=0, max_side=4):
    """``n`` mutually broadcastable shapes (their inputs only)."""
    return hnp.mutually_broadcastable_shapes(
        num_shapes=n, min_dims=min_dims, max_dims=max_dims, min_side=min_side,
        max_side=max_side).map(lambda b: b.input_shapes)


def perm_values(rng, shape, scale=0.37):
    """Distinct values (a scaled random permutation): no ties for sort-like ops, and
    values at least ``scale`` apart so finite differences and max-picking are stable."""
    n = int(np.prod(shape, dtype=np.int64))
    return ((rng.permutation(n) - n / 2) * scale + 0.05).reshape(shape)


def _layout(a: np.ndarray, lay: str) -> np.ndarray:
    """The same values as ``a`` in a transposed or strided (non-contiguous) view."""
    if lay == "t" and a.ndim >= 2:
        return np.ascontiguousarray(a.T).T
    if lay == "s" and a.ndim >= 1:
        wide = np.zeros(a.shape[:-1] + (a.shape[-1] * 2,), a.dtype)
        wide[..., ::2] = a
        return wide[..., ::2]
    return a


@st.composite
def arr(draw, shape, kind="f", lo=-2.0, hi=2.0, dtype=np.float64, layout=True, ties=True,
        special=None):
    """An array of ``shape`` (a shape or a strategy of shapes).

    kind: "f" uniform floats in [lo, hi), "i" integers in [lo, hi), "b" booleans,
    "perm" distinct floats (tie-free), "unit" in (0, 1). special: values mixed in at
    random positions (0.0, nan, inf).
    """
    if not isinstance(shape, tuple):
        shape = draw(shape)
    rng = np.random.default_rng(draw(seeds))
    if kind == "f":
        a = rng.uniform(lo, hi, size=shape)
    elif kind == "unit":
        a = rng.uniform(0.05, 0.95, size=shape)
    elif kind == "perm" or not ties:
        a = perm_values(rng, shape)
    elif kind == "nan":
        a = np.full(shape, np.nan)
    elif kind == "i":
        a = rng.integers(int(lo), int(hi), size=shape)
        dtype = np.int64 if dtype == np.float64 else dtype
    elif kind == "b":
        a = rng.random(size=shape) < 0.5
        dtype = np.bool_
    else:
        raise ValueError(kind)
    if special is not None and a.size:
        pick = rng.random(size=shape) < 0.3
        a = np.where(pick, rng.choice(np.asarray(special, dtype=np.float64), size=shape), a)
    a = np.asarray(a, dtype=dtype)
    if layout:
        a = _layout(a, draw(st.sampled_from(LAYOUTS)))
    return a


def dim_of(ndim: int, bad: bool = True):
    """A dim for an ``ndim``-d tensor (one past either end too, when ``bad``)."""
    n = max(ndim, 1)
    return st.integers(-n - int(bad), n - 1 + int(bad))


def dims_of(ndim: int, none=True):
    """None, an int dim, or a tuple of distinct dims."""
    opts = [dim_of(ndim, bad=False)]
    if ndim:
        opts.append(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim,
                             unique=True).map(tuple))
    if none:
        opts.append(st.none())
    return st.one_of(*opts)


def call(*args, **kwargs):
    """A Call strategy from strategies (or plain values) for each argument."""
    lift = lambda v: v if isinstance(v, st.SearchStrategy) else st.just(v)  # noqa: E731
    return st.builds(lambda a, k: Call(tuple(a), k), st.tuples(*map(lift, args)),
                     st.fixed_dictionaries({n: lift(v) for n, v in kwargs.items()}))


@st.composite
def with_x(draw, kw: Callable[[tuple], Any] | None = None, shape=None, **arr_kw):
    """``x`` (an array drawn with ``arr_kw``) and keyword arguments ``kw(shape)`` drawn for
    its shape (``kw`` returns a dict of strategies or values)."""
    shp = draw(shape if shape is not None else shapes())
    x = draw(arr(shp, **arr_kw))
    kws = {}
    if kw is not None:
        kws = draw(st.fixed_dictionaries({
            n: (v if isinstance(v, st.SearchStrategy) else st.just(v))
            for n, v in kw(shp).items()}))
    return Call((x,), kws)


def prod(shape) -> int:
    return int(math.prod(shape))
