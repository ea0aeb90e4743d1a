"""``chainrule.nn.functional``: layers and losses as functions, with PyTorch's names."""
from __future__ import annotations

import math
import warnings

import numpy as np

from .. import _backend
from ..autograd.primitives import apply
from ..autograd.tensor import Tensor, make_tensor
from ..errors import IndexOutOfRangeError, OpError, OpTypeError
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
    xs, ws = shape_of(x), shape_of(weight)
    if not xs or (len(ws) == 2 and xs[-1] != ws[1]):
        raise OpError(f"linear: the input of shape {tuple(xs)} does not fit the weight of shape "
                      f"{tuple(ws)}: its last dim must be in_features = weight.shape[1]")
    out = linalg.matmul(x, sh.permute(weight))
    return out if bias is None else out + bias


def conv1d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution of (N, C, L) or (C, L) with weight (O, C/groups, k); ``padding``
    may be numbers, 'valid' or 'same'."""
    return ops_nn.conv(x, weight, bias, stride, padding, dilation, groups, nd=1)


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution of (N, C, H, W) or (C, H, W) with weight (O, C/groups, kh, kw)."""
    return ops_nn.conv(x, weight, bias, stride, padding, dilation, groups, nd=2)


def conv3d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-D convolution of (N, C, D, H, W) or (C, D, H, W) with weight
    (O, C/groups, kd, kh, kw)."""
    return ops_nn.conv(x, weight, bias, stride, padding, dilation, groups, nd=3)


# PyTorch's modes, as NumPy's np.pad names the same index patterns.
_PAD_MODES = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def pad(x, pad, mode: str = "constant", value=None):
    """PyTorch's ``F.pad``: ``pad`` holds (left, right) pairs starting from the last dim,
    e.g. (1, 1, 2, 0) pads the last dim by 1 and 1 and the one before by 2 and 0.
    ``mode``: 'constant' (with ``value``), 'reflect', 'replicate' or 'circular'."""
    if mode == "constant":
        return sh.pad(x, tuple(pad), value=0.0 if value is None else value)
    if mode not in _PAD_MODES:
        raise OpError(f"pad: mode must be 'constant', 'reflect', 'replicate' or 'circular', "
                      f"got {mode!r}")
    shape = shape_of(x)
    pad = tuple(pad)
    if len(pad) % 2 or len(pad) // 2 > len(shape):
        raise OpError(f"pad: padding {pad} must hold (left, right) pairs for at most "
                      f"{len(shape)} dims")
    for i in range(len(pad) // 2):
        axis, lo, hi = len(shape) - 1 - i, pad[2 * i], pad[2 * i + 1]
        n = shape[axis]
        if lo < 0 or hi < 0:
            raise OpError(f"pad: {mode} padding must be non-negative, got {pad}")
        # Beyond these, PyTorch refuses (NumPy would reflect or wrap again).
        if (mode == "reflect" and max(lo, hi) >= n) or (mode == "circular" and max(lo, hi) > n) \
                or (mode == "replicate" and n == 0 and (lo or hi)):
            limit = {"reflect": "less than", "circular": "at most", "replicate": "(non-empty)"}
            raise OpError(f"pad: {mode} padding ({lo}, {hi}) of dim {axis} must be "
                          f"{limit[mode]} its size {n} (input of shape {tuple(shape)})")
        if lo or hi:
            index = np.pad(np.arange(n), (lo, hi), mode=_PAD_MODES[mode])
            x = ix.index_select(x, axis, index)
    return x


def _pool_fn(nd: int, kind: str):
    """PyTorch's max_pool{nd}d or avg_pool{nd}d (avg_pool1d has no divisor_override)."""
    if kind == "max":
        def pool(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                 return_indices=False):
            if return_indices:
                raise NotImplementedError(f"max_pool{nd}d: return_indices=True is not "
                                          f"supported yet")
            return ops_nn.max_pool(x, kernel_size, stride, padding, dilation,
                                   ceil_mode=ceil_mode, nd=nd)
        pool.__doc__ = (f"Max pooling of (N, C, *spatial) or (C, *spatial) over {nd} spatial "
                        f"dim(s), as PyTorch's max_pool{nd}d.")
    elif nd == 1:
        def pool(x, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True):
            return ops_nn.avg_pool(x, kernel_size, stride, padding, count_include_pad, None,
                                   ceil_mode=ceil_mode, nd=1)
        pool.__doc__ = "Average pooling of (N, C, L) or (C, L), as PyTorch's avg_pool1d."
    else:
        def pool(x, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):
            return ops_nn.avg_pool(x, kernel_size, stride, padding, count_include_pad,
                                   divisor_override, ceil_mode=ceil_mode, nd=nd)
        pool.__doc__ = (f"Average pooling of (N, C, *spatial) or (C, *spatial) over {nd} "
                        f"spatial dims, as PyTorch's avg_pool{nd}d.")
    pool.__name__ = pool.__qualname__ = f"{kind}_pool{nd}d"
    return pool


