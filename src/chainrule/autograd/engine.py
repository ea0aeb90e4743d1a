"""The backward engine: the recorded Nodes run in reverse creation order (iterative, so a chain of
a million ops needs no recursion), gradients summed where paths meet, saved values freed
as soon as each node has run.
"""
from __future__ import annotations

from heapq import heappop, heappush
from itertools import count
from typing import Optional, Sequence

import numpy as np

from .. import _backend
from .._backend import COMPLEX_DTYPES
from ..errors import OpError, OpTypeError
from .anomaly import check_gradients
from .grad_mode import anomaly_state, forward_state
from .tensor import Tensor, as_array, make_tensor

_graph_ns = None


def set_graph_namespace(namespace) -> None:
    """Register the namespace that rules use when backward is recorded (chainrule.numpy)."""
    global _graph_ns
    _graph_ns = namespace


def graph_namespace():
    return _graph_ns


next_seq = count().__next__  # creation order: a topological order of the graph
_ndarray = np.ndarray


class Node:
    """A recorded application of a primitive: what its VJP needs, and where its input
    gradients go (``edges``: a parent Node, a leaf Tensor, or None per input). Made by
    ``primitives.recorded``, with its output tensor."""

    __slots__ = ("prim", "inputs", "edges", "params", "ans", "saved", "shape", "dtype", "seq",
                 "hooks", "retained", "fw", "trace", "__weakref__")

    @property
    def name(self) -> str:
        """PyTorch-style name of the backward function, e.g. ``MulBackward``."""
        return self.prim.node_name

    @property
    def next_functions(self) -> tuple:
        """The nodes gradients flow to next, as ``(node, 0)`` pairs like PyTorch's; leaves
        appear as ``AccumulateGrad`` with their ``.variable``."""
        if self.edges is None:
            return ()
        return tuple((e if type(e) is Node else AccumulateGrad(e) if e is not None else None, 0)
                     for e in self.edges)

    @property
    def saved_shapes(self) -> tuple:
        """Shapes of the arrays this node keeps for its VJP (inputs, then its output)."""
        kept = [x for x in (self.inputs or ()) if hasattr(x, "shape")]
        if self.ans is not None:
            kept.append(self.ans)
        return tuple(tuple(x.shape) for x in kept)

    def __repr__(self) -> str:
        return f"<{self.name}>"


def pass_through(xp, g, ans, *inputs, **params):
    """The VJP rule of an argument the output follows with derivative 1 (both of ``x + y``,
    ``x.clone()``): the backward pass hands the gradient on without calling it."""
    return g


class AccumulateGrad:
    """Stands for a leaf tensor in ``next_functions``."""
    __slots__ = ("variable",)
    name = "AccumulateGrad"

    def __init__(self, variable):
        self.variable = variable

    @property
    def next_functions(self) -> tuple:
        return ()

    def __repr__(self) -> str:
        return "<AccumulateGrad>"


def unbroadcast(xp, g, shape: tuple):
    """Sum ``g`` down to ``shape``: the gradient of broadcasting, in one place."""
    lead = g.ndim - len(shape)
    axes = tuple(range(lead))
    if 1 in shape:  # axes of length 1 in shape that g broadcast out
        axes += tuple(i + lead for i, n in enumerate(shape) if n == 1 and g.shape[i + lead] != 1)
    if axes:
        g = xp.sum(g, axis=axes)
    # A bias's gradient is already in shape; reshaping it anyway would make it a view,
    # which the engine could then not add to in place.
    return g if tuple(g.shape) == shape else xp.reshape(g, shape)


_FREED = ("{name}: trying to backward through the graph a second time (or after its saved "
          "values were freed). Pass retain_graph=True to the first backward() if you need to "
          "backward through the graph again.")


def _version_error(node: Node, box, version) -> RuntimeError:
    op = f"; the last in-place op on it was {box[1]}" if box[1] else ""
    return RuntimeError(
        f"{node.name}: one of the tensors needed for gradient computation has been "
        f"modified by an in-place operation: it was saved at version {version} and is "
        f"now at version {box[0]}{op}. Use out-of-place ops, or .clone() the tensor "
        f"before modifying it.")


