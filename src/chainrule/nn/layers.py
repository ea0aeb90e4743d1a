"""Layers, activations and losses as Modules, with PyTorch's names, arguments, defaults,
initializations and state_dict keys."""
from __future__ import annotations as _annotations

import math as _math

import numpy as _np

from .. import _backend
from ..autograd.tensor import make_tensor as _make_tensor
from ..errors import OpError as _OpError
from ..ops import shape as _sh
from ..ops.conv import transpose_out_size as _transpose_out_size
from ..ops.nn import as_tuple as _as_tuple
from ..ops.nn import check_steps as _check_steps
from ..ops.nn import string_padding as _string_padding
from . import functional as _F
from . import init as _init
from . import linear as _linear
from .module import Module as _Module
from .parameter import Parameter as _Parameter

__all__ = ["Identity", "Linear", "Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d",
           "ConvTranspose2d", "ConvTranspose3d", "MaxPool1d", "MaxPool2d",
           "MaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d", "AdaptiveAvgPool1d",
           "AdaptiveAvgPool2d", "AdaptiveAvgPool3d", "AdaptiveMaxPool1d",
           "AdaptiveMaxPool2d", "AdaptiveMaxPool3d", "Flatten", "Dropout", "Embedding",
           "LayerNorm", "GroupNorm", "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "ReLU",
           "Sigmoid", "Tanh", "SiLU", "LeakyReLU", "ELU", "GELU", "Softplus", "Softmax",
           "LogSoftmax", "CELU", "SELU", "Softsign", "LogSigmoid", "Hardsigmoid",
           "Hardswish", "ReLU6", "Mish", "Hardtanh", "PReLU", "RReLU", "GLU", "Threshold",
           "Softmin", "Tanhshrink", "Softshrink", "Hardshrink", "Softmax2d"]


def _empty(shape, dtype, owner: str = "layer"):
    """An uninitialized Parameter of ``shape``; sizes come from the user, so a negative one
    is reported with the layer's name."""
    if min(shape, default=0) < 0:
        raise _OpError(f"{owner}: sizes must be non-negative, got a parameter of shape {shape}")
    return _Parameter(_np.empty(shape, dtype=_np.dtype(dtype) if dtype is not None
                                else _backend.get_default_dtype()))


class Identity(_Module):
    def forward(self, x):
        return x


class Linear(_Module):
    """y = x W^T + b, initialized as PyTorch's (Kaiming-uniform weight, uniform bias)."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device=None,
                 dtype=None):
        super().__init__()
        _backend.normalize_device(device)
        self.in_features, self.out_features = in_features, out_features
        self.weight = _empty((out_features, in_features), dtype, "Linear")
        self.bias = _empty((out_features,), dtype, "Linear") if bias else None
        if not bias:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _init.kaiming_uniform_(self.weight, a=_math.sqrt(5))
        if self.bias is not None:
            bound = 1 / _math.sqrt(self.in_features) if self.in_features else 0
            _init.uniform_(self.bias, -bound, bound)

    def forward(self, x):
        return _F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _check_groups(name, in_channels, out_channels, groups) -> None:
    """The constructor's check of ``groups`` shared by the conv and transposed conv layers."""
    if type(groups) is not int or groups <= 0:
        raise _OpError(f"{name}: groups must be a positive integer, got {groups!r}")
    if in_channels % groups or out_channels % groups:
        raise _OpError(f"{name}: in_channels ({in_channels}) and out_channels "
                       f"({out_channels}) must be divisible by groups ({groups})")


def _add_parameters(layer, channels, bias, dtype, name) -> None:
    """A conv layer's weight of shape ``channels + kernel_size`` and bias (out_channels,),
    registered and initialized."""
    layer.weight = _empty(channels + layer.kernel_size, dtype, name)
    layer.bias = _empty((layer.out_channels,), dtype, name) if bias else None
    if not bias:
        layer.register_parameter("bias", None)
    layer.reset_parameters()


