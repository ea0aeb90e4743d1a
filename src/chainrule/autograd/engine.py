"""The backward engine: recorded Nodes run in reverse creation order, iteratively, gradients
summed where paths meet, saved values freed as each node runs. Its pieces: ``walk``, the one
graph walk; ``Gradients``, a pass's sums; ``run_backward``, the loop; ``run_nodes``, rules."""
from __future__ import annotations

from heapq import heappop, heappush
from itertools import count
from operator import attrgetter
from typing import Optional, Sequence

import numpy as np

from .. import _backend
from .._backend import COMPLEX_DTYPES
from . import batching as _batching
from . import tracing as _tracing
from .anomaly import check_gradients
from .engine_errors import check_hook_result, freed_error, no_rule_error, version_error
from .grad_mode import anomaly_state, forward_state
from .grad_mode import ordinary as _ordinary
from .tensor import PostAccumulateGradHook, Tensor, as_array, make_tensor

__all__ = ["set_graph_namespace", "graph_namespace", "next_seq", "Node", "pass_through",
           "AccumulateGrad", "unbroadcast", "walk", "Gradients", "run_backward", "run_nodes",
           "early_leaf_hooks",
           "set_tangents", "backward", "grad", "release_graph"]

_graph_ns = None


def set_graph_namespace(namespace) -> None:
    """Register the namespace that rules use when backward is recorded (chainrule.numpy)."""
    global _graph_ns
    _graph_ns = namespace


def graph_namespace():
    return _graph_ns


next_seq = count().__next__  # creation order: a topological order of the graph


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

    next_functions = ()  # a leaf: nothing behind it

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


def _graph_value(data, edge):
    """Rebuild a saved input as a tensor on the graph, for a recorded backward pass."""
    if isinstance(data, Tensor):  # a dual input, kept whole
        return data
    if type(edge) is Node:
        return make_tensor(data, edge, True)
    if edge is not None:
        return edge
    return data  # a constant (or not kept): it stays raw, so Python scalars stay weakly typed


def walk(roots, stop=None):
    """Every node and leaf reachable from ``roots`` through ``edges``, once each, depth first
    and iterative: the one graph walk (engine, func, viz). A node where ``stop(node)`` is true
    is yielded, not walked past; its edges are read before it is yielded (it may be freed)."""
    stack = [root for root in dict.fromkeys(roots) if root is not None]
    seen = set(stack)
    while stack:
        x = stack.pop()
        if type(x) is Node and (stop is None or not stop(x)):
            for e in x.edges or ():
                if e is not None and e not in seen:
                    seen.add(e)
                    stack.append(e)
        yield x


def _as_tensor(g):
    return g if isinstance(g, Tensor) else make_tensor(g)


def _summed(prev, g, writable: bool, record: bool):
    """``prev + g``, the one gradient sum: in place into a ``writable`` prev, or on the graph."""
    if record:
        return _as_tensor(prev) + _as_tensor(g)
    if writable:
        prev += g
        return prev  # a NumPy scalar (from 0-d arithmetic) is added out of place all the same
    return prev + g


class Gradients:
    """A pass's gradients, per node or leaf, and the nodes waiting (``heap``: the newest pops
    first). ``owned``: keys whose sum nobody else holds, so it may be added to in place (a
    root's ``ones``, a rule's new array for a leaf, a sum made here; not a node's first)."""

    __slots__ = ("sums", "owned", "heap", "record")

    def __init__(self, record: bool):
        self.sums, self.owned, self.heap, self.record = {}, set(), [], record

    def add(self, key, g) -> None:
        """Add ``g`` into ``key``'s sum (a first one is kept as it is; a node's waits)."""
        sums = self.sums
        prev = sums.get(key)
        if prev is None:
            sums[key] = g
            if type(key) is Node:
                heappush(self.heap, (-key.seq, key))
        else:
            sums[key] = _summed(prev, g, key in self.owned, self.record)
            self.owned.add(key)

    def pop(self):  # the waiting node created last and its gradient, or (None, None)
        if not self.heap:
            return None, None
        node = heappop(self.heap)[1]
        return node, self.sums.pop(node)


class _EarlyLeaves:
    """``count``: how many users want leaf gradients finished as soon as they are complete
    (``DistributedDataParallel``, to start its all-reduce while backward goes on). Then a
    pass finds, for each leaf with hooks, the last node that contributes to it (the oldest:
    nodes run newest first) and finishes the leaf right after that node, not at the end."""
    __slots__ = ("count",)

    def __init__(self):
        self.count = 0


