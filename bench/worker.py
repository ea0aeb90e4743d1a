"""Run one (library, workload) cell in this process and print its result as JSON.

Usage: python bench/worker.py LIBRARY WORKLOAD THREADS

Besides the median step, ``first_s``: the time of the very first ``step()`` in the
process, before ``check()`` and the warm-up (for ``chainrule_compiled`` and ``jax``: the
trace and compile).
"""
import json
import os
import resource
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2 ** 20


def peak_mb() -> float:
    """This process's peak resident memory (VmHWM). Not ``ru_maxrss``: that survives
    ``execve``, so a worker smaller than the runner that spawned it reported the runner's."""
    try:
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:")) / 1024
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def malloc_free_mb():
    """Free memory that glibc's malloc holds for reuse (mallinfo2's fordblks), or None."""
    import ctypes

    class MallInfo2(ctypes.Structure):
        _fields_ = [(name, ctypes.c_size_t) for name in (
            "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks",
            "uordblks", "fordblks", "keepcost")]
    try:
        mallinfo2 = ctypes.CDLL("libc.so.6").mallinfo2
    except (OSError, AttributeError):
        return None
    mallinfo2.restype = MallInfo2
    return mallinfo2().fordblks / 2 ** 20


def main():
    lib_name, workload, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if lib_name == "torch":
        import torch
        torch.set_num_threads(threads)
    if lib_name == "jax":  # before jax is imported: XLA reads these once
        os.environ.setdefault("JAX_PLATFORMS", "cpu")
        if threads == 1:
            os.environ["XLA_FLAGS"] = " ".join(filter(None, [
                os.environ.get("XLA_FLAGS"),
                "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"]))
        elif threads < len(os.sched_getaffinity(0)):  # XLA's pool: one thread per CPU
            os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[:threads])
    if lib_name == "chainrule_compiled":  # an eager fallback would time the wrong thing
        import warnings
        warnings.filterwarnings("error", message="compile: ")
    from workloads import LIBRARIES
    build = getattr(LIBRARIES[lib_name], workload, None)
    if build is None:
        print(json.dumps({"skipped": True}))
        return
    step, check = build()
    if workload == "chain1m":  # one run, timed; memory after it is released
        before, free_before = rss_mb(), malloc_free_mb()
        start = time.perf_counter()
        loss, norm = check()
        seconds = time.perf_counter() - start
        peak = peak_mb()
        print(json.dumps({"median_s": seconds, "loss": loss, "gradnorm": norm,
                          "peak_mb": peak - before, "retained_mb": rss_mb() - before,
                          "malloc_free_mb": None if free_before is None
                          else malloc_free_mb() - free_before}))
        return
    start = time.perf_counter()  # the first call: a compiled library's trace/compile
    step()
    first = time.perf_counter() - start
    loss, norm = check()
    for _ in range(2):
        step()
    before = rss_mb()
    times = []
    budget = time.perf_counter() + 2.0
    while len(times) < 5 or (time.perf_counter() < budget and len(times) < 200):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    peak = peak_mb()
    print(json.dumps({"median_s": statistics.median(times), "repeats": len(times),
                      "loss": loss, "gradnorm": norm, "peak_mb": max(peak - before, 0.0),
                      "first_s": first}))


if __name__ == "__main__":
    main()
