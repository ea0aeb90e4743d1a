"""Turn a trace (``_trace.trace``) into an ONNX ModelProto: one mapping per primitive.

Values are known by the identity of their arrays: the traced inputs, the parameters and
buffers, and each op's result. An op whose operands are all constant (parameters,
buffers, literals) is not exported: its result is folded into an initializer where it is
used. ``dyn[name]`` is the set of axes of a value that vary with the dynamic input axes,
so that shapes written into the graph (Reshape) leave those axes free.
"""
from __future__ import annotations

import math

import numpy as np

__all__ = ["build"]


class _Ctx:
    def __init__(self, onnx, opset: int):
        self.onnx, self.helper, self.opset = onnx, onnx.helper, opset
        self.nodes, self.inits, self.names = [], [], {}  # names: id(array) -> name
        self.dyn = {}  # name -> set of dynamic axes (only for values computed from inputs)
        self.consts = {}  # id(array) -> initializer name
        self.keep = []  # arrays kept alive so their ids stay unique
        self.counter = 0

    def fresh(self, base: str) -> str:
        self.counter += 1
        return f"/{base}_{self.counter}"

    def const(self, value, name=None) -> str:
        arr = np.asarray(value)
        key = id(value)
        if name is None and key in self.consts:
            return self.consts[key]
        name = name or self.fresh("Constant")
        self.inits.append(self.onnx.numpy_helper.from_array(np.ascontiguousarray(arr), name))
        if not isinstance(value, (int, float, bool)):
            self.consts[key] = name
            self.keep.append(value)
        return name

    def node(self, op_type: str, inputs, n_out: int = 1, **attrs):
        outs = [self.fresh(op_type) for _ in range(n_out)]
        self.nodes.append(self.helper.make_node(op_type, list(inputs), outs,
                                                name=outs[0].replace("_", "/"), **attrs))
        return outs[0] if n_out == 1 else outs

    def axes_input(self, axes) -> str:
        return self.const(np.asarray(axes, np.int64))


class _In:
    """An operand: a graph value (``name``, dynamic axes ``dyn``) or a constant ``value``."""
    __slots__ = ("name", "value", "dyn", "shape", "dtype", "pname")

    def __init__(self, name=None, value=None, dyn=None, shape=None, dtype=None):
        self.name, self.value, self.dyn, self.shape, self.dtype = name, value, dyn, shape, dtype
        self.pname = None  # a parameter's or buffer's name, for its initializer

    @property
    def dynamic(self) -> bool:
        return self.name is not None and self.value is None


