"""nn refuses what PyTorch refuses, with chainrule's error classes and messages that name
the op as the user called it; and follows PyTorch's shapes (unbatched inputs, 'same'
padding with even kernels, ceil_mode, padding modes) with known values."""
import warnings

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.errors import IndexOutOfRangeError, OpError, OpTypeError
from chainrule.nn import functional as F


def t(shape, seed=0, low=-1.0, high=1.0, grad=False):
    data = np.random.default_rng(seed).uniform(low, high, size=shape)
    return cr.tensor(data, requires_grad=grad)


def idx(values):
    return cr.tensor(np.asarray(values, dtype=np.int64))


# (id, call, error class, a pattern the message must match: the op's name and what is wrong)
BAD = [
    # ----- class indices are never wrapped
    ("embedding_negative", lambda: F.embedding(idx([0, -1]), t((5, 3))),
     IndexOutOfRangeError, r"embedding: index -1 .*\[0, 5\)"),
    ("embedding_too_large", lambda: F.embedding(idx([[5]]), t((5, 3))),
     IndexOutOfRangeError, r"embedding: index 5 .*\[0, 5\)"),
    ("Embedding_module", lambda: nn.Embedding(4, 2)(idx([4])),
     IndexOutOfRangeError, r"embedding: index 4"),
    ("embedding_float_index", lambda: F.embedding(t((2,)), t((5, 3))),
     OpTypeError, r"embedding: indices must be an integer"),
    ("embedding_weight_rank", lambda: F.embedding(idx([0]), t((5,))),
     OpError, r"embedding: weight must be 2-D"),
    ("Embedding_padding_idx", lambda: nn.Embedding(5, 3, padding_idx=5),
     OpError, r"Embedding: padding_idx must be within num_embeddings"),
    ("nll_target_too_large", lambda: F.nll_loss(t((4, 3)), idx([0, 1, 2, 3])),
     IndexOutOfRangeError, r"nll_loss: Target 3 is out of bounds.*\[0, 3\)"),
    ("nll_target_negative", lambda: F.nll_loss(t((4, 3)), idx([0, -1, 2, 1])),
     IndexOutOfRangeError, r"nll_loss: Target -1 is out of bounds"),
    ("ce_target_too_large", lambda: F.cross_entropy(t((2, 3, 4)), idx(np.full((2, 4), 3))),
     IndexOutOfRangeError, r"cross_entropy: Target 3 is out of bounds"),
    ("ce_target_smoothing", lambda: F.cross_entropy(t((2, 3)), idx([0, 7]), label_smoothing=0.1),
     IndexOutOfRangeError, r"cross_entropy: Target 7"),
    ("CrossEntropyLoss", lambda: nn.CrossEntropyLoss()(t((2, 3)), idx([0, -2])),
     IndexOutOfRangeError, r"cross_entropy: Target -2"),
    ("one_hot_negative", lambda: F.one_hot(idx([1, -1]), 3),
     IndexOutOfRangeError, r"one_hot: class values must be non-negative, got -1"),
    ("one_hot_too_large", lambda: F.one_hot(idx([3, 0]), 3),
     IndexOutOfRangeError, r"one_hot: class values must be smaller than num_classes=3, got 3"),
    ("one_hot_empty_infer", lambda: F.one_hot(idx([])),
     OpError, r"one_hot: cannot infer the number of classes"),
    ("one_hot_float", lambda: F.one_hot(t((2,))), OpTypeError, r"one_hot: class indices"),
    # ----- class-index targets: shape, dtype, weight
    ("ce_batch_mismatch", lambda: F.cross_entropy(t((4, 3)), idx([0, 1, 2])),
     OpError, r"cross_entropy: expected a target of shape \(4,\).*got \(3,\)"),
    ("ce_spatial_mismatch", lambda: F.cross_entropy(t((2, 3, 4)), idx(np.zeros((2, 5)))),
     OpError, r"cross_entropy: expected a target of shape \(2, 4\)"),
    ("ce_float_indices", lambda: F.cross_entropy(t((4, 3)), t((4,))),
     OpError, r"cross_entropy: class-index targets must be integers"),
    ("ce_probs_shape", lambda: F.cross_entropy(t((4, 3)), t((4, 2))),
     OpError, r"cross_entropy: .*must have the input's shape \(4, 3\)"),
    ("ce_weight_shape", lambda: F.cross_entropy(t((4, 3)), idx([0, 1, 2, 1]), weight=t((4,))),
     OpError, r"cross_entropy: weight must have one entry per class, shape \(3,\)"),
    ("nll_weight_shape", lambda: F.nll_loss(t((4, 3)), idx([0, 1, 2, 1]), weight=t((2,))),
     OpError, r"nll_loss: weight must have one entry per class"),
    ("nll_scalar_input", lambda: F.nll_loss(t(()), idx(0)), OpError, r"nll_loss: expected"),
    ("ce_label_smoothing", lambda: F.cross_entropy(t((2, 3)), idx([0, 1]), label_smoothing=1.5),
     OpError, r"cross_entropy: label_smoothing must be between 0.0 and 1.0"),
    ("ce_reduction", lambda: F.cross_entropy(t((2, 3)), idx([0, 1]), reduction="avg"),
     OpError, r"cross_entropy: reduction must be one of"),
    # ----- the other losses' targets and arguments
    ("mse_no_broadcast", lambda: F.mse_loss(t((3, 4)), t((2, 4))),
     OpError, r"mse_loss: the target of shape \(2, 4\) does not broadcast with the input of "
              r"shape \(3, 4\)"),
    ("l1_no_broadcast", lambda: F.l1_loss(t((3, 4)), t((12,))), OpError, r"l1_loss: the target"),
    ("huber_no_broadcast", lambda: F.huber_loss(t((3, 4)), t((3, 4, 1))),
     OpError, r"huber_loss: the target"),
    ("smooth_l1_no_broadcast", lambda: F.smooth_l1_loss(t((3, 4)), t((3,))),
     OpError, r"smooth_l1_loss: the target"),
    ("kl_no_broadcast", lambda: F.kl_div(t((3, 4)), t((2, 4)), reduction="sum"),
     OpError, r"kl_div: the target"),
    ("MSELoss_module", lambda: nn.MSELoss()(t((3, 4)), t((2, 4))), OpError, r"mse_loss"),
    ("bce_shape", lambda: F.binary_cross_entropy(t((3, 4), low=0), t((4,), low=0)),
     OpError, r"binary_cross_entropy: the target's shape \(4,\) must be the same as the "
              r"input's \(3, 4\)"),
    ("bce_logits_shape", lambda: F.binary_cross_entropy_with_logits(t((3, 4)), t((3, 1))),
     OpError, r"binary_cross_entropy_with_logits: the target's shape \(3, 1\)"),
    ("bce_input_above_1", lambda: F.binary_cross_entropy(cr.tensor([0.5, 1.5]),
                                                         cr.tensor([1.0, 0.0])),
     OpError, r"binary_cross_entropy: all elements of input should be between 0 and 1"),
    ("bce_input_negative", lambda: nn.BCELoss()(cr.tensor([-0.1]), cr.tensor([1.0])),
     OpError, r"binary_cross_entropy: all elements of input"),
    ("bce_input_nan", lambda: F.binary_cross_entropy(cr.tensor([np.nan]), cr.tensor([1.0])),
     OpError, r"binary_cross_entropy: all elements of input"),
    ("bce_target_range", lambda: F.binary_cross_entropy(cr.tensor([0.5]), cr.tensor([2.0])),
     OpError, r"binary_cross_entropy: all elements of target"),
    ("huber_delta", lambda: F.huber_loss(t((2,)), t((2,)), delta=0.0),
     OpError, r"huber_loss: delta must be positive"),
    ("smooth_l1_beta", lambda: F.smooth_l1_loss(t((2,)), t((2,)), beta=-1.0),
     OpError, r"smooth_l1_loss: beta must be non-negative"),
    ("mse_reduction", lambda: F.mse_loss(t((2,)), t((2,)), reduction="max"),
     OpError, r"mse_loss: reduction must be one of"),
    # ----- convolution
    ("conv2d_same_strided", lambda: F.conv2d(t((1, 3, 7, 7)), t((4, 3, 2, 2)), stride=2,
                                             padding="same"),
     OpError, r"conv2d: padding='same' is not supported for strided convolutions"),
    ("conv2d_padding_string", lambda: F.conv2d(t((1, 3, 7, 7)), t((4, 3, 2, 2)), padding="full"),
     OpError, r"conv2d: padding must be an int, a tuple of ints, 'same' or 'valid', got 'full'"),
    ("conv2d_stride_0", lambda: F.conv2d(t((1, 3, 7, 7)), t((4, 3, 2, 2)), stride=0),
     OpError, r"conv2d: stride must be positive, got stride=\(0, 0\)"),
    ("conv1d_stride_negative", lambda: F.conv1d(t((1, 3, 7)), t((4, 3, 2)), stride=-1),
     OpError, r"conv1d: stride must be positive"),
    ("conv2d_dilation_0", lambda: F.conv2d(t((1, 3, 7, 7)), t((4, 3, 2, 2)), dilation=(1, 0)),
     OpError, r"conv2d: dilation must be positive, got dilation=\(1, 0\)"),
    ("conv3d_padding_negative", lambda: F.conv3d(t((1, 1, 3, 3, 3)), t((1, 1, 1, 1, 1)),
                                                 padding=-1),
     OpError, r"conv3d: padding must be non-negative"),
    ("conv2d_groups_0", lambda: F.conv2d(t((1, 3, 7, 7)), t((4, 3, 2, 2)), groups=0),
     OpError, r"conv2d: groups must be a positive integer, got groups=0"),
    ("conv2d_groups_channels", lambda: F.conv2d(t((1, 3, 7, 7)), t((4, 1, 2, 2)), groups=2),
     OpError, r"conv2d: the weight of shape \(4, 1, 2, 2\) with groups=2 expects 2 input "
              r"channels, but the input of shape \(1, 3, 7, 7\) has 3"),
    ("conv2d_groups_out", lambda: F.conv2d(t((1, 4, 7, 7)), t((3, 2, 2, 2)), groups=2),
     OpError, r"conv2d: out_channels \(weight.shape\[0\] = 3\) must be a positive multiple of "
              r"groups=2"),
    ("conv2d_weight_rank", lambda: F.conv2d(t((1, 3, 7, 7)), t((4, 3, 2))),
     OpError, r"conv2d: weight must be 4-D"),
    ("conv1d_weight_rank", lambda: F.conv1d(t((1, 3, 7)), t((4, 3, 2, 2))),
     OpError, r"conv1d: weight must be 3-D"),
    ("conv2d_input_rank", lambda: F.conv2d(t((7, 7)), t((4, 3, 2, 2))),
     OpError, r"conv2d: expected a 3-D \(unbatched: C, H, W\) or 4-D \(batched: N, C, H, W\) "
              r"input, got shape \(7, 7\)"),
    ("conv2d_channels", lambda: F.conv2d(t((2, 3, 7, 7)), t((4, 2, 2, 2))),
     OpError, r"conv2d: the weight .* expects 2 input channels"),
    ("conv2d_kernel_too_big", lambda: F.conv2d(t((1, 3, 2, 2)), t((4, 3, 3, 3))),
     OpError, r"conv2d: the window .* is larger than the input's spatial size \(2, 2\)"),
    ("conv2d_stride_length", lambda: F.conv2d(t((1, 3, 7, 7)), t((4, 3, 2, 2)),
                                              stride=(1, 1, 1)),
     OpError, r"conv2d: stride must be an int or a tuple of 2 ints"),
    ("conv2d_stride_float", lambda: F.conv2d(t((1, 3, 7, 7)), t((4, 3, 2, 2)), stride=1.5),
     OpTypeError, r"conv2d: stride must be an int"),
    ("conv2d_bias", lambda: F.conv2d(t((1, 3, 7, 7)), t((4, 3, 2, 2)), t((3,))),
     OpError, r"conv2d: bias must have shape \(4,\)"),
    ("Conv2d_forward_channels", lambda: nn.Conv2d(3, 4, 2)(t((2, 5, 4, 4))),
     OpError, r"conv2d: the weight"),
    ("Conv1d_forward_rank", lambda: nn.Conv1d(3, 4, 2)(t((2, 3, 4, 4))),
     OpError, r"conv1d: expected a 2-D"),
    ("Conv2d_padding_mode", lambda: nn.Conv2d(3, 4, 3, padding_mode="mirror"),
     OpError, r"Conv2d: padding_mode must be one of"),
    ("Conv2d_groups", lambda: nn.Conv2d(3, 4, 3, groups=2),
     OpError, r"Conv2d: in_channels \(3\) and out_channels \(4\) must be divisible by groups"),
    ("Conv2d_groups_0", lambda: nn.Conv2d(3, 4, 3, groups=0),
     OpError, r"Conv2d: groups must be a positive integer"),
    ("Conv2d_stride_0", lambda: nn.Conv2d(3, 4, 3, stride=0), OpError, r"Conv2d: stride"),
    ("Conv3d_kernel_negative", lambda: nn.Conv3d(3, 4, -1), OpError, r"Conv3d: kernel_size"),
    ("Conv2d_same_strided", lambda: nn.Conv2d(3, 4, 3, stride=2, padding="same"),
     OpError, r"Conv2d: padding='same' is not supported for strided"),
    ("Conv2d_reflect_too_much", lambda: nn.Conv2d(3, 4, 3, padding=7,
                                                  padding_mode="reflect")(t((1, 3, 7, 7))),
     OpError, r"pad: reflect padding \(7, 7\) of dim 3 .* must be less than the dim.s size 7"),
    ("pad_circular_too_much", lambda: F.pad(t((1, 2, 3)), (4, 0), mode="circular"),
     OpError, r"pad: circular padding"),
    ("pad_mode", lambda: F.pad(t((1, 2, 3)), (1, 1), mode="foo"), OpError, r"pad: mode"),
    # ----- pooling
    ("max_pool2d_kernel_0", lambda: F.max_pool2d(t((1, 3, 7, 7)), 0),
     OpError, r"max_pool2d: kernel_size must be positive"),
    ("max_pool1d_stride_0", lambda: F.max_pool1d(t((1, 3, 7)), 2, 0),
     OpError, r"max_pool1d: stride must be positive"),
    ("max_pool3d_dilation_0", lambda: F.max_pool3d(t((1, 1, 4, 4, 4)), 2, dilation=0),
     OpError, r"max_pool3d: dilation must be positive"),
    ("avg_pool2d_stride_negative", lambda: F.avg_pool2d(t((1, 3, 7, 7)), 2, -1),
     OpError, r"avg_pool2d: stride must be positive"),
    ("avg_pool1d_padding_negative", lambda: F.avg_pool1d(t((1, 3, 7)), 2, padding=-1),
     OpError, r"avg_pool1d: padding must be non-negative"),
    ("max_pool2d_padding_half", lambda: F.max_pool2d(t((1, 3, 7, 7)), 3, padding=2),
     OpError, r"max_pool2d: padding \(2, 2\) must be at most half the kernel size \(3, 3\)"),
    ("avg_pool3d_padding_half", lambda: F.avg_pool3d(t((1, 1, 8, 8, 8)), 3, padding=2),
     OpError, r"avg_pool3d: padding"),
    ("max_pool2d_window", lambda: F.max_pool2d(t((1, 3, 7, 7)), 8),
     OpError, r"max_pool2d: the window \(kernel_size=\(8, 8\).* is larger than the input's "
              r"spatial size \(7, 7\)"),
    ("avg_pool1d_window_dilated", lambda: F.max_pool1d(t((1, 3, 7)), 3, dilation=4),
     OpError, r"max_pool1d: the window"),
    ("max_pool2d_rank", lambda: F.max_pool2d(t((7, 7)), 2),
     OpError, r"max_pool2d: expected a 3-D \(unbatched: C, H, W\) or 4-D"),
    ("avg_pool3d_rank", lambda: F.avg_pool3d(t((4, 4, 4)), 2), OpError, r"avg_pool3d: expected"),
    ("max_pool2d_empty_channels", lambda: F.max_pool2d(t((2, 0, 4, 4)), 2),
     OpError, r"max_pool2d: the channel and spatial sizes must be non-zero"),
    ("max_pool2d_kernel_length", lambda: F.max_pool2d(t((1, 3, 7, 7)), (2, 2, 2)),
     OpError, r"max_pool2d: kernel_size must be an int or a tuple of 2 ints"),
    ("avg_pool2d_divisor_0", lambda: F.avg_pool2d(t((1, 3, 4, 4)), 2, divisor_override=0),
     OpError, r"avg_pool2d: divisor_override must be non-zero"),
    ("MaxPool2d_module", lambda: nn.MaxPool2d(0)(t((1, 3, 4, 4))),
     OpError, r"max_pool2d: kernel_size must be positive"),
    ("AvgPool1d_module", lambda: nn.AvgPool1d(9)(t((1, 3, 4))), OpError, r"avg_pool1d: the window"),
    ("adaptive_avg_pool2d_rank", lambda: F.adaptive_avg_pool2d(t((7, 7)), 3),
     OpError, r"adaptive_avg_pool2d: expected a 3-D"),
    ("adaptive_avg_pool2d_negative", lambda: F.adaptive_avg_pool2d(t((1, 3, 7, 7)), -1),
     OpError, r"adaptive_avg_pool2d: output_size must be non-negative"),
    ("adaptive_max_pool2d_length", lambda: F.adaptive_max_pool2d(t((1, 3, 7, 7)), (3, 3, 3)),
     OpError, r"adaptive_max_pool2d: output_size must be an int or a tuple of 2"),
    ("adaptive_avg_pool1d_empty", lambda: F.adaptive_avg_pool1d(t((2, 3, 0)), 2),
     OpError, r"adaptive_avg_pool1d: expected non-zero sizes in the non-batch dims"),
    ("AdaptiveMaxPool3d_module", lambda: nn.AdaptiveMaxPool3d(2)(t((4, 4))),
     OpError, r"adaptive_max_pool3d: expected"),
    # ----- normalization, linear, dropout, recurrent
    ("GroupNorm_divisible", lambda: nn.GroupNorm(2, 3),
     OpError, r"GroupNorm: num_channels \(3\) must be divisible by num_groups \(2\)"),
    ("GroupNorm_zero_groups", lambda: nn.GroupNorm(0, 3), OpError, r"GroupNorm: num_channels"),
    ("group_norm_divisible", lambda: F.group_norm(t((2, 3, 4)), 2),
     OpError, r"group_norm: the input's 3 channels .* do not split into num_groups=2"),
    ("group_norm_weight", lambda: F.group_norm(t((2, 4, 4)), 2, t((3,))),
     OpError, r"group_norm: weight must have shape \(4,\)"),
    ("GroupNorm_forward_channels", lambda: nn.GroupNorm(2, 4)(t((2, 6, 3))),
     OpError, r"group_norm: weight must have shape \(6,\)"),
    ("group_norm_rank", lambda: F.group_norm(t((4,)), 2), OpError, r"group_norm: expected"),
    ("BatchNorm1d_one_value", lambda: nn.BatchNorm1d(3)(t((1, 3))),
     OpError, r"batch_norm: expected more than 1 value per channel when training, got input "
              r"of shape \(1, 3\)"),
    ("BatchNorm2d_one_value", lambda: nn.BatchNorm2d(3)(t((1, 3, 1, 1))),
     OpError, r"batch_norm: expected more than 1 value per channel"),
    ("batch_norm_one_value", lambda: F.batch_norm(t((1, 3)), None, None, training=True),
     OpError, r"batch_norm: expected more than 1 value per channel"),
    ("BatchNorm2d_rank", lambda: nn.BatchNorm2d(3)(t((3, 2, 2))),
     OpError, r"BatchNorm2d: expected a 4-D input, got shape \(3, 2, 2\)"),
    ("BatchNorm1d_rank", lambda: nn.BatchNorm1d(3)(t((2, 3, 2, 2))),
     OpError, r"BatchNorm1d: expected a 2-D or 3-D input"),
    ("BatchNorm2d_channels", lambda: nn.BatchNorm2d(3)(t((2, 4, 2, 2))),
     OpError, r"BatchNorm2d: expected 3 channels"),
    ("batch_norm_running_mean", lambda: F.batch_norm(t((2, 3)), cr.zeros(4), cr.ones(4)),
     OpError, r"batch_norm: running_mean must hold 3 values"),
    ("batch_norm_eval_no_stats", lambda: F.batch_norm(t((2, 3)), None, None),
     OpError, r"batch_norm: running_mean and running_var must be given"),
    ("layer_norm_shape", lambda: F.layer_norm(t((2, 4)), (5,)),
     OpError, r"layer_norm: normalized_shape \(5,\) does not match"),
    ("LayerNorm_rank", lambda: nn.LayerNorm((2, 4))(t((4,))), OpError, r"layer_norm"),
    ("layer_norm_weight", lambda: F.layer_norm(t((2, 4)), (4,), t((3,))),
     OpError, r"layer_norm: weight must have shape \(4,\)"),
    ("Linear_negative", lambda: nn.Linear(-1, 3), OpError, r"Linear: sizes must be non-negative"),
    ("linear_shapes", lambda: nn.Linear(3, 2)(t((2, 4))),
     OpError, r"linear: the input of shape \(2, 4\) does not fit the weight of shape \(2, 3\)"),
    ("linear_scalar", lambda: F.linear(t(()), t((2, 3))), OpError, r"linear:"),
    ("Dropout_p", lambda: nn.Dropout(1.5),
     OpError, r"Dropout: dropout probability has to be between 0 and 1, but got 1.5"),
    ("dropout_p", lambda: F.dropout(t((3,)), -0.1), OpError, r"dropout: dropout probability"),
    ("dropout_p_eval", lambda: F.dropout(t((3,)), 2.0, training=False), OpError, r"dropout:"),
    ("RNN_input_size", lambda: nn.RNN(0, 3), OpError, r"RNN: input_size must be a positive"),
    ("LSTM_dropout", lambda: nn.LSTM(3, 3, dropout=2.0), OpError, r"LSTM: dropout"),
    ("GRU_input_dim", lambda: nn.GRU(3, 4)(t((5, 2, 2))),
     OpError, r"GRU: the input's last dim must be input_size = 3"),
    ("RNN_rank", lambda: nn.RNN(3, 4)(t((5, 2, 3, 1))), OpError, r"RNN: expected a 2-D"),
    ("LSTM_state", lambda: nn.LSTM(3, 4)(t((5, 2, 3)), (cr.zeros(1, 2, 5), cr.zeros(1, 2, 4))),
     OpError, r"LSTM: expected h_0 of shape \(1, 2, 4\)"),
    ("MultiheadAttention_heads", lambda: nn.MultiheadAttention(4, 0),
     OpError, r"MultiheadAttention: embed_dim and num_heads must be positive"),
]