def _reset_parameters(layer, fan_in_channels) -> None:
    """PyTorch's conv initialization: kaiming-uniform weight, bias uniform in +-1/sqrt(fan_in),
    where fan_in is ``fan_in_channels // groups`` times the kernel's size."""
    _init.kaiming_uniform_(layer.weight, a=_math.sqrt(5))
    if layer.bias is not None:
        fan_in = (fan_in_channels // layer.groups) * _math.prod(layer.kernel_size)
        bound = 1 / _math.sqrt(fan_in) if fan_in else 0
        _init.uniform_(layer.bias, -bound, bound)


class _ConvNd(_Module):
    """Shared by Conv1d/2d/3d: the arguments are checked here, as PyTorch's constructor
    does (ValueError), so a bad layer fails where it is built."""

    nd = 2

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 dilation=1, groups=1, bias=True, padding_mode="zeros", device=None,
                 dtype=None):
        super().__init__()
        _backend.normalize_device(device)
        nd, name = self.nd, type(self).__name__
        _check_groups(name, in_channels, out_channels, groups)
        if padding_mode not in _PADDING_MODES:
            raise _OpError(f"{name}: padding_mode must be one of {_PADDING_MODES}, got "
                           f"{padding_mode!r}")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = _as_tuple(kernel_size, nd, "kernel_size", name)
        self.stride = _as_tuple(stride, nd, "stride", name)
        self.dilation, self.groups = _as_tuple(dilation, nd, "dilation", name), groups
        if isinstance(padding, str):
            both, extra = _string_padding(name, padding, self.kernel_size, self.stride,
                                          self.dilation)
            self.padding = padding
        else:
            self.padding = both = _as_tuple(padding, nd, "padding", name)
            extra = (0,) * nd
        _check_steps(name, self.kernel_size, self.stride, both, self.dilation)
        self.padding_mode = padding_mode
        # F.pad's flat (left, right) pairs, last dim first, for the non-zero modes.
        self._mode_padding = tuple(v for p, e in zip(both[::-1], extra[::-1]) for v in (p, p + e))
        _add_parameters(self, (out_channels, in_channels // groups), bias, dtype, name)

    def reset_parameters(self) -> None:
        _reset_parameters(self, self.in_channels)

    def forward(self, x):
        conv = _CONV[self.nd]
        if self.padding_mode != "zeros":  # pad by the mode first, then convolve unpadded
            x = _F.pad(x, self._mode_padding, mode=self.padding_mode)
            return conv(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)
        return conv(x, self.weight, self.bias, self.stride, self.padding, self.dilation,
                    self.groups)

    def extra_repr(self) -> str:
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}")
        return text if self.padding_mode == "zeros" else \
            f"{text}, padding_mode={self.padding_mode!r}"


_CONV = {1: _F.conv1d, 2: _F.conv2d, 3: _F.conv3d}


class Conv1d(_ConvNd):
    """1-D convolution layer over (N, C, L) or (C, L)."""

    nd = 1


class Conv2d(_ConvNd):
    """2-D convolution layer (stride, padding, dilation, groups, padding_mode) over
    (N, C, H, W) or (C, H, W)."""

    nd = 2


class Conv3d(_ConvNd):
    """3-D convolution layer over (N, C, D, H, W) or (C, D, H, W)."""

    nd = 3


class _ConvTransposeNd(_Module):
    """Shared by ConvTranspose1d/2d/3d: PyTorch's arguments (in its order: output_padding,
    groups, bias, dilation), checks, weight shape (in_channels, out_channels/groups,
    *kernel_size), initialization and ``forward(input, output_size=None)``."""

    nd = 2

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, padding_mode="zeros",
                 device=None, dtype=None):
        super().__init__()
        _backend.normalize_device(device)
        nd, name = self.nd, type(self).__name__
        if padding_mode != "zeros":
            raise _OpError(f'{name}: only "zeros" padding mode is supported, got '
                           f"padding_mode={padding_mode!r}")
        _check_groups(name, in_channels, out_channels, groups)
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = _as_tuple(kernel_size, nd, "kernel_size", name)
        self.stride = _as_tuple(stride, nd, "stride", name)
        self.padding = _as_tuple(padding, nd, "padding", name)
        self.dilation = _as_tuple(dilation, nd, "dilation", name)
        self.output_padding = _as_tuple(output_padding, nd, "output_padding", name)
        self.groups, self.padding_mode = groups, padding_mode
        _check_steps(name, self.kernel_size, self.stride, self.padding, self.dilation)
        _add_parameters(self, (in_channels, out_channels // groups), bias, dtype, name)

    def reset_parameters(self) -> None:
        # PyTorch's fan-in of the transposed weight: its dim 1 times the kernel.
        _reset_parameters(self, self.out_channels)

    def _output_padding(self, x, output_size) -> tuple:
        """The output_padding that gives ``output_size`` (spatial sizes, or the whole shape),
        by PyTorch's rule: each size must lie in [smallest, smallest + stride - 1]."""
        if output_size is None:
            return self.output_padding
        nd, name = self.nd, type(self).__name__
        ndim = len(x.shape)
        lead = 2 if ndim == nd + 2 else 1
        size = tuple(int(v) for v in output_size)
        if len(size) == lead + nd:
            size = size[lead:]
        if len(size) != nd:
            raise _OpError(f"{name}: for a {ndim}-D input, output_size must have {nd} or "
                           f"{lead + nd} elements, got {len(size)}: {tuple(output_size)}")
        smallest = _transpose_out_size(tuple(x.shape[lead:]), self.kernel_size, self.stride,
                                         self.padding, self.dilation)
        largest = tuple(m + s - 1 for m, s in zip(smallest, self.stride))
        if any(not lo <= v <= hi for v, lo, hi in zip(size, smallest, largest)):
            raise _OpError(f"{name}: requested an output size of {size}, but valid sizes "
                           f"range from {smallest} to {largest} (for an input of spatial "
                           f"size {tuple(x.shape[lead:])})")
        return tuple(v - lo for v, lo in zip(size, smallest))

    def forward(self, input, output_size=None):
        return _CONV_TRANSPOSE[self.nd](input, self.weight, self.bias, self.stride,
                                        self.padding, self._output_padding(input, output_size),
                                        self.groups, self.dilation)

    def extra_repr(self) -> str:
        nd = self.nd
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        for attr, default in (("padding", 0), ("dilation", 1), ("output_padding", 0)):
            if getattr(self, attr) != (default,) * nd:
                text += f", {attr}={getattr(self, attr)}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        return text if self.bias is not None else text + ", bias=False"


_CONV_TRANSPOSE = {1: _linear.conv_transpose1d, 2: _linear.conv_transpose2d,
                   3: _linear.conv_transpose3d}


class ConvTranspose1d(_ConvTransposeNd):
    """1-D transposed convolution layer (an upsampling) over (N, C, L) or (C, L)."""

    nd = 1


class ConvTranspose2d(_ConvTransposeNd):
    """2-D transposed convolution layer over (N, C, H, W) or (C, H, W), as in a DCGAN
    generator: ``ConvTranspose2d(64, 32, 4, stride=2, padding=1)`` doubles H and W."""

    nd = 2


class ConvTranspose3d(_ConvTransposeNd):
    """3-D transposed convolution layer over (N, C, D, H, W) or (C, D, H, W)."""

    nd = 3


class _MaxPoolNd(_Module):
    nd = 2

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
                 ceil_mode=False):
        super().__init__()
        self.kernel_size, self.stride = kernel_size, stride
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, x):
        return _MAX_POOL[self.nd](x, self.kernel_size, self.stride, self.padding, self.dilation,
                                  self.ceil_mode, self.return_indices)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride or self.kernel_size}, "
                f"padding={self.padding}, dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class _AvgPoolNd(_Module):
    nd = 2

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad
        self.divisor_override = divisor_override

    def forward(self, x):
        args = (x, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                self.count_include_pad)
        if self.nd == 1:  # PyTorch's avg_pool1d has no divisor_override
            return _F.avg_pool1d(*args)
        return _AVG_POOL[self.nd](*args, self.divisor_override)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride or self.kernel_size}, "
                f"padding={self.padding}")