early_leaf_hooks = _EarlyLeaves()


def _last_contributors(starts) -> dict:
    """{node: the leaves with hooks it is the last to send gradients to}."""
    last = {}
    for node in walk(starts):
        if type(node) is Node:
            for e in node.edges or ():
                if e is not None and type(e) is not Node and e._hooks and \
                        (e not in last or node.seq < last[e].seq):
                    last[e] = node
    by_node = {}
    for leaf, node in last.items():
        by_node.setdefault(node, []).append(leaf)
    return by_node


def run_backward(roots: Sequence[Tensor], root_grads, retain_graph: bool, create_graph: bool,
                 targets: Optional[dict] = None, capture: bool = False, needed=None,
                 xp=None):
    """Propagate from ``roots`` to the leaves. Nodes run in decreasing creation order (a
    node is created after its inputs' nodes), so when one runs, every gradient that will
    reach it has arrived: no pass counts dependencies. Leaves are finished last.
    ``targets`` maps a key (a leaf, or the Node that made a non-leaf tensor) to the tensor
    that receives its gradient; None: every leaf that requires grad. ``capture``: return
    ``{key: grad}`` instead. ``needed``: ``_leads_to(targets, ...)``, if the caller has it.
    Rules run on tensors (``record``) when the pass is recorded, in a dual level, and from
    the first node reached with tangents (``node.fw``, as in ``grad`` of ``jvp``).
    ``xp``: the rules' namespace, when not the data's (``batching.namespace``)."""
    record = create_graph or forward_state.depth > 0
    sums = Gradients(record)
    for root, (g, owned) in zip(roots, root_grads):
        key = root.grad_fn if root.grad_fn is not None else root
        if owned and key not in sums.sums:
            sums.owned.add(key)
        sums.add(key, g)
    if targets is not None and needed is None:
        needed = _leads_to(targets, [node for _, node in sums.heap])
    batched = xp is not None
    if xp is None:
        xp = _graph_ns if record else _backend.rule_namespace(roots[0]._data)
    captured = {} if capture else None
    early = _last_contributors([n for _, n in sums.heap]) if early_leaf_hooks.count and \
        targets is None and not record else None
    node, g = sums.pop()
    while node is not None:
        if node.fw is not None and not record:  # tangents flow from here on
            if batched:
                raise _batching.Unbatchable("tangents on the graph")
            record = sums.record = True
            xp = _graph_ns
        # With targets, a node reached is either a target or on the way to one.
        if node.hooks or node.retained is not None or targets is not None and node in targets:
            g = _visit(node, g, record, targets, captured, needed)
            if g is None:  # no target lies behind this node
                if not retain_graph:
                    _free(node)
                node, g = sums.pop()
                continue
        node, g = run_nodes(node, g, xp, record, needed, targets, sums, retain_graph, early)
    for leaf, g in sums.sums.items():  # only leaves are left
        _finish_leaf(leaf, g, leaf in sums.owned, record, targets, captured)
    return captured