@pytest.mark.parametrize("call,error,pattern", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_refused_with_a_named_error(call, error, pattern):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(error, match=pattern):
            call()


def test_error_classes_are_the_builtin_families_pytorch_raises():
    """IndexError for indices (PyTorch's), RuntimeError/ValueError for the rest, never a
    ZeroDivisionError escaping from inside."""
    with pytest.raises(IndexError):
        F.embedding(idx([-1]), t((5, 3)))
    with pytest.raises(IndexError):
        F.nll_loss(t((2, 3)), idx([0, 3]))
    with pytest.raises(RuntimeError):
        F.one_hot(idx([-1]), 3)
    with pytest.raises(ValueError):  # PyTorch's constructors raise ValueError
        nn.GroupNorm(2, 3)
    for bad in (lambda: F.conv2d(t((1, 3, 7, 7)), t((4, 3, 2, 2)), stride=0),
                lambda: F.max_pool2d(t((1, 3, 7, 7)), 2, stride=0),
                lambda: F.avg_pool2d(t((1, 3, 7, 7)), 0),
                lambda: nn.Conv2d(3, 3, 3, groups=0)):
        with pytest.raises(RuntimeError):
            bad()


# ----- what PyTorch returns, chainrule returns: known values ---------------------------------
def test_conv2d_same_even_kernel_pads_right_and_bottom():
    """A 2x2 kernel of ones over 'same' padding: PyTorch adds the odd extra row and column at
    the bottom and right, so output[i, j] sums x[i:i+2, j:j+2] with zeros past the end."""
    x = cr.tensor(np.arange(9.0).reshape(1, 1, 3, 3))
    w = cr.ones((1, 1, 2, 2))
    out = F.conv2d(x, w, padding="same").numpy()[0, 0]
    assert np.array_equal(out, [[8, 12, 7], [20, 24, 13], [13, 15, 8]])


def test_conv1d_same_with_dilation():
    """k=2, dilation=3: a span of 4, padded 1 on the left and 2 on the right."""
    x = cr.tensor(np.arange(1.0, 6.0).reshape(1, 1, 5), requires_grad=True)
    w = cr.tensor([[[1.0, 10.0]]])
    out = F.conv1d(x, w, padding="same", dilation=3)
    # output[i] = x[i - 1] + 10 x[i + 2], zero outside
    assert np.array_equal(out.detach().numpy()[0, 0], [30, 41, 52, 3, 4])
    out.sum().backward()
    assert np.array_equal(x.grad.numpy()[0, 0], [1, 1, 11, 11, 10])


def test_conv_valid_is_no_padding():
    x, w = t((2, 3, 6, 5)), t((4, 3, 3, 2), seed=1)
    assert np.allclose(F.conv2d(x, w, padding="valid").numpy(), F.conv2d(x, w).numpy())


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_unbatched_conv_equals_a_batch_of_one(nd):
    conv = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[nd]
    x = t((3,) + (5,) * nd, grad=True)
    w = t((2, 3) + (2,) * nd, seed=1)
    out = conv(x, w, padding=1, stride=2)
    expected = conv(x.detach()[None], w, padding=1, stride=2)[0]
    assert out.shape == expected.shape and np.allclose(out.detach().numpy(), expected.numpy())
    out.sum().backward()
    assert x.grad.shape == x.shape


def test_conv_module_unbatched_and_empty_batch():
    layer = nn.Conv2d(3, 4, 3, padding=1)
    assert layer(t((3, 5, 5))).shape == (4, 5, 5)
    x = t((0, 3, 5, 5), grad=True)
    out = layer(x)
    assert out.shape == (0, 4, 5, 5)
    out.sum().backward()
    assert x.grad.shape == (0, 3, 5, 5) and np.all(layer.weight.grad.numpy() == 0)


@pytest.mark.parametrize("pool,shape,expected", [
    (lambda x: F.max_pool1d(x, 2), (3, 6), (3, 3)),
    (lambda x: F.max_pool2d(x, 2), (3, 6, 4), (3, 3, 2)),
    (lambda x: F.max_pool3d(x, 2), (3, 4, 4, 4), (3, 2, 2, 2)),
    (lambda x: F.avg_pool1d(x, 3, 1, 1), (3, 6), (3, 6)),
    (lambda x: F.avg_pool2d(x, 2), (3, 6, 4), (3, 3, 2)),
    (lambda x: F.avg_pool3d(x, 2), (3, 4, 4, 4), (3, 2, 2, 2)),
    (lambda x: F.adaptive_avg_pool1d(x, 4), (3, 6), (3, 4)),
    (lambda x: F.adaptive_avg_pool2d(x, (3, None)), (3, 7, 5), (3, 3, 5)),
    (lambda x: F.adaptive_max_pool2d(x, 3), (3, 7, 5), (3, 3, 3)),
    (lambda x: F.adaptive_max_pool3d(x, 2), (3, 3, 4, 5), (3, 2, 2, 2)),
    (nn.MaxPool2d(2), (3, 4, 4), (3, 2, 2)),
    (nn.AvgPool1d(2), (3, 4), (3, 2)),
    (nn.AdaptiveAvgPool3d(1), (3, 2, 2, 2), (3, 1, 1, 1)),
], ids=["max1d", "max2d", "max3d", "avg1d", "avg2d", "avg3d", "aavg1d", "aavg2d", "amax2d",
        "amax3d", "MaxPool2d", "AvgPool1d", "AdaptiveAvgPool3d"])
def test_unbatched_pools(pool, shape, expected):
    x = t(shape, grad=True)
    out = pool(x)
    assert out.shape == expected
    assert np.allclose(out.detach().numpy(), pool(x.detach()[None])[0].numpy())
    out.sum().backward()
    assert x.grad.shape == shape


def test_pool_ceil_mode_known_values():
    x = cr.tensor(np.arange(5.0).reshape(1, 1, 5))
    assert np.array_equal(F.max_pool1d(x, 2, ceil_mode=True).numpy()[0, 0], [1, 3, 4])
    # the last window holds one input element: its average is that element
    assert np.array_equal(F.avg_pool1d(x, 2, ceil_mode=True).numpy()[0, 0], [0.5, 2.5, 4])


def test_adaptive_pools_known_values():
    x = cr.tensor(np.arange(5.0).reshape(1, 1, 5))
    # PyTorch's regions for 5 -> 3: [0, 2), [1, 4), [3, 5)
    assert np.allclose(F.adaptive_avg_pool1d(x, 3).numpy()[0, 0], [0.5, 2.0, 3.5])
    assert np.array_equal(F.adaptive_max_pool1d(x, 3).numpy()[0, 0], [1, 3, 4])
    assert F.adaptive_avg_pool1d(x, 0).shape == (1, 1, 0)


def test_padding_modes_known_values():
    x = cr.tensor(np.arange(1.0, 4.0).reshape(1, 1, 3))
    assert np.array_equal(F.pad(x, (2, 1), mode="reflect").numpy()[0, 0], [3, 2, 1, 2, 3, 2])
    assert np.array_equal(F.pad(x, (2, 1), mode="replicate").numpy()[0, 0], [1, 1, 1, 2, 3, 3])
    assert np.array_equal(F.pad(x, (2, 1), mode="circular").numpy()[0, 0], [2, 3, 1, 2, 3, 1])
    layer = nn.Conv1d(1, 1, 3, padding=1, padding_mode="circular", bias=False)
    layer.weight._data[...] = 1.0
    # each output sums its circular neighbourhood: 6 everywhere
    assert np.array_equal(layer(x).detach().numpy()[0, 0], [6, 6, 6])


def test_embedding_padding_idx_keeps_the_value_and_blocks_the_gradient():
    w = cr.tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)
    out = F.embedding(idx([0, 2, 2]), w, padding_idx=-1)  # row 2
    assert np.array_equal(out.detach().numpy(), [[0, 1], [4, 5], [4, 5]])
    out.sum().backward()
    assert np.array_equal(w.grad.numpy(), [[1, 1], [0, 0], [0, 0]])
    assert nn.Embedding(3, 2, padding_idx=-1).padding_idx == 2
    assert F.embedding(idx([]), w).shape == (0, 2)


