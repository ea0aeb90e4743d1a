"""The benchmark suite starts and its floor agrees with chainrule (timings are not tested)."""
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "bench"))
import workloads  # noqa: E402


@pytest.mark.parametrize("workload", ["mlp", "rl", "chain", "cnn", "hessian"])
def test_workloads_compute_the_same_thing(workload):
    floor = getattr(workloads.numpy_floor, workload)()[1]()
    ours = getattr(workloads.chainrule_lib, workload)()[1]()
    assert ours[0] == pytest.approx(floor[0], rel=2e-3)
    assert ours[1] == pytest.approx(floor[1], rel=2e-3)


def test_runner_formats_a_cell():
    from run import agrees, fmt_time
    assert fmt_time("mlp", {"median_s": 0.0025}) == "2.50 ms"
    assert fmt_time("mlp", {"skipped": True}) == "—"
    assert agrees({"loss": 1.0, "gradnorm": 2.0}, {"loss": 1.0001, "gradnorm": 2.0})


def test_runner_takes_the_median_round_and_the_largest_peak():
    from run import median_run
    cell = [{"median_s": 3.0, "peak_mb": 1.0}, {"median_s": 1.0, "peak_mb": 5.0},
            {"median_s": 2.0, "peak_mb": 2.0}]
    assert median_run(cell) == {"median_s": 2.0, "peak_mb": 5.0}
    assert median_run([{"skipped": True}]) == {"skipped": True}


def test_runner_reports_the_chain_overhead_above_the_floor():
    from run import CHAIN_OPS, chain_overheads
    per_op = lambda us: {"median_s": us * 1e-6 * (CHAIN_OPS + 1)}
    results = {("chain", "numpy"): per_op(1.0), ("chain", "chainrule"): per_op(2.0),
               ("chain", "autograd"): per_op(11.0)}
    lines = chain_overheads(results, ["numpy", "chainrule", "autograd"])
    assert lines[-2] == "| chainrule | 2.00 | 1.00 | 1.00x |"
    assert lines[-1] == "| autograd | 11.00 | 10.00 | 0.10x |"
    assert chain_overheads({("chain", "chainrule"): per_op(2.0)}, ["chainrule"]) == []
    results[("chain", "torch")] = per_op(0.5)  # faster than the floor: no ratio
    assert chain_overheads(results, ["numpy", "chainrule", "torch"])[-1] == \
        "| torch | 0.50 | -0.50 | — |"


def test_engine_floor_computes_the_chain_gradient():
    import numpy as np

    import chainrule as cr
    import engine_floor
    x0 = workloads.chain_data()
    x = engine_floor.leaf(x0)
    y = x
    for _ in range(5):
        y = (y * 0.9).sin() + 0.1
    engine_floor.backward(y)
    xt = cr.tensor(x0, requires_grad=True)
    yt = xt
    for _ in range(5):
        yt = (yt * 0.9).sin() + 0.1
    yt.sum().backward()
    np.testing.assert_allclose(y.data, yt.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(x.grad, xt.grad.numpy(), rtol=1e-12)
