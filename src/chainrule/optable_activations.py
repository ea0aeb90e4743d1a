"""The op table's rows for ``nn.functional`` activations, losses, distances and normalizations.

``chainrule.optable`` joins ``ROWS`` into ``OPS``; see there for what a row declares. The
activations here are composites of primitives (``chainrule.nn.activation``); their rows
make the op tests gradcheck them (reverse and forward mode, second order, non-contiguous
inputs). Domains keep the points away from the kinks, where finite differences cannot
agree with any one-sided derivative.
"""
from __future__ import annotations

from typing import Tuple

from ._oprow import Check, Op
from .ops import activations as _act

__all__ = ["ROWS"]

_X = ((2, 3),)  # one input of the default domain (-2, 2)


def _row(name, doc, *checks, uses=()) -> Op:
    return Op(name, None, doc, method=False, free=False, functional=name, uses=uses,
              checks=checks)


ROWS: Tuple[Op, ...] = (
    _row("celu", "max(0, x) + min(0, alpha * (exp(x / alpha) - 1)).", Check(_X),
         Check(_X, kwargs={"alpha": 0.5})),
    _row("selu", "scale * elu(x, alpha) with SELU's constants.", Check(_X)),
    _row("softsign", "x / (1 + |x|).", Check(_X)),
    _row("logsigmoid", "log(sigmoid(x)), stable.", Check(_X, ((-30, 30),))),
    _row("hardsigmoid", "relu6(x + 3) / 6.", Check(_X, ((-5, 5),))),
    _row("hardswish", "x * relu6(x + 3) / 6.", Check(_X, ((-5, 5),))),
    _row("relu6", "min(max(x, 0), 6).", Check(_X, ((-3, 8),))),
    _row("mish", "x * tanh(softplus(x)).", Check(_X, ((-4, 4),))),
    _row("hardtanh", "x limited to [min_val, max_val].", Check(_X),
         Check(_X, args=(-0.5, 1.5))),
    _row("prelu", "x where x > 0, else weight * x, one slope per channel.",
         Check(((2, 3, 4), (3,)), ((-2, 2), (0.1, 0.5))),
         Check(((3, 4), (4,)), ((-2, 2), (0.1, 0.5))),
         # (a one-element weight has no non-contiguous form)
         Check(((2, 3), (1,)), ((-2, 2), (0.1, 0.5)), noncontiguous=False)),
    _row("rrelu", "Randomized leaky ReLU (its evaluation form: the mean slope).", Check(_X),
         Check(_X, args=(0.2, 0.4))),
    _row("glu", "a * sigmoid(b), the halves of x along ``dim``.", Check(((2, 4),)),
         Check(((4, 3),), kwargs={"dim": 0})),
    _row("threshold", "x where x > threshold, else value.", Check(_X, args=(0.3, -1.5))),
    _row("softmin", "softmax(-x) along ``dim``.", Check(((3, 5),), kwargs={"dim": -1}),
         Check(((2, 3, 4),), kwargs={"dim": 1})),
    _row("tanhshrink", "x - tanh(x).", Check(_X)),
    _row("softshrink", "x -+ lambd outside [-lambd, lambd], else 0.", Check(_X),
         Check(_X, args=(1.0,))),
    _row("hardshrink", "x where |x| > lambd, else 0.", Check(_X), Check(_X, args=(1.0,))),
    _row("binary_cross_entropy", "Binary cross-entropy of probabilities (logs clamped at "
         "-100, as PyTorch).",
         Check(((2, 3), (2, 3)), ((0.05, 0.95), (0.0, 1.0))),
         Check(((2, 3), (2, 3), (2, 3)), ((0.05, 0.95), (0.0, 1.0), (0.5, 2.0)),
               kwargs={"reduction": "sum"}),
         uses=(_act.binary_cross_entropy_p,)),
)


def __dir__():  # dir() shows the exports, not the helpers
    return __all__
