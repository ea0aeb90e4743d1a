"""The op table's rows for ``nn.functional`` ops: most have no Tensor method and no free
function; softmax and log_softmax are Tensor methods too.

``chainrule.optable`` joins ``ROWS`` into ``OPS``; see there for what a row declares.
"""
from __future__ import annotations

from typing import Tuple

import numpy as _np

from ._oprow import Check, Op
from .ops import conv as _conv
from .ops import cross_entropy as _ce
from .ops import fold as _fold
from .ops import normalization as _norm
from .ops import pool as _pool
from .ops import softmax as _softmax_ops

__all__ = ["ROWS"]

ROWS: Tuple[Op, ...] = tuple(
    Op(name, None, doc, method=False, free=False, functional=name, uses=uses, checks=checks)
    for name, doc, uses, checks in (
        ("conv2d", "2-d convolution (cross-correlation), with stride, padding, dilation, "
         "groups.", (_conv.conv_p, _conv.conv_input_grad_p, _conv.conv_weight_grad_p),
         (Check(((2, 2, 5, 5), (3, 2, 3, 3), (3,)), ((-2, 2),) * 3, kwargs={"padding": 1}),
          Check(((1, 4, 6, 5), (4, 2, 2, 3)), ((-2, 2),) * 2,
                kwargs={"stride": 2, "groups": 2, "dilation": (2, 1)}))),
        ("conv1d", "1-d convolution.", (),
         (Check(((2, 3, 7), (4, 3, 3)), ((-2, 2),) * 2, kwargs={"stride": 2}),)),
        ("conv_transpose2d", "2-d transposed convolution (conv2d's input gradient), with "
         "stride, padding, output_padding, groups, dilation.", (),
         (Check(((2, 4, 3, 3), (4, 2, 3, 3), (2,)), ((-2, 2),) * 3,
                kwargs={"stride": 2, "padding": 1, "output_padding": 1}),
          Check(((1, 4, 3, 2), (4, 1, 2, 2)), ((-2, 2),) * 2,
                kwargs={"stride": 2, "groups": 2, "dilation": (2, 1)}))),
        ("unfold", "im2col: every sliding block of (N, C, H, W) as a column (N, C*kh*kw, L).",
         (_fold.unfold_p, _fold.fold_p),
         (Check(((2, 3, 5, 4),), args=(2,)),
          Check(((1, 2, 6, 5),), args=((2, 3),), kwargs={"stride": 2, "padding": 1}))),
        ("fold", "col2im: columns (N, C*kh*kw, L) summed back into (N, C, *output_size).", (),
         (Check(((2, 12, 12),), args=((4, 5), 2)),
          Check(((1, 8, 4),), args=((5, 5), 2), kwargs={"stride": 2}))),
        ("max_pool2d", "2-d max pooling (ties send the gradient to the first maximum).",
         (_pool.max_pool_p, _pool.max_pool_scatter_p, _pool.max_pool_gather_p),
         (Check(((2, 3, 6, 6),), args=(2,)), Check(((1, 2, 5, 5),), args=(3, 2, 1)))),
        ("avg_pool2d", "2-d average pooling.", (_pool.avg_pool_p, _pool.avg_pool_scatter_p),
         (Check(((2, 3, 6, 6),), args=(2,)), Check(((1, 2, 5, 5),), args=(3, 2, 1)))),
        ("cross_entropy", "Cross-entropy of logits with class indices or probabilities.",
         (_ce.cross_entropy_p, _ce.cross_entropy_classes_p),
         (Check(((4, 5),), args=(_np.array([1, 0, 4, 2]),)),
          Check(((4, 5), (4, 5)), ((-2, 2), (0.1, 1))),
          Check(((2, 3, 4),), args=(_np.array([[0, 2, 1, 1], [2, 2, 0, 1]]),),
                kwargs={"reduction": "sum"}))),
        ("layer_norm", "Normalized over the trailing ``normalized_shape`` dims.",
         (_norm.normalize_p,),
         (Check(((2, 3, 4),), args=((4,),)),
          Check(((2, 3, 4),), args=((3, 4),)))),
    )
)



def _softmax(self, dim, dtype=None):
    """``Tensor.softmax(dim, dtype=None)``: ``nn.functional.softmax`` along ``dim``."""
    return _softmax_ops.softmax(self, dim, dtype=dtype)


def _log_softmax(self, dim, dtype=None):
    """``Tensor.log_softmax(dim, dtype=None)``: ``nn.functional.log_softmax`` along ``dim``."""
    return _softmax_ops.log_softmax(self, dim, dtype=dtype)


# softmax and log_softmax: nn.functional's, and Tensor methods (with PyTorch's dtype=).
ROWS = ROWS + (
    Op("softmax", None, "exp(x) / sum(exp(x)) along ``dim``.", method=_softmax, free=False,
       functional="softmax", uses=(_softmax_ops.softmax_p,),
       checks=(Check(((3, 5),), kwargs={"dim": -1}), Check(((2, 3, 4),), kwargs={"dim": 1}),
               Check(((2, 3),), args=(0,), kwargs={"dtype": _np.float64}))),
    Op("log_softmax", None, "log(softmax(x)) along ``dim``, without overflow.",
       method=_log_softmax, free=False, functional="log_softmax",
       uses=(_softmax_ops.log_softmax_p,),
       checks=(Check(((3, 5),), kwargs={"dim": -1}), Check(((2, 3, 4),), kwargs={"dim": 1}),
               Check(((2, 3),), args=(0,), kwargs={"dtype": _np.float64}))),
    Op("lstm_scan", None, "The LSTM recurrence over a sequence, as one primitive (the loop of "
       "nn.LSTM).", method=False, free=False, uses=("chainrule.nn.recurrent:lstm_scan_p",),
       tested_in="tests/test_split_linear_fast_paths.py"),
    Op("linear", None, "x @ weight.T + bias for 2-D x as one node (PyTorch's addmm behind "
       "nn.Linear).", method=False, free=False, uses=("chainrule.nn.linear:linear_p",),
       tested_in="tests/test_nn_linear_fused.py"),
)


def __dir__():  # dir() shows the exports, not the helpers
    return __all__
