"""Grad mode, dual levels and transforms are per thread, as in PyTorch."""
import contextlib
import sys
import threading

import numpy as np
import pytest

import chainrule as cr
from chainrule.autograd import forward_ad


def _in_thread(fn):
    out = {}

    def run():
        try:
            out["value"] = fn()
        except BaseException as exc:  # reported to the test's thread
            out["error"] = exc
    t = threading.Thread(target=run)
    t.start()
    t.join()
    if "error" in out:
        raise out["error"]
    return out["value"]


def test_a_new_thread_starts_with_recording_on():
    with cr.no_grad():
        assert _in_thread(cr.is_grad_enabled) is True
        x = cr.ones(2, requires_grad=True)
        assert _in_thread(lambda: (x * 2).requires_grad) is True
        assert (x * 2).requires_grad is False


@contextlib.contextmanager
def _while_another_thread_is_inside(make_mode):
    """Run the body while another thread sits inside ``with make_mode():``."""
    entered, done = threading.Event(), threading.Event()

    def other():
        with make_mode():
            entered.set()
            done.wait(5)
    t = threading.Thread(target=other)
    t.start()
    try:
        assert entered.wait(5)
        yield
    finally:
        done.set()
        t.join()


def test_another_threads_no_grad_does_not_stop_recording_here():
    with _while_another_thread_is_inside(cr.no_grad):
        x = cr.ones(3, requires_grad=True)
        y = (x * x).sin().sum()  # the operator fast paths and apply() alike
        assert y.requires_grad and y.grad_fn is not None
        y.backward()
        np.testing.assert_allclose(x.grad.numpy(), 2 * np.cos(1.0), rtol=1e-6)
        assert cr.is_grad_enabled()
    assert cr.is_grad_enabled()


def test_set_grad_enabled_in_a_thread_stays_in_that_thread():
    def off():
        cr.set_grad_enabled(False)  # left off on purpose: the thread ends with it off
        return cr.is_grad_enabled()
    assert _in_thread(off) is False
    assert cr.is_grad_enabled()
    x = cr.ones(2, requires_grad=True)
    assert (x + 1).requires_grad


def test_dual_levels_are_per_thread():
    with _while_another_thread_is_inside(forward_ad.dual_level):
        with pytest.raises(RuntimeError, match="no dual level"):
            forward_ad.make_dual(cr.tensor(1.0), cr.tensor(1.0))
        x = cr.tensor(2.0, requires_grad=True)
        assert (x * x)._fw is None


def test_transforms_in_two_threads_do_not_see_each_other():
    # A transform running in another thread must not make this one record its backward.
    barrier = threading.Barrier(2, timeout=5)

    def f(x):
        barrier.wait()
        return (x ** 3).sum()
    results = {}

    def run(name):
        results[name] = cr.func.grad(f)(cr.tensor([1.0, 2.0]))
    threads = [threading.Thread(target=run, args=(n,)) for n in "ab"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for g in results.values():
        np.testing.assert_allclose(g.numpy(), [3.0, 12.0])
        assert not g.requires_grad


def _setup(seed):
    """A small model and its data. Made before any thread starts: the global random
    generator is shared by threads, as PyTorch's is."""
    cr.manual_seed(seed)
    model = cr.nn.Sequential(cr.nn.Linear(4, 16), cr.nn.Tanh(), cr.nn.Linear(16, 1))
    rng = np.random.default_rng(seed)
    x = cr.tensor(rng.normal(size=(32, 4)).astype(np.float32))
    y = cr.tensor(rng.normal(size=(32, 1)).astype(np.float32))
    return model, x, y


def _train(model, x, y, steps=60):
    """Train with SGD, evaluating under no_grad between steps."""
    opt = cr.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    evals = []
    for _ in range(steps):
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
        with cr.no_grad():
            evals.append(float(((model(x) - y) ** 2).mean()))
    return [p.detach().numpy().copy() for p in model.parameters()], evals


def test_two_threads_training_two_models_match_running_them_one_after_the_other():
    expected = {seed: _train(*_setup(seed)) for seed in (1, 2)}
    setups = {seed: _setup(seed) for seed in (1, 2)}
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    try:
        got = {}
        threads = [threading.Thread(target=lambda s=seed: got.__setitem__(s, _train(*setups[s])))
                   for seed in (1, 2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(old)
    for seed in (1, 2):
        params, evals = got[seed]
        want_params, want_evals = expected[seed]
        assert evals == want_evals
        for p, q in zip(params, want_params):
            np.testing.assert_array_equal(p, q)