def _graph_value(data, edge):
    """Rebuild a saved input as a tensor on the graph, for a recorded backward pass."""
    if isinstance(data, Tensor):  # a dual input, kept whole
        return data
    if type(edge) is Node:
        return make_tensor(data, edge, True)
    if edge is not None:
        return edge
    return data  # a constant (or not kept): it stays raw, so Python scalars stay weakly typed


def _node_grads(node: Node, g, xp, create_graph: bool) -> list:
    """Every input's gradient from the node's rules, through the general route: recorded
    (create_graph), complex-conjugated around an analytic rule, or from a ``vjp_all``."""
    prim = node.prim
    edges = node.edges
    inputs, ans = node.inputs, node.ans
    if create_graph:
        inputs = tuple([_graph_value(d, e) for d, e in zip(inputs, edges)])
        if prim.residual:
            ans = None  # raw values off the graph: the rule recomputes them on tensors
        elif ans is not None:
            ans = make_tensor(ans, node, True)
            ans._fw = node.fw
        if not isinstance(g, Tensor):
            g = make_tensor(g)
    params = node.params
    # An analytic function's rules are written as for reals; on complex values the
    # cotangent goes through the conjugate derivative (PyTorch's convention):
    # vjp(g) = conj(rule(conj(g))).
    if prim.holomorphic and node.dtype in COMPLEX_DTYPES:
        grads = _rule_grads(prim, edges, xp.conj(g), ans, inputs, params, xp)
        return [None if r is None else xp.conj(r) for r in grads]
    return _rule_grads(prim, edges, g, ans, inputs, params, xp)


def _rule_grads(prim, edges, g, ans, inputs, params, xp) -> list:
    if prim.vjp_all is not None:
        needs = tuple([e is not None for e in edges])
        return list(prim.vjp_all(xp, g, ans, inputs, needs, **params))
    return [None if e is None else _rule(prim, i)(xp, g, ans, *inputs, **params)
            for i, e in enumerate(edges)]


def _rule(prim, i: int):
    """The VJP rule for argument ``i`` of ``prim``, or a clear error where there is none."""
    rules = prim.vjps
    if rules is None:
        raise NotImplementedError(f"{prim.name}: no VJP rule is defined, so it cannot be "
                                  f"differentiated in reverse mode")
    rule = rules[i] if i < len(rules) else None
    if rule is None:
        raise RuntimeError(f"{prim.name}: argument {i} is not differentiable, but it "
                           f"requires grad; detach() it first")
    return rule


def _as_hook_value(g):
    return g if isinstance(g, Tensor) else make_tensor(g)


def _run_hooks(hooks, g):
    for hook in hooks:
        out = hook(_as_hook_value(g))
        if out is not None:
            _check_hook_result(hook, out, g)
            g = out if isinstance(g, Tensor) else as_array(out)
    return g


def _check_hook_result(hook, out, g) -> None:
    """A hook may replace a gradient, but not change its shape or dtype (as in PyTorch)."""
    name = getattr(hook, "__qualname__", None) or type(hook).__name__
    shape, dtype = getattr(out, "shape", None), getattr(out, "dtype", None)
    if shape is None or dtype is None:
        raise OpTypeError(f"hook {name!r} returned {type(out).__name__}; a hook returns a "
                          f"Tensor of the gradient's shape and dtype, or None")
    if tuple(shape) != tuple(g.shape):
        raise OpError(f"hook {name!r} changed the shape of the gradient from "
                      f"{tuple(g.shape)} to {tuple(shape)}; return a gradient of the same shape")
    if dtype != g.dtype:
        raise OpTypeError(f"hook {name!r} changed the dtype of the gradient from {g.dtype} to "
                          f"{dtype}; cast it back with .to({g.dtype})")


