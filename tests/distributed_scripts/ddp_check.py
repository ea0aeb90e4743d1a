"""Run under ``mpirun -n N``: collectives, DistributedDataParallel and DistributedSampler
checked against one process doing the same work. Prints ``OK <check>`` lines; any failure
raises, which aborts every rank (chainrule.distributed's excepthook)."""
import sys

import numpy as np

import chainrule as cr
import chainrule.distributed as dist
from chainrule import nn
from chainrule.data.distributed import DistributedSampler
from chainrule.nn.parallel import DistributedDataParallel

B = 4  # each rank's batch


def ok(name):
    if dist.get_rank() == 0:
        print(f"OK {name}", flush=True)


def check_collectives(rank, size):
    t = cr.ones(5, dtype=cr.float64) * (rank + 1)
    dist.all_reduce(t)
    assert np.all(t.numpy() == size * (size + 1) / 2), t
    a = np.full((2, 3), float(rank), np.float32)
    data_before = a.ctypes.data
    dist.all_reduce(a, op=dist.ReduceOp.AVG)
    assert a.ctypes.data == data_before and np.allclose(a, (size - 1) / 2), a
    for op, want in ((dist.ReduceOp.MAX, size - 1), (dist.ReduceOp.MIN, 0)):
        x = np.array([rank, rank], np.int64)
        dist.all_reduce(x, op=op)
        assert np.all(x == want), (op, x)
    base = np.arange(12.0).reshape(3, 4) * (rank + 1)
    view = base[:, ::2]  # not contiguous: reduced through a copy, written back
    dist.all_reduce(view)
    assert np.array_equal(base[:, ::2], np.arange(12.0).reshape(3, 4)[:, ::2]
                          * size * (size + 1) / 2)
    assert np.array_equal(base[:, 1::2], (np.arange(12.0).reshape(3, 4) * (rank + 1))[:, 1::2])
    b = cr.tensor([float(rank)] * 3)
    dist.broadcast(b, src=size - 1)
    assert np.all(b.numpy() == size - 1)
    outs = [cr.zeros(2) for _ in range(size)]
    dist.all_gather(outs, cr.tensor([rank, 10.0 * rank]))
    assert all(np.array_equal(o.numpy(), [r, 10.0 * r]) for r, o in enumerate(outs))
    out = cr.zeros(3, dtype=cr.float64)
    dist.reduce_scatter(out, [cr.full((3,), float(r + rank), dtype=cr.float64)
                              for r in range(size)])
    assert np.all(out.numpy() == sum(rank + r for r in range(size))), out
    work = dist.all_reduce(cr.ones(2), async_op=True)
    assert work.wait()
    dist.barrier()
    ok("collectives")