class _AdaptivePoolNd(_Module):
    nd, kind = 2, "avg"

    def __init__(self, output_size, return_indices=False):
        super().__init__()
        self.output_size = output_size
        self.return_indices = return_indices

    def forward(self, x):
        if self.kind == "avg":
            return _ADAPTIVE["avg", self.nd](x, self.output_size)
        return _ADAPTIVE["max", self.nd](x, self.output_size, self.return_indices)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


_MAX_POOL = {1: _F.max_pool1d, 2: _F.max_pool2d, 3: _F.max_pool3d}
_AVG_POOL = {1: _F.avg_pool1d, 2: _F.avg_pool2d, 3: _F.avg_pool3d}
_ADAPTIVE = {("avg", 1): _F.adaptive_avg_pool1d, ("avg", 2): _F.adaptive_avg_pool2d,
             ("avg", 3): _F.adaptive_avg_pool3d, ("max", 1): _F.adaptive_max_pool1d,
             ("max", 2): _F.adaptive_max_pool2d, ("max", 3): _F.adaptive_max_pool3d}


def _pool_module(base, name: str, nd: int, doc: str, **attrs):
    return type(name, (base,), {"nd": nd, "__doc__": doc, **attrs})


MaxPool1d = _pool_module(_MaxPoolNd, "MaxPool1d", 1, "Max pooling over (N, C, L) or (C, L).")
MaxPool2d = _pool_module(_MaxPoolNd, "MaxPool2d", 2, "Max pooling over (N, C, H, W) or (C, H, W).")
MaxPool3d = _pool_module(_MaxPoolNd, "MaxPool3d", 3, "Max pooling over 3 spatial dims.")
AvgPool1d = _pool_module(_AvgPoolNd, "AvgPool1d", 1, "Average pooling over (N, C, L) or (C, L).")
AvgPool2d = _pool_module(_AvgPoolNd, "AvgPool2d", 2, "Average pooling over 2 spatial dims.")
AvgPool3d = _pool_module(_AvgPoolNd, "AvgPool3d", 3, "Average pooling over 3 spatial dims.")
AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveAvgPool3d = (
    _pool_module(_AdaptivePoolNd, f"AdaptiveAvgPool{nd}d", nd,
                 f"Adaptive average pooling to ``output_size`` over {nd} spatial dim(s).")
    for nd in (1, 2, 3))