def _accumulate_into(tensor: Tensor, g, owned: bool, create_graph: bool) -> None:
    """``tensor.grad += g``, in place when nothing records it."""
    if create_graph:
        gt = _as_hook_value(g)
        tensor.grad = gt if tensor.grad is None else tensor.grad + gt
        return
    if g.__class__ is not _ndarray:
        if isinstance(g, Tensor):
            g = g._data
        if isinstance(g, np.generic):  # NumPy returns scalars from 0-d arithmetic
            g, owned = np.array(g), True
    grad = tensor.grad
    if grad is None:
        tensor.grad = make_tensor(g if owned else g.copy())
    elif grad.grad_fn is not None or not grad._data.flags.writeable:
        tensor.grad = make_tensor(grad._data + g)
    else:
        grad._data += g


def _prepare_root(tensor: Tensor, gradient, create_graph: bool, index: int):
    if not isinstance(tensor, Tensor):
        raise TypeError(f"backward: expected a Tensor, got {type(tensor).__name__}")
    if not tensor._requires_grad:
        raise RuntimeError(f"backward: element {index} of the outputs does not require grad "
                           f"and has no grad_fn; nothing to differentiate")
    data = tensor._data
    if gradient is None:
        if data.size != 1:
            raise RuntimeError(f"backward: grad can be implicitly created only for outputs with "
                               f"one element, got shape {data.shape}; pass gradient= of that shape")
        return _backend.array_module(data).ones(data.shape, data.dtype), True
    if isinstance(gradient, Tensor) and create_graph:
        g = gradient
    else:
        g = as_array(gradient)
        if g.dtype != data.dtype:
            g = g.astype(data.dtype)
    if g.shape != data.shape:
        raise RuntimeError(f"backward: gradient has shape {tuple(g.shape)} but the output has "
                           f"shape {data.shape}")
    return g, False