def build(onnx, model, args, output, ops, input_names, output_names, dynamic_axes,
          opset: int):
    """The ModelProto of a traced model (see chainrule.onnx.export)."""
    from ..autograd.tensor import Tensor
    if not 13 <= opset <= onnx.defs.onnx_opset_version():
        raise ValueError(f"chainrule.onnx.export: opset_version {opset} is not supported; "
                         f"use 13 to {onnx.defs.onnx_opset_version()}")
    ctx = _Ctx(onnx, opset)
    helper = onnx.helper
    input_names = list(input_names or [])
    input_names += [f"input_{i}" if len(args) > 1 else "input"
                    for i in range(len(input_names), len(args))]
    if len(input_names) != len(args):
        raise ValueError(f"chainrule.onnx.export: {len(input_names)} input_names for "
                         f"{len(args)} inputs")
    outputs = list(output) if isinstance(output, (tuple, list)) else [output]
    if not all(isinstance(o, Tensor) for o in outputs):
        raise TypeError("chainrule.onnx.export: the model must return a Tensor or a tuple "
                        "of Tensors")
    output_names = list(output_names or [])
    output_names += [f"output_{i}" if len(outputs) > 1 else "output"
                     for i in range(len(output_names), len(outputs))]
    axes_of = {k: dict(v) if isinstance(v, dict) else {a: f"{k}_dim{a}" for a in v}
               for k, v in dynamic_axes.items()}
    unknown = set(axes_of) - set(input_names) - set(output_names)
    if unknown:
        raise ValueError(f"chainrule.onnx.export: dynamic_axes names {sorted(unknown)} are "
                         f"neither input nor output names ({input_names + output_names})")
    graph_inputs = []
    for name, a in zip(input_names, args):
        d = a._data
        ctx.names[id(d)] = name
        ctx.dyn[name] = set(axes_of.get(name, {}))
        graph_inputs.append(_value_info(onnx, name, d, axes_of.get(name, {})))
    params = {}  # id(array) -> qualified name, for initializers named as in PyTorch
    for pname, p in list(model.named_parameters()) + list(model.named_buffers()):
        if p is not None:
            params.setdefault(id(p._data), (pname, p._data))
    used_params = {}

    def operand(a, like_dtype):
        if isinstance(a, Tensor):
            a = a._data
        if isinstance(a, np.ndarray) or isinstance(a, np.generic):
            name = ctx.names.get(id(a))
            if name is not None:
                return _In(name=name, dyn=ctx.dyn[name], shape=a.shape, dtype=a.dtype)
            if id(a) in params:
                pname, arr = params[id(a)]
                if pname in used_params:
                    return _In(name=pname, value=arr, shape=arr.shape, dtype=arr.dtype)
                # Named (and stored) only when an exported node reads it.
                i = _In(value=arr, shape=arr.shape, dtype=arr.dtype)
                i.pname = pname
                return i
            return _In(value=a, shape=np.shape(a), dtype=np.asarray(a).dtype)
        if isinstance(a, (bool, int, float)):
            dt = like_dtype if like_dtype is not None else np.asarray(a).dtype
            return _In(value=np.asarray(a, dt), shape=(), dtype=np.dtype(dt))
        return _In(value=a)

    for op in ops:
        out = op.out._data
        ins = [operand(a, out.dtype) for a in op.args]
        pins = {k: operand(v, None) for k, v in op.params.items()
                if isinstance(v, np.ndarray) and id(v) in ctx.names}
        if not any(i.dynamic for i in ins) and not pins:
            continue  # a constant: folded where it is used
        rule = _RULES.get(op.prim)
        if rule is None:
            raise NotImplementedError(
                f"chainrule.onnx.export: no ONNX mapping for primitive {op.prim!r} (used by "
                f"{op.module}); export supports {', '.join(sorted(_RULES))}")
        for i in ins:
            if i.value is not None and i.name is None and isinstance(i.value, np.ndarray):
                if i.pname is not None:
                    i.name = used_params[i.pname] = ctx.const(i.value, i.pname)
                else:
                    i.name = ctx.const(i.value)
        name, dyn = rule(ctx, op, ins, pins, out)
        ctx.names[id(out)] = name
        ctx.dyn[name] = dyn
        ctx.keep.append(op.out)
    graph_outputs = []
    for name, o in zip(output_names, outputs):
        d = o._data
        src = ctx.names.get(id(d))
        if src is None:
            src = params[id(d)][0] if id(d) in params else None
            if src is not None and src not in used_params:
                used_params[src] = ctx.const(d, src)
            elif src is None:
                src = ctx.const(d)
        ctx.nodes.append(helper.make_node("Identity", [src], [name], name=f"/Output/{name}"))
        dims = axes_of.get(name)
        if dims is None:
            dims = {a: f"{name}_dim{a}" for a in sorted(ctx.dyn.get(src, ()))}
        graph_outputs.append(_value_info(onnx, name, d, dims))
    graph = helper.make_graph(ctx.nodes, type(model).__name__, graph_inputs, graph_outputs,
                              initializer=ctx.inits)
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="chainrule")
    proto.ir_version = min(proto.ir_version, 8 if opset <= 17 else proto.ir_version)
    return proto


def _value_info(onnx, name: str, arr, dims: dict):
    shape = [dims.get(i, n) for i, n in enumerate(arr.shape)]
    return onnx.helper.make_tensor_value_info(
        name, onnx.helper.np_dtype_to_tensor_dtype(arr.dtype), shape)


# ----- the mappings: rule(ctx, op, ins, pins, out) -> (output name, its dynamic axes) --------

def _bcast_dyn(ins, ndim: int) -> set:
    dyn = set()
    for i in ins:
        if i.dynamic:
            lead = ndim - len(i.shape)
            dyn |= {a + lead for a in i.dyn}
    return dyn


def _cast_to(ctx, i, dtype) -> str:
    if i.dtype == dtype or i.dtype is None:
        return i.name
    return ctx.node("Cast", [i.name], to=ctx.helper.np_dtype_to_tensor_dtype(dtype))


def _elementwise(op_type: str, cast: bool = True):
    def rule(ctx, op, ins, pins, out):
        names = [_cast_to(ctx, i, out.dtype) if cast else i.name for i in ins]
        return ctx.node(op_type, names), _bcast_dyn(ins, out.ndim)
    return rule


