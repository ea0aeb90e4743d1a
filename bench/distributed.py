"""Measure chainrule.distributed on 1 and 2 ranks, as ratios in one run.

    python bench/distributed.py          # make bench runs this: mpirun -n 1 and -n 2, 3 rounds
    mpirun -n 2 python bench/distributed.py --worker   # one measurement, JSON from rank 0

For three models: PyTorch's examples/mnist Net (compute-bound: 1.2 M parameters, 4.8 MB of
gradients, 25 MFLOP per image), the `make bench` CNN cell's (24 k parameters, 96 KB: little
to send, but memory-bound) and an MLP whose gradients are large beside its compute
(512-1024-1024-10, 1.6 M parameters, 6.3 MB), it times DistributedDataParallel's step
(bucketed all-reduce started from the gradient hooks during backward), a plain step
followed by one all-reduce of every gradient after backward, and a local step with no
communication, their steps interleaved, each at a fixed batch per rank (throughput: samples
per second over all ranks) and at a fixed global batch split over the ranks; then
all_reduce's bandwidth against mpi4py's Allreduce on the same buffers.
The rounds alternate 1 and 2 ranks; each number is the median over the rounds of a run's
median step. BENCH_ROUNDS, BENCH_STEPS and BENCH_BUCKET_MB (DDP's bucket_cap_mb, default
25) change the run.
"""
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

STEPS = int(os.environ.get("BENCH_STEPS", 20))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", 3))
# (model, batch, per_rank): per_rank batches are each rank's (throughput); the others are
# global batches split over the ranks (the step time of one problem).
CELLS = [("mnist", 64, True), ("mnist", 128, False), ("cnn", 64, True), ("cnn", 128, False),
         ("mlp", 256, True), ("mlp", 512, True), ("mlp", 256, False), ("mlp", 1024, False)]
MODELS = {"mnist": "PyTorch's examples/mnist Net (conv 32, 64; dropout; fc 9216-128-10)",
          "cnn": "CNN: 2 conv3x3 (8, 16 channels), maxpool, linear; 1x28x28 inputs",
          "mlp": "MLP 512-1024-1024-10"}


# ----- the worker: runs under mpirun ----------------------------------------------------------
def _model(name):
    import chainrule as cr
    from chainrule import nn
    cr.manual_seed(0)
    if name == "mnist":  # examples/mnist/main.py's Net, as nn.Sequential
        return nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.Conv2d(32, 64, 3), nn.ReLU(),
                             nn.MaxPool2d(2), nn.Dropout(0.25), nn.Flatten(),
                             nn.Linear(9216, 128), nn.ReLU(), nn.Dropout(0.5),
                             nn.Linear(128, 10))
    if name == "cnn":
        return nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU(), nn.Conv2d(8, 16, 3), nn.ReLU(),
                             nn.MaxPool2d(2), nn.Flatten(), nn.Linear(16 * 12 * 12, 10))
    return nn.Sequential(nn.Linear(512, 1024), nn.ReLU(), nn.Linear(1024, 1024), nn.ReLU(),
                         nn.Linear(1024, 10))


def _inputs(name, batch, rank):
    import chainrule as cr
    rng = np.random.default_rng(rank)
    shape = (batch, 512) if name == "mlp" else (batch, 1, 28, 28)
    return (cr.tensor(rng.standard_normal(shape).astype(np.float32)),
            cr.tensor(rng.integers(0, 10, batch)))


def _timed_steps(variants: dict, x, y) -> dict:
    """{name: median step time} for ``variants`` ({name: (model, after_backward)}), their
    steps interleaved (one of each in turn, the order rotated every step), so that what ran
    before a step (a cache, the heap) is alike for all of them."""
    import chainrule as cr
    import chainrule.distributed as dist
    loss_fn = cr.nn.CrossEntropyLoss()
    runs = {name: (net, after, cr.optim.SGD(net.parameters(), lr=1e-3), [])
            for name, (net, after) in variants.items()}
    order = list(runs.values())
    for i in range(STEPS + 2):
        for net, after_backward, opt, times in order[i % len(order):] + order[:i % len(order)]:
            dist.barrier()
            start = time.perf_counter()
            opt.zero_grad()
            loss_fn(net(x), y).backward()
            after_backward(net)
            opt.step()
            if i >= 2:  # two warm-up steps
                times.append(time.perf_counter() - start)
    return {name: float(np.median(times)) for name, (*_, times) in runs.items()}


def _all_reduce_after_backward(net):
    """The baseline: one flat all-reduce of every gradient once backward has returned."""
    import chainrule.distributed as dist
    grads = [p.grad for p in net.parameters()]
    flat = np.concatenate([g.detach().numpy().ravel() for g in grads])
    dist.all_reduce(flat, op=dist.ReduceOp.AVG)
    offset = 0
    for g in grads:
        n = g.numel()
        g.detach().numpy()[...] = flat[offset:offset + n].reshape(g.shape)
        offset += n


def _bandwidth(fn, buf, repeat):
    import chainrule.distributed as dist
    dist.barrier()
    start = time.perf_counter()
    for _ in range(repeat):
        fn(buf)
    return (time.perf_counter() - start) / repeat


