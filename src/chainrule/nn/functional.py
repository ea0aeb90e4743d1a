"""``chainrule.nn.functional``: layers and losses as functions, with PyTorch's names."""
from __future__ import annotations

import math

import numpy as np

from .. import _backend
from ..autograd.primitives import apply
from ..autograd.tensor import Tensor, make_tensor
from ..ops import elementwise as ew
from ..ops import index as ix
from ..ops import linalg, reduce
from ..ops import nn as ops_nn
from ..ops import shape as sh
from ..ops._util import data_of, normalize_axis, shape_of

relu = ew.relu
sigmoid = ew.sigmoid
tanh = ew.tanh
silu = ew.silu


def leaky_relu(x, negative_slope: float = 0.01):
    return apply(ew.leaky_relu, (x,), {"negative_slope": negative_slope})


def elu(x, alpha: float = 1.0):
    return apply(ew.elu, (x,), {"alpha": alpha})


def gelu(x, approximate: str = "none"):
    return apply(ew.gelu, (x,), {"approximate": approximate})


def softplus(x, beta: float = 1.0, threshold: float = 20.0):
    return apply(ew.softplus, (x,), {"beta": beta, "threshold": threshold})


def softmax(x, dim: int = -1):
    """exp(x) / sum(exp(x)) along ``dim``, as one primitive."""
    return apply(ops_nn.softmax_p, (x,), {"axis": normalize_axis("softmax", dim,
                                                                   len(shape_of(x)))})


def log_softmax(x, dim: int = -1):
    """log(softmax(x)) along ``dim``, computed stably as one primitive."""
    return apply(ops_nn.log_softmax_p, (x,), {"axis": normalize_axis("log_softmax", dim,
                                                                       len(shape_of(x)))})


def linear(x, weight, bias=None):
    """x @ weight.T + bias."""
    out = linalg.matmul(x, sh.permute(weight))
    return out if bias is None else out + bias


def conv1d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return ops_nn.conv(x, weight, bias, stride, padding, dilation, groups)


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution of (N, C, H, W) with weight (O, C/groups, kh, kw)."""
    return ops_nn.conv(x, weight, bias, stride, padding, dilation, groups)


def conv3d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-D convolution of (N, C, D, H, W) with weight (O, C/groups, kd, kh, kw)."""
    return ops_nn.conv(x, weight, bias, stride, padding, dilation, groups)


def max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1):
    return ops_nn.max_pool(x, kernel_size, stride, padding, dilation)


def max_pool1d(x, kernel_size, stride=None, padding=0, dilation=1):
    return ops_nn.max_pool(x, kernel_size, stride, padding, dilation)


def avg_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    if ceil_mode:
        raise NotImplementedError("avg_pool2d: ceil_mode=True is not supported yet")
    return ops_nn.avg_pool(x, kernel_size, stride, padding, count_include_pad, divisor_override)