def test_class_targets_accept_ignore_index_and_one_sample():
    logits = t((4, 3), grad=True)
    target = idx([0, 5, 2, 5])  # 5 is out of range, but ignored
    loss = F.cross_entropy(logits, target, ignore_index=5)
    expected = F.cross_entropy(logits[[0, 2]], idx([0, 2]))
    assert np.isclose(loss.item(), expected.item())
    one = F.cross_entropy(logits[1], idx(2), reduction="none")
    assert one.shape == () and np.isclose(one.item(), F.cross_entropy(logits[1:2], idx([2])).item())
    assert F.nll_loss(logits[0], idx(1)).shape == ()


def test_one_hot():
    assert np.array_equal(F.one_hot(idx([2, 0])).numpy(), [[0, 0, 1], [1, 0, 0]])
    assert F.one_hot(idx([]), 4).shape == (0, 4)
    assert F.one_hot(idx([[1]]), 2).dtype == np.int64


def test_pointwise_losses_broadcast_with_pytorchs_warning():
    x, y = t((3, 4)), t((1, 4), seed=1)
    for loss in (F.mse_loss, F.l1_loss, F.huber_loss, F.smooth_l1_loss):
        with pytest.warns(UserWarning, match="target size"):
            out = loss(x, y, reduction="none")
        assert out.shape == (3, 4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.mse_loss(x, t((3, 4)))  # same shape: no warning
        F.mse_loss(x, 0.0)  # a Python number broadcasts as intended


def test_linear_with_no_input_features():
    with pytest.warns(UserWarning, match="zero-element"):
        layer = nn.Linear(0, 3)
    assert np.all(layer.bias.detach().numpy() == 0)
    out = layer(cr.zeros((2, 0)))
    assert out.shape == (2, 3) and np.all(out.detach().numpy() == 0)


def test_batchnorm_empty_batch_and_refused_batch_leave_the_statistics():
    bn = nn.BatchNorm1d(3)
    assert bn(cr.zeros((0, 3))).shape == (0, 3)
    assert np.all(bn.running_mean.numpy() == 0) and np.all(bn.running_var.numpy() == 1)
    with pytest.raises(ValueError):
        bn(cr.zeros((1, 3)))
    assert int(bn.num_batches_tracked.item()) == 1  # the refused batch was not counted
    assert nn.BatchNorm3d(2)(t((2, 2, 2, 2, 2))).shape == (2, 2, 2, 2, 2)


def test_batchnorm_momentum_none_is_a_cumulative_average():
    bn = nn.BatchNorm1d(2, momentum=None)
    a, b = t((4, 2)), t((4, 2), seed=1)
    bn(a)
    bn(b)
    mean = (a.numpy().mean(0) + b.numpy().mean(0)) / 2
    assert np.allclose(bn.running_mean.numpy(), mean)


def test_rnn_unbatched_input_ignores_batch_first():
    rnn = nn.GRU(3, 4, batch_first=True)
    out, h = rnn(t((5, 3)).float())
    assert out.shape == (5, 4) and h.shape == (1, 4)