def worker():
    import chainrule.distributed as dist
    from chainrule.nn.parallel import DistributedDataParallel
    from mpi4py import MPI
    dist.init_process_group("mpi")
    rank, size = dist.get_rank(), dist.get_world_size()
    bucket_mb = float(os.environ.get("BENCH_BUCKET_MB", 25))
    from threadpoolctl import threadpool_info
    blas = [f"{i['internal_api']} {i.get('version')} ({i.get('architecture')}), "
            f"{i['num_threads']} thread(s)" for i in threadpool_info()]
    result = {"ranks": size, "blas": blas, "cells": [], "all_reduce": []}
    for name, batch, per_rank in CELLS:
        x, y = _inputs(name, batch if per_rank else batch // size, rank)
        nothing = lambda net: None  # noqa: E731
        variants = {"ddp": (DistributedDataParallel(_model(name), bucket_cap_mb=bucket_mb),
                            nothing),
                    "local": (_model(name), nothing)}
        if size > 1:
            variants["after_backward"] = (_model(name), _all_reduce_after_backward)
        cell = {"model": name, "batch": batch, "per_rank": per_rank}
        cell.update(_timed_steps(variants, x, y))
        result["cells"].append(cell)
    comm = MPI.COMM_WORLD
    for n in (256, 65536, 4 * 2 ** 20):
        buf = np.ones(n, np.float32)
        repeat = 200 if n < 10 ** 5 else 10
        ours = _bandwidth(lambda b: dist.all_reduce(b), buf, repeat)
        raw = _bandwidth(lambda b: comm.Allreduce(MPI.IN_PLACE, b), buf, repeat)
        result["all_reduce"].append({"bytes": buf.nbytes, "chainrule": ours, "mpi4py": raw})
    if rank == 0:
        print("RESULT " + json.dumps(result), flush=True)
    dist.destroy_process_group()


# ----- the driver: starts the runs with mpirun, prints the tables -----------------------------
def _run(ranks: int) -> dict:
    mpirun = shutil.which("mpirun", path=str(Path(sys.executable).parent)) or "mpirun"
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
               OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):  # they slow a current NumPy
        env.pop(name, None)
    cmd = [mpirun, "-n", str(ranks), "--oversubscribe", "--mca", "btl", "self,sm",
           sys.executable, __file__, "--worker"]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
    for line in out.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    raise RuntimeError(f"bench/distributed.py: mpirun -n {ranks} gave no result "
                       f"(exit {out.returncode}):\n{out.stdout}\n{out.stderr}")


def _ms(t: float) -> str:
    return f"{t * 1e3:.1f} ms"


def _us(t: float) -> str:
    return f"{t * 1e6:.1f} us" if t < 1e-3 else f"{t * 1e3:.2f} ms"


def _rate(nbytes: int, t: float) -> str:
    return f"{nbytes / 2 ** 20 / t:,.0f} MiB/s"


def driver():
    runs = {1: [], 2: []}
    for _ in range(ROUNDS):
        for ranks in runs:
            runs[ranks].append(_run(ranks))
    med = lambda values: float(np.median(values))

    def cell(ranks, i, key):
        return med([r["cells"][i][key] for r in runs[ranks]])
    blas = "; ".join(runs[2][0]["blas"])
    print(f"chainrule.distributed, 1 and 2 ranks on {os.cpu_count()} CPUs, BLAS per rank: "
          f"{blas}; DDP's bucket_cap_mb "
          f"{os.environ.get('BENCH_BUCKET_MB', 25)}; median over {ROUNDS} rounds (1 and 2 "
          f"ranks alternating) of each run's median of {STEPS} steps.\n")
    print("| model | batch | DDP, 1 rank | DDP, 2 ranks | 2 ranks / 1 rank | local step, "
          "1 rank | local step, 2 ranks (no communication) | step + all-reduce after "
          "backward, 2 ranks |")
    print("|---|---|---|---|---|---|---|---|")
    for i, (name, batch, per_rank) in enumerate(CELLS):
        one, two = cell(1, i, "ddp"), cell(2, i, "ddp")
        # per rank: twice the samples in the 2-rank step (throughput); global: one problem
        ratio = (2 * one / two, "throughput") if per_rank else (one / two, "speed-up")
        print(f"| {MODELS[name]} | {batch} {'per rank' if per_rank else 'global'} | "
              f"{_ms(one)} | {_ms(two)} | {ratio[0]:.2f}x {ratio[1]} | "
              f"{_ms(cell(1, i, 'local'))} | {_ms(cell(2, i, 'local'))} | "
              f"{_ms(cell(2, i, 'after_backward'))} |")
    print("\n| all_reduce | chainrule, 1 rank | mpi4py, 1 rank | chainrule, 2 ranks | "
          "mpi4py, 2 ranks | chainrule / mpi4py bandwidth, 2 ranks |")
    print("|---|---|---|---|---|---|")
    for j, row in enumerate(runs[1][0]["all_reduce"]):
        nbytes = row["bytes"]
        t = {(r, lib): med([run["all_reduce"][j][lib] for run in runs[r]])
             for r in runs for lib in ("chainrule", "mpi4py")}
        print(f"| {nbytes:,} B | {_us(t[1, 'chainrule'])} | {_us(t[1, 'mpi4py'])} | "
              f"{_us(t[2, 'chainrule'])} ({_rate(nbytes, t[2, 'chainrule'])}) | "
              f"{_us(t[2, 'mpi4py'])} ({_rate(nbytes, t[2, 'mpi4py'])}) | "
              f"{t[2, 'mpi4py'] / t[2, 'chainrule']:.2f} |")


if __name__ == "__main__":
    worker() if "--worker" in sys.argv else driver()
