"""``out=`` for chainrule.numpy functions and the NumPy protocols: the result is written
into ``out`` (recorded when ``out`` is a tensor), never accepted and then ignored."""
from __future__ import annotations as _annotations

from ..autograd.tensor import Tensor as _Tensor
from ..ops import inplace as _inplace

__all__ = ["write_out", "finish"]


def _raw(x):
    return x._data if isinstance(x, _Tensor) else x


def write_out(result, out):
    """Write ``result`` into ``out`` (a tensor, an ndarray, or a tuple of them) and return
    ``out`` as NumPy does. A tensor target records the write, so gradients flow through
    it; an ndarray target is refused when the result carries a gradient (it would be
    dropped)."""
    targets = out if isinstance(out, tuple) else (out,)
    results = result if isinstance(result, tuple) else (result,)
    if len(targets) != len(results):
        raise ValueError(f"out=: expected {len(results)} output array(s), got {len(targets)}")
    for target, value in zip(targets, results):
        if isinstance(target, _Tensor):
            if tuple(target.shape) != tuple(_raw(value).shape if hasattr(_raw(value), "shape")
                                            else ()):
                raise ValueError(f"out=: the output has shape {tuple(target.shape)}, the result "
                                 f"{tuple(getattr(_raw(value), 'shape', ()))}")
            _inplace.setitem(target, Ellipsis, value, "out=")
        elif isinstance(value, _Tensor) and value.requires_grad:
            raise TypeError("out=: writing a result that requires grad into a NumPy array would "
                            "drop its gradient; pass a chainrule tensor as out, or detach()")
        elif target is None:
            raise TypeError("out=: None in an out tuple is not supported by chainrule")
        else:
            if target.shape != getattr(_raw(value), "shape", ()):
                raise ValueError(f"out=: the output has shape {target.shape}, the result "
                                 f"{getattr(_raw(value), 'shape', ())}")
            target[...] = _raw(value)
    return out if isinstance(out, tuple) and len(out) > 1 else targets[0]


def finish(result, out):
    """``result``, or, with ``out`` given, ``result`` written into ``out`` (see write_out)."""
    return result if out is None else write_out(result, out)


def __dir__():
    return __all__