def run_backward(roots: Sequence[Tensor], root_grads, retain_graph: bool, create_graph: bool,
                 targets: Optional[dict] = None, capture: bool = False, needed=None):
    """Propagate from ``roots`` to the leaves.

    Nodes run in decreasing creation order (a node is always created after the nodes of its
    inputs), so when a node runs, every gradient that will reach it has arrived: no pass to
    count dependencies is needed. Leaves are finished last.

    ``targets`` maps a key (a leaf tensor, or the Node that made a non-leaf tensor) to the
    tensor that receives its gradient; None means every leaf that requires grad. With
    ``capture`` the gradients are returned as ``{key: grad}`` instead of accumulated.
    ``needed``: ``_leads_to(targets, ...)``, when the caller has it already.
    """
    buffers = {}  # node or leaf -> the gradient summed so far (but the pending node's)
    # Keys whose buffer nobody else holds, so it may be added to in place: a leaf's fresh
    # first gradient, and any sum made here.
    owned = set()
    heap = []  # (-seq, node) for every node in buffers
    for root, (g, is_owned) in zip(roots, root_grads):
        key = root.grad_fn if root.grad_fn is not None else root
        prev = buffers.get(key)
        if prev is None:
            buffers[key] = g
            if is_owned:
                owned.add(key)
            if type(key) is Node:
                heappush(heap, (-key.seq, key))
        else:
            buffers[key] = prev + g
            owned.add(key)

    # Rules run on tensors when the backward pass is recorded, or when tangents must flow
    # through it (forward-over-reverse).
    create_graph = (create_graph or forward_state.depth > 0 or
                    _tangents_recorded and _carries_tangents([k for _, k in heap]))
    xp = _graph_ns if create_graph else _backend.rule_namespace(roots[0]._data)
    if targets is not None and needed is None:
        needed = _leads_to(targets, [k for _, k in heap])
    captured = {} if capture else None
    # Without recording or anomaly checks, a node's rules are called right here.
    direct = not create_graph and not anomaly_state.enabled
    # A node whose gradient arrives while no other node waits runs next, with its gradient
    # in pending_g, and touches neither the heap nor the buffers (in a chain, every node).
    pending = pending_g = None
    if len(heap) == 1:
        pending = heappop(heap)[1]
        pending_g = buffers.pop(pending)
    while pending is not None or heap:
        if pending is not None:
            node, g, pending = pending, pending_g, None
        else:
            node = heappop(heap)[1]
            g = buffers.pop(node)
        edges = node.edges
        if edges is None:
            raise RuntimeError(_FREED.format(name=node.name))
        # With targets, a node reached is either a target or on the way to one.
        if node.hooks or node.retained is not None or targets is not None and node in targets:
            g = _visit(node, g, create_graph, targets, captured, needed)
            if g is None:  # no target lies behind this node
                if not retain_graph:
                    _free(node)
                continue
        prim = node.prim
        saved = node.saved
        if saved:
            for box, version in saved:
                if box[0] != version:
                    raise _version_error(node, box, version)
        inputs, ans, params = node.inputs, node.ans, node.params
        if direct and prim.vjps is not None and (not prim.holomorphic or
                                                node.dtype not in COMPLEX_DTYPES):
            grads = None  # each rule is called as its edge is reached
            rules = prim.vjps
        else:
            grads = _node_grads(node, g, xp, create_graph)
            if anomaly_state.enabled:
                check_gradients(node, grads)
        if not retain_graph:  # _free(node), without the call
            node.inputs = node.ans = node.edges = None
            node.saved = ()
        i = -1
        for e in edges:
            i += 1
            if e is None or (needed is not None and e not in needed):
                continue
            if grads is not None:
                r = grads[i]
            else:
                try:
                    rule = rules[i]
                except IndexError:
                    rule = None
                if rule is None:
                    rule = _rule(prim, i)  # raises
                if rule is pass_through:
                    r = g
                else:
                    r = rule(xp, g, ans, *inputs, **params) if params else \
                        rule(xp, g, ans, *inputs)
            is_node = type(e) is Node
            if is_node:
                shape, dtype = e.shape, e.dtype
            else:
                shape, dtype = e._data.shape, e._data.dtype
            if r is None:
                r = xp.zeros(shape, dtype)
            elif r.shape != shape or (r.dtype is not dtype and r.dtype != dtype):
                r = _conform(xp, r, shape, dtype)
            if is_node:
                if pending is None and not heap:  # nothing else waits (buffers holds no node)
                    pending, pending_g = e, r
                    continue
                if e is pending:  # a second gradient for the waiting node: it joins the rest
                    buffers[e] = pending_g
                    heappush(heap, (-e.seq, e))
                    pending = None
                prev = buffers.get(e)
                if prev is None:
                    if pending is not None:
                        buffers[pending] = pending_g
                        heappush(heap, (-pending.seq, pending))
                        pending = None
                    buffers[e] = r
                    heappush(heap, (-e.seq, e))
                    continue
            else:
                prev = buffers.get(e)
                if prev is None:
                    buffers[e] = r
                    # A fresh array nobody else holds may later be added to in place.
                    if not create_graph and r is not g and r.base is None:
                        owned.add(e)
                    continue
            if create_graph or e not in owned:
                buffers[e] = prev + r
                if not create_graph:
                    owned.add(e)
            else:
                prev += r
                buffers[e] = prev  # NumPy scalars (from 0-d arithmetic) add out of place
    for leaf, g in buffers.items():  # only leaves are left
        _finish_leaf(leaf, g, leaf in owned, create_graph, targets, captured)
    return captured


_tangents_recorded = False


def set_tangents(node: Node, fw: dict) -> None:
    """Attach the tangents of a node's output (forward-over-reverse); from then on,
    backward passes look for them."""
    global _tangents_recorded
    node.fw = fw
    _tangents_recorded = True


def _carries_tangents(starts: list) -> bool:
    """Whether a node behind ``starts`` has tangents attached."""
    seen = set(starts)
    stack = list(starts)
    while stack:
        node = stack.pop()
        if node.fw is not None:
            return True
        for e in node.edges or ():
            if type(e) is Node and e not in seen:
                seen.add(e)
                stack.append(e)
    return False


def _free(node: Node) -> None:
    node.inputs = node.ans = node.edges = None
    node.saved = ()