max_pool1d, max_pool2d, max_pool3d = (_pool_fn(nd, "max") for nd in (1, 2, 3))
avg_pool1d, avg_pool2d, avg_pool3d = (_pool_fn(nd, "avg") for nd in (1, 2, 3))


def _adaptive_axis(x, axis: int, n: int, out: int, kind: str):
    """Adaptive pooling along one axis: output i covers [floor(i*n/out), ceil((i+1)*n/out)),
    PyTorch's regions. Rectangular regions are products of these, and mean and max over a
    product are one axis after the other, so n-d pooling is a 1-d pass per axis."""
    bounds = [((i * n) // out, -((-(i + 1) * n) // out)) for i in range(out)]
    if kind == "avg":  # one matmul with the (n, out) matrix of region weights
        weights = np.zeros((n, out), dtype=data_of(x).dtype)
        for i, (lo, hi) in enumerate(bounds):
            weights[lo:hi, i] = 1.0 / (hi - lo)
        return sh.moveaxis(linalg.matmul(sh.moveaxis(x, axis, -1), weights), -1, axis)
    before = (slice(None),) * axis
    if not bounds:  # an empty output along this axis
        return ix.getitem(x, before + (slice(0, 0),))
    return sh.stack([reduce.amax(ix.getitem(x, before + (slice(lo, hi),)), dim=axis)
                     for lo, hi in bounds], axis=axis)


def _adaptive_pool(kind: str, nd: int, x, output_size):
    op = f"adaptive_{kind}_pool{nd}d"
    given = shape_of(x)
    x, unbatched = ops_nn.with_batch_axis(op, x, nd)
    in_sp = shape_of(x)[2:]
    # PyTorch's rules: the spatial sizes must be non-zero, and for max pooling and 3-d
    # average pooling every dim after the first (so an unbatched input may have no channels).
    if 0 in in_sp or ((kind == "max" or nd == 3) and 0 in given[1:]):
        raise OpError(f"{op}: expected non-zero sizes in the non-batch dims, got an input of "
                      f"shape {tuple(given)}")
    sizes = (output_size,) * nd if output_size is None or isinstance(output_size, int) \
        else tuple(output_size)
    if len(sizes) != nd:
        raise OpError(f"{op}: output_size must be an int or a tuple of {nd}, got "
                      f"{output_size!r}")
    sizes = tuple(n if o is None else o for o, n in zip(sizes, in_sp))
    if any(type(o) is not int for o in sizes):
        raise OpTypeError(f"{op}: output_size must hold ints (or None), got {output_size!r}")
    if min(sizes) < 0:
        raise OpError(f"{op}: output_size must be non-negative, got {sizes}")
    if shape_of(x)[1] and all(o and n % o == 0 for o, n in zip(sizes, in_sp)):
        # whole windows: one pooling call
        k = tuple(n // o for o, n in zip(sizes, in_sp))
        out = ops_nn.max_pool(x, k, k, nd=nd) if kind == "max" else \
            ops_nn.avg_pool(x, k, k, nd=nd)
    else:
        out = x
        for axis, (n, o) in enumerate(zip(in_sp, sizes), start=2):
            if n != o:
                out = _adaptive_axis(out, axis, n, o, kind)
    return sh.squeeze(out, 0) if unbatched else out


def _adaptive_fn(nd: int, kind: str):
    """PyTorch's adaptive_{kind}_pool{nd}d (only max has return_indices)."""
    if kind == "avg":
        def pool(x, output_size):
            return _adaptive_pool(kind, nd, x, output_size)
    else:
        def pool(x, output_size, return_indices=False):
            if return_indices:
                raise NotImplementedError(f"adaptive_max_pool{nd}d: return_indices=True is "
                                          f"not supported yet")
            return _adaptive_pool(kind, nd, x, output_size)
    pool.__name__ = pool.__qualname__ = f"adaptive_{kind}_pool{nd}d"
    pool.__doc__ = (f"Adaptive {kind} pooling of (N, C, *spatial) or (C, *spatial) to "
                    f"``output_size`` over {nd} spatial dim(s), with PyTorch's regions "
                    f"[floor(i*n/out), ceil((i+1)*n/out)); None keeps a size.")
    return pool


adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d = (
    _adaptive_fn(nd, "avg") for nd in (1, 2, 3))
adaptive_max_pool1d, adaptive_max_pool2d, adaptive_max_pool3d = (
    _adaptive_fn(nd, "max") for nd in (1, 2, 3))


def check_dropout_p(op: str, p) -> float:
    """A dropout probability, which PyTorch requires to be in [0, 1]."""
    if not 0.0 <= p <= 1.0:  # also refuses NaN
        raise OpError(f"{op}: dropout probability has to be between 0 and 1, but got {p}")
    return p


def dropout(x, p: float = 0.5, training: bool = True):
    """Zero each element with probability ``p`` and scale the rest by 1/(1-p)."""
    check_dropout_p("dropout", p)
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * 0.0
    data = data_of(x)
    keep = _backend.generator().random(data.shape) >= p
    return x * (keep.astype(data.dtype) / (1.0 - p))


def flatten(x, start_dim: int = 1, end_dim: int = -1):
    return sh.flatten(x, start_dim, end_dim)


def _span(idx) -> tuple:
    """The smallest and largest entry of an index array (0, 0 when it is empty): one pass
    each, the whole cost of a range check."""
    if not idx.size:
        return 0, 0
    return int(np.minimum.reduce(idx, axis=None)), int(np.maximum.reduce(idx, axis=None))


def _index_array(op: str, index, what: str = "indices"):
    """The integer array behind ``index``; PyTorch takes no floating or boolean indices."""
    idx = np.asarray(data_of(index))
    if idx.dtype.kind not in "iu":
        raise OpTypeError(f"{op}: {what} must be an integer tensor, got dtype {idx.dtype}")
    return idx


def padding_index(op: str, padding_idx, num_embeddings: int):
    """``padding_idx`` as a row of the table (a negative one counts from the end), or None."""
    if padding_idx is None:
        return None
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise OpError(f"{op}: padding_idx must be within num_embeddings: in "
                      f"[{-num_embeddings}, {num_embeddings}), got {padding_idx}")
    return padding_idx % num_embeddings


def embedding(input, weight, padding_idx=None):
    """Rows of ``weight`` (num_embeddings, embedding_dim) at the integer ``input``; every
    index must be in [0, num_embeddings) (none wraps around). The ``padding_idx`` row keeps
    its value but gets no gradient, as in PyTorch."""
    ws = shape_of(weight)
    if len(ws) != 2:
        raise OpError(f"embedding: weight must be 2-D (num_embeddings, embedding_dim), got "
                      f"shape {tuple(ws)}")
    idx = _index_array("embedding", input)
    low, high = _span(idx)
    if low < 0 or high >= ws[0]:
        raise IndexOutOfRangeError(
            f"embedding: index {low if low < 0 else high} is out of range for a weight of "
            f"{ws[0]} rows: indices must be in [0, {ws[0]}) (got values {low}..{high})")
    padding_idx = padding_index("embedding", padding_idx, ws[0])
    out = ix.getitem(weight, idx)
    if padding_idx is not None:
        # The same rows, read through an unrecorded copy where the index is padding_idx.
        frozen = np.asarray(data_of(weight))[idx]
        out = apply(ew.where_, ((idx != padding_idx)[..., None], out, frozen))
    return out


def _check_affine(op: str, name: str, t, expected: tuple, what: str) -> None:
    if t is not None and tuple(shape_of(t)) != expected:
        raise OpError(f"{op}: {name} must have shape {expected} ({what}), got "
                      f"{tuple(shape_of(t))}")


def layer_norm(x, normalized_shape, weight=None, bias=None, eps: float = 1e-5):
    """Normalize over the trailing ``normalized_shape`` dims, then scale and shift."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    xs = tuple(shape_of(x))
    if not shape or len(xs) < len(shape) or xs[len(xs) - len(shape):] != shape:
        raise OpError(f"layer_norm: normalized_shape {shape} does not match the trailing dims "
                      f"of the input of shape {xs}; expected an input of shape (*, "
                      f"{', '.join(map(str, shape))})")
    _check_affine("layer_norm", "weight", weight, shape, "normalized_shape")
    _check_affine("layer_norm", "bias", bias, shape, "normalized_shape")
    out = ops_nn.normalize(x, tuple(range(-len(shape), 0)), eps)
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def group_norm(x, num_groups: int, weight=None, bias=None, eps: float = 1e-5):
    """Normalize (N, C, ...) over each group of C/num_groups channels (and the spatial dims),
    then scale and shift per channel."""
    shape = tuple(shape_of(x))
    if len(shape) < 2:
        raise OpError(f"group_norm: expected an input of shape (N, C, ...), got {shape}")
    n, c = shape[:2]
    if num_groups <= 0 or c % num_groups:
        raise OpError(f"group_norm: the input's {c} channels (shape {shape}) do not split "
                      f"into num_groups={num_groups} groups; num_groups must be a positive "
                      f"divisor of the channels")
    if (n * c // num_groups) * math.prod(shape[2:]) == 1:  # PyTorch's own count
        raise OpError(f"group_norm: expected more than 1 value per channel when training, got "
                      f"input of shape {shape} with num_groups={num_groups}")
    _check_affine("group_norm", "weight", weight, (c,), "one per channel")
    _check_affine("group_norm", "bias", bias, (c,), "one per channel")
    # The group's size spelled out: -1 cannot be resolved in an empty batch.
    grouped = sh.reshape(x, (n, num_groups, (c // num_groups) * math.prod(shape[2:])))
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
    shape = tuple(shape_of(x))
    if len(shape) < 2:
        raise OpError(f"batch_norm: expected an input of shape (N, C, ...), got {shape}")
    if not math.prod(shape):  # PyTorch answers an empty input as it is, checking nothing
        return x * 1.0
    c = shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is not None and math.prod(shape_of(t)) != c:
            raise OpError(f"batch_norm: {name} must hold {c} values (one per channel of the "
                          f"input of shape {shape}), got shape {tuple(shape_of(t))}")
    axes = (0,) + tuple(range(2, len(shape)))
    affine = (1, c) + (1,) * (len(shape) - 2)
    if training:
        n = math.prod(shape) // c  # values per channel
        if n == 1:
            raise OpError(f"batch_norm: expected more than 1 value per channel when training, "
                          f"got input of shape {shape}; use a larger batch, or eval() mode")
        out = ops_nn.normalize(x, axes, eps)
        if running_mean is not None:
            data = data_of(x)
            m = momentum
            running_mean._data *= 1 - m
            running_mean._data += m * data.mean(axis=axes)
            running_var._data *= 1 - m
            running_var._data += m * data.var(axis=axes) * n / max(n - 1, 1)
    else:
        if running_mean is None or running_var is None:
            raise OpError("batch_norm: running_mean and running_var must be given when not "
                          "training (or pass training=True to use the batch's statistics)")
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
_REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(op: str, reduction: str, extra: tuple = ()) -> None:
    if reduction not in _REDUCTIONS and reduction not in extra:
        choices = ", ".join(repr(r) for r in _REDUCTIONS + tuple(extra))
        raise OpError(f"{op}: reduction must be one of {choices}, got {reduction!r}")


def _reduce_loss(loss, reduction: str, name: str):
    if reduction == "mean":
        return reduce.mean(loss)
    if reduction == "sum":
        return reduce.sum(loss)
    if reduction == "none":
        return loss
    _check_reduction(name, reduction)  # raises


def _broadcast_target(op: str, input, target, warn: bool = True) -> None:
    """PyTorch's rule for the pointwise losses: a target of another shape is broadcast
    against the input (with PyTorch's warning, when ``warn``); shapes that do not broadcast
    are an error. A valid call pays one tuple comparison."""
    a, b = tuple(shape_of(input)), tuple(shape_of(target))
    if a == b:
        return
    try:
        np.broadcast_shapes(a, b)
    except ValueError:
        raise OpError(f"{op}: the target of shape {b} does not broadcast with the input of "
                      f"shape {a}; give them the same shape") from None
    if warn and hasattr(target, "shape"):  # a Python number broadcasts, as intended
        warnings.warn(f"{op}: Using a target size ({b}) that is different to the input size "
                      f"({a}). This will likely lead to incorrect results due to "
                      f"broadcasting. Please ensure they have the same size.", UserWarning,
                      stacklevel=3)


def _same_shape_target(op: str, input, target) -> None:
    """The binary cross-entropies take no broadcast target (PyTorch's ValueError)."""
    a, b = tuple(shape_of(input)), tuple(shape_of(target))
    if a != b:
        raise OpError(f"{op}: the target's shape {b} must be the same as the input's {a}")


def mse_loss(input, target, reduction: str = "mean"):
    """(input - target)^2, reduced."""
    _check_reduction("mse_loss", reduction)
    _broadcast_target("mse_loss", input, target)
    diff = input - target
    return _reduce_loss(diff * diff, reduction, "mse_loss")


def l1_loss(input, target, reduction: str = "mean"):
    """|input - target|, reduced."""
    _check_reduction("l1_loss", reduction)
    _broadcast_target("l1_loss", input, target)
    return _reduce_loss(ew.abs_(input - target), reduction, "l1_loss")


def huber_loss(input, target, reduction: str = "mean", delta: float = 1.0):
    """Quadratic within ``delta`` (> 0) of the target, linear beyond."""
    _check_reduction("huber_loss", reduction)
    if not delta > 0:
        raise OpError(f"huber_loss: delta must be positive, got {delta}")
    _broadcast_target("huber_loss", input, target)
    diff = input - target
    a = ew.abs_(diff)
    quad = 0.5 * diff * diff
    lin = delta * (a - 0.5 * delta)
    return _reduce_loss(apply(ew.where_, (data_of(a) <= delta, quad, lin)), reduction,
                        "huber_loss")


def smooth_l1_loss(input, target, reduction: str = "mean", beta: float = 1.0):
    """Huber loss divided by ``beta`` (>= 0; 0 is the L1 loss)."""
    _check_reduction("smooth_l1_loss", reduction)
    if not beta >= 0:
        raise OpError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    _broadcast_target("smooth_l1_loss", input, target)
    diff = input - target
    if beta == 0:
        return _reduce_loss(ew.abs_(diff), reduction, "smooth_l1_loss")
    a = ew.abs_(diff)
    out = apply(ew.where_, (data_of(a) < beta, 0.5 * diff * diff / beta, a - 0.5 * beta))
    return _reduce_loss(out, reduction, "smooth_l1_loss")


def _check_unit_interval(op: str, name: str, x) -> None:
    """Every value of ``x`` in [0, 1] (NaN is not): one min and one max."""
    data = np.asarray(data_of(x))
    if data.size:
        low, high = np.minimum.reduce(data, axis=None), np.maximum.reduce(data, axis=None)
        if not (low >= 0 and high <= 1):
            raise OpError(f"{op}: all elements of {name} should be between 0 and 1, got "
                          f"values in [{low}, {high}]; for logits use "
                          f"binary_cross_entropy_with_logits")


def binary_cross_entropy(input, target, weight=None, reduction: str = "mean"):
    """-(t log p + (1 - t) log(1 - p)) of probabilities ``input`` in [0, 1]."""
    _check_reduction("binary_cross_entropy", reduction)
    _same_shape_target("binary_cross_entropy", input, target)
    _check_unit_interval("binary_cross_entropy", "input", input)
    _check_unit_interval("binary_cross_entropy", "target", target)
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
    _check_reduction("binary_cross_entropy_with_logits", reduction)
    _same_shape_target("binary_cross_entropy_with_logits", input, target)
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
    _check_reduction("kl_div", reduction, ("batchmean",))
    _broadcast_target("kl_div", input, target, warn=False)  # PyTorch broadcasts silently
    if reduction == "mean":
        warnings.warn("kl_div: reduction='mean' divides the total loss by both the batch size "
                      "and the support size; 'batchmean' divides only by the batch size, as "
                      "the KL divergence's definition does", UserWarning, stacklevel=2)
    if log_target:
        loss = ew.exp(target) * (target - input)
    else:
        # 0 log 0 = 0: the log is taken where the target is positive only.
        safe_log = ew.log(apply(ew.where_, (np.asarray(data_of(target)) > 0, target, 1.0)))
        loss = target * (safe_log - input)
    if reduction == "batchmean":
        shape = shape_of(input)
        return reduce.sum(loss) / (shape[0] if shape else 1)
    return _reduce_loss(loss, reduction, "kl_div")


def _class_last(x):
    """(N, C, d1, ...) -> (N*d1*..., C)."""
    nd = len(shape_of(x))
    if nd == 2:
        return x
    return sh.reshape(sh.moveaxis(x, 1, -1), (-1, shape_of(x)[1]))


def _class_targets(op: str, shape: tuple, target, weight, ignore_index: int):
    """Check class-index targets against scores of ``shape`` (N, C, d1, ...) or (C,), as
    PyTorch does: integers of shape (N, d1, ...) (or () for (C,)), each in [0, C) or equal
    to ``ignore_index``, and a ``weight`` of one entry per class. Returns the flat indices
    and the rows to keep (None: all of them). The range check is one min and one max."""
    c = shape[1] if len(shape) > 1 else shape[0]
    t = np.asarray(data_of(target))
    expected = shape[:1] + shape[2:] if len(shape) > 1 else ()
    if t.dtype.kind not in "iu":
        raise OpError(f"{op}: class-index targets must be integers, got dtype {t.dtype}; a "
                      f"floating target holds class probabilities and must have the input's "
                      f"shape {shape}, got {t.shape}")
    if t.shape != expected and not (len(shape) == 1 and t.shape == (1,)):  # PyTorch's too
        raise OpError(f"{op}: expected a target of shape {expected} (the input's shape "
                      f"{shape} without its class dim), got {t.shape}")
    idx = t.reshape(-1)
    low, high = _span(idx)
    valid = None
    if low <= ignore_index <= high:
        valid = idx != ignore_index
        low, high = _span(idx[valid])
    if low < 0 or high >= c:
        raise IndexOutOfRangeError(
            f"{op}: Target {low if low < 0 else high} is out of bounds: class indices must be "
            f"in [0, {c}) (or equal ignore_index={ignore_index}); got values {low}..{high}")
    if weight is not None and tuple(shape_of(weight)) != (c,):
        raise OpError(f"{op}: weight must have one entry per class, shape ({c},), got "
                      f"{tuple(shape_of(weight))}")
    return idx, valid


def _scores(op: str, input):
    """(shape, scores as (rows, C)): one sample (C,) is a batch of one row."""
    shape = tuple(shape_of(input))
    if not shape:
        raise OpError(f"{op}: expected scores of shape (N, C, ...) or (C,), got a scalar")
    return shape, (sh.reshape(input, (1, shape[0])) if len(shape) == 1 else _class_last(input))


def _per_sample(per, shape):
    """Per-row losses in the input's layout: (N, d1, ...), or () for one sample (C,)."""
    return sh.reshape(per, shape[:1] + shape[2:] if len(shape) > 1 else ())


def _no_weight_mean(per, valid, dtype):
    """PyTorch's weighted mean when the total weight is 0 (an empty batch, every row
    ignored, zero class weights): the value is 0/0, NaN, while the ignored rows still get a
    zero gradient and the others NaN. ``per``: the unreduced row losses."""
    rows = np.where(valid, np.nan, 0.0).astype(dtype)
    return reduce.sum(per * rows) + np.nan


def cross_entropy(input, target, weight=None, ignore_index: int = -100, reduction: str = "mean",
                  label_smoothing: float = 0.0):
    """Cross-entropy of logits (N, C), (N, C, d...) or (C,) against class indices or class
    probabilities (a floating target of the input's shape); one fused primitive
    (log-softmax and the weighted sum together)."""
    _check_reduction("cross_entropy", reduction)
    if label_smoothing > 1.0:
        raise OpError(f"cross_entropy: label_smoothing must be between 0.0 and 1.0, got "
                      f"{label_smoothing}")
    shape, logits = _scores("cross_entropy", input)
    c = shape[1] if len(shape) > 1 else shape[0]
    eps = max(label_smoothing, 0.0)  # PyTorch takes a negative one as none
    t = data_of(target)
    dtype = data_of(input).dtype
    if tuple(shape_of(t)) == shape and np.asarray(t).dtype.kind == "f":  # probabilities
        if ignore_index >= 0:  # PyTorch lets a negative one pass
            raise OpError(f"cross_entropy: ignore_index={ignore_index} is not supported for a "
                          f"floating (class probabilities) target")
        if weight is not None and tuple(shape_of(weight)) != (c,):
            raise OpError(f"cross_entropy: weight must have one entry per class, shape "
                          f"({c},), got {tuple(shape_of(weight))}")
        w = None if weight is None else np.asarray(data_of(weight), dtype=np.float64)
        probs = sh.reshape(target, (1, c)) if len(shape) == 1 else _class_last(target)
        if eps:
            probs = probs * (1.0 - eps) + eps / c
        q = probs * w.astype(dtype) if weight is not None else probs
        per = apply(ops_nn.cross_entropy_p, (logits, q))
        if reduction == "mean":
            return reduce.mean(per)
        return _per_sample(per, shape) if reduction == "none" else reduce.sum(per)
    idx, valid = _class_targets("cross_entropy", shape, target, weight, ignore_index)
    safe = idx if valid is None else np.where(valid, idx, 0)
    if not eps:
        # Per-row weights: the class weight, 0 where ignored (None: all 1).
        scale = None if weight is None else np.asarray(data_of(weight))[safe].astype(dtype)
        if valid is not None:
            scale = valid.astype(dtype) if scale is None else scale * valid
        divisor = 1.0
        if reduction == "mean":
            divisor = float(idx.shape[0] if scale is None else scale.sum())
            if not divisor:
                per = apply(ops_nn.cross_entropy_classes_p, (logits, safe),
                            {"scale": None, "divisor": 1.0, "reduced": False})
                return _no_weight_mean(per, np.ones(idx.shape, bool) if valid is None
                                       else valid, dtype)
        per = apply(ops_nn.cross_entropy_classes_p, (logits, safe),
                    {"scale": scale, "divisor": divisor, "reduced": reduction != "none"})
        return _per_sample(per, shape) if reduction == "none" else per
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
        total = float((w[safe] * valid).sum())
        return reduce.sum(per) / total if total else _no_weight_mean(per, valid, dtype)
    return _per_sample(per, shape) if reduction == "none" else reduce.sum(per)


def nll_loss(input, target, weight=None, ignore_index: int = -100, reduction: str = "mean"):
    """Negative log-likelihood of log-probabilities (N, C, ...) or (C,) at class indices."""
    _check_reduction("nll_loss", reduction)
    shape, logp = _scores("nll_loss", input)
    c = shape[1] if len(shape) > 1 else shape[0]
    idx, valid = _class_targets("nll_loss", shape, target, weight, ignore_index)
    valid = np.ones(idx.shape, dtype=bool) if valid is None else valid
    safe = np.where(valid, idx, 0)
    w = np.ones(c) if weight is None else np.asarray(data_of(weight), dtype=np.float64)
    scale = (w[safe] * valid).astype(data_of(input).dtype)
    picked = ix.getitem(logp, (np.arange(idx.shape[0]), safe))
    per = -picked * scale
    if reduction == "mean":
        total = float(scale.sum())
        return reduce.sum(per) / total if total else \
            _no_weight_mean(-picked, valid, data_of(input).dtype)
    return _per_sample(per, shape) if reduction == "none" else reduce.sum(per)


def one_hot(tensor, num_classes: int = -1) -> Tensor:
    """int64 one-hot rows of the class indices ``tensor``, each in [0, num_classes); -1
    infers num_classes as the largest index + 1."""
    idx = _index_array("one_hot", tensor, "class indices")
    if num_classes == -1:
        if not idx.size:
            raise OpError("one_hot: cannot infer the number of classes from an empty tensor; "
                          "pass num_classes")
        num_classes = _span(idx)[1] + 1
    low, high = _span(idx)
    if low < 0:
        raise IndexOutOfRangeError(f"one_hot: class values must be non-negative, got {low}")
    if idx.size and high >= num_classes:
        raise IndexOutOfRangeError(f"one_hot: class values must be smaller than num_classes="
                                   f"{num_classes}, got {high}")
    if num_classes < 0:
        raise OpError(f"one_hot: num_classes must be -1 (inferred) or non-negative, got "
                      f"{num_classes}")
    out = np.zeros(idx.shape + (num_classes,), dtype=np.int64)
    np.put_along_axis(out, idx[..., None].astype(np.intp), 1, axis=-1)
    return make_tensor(out)
