"""``DistributedDataParallel``: PyTorch's data-parallel wrapper, over ``chainrule.distributed``.

Each rank runs the same model on its own slice of the batch; the gradients are averaged
across ranks during backward, so after ``optimizer.step()`` every rank holds the same
parameters. How: every parameter gets a post-accumulate-grad hook; once the engine has
accumulated the parameter's ``.grad`` (after ``no_sync``, the accumulated sum), the hook
copies it into its slot of a flat bucket (about ``bucket_cap_mb`` each, in reverse
parameter order, one dtype per bucket); a full
bucket starts its all-reduce at once (buckets start in the same order on every rank, as MPI
requires), on ``chainrule.distributed``'s collectives thread, so it proceeds while this
thread goes on with backward. The engine runs a parameter's hook as soon as the last node that
contributes to its gradient has run (``engine.early_leaf_hooks``), so the all-reduce of the
last layers' buckets overlaps the backward pass of the first layers. The hook of the last
parameter to receive its gradient waits for all buckets and writes each average into its
``.grad`` in one pass: nothing runs after ``loss.backward()``.
"""
from __future__ import annotations

import contextlib
import weakref
from typing import Iterator, List, Optional

import numpy as np

from ..autograd.engine import Node, early_leaf_hooks, walk
from ..autograd.grad_mode import is_grad_enabled
from ..autograd.grad_mode import no_grad as _no_grad
from ..autograd.tensor import Tensor, make_tensor
from .module import Module

__all__ = ["DistributedDataParallel"]


def _dist():
    from .. import distributed  # lazily: importing chainrule.nn must not need mpi4py
    return distributed


class _Bucket:
    __slots__ = ("indices", "buffer", "pending", "request")

    def __init__(self, indices: List[int], buffer: np.ndarray):
        self.indices, self.buffer = indices, buffer
        self.pending, self.request = len(indices), None


def _tensors_in(obj) -> Iterator[Tensor]:
    """The tensors in a forward's output (a tensor, or tuples, lists and dicts of them)."""
    if isinstance(obj, Tensor):
        yield obj
    elif isinstance(obj, (tuple, list)):
        for x in obj:
            yield from _tensors_in(x)
    elif isinstance(obj, dict):
        for x in obj.values():
            yield from _tensors_in(x)


