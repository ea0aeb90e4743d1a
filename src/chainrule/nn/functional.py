"""``chainrule.nn.functional``: layers and losses as functions, with PyTorch's names.

This module defines nothing itself: it gathers the functions of the modules that hold
them, by job:

- ``activation``: relu, sigmoid, gelu..., softmax, log_softmax;
- ``linear``: linear, conv1d/2d/3d;
- ``pooling``: max/avg pooling and the adaptive poolings;
- ``normalization``: layer_norm, group_norm, batch_norm;
- ``dropout`` (dropout, dropout1d/2d/3d), ``attention`` (scaled_dot_product_attention),
  ``shape`` (pad, flatten, pixel_shuffle/unshuffle), ``distance`` (normalize,
  cosine_similarity, pairwise_distance);
- ``embedding``: embedding, one_hot;
- ``losses``: the pointwise losses; ``class_losses``: cross_entropy, nll_loss.
"""
from .activation import (celu, elu, gelu, glu, hardshrink, hardsigmoid, hardswish, hardtanh,
                         leaky_relu, log_softmax, logsigmoid, mish, prelu, relu, relu6, rrelu,
                         selu, sigmoid, silu, softmax, softmin, softplus, softshrink, softsign,
                         tanh, tanhshrink, threshold)
from .attention import scaled_dot_product_attention
from .class_losses import cross_entropy, nll_loss
from .distance import cosine_similarity, normalize, pairwise_distance
from .dropout import check_dropout_p, dropout, dropout1d, dropout2d, dropout3d
from .embedding import embedding, one_hot, padding_index
from .linear import conv1d, conv2d, conv3d, linear
from .losses import (binary_cross_entropy, binary_cross_entropy_with_logits, huber_loss, kl_div,
                     l1_loss, mse_loss, smooth_l1_loss)
from .normalization import batch_norm, group_norm, layer_norm
from .pooling import (adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d,
                      adaptive_max_pool1d, adaptive_max_pool2d, adaptive_max_pool3d, avg_pool1d,
                      avg_pool2d, avg_pool3d, max_pool1d, max_pool2d, max_pool3d)
from .shape import flatten, pad, pixel_shuffle, pixel_unshuffle

__all__ = [
    # activations
    "relu", "sigmoid", "tanh", "silu", "leaky_relu", "elu", "gelu", "softplus", "softmax",
    "log_softmax", "celu", "selu", "softsign", "logsigmoid", "hardsigmoid", "hardswish",
    "relu6", "mish", "hardtanh", "prelu", "rrelu", "glu", "threshold", "softmin",
    "tanhshrink", "softshrink", "hardshrink",
    # linear maps
    "linear", "conv1d", "conv2d", "conv3d",
    # shape
    "pad", "flatten", "pixel_shuffle", "pixel_unshuffle",
    # distances
    "normalize", "cosine_similarity", "pairwise_distance",
    # pooling
    "max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "avg_pool2d", "avg_pool3d",
    "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d",
    "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d",
    # dropout, embedding, attention
    "check_dropout_p", "dropout", "dropout1d", "dropout2d", "dropout3d", "padding_index",
    "embedding", "one_hot",
    "scaled_dot_product_attention",
    # normalization
    "layer_norm", "group_norm", "batch_norm",
    # losses
    "mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "kl_div", "cross_entropy", "nll_loss",
]
