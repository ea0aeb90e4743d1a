"""Normalization functions, as in ``torch.nn.functional``: layer_norm, group_norm and
batch_norm (which updates the running statistics in training), each on the one
normalization primitive, then scaled and shifted.
"""
from __future__ import annotations

import math

from ..errors import OpError
from ..ops import elementwise as ew
from ..ops import shape as sh
from ..ops._util import data_of, shape_of
from ..ops.normalization import normalize

__all__ = ["layer_norm", "group_norm", "batch_norm"]


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
    out = normalize(x, tuple(range(-len(shape), 0)), eps)
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
    out = sh.reshape(normalize(grouped, (2,), eps), shape)
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
        out = normalize(x, axes, eps)
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


def __dir__():  # dir() and tab completion show what the module exports, not its helpers
    return __all__