def make_model(seed, hidden=16):
    cr.manual_seed(seed)
    return nn.Sequential(nn.Linear(6, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh(),
                         nn.Linear(hidden, 3)).double()


def batches(size, steps, per_rank):
    rng = np.random.default_rng(1234)
    return [(rng.standard_normal((size * per_rank, 6)), rng.standard_normal((size * per_rank, 3)))
            for _ in range(steps)]


def params_of(model):
    return [p.detach().numpy().copy() for p in model.parameters()]


def assert_same_on_all_ranks(model, what):
    mine = np.concatenate([p.ravel() for p in params_of(model)])
    everyone = dist._allgather_object(mine.tobytes())
    assert all(b == everyone[0] for b in everyone), f"{what}: parameters differ across ranks"


def check_large_collectives(rank, size):
    """From 64 KiB collectives run on the background thread: in order with the small ones
    started here, whichever finishes first."""
    n = 1 << 15  # 256 KiB of float64
    big = np.full(n, float(rank + 1))
    small = cr.ones(3) * (rank + 1)
    pending = dist.all_reduce(small, async_op=True)       # small, started here
    dist.all_reduce(big)                                   # large: the small one first
    assert pending.wait() and np.all(small.numpy() == size * (size + 1) / 2)
    assert np.all(big == size * (size + 1) / 2)
    later = dist.all_reduce(big, op=dist.ReduceOp.AVG, async_op=True)  # large, in flight
    tiny = np.array([float(rank)])
    dist.all_reduce(tiny, op=dist.ReduceOp.MAX)            # small: queued behind it
    assert later.wait() and np.all(big == size * (size + 1) / 2) and tiny[0] == size - 1
    b = np.full((256, 256), float(rank))
    dist.broadcast(b, src=size - 1)
    assert np.all(b == size - 1)
    gathered = np.empty((size, n))
    dist.all_gather_into_tensor(gathered, np.full(n, float(rank)))
    assert all(np.all(gathered[r] == r) for r in range(size))
    ok("large_collectives")


def check_ddp_equals_big_batch(rank, size, hidden=16, bucket_cap_mb=0.0005, as_view=False,
                               set_to_none=True):
    ref = make_model(0, hidden)
    local = make_model(100 + rank, hidden)  # different on every rank: DDP must take rank 0's
    ddp = DistributedDataParallel(local, bucket_cap_mb=bucket_cap_mb,  # several buckets
                                  gradient_as_bucket_view=as_view)
    assert len(ddp._buckets) > 1
    for p, q in zip(ddp.module.parameters(), make_model(100, hidden).parameters()):
        assert np.array_equal(p.detach().numpy(), q.detach().numpy()), \
            "construction did not broadcast rank 0"
    ref.load_state_dict(make_model(100, hidden).state_dict())
    assert list(ddp.state_dict())[0].startswith("module.")
    opt = cr.optim.SGD(ddp.parameters(), lr=0.1)
    ref_opt = cr.optim.SGD(ref.parameters(), lr=0.1)
    loss_fn = nn.MSELoss()
    for step, (x, y) in enumerate(batches(size, 3, B)):
        mine = slice(rank * B, (rank + 1) * B)
        opt.zero_grad(set_to_none=set_to_none)
        loss_fn(ddp(cr.tensor(x[mine])), cr.tensor(y[mine])).backward()
        in_buckets = [any(np.shares_memory(p.grad.numpy(), b.buffer) for b in ddp._buckets)
                      for p in ddp.parameters()]
        assert all(in_buckets) if as_view else not any(in_buckets), in_buckets
        opt.step()
        ref_opt.zero_grad()
        loss_fn(ref(cr.tensor(x)), cr.tensor(y)).backward()
        ref_opt.step()
        assert_same_on_all_ranks(ddp, f"step {step}")
        for p, q in zip(ddp.module.parameters(), ref.parameters()):
            np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-10,
                                       atol=1e-12)
    ok(f"ddp_equals_big_batch hidden={hidden}" +
       (f" as_view set_to_none={set_to_none}" if as_view else ""))


def check_no_sync(rank, size, as_view=False):
    ref = make_model(7)
    ddp = DistributedDataParallel(make_model(7), bucket_cap_mb=0.001,
                                  gradient_as_bucket_view=as_view)
    loss_fn = nn.MSELoss()
    (x1, y1), (x2, y2), (x0, y0) = batches(size, 3, B)
    mine = slice(rank * B, (rank + 1) * B)
    if as_view:  # the .grad arrays are bucket slots already, zeroed in place
        loss_fn(ddp(cr.tensor(x0[mine])), cr.tensor(y0[mine])).backward()
        cr.optim.SGD(ddp.parameters(), lr=0.0).zero_grad(set_to_none=False)
    with ddp.no_sync():
        loss_fn(ddp(cr.tensor(x1[mine])), cr.tensor(y1[mine])).backward()
    local = [p.grad.numpy().copy() for p in ddp.parameters()]
    everyone = dist._allgather_object(local[0].tobytes())
    assert size == 1 or everyone[0] != everyone[1], "no_sync must not average"
    loss_fn(ddp(cr.tensor(x2[mine])), cr.tensor(y2[mine])).backward()
    total = 0
    for r in range(size):
        s = slice(r * B, (r + 1) * B)
        total = total + loss_fn(ref(cr.tensor(x1[s])), cr.tensor(y1[s])) \
            + loss_fn(ref(cr.tensor(x2[s])), cr.tensor(y2[s]))
    (total / size).backward()
    for p, q in zip(ddp.parameters(), ref.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-10, atol=1e-12)
    ok("no_sync" + (" as_view" if as_view else ""))