def run_nodes(node: Node, g, xp, record: bool, needed, targets, sums: Gradients,
              retain: bool, early=None):
    """Run ``node`` on its output's gradient ``g``, then the next nodes in decreasing creation
    order, until one needs ``run_backward``'s loop: return it and its gradient, or (None,
    None) when none waits. The one place rules are called (through ``_adapted`` when not
    plain), for wanted inputs only, after the saved values' versions are checked. ``early``:
    {node: leaves} to finish right after that node (see ``early_leaf_hooks``)."""
    heap, waiting, owned = sums.heap, sums.sums, sums.owned
    adapt = record or anomaly_state.enabled
    while True:
        prim = node.prim
        edges = node.edges
        if edges is None:
            raise freed_error(node)
        saved = node.saved
        if saved:
            for box, version in saved:
                if box[0] != version:
                    raise version_error(node, box, version)
        if adapt or prim.vjp_all is not None or prim.holomorphic and \
                node.dtype in COMPLEX_DTYPES:
            inputs, ans, g, rules = _adapted(node, g, xp, record, needed)
        else:
            inputs, ans, rules = node.inputs, node.ans, prim.vjps
        params = node.params
        if not retain:  # _free(node), inline
            node.inputs = node.ans = node.edges = None
            node.saved = ()
        nxt = next_g = None
        i = -1
        for e in edges:
            i += 1
            if e is None or needed is not None and e not in needed:
                continue
            try:
                rule = rules[i]
            except (IndexError, TypeError):  # past the rules, or none (vjps is None)
                rule = None
            if rule is pass_through:  # no call: the gradient is handed on
                r = g
            elif rule is None:
                raise no_rule_error(prim, i)
            else:
                r = rule(xp, g, ans, *inputs, **params) if params else rule(xp, g, ans, *inputs)
            is_node = type(e) is Node
            like = e if is_node else e._data  # a Node has its output's shape and dtype
            shape, dtype = like.shape, like.dtype
            if r is None:
                r = xp.zeros(shape, dtype)
            elif r.shape != shape or (r.dtype is not dtype and r.dtype != dtype):
                r = _conform(xp, r, shape, dtype)
            # The fast path: a node newer than every node waiting has all its gradients
            # (they come from newer nodes), so it runs next (nxt) without the heap and the
            # sums: in a chain, every node. The node it displaces (or any older one) waits.
            # A first gradient is put in place here, as sums.add would (it sums the rest).
            if not is_node:
                if e in waiting:
                    sums.add(e, r)
                else:  # owned when the rule made it: not the g passed in, nor a view
                    waiting[e] = r
                    if r is not g and not record and r.base is None:
                        owned.add(e)
            elif nxt is None and (not heap or e.seq > -heap[0][0]):
                nxt, next_g = e, r
            elif nxt is not None and e.seq > nxt.seq:  # newer than the one to run next
                waiting[nxt] = next_g
                heappush(heap, (-nxt.seq, nxt))
                nxt, next_g = e, r
            elif e is nxt:  # a second gradient for it (x * x)
                next_g = _summed(next_g, r, False, record)
            else:
                sums.add(e, r)
        if early is not None and node in early:  # leaves this node completes: now
            for leaf in early[node]:
                if leaf in waiting:
                    _finish_leaf(leaf, waiting.pop(leaf), leaf in owned, record, None, None)
        if nxt is None:  # the newest node waiting, as sums.pop()
            if not heap:
                return None, None
            nxt = heappop(heap)[1]
            next_g = waiting.pop(nxt)
        node, g = nxt, next_g  # next, unless run_backward's loop has work on it:
        if node.hooks or node.retained is not None or node.fw is not None and not record \
                or targets is not None and node in targets:
            return node, g


def _adapted(node: Node, g, xp, record: bool, needed):
    """A node's saved values, ``g`` and rules: on the graph when the pass records; a
    ``vjp_all``'s results as rules; an analytic function's rules conjugated around on
    complex values (they are written as for reals: vjp = conj(rule(conj(g))), as PyTorch)."""
    prim = node.prim
    inputs, ans, rules = node.inputs, node.ans, prim.vjps
    if record:
        inputs = tuple([_graph_value(d, e) for d, e in zip(inputs, node.edges)])
        if prim.residual:
            ans = None  # raw values off the graph: the rule recomputes them on tensors
        elif ans is not None:
            ans = make_tensor(ans, node, True)
            ans._fw = node.fw
        g = _as_tensor(g)
    conj = prim.holomorphic and node.dtype in COMPLEX_DTYPES
    if prim.vjp_all is not None:
        wants = tuple([e is not None and (needed is None or e in needed) for e in node.edges])
        done = prim.vjp_all(xp, xp.conj(g) if conj else g, ans, inputs, wants, **node.params)
        rules = [(lambda r: lambda *_, **__: r)(r) for r in done]  # each gives its result
    if rules is not None and (conj or anomaly_state.enabled):
        rules = [rule and _wrapped(rule, conj, node, i) for i, rule in enumerate(rules)]
    return inputs, ans, g, rules


def _wrapped(rule, conj: bool, node: Node, i: int):
    """``rule`` conjugated around (``conj``), its result checked in anomaly mode."""
    def wrapped(xp, g, ans, *inputs, **params):
        r = rule(xp, xp.conj(g) if conj else g, ans, *inputs, **params)
        if conj and r is not None:
            r = xp.conj(r)
        if anomaly_state.enabled:
            check_gradients(node, (None,) * i + (r,))  # it names the input by its position
        return r
    return wrapped


def _conform(xp, r, shape: tuple, dtype):
    """A rule's gradient brought to its input's shape (summing broadcast axes) and dtype."""
    if r.shape != shape:
        r = unbroadcast(xp, r, shape)
    if r.dtype != dtype:
        if r.dtype.kind == "c" and dtype.kind != "c":
            r = xp.real(r)  # a real input gets d/dRe of a complex gradient
        r = r.astype(dtype)
    return r


