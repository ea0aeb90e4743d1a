"""chainrule.compile over the seeds' examples (tests/seeds/): each example's computation,
forward and backward, compiled, replays bitwise eager's on new inputs, with no fallback."""
import warnings

import numpy as np
import pytest

import chainrule as cr
from chainrule.autograd.primitives import Primitive, defvjp
from conftest import same_bits


def tinyrl_complete(x, y):  # seed 000: loss = sum((x + y) * x)
    loss = cr.sum((x + y) * x)
    return cr.autograd.grad(loss, [x, y]) + (loss.detach(),)


def blog_shared_t2(t1, t2, t5):  # seed 003: t2 reaches the loss along two paths
    loss = ((t1 + t2) * (t2 * t5)).sin()
    return cr.autograd.grad(loss, [t1, t2, t5])


def lamppp_exp(x):  # seed 001: gradient flow through exp
    return cr.autograd.grad(cr.sum(cr.exp(x * x)), [x])


def lamppp_regression_step(weights, bias, inputs, target):  # seed 001's training loop
    loss = cr.mean((cr.matmul(inputs, weights) + bias - target) ** 2)
    gw, gb = cr.autograd.grad(loss, [weights, bias])
    return weights.detach() - 0.1 * gw, bias.detach() - 0.1 * gb, loss.detach()


_cube = Primitive("cube", lambda x: x ** 3)
defvjp(_cube, lambda xp, g, ans, x: g * 3 * x ** 2)
_softclip = Primitive("softclip", lambda x, limit: limit * np.tanh(x / limit), saves=(0,),
                      saves_ans=False)
defvjp(_softclip, lambda xp, g, ans, x, limit: g * (1 - xp.tanh(x / limit) ** 2))


def vjp_user_primitives(x):  # seed 004: user-defined primitives, differentiated twice
    (g,) = cr.autograd.grad((_cube(x) + _softclip(x, limit=2.0)).sum(), x, create_graph=True)
    (h,) = cr.autograd.grad(g.sum(), x)
    return g.detach(), h


def _f64(rng, *shape):
    return cr.tensor(rng.standard_normal(shape), dtype=cr.float64, requires_grad=True)


CASES = {
    "tinyrl_complete": (tinyrl_complete, lambda r: (_f64(r, 2, 2), _f64(r, 2, 2))),
    "blog_shared_t2": (blog_shared_t2, lambda r: (_f64(r), _f64(r), _f64(r))),
    "lamppp_exp": (lamppp_exp, lambda r: (_f64(r, 2),)),
    "lamppp_regression_step": (lamppp_regression_step, lambda r: (
        _f64(r, 3, 1), _f64(r, 1), cr.tensor(r.standard_normal((64, 3))),
        cr.tensor(r.standard_normal((64, 1))))),
    "vjp_user_primitives": (vjp_user_primitives, lambda r: (_f64(r, 3),)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_seed_example_replays_bitwise(name):
    fn, make = CASES[name]
    compiled = cr.compile(fn)
    rng = np.random.default_rng(sum(map(ord, name)))
    with warnings.catch_warnings():
        warnings.filterwarnings("error", "compile")  # a fallback would test nothing
        for _ in range(4):
            inputs = make(rng)
            assert same_bits(compiled(*inputs), fn(*inputs))
    assert sum(len(v) for v in compiled._programs.values()) == 1
