"""Run the benchmark suite: every library in its own process with the same thread count,
side by side, and write a Markdown table to bench/RESULTS.md.

Usage: python bench/run.py [--threads N] [--only WORKLOAD,...] [--libs LIB,...] [--rounds N]
                           [--baseline REV]

``--baseline REV`` adds chainrule as committed at REV (a git revision) as one more library,
``chainrule@REV``, run from an exported copy of that revision's sources in the same rounds:
before and after a change, side by side in one run.
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from workloads import CHAIN_OPS, LIBRARIES, WORKLOADS  # noqa: E402
from chainrule._malloc import MMAP_THRESHOLD, TRIM_THRESHOLD  # noqa: E402

LABELS = {
    "mlp": "MLP step 784-256-128-10, batch 128, SGD",
    "rl": "RL step 4-64-64-2, batch 32, Adam",
    "chain": f"elementwise chain, {CHAIN_OPS} ops on 16 floats (per op)",
    "matmul": "1024x1024 matmul forward+backward",
    "cnn": "CNN step: 2 conv3x3, maxpool, linear, CE, batch 32x1x28x28",
    "hessian": "full Hessian, 64-dim function",
    "chain1m": "1,000,000-op scalar chain, forward+backward",
    "resnet": "ResNet-18 step (BasicBlocks, width 64), batch 16x1x28x28, CE, SGD",
    "lstm_lm": "word LM step: 2-layer LSTM 200, vocab 1000, bptt 35, batch 20, clip, SGD",
}


# Every library's process gets the malloc settings chainrule makes at import
# (chainrule/_malloc.py), so that the table compares the work, not the allocator.
MALLOC_ENV = {"MALLOC_MMAP_THRESHOLD_": str(MMAP_THRESHOLD),
              "MALLOC_TRIM_THRESHOLD_": str(TRIM_THRESHOLD)}


def layout_pad(round_: int) -> int:
    """Bytes of padding in the environment for a round: spread over a page, so that the
    rounds see different stack placements (the same for every library in a round).
    Here the placement alone moved a step's time by up to 15%, in opposite directions
    for different programs; one fixed placement would favour one of them."""
    return (round_ * 1499) % 4096


BASELINE_SOURCES = {}  # "chainrule@REV" -> the folder holding that revision's src/


def export_revision(rev: str) -> str:
    """The sources of chainrule at git revision ``rev``, exported to a temporary folder
    (``git archive``: the working tree is not touched); returns the folder's src/."""
    root = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=HERE, check=True,
                          capture_output=True, text=True).stdout.strip()
    folder = tempfile.mkdtemp(prefix="chainrule-baseline-")
    archive = subprocess.run(["git", "archive", rev, "src"], cwd=root, check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", folder], input=archive, check=True)
    return os.path.join(folder, "src")


def run_cell(lib, workload, threads, timeout=900, pad=0):
    env = dict(os.environ)
    if lib in BASELINE_SOURCES:  # the same worker, importing the baseline's chainrule
        env["PYTHONPATH"] = os.pathsep.join([BASELINE_SOURCES[lib]] +
                                            ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
        lib = "chainrule"
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)
    env.update(MALLOC_ENV)
    env["BENCH_LAYOUT_PAD"] = "x" * pad
    try:
        out = subprocess.run([sys.executable, os.path.join(HERE, "worker.py"), lib, workload,
                              str(threads)], capture_output=True, text=True, env=env,
                             timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout}s"}
    if out.returncode != 0:
        return {"error": (out.stderr.strip().splitlines() or ["failed"])[-1][:120]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def machine_facts(threads):
    import numpy
    facts = [f"- Python {platform.python_version()}, {platform.machine()}, "
             f"{os.cpu_count()} logical CPUs, {threads} thread(s) per library"]
    try:
        with open("/proc/cpuinfo") as f:
            model = next(line.split(":", 1)[1].strip() for line in f if "model name" in line)
        facts.append(f"- CPU: {model}")
    except (OSError, StopIteration):
        pass
    facts.append(f"- NumPy {numpy.__version__}")
    try:
        from threadpoolctl import threadpool_info
        for info in threadpool_info():
            facts.append(f"- BLAS/threads: {info.get('internal_api')} {info.get('version', '')} "
                         f"(kernel {info.get('architecture', '?')}), "
                         f"{info.get('num_threads')} threads in this process")
    except ImportError:
        facts.append("- threadpoolctl not installed: BLAS kernel unknown")
    for name in ("chainrule", "torch", "autograd", "mygrad", "jax"):
        try:
            module = __import__(name)
            version = getattr(module, "__version__", "installed")
        except ImportError:
            version = "not installed"
        facts.append(f"- {name} {version}")
    facts.append("- glibc malloc in every process: " + ", ".join(
        f"{k}={v}" for k, v in MALLOC_ENV.items()) + " (what chainrule sets at import)")
    unset = [v for v in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if v in os.environ]
    facts.append("- OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE: " +
                 ("set (" + ", ".join(unset) + ")" if unset else "unset"))
    return facts


def fmt_seconds(s):
    return f"{s:.2f} s" if s >= 1 else f"{s * 1e3:.2f} ms"


def fmt_time(workload, result):
    if "error" in result:
        return "error"
    if result.get("skipped"):
        return "—"
    s = result["median_s"]
    if workload == "chain":
        return f"{s / (CHAIN_OPS + 1) * 1e6:.1f} µs"
    return fmt_seconds(s)


def median_run(cell: list) -> dict:
    """The run with the median time (the peak memory: the largest of all runs)."""
    timed = sorted((r for r in cell if "median_s" in r), key=lambda r: r["median_s"])
    if not timed:
        return cell[0]
    result = dict(timed[(len(timed) - 1) // 2])
    if all("peak_mb" in r for r in timed):
        result["peak_mb"] = max(r["peak_mb"] for r in timed)
    return result


def chain_overheads(results: dict, libs: list) -> list:
    """Lines for the chain's per-op overhead: each library's time per op above the NumPy
    floor's (the same ufuncs, no autograd), and chainrule's overhead over each peer's."""
    per_op = {lib: results[("chain", lib)]["median_s"] / (CHAIN_OPS + 1) * 1e6 for lib in libs
              if "median_s" in results.get(("chain", lib), {})}
    if "numpy" not in per_op or "chainrule" not in per_op:
        return []
    floor = per_op.pop("numpy")
    ours = per_op["chainrule"] - floor
    lines = ["", f"Per-op overhead on the elementwise chain: µs per op above the NumPy floor's "
                 f"{floor:.2f} µs (forward and backward):", "",
             "| library | µs per op | overhead | chainrule's overhead / this one's |",
             "|---|---|---|---|"]
    for lib, t in per_op.items():
        ratio = f"{ours / (t - floor):.2f}x" if t > floor else "—"  # none above the floor
        lines.append(f"| {lib} | {t:.2f} | {t - floor:.2f} | {ratio} |")
    return lines


def baseline_lines(results: dict, workloads: list) -> list:
    """For ``--baseline``: the working tree's time over the baseline's, per workload."""
    lines = []
    for name in BASELINE_SOURCES:
        lines += ["", f"chainrule (working tree) against {name}, same rounds:", "",
                  f"| workload | chainrule | {name} | ratio |", "|---|---|---|---|"]
        for workload in workloads:
            new, old = results.get((workload, "chainrule"), {}), results.get((workload, name), {})
            if "median_s" in new and "median_s" in old:
                lines.append(f"| {workload} | {fmt_time(workload, new)} | "
                             f"{fmt_time(workload, old)} | "
                             f"{new['median_s'] / old['median_s']:.3f}x |")
    return lines


COMPILED = ("chainrule_compiled", "jax")  # libraries whose first call traces/compiles


def ratio_columns(libs: list) -> list:
    """The (numerator, denominator) pairs of the main table's ratio columns: chainrule over
    the floor and over PyTorch, always (``—`` where a side did not run); compiled chainrule
    over JAX's jit, the floor and PyTorch, where it and that library are in the run."""
    pairs = [("chainrule", "numpy"), ("chainrule", "torch")]
    if "chainrule_compiled" in libs:
        pairs += [("chainrule_compiled", b) for b in ("jax", "numpy", "torch") if b in libs]
    return pairs


def ratio(results: dict, workload: str, a: str, b: str) -> str:
    ra, rb = results.get((workload, a), {}), results.get((workload, b), {})
    if "median_s" in ra and "median_s" in rb:
        return f"{ra['median_s'] / rb['median_s']:.2f}x"
    return "—"


def first_call_lines(results: dict, runs: dict, libs: list, workloads: list) -> list:
    """The first call's time (trace and compile) of the compiled libraries, the median over
    the rounds, beside their steady-state step (the main table's median)."""
    compiled = [lib for lib in COMPILED if lib in libs]
    rows = []
    for workload in workloads:
        cells = []
        for lib in compiled:
            firsts = sorted(r["first_s"] for r in runs.get((workload, lib), ())
                            if "first_s" in r)
            steady = results.get((workload, lib), {}).get("median_s")
            if not firsts or not steady:
                cells += ["—", "—"]
                continue
            first = firsts[(len(firsts) - 1) // 2]
            cells += [fmt_seconds(first), f"{first / steady:.0f}x"]
        if any(c != "—" for c in cells):
            rows.append(f"| {workload} | " + " | ".join(cells) + " |")
    if not rows:
        return []
    return ["", "First call (trace/compile) time: the first step in a fresh process (the "
                "library already imported and the inputs made), median over the rounds, and "
                "its ratio to the steady-state step above:", "",
            "| workload | " + " | ".join(f"{lib} first call | {lib} first / steady"
                                        for lib in compiled) + " |",
            "|---" * (2 * len(compiled) + 1) + "|", *rows]


def agrees(a, b):
    if not a or not b or "loss" not in a or "loss" not in b:
        return None
    close = lambda x, y: abs(x - y) <= 2e-3 * max(abs(x), abs(y), 1e-6)
    return close(a["loss"], b["loss"]) and close(a["gradnorm"], b["gradnorm"])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--only", default=",".join(WORKLOADS))
    parser.add_argument("--libs", default=",".join(LIBRARIES))
    parser.add_argument("--rounds", type=int, default=5,
                        help="runs of every cell, interleaved across libraries")
    parser.add_argument("--baseline", default=None,
                        help="a git revision of chainrule to run beside the working tree's")
    args = parser.parse_args()
    workloads = args.only.split(",")
    libs = [lib for lib in args.libs.split(",") if lib in LIBRARIES]
    if args.baseline:
        name = f"chainrule@{args.baseline}"
        BASELINE_SOURCES[name] = export_revision(args.baseline)
        libs.insert(libs.index("chainrule") + 1 if "chainrule" in libs else len(libs), name)
    runs = {}
    # Round after round, every library runs once per workload, so that a slow spell of a
    # shared machine falls on all of them alike, and each round with another memory
    # layout (layout_pad); each cell reports its median round.
    for round_ in range(args.rounds):
        for workload in workloads:
            if workload == "chain1m" and round_:
                continue  # one run is long enough to be steady
            for lib in libs:
                if workload == "chain1m" and lib in ("autograd", "mygrad", "numpy", "jax",
                                                     "chainrule_compiled", *BASELINE_SOURCES):
                    runs[workload, lib] = [{"skipped": True}]
                    continue
                result = run_cell(lib, workload, args.threads, pad=layout_pad(round_))
                runs.setdefault((workload, lib), []).append(result)
                print(f"round {round_ + 1} {workload:8s} {lib:10s} "
                      f"{fmt_time(workload, result)}", file=sys.stderr, flush=True)
    results = {key: median_run(cell) for key, cell in runs.items()}
    ratios = ratio_columns(libs)

    lines = ["# Benchmark results", "", *machine_facts(args.threads), "",
             "Medians of repeated steps after warm-up; each library in its own process; "
             f"every cell run {args.rounds} times, interleaved across libraries, each round "
             "with the environment padded by a different number of bytes (the stack's "
             "placement alone moved a step's time by up to 15% here), and its median run "
             "shown (peak memory: the largest). "
             "`x floor` is the time over hand-written NumPy doing the same math; a ✓ means "
             "the library's loss and gradient norm agree with the floor's (or PyTorch's, "
             "where there is no floor). `chainrule_compiled` runs chainrule's same steps "
             "inside `chainrule.compile`, `jax` the floor's math under `jax.jit` (one thread: "
             "XLA_FLAGS=--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1; "
             "fewer threads than CPUs: its process pinned to that many); their times are "
             "replays of the traced/compiled step, the first call is in its own table below.",
             "",
             "| workload | " + " | ".join(libs) + " | " +
             " | ".join(f"{a} / {'floor' if b == 'numpy' else b}" for a, b in ratios) + " |",
             "|---" * (len(libs) + len(ratios) + 1) + "|"]
    for workload in workloads:
        ref = results.get((workload, "numpy"))
        if not ref or "loss" not in ref:
            ref = results.get((workload, "torch"))
        cells = []
        for lib in libs:
            r = results[workload, lib]
            mark = agrees(r, ref) if r is not ref else True
            tick = "" if mark is None or "loss" not in r else (" ✓" if mark else " ✗")
            cells.append(fmt_time(workload, r) + tick)
        lines.append(f"| {LABELS.get(workload, workload)} | " + " | ".join(cells) + " | " +
                     " | ".join(ratio(results, workload, a, b) for a, b in ratios) + " |")
    lines += first_call_lines(results, runs, libs, workloads)
    lines += chain_overheads(results, libs)
    lines += baseline_lines(results, workloads)
    lines += ["", "Peak memory during the timed steps (MB above the level before them):", "",
              "| workload | " + " | ".join(libs) + " |", "|---" * (len(libs) + 1) + "|"]
    for workload in workloads:
        row = []
        for lib in libs:
            r = results[workload, lib]
            row.append(f"{r['peak_mb']:.0f}" if "peak_mb" in r else "—")
        lines.append(f"| {workload} | " + " | ".join(row) + " |")
    c1 = results.get(("chain1m", "chainrule"), {})
    if "retained_mb" in c1:
        free = c1.get("malloc_free_mb")
        kept = ("" if free is None else f", of which {max(free, 0):.0f} MB is free memory that "
                "malloc keeps for reuse (not reachable from Python)")
        lines += ["", f"1,000,000-op chain (chainrule): {c1['median_s']:.2f} s, peak "
                      f"{c1['peak_mb']:.0f} MB above start, {c1['retained_mb']:.0f} MB still "
                      f"held after backward returned{kept}."]
    text = "\n".join(lines) + "\n"
    print(text)
    with open(os.path.join(HERE, "RESULTS.md"), "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