def _run_hooks(hooks, g):
    if type(g) is _batching.Batched:  # a hook sees one gradient
        raise _batching.Unbatchable("a hook")
    if not _ordinary.all:
        _tracing.notify("python_effect", "a gradient hook")
    for hook in hooks:
        out = hook(_as_tensor(g))
        if out is not None:
            check_hook_result(hook, out, g)
            g = out if isinstance(g, Tensor) else as_array(out)
    return g


def _visit(node: Node, g, record: bool, targets, captured, needed):
    """The work on a node beyond its rules: hooks, retained and target gradients. Returns
    the gradient to propagate, or None when nothing wanted lies behind the node."""
    if node.edges is None:
        raise freed_error(node)
    if node.hooks:
        g = _run_hooks(node.hooks, g)
    if node.retained is not None:
        if type(g) is _batching.Batched:
            raise _batching.Unbatchable("retain_grad")
        if not _ordinary.all:
            _tracing.notify("python_effect", "retain_grad() on a non-leaf tensor")
        kept = node.retained()
        if kept is not None and (targets is None or node not in targets):
            _accumulate_into(kept, g, False, record)
    if targets is not None and node in targets:
        if captured is not None:
            captured[node] = _as_tensor(g) if record else g
        else:
            _accumulate_into(targets[node], g, False, record)
    if needed is not None and not any(e in needed for e in node.edges if e is not None):
        return None
    return g


def _finish_leaf(leaf: Tensor, g, owned: bool, record: bool, targets, captured) -> None:
    post = ()
    hooks = leaf._hooks
    if hooks:
        post = [h for h in hooks if type(h) is PostAccumulateGradHook]
        if post:
            hooks = [h for h in hooks if type(h) is not PostAccumulateGradHook]
        if hooks:
            g = _run_hooks(hooks, g)
            owned = False
    if targets is None and leaf._requires_grad:
        _accumulate_into(leaf, g, owned, record)
        for hook in post:
            hook.fn(leaf)
    elif targets is not None and leaf in targets:
        if captured is not None:
            captured[leaf] = _as_tensor(g) if record else g
        else:
            _accumulate_into(targets[leaf], g, owned, record)


def _accumulate_into(tensor: Tensor, g, owned: bool, record: bool) -> None:
    """``tensor.grad += g``, in place into a plain ``.grad``; a ``g`` not owned is copied."""
    if not _ordinary.all:
        _tracing.notify("grad_written", tensor)
    grad = tensor.grad
    if record:
        g = g if isinstance(g, Tensor) else make_tensor(g if owned else g.copy())
        tensor.grad = g if grad is None else grad + g
        return
    if g.__class__ is not np.ndarray:
        if isinstance(g, Tensor):
            g = g._data
        if isinstance(g, np.generic):  # NumPy returns scalars from 0-d arithmetic
            g, owned = np.array(g), True
    if grad is None:
        tensor.grad = make_tensor(g if owned else g.copy())
        return
    if grad.grad_fn is not None or not grad._data.flags.writeable:
        tensor.grad = make_tensor(grad._data + g)
    else:
        grad._data += g


def _leads_to(targets: dict, starts: list) -> set:
    """The nodes and leaves behind ``starts`` that lead to a target: the only ones to run."""
    nodes = [x for x in walk(starts) if type(x) is Node]
    nodes.sort(key=attrgetter("seq"))  # inputs first: a node's edges are created before it
    needed = {k for k in targets if type(k) is not Node}
    for node in nodes:
        if node in targets or any(e in needed for e in node.edges or () if e is not None):
            needed.add(node)
    return needed


def set_tangents(node: Node, fw: dict) -> None:
    """Attach a node's output tangents: a backward pass reaching it carries them on."""
    node.fw = fw


def _free(node: Node) -> None:
    node.inputs = node.ans = node.edges = None
    node.saved = ()