def _conform(xp, r, shape: tuple, dtype):
    """A rule's gradient brought to its input's shape (summing broadcast axes) and dtype."""
    if r.shape != shape:
        r = unbroadcast(xp, r, shape)
    if r.dtype != dtype:
        if r.dtype.kind == "c" and dtype.kind != "c":
            r = xp.real(r)  # a real input gets d/dRe of a complex gradient
        r = r.astype(dtype)
    return r


def _visit(node: Node, g, create_graph: bool, targets, captured, needed):
    """The work on a node beyond its rules: hooks, retained and target gradients. Returns
    the gradient to propagate, or None when nothing wanted lies behind the node."""
    if node.hooks:
        g = _run_hooks(node.hooks, g)
    if node.retained is not None:
        kept = node.retained()
        if kept is not None and (targets is None or node not in targets):
            _accumulate_into(kept, g, False, create_graph)
    if targets is not None and node in targets:
        if captured is not None:
            captured[node] = _as_hook_value(g) if create_graph else g
        else:
            _accumulate_into(targets[node], g, False, create_graph)
    if needed is not None and not any(e in needed for e in node.edges if e is not None):
        return None
    return g


def _leads_to(targets: dict, starts: list) -> set:
    """The nodes and leaves of the graph behind ``starts`` from which some target can be
    reached: only they need to run when gradients are wanted for ``targets`` alone."""
    needed = set()
    done = set()
    for start in starts:
        if start in done:
            continue
        # Iterative post-order walk: a node is needed if it is a target or an edge is.
        stack = [(start, iter(start.edges or ()))]
        done.add(start)
        while stack:
            node, it = stack[-1]
            advanced = False
            for e in it:
                if type(e) is Node and e not in done:
                    done.add(e)
                    stack.append((e, iter(e.edges or ())))
                    advanced = True
                    break
            if advanced:
                continue
            stack.pop()
            if node in targets or any(e in needed or (e is not None and type(e) is not Node
                                                      and e in targets)
                                      for e in (node.edges or ())):
                needed.add(node)
    needed.update(k for k in targets if type(k) is not Node)
    return needed


def _finish_leaf(leaf: Tensor, g, owned: bool, create_graph: bool, targets, captured) -> None:
    if leaf._hooks:
        g = _run_hooks(leaf._hooks, g)
        owned = False
    if targets is None:
        if leaf._requires_grad:
            _accumulate_into(leaf, g, owned, create_graph)
    elif leaf in targets:
        if captured is not None:
            captured[leaf] = _as_hook_value(g) if create_graph else g
        else:
            _accumulate_into(targets[leaf], g, owned, create_graph)


def _targets_from(inputs) -> dict:
    targets = {}
    for t in inputs:
        if not isinstance(t, Tensor):
            raise TypeError(f"inputs must be Tensors, got {type(t).__name__}")
        if not t._requires_grad:
            raise RuntimeError("one of the inputs does not require grad")
        targets[t.grad_fn if t.grad_fn is not None else t] = t
    return targets


def _as_tuple(x) -> tuple:
    if x is None:
        return ()
    if isinstance(x, (Tensor, np.ndarray, int, float)):
        return (x,)
    return tuple(x)


def _roots(op: str, outputs, grad_outputs, create_graph: bool):
    outputs = _as_tuple(outputs)
    if not outputs:
        raise RuntimeError(f"{op}: no outputs were given")
    grads = _as_tuple(grad_outputs) if grad_outputs is not None else (None,) * len(outputs)
    if len(grads) != len(outputs):
        raise RuntimeError(f"{op}: got {len(grads)} gradients for {len(outputs)} outputs")
    return outputs, [_prepare_root(t, g, create_graph, i)
                     for i, (t, g) in enumerate(zip(outputs, grads))]


def backward(tensors, grad_tensors=None, retain_graph: Optional[bool] = None,
             create_graph: bool = False, inputs=None) -> None:
    """Accumulate the gradients of ``tensors`` into the leaves' ``.grad`` (PyTorch's
    ``torch.autograd.backward``).

    >>> x = Tensor([1., 2.], requires_grad=True)
    >>> backward([(x * x).sum()])
    >>> x.grad
    tensor([2., 4.])
    """
    tensors, root_grads = _roots("backward", tensors, grad_tensors, create_graph)
    targets = _targets_from(_as_tuple(inputs)) if inputs is not None else None
    run_backward(tensors, root_grads, create_graph if retain_graph is None else retain_graph,
                 create_graph, targets)


