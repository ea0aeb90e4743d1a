"""Measure chainrule.distributed: run under mpirun, once with -n 1 and once with -n 2.

    OMP_NUM_THREADS=1 mpirun -n 2 --mca btl self,sm python bench/distributed.py

Prints (rank 0): the step time of a compute-bound MLP at a fixed global batch (strong
scaling: each rank gets batch / N), DistributedDataParallel's in-backward bucketed
reduction against an all-reduce of the gradients after backward, and all_reduce's bandwidth
against mpi4py's Allreduce on the same buffers. BENCH_GLOBAL_BATCH (default 256) and
BENCH_BUCKET_MB (DDP's bucket_cap_mb, default 25) change the cell.
"""
import os
import sys
import time

import numpy as np

import chainrule as cr
import chainrule.distributed as dist
from chainrule import nn
from chainrule.nn.parallel import DistributedDataParallel

GLOBAL_BATCH = int(os.environ.get("BENCH_GLOBAL_BATCH", 256))
STEPS = 8


def model():
    cr.manual_seed(0)
    return nn.Sequential(nn.Linear(512, 1024), nn.ReLU(), nn.Linear(1024, 1024), nn.ReLU(),
                         nn.Linear(1024, 10))


def timed_steps(net, step_grads, batch):
    rng = np.random.default_rng(dist.get_rank())
    x = cr.tensor(rng.standard_normal((batch, 512)).astype(np.float32))
    y = cr.tensor(rng.integers(0, 10, batch))
    opt = cr.optim.SGD(net.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    times = []
    for i in range(STEPS + 2):
        dist.barrier()
        start = time.perf_counter()
        opt.zero_grad()
        loss_fn(net(x), y).backward()
        step_grads(net)
        opt.step()
        if i >= 2:  # two warm-up steps
            times.append(time.perf_counter() - start)
    return float(np.median(times))


def after_backward(net):
    """The baseline: one flat all-reduce of every gradient once backward has returned."""
    grads = [p.grad for p in net.parameters()]
    flat = np.concatenate([g.detach().numpy().ravel() for g in grads])
    dist.all_reduce(flat, op=dist.ReduceOp.AVG)
    offset = 0
    for g in grads:
        n = g.numel()
        g.detach().numpy()[...] = flat[offset:offset + n].reshape(g.shape)
        offset += n


def bandwidth(fn, buf, repeat):
    dist.barrier()
    start = time.perf_counter()
    for _ in range(repeat):
        fn(buf)
    return (time.perf_counter() - start) / repeat


def main():
    dist.init_process_group("mpi")
    rank, size = dist.get_rank(), dist.get_world_size()
    batch = GLOBAL_BATCH // size
    rows = []
    bucket_mb = float(os.environ.get("BENCH_BUCKET_MB", 25))
    ddp_time = timed_steps(DistributedDataParallel(model(), bucket_cap_mb=bucket_mb),
                           lambda net: None, batch)
    rows.append(f"DDP step (bucketed, reduced from hooks)  {ddp_time * 1e3:8.1f} ms")
    if size > 1:
        base = timed_steps(model(), after_backward, batch)
        rows.append(f"plain step + all_reduce after backward   {base * 1e3:8.1f} ms")
    local = timed_steps(model(), lambda net: None, batch)
    rows.append(f"local step, no communication             {local * 1e3:8.1f} ms")
    from mpi4py import MPI
    comm = MPI.COMM_WORLD
    for n in (256, 65536, 4 * 2 ** 20):
        buf = np.ones(n, np.float32)
        repeat = 200 if n < 10 ** 5 else 10
        ours = bandwidth(lambda b: dist.all_reduce(b), buf, repeat)
        raw = bandwidth(lambda b: comm.Allreduce(MPI.IN_PLACE, b), buf, repeat)
        mb = buf.nbytes / 2 ** 20
        rows.append(f"all_reduce {buf.nbytes:>9d} B: chainrule {ours * 1e6:9.1f} us "
                    f"({mb / ours:8.1f} MiB/s), mpi4py {raw * 1e6:9.1f} us "
                    f"({mb / raw:8.1f} MiB/s)")
    if rank == 0:
        print(f"ranks {size}, global batch {GLOBAL_BATCH} ({batch} per rank), "
              f"MLP 512-1024-1024-10 float32, median of {STEPS} steps")
        print("\n".join(rows))
        sys.stdout.flush()
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