AdaptiveMaxPool1d, AdaptiveMaxPool2d, AdaptiveMaxPool3d = (
    _pool_module(_AdaptivePoolNd, f"AdaptiveMaxPool{nd}d", nd,
                 f"Adaptive max pooling to ``output_size`` over {nd} spatial dim(s).",
                 kind="max")
    for nd in (1, 2, 3))


class Flatten(_Module):
    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        return _sh.flatten(x, self.start_dim, self.end_dim)


class Dropout(_Module):
    def __init__(self, p: float = 0.5, inplace: bool = False):
        super().__init__()
        self.p = _F.check_dropout_p("Dropout", p)

    def forward(self, x):
        return _F.dropout(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class Embedding(_Module):
    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx=None, device=None,
                 dtype=None):
        super().__init__()
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.weight = _empty((num_embeddings, embedding_dim), dtype, "Embedding")
        # A negative padding_idx counts from the end, and is kept as the row it names.
        self.padding_idx = _F.padding_index("Embedding", padding_idx, num_embeddings)
        _init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight._data[self.padding_idx] = 0

    def forward(self, index):
        return _F.embedding(index, self.weight, self.padding_idx)


class LayerNorm(_Module):
    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, device=None, dtype=None):
        super().__init__()
        self.normalized_shape = ((normalized_shape,) if isinstance(normalized_shape, int)
                                 else tuple(normalized_shape))
        self.eps = eps
        if elementwise_affine:
            self.weight = _empty(self.normalized_shape, dtype)
            _init.ones_(self.weight)
            self.bias = _empty(self.normalized_shape, dtype) if bias else None
            if bias:
                _init.zeros_(self.bias)
        else:
            self.weight = self.bias = None

    def forward(self, x):
        return _F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)


