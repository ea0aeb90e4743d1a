"""``chainrule.nn.functional``: layers and losses as functions, with PyTorch's names.

This module defines nothing itself: it gathers the functions of the modules that hold
them, by job:

- ``activation``: relu, sigmoid, gelu..., softmax, log_softmax;
- ``linear``: linear, conv1d/2d/3d, conv_transpose1d/2d/3d;
- ``pooling``: max/avg pooling and the adaptive poolings; ``unpool``: max_unpool1d/2d/3d;
- ``upsampling``: interpolate and the deprecated upsample aliases; ``fold``: fold, unfold;
  ``grid``: affine_grid, grid_sample;
- ``normalization``: layer_norm, group_norm, batch_norm;
- ``dropout`` (dropout, dropout1d/2d/3d), ``attention`` (scaled_dot_product_attention),
  ``shape`` (pad, flatten, pixel_shuffle/unshuffle), ``distance`` (normalize,
  cosine_similarity, pairwise_distance);
- ``embedding``: embedding, one_hot;
- ``losses``: the pointwise losses; ``class_losses``: cross_entropy, nll_loss;
  ``margin_losses``: margin, ranking and embedding losses; ``ctc``: ctc_loss.
"""
from .activation import (celu, elu, gelu, glu, hardshrink, hardsigmoid, hardswish, hardtanh,
                         leaky_relu, log_softmax, logsigmoid, mish, prelu, relu, relu6, rrelu,
                         selu, sigmoid, silu, softmax, softmin, softplus, softshrink, softsign,
                         tanh, tanhshrink, threshold)
from .attention import scaled_dot_product_attention
from .class_losses import cross_entropy, nll_loss
from .ctc import ctc_loss
from .distance import cosine_similarity, normalize, pairwise_distance
from .dropout import check_dropout_p, dropout, dropout1d, dropout2d, dropout3d
from .embedding import embedding, one_hot, padding_index
from .fold import fold, unfold
from .grid import affine_grid, grid_sample
from .linear import (conv1d, conv2d, conv3d, conv_transpose1d, conv_transpose2d,
                     conv_transpose3d, linear)
from .losses import (binary_cross_entropy, binary_cross_entropy_with_logits, gaussian_nll_loss,
                     huber_loss, kl_div, l1_loss, mse_loss, poisson_nll_loss, smooth_l1_loss)
from .margin_losses import (cosine_embedding_loss, hinge_embedding_loss, margin_ranking_loss,
                            multi_margin_loss, multilabel_margin_loss,
                            multilabel_soft_margin_loss, soft_margin_loss, triplet_margin_loss,
                            triplet_margin_with_distance_loss)
from .normalization import batch_norm, group_norm, layer_norm
from .pooling import (adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d,
                      adaptive_max_pool1d, adaptive_max_pool2d, adaptive_max_pool3d, avg_pool1d,
                      avg_pool2d, avg_pool3d, max_pool1d, max_pool2d, max_pool3d)
from .shape import flatten, pad, pixel_shuffle, pixel_unshuffle
from .unpool import max_unpool1d, max_unpool2d, max_unpool3d
from .upsampling import interpolate, upsample, upsample_bilinear, upsample_nearest

__all__ = [
    # activations
    "relu", "sigmoid", "tanh", "silu", "leaky_relu", "elu", "gelu", "softplus", "softmax",
    "log_softmax", "celu", "selu", "softsign", "logsigmoid", "hardsigmoid", "hardswish",
    "relu6", "mish", "hardtanh", "prelu", "rrelu", "glu", "threshold", "softmin",
    "tanhshrink", "softshrink", "hardshrink",
    # linear maps
    "linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
    "conv_transpose3d",
    # shape
    "pad", "flatten", "pixel_shuffle", "pixel_unshuffle", "fold", "unfold", "affine_grid",
    "grid_sample",
    # resampling
    "interpolate", "upsample", "upsample_nearest", "upsample_bilinear",
    # distances
    "normalize", "cosine_similarity", "pairwise_distance",
    # pooling
    "max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "avg_pool2d", "avg_pool3d",
    "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d",
    "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d",
    "max_unpool1d", "max_unpool2d", "max_unpool3d",
    # dropout, embedding, attention
    "check_dropout_p", "dropout", "dropout1d", "dropout2d", "dropout3d", "padding_index",
    "embedding", "one_hot",
    "scaled_dot_product_attention",
    # normalization
    "layer_norm", "group_norm", "batch_norm",
    # losses
    "mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "kl_div", "cross_entropy", "nll_loss",
    "poisson_nll_loss", "gaussian_nll_loss", "margin_ranking_loss", "hinge_embedding_loss",
    "soft_margin_loss", "multilabel_soft_margin_loss", "multilabel_margin_loss",
    "multi_margin_loss", "cosine_embedding_loss", "triplet_margin_loss",
    "triplet_margin_with_distance_loss", "ctc_loss",
]
