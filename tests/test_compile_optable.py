"""chainrule.compile over every op-table row: a step that runs the op and takes the
gradient of its squared output, and the Hessian of that square's sum, replay bitwise on new
inputs (the trace's constants folded, its dead lines dropped), or run eagerly with one
warning; never a stale replay."""
import warnings

import pytest

import chainrule as cr
from conftest import same_bits
from test_batched_pullback import ROWS
from test_optable import _first, _inputs


def _step(fn):
    def step(*xs):
        out = _first(fn(*xs))
        if isinstance(out, cr.Tensor) and out.requires_grad and out.dtype.kind == "f":
            wrt = [x for x in xs if isinstance(x, cr.Tensor) and x.requires_grad]
            grads = cr.autograd.grad((out * out).sum(), wrt, allow_unused=True)
            return out.detach(), [g for g in grads if g is not None]
        return out, []
    return step


def _scaled(xs):
    return [cr.tensor(x.detach().numpy() * 0.97, requires_grad=x.requires_grad)
            if isinstance(x, cr.Tensor) and x.dtype.kind == "f" else x for x in xs]


def _hessian(fn):
    def squared(x, *rest):
        out = _first(fn(x, *rest))
        out = out[0] if isinstance(out, (tuple, list)) else out
        return (out * out).sum()
    return cr.func.hessian(squared)


def _replays(fn, xs, make=_step):
    """Whether the compiled ``make(fn)`` fell back to eager; asserts every call equals
    eager."""
    step = make(fn)
    compiled = cr.compile(step)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for inputs in (xs, _scaled(xs), xs):
            want = step(*inputs)
            assert same_bits(compiled(*inputs), want)
    messages = [str(w.message) for w in caught]
    return any("runs uncompiled" in m for m in messages)


@pytest.mark.parametrize("name,fn,shapes,domain,noncontiguous", ROWS,
                         ids=[f"{r[0]}{r[2]}" for r in ROWS])
def test_every_row_replays_bitwise_or_runs_eagerly(name, fn, shapes, domain, noncontiguous):
    _replays(fn, _inputs(shapes, domain, noncontiguous))


def _hessian_inputs(shapes, domain, noncontiguous):
    """Plain copies of the row's inputs (the Hessian's own leaves), or None unless they are
    all float tensors."""
    xs = _inputs(shapes, domain, noncontiguous)
    if not xs or not all(isinstance(x, cr.Tensor) and x.dtype.kind == "f" for x in xs):
        return None
    return [cr.tensor(x.detach().numpy()) for x in xs]


HESSIAN_ROWS = [r for r in ROWS if _hessian_inputs(*r[2:]) is not None]


@pytest.mark.parametrize("name,fn,shapes,domain,noncontiguous", HESSIAN_ROWS,
                         ids=[f"{r[0]}{r[2]}" for r in HESSIAN_ROWS])
def test_every_row_hessian_replays_bitwise_or_runs_eagerly(name, fn, shapes, domain,
                                                           noncontiguous):
    _replays(fn, _hessian_inputs(shapes, domain, noncontiguous), make=_hessian)


def test_almost_every_row_compiles():
    """The checks above are not fallbacks in disguise: count the rows that replay."""
    fell_back = [r[0] for r in ROWS if _replays(r[1], _inputs(*r[2:]))]
    # (scatter and scatter_reduce read their index values into Python)
    assert all(n.startswith("scatter") for n in fell_back), fell_back
    assert len(fell_back) <= len(ROWS) // 40
    assert len(HESSIAN_ROWS) >= len(ROWS) * 9 // 10
    fell_back = [name for name, fn, *case in HESSIAN_ROWS
                 if _replays(fn, _hessian_inputs(*case), make=_hessian)]
    # (and max_pool2d's double backward writes into an array made outside the step)
    assert all(n.startswith(("scatter", "max_pool")) for n in fell_back), fell_back
    assert len(fell_back) <= len(ROWS) // 40