class GroupNorm(_Module):
    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5,
                 affine: bool = True, device=None, dtype=None):
        super().__init__()
        if type(num_groups) is not int or num_groups <= 0 or num_channels % num_groups:
            raise _OpError(f"GroupNorm: num_channels ({num_channels}) must be divisible by "
                           f"num_groups ({num_groups}), a positive integer")
        self.num_groups, self.num_channels, self.eps = num_groups, num_channels, eps
        if affine:
            self.weight = _init.ones_(_empty((num_channels,), dtype))
            self.bias = _init.zeros_(_empty((num_channels,), dtype))
        else:
            self.weight = self.bias = None

    def forward(self, x):
        return _F.group_norm(x, self.num_groups, self.weight, self.bias, self.eps)


class _BatchNorm(_Module):
    dims = (2, 3)  # the input ranks the layer takes

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1,
                 affine: bool = True, track_running_stats: bool = True, device=None,
                 dtype=None):
        super().__init__()
        name = type(self).__name__
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = _init.ones_(_empty((num_features,), dtype, name))
            self.bias = _init.zeros_(_empty((num_features,), dtype, name))
        else:
            self.weight = self.bias = None
        float_dtype = _np.dtype(dtype) if dtype is not None else _backend.get_default_dtype()
        if track_running_stats:
            self.register_buffer("running_mean", _make_tensor(_np.zeros(num_features, float_dtype)))
            self.register_buffer("running_var", _make_tensor(_np.ones(num_features, float_dtype)))
            self.register_buffer("num_batches_tracked", _make_tensor(_np.array(0, _np.int64)))
        else:
            self.running_mean = self.running_var = None

    def _check_input(self, x) -> None:
        shape = tuple(x.shape)
        if len(shape) not in self.dims:
            ranks = " or ".join(f"{d}-D" for d in self.dims)
            raise _OpError(f"{type(self).__name__}: expected a {ranks} input, got shape {shape}")
        if shape[1] != self.num_features:
            raise _OpError(f"{type(self).__name__}: expected {self.num_features} channels "
                           f"(dim 1), got an input of shape {shape}")

    def forward(self, x):
        self._check_input(x)
        use_batch = self.training or not self.track_running_stats
        tracking = self.training and self.track_running_stats
        momentum = self.momentum
        if tracking and momentum is None:  # a cumulative average over the batches seen
            momentum = 1.0 / (int(self.num_batches_tracked._data) + 1)
        out = _F.batch_norm(x, self.running_mean if self.track_running_stats else None,
                            self.running_var if self.track_running_stats else None,
                            self.weight, self.bias, use_batch, momentum or 0.0, self.eps)
        if tracking:  # after the checks in batch_norm: a refused batch changes nothing
            self.num_batches_tracked._data += 1
        return out

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"