def _prepare_root(op: str, tensor: Tensor, gradient, create_graph: bool, index: int):
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(tensor).__name__}")
    if not tensor._requires_grad:
        raise RuntimeError(f"{op}: element {index} of the outputs does not require grad "
                           f"and has no grad_fn; nothing to differentiate")
    data = tensor._data
    if gradient is None:
        if data.size != 1:
            raise RuntimeError(f"{op}: grad can be implicitly created only for outputs with "
                               f"one element, got shape {data.shape}; pass gradient= of that shape")
        return _backend.array_module(data).ones(data.shape, data.dtype), True
    if isinstance(gradient, Tensor) and create_graph:
        g = gradient
    else:
        g = as_array(gradient)
        if g.dtype != data.dtype:
            g = g.astype(data.dtype)
    if g.shape != data.shape:
        raise RuntimeError(f"{op}: gradient has shape {tuple(g.shape)} but the output has "
                           f"shape {data.shape}")
    return g, False


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
    return outputs, [_prepare_root(op, t, g, create_graph, i)
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
    entry, stacked along a first axis of the results. The entries travel through the graph
    together, in one walk (see ``batching``), unless the pass is recorded or a rule on the
    way has no batched form: then the graph is walked once per entry.

    >>> x = Tensor(3.0, requires_grad=True)
    >>> grad(x ** 3, x, create_graph=True)
    (tensor(27., grad_fn=<MulBackward>),)
    """
    outputs = _as_tuple(outputs)
    inputs = _as_tuple(inputs)
    targets = _targets_from(inputs)
    retain = create_graph if retain_graph is None else retain_graph
    stacked = _stacked(grad_outputs, len(outputs)) if is_grads_batched else None
    together = _batched_pass(outputs, stacked, targets, retain) if is_grads_batched \
        and not create_graph and forward_state.depth == 0 and not anomaly_state.enabled \
        else None
    if together is not None:  # every row in one walk
        batches, captured = range(together[0]), [together[1]]
    else:  # one walk per row
        batches = [tuple(g[b] for g in stacked) for b in range(len(stacked[0]))] \
            if is_grads_batched else [grad_outputs]
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
            g = gs[0]
            if is_grads_batched and together is None:  # on the graph when recorded
                g = _graph_ns.stack(gs) if any(isinstance(x, Tensor) for x in gs) else np.stack(gs)
            result.append(g if isinstance(g, Tensor) else make_tensor(np.asarray(g)))
        elif materialize_grads or not gs:  # unused, or an empty batch
            lead = (len(batches),) if is_grads_batched else ()
            result.append(make_tensor(np.zeros(lead + t._data.shape, t._data.dtype)))
        elif allow_unused:
            result.append(None)
        else:
            raise RuntimeError(f"grad: input {i} was not used in the graph of the outputs; "
                               f"pass allow_unused=True if this is expected")
    return tuple(result)


def _batched_pass(outputs: tuple, stacked: list, targets: dict, retain: bool):
    """``(rows, {key: stacked gradients})`` from one walk that carries every row of the
    ``stacked`` gradients (``_stacked``'s) at once (see ``batching``), or None when the loop
    over rows must run instead: a rule on the way without a batched meaning, no rows, or
    outputs the loop reports errors for. The walk keeps the graph, so that the loop can
    still run."""
    grads = [g._data if isinstance(g, Tensor) else g for g in stacked]
    if not len(grads[0]) or not all(isinstance(t, Tensor) and t._requires_grad
                                    for t in outputs) or any(
            g.shape[1:] != t._data.shape for g, t in zip(grads, outputs)):
        return None
    root_grads = [(_batching.Batched(g if g.dtype == t._data.dtype else g.astype(t._data.dtype)),
                   False) for g, t in zip(grads, outputs)]
    needed = _leads_to(targets, [t.grad_fn for t in outputs if t.grad_fn is not None])
    try:
        captured = run_backward(outputs, root_grads, True, False, targets, capture=True,
                                needed=needed, xp=_batching.namespace)
    except Exception:  # noqa: BLE001  (Unbatchable, or an error the loop will report)
        return None
    if not retain:
        for node in needed:
            if type(node) is Node:
                _free(node)
    n = len(grads[0])
    stacked = {}
    for key, g in captured.items():
        like = key if type(key) is Node else key._data
        stacked[key] = g.data if type(g) is _batching.Batched else \
            np.broadcast_to(g, (n,) + like.shape).astype(like.dtype)  # the same for every row
    return n, stacked


def _stacked(grad_outputs, n_outputs: int) -> list:
    """A batched ``grad``'s ``grad_outputs``, checked: one per output, all with the same
    leading batch axis."""
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
    return grads


def release_graph(node) -> None:
    """Drop every saved array and link in the graph behind ``node``."""
    for n in walk([node] if type(node) is Node else ()):
        if type(n) is Node:
            _free(n)


def __dir__():  # dir() and tab completion show what the module exports, not its helpers
    return __all__
