"""Export a chainrule model to ONNX, as PyTorch's ``torch.onnx.export`` (legacy signature).

Needs the ``onnx`` package: ``pip install chainrule[onnx]``.
"""
from __future__ import annotations

import io
import os

from ..autograd.tensor import Tensor
from ._trace import trace

__all__ = ["export"]


def _require_onnx():
    try:
        import onnx
    except ImportError as exc:
        raise ImportError("chainrule.onnx.export needs the onnx package: "
                          "pip install chainrule[onnx]") from exc
    return onnx


def export(model, args, f, *, export_params: bool = True, verbose: bool = False,
           input_names=None, output_names=None, dynamic_axes=None,
           opset_version: int = 17, do_constant_folding: bool = True) -> None:
    """Write ``model`` as an ONNX graph to ``f`` (a path or a binary file object).

    The model runs once on ``args`` (a Tensor or a tuple of them) in eval mode, as
    PyTorch's default ``training=TrainingMode.EVAL``: dropout is off and batch norm uses
    its running statistics; each module's mode is restored afterwards. Every primitive
    the forward applies is recorded, so Sequential models and custom forwards calling
    ``nn.functional`` alike are exported; parameters and buffers become initializers
    named as in ``named_parameters()``, and values that do not depend on the inputs are
    folded into constants. As with PyTorch's tracer, Python control flow and ``.item()``
    values are fixed at their traced values. A primitive with no ONNX mapping raises a
    ``NotImplementedError`` naming it and the module that used it.

    ``dynamic_axes`` maps an input or output name to ``{axis: name}`` (or a list of axes),
    e.g. ``{"input": {0: "batch"}, "output": {0: "batch"}}``.

    >>> import chainrule as cr, io
    >>> model = cr.nn.Sequential(cr.nn.Linear(4, 3), cr.nn.ReLU())
    >>> buf = io.BytesIO()
    >>> cr.onnx.export(model, cr.randn(2, 4), buf, input_names=["x"])  # doctest: +SKIP
    """
    onnx = _require_onnx()
    from ._builder import build
    if not export_params:
        raise NotImplementedError("chainrule.onnx.export: export_params=False is not "
                                  "supported; parameters are always stored as initializers")
    if isinstance(args, Tensor):
        args = (args,)
    elif isinstance(args, list):
        args = tuple(args)
    if not isinstance(args, tuple) or not all(isinstance(a, Tensor) for a in args):
        raise TypeError("chainrule.onnx.export: args must be a Tensor or a tuple of Tensors, "
                        f"got {type(args).__name__}")
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        output, ops = trace(model, args)
    finally:
        for m, training in modes:
            object.__setattr__(m, "training", training)
    proto = build(onnx, model, args, output, ops, input_names, output_names,
                  dynamic_axes or {}, opset_version)
    onnx.checker.check_model(proto)
    if verbose:
        print(onnx.helper.printable_graph(proto.graph))
    data = proto.SerializeToString()
    if isinstance(f, (str, os.PathLike)):
        with open(f, "wb") as fh:
            fh.write(data)
    elif isinstance(f, io.TextIOBase):
        raise TypeError("chainrule.onnx.export: f must be opened in binary mode ('wb')")
    else:
        f.write(data)


def __dir__():
    return __all__

