"""The op table's rows for elementwise math, sorting, scans and statistics beyond the core set.

``chainrule.optable`` joins ``ROWS`` into ``OPS``; see there for what a row declares.
"""
from __future__ import annotations

from typing import Tuple

import numpy as _np

from ._oprow import _B, _M, Check, Op, _binary, _reduction
from .ops import elementwise as _ew
from .ops import reduce as _re
from .ops import sort as _so

__all__ = ["ROWS"]

_TESTS = "tests/test_ops_surface_math.py"  # where the ops without a gradient are tested

ROWS: Tuple[Op, ...] = (
    # ----- elementwise -------------------------------------------------------------------
    _binary("copysign", _ew.copysign, "|x| with the sign of y (gradient 0 to y).",
            numpy=("copysign",)),
    _binary("xlogy", _ew.xlogy, "x * log(y), 0 where x == 0 (NaN where y is NaN).",
            (-2, 2), (0.1, 3), numpy=()),
    Op("lerp", _ew.lerp, "input + weight * (end - input); weight a number or a tensor.",
       checks=(Check(((2, 3), (2, 3)), ((-2, 2), (-2, 2)), args=(0.3,)),
               Check(((2, 3), (2, 3)), ((-2, 2), (-2, 2)), args=(0.8,)),
               Check(((2, 3), (3,), (2, 3)), ((-2, 2), (-2, 2), (0, 1))))),
    Op("logit", _ew.logit, "log(p / (1 - p)), p clamped to [eps, 1 - eps] when eps is given.",
       checks=(Check(((2, 3),), ((0.1, 0.9),)),
               Check(((2, 3),), ((0.05, 0.95),), kwargs={"eps": 0.2}))),
    Op("frac", _ew.frac, "x - trunc(x), the fractional part (gradient 1).",
       checks=(Check(((2, 3),), ((-3, 3),)),)),
    Op("sgn", _ew.sgn, "sign(x) for real tensors, z / |z| for complex ones.",
       checks=(Check(((2, 3),), ((0.1, 2),)),)),
    Op("float_power", _ew.float_power, "input ** exponent in float64 (complex128).",
       checks=(Check(((2, 3), (2, 3)), ((0.2, 2), (-2, 2))),
               Check(((2, 3),), ((0.2, 2),), args=(2.5,)))),
    Op("isclose", _ew.isclose, "|x - y| <= atol + rtol * |y|, elementwise.", grad=False,
       tested_in=_TESTS),
    Op("allclose", _ew.allclose, "Whether isclose holds everywhere (a Python bool).",
       grad=False, tested_in=_TESTS),
    Op("nan_to_num", _ew.nan_to_num, "NaN, +inf and -inf replaced by finite values.",
       checks=(Check(((2, 3),)),)),

    # ----- sorting, selection and scans --------------------------------------------------
    Op("sort", _so.sort, "The values along ``dim`` in order, and their indices.",
       checks=(Check((_M,)), Check((_B,), kwargs={"dim": 1, "descending": True}),
               Check(((),)))),
    Op("argsort", _so.argsort, "The indices that sort ``dim``.", grad=False,
       tested_in=_TESTS),
    Op("msort", _so.msort, "Sorted along dim 0.", checks=(Check((_M,)),)),
    Op("topk", _so.topk, "The k largest (or smallest) values along ``dim``, and indices.",
       checks=(Check((_M,), args=(2,)),
               Check((_B,), args=(2,), kwargs={"dim": 0, "largest": False}))),
    Op("kthvalue", _so.kthvalue, "The k-th smallest value along ``dim``, and its index.",
       checks=(Check((_M,), args=(2,)),
               Check((_B,), args=(1,), kwargs={"dim": 1, "keepdim": True}))),
    Op("median", _so.median, "The lower median; with ``dim``, values and indices.",
       checks=(Check((_M,)), Check((_B,), kwargs={"dim": 1}),
               Check((_B,), kwargs={"dim": -1, "keepdim": True}))),
    Op("mode", _so.mode, "The most frequent value along ``dim``, and its last index.",
       checks=(Check((_M,)), Check((_B,), kwargs={"dim": 0, "keepdim": True}))),
    Op("cummax", _so.cummax, "The running maximum along ``dim``, and its indices.",
       checks=(Check((_M,), args=(1,)), Check((_B,), args=(0,)))),
    Op("cummin", _so.cummin, "The running minimum along ``dim``, and its indices.",
       checks=(Check((_M,), args=(1,)), Check((_B,), args=(0,)))),
    Op("logcumsumexp", _so.logcumsumexp, "log(cumsum(exp(x))) along ``dim``.",
       checks=(Check((_M,), args=(1,)), Check((_B,), args=(0,)), Check(((),), args=(0,)))),
    Op("searchsorted", _so.searchsorted, "Insertion points into a sorted sequence.",
       method=False, grad=False, tested_in=_TESTS),
    Op("bucketize", _so.bucketize, "The bucket of each value among sorted boundaries.",
       method=False, grad=False, tested_in=_TESTS),
    Op("unique", _so.unique, "The distinct values (inverse indices, counts).", grad=False,
       tested_in=_TESTS),

    # ----- statistics --------------------------------------------------------------------
    Op("quantile", _so.quantile, "The q-th quantiles over ``dim`` (q a number or 1-D).",
       checks=(Check((_M,), args=(0.3,)),
               Check((_B,), args=(0.6,), kwargs={"dim": 1, "keepdim": True}),
               Check((_B,), args=(_np.array([0.2, 0.7]),), kwargs={"dim": -1}),
               Check((_M,), args=(0.4,), kwargs={"dim": 0, "interpolation": "midpoint"}),
               Check((_M,), args=(0.4,), kwargs={"dim": 1, "interpolation": "nearest"}))),
    _reduction("var_mean", _re.var_mean, "(var, mean) over ``dim``.", method=False,
               axes=({}, {"dim": 1}, {"dim": (0, 2), "keepdim": True},
                     {"dim": 1, "correction": 0})),
    _reduction("std_mean", _re.std_mean, "(std, mean) over ``dim``.", method=False,
               axes=({}, {"dim": 1}, {"dim": -1, "keepdim": True})),
    _reduction("nansum", _re.nansum, "Sum over ``dim``, NaN counted as 0."),
    _reduction("nanmean", _re.nanmean, "Mean over ``dim`` of the values that are not NaN."),
    Op("count_nonzero", _re.count_nonzero, "The number of nonzero elements over ``dim``.",
       grad=False, tested_in=_TESTS),
    _reduction("aminmax", _re.aminmax, "(min, max) over ``dim``.",
               axes=({}, {"dim": 1}, {"dim": -1, "keepdim": True})),
)


def __dir__():  # dir() and tab completion show what the module exports, not its helpers
    return __all__