def adaptive_avg_pool2d(x, output_size):
    """Average over the regions PyTorch uses: [floor(i*H/out), ceil((i+1)*H/out))."""
    out_h, out_w = (output_size, output_size) if isinstance(output_size, int) else output_size
    h, w = shape_of(x)[-2:]
    out_h = h if out_h is None else out_h
    out_w = w if out_w is None else out_w
    if h % out_h == 0 and w % out_w == 0:
        return ops_nn.avg_pool(x, (h // out_h, w // out_w), (h // out_h, w // out_w), 0, True,
                               None)
    rows = []
    for i in range(out_h):
        r0, r1 = (i * h) // out_h, -((-(i + 1) * h) // out_h)
        cols = []
        for j in range(out_w):
            c0, c1 = (j * w) // out_w, -((-(j + 1) * w) // out_w)
            cols.append(reduce.mean(x[..., r0:r1, c0:c1], dim=(-2, -1)))
        rows.append(sh.stack(cols, axis=-1))
    return sh.stack(rows, axis=-2)


def dropout(x, p: float = 0.5, training: bool = True):
    """Zero each element with probability ``p`` and scale the rest by 1/(1-p)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: p must be in [0, 1], got {p}")
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * 0.0
    data = data_of(x)
    keep = _backend.generator().random(data.shape) >= p
    return x * (keep.astype(data.dtype) / (1.0 - p))


def flatten(x, start_dim: int = 1, end_dim: int = -1):
    return sh.flatten(x, start_dim, end_dim)


def embedding(index, weight, padding_idx=None):
    out = ix.getitem(weight, data_of(index))
    if padding_idx is not None:
        mask = (np.asarray(data_of(index)) != padding_idx)[..., None]
        out = out * mask  # the padding row gets no gradient
    return out


def layer_norm(x, normalized_shape, weight=None, bias=None, eps: float = 1e-5):
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if tuple(shape_of(x)[-len(shape):]) != shape:
        raise ValueError(f"layer_norm: normalized_shape {shape} does not match the input's "
                         f"trailing dims {shape_of(x)}")
    out = ops_nn.normalize(x, tuple(range(-len(shape), 0)), eps)
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def group_norm(x, num_groups: int, weight=None, bias=None, eps: float = 1e-5):
    shape = shape_of(x)
    n, c = shape[:2]
    grouped = sh.reshape(x, (n, num_groups, -1))
    out = sh.reshape(ops_nn.normalize(grouped, (2,), eps), shape)
    affine = (1, c) + (1,) * (len(shape) - 2)
    if weight is not None:
        out = out * sh.reshape(weight, affine)
    if bias is not None:
        out = out + sh.reshape(bias, affine)
    return out


def batch_norm(x, running_mean, running_var, weight=None, bias=None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5):
    """Normalize over the batch (and spatial) axes; in training the running statistics are
    updated in place (unbiased variance, as PyTorch)."""
    shape = shape_of(x)
    axes = (0,) + tuple(range(2, len(shape)))
    affine = (1, shape[1]) + (1,) * (len(shape) - 2)
    if training:
        out = ops_nn.normalize(x, axes, eps)
        if running_mean is not None:
            data = data_of(x)
            n = int(np.prod([shape[a] for a in axes]))
            m = momentum
            running_mean._data *= 1 - m
            running_mean._data += m * data.mean(axis=axes)
            running_var._data *= 1 - m
            running_var._data += m * data.var(axis=axes) * n / max(n - 1, 1)
    else:
        out = (x - sh.reshape(running_mean, affine)) * ew.rsqrt(sh.reshape(running_var, affine)
                                                               + eps)
    if weight is not None:
        out = out * sh.reshape(weight, affine)
    if bias is not None:
        out = out + sh.reshape(bias, affine)
    return out


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale=None, training: bool = True):
    """softmax(q k^T * scale + mask) v; a boolean mask marks the allowed positions."""
    d = shape_of(query)[-1]
    scale = 1.0 / math.sqrt(d) if scale is None else scale
    scores = linalg.matmul(query, sh.swapaxes(key, -1, -2)) * scale
    lq, lk = shape_of(scores)[-2:]
    if is_causal:
        allowed = np.tril(np.ones((lq, lk), dtype=bool))
        scores = ix.masked_fill(scores, ~allowed, -np.inf)
    if attn_mask is not None:
        mask = data_of(attn_mask)
        if np.asarray(mask).dtype == bool:
            scores = ix.masked_fill(scores, ~np.asarray(mask), -np.inf)
        else:
            scores = scores + attn_mask
    weights = softmax(scores, dim=-1)
    if dropout_p:
        weights = dropout(weights, dropout_p, training)
    return linalg.matmul(weights, value)


# ----- losses ------------------------------------------------------------------------------
def _reduce_loss(loss, reduction: str, name: str):
    if reduction == "mean":
        return reduce.mean(loss)
    if reduction == "sum":
        return reduce.sum(loss)
    if reduction == "none":
        return loss
    raise ValueError(f"{name}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def mse_loss(input, target, reduction: str = "mean"):
    diff = input - target
    return _reduce_loss(diff * diff, reduction, "mse_loss")


def l1_loss(input, target, reduction: str = "mean"):
    return _reduce_loss(ew.abs_(input - target), reduction, "l1_loss")


def huber_loss(input, target, reduction: str = "mean", delta: float = 1.0):
    diff = input - target
    a = ew.abs_(diff)
    quad = 0.5 * diff * diff
    lin = delta * (a - 0.5 * delta)
    return _reduce_loss(apply(ew.where_, (data_of(a) <= delta, quad, lin)), reduction,
                        "huber_loss")


def smooth_l1_loss(input, target, reduction: str = "mean", beta: float = 1.0):
    if beta == 0:
        return l1_loss(input, target, reduction)
    diff = input - target
    a = ew.abs_(diff)
    out = apply(ew.where_, (data_of(a) < beta, 0.5 * diff * diff / beta, a - 0.5 * beta))
    return _reduce_loss(out, reduction, "smooth_l1_loss")


def binary_cross_entropy(input, target, weight=None, reduction: str = "mean"):
    # PyTorch clamps the logs at -100 so that p = 0 or 1 gives a finite loss.
    log_p = ew.clamp(ew.log(input), min=-100.0)
    log_q = ew.clamp(ew.log(1.0 - input), min=-100.0)
    loss = -(target * log_p + (1.0 - target) * log_q)
    if weight is not None:
        loss = loss * weight
    return _reduce_loss(loss, reduction, "binary_cross_entropy")


def binary_cross_entropy_with_logits(input, target, weight=None, reduction: str = "mean",
                                     pos_weight=None):
    """BCE on logits, stable for any magnitude: softplus(-x) = -log sigmoid(x)."""
    log_sig = -softplus(-input)
    log_one_minus = -softplus(input)
    if pos_weight is not None:
        loss = -(pos_weight * target * log_sig + (1.0 - target) * log_one_minus)
    else:
        loss = -(target * log_sig + (1.0 - target) * log_one_minus)
    if weight is not None:
        loss = loss * weight
    return _reduce_loss(loss, reduction, "binary_cross_entropy_with_logits")


def kl_div(input, target, reduction: str = "mean", log_target: bool = False):
    """KL(target || exp(input)) pointwise; ``reduction='batchmean'`` divides by the batch."""
    if log_target:
        loss = ew.exp(target) * (target - input)
    else:
        # 0 log 0 = 0: the log is taken where the target is positive only.
        safe_log = ew.log(apply(ew.where_, (np.asarray(data_of(target)) > 0, target, 1.0)))
        loss = target * (safe_log - input)
    if reduction == "batchmean":
        return reduce.sum(loss) / shape_of(input)[0]
    return _reduce_loss(loss, reduction, "kl_div")


def _class_last(x):
    """(N, C, d1, ...) -> (N*d1*..., C)."""
    nd = len(shape_of(x))
    if nd == 2:
        return x
    return sh.reshape(sh.moveaxis(x, 1, -1), (-1, shape_of(x)[1]))


def _span(idx) -> tuple:
    """The smallest and largest class index (0, 0 when there are none)."""
    if not idx.size:
        return 0, 0
    return np.minimum.reduce(idx), np.maximum.reduce(idx)  # faster than .min()/.max()


def cross_entropy(input, target, weight=None, ignore_index: int = -100, reduction: str = "mean",
                  label_smoothing: float = 0.0):
    """Cross-entropy of logits (N, C) or (N, C, d...) against class indices or class
    probabilities; one fused primitive (log-softmax and the weighted sum together)."""
    shape = shape_of(input)
    if len(shape) < 2:
        raise ValueError(f"cross_entropy: expected logits of shape (N, C, ...), got {shape}")
    c = shape[1]
    logits = _class_last(input)
    eps = label_smoothing
    t = data_of(target)
    dtype = data_of(input).dtype
    if np.asarray(t).dtype.kind in "iu":  # class indices
        idx = np.asarray(t).reshape(-1)
        if idx.shape[0] != shape_of(logits)[0]:
            raise ValueError(f"cross_entropy: {idx.shape[0]} targets for "
                             f"{shape_of(logits)[0]} predictions (logits {shape})")
        low, high = _span(idx)
        valid = None  # None: no row is ignored
        if low <= ignore_index <= high:
            valid = idx != ignore_index
            low, high = _span(idx[valid])
        if low < 0 or high >= c:
            raise IndexError(f"cross_entropy: target classes must be in [0, {c}), got "
                             f"{low}..{high}")
        safe = idx if valid is None else np.where(valid, idx, 0)
        if not eps:
            if reduction not in ("mean", "sum", "none"):
                _reduce_loss(None, reduction, "cross_entropy")  # raises
            # Per-row weights: the class weight, 0 where ignored (None: all 1).
            scale = None if weight is None else np.asarray(data_of(weight))[safe].astype(dtype)
            if valid is not None:
                scale = valid.astype(dtype) if scale is None else scale * valid
            divisor = 1.0
            if reduction == "mean":
                divisor = float(idx.shape[0] if scale is None else scale.sum())
            per = apply(ops_nn.cross_entropy_classes_p, (logits, safe),
                        {"scale": scale, "divisor": divisor, "reduced": reduction != "none"})
            if reduction == "none":
                return sh.reshape(per, (shape[0],) + tuple(shape[2:]))
            return per
        w = np.ones(c) if weight is None else np.asarray(data_of(weight), dtype=np.float64)
        if valid is None:
            valid = np.ones(idx.shape[0], dtype=bool)
        rows = np.arange(idx.shape[0])
        q = np.zeros((idx.shape[0], c))
        q[rows, safe] = (1.0 - eps) * w[safe]
        q += eps * w[None, :] / c
        q *= valid[:, None]
        per = apply(ops_nn.cross_entropy_p, (logits, q.astype(dtype)))
        if reduction == "mean":
            return reduce.sum(per) / float((w[safe] * valid).sum())
    else:  # class probabilities (possibly requiring grad)
        w = None if weight is None else np.asarray(data_of(weight), dtype=np.float64)
        probs = _class_last(target)
        if eps:
            probs = probs * (1.0 - eps) + eps / c
        q = probs * w.astype(dtype) if weight is not None else probs
        per = apply(ops_nn.cross_entropy_p, (logits, q))
        if reduction == "mean":
            return reduce.mean(per)
    if reduction == "none":
        return sh.reshape(per, (shape[0],) + tuple(shape[2:]))
    return _reduce_loss(per, reduction, "cross_entropy")


def nll_loss(input, target, weight=None, ignore_index: int = -100, reduction: str = "mean"):
    """Negative log-likelihood of log-probabilities (N, C, ...) at class indices."""
    shape = shape_of(input)
    logp = _class_last(input)
    idx = np.asarray(data_of(target)).reshape(-1)
    valid = idx != ignore_index
    safe = np.where(valid, idx, 0)
    w = np.ones(shape[1]) if weight is None else np.asarray(data_of(weight), dtype=np.float64)
    scale = (w[safe] * valid).astype(data_of(input).dtype)
    picked = ix.getitem(logp, (np.arange(idx.shape[0]), safe))
    per = -picked * scale
    if reduction == "mean":
        return reduce.sum(per) / float(scale.sum())
    if reduction == "none":
        return sh.reshape(per, (shape[0],) + tuple(shape[2:]))
    return _reduce_loss(per, reduction, "nll_loss")


def one_hot(index, num_classes: int = -1) -> Tensor:
    idx = np.asarray(data_of(index))
    n = int(idx.max()) + 1 if num_classes < 0 else num_classes
    return make_tensor(np.eye(n, dtype=np.int64)[idx])
