"""Neural-network primitives, gathered under one name: this module defines nothing itself
and re-exports each family from the module that holds it.

- ``conv``: convolution (``conv_p`` and its two transposes) and its front-end;
- ``pool``: max and average pooling, and their front-ends;
- ``window_args``: the argument checks that convolution and pooling share;
- ``softmax``: softmax and log-softmax;
- ``cross_entropy``: the fused cross-entropy primitives;
- ``normalization``: the normalization primitive behind layer, group and batch norm.

The array helpers under them (padding, im2col/col2im, window views) are in ``_window``, the
stride-1 convolution kernels in ``_flatconv``.
"""
from __future__ import annotations

from ._window import col2im as _col2im  # noqa: F401  (old private names, used by tests)
from ._window import im2col as _im2col  # noqa: F401
from .conv import conv, conv_input_grad_p, conv_p, conv_weight_grad_p
from .cross_entropy import cross_entropy_classes_p, cross_entropy_p
from .normalization import normalize, normalize_p
from .pool import (avg_pool, avg_pool_p, avg_pool_scatter_p, max_pool, max_pool_gather_p,
                   max_pool_p, max_pool_scatter_p)
from .softmax import log_softmax_p, softmax_p
from .window_args import as_tuple, check_steps, check_window, string_padding, with_batch_axis

__all__ = [
    # convolution
    "conv_p", "conv_input_grad_p", "conv_weight_grad_p", "conv",
    # pooling
    "max_pool_p", "max_pool_scatter_p", "max_pool_gather_p", "avg_pool_p", "avg_pool_scatter_p",
    "max_pool", "avg_pool",
    # argument checks shared by convolution and pooling
    "as_tuple", "check_steps", "check_window", "with_batch_axis", "string_padding",
    # softmax and cross-entropy
    "softmax_p", "log_softmax_p", "cross_entropy_p", "cross_entropy_classes_p",
    # normalization
    "normalize_p", "normalize",
]


def __dir__():  # dir() and tab completion show what the module exports, not its helpers
    return __all__