def grad(outputs, inputs, grad_outputs=None, retain_graph: Optional[bool] = None,
         create_graph: bool = False, allow_unused: bool = False,
         is_grads_batched: bool = False, materialize_grads: bool = False) -> tuple:
    """Gradients of ``outputs`` with respect to ``inputs``, returned rather than
    accumulated (PyTorch's ``torch.autograd.grad``). With ``is_grads_batched``, the first
    axis of every gradient in ``grad_outputs`` is a batch: one vector-Jacobian product per
    entry, stacked along a first axis of the results (the graph is walked once, then
    pulled back through per entry).

    >>> x = Tensor(3.0, requires_grad=True)
    >>> grad(x ** 3, x, create_graph=True)
    (tensor(27., grad_fn=<MulBackward>),)
    """
    outputs = _as_tuple(outputs)
    inputs = _as_tuple(inputs)
    targets = _targets_from(inputs)
    retain = create_graph if retain_graph is None else retain_graph
    batches = _batches(grad_outputs, len(outputs)) if is_grads_batched else [grad_outputs]
    captured, needed = [], None
    for b, cotangents in enumerate(batches):
        roots, root_grads = _roots("grad", outputs, cotangents, create_graph)
        if needed is None:
            needed = _leads_to(targets, [r.grad_fn for r in roots if r.grad_fn is not None])
        captured.append(run_backward(roots, root_grads, retain or b < len(batches) - 1,
                                     create_graph, targets, capture=True, needed=needed))
    result = []
    for i, t in enumerate(inputs):
        key = t.grad_fn if t.grad_fn is not None else t
        gs = [c.get(key) for c in captured]
        if gs and gs[0] is not None:
            if not is_grads_batched:
                g = gs[0]
                result.append(g if isinstance(g, Tensor) else make_tensor(np.asarray(g)))
            elif any(isinstance(g, Tensor) for g in gs):  # recorded
                result.append(_graph_ns.stack(gs))
            else:
                result.append(make_tensor(np.stack(gs)))
        elif materialize_grads or not gs:  # unused, or an empty batch
            lead = (len(batches),) if is_grads_batched else ()
            result.append(make_tensor(np.zeros(lead + t._data.shape, t._data.dtype)))
        elif allow_unused:
            result.append(None)
        else:
            raise RuntimeError(f"grad: input {i} was not used in the graph of the outputs; "
                               f"pass allow_unused=True if this is expected")
    return tuple(result)


def _batches(grad_outputs, n_outputs: int) -> list:
    """Per batch entry, the gradients for the outputs: ``grad_outputs`` split along their
    first axis."""
    if grad_outputs is None:
        raise ValueError("grad: is_grads_batched=True needs grad_outputs, each with a leading "
                         "batch axis")
    grads = [g if isinstance(g, Tensor) else as_array(g) for g in _as_tuple(grad_outputs)]
    if len(grads) != n_outputs:
        raise RuntimeError(f"grad: got {len(grads)} gradients for {n_outputs} outputs")
    sizes = {g.shape[0] if g.ndim else None for g in grads}
    if len(sizes) != 1 or None in sizes:
        raise ValueError(f"grad: with is_grads_batched=True every gradient needs the same "
                         f"leading batch axis; got shapes {[tuple(g.shape) for g in grads]}")
    return [tuple(g[b] for g in grads) for b in range(sizes.pop())]


def release_graph(node) -> None:
    """Drop every saved array and link in the graph behind ``node`` (iteratively)."""
    stack = [node] if type(node) is Node else []
    while stack:
        n = stack.pop()
        edges = n.edges
        _free(n)
        if edges:
            stack.extend(e for e in edges if type(e) is Node and e.edges is not None)
