"""Every op's public surface, declared once.

One row per op: the implementation (a primitive, for the elementwise ops whose Tensor
methods take the fast paths, or a front-end function taking the tensor first), the Tensor
method names, the ``chainrule.*`` names, the operators, the in-place variant, the NumPy
ufuncs it answers for, the ``nn.functional`` name, and how the op tests exercise it.
``chainrule._surface`` makes the methods, the free functions and the ufunc dispatch from
these rows; ``tests/test_optable.py`` gradchecks every row and fails when a primitive has no
row or a row no test. Adding an op is one primitive and one row here.

>>> from chainrule.optable import row
>>> row("tanh").numpy, row("tanh").inplace
(('tanh',), True)
"""
from __future__ import annotations

from typing import Tuple

import numpy as _np

from .ops import elementwise as _ew
from .ops import fft as _fft
from .ops import frontends as _fr
from .ops import index as _ix
from .ops import linalg as _linalg
from .ops import reduce as _reduce
from .ops import shape as _sh
from . import sampling as _sampling
from .scipy import special as _special
from . import optable_activations as _optable_activations
from . import optable_math as _optable_math
from . import optable_nn as _optable_nn
from ._oprow import (_AXES, _B, _M, Check, Op, _binary, _predicate, _reduction,  # noqa: F401
                     _shape_op, _unary)

__all__ = ["Op", "Check", "OPS", "CONVERSIONS", "PROPERTIES", "row"]


_ = None  # (no primitive: the row only names a front-end)