class BatchNorm1d(_BatchNorm):
    """Batch normalization of (N, C) or (N, C, L)."""

    dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalization of (N, C, H, W)."""

    dims = (4,)


class BatchNorm3d(_BatchNorm):
    """Batch normalization of (N, C, D, H, W)."""

    dims = (5,)


_REQUIRED = object()  # a module argument without a default (Threshold's threshold, value)


def _activation(name, fn, doc=None, **defaults):
    """A module calling ``fn(x, **arguments)``; ``defaults`` name the arguments in
    PyTorch's order (``inplace`` among them where PyTorch's module takes it)."""
    def __init__(self, *args, **kwargs):
        _Module.__init__(self)
        names = list(defaults)
        if len(args) > len(names):
            raise TypeError(f"{name}() takes {len(names)} arguments but {len(args)} were "
                            f"given")
        values = dict(defaults)
        values.update(zip(names, args))
        for key, value in kwargs.items():
            if key not in values:
                raise TypeError(f"{name}() got an unexpected keyword argument {key!r}")
            values[key] = value
        missing = [k for k, v in values.items() if v is _REQUIRED]
        if missing:
            raise TypeError(f"{name}() missing required argument(s): {', '.join(missing)}")
        self.__dict__["_args"] = values

    def forward(self, x):
        return fn(x, **self._args)

    def extra_repr(self):
        # as PyTorch's: inplace is shown only when set
        return ", ".join(f"{k}={v}" for k, v in self._args.items()
                         if not (k == "inplace" and not v))

    return type(name, (_Module,), {"__init__": __init__, "forward": forward,
                                   "extra_repr": extra_repr,
                                   "__doc__": doc or f"The {name} activation as a module."})


ReLU = _activation("ReLU", _F.relu, inplace=False)
Sigmoid = _activation("Sigmoid", lambda x: _F.sigmoid(x))
Tanh = _activation("Tanh", lambda x: _F.tanh(x))
SiLU = _activation("SiLU", _F.silu, inplace=False)
LeakyReLU = _activation("LeakyReLU", _F.leaky_relu, negative_slope=0.01, inplace=False)
ELU = _activation("ELU", _F.elu, alpha=1.0, inplace=False)
GELU = _activation("GELU", _F.gelu, approximate="none")
Softplus = _activation("Softplus", _F.softplus, beta=1.0, threshold=20.0)
Softmax = _activation("Softmax", _F.softmax, dim=-1)
LogSoftmax = _activation("LogSoftmax", _F.log_softmax, dim=-1)
CELU = _activation("CELU", _F.celu, alpha=1.0, inplace=False)
SELU = _activation("SELU", _F.selu, inplace=False)
Softsign = _activation("Softsign", lambda x: _F.softsign(x))
LogSigmoid = _activation("LogSigmoid", lambda x: _F.logsigmoid(x))
Hardsigmoid = _activation("Hardsigmoid", _F.hardsigmoid, inplace=False)
Hardswish = _activation("Hardswish", _F.hardswish, inplace=False)
ReLU6 = _activation("ReLU6", _F.relu6, inplace=False)
Mish = _activation("Mish", _F.mish, inplace=False)
Hardtanh = _activation("Hardtanh", _F.hardtanh, min_val=-1.0, max_val=1.0, inplace=False)
GLU = _activation("GLU", _F.glu, dim=-1)
Threshold = _activation("Threshold", _F.threshold, threshold=_REQUIRED, value=_REQUIRED,
                        inplace=False)
Tanhshrink = _activation("Tanhshrink", lambda x: _F.tanhshrink(x))
Softshrink = _activation("Softshrink", _F.softshrink, lambd=0.5)
Hardshrink = _activation("Hardshrink", _F.hardshrink, lambd=0.5)
# PyTorch shows the shrinks' lambd bare: Softshrink(0.5)
Softshrink.extra_repr = Hardshrink.extra_repr = lambda self: str(self._args["lambd"])


class PReLU(_Module):
    """x where x > 0, else a * x, with learnable slopes ``a``: one, or ``num_parameters``
    (one per input channel, dim 1), each initialized to ``init``.

    >>> import chainrule as cr
    >>> cr.nn.PReLU()(cr.tensor([-4.0, 1.0])).tolist()
    [-1.0, 1.0]
    """

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device=None, dtype=None):
        super().__init__()
        _backend.normalize_device(device)
        self.num_parameters, self.init = num_parameters, init
        self.weight = _empty((num_parameters,), dtype, "PReLU")
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _init.constant_(self.weight, self.init)

    def forward(self, x):
        return _F.prelu(x, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class RReLU(_Module):
    """Randomized leaky ReLU: random slopes in [lower, upper] in training, their mean in
    evaluation (``F.rrelu`` with the module's ``training`` flag)."""

    def __init__(self, lower: float = 1.0 / 8, upper: float = 1.0 / 3, inplace: bool = False):
        super().__init__()
        self.lower, self.upper, self.inplace = lower, upper, inplace

    def forward(self, x):
        return _F.rrelu(x, self.lower, self.upper, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"lower={self.lower}, upper={self.upper}" + (", inplace=True" if self.inplace
                                                             else "")


class Softmin(_Module):
    """softmax(-x) along ``dim`` (PyTorch's implicit dim, with its warning, when None)."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return _F.softmin(x, self.dim, _stacklevel=5)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmax2d(_Module):
    """Softmax over the channels (dim -3) of a (C, H, W) or (N, C, H, W) input."""

    def forward(self, x):
        ndim = len(x.shape)
        if ndim not in (3, 4):
            raise _OpError(f"Softmax2d: expected input to be 3D or 4D, got {ndim}D instead "
                           f"(shape {tuple(x.shape)})")
        return _F.softmax(x, -3)