def _unary(op_type: str, **attrs_from):
    def rule(ctx, op, ins, pins, out):
        attrs = {k: float(op.params[v]) for k, v in attrs_from.items()}
        return ctx.node(op_type, [_cast_to(ctx, ins[0], out.dtype)], **attrs), set(ins[0].dyn)
    return rule


def _scalar(ctx, value, dtype) -> str:
    return ctx.const(np.asarray(value, dtype))


def _silu(ctx, op, ins, pins, out):
    x = ins[0].name
    return ctx.node("Mul", [x, ctx.node("Sigmoid", [x])]), set(ins[0].dyn)


def _gelu(ctx, op, ins, pins, out):
    x, dt = ins[0].name, out.dtype
    half = ctx.node("Mul", [x, _scalar(ctx, 0.5, dt)])
    if op.params.get("approximate", "none") == "tanh":
        cube = ctx.node("Mul", [ctx.node("Mul", [x, x]), x])
        inner = ctx.node("Add", [x, ctx.node("Mul", [cube, _scalar(ctx, 0.044715, dt)])])
        t = ctx.node("Tanh", [ctx.node("Mul", [inner, _scalar(ctx, math.sqrt(2 / math.pi),
                                                                 dt)])])
    else:
        t = ctx.node("Erf", [ctx.node("Mul", [x, _scalar(ctx, 1 / math.sqrt(2), dt)])])
    return ctx.node("Mul", [half, ctx.node("Add", [t, _scalar(ctx, 1.0, dt)])]), \
        set(ins[0].dyn)


def _rsqrt(ctx, op, ins, pins, out):
    return ctx.node("Reciprocal", [ctx.node("Sqrt", [ins[0].name])]), set(ins[0].dyn)


def _softmax(op_type):
    def rule(ctx, op, ins, pins, out):
        axis = op.params["axis"]
        return ctx.node(op_type, [ins[0].name], axis=int(axis)), set(ins[0].dyn)
    return rule


def _permute(ctx, op, ins, pins, out):
    perm = [int(a) % out.ndim for a in op.params["axes"]]
    return ctx.node("Transpose", [ins[0].name], perm=perm), \
        {j for j, a in enumerate(perm) if a in ins[0].dyn}


def _reshape(ctx, op, ins, pins, out):
    x = ins[0]
    in_shape, shape = tuple(x.shape), tuple(out.shape)
    if not x.dyn:
        return ctx.node("Reshape", [x.name, ctx.const(np.asarray(shape, np.int64))]), set()
    # Leading axes that the reshape keeps are copied (0): they may vary. The rest must
    # hold the remaining (possibly varying) elements in one -1.
    prefix = 0
    while prefix < min(len(shape), len(in_shape)) and shape[prefix] == in_shape[prefix]:
        prefix += 1
    target = [0] * prefix + list(shape[prefix:])
    moved = {a for a in x.dyn if a >= prefix}
    dyn = {a for a in x.dyn if a < prefix}
    if moved:
        if prefix == len(shape):
            raise NotImplementedError(f"chainrule.onnx.export: reshape {in_shape} -> {shape} "
                                      f"(in {op.module}) cannot keep dynamic axes {moved}")
        target[prefix] = -1
        dyn.add(prefix)
    if 0 in shape:
        raise NotImplementedError(f"chainrule.onnx.export: reshape to an empty shape {shape} "
                                  f"with dynamic axes (in {op.module})")
    return ctx.node("Reshape", [x.name, ctx.const(np.asarray(target, np.int64))]), dyn


def _matmul(ctx, op, ins, pins, out):
    a, b = ins
    dyn = set()
    if a.dynamic and len(a.shape) >= 2 and len(a.shape) - 2 in a.dyn:
        dyn.add(out.ndim - 2)
    if b.dynamic and len(b.shape) - 1 in b.dyn:
        dyn.add(out.ndim - 1)
    batch = [i for i in (a, b) if i.dynamic and len(i.shape) > 2]
    for i in batch:
        lead = out.ndim - len(i.shape)
        dyn |= {d + lead for d in i.dyn if d < len(i.shape) - 2}
    return ctx.node("MatMul", [a.name, b.name]), dyn