class Branchy(nn.Module):
    def __init__(self):
        super().__init__()
        self.a, self.b = nn.Linear(3, 2).double(), nn.Linear(3, 2).double()

    def forward(self, x, use_b):
        return self.a(x) + self.b(x) if use_b else self.a(x)


def check_unused(rank, size):
    cr.manual_seed(3)
    ddp = DistributedDataParallel(Branchy(), find_unused_parameters=True)
    x = cr.tensor(np.ones((2, 3)))
    ddp(x, use_b=(rank == 0)).sum().backward()  # only rank 0 reaches b
    grads = np.concatenate([p.grad.numpy().ravel() for p in ddp.parameters()])
    everyone = dist._allgather_object(grads.tobytes())
    assert all(g == everyone[0] for g in everyone)
    assert np.allclose(ddp.module.b.bias.grad.numpy(), 2.0 / size)
    # Without find_unused_parameters, a parameter left without gradient is reported.
    strict = DistributedDataParallel(Branchy())
    strict(x, use_b=False).sum().backward()
    try:
        strict(x, use_b=True)
    except RuntimeError as e:
        assert "b.weight" in str(e) and "find_unused_parameters" in str(e), e
    else:
        raise AssertionError("an unfinished reduction was not reported")
    ok("unused_parameters")


def check_mismatch(rank, size):
    if size == 1:
        return
    try:
        DistributedDataParallel(nn.Linear(3, 2 + (rank == size - 1)))
    except RuntimeError as e:
        msg = str(e)
        assert f"rank {size - 1}" in msg and "(2, 3)" in msg and "(3, 3)" in msg, msg
    else:
        raise AssertionError("mismatched shapes were not detected")
    ok("mismatch")


def check_sampler(rank, size):
    for n, drop_last in ((10, False), (10, True), (12, False), (2, False)):
        s = DistributedSampler(range(n), shuffle=True, seed=5, drop_last=drop_last)
        s.set_epoch(3)
        mine = list(s)
        assert len(mine) == len(s)
        parts = dist._allgather_object(mine)
        flat = [i for p in parts for i in p]
        assert len({len(p) for p in parts}) == 1
        if drop_last:
            assert len(set(flat)) == len(flat) == size * (n // size)
        else:
            assert set(flat) == set(range(n)) and len(flat) == size * -(-n // size)
        s.set_epoch(4)
        assert dist._allgather_object(list(s))[0] != parts[0] or n <= 2
    ok("sampler")


def main():
    dist.init_process_group(backend="mpi")
    rank, size = dist.get_rank(), dist.get_world_size()
    checks = sys.argv[1:] or ["collectives", "large", "ddp", "ddp_large", "ddp_view", "no_sync",
                              "unused", "mismatch", "sampler"]
    table = {"collectives": check_collectives, "large": check_large_collectives,
             "ddp": check_ddp_equals_big_batch,
             # 128 KiB weights: buckets on the background thread and small ones mixed
             "ddp_large": lambda r, s: check_ddp_equals_big_batch(r, s, 128, 0.1),
             "ddp_view": lambda r, s: (
                 check_ddp_equals_big_batch(r, s, as_view=True),
                 check_ddp_equals_big_batch(r, s, as_view=True, set_to_none=False)),
             "no_sync": lambda r, s: (check_no_sync(r, s), check_no_sync(r, s, as_view=True)),
             "unused": check_unused, "mismatch": check_mismatch,
             "sampler": check_sampler}
    for name in checks:
        table[name](rank, size)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