OPS: Tuple[Op, ...] = (
    # ----- one-input elementwise ---------------------------------------------------------
    _unary("neg", _ew.neg, "Negation, -x.", aliases=("negative",), inplace=True,
           operators=("__neg__",),
           numpy=("negative",)),
    _unary("positive", _ew.positive, "The input itself, +x.", method=False,
           operators=("__pos__",)),
    _unary("abs", _ew.absolute, "Absolute value (the modulus of a complex number).", (0.1, 2),
           aliases=("absolute",), numpy=("absolute", "abs", "fabs"), operators=("__abs__",)),
    _unary("exp", _ew.exp, "Exponential, e**x.", inplace=True),
    _unary("exp2", _ew.exp2, "2**x."),
    _unary("expm1", _ew.expm1, "exp(x) - 1, exact for small x."),
    _unary("log", _ew.log, "Natural logarithm.", (0.1, 3)),
    _unary("log1p", _ew.log1p, "log(1 + x), exact for small x.", (-0.5, 3)),
    _unary("log2", _ew.log2, "Base-2 logarithm.", (0.1, 3)),
    _unary("log10", _ew.log10, "Base-10 logarithm.", (0.1, 3)),
    _unary("sqrt", _ew.sqrt, "Square root.", (0.1, 3)),
    _unary("rsqrt", _ew.rsqrt, "1 / sqrt(x).", (0.1, 3), numpy=()),
    _unary("cbrt", _ew.cbrt, "Cube root.", (0.1, 3), method=False, free=False),
    _unary("square", _ew.square, "x * x."),
    _unary("reciprocal", _ew.reciprocal, "1 / x.", (0.5, 3)),
    _unary("sin", _ew.sin, "Sine.", (-3, 3)),
    _unary("cos", _ew.cos, "Cosine.", (-3, 3)),
    _unary("tan", _ew.tan, "Tangent.", (-1.2, 1.2)),
    _unary("asin", _ew.arcsin, "Inverse sine.", (-0.9, 0.9), aliases=("arcsin",),
           numpy=("arcsin",)),
    _unary("acos", _ew.arccos, "Inverse cosine.", (-0.9, 0.9), aliases=("arccos",),
           numpy=("arccos",)),
    _unary("atan", _ew.arctan, "Inverse tangent.", (-3, 3), aliases=("arctan",),
           numpy=("arctan",)),
    _unary("sinh", _ew.sinh, "Hyperbolic sine."),
    _unary("cosh", _ew.cosh, "Hyperbolic cosine."),
    _unary("tanh", _ew.tanh, "Hyperbolic tangent.", inplace=True, functional="tanh"),
    _unary("asinh", _ew.arcsinh, "Inverse hyperbolic sine.", aliases=("arcsinh",),
           numpy=("arcsinh",)),
    _unary("acosh", _ew.arccosh, "Inverse hyperbolic cosine.", (1.1, 3), aliases=("arccosh",),
           numpy=("arccosh",)),
    _unary("atanh", _ew.arctanh, "Inverse hyperbolic tangent.", (-0.9, 0.9),
           aliases=("arctanh",), numpy=("arctanh",)),
    _unary("sigmoid", _ew.sigmoid, "The logistic function 1 / (1 + exp(-x)).", (-4, 4),
           inplace=True, numpy=(), functional="sigmoid"),
    _unary("relu", _ew.relu, "max(x, 0).", inplace=True, numpy=(), functional="relu"),
    Op("silu", _fr._silu, "x * sigmoid(x).", uses=(_ew.silu,), functional="silu",
       checks=(Check(((2, 3),), ((-3, 3),)),)),
    _unary("erf", _ew.erf, "The error function.", numpy=()),
    _unary("sign", _ew.sign, "-1, 0 or 1 by the sign of x (gradient 0).", (0.1, 2)),
    _unary("floor", _ew.floor, "Largest integer <= x (gradient 0).", second_order=False),
    _unary("ceil", _ew.ceil, "Smallest integer >= x (gradient 0).", second_order=False),
    _unary("trunc", _ew.trunc, "x rounded toward zero (gradient 0).", aliases=("fix",),
           numpy=("trunc", "fix"),
           second_order=False),
    _unary("rint", _ew.rint, "x rounded to the nearest integer (gradient 0).", method=False,
           free=False, second_order=False),
    Op("real", _fr._real, "The real part (a view of a complex tensor).", method=False,
       numpy=("real",), uses=(_ew.real,), tested_in="tests/test_numpy_api.py"),
    Op("imag", _fr._imag, "The imaginary part (a view of a complex tensor).", method=False,
       numpy=("imag",), uses=(_ew.imag,), tested_in="tests/test_numpy_api.py"),
    _unary("conj", _ew.conj, "The complex conjugate (the input itself for real tensors).",
           numpy=("conjugate", "conj")),
    Op("leaky_relu", _fr._leaky_relu, uses=(_ew.leaky_relu,),
       doc="x where x > 0, else negative_slope * x.", functional="leaky_relu",
       checks=(Check(((2, 3),), kwargs={"negative_slope": 0.1}),)),
    Op("elu", _fr._elu, uses=(_ew.elu,), doc="x where x > 0, else alpha * (exp(x) - 1).",
       functional="elu",
       checks=(Check(((2, 3),), kwargs={"alpha": 0.7}),)),
    Op("gelu", _fr._gelu, uses=(_ew.gelu,), doc="x * Phi(x), Phi the standard normal CDF.",
       functional="gelu",
       checks=(Check(((2, 3),), ((-3, 3),)), Check(((2, 3),), ((-3, 3),), ("tanh",)))),
    Op("softplus", _fr._softplus, uses=(_ew.softplus,), doc="log(1 + exp(beta * x)) / beta.",
       functional="softplus",
       checks=(Check(((2, 3),), ((-3, 3),)),
               Check(((2, 3),), ((-3, 3),), kwargs={"beta": 2.0, "threshold": 3.0}))),
    Op("round", _fr._round, uses=(_ew.round_p,),
       doc="x rounded to ``decimals`` places, halves to even (gradient 0).",
       checks=(Check(((2, 3),)), Check(((2, 3),), args=(1,)))),
    Op("clamp", _fr._clamp, uses=(_ew.clamp_p,),
       doc="x limited to [min, max]; the bounds may be tensors.",
       aliases=("clip",), inplace=_fr._clamp_, numpy=("clip",),
       checks=(Check(((2, 3),), args=(-0.5, 0.7)),
               Check(((2, 3), (3,), (3,)), ((-2, 2), (-1, -0.5), (0.5, 1))))),
    Op("clamp_min", _fr._clamp_min, "clamp(min=min).", checks=(Check(((2, 3),), args=(0.1,)),)),
    Op("clamp_max", _fr._clamp_max, "clamp(max=max).", checks=(Check(((2, 3),), args=(0.1,)),)),

    # ----- two-input elementwise ---------------------------------------------------------
    _binary("add", _ew.add, "x + alpha * y.", method=_fr._add, free=_fr._add,
            operators=("__add__", "__radd__", "__iadd__"), inplace=_fr._add_),
    _binary("sub", _ew.sub, "x - alpha * y.", aliases=("subtract",), method=_fr._sub,
            free=_fr._sub, operators=("__sub__", "__rsub__", "__isub__"), inplace=_fr._sub_,
            numpy=("subtract",)),
    _binary("mul", _ew.mul, "x * y.", aliases=("multiply",), numpy=("multiply",),
            operators=("__mul__", "__rmul__", "__imul__"), inplace=True),
    _binary("div", _ew.div, "True division x / y.", (-2, 2), (0.5, 2),
            aliases=("divide", "true_divide"), numpy=("divide", "true_divide"),
            operators=("__truediv__", "__rtruediv__", "__itruediv__"), inplace=True,
            method=_ew.div_mode, free=_ew.div_mode),  # (rounding_mode=; / keeps its fast path)
    _binary("pow", _ew.pow_p, "x ** y.", (0.2, 2), (-2, 2), numpy=("power", "float_power"),
            operators=("__pow__", "__rpow__", "__ipow__"), inplace=True),
    _binary("floor_divide", _ew.floor_divide, "x // y, rounded down (gradient 0).",
            (0.1, 0.9), (1.0, 2), operators=("__floordiv__", "__rfloordiv__"),
            second_order=False),
    _binary("remainder", _ew.remainder, "x % y, with the sign of y.", (0.1, 0.9), (1.0, 2),
            operators=("__mod__", "__rmod__"), numpy=("remainder", "mod")),
    _binary("fmod", _ew.fmod, "The C remainder of x / y, with the sign of x.", (0.1, 0.9),
            (1.0, 2)),
    _binary("maximum", _ew.maximum, "The larger of x and y (ties share the gradient).",
            numpy=("maximum", "fmax")),
    _binary("minimum", _ew.minimum, "The smaller of x and y (ties share the gradient).",
            numpy=("minimum", "fmin")),
    _binary("atan2", _ew.arctan2, "The angle of the point (y, x): atan(x / y) by quadrant.",
            (-2, 2), (0.3, 2), aliases=("arctan2",), numpy=("arctan2",)),
    _binary("logaddexp", _ew.logaddexp, "log(exp(x) + exp(y)), without overflow."),
    _binary("hypot", _ew.hypot, "sqrt(x * x + y * y).", (0.3, 2), (0.3, 2)),
    Op("where", _fr._where, uses=(_ew.where_p,),
       doc="``self`` where ``condition`` holds, else ``other``.",
       free=_fr._free_where, tested_in="tests/test_gradcheck_ops.py"),
    Op("matmul", _linalg.matmul, uses=(_linalg.matmul_p,),
       doc="Matrix product with NumPy's broadcasting rules.",
       numpy=("matmul",),
       operators=("__matmul__", "__rmatmul__"),
       checks=(Check(((3, 4), (4, 2)), ((-2, 2), (-2, 2))),
               Check(((4,), (2, 4, 3)), ((-2, 2), (-2, 2))),
               Check(((2, 3, 4), (4,)), ((-2, 2), (-2, 2))))),
    Op("mm", _linalg.mm, "Product of two matrices.",
       checks=(Check(((3, 4), (4, 2)), ((-2, 2), (-2, 2))),)),
    Op("bmm", _linalg.bmm, "Product of two batches of matrices.",
       checks=(Check(((2, 3, 4), (2, 4, 2)), ((-2, 2), (-2, 2))),)),
    Op("dot", _linalg.dot, "Inner product of two vectors.",
       checks=(Check(((4,), (4,)), ((-2, 2), (-2, 2))),)),

    # ----- no gradient: comparisons, logic, tests ----------------------------------------
    _predicate("eq", _fr.eq, "x == y, elementwise.", numpy=("equal",), operators=("__eq__",)),
    _predicate("ne", _fr.ne, "x != y.", numpy=("not_equal",), operators=("__ne__",)),
    _predicate("lt", _fr.lt, "x < y.", numpy=("less",), operators=("__lt__",)),
    _predicate("le", _fr.le, "x <= y.", numpy=("less_equal",), operators=("__le__",)),
    _predicate("gt", _fr.gt, "x > y.", numpy=("greater",), operators=("__gt__",)),
    _predicate("ge", _fr.ge, "x >= y.", numpy=("greater_equal",), operators=("__ge__",)),
    _predicate("logical_and", _fr.logical_and, "The truth values of x and y, and-ed."),
    _predicate("logical_or", _fr.logical_or, "The truth values of x and y, or-ed."),
    _predicate("logical_xor", _fr.logical_xor, "The truth values of x and y, xor-ed."),
    _predicate("logical_not", _fr.logical_not, "The truth values of x, negated.", 1),
    _predicate("isnan", _fr.isnan, "Whether x is NaN.", 1),
    _predicate("isinf", _fr.isinf, "Whether x is infinite.", 1),
    _predicate("isfinite", _fr.isfinite, "Whether x is finite.", 1),
    Op("all", _fr._all, "Whether all elements along ``dim`` are true.", grad=False,
       numpy=("all",), domain=((-2, 2),)),
    Op("any", _fr._any, "Whether any element along ``dim`` is true.", grad=False,
       numpy=("any",), domain=((-2, 2),)),
    Op("bitwise_and", _fr._bitwise_and, "x & y: bitwise on integers, logical on bools.",
       operators=("__and__", "__rand__", "__iand__"), inplace=True, grad=False,
       tested_in="tests/test_promotion.py"),
    Op("bitwise_or", _fr._bitwise_or, "x | y: bitwise on integers, logical on bools.",
       operators=("__or__", "__ror__", "__ior__"), inplace=True, grad=False,
       tested_in="tests/test_promotion.py"),
    Op("bitwise_xor", _fr._bitwise_xor, "x ^ y: bitwise on integers, logical on bools.",
       operators=("__xor__", "__rxor__", "__ixor__"), inplace=True, grad=False,
       tested_in="tests/test_promotion.py"),
    Op("bitwise_not", _fr._bitwise_not, "~x: bitwise on integers, logical on bools.",
       operators=("__invert__",), grad=False, tested_in="tests/test_promotion.py"),
    Op("bitwise_left_shift", _fr._left_shift, "x << y, 0 where y is negative or too wide.",
       operators=("__lshift__", "__rlshift__", "__ilshift__"), grad=False,
       tested_in="tests/test_promotion.py"),
    Op("bitwise_right_shift", _fr._right_shift, "x >> y, arithmetic, for every count.",
       operators=("__rshift__", "__rrshift__", "__irshift__"), grad=False,
       tested_in="tests/test_promotion.py"),

    # ----- reductions and scans ----------------------------------------------------------
    _reduction("sum", _fr._sum, "Sum over ``dim``.", uses=(_reduce.sum_p,)),
    _reduction("mean", _fr._mean, "Arithmetic mean over ``dim``.", uses=(_reduce.mean_p,)),
    _reduction("prod", _fr._prod, "Product over ``dim`` (exact gradient at zeros).",
               uses=(_reduce.prod_p,)),
    _reduction("amax", _fr._amax, "Largest value over ``dim`` (ties share the gradient).",
               uses=(_reduce.amax_p,)),
    _reduction("amin", _fr._amin, "Smallest value over ``dim`` (ties share the gradient).",
               uses=(_reduce.amin_p,)),
    _reduction("max", _fr._max, "Largest value; with ``dim``, the values and their indices.",
               axes=({}, {"dim": 1}), tested_in="tests/test_gradcheck_ops.py"),
    _reduction("min", _fr._min, "Smallest value; with ``dim``, the values and their indices.",
               axes=({}, {"dim": 1}), tested_in="tests/test_gradcheck_ops.py"),
    _reduction("logsumexp", _fr._logsumexp, "log(sum(exp(x))) over ``dim``, without overflow.",
               uses=(_reduce.logsumexp_p,)),
    _reduction("var", _fr._var, "Variance over ``dim`` (``correction`` 1: unbiased).",
               extra=(Check((_B,), kwargs={"dim": 1, "correction": 0}),)),
    _reduction("std", _fr._std, "Standard deviation over ``dim``.", domain=(0.5, 2)),
    _reduction("norm", _fr._norm, "The p-norm over ``dim`` (2 by default).",
               uses=(_reduce.norm2_p,),
               extra=(Check((_B,), kwargs={"p": 1, "dim": 1}),
                      Check((_B,), kwargs={"p": float("inf"), "dim": 1}),
                      Check((_B,), kwargs={"p": 3, "dim": 1}))),
    _reduction("cumsum", _fr._cumsum, "Running sum along ``dim``.", uses=(_reduce.cumsum_p,),
               axes=({"dim": 0}, {"dim": -1})),
    _reduction("cumprod", _fr._cumprod, "Running product along ``dim``.",
               uses=(_reduce.cumprod_p,), axes=({"dim": 0}, {"dim": -1})),
    Op("argmax", _fr._argmax, "Index of the largest value over ``dim``.", grad=False,
       tested_in="tests/test_tensor.py"),
    Op("argmin", _fr._argmin, "Index of the smallest value over ``dim``.", grad=False,
       tested_in="tests/test_tensor.py"),

    # ----- shape -------------------------------------------------------------------------
    _shape_op("reshape", _sh.reshape, "The same values in a new shape.", (4, 6),
              uses=(_sh.reshape_p,)),
    _shape_op("view", _sh.view, "A view with a new shape (refuses to copy).", free=False,
              checks=(Check((_B,), args=((4, 6),), noncontiguous=False),)),
    _shape_op("flatten", _sh.flatten, "Dims start_dim..end_dim merged into one.", 1),
    _shape_op("ravel", _sh.ravel, "The values as one dimension."),
    _shape_op("squeeze", _sh.squeeze, "Size-1 dims removed.", shape=(2, 1, 3)),
    _shape_op("unsqueeze", _sh.unsqueeze, "A size-1 dim inserted at ``dim``.", 1,
              aliases=("expand_dims",)),
    _shape_op("expand", _sh.expand, "Size-1 dims repeated to ``sizes`` (a view).", 2, 3, 4,
              shape=(3, 1), free=False, uses=(_sh.expand_p,)),
    _shape_op("expand_as", _fr._expand_as, "``expand`` to another tensor's shape.", free=False,
              checks=(Check(((3, 1), (2, 3, 4)), ((-2, 2), (-2, 2))),)),
    _shape_op("broadcast_to", _sh.broadcast_to, "A view broadcast to ``shape``.", (2, 3, 4),
              shape=(3, 1)),
    _shape_op("view_as", _fr._view_as, "A view with another tensor's shape.", free=False,
              aliases=("reshape_as",), checks=(Check(((4, 6), (6, 4)), ((-2, 2), (-2, 2))),)),
    _shape_op("permute", _sh.permute, "The dims reordered.", 2, 0, 1,
              uses=(_sh.permute_p,)),
    _shape_op("transpose", _sh.transpose, "Two dims swapped.", 0, 2),
    _shape_op("swapaxes", _sh.swapaxes, "Two dims swapped.", 0, 2, aliases=("swapdims",)),
    _shape_op("moveaxis", _sh.moveaxis, "A dim moved to another position.", 0, -1,
              aliases=("movedim",)),
    _shape_op("repeat", _sh.repeat, "Tiled ``sizes`` times along each dim.", 2, 1, 3,
              free=False, uses=(_sh.tile_p,)),
    _shape_op("tile", _sh.tile, "Tiled ``reps`` times along each dim.", (2, 1, 3)),
    _shape_op("flip", _sh.flip, "The order of ``dims`` reversed.", (0, 2), uses=(_sh.flip_p,)),
    _shape_op("roll", _sh.roll, "Rolled by ``shifts`` along ``dims``.", 2, 1,
              uses=(_sh.roll_p,)),
    _shape_op("split", _sh.split, "Pieces of ``split_size_or_sections`` along ``dim``.", 2, 2),
    _shape_op("chunk", _sh.chunk, "``chunks`` near-equal pieces along ``dim``.", 2, 2),
    _shape_op("unbind", _sh.unbind, "The slices along ``dim``, as a tuple."),
    Op("cat", _sh.concatenate, "Tensors joined along an existing dim.", method=False,
       aliases=("concatenate",), uses=(_sh.cat_p,), tested_in="tests/test_gradcheck_ops.py"),
    Op("stack", _sh.stack, "Tensors joined along a new dim.", method=False,
       uses=(_sh.stack_p,), tested_in="tests/test_gradcheck_ops.py"),
    _shape_op("pad", _sh.pad, "Padded by ``pad_width`` (constant, reflect, replicate, ...).",
              ((1, 2), (0, 1), (2, 0)), method=False, uses=(_sh.pad_p,)),
    _shape_op("clone", _sh.clone, "A copy that gradients flow through.",
              uses=(_sh.clone_p,)),
    _shape_op("narrow", _ix.narrow, "The slice start:start + length of ``dim`` (a view).",
              1, 1, 2),
    _shape_op("t", _sh.t, "A matrix transposed (0-d and 1-d tensors as they are).", shape=_M),
    Op("tril", _sh.tril, "The lower triangle (col - row <= ``diagonal``), 0 above.",
       inplace=_fr._tril_, checks=(Check((_B,), second_order=False),
                                   Check((_M,), args=(1,), second_order=False))),
    Op("triu", _sh.triu, "The upper triangle (col - row >= ``diagonal``), 0 below.",
       inplace=_fr._triu_, checks=(Check((_B,), args=(-1,), second_order=False),
                                   Check((_M,), kwargs={"diagonal": 2}, second_order=False))),
    Op("diag", _ix.diag, "A vector on a matrix's diagonal, or a matrix's diagonal.",
       checks=(Check(((4,),), args=(1,), second_order=False),
               Check((_M,), args=(-1,), second_order=False))),
    _shape_op("diagonal", _ix.diagonal, "The diagonal ``offset`` of dims dim1, dim2, last.",
              1, 2, 0),
    _shape_op("diag_embed", _ix.diag_embed, "Matrices with the last dim on their diagonal.",
              1, 0, 2, shape=(2, 3)),
    _shape_op("unfold", _ix.unfold, "Windows of ``size`` along a dim, ``step`` apart.",
              2, 2, 1, free=False),
    _shape_op("unflatten", _sh.unflatten, "One dim split into ``sizes``.", 2, (2, 2)),
    Op("repeat_interleave", _ix.repeat_interleave,
       "Each entry repeated ``repeats`` times along ``dim``.",
       checks=(Check((_B,), args=(_np.array([1, 0, 2]), 1), second_order=False),
               Check((_B,), args=(2,), second_order=False))),
    Op("meshgrid", _sh.meshgrid, "Coordinate grids of 1-d tensors (``indexing`` ij or xy).",
       method=False, checks=(Check(((3,), (4,)), ((-2, 2), (-2, 2)), kwargs={"indexing": "xy"},
                                   second_order=False),
                             Check(((2,), (3,), ()), ((-2, 2),) * 3, second_order=False))),

    # ----- indexing ----------------------------------------------------------------------
    Op("gather", _ix.gather, "Values picked along ``dim`` by an index tensor.",
       uses=(_ix.gather_p, _ix.scatter_add_p),
       checks=(Check(((3, 4),), args=(1, _np.array([[0, 0], [1, 3], [2, 1]]))),)),
    Op("index_select", _ix.index_select, "Slices picked along ``dim`` by an index vector.",
       checks=(Check(((3, 4),), args=(1, _np.array([3, 0, 0]))),)),
    Op("take_along_dim", _ix.take_along_dim, "Values picked along ``dim`` (broadcasting).",
       checks=(Check(((3, 4),), args=(_np.array([[1], [0], [3]]), 1)),)),
    Op("masked_fill", _ix.masked_fill, "``value`` where ``mask`` holds.", inplace=_fr._masked_fill_,
       checks=(Check(((3, 4),), args=(_np.arange(12).reshape(3, 4) % 3 == 0, 0.5)),)),
    Op("getitem", _ix.getitem, "Indexing: basic (a view), advanced (a copy) or by a mask.",
       method=False, free=False,
       operators=(("__getitem__", _ix.getitem), ("__setitem__", _fr._setitem),
                  ("__iter__", _fr._iter)),
       checks=tuple(Check(((3, 4),), args=(index,), second_order=False) for index in (
           (slice(1, None), slice(None, None, -2)), (Ellipsis, None, 1), [0, 2, 0, 0],
           ([0, 1, 1], [3, 2, 3]), _np.arange(12).reshape(3, 4) % 5 == 1)),
       uses=(_ix.getitem_view_p, _ix.getitem_copy_p, _ix.scatter_p, _ix.setitem_p)),
    Op("scatter", _ix.scatter,
       "``src`` (or a number ``value``) written into ``dim`` at ``index``.",
       inplace=_fr._inplace_of(_ix.scatter, "scatter_"),
       checks=(Check((_M,), args=(1, _np.array([[0, 3], [2, 1]]), _np.ones((2, 3)))),
               Check((_M,), args=(0, _np.array([[2, 0, 1, 1]]), -1.5)),
               Check((_M,), args=(1, _np.array([[0, 0], [2, 1]]), _np.ones((2, 2))),
                     kwargs={"reduce": "add"}),
               Check((_M,), args=(1, _np.array([[0, 0], [2, 1]]), 1.5),
                     kwargs={"reduce": "multiply"}))),
    Op("scatter_add", _ix.scatter_add, "``src`` added into ``dim`` at ``index``.",
       inplace=_fr._scatter_add_,
       checks=(Check((_M,), args=(1, _np.array([[0, 3], [2, 2]]), _np.ones((2, 3)))),)),
    Op("scatter_reduce", _ix.scatter_reduce,
       "``src`` reduced into ``dim`` at ``index`` (sum, prod, mean, amax, amin).",
       inplace=_fr._scatter_reduce_,
       checks=tuple(Check((_M,), args=(1, _np.array([[0, 3, 0], [2, 2, 1]]),
                                        _np.linspace(-1, 1, 6).reshape(2, 3), r),
                          kwargs={"include_self": inc})
                    for r, inc in (("sum", True), ("prod", True), ("mean", False),
                                   ("amax", True), ("amin", False)))),
    Op("index_add", _ix.index_add, "``alpha * source`` added along ``dim`` at ``index``.",
       inplace=_fr._index_add_,
       checks=(Check((_M,), args=(1, _np.array([3, 0, 3]), _np.ones((3, 3)))),)),
    Op("index_copy", _ix.index_copy, "Slices ``index`` of ``dim`` replaced by ``source``'s.",
       inplace=_fr._index_copy_,
       checks=(Check((_M,), args=(1, _np.array([3, 0]), _np.ones((3, 2)))),)),
    Op("index_fill", _ix.index_fill, "Slices ``index`` of ``dim`` set to ``value``.",
       inplace=_fr._index_fill_, checks=(Check((_M,), args=(0, _np.array([2, 0]), -1.5)),)),
    Op("masked_select", _ix.masked_select, "The entries where ``mask`` holds, as 1-d.",
       checks=(Check((_M,), args=(_np.arange(4) % 3 == 0,)),)),
    Op("masked_scatter", _ix.masked_scatter,
       "Entries where ``mask`` holds replaced, in order, by ``source``'s.",
       inplace=_fr._masked_scatter_,
       checks=(Check((_M,), args=(_np.arange(12).reshape(3, 4) % 5 == 1, _np.ones(7))),)),
    Op("nonzero", _ix.nonzero, "The indices of the nonzero entries.", grad=False,
       tested_in="tests/test_ops_surface_shape.py"),
    Op("take", _ix.take, "Entries of the flattened tensor at ``index``.",
       checks=(Check((_M,), args=(_np.array([[0, -1], [5, 5]]),)),)),
    Op("put", _ix.put, "Entries of the flattened tensor at ``index`` set to ``source``'s.",
       inplace=_fr._put_,
       checks=(Check((_M,), args=(_np.array([0, -1, 4]), _np.ones(3))),
               Check((_M,), args=(_np.array([1, 1]), _np.ones(2)), kwargs={"accumulate": True}))),

    # ----- conversions and in-place ------------------------------------------------------

    # ----- nn.functional only: in chainrule.optable_nn and chainrule.optable_activations --
    *_optable_nn.ROWS,
    *_optable_activations.ROWS,

    # ----- more elementwise math, sorting, scans, statistics: in chainrule.optable_math --
    *_optable_math.ROWS,

    Op("einsum", None, "Einstein summation (PyTorch's forms: operands as arguments or a "
       "list, sublists).", method=False, free=_fr._einsum, numpy=("einsum",),
       uses=(_linalg.einsum_p,), tested_in="tests/test_ops_surface_math.py"),

    # ----- NumPy-namespace only (chainrule.numpy), tested through NumPy code --------------
    *(Op(name, None, doc, method=False, free=False, numpy=(path,), uses=uses,
         tested_in="tests/test_numpy_linalg_fft.py")
      for name, path, doc, uses in (
          ("pinv", "linalg.pinv", "Pseudo-inverse (NumPy's rcond and rtol cut-offs).",
           ("chainrule.numpy.linalg:_pinv_p",)),
          ("lstsq", "linalg.lstsq", "Least squares: solution, residuals, rank, singular "
           "values.", ("chainrule.numpy.linalg:_lstsq_p",)),
          ("eig", "linalg.eig", "Eigen-decomposition of a general square matrix (eig, "
           "eigvals).", ("chainrule.numpy.linalg:_eig_p",)))),
    *(Op(name, None, doc, method=False, free=False, numpy=(path,), uses=uses,
         tested_in="tests/test_numpy_api.py")
      for name, path, doc, uses in (
          ("inv", "linalg.inv", "Matrix inverse.", (_linalg.inv_p,)),
          ("det", "linalg.det", "Determinant.",
           (_linalg.det_p, "chainrule.numpy.linalg:_det_p")),
          ("qr", "linalg.qr", "QR factorization.", ("chainrule.numpy.linalg:_qr_p",)),
          ("svd", "linalg.svd", "Singular value decomposition.",
           ("chainrule.numpy.linalg:_svd_p",)),

          ("slogdet", "linalg.slogdet", "Sign and log of the |determinant|.",
           (_linalg.slogdet_p,)),
          ("solve", "linalg.solve", "x with a @ x = b.", (_linalg.solve_p,)),
          ("cholesky", "linalg.cholesky", "Cholesky factor.", (_linalg.cholesky_p,)),
          ("eigh", "linalg.eigh", "Eigen-decomposition of a symmetric matrix.",
           (_linalg.eigh_p,)),
          ("fft", "fft.fft", "Discrete Fourier transforms (fft, ifft, fftn, ...).",
           (_fft.fftn_p,)),
          ("rfft", "fft.rfft", "Real-input FFT.", (_fft.rfft_p,)),
          ("irfft", "fft.irfft", "Inverse of rfft.", (_fft.irfft_p,)),
          )),
    Op("gammaln", _special.gammaln, "log|Gamma(x)| (chainrule.scipy.special).", method=False,
       free=False, uses=(_special.gammaln_p,), checks=(Check(((2, 3),), ((0.5, 3),)),)),
    Op("digamma", _special.digamma, "The digamma function (chainrule.scipy.special).",
       method=False, free=False, uses=(_special.polygamma_p,),
       checks=(Check(((2, 3),), ((0.5, 3),)),)),

    Op("to", _fr._to, "Converted to a dtype (the device must be the CPU).", free=False,
       uses=(_sh.cast_p,), tested_in="tests/test_gradcheck_ops.py"),
    Op("astype", _fr._astype, "Converted to ``dtype``.", free=False,
       tested_in="tests/test_tensor.py"),
    _shape_op("contiguous", _fr._contiguous, "The tensor, or a C-contiguous copy of it.",
              free=False),
    *(Op(name, impl, doc, free=False, grad=False, tested_in="tests/test_ops_surface_shape.py")
      for name, impl, doc in (
          ("new_zeros", _fr._new_zeros, "A new tensor of zeros, in this tensor's dtype."),
          ("new_ones", _fr._new_ones, "A new tensor of ones, in this tensor's dtype."),
          ("new_full", _fr._new_full, "A new tensor filled with a value, in this dtype."),
          ("new_empty", _fr._new_empty, "A new uninitialized tensor, in this dtype."),
          ("new_tensor", _fr._new_tensor, "A copy of data, in this tensor's dtype."),
          ("type", _fr._type, "The type's name, or a copy converted to a dtype."))),
    Op("type_as", _fr._type_as, "Converted to another tensor's dtype.", free=False,
       tested_in="tests/test_ops_surface_shape.py"),
    Op("cpu", _fr._cpu, "The tensor itself: it lives on the CPU already.", free=False,
       tested_in="tests/test_tensor.py"),
    Op("zero_", _fr._zero_, "Set to 0 in place.", free=False, tested_in="tests/test_inplace.py"),
    Op("fill_", _fr._fill_, "Set to ``value`` in place.", free=False,
       tested_in="tests/test_inplace.py"),
    Op("copy_", _fr._copy_, "``src`` copied in, in place.", free=False,
       tested_in="tests/test_inplace.py"),
    # Random draws as methods (the free functions are chainrule.sampling's): no gradient.
    *(Op(name, getattr(_sampling, name), doc, free=False, grad=False,
         tested_in="tests/test_sampling.py") for name, doc in (
        ("multinomial", "Category indices drawn from these weights (1-D or 2-D)."),
        ("bernoulli", "1 with probability given by this tensor (or ``p``), else 0."),
        ("uniform_", "Filled with samples uniform on [from, to), in place."),
        ("normal_", "Filled with normal samples, in place."),
        ("bernoulli_", "Filled with Bernoulli(p) samples, in place."),
        ("exponential_", "Filled with exponential samples, in place."),
        ("geometric_", "Filled with geometric samples (trials to the first success), in place."),
        ("cauchy_", "Filled with Cauchy samples, in place."),
        ("log_normal_", "Filled with log-normal samples, in place."),
        ("random_", "Filled with integers uniform on [from, to), in place."))),
)

# Conversions by dtype name: Tensor.float(), .double(), ...
CONVERSIONS = {"float": _np.float32, "double": _np.float64, "half": _np.float16,
               "long": _np.int64, "int": _np.int32, "bool": _np.bool_}

# Properties: Tensor.real, .imag, .T, .mT.
PROPERTIES = {"real": _fr._real, "imag": _fr._imag, "T": _fr._T, "mT": _fr._mT}

_BY_NAME = {op.name: op for op in OPS}


def row(name: str) -> Op:
    """The row of the op named ``name`` (its PyTorch name)."""
    return _BY_NAME[name]


def __dir__():  # dir() and tab completion show what the module exports, not its helpers
    return __all__