def _linear(ctx, op, ins, pins, out):
    """nn.Linear's node: Gemm(x, W, b) with W transposed, for 2-D x (F.linear flattens
    the leading dims of N-D inputs before it)."""
    x, w = ins[0], ins[1]
    if w.dynamic or len(x.shape) != 2:
        raise NotImplementedError(f"chainrule.onnx.export: linear with a weight computed "
                                  f"from the inputs, or on {len(x.shape)}-d input (in "
                                  f"{op.module}), has no ONNX mapping")
    names = [i.name for i in ins if i.name is not None]
    return ctx.node("Gemm", names, transB=1), set(x.dyn)


def _spatial_only_dyn(op, x):
    return set(x.dyn)


def _conv(ctx, op, ins, pins, out):
    p = op.params
    if not ins[0].dynamic or any(i.dynamic for i in ins[1:]):
        raise NotImplementedError(f"chainrule.onnx.export: conv with a weight computed from "
                                  f"the inputs (in {op.module}) has no ONNX mapping")
    pad = [int(v) for v in p["padding"]]
    names = [i.name for i in ins if i.name is not None]
    return ctx.node("Conv", names, strides=list(p["stride"]), pads=pad + pad,
                    dilations=list(p["dilation"]), group=int(p["groups"]),
                    kernel_shape=list(ins[1].shape[2:])), set(ins[0].dyn)


def _conv_transpose(ctx, op, ins, pins, out):
    p = op.params
    x, w = ins
    if not x.dynamic or w.dynamic:
        raise NotImplementedError(f"chainrule.onnx.export: transposed conv with a weight "
                                  f"computed from the inputs (in {op.module})")
    k = w.shape[2:]
    pad, stride, dil = list(p["padding"]), list(p["stride"]), list(p["dilation"])
    out_pad = [o - (s * (i - 1) + d * (kk - 1) + 1 - 2 * pp) for o, i, s, d, kk, pp in
               zip(out.shape[2:], x.shape[2:], stride, dil, k, pad)]
    return ctx.node("ConvTranspose", [x.name, w.name], strides=stride, pads=pad + pad,
                    dilations=dil, group=int(p["groups"]), kernel_shape=list(k),
                    output_padding=out_pad), set(x.dyn)


def _pool_attrs(op, x, out):
    p = op.params
    kernel, stride, pad = list(p["kernel"]), list(p["stride"]), list(p["padding"])
    dil = list(p.get("dilation") or [1] * len(kernel))
    floor = [(n + 2 * pp - d * (kk - 1) - 1) // s + 1 for n, pp, d, kk, s in
             zip(x.shape[2:], pad, dil, kernel, stride)]
    ceil = int(list(out.shape[2:]) != floor)
    return dict(kernel_shape=kernel, strides=stride, pads=pad + pad, ceil_mode=ceil), dil


def _max_pool(ctx, op, ins, pins, out):
    attrs, dil = _pool_attrs(op, ins[0], out)
    if any(d != 1 for d in dil):
        attrs["dilations"] = dil
    return ctx.node("MaxPool", [ins[0].name], **attrs), set(ins[0].dyn)


def _avg_pool(ctx, op, ins, pins, out):
    attrs, _ = _pool_attrs(op, ins[0], out)
    div = op.params["div"]
    kernel = attrs["kernel_shape"]
    if np.ndim(div) == 0:
        if float(div) != float(np.prod(kernel)):
            raise NotImplementedError(f"chainrule.onnx.export: avg_pool with divisor_override "
                                      f"(in {op.module}) has no ONNX mapping")
        include = 1
    else:
        include = 0
    if attrs["ceil_mode"] and any(attrs["pads"]):
        raise NotImplementedError(f"chainrule.onnx.export: avg_pool with ceil_mode and "
                                  f"padding (in {op.module}): ONNX counts the window "
                                  f"differently")
    if set(ins[0].dyn) - {0, 1} and all(k == n for k, n in zip(kernel, ins[0].shape[2:])):
        return ctx.node("GlobalAveragePool", [ins[0].name]), {0}
    return ctx.node("AveragePool", [ins[0].name], count_include_pad=include, **attrs), \
        set(ins[0].dyn)


def _reduce(op_type: str):
    def rule(ctx, op, ins, pins, out):
        x = ins[0]
        nd = len(x.shape)
        axis = op.params.get("axis")
        axes = list(range(nd)) if axis is None else \
            [int(a) % nd for a in (axis if isinstance(axis, (tuple, list)) else (axis,))]
        keep = int(bool(op.params.get("keepdims", False)))
        if ctx.opset >= 18 or op_type == "ReduceSum":
            name = ctx.node(op_type, [x.name, ctx.axes_input(axes)], keepdims=keep)
        else:
            name = ctx.node(op_type, [x.name], axes=axes, keepdims=keep)
        if keep:
            dyn = {a for a in x.dyn if a not in axes}
        else:
            left = [a for a in range(nd) if a not in axes]
            dyn = {left.index(a) for a in x.dyn if a in left}
        return name, dyn
    return rule