class DistributedDataParallel(Module):
    """Average gradients across the ranks of ``chainrule.distributed`` during backward.

    At construction, every rank checks that all ranks hold parameters of the same names,
    shapes and dtypes, then takes rank 0's parameters and buffers. ``forward`` calls the
    wrapped ``module`` (kept as ``.module``, so ``state_dict()`` keys start with
    ``module.`` as in PyTorch); with ``broadcast_buffers`` it first copies rank 0's buffers
    (BatchNorm statistics) to every rank. Inside ``no_sync()`` gradients accumulate locally;
    the first backward after it averages the accumulated sums.

    ``find_unused_parameters=True`` walks each forward's graph to find the parameters it
    does not reach, so their buckets need not wait for gradients that never come; without
    it, a parameter that gets no gradient is reported at the next forward.

    ``gradient_as_bucket_view=True`` (PyTorch's option) makes each ``.grad`` a view of its
    slot in the bucket instead of a copy: the average is written once, in place, and the
    next backward overwrites it.

    >>> import chainrule.distributed as dist                        # doctest: +SKIP
    >>> dist.init_process_group("mpi")                              # doctest: +SKIP
    >>> model = DistributedDataParallel(cr.nn.Linear(4, 2))         # doctest: +SKIP
    >>> model(x).sum().backward()   # .grad: the mean over ranks    # doctest: +SKIP
    """

    def __init__(self, module: Module, device_ids=None, output_device=None, dim: int = 0,
                 broadcast_buffers: bool = True, process_group=None, bucket_cap_mb: float = 25,
                 find_unused_parameters: bool = False, check_reduction: bool = False,
                 gradient_as_bucket_view: bool = False, static_graph: bool = False):
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel: expected a chainrule.nn.Module, got "
                            f"{type(module).__name__}")
        if process_group is not None:
            raise NotImplementedError("DistributedDataParallel: only the default process "
                                      "group (process_group=None) is supported")
        if not bucket_cap_mb > 0:
            raise ValueError(f"DistributedDataParallel: bucket_cap_mb must be positive, got "
                             f"{bucket_cap_mb}")
        dist = _dist()
        self._comm = dist._comm()  # raises, naming init_process_group, before it is called
        self.module = module
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.bucket_cap_mb = bucket_cap_mb
        self.gradient_as_bucket_view = gradient_as_bucket_view
        self.require_backward_grad_sync = True
        self._world = dist.get_world_size()
        named = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
        self._names = [n for n, _ in named]
        self._params = [p for _, p in named]
        self._check_same_parameters(dist)
        self._sync_module_states(dist)
        self._build_buckets(int(bucket_cap_mb * 2 ** 20))
        self._syncing = False
        self._reset()
        me = weakref.ref(self)  # parameters must not keep the wrapper alive
        self._hook_handles = [p.register_post_accumulate_grad_hook(_make_hook(me, i))
                              for i, p in enumerate(self._params)]
        # The engine then runs each parameter's hook as soon as its gradient is complete,
        # so that buckets start their all-reduce while backward goes on.
        early_leaf_hooks.count += 1
        weakref.finalize(self, _release_early_hooks)

    # ----- construction --------------------------------------------------------------------
    def _check_same_parameters(self, dist) -> None:
        mine = [(n, tuple(p.shape), str(p.dtype)) for n, p in zip(self._names, self._params)]
        everyone = dist._allgather_object(mine)
        first = everyone[0]
        for rank, theirs in enumerate(everyone):
            if theirs == first:
                continue
            for i in range(max(len(theirs), len(first))):
                a = first[i] if i < len(first) else None
                b = theirs[i] if i < len(theirs) else None
                if a != b:
                    raise RuntimeError(
                        f"DistributedDataParallel: the ranks' models differ: parameter {i} is "
                        f"{_describe(a)} on rank 0 but {_describe(b)} on rank {rank} "
                        f"({len(first)} vs {len(theirs)} parameters); every rank must build "
                        f"the same model")

    @_no_grad()
    def _sync_module_states(self, dist) -> None:
        """Every rank starts from rank 0's parameters and buffers."""
        if self._world == 1:
            return
        for p in self._params:
            dist.broadcast(p, src=0)
        for b in self._buffers_to_sync():
            dist.broadcast(b, src=0)

    def _buffers_to_sync(self) -> list:
        return [b for b in self.module.buffers() if isinstance(b, (Tensor, np.ndarray))]

    def _build_buckets(self, cap_bytes: int) -> None:
        """Flat buffers in reverse parameter order (gradients arrive last layer first)."""
        groups: dict = {}  # dtype -> indices of the bucket being filled
        closed: List[List[int]] = []
        for i in reversed(range(len(self._params))):
            p = self._params[i]
            key = p._data.dtype
            group = groups.setdefault(key, [])
            size = sum(self._params[j]._data.nbytes for j in group)
            if group and size + p._data.nbytes > cap_bytes:
                closed.append(group)
                group = groups[key] = []
            group.append(i)
        closed.extend(g for g in groups.values() if g)
        closed.sort(key=lambda g: -g[0])  # the order in which they are expected to fill
        self._buckets: List[_Bucket] = []
        self._slots: List[Optional[tuple]] = [None] * len(self._params)
        for b, indices in enumerate(closed):
            dtype = self._params[indices[0]]._data.dtype
            buffer = np.empty(sum(self._params[i]._data.size for i in indices), dtype)
            offset = 0
            for i in indices:
                shape = self._params[i]._data.shape
                n = self._params[i]._data.size
                self._slots[i] = (b, buffer[offset:offset + n].reshape(shape))
                offset += n
            self._buckets.append(_Bucket(indices, buffer))

    # ----- forward -------------------------------------------------------------------------
    def forward(self, *inputs, **kwargs):
        self._check_previous_pass()
        grad_on = is_grad_enabled()
        if grad_on and self.broadcast_buffers and self._world > 1:
            with _no_grad():
                dist = _dist()
                for b in self._buffers_to_sync():
                    dist.broadcast(b, src=0)
        out = self.module(*inputs, **kwargs)
        if grad_on and self.require_backward_grad_sync and self._params:
            self._reset()
            self._syncing = True
            if self.find_unused_parameters:
                self._mark_unused(out)
        return out

    @contextlib.contextmanager
    def no_sync(self):
        """Inside, backward accumulates gradients on each rank without averaging; the first
        backward after it averages the accumulated sums.

        >>> with ddp.no_sync():                      # doctest: +SKIP
        ...     ddp(x1).sum().backward()
        >>> ddp(x2).sum().backward()  # doctest: +SKIP
        """
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old

    def _check_previous_pass(self) -> None:
        if not self._syncing:
            return
        total = len(self._params)
        if self._pending != total - self._unused:  # the last backward stopped half-way
            missing = [self._names[i] for i in range(total) if not self._ready[i]]
            self._syncing = False
            raise RuntimeError(
                f"DistributedDataParallel: expected to have finished reduction in the prior "
                f"iteration before starting a new one: {len(missing)} parameter(s) received "
                f"no gradient in the last backward ({', '.join(missing[:8])}"
                f"{', ...' if len(missing) > 8 else ''}). Pass find_unused_parameters=True "
                f"if the forward does not use every parameter, or make the loss depend on "
                f"all outputs")
        self._drain()  # a forward with no backward after it: wait out what it started

    def _reset(self) -> None:
        self._ready = [False] * len(self._params)
        self._pending = len(self._params)
        self._unused = 0
        self._next = 0
        for bucket in self._buckets:
            bucket.pending, bucket.request = len(bucket.indices), None

    def _drain(self) -> None:
        dist = _dist()
        for bucket in self._buckets:
            if bucket.request is not None:
                dist._wait(bucket.request, "DistributedDataParallel")
                bucket.request = None

    def _mark_unused(self, out) -> None:
        roots = [t.grad_fn for t in _tensors_in(out) if t.grad_fn is not None]
        reached = {id(x) for x in walk(roots) if type(x) is not Node}
        reached.update(id(t) for t in _tensors_in(out) if t.grad_fn is None)
        unused = [i for i, p in enumerate(self._params) if id(p) not in reached]
        self._unused = len(unused)
        for i in unused:
            p = self._params[i]
            view = self._slots[i][1]
            if p.grad is None:
                view.fill(0)
            else:
                np.copyto(view, p.grad._data)
            self._mark_ready(i)
        if self._pending == 0:
            self._finalize()

    # ----- backward --------------------------------------------------------------------------
    def _on_grad(self, i: int) -> None:
        """Parameter ``i``'s hook, once the engine has accumulated its ``.grad``: into its
        bucket; the last one finishes the reduction."""
        if not self._syncing:
            return
        if self._ready[i]:
            raise RuntimeError(
                f"DistributedDataParallel: parameter {self._names[i]!r} received a gradient "
                f"twice in one iteration (backward called twice after one forward, or the "
                f"parameter reached through reentrant backward); run forward again first")
        grad = self._params[i].grad._data  # (after no_sync: the accumulated sum)
        view = self._slots[i][1]
        if (self._world > 1 or self.gradient_as_bucket_view) and grad is not view:
            np.copyto(view, grad)
        self._mark_ready(i)
        if self._pending == 0:
            self._finalize()

    def _mark_ready(self, i: int) -> None:
        self._ready[i] = True
        self._pending -= 1
        buckets = self._buckets
        buckets[self._slots[i][0]].pending -= 1
        # Buckets start in index order only: MPI needs every rank to start its
        # collectives in one order, whatever order the hooks fire in.
        while self._next < len(buckets) and buckets[self._next].pending == 0:
            bucket = buckets[self._next]
            if self._world > 1:  # (one rank: the sum is the bucket itself)
                from mpi4py import MPI
                bucket.request = _dist()._start("Allreduce", (MPI.IN_PLACE, bucket.buffer,
                                                              MPI.SUM), bucket.buffer.nbytes)
            self._next += 1

    def _finalize(self) -> None:
        """Wait for every bucket, then write each average where its gradient goes, in one
        pass: into ``.grad``'s own array, or the bucket slot itself with
        ``gradient_as_bucket_view``; on one rank ``.grad`` already holds it."""
        dist = _dist()
        for bucket in self._buckets:
            if bucket.request is not None:
                dist._wait(bucket.request, "DistributedDataParallel backward")
                bucket.request = None
        self._syncing = False
        world, as_view = self._world, self.gradient_as_bucket_view
        for i, p in enumerate(self._params):
            view, grad = self._slots[i][1], p.grad
            if grad is None:  # not reached by this backward
                if not self._ready[i] or self.find_unused_parameters and not view.any():
                    continue
            elif not as_view and world == 1:
                continue
            if as_view:
                if world > 1:
                    np.divide(view, world, out=view)
                if grad is None or grad._data is not view:
                    p.grad = make_tensor(view)
            elif grad is not None and grad.grad_fn is None and grad._data.flags.writeable \
                    and grad._data.shape == view.shape and grad._data.dtype == view.dtype:
                np.divide(view, world, out=grad._data)
            else:
                p.grad = make_tensor(view / world)

    def __repr__(self) -> str:
        return f"DistributedDataParallel(\n  (module): {self.module!r}\n)"


def _release_early_hooks() -> None:
    early_leaf_hooks.count -= 1


def _make_hook(ddp_ref, i: int):
    def hook(param):
        ddp = ddp_ref()
        if ddp is not None:
            ddp._on_grad(i)
    hook.__qualname__ = "DistributedDataParallel.gradient_hook"
    return hook


def _describe(entry) -> str:
    if entry is None:
        return "absent"
    name, shape, dtype = entry
    return f"{name!r} of shape {shape} and dtype {dtype}"


def __dir__():
    return __all__