def _normalize(ctx, op, ins, pins, out):
    x = ins[0]
    nd = len(x.shape)
    axes = sorted(int(a) % nd for a in op.params["axes"])
    eps = float(op.params["eps"])
    dt = out.dtype
    if ctx.opset >= 17 and axes == list(range(nd - len(axes), nd)):
        norm_shape = x.shape[nd - len(axes):]
        return ctx.node("LayerNormalization", [x.name, ctx.const(np.ones(norm_shape, dt)),
                                               ctx.const(np.zeros(norm_shape, dt))],
                        axis=axes[0], epsilon=eps), set(x.dyn)
    mean = _reduce("ReduceMean")

    class _O:  # the reduce rule reads only params
        params = {"axis": tuple(axes), "keepdims": True}
    m, _ = mean(ctx, _O, [x], {}, out)
    d = ctx.node("Sub", [x.name, m])
    var, _ = mean(ctx, _O, [_In(name=ctx.node("Mul", [d, d]), dyn=set(), shape=x.shape)],
                  {}, out)
    std = ctx.node("Sqrt", [ctx.node("Add", [var, _scalar(ctx, eps, dt)])])
    return ctx.node("Div", [d, std]), set(x.dyn)


def _cat(ctx, op, ins, pins, out):
    axis = int(op.params["axis"]) % out.ndim
    return ctx.node("Concat", [i.name for i in ins], axis=axis), _bcast_dyn(ins, out.ndim)


def _getitem(ctx, op, ins, pins, out):
    index = op.params.get("index")
    table = ins[0]
    if "index" not in pins or table.dynamic or not np.issubdtype(np.asarray(index).dtype,
                                                                 np.integer):
        raise NotImplementedError(
            f"chainrule.onnx.export: indexing (primitive 'getitem_copy', used by "
            f"{op.module}) is exported only as an integer-tensor lookup into a parameter "
            f"(Embedding); got index {type(index).__name__}")
    idx = pins["index"]
    return ctx.node("Gather", [table.name, idx.name], axis=0), set(idx.dyn)


def _identity(ctx, op, ins, pins, out):
    return ctx.node("Identity", [ins[0].name]), set(ins[0].dyn)


def _cast(ctx, op, ins, pins, out):
    return _cast_to(ctx, ins[0], out.dtype) if ins[0].dtype != out.dtype else \
        ctx.node("Identity", [ins[0].name]), set(ins[0].dyn)


_RULES = {
    "add": _elementwise("Add"), "sub": _elementwise("Sub"), "mul": _elementwise("Mul"),
    "div": _elementwise("Div"), "pow": _elementwise("Pow", cast=False),
    "maximum": _elementwise("Max"), "minimum": _elementwise("Min"),
    "neg": _unary("Neg"), "exp": _unary("Exp"), "log": _unary("Log"), "sqrt": _unary("Sqrt"),
    "abs": _unary("Abs"), "sin": _unary("Sin"), "cos": _unary("Cos"), "erf": _unary("Erf"),
    "relu": _unary("Relu"), "sigmoid": _unary("Sigmoid"), "tanh": _unary("Tanh"),
    "reciprocal": _unary("Reciprocal"), "rsqrt": _rsqrt,
    "leaky_relu": _unary("LeakyRelu", alpha="negative_slope"),
    "elu": _unary("Elu", alpha="alpha"), "silu": _silu, "gelu": _gelu,
    "softmax": _softmax("Softmax"), "log_softmax": _softmax("LogSoftmax"),
    "matmul": _matmul, "linear": _linear, "permute": _permute, "reshape": _reshape,
    "conv": _conv, "conv_input_grad": _conv_transpose,
    "max_pool": _max_pool, "avg_pool": _avg_pool,
    "sum": _reduce("ReduceSum"), "mean": _reduce("ReduceMean"),
    "normalize": _normalize, "cat": _cat, "getitem_copy": _getitem,
    "alias": _identity, "clone": _identity, "promote": _cast, "astype": _cast,
}


def __dir__():
    return __all__
