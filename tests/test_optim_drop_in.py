"""Optimizers as drop-in replacements for torch.optim: the same run from the same start
gives the same parameters (to 1e-10, float64), and step(closure) returns the closure's loss.

The oracle tests run each optimizer ~20 steps on a tiny linear regression in chainrule and
in PyTorch; the others check known values without PyTorch.
"""
import math
import warnings

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn

RNG = np.random.default_rng(0)
X = RNG.standard_normal((8, 3))
Y = X @ np.array([1.5, -2.0, 0.5]) + 0.3 + 0.01 * RNG.standard_normal(8)
W0 = RNG.standard_normal(3)
B0 = np.array(0.1)

# (name, keyword arguments): each row is one oracle run; the kwargs exercise the options.
CASES = [
    ("SGD", dict(lr=0.05)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.1, maximize=False)),
    ("SGD", dict(lr=0.05, momentum=0.8, dampening=0.3)),
    ("Adam", dict(lr=0.05)),
    ("Adam", dict(lr=0.05, amsgrad=True, weight_decay=0.1)),
    ("AdamW", dict(lr=0.05)),
    ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, eps=1e-5, weight_decay=0.1)),
    ("Adadelta", dict(maximize=True)),
    ("NAdam", dict()),
    ("NAdam", dict(lr=0.05, weight_decay=0.1, momentum_decay=0.01)),
    ("NAdam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True)),
    ("NAdam", dict(lr=0.05, maximize=True)),
    ("RAdam", dict()),
    ("RAdam", dict(lr=0.05, weight_decay=0.1)),
    ("RAdam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True, betas=(0.8, 0.9))),
    ("RAdam", dict(lr=0.05, maximize=True)),
]
LBFGS_CASES = [
    dict(),
    dict(line_search_fn="strong_wolfe"),
    dict(lr=0.5, history_size=3, max_iter=7),
    dict(history_size=2, max_iter=5, line_search_fn="strong_wolfe"),
    dict(lr=0.1, max_iter=4, max_eval=6, line_search_fn="strong_wolfe"),
]


def case_id(case):
    name, kwargs = case
    return name + "-" + ",".join(f"{k}={v}" for k, v in kwargs.items())


def chainrule_run(name, kwargs, steps=20, use_closure=False, problem=None):
    w = nn.Parameter(cr.tensor(W0.copy()))
    b = nn.Parameter(cr.tensor(B0.copy()))
    opt = getattr(cr.optim, name)([w, b], **kwargs)
    x, y = cr.tensor(X), cr.tensor(Y)

    def closure():
        opt.zero_grad()
        loss = (((x @ w + b) - y) ** 2).mean()
        if problem is not None:
            loss = problem(w, b)
        loss.backward()
        return loss

    losses = []
    for _ in range(steps):
        if use_closure:
            losses.append(float(opt.step(closure)))
        else:
            losses.append(float(closure()))
            opt.step()
    return np.concatenate([w.detach().numpy(), b.detach().numpy().reshape(1)]), losses


def torch_run(torch, name, kwargs, steps=20, use_closure=False):
    w = torch.nn.Parameter(torch.tensor(W0.copy()))
    b = torch.nn.Parameter(torch.tensor(B0.copy()))
    opt = getattr(torch.optim, name)([w, b], **kwargs)
    x, y = torch.tensor(X), torch.tensor(Y)

    def closure():
        opt.zero_grad()
        loss = (((x @ w + b) - y) ** 2).mean()
        loss.backward()
        return loss

    losses = []
    for _ in range(steps):
        if use_closure:
            losses.append(opt.step(closure).item())
        else:
            losses.append(closure().item())
            opt.step()
    return np.concatenate([w.detach().numpy(), b.detach().numpy().reshape(1)]), losses


@pytest.fixture
def torch64():
    torch = pytest.importorskip("torch")
    # Optimizer scalars (NAdam's mu_product, step counts) are float32 under PyTorch's
    # float32 default; chainrule keeps them as Python floats, i.e. float64.
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield torch
    torch.set_default_dtype(old)


@pytest.mark.oracle
@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
@pytest.mark.parametrize("use_closure", [False, True], ids=["step", "closure"])
def test_matches_torch(torch64, case, use_closure):
    name, kwargs = case
    ours, our_losses = chainrule_run(name, kwargs, use_closure=use_closure)
    theirs, their_losses = torch_run(torch64, name, kwargs, use_closure=use_closure)
    assert not np.allclose(ours, np.append(W0, B0))  # it moved
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-10)
    np.testing.assert_allclose(our_losses, their_losses, rtol=1e-10, atol=1e-12)


@pytest.mark.oracle
@pytest.mark.parametrize("kwargs", LBFGS_CASES, ids=[case_id(("LBFGS", k)) for k in LBFGS_CASES])
def test_lbfgs_matches_torch(torch64, kwargs):
    ours, our_losses = chainrule_run("LBFGS", kwargs, steps=4, use_closure=True)
    theirs, their_losses = torch_run(torch64, "LBFGS", kwargs, steps=4, use_closure=True)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-10)
    np.testing.assert_allclose(our_losses, their_losses, rtol=1e-10, atol=1e-12)


@pytest.mark.oracle
def test_lbfgs_state_matches_torch(torch64):
    torch = torch64
    kwargs = dict(history_size=3, line_search_fn="strong_wolfe", max_iter=6)
    w = nn.Parameter(cr.tensor(W0.copy()))
    tw = torch.nn.Parameter(torch.tensor(W0.copy()))
    opt, topt = cr.optim.LBFGS([w], **kwargs), torch.optim.LBFGS([tw], **kwargs)

    def rosen(v, lib):  # a curved valley: the line search has to bracket and zoom
        return (1 - v[0]) ** 2 + 100 * (v[1] - v[0] ** 2) ** 2 + (v[2] - 1) ** 2

    def closure():
        opt.zero_grad()
        loss = rosen(w, cr)
        loss.backward()
        return loss

    def tclosure():
        topt.zero_grad()
        loss = rosen(tw, torch)
        loss.backward()
        return loss

    for _ in range(3):
        opt.step(closure)
        topt.step(tclosure)
        np.testing.assert_allclose(w.detach().numpy(), tw.detach().numpy(), rtol=0,
                                   atol=1e-10)
    ours, theirs = opt.state[w], topt.state[tw]
    assert ours["func_evals"] == theirs["func_evals"]
    assert ours["n_iter"] == theirs["n_iter"]
    assert len(ours["old_dirs"]) == len(theirs["old_dirs"]) == 3
    np.testing.assert_allclose(float(ours["t"]), float(theirs["t"]), rtol=1e-10)


@pytest.mark.oracle
def test_defaults_match_torch(torch64):
    torch = torch64
    for name in ("SGD", "Adam", "AdamW", "Adadelta", "NAdam", "RAdam", "LBFGS"):
        ours = getattr(cr.optim, name)([nn.Parameter(cr.zeros(2))]).defaults
        theirs = getattr(torch.optim, name)([torch.nn.Parameter(torch.zeros(2))]).defaults
        for key, value in ours.items():
            assert theirs[key] == value, (name, key)


# ---------------------------------------------------------------- known values, no torch

def quadratic(name, steps, **kwargs):
    """Minimise |w - target|^2 from w = 0; the distance left after ``steps`` steps."""
    target = np.array([1.0, -2.0, 3.0])
    w = nn.Parameter(cr.zeros(3, dtype=cr.float64))
    opt = getattr(cr.optim, name)([w], **kwargs)
    t = cr.tensor(target)

    def closure():
        opt.zero_grad()
        loss = ((w - t) ** 2).sum()
        loss.backward()
        return loss

    first = float(opt.step(closure))
    for _ in range(steps - 1):
        opt.step(closure)
    return first, float(np.abs(w.detach().numpy() - target).max())


@pytest.mark.parametrize("name, kwargs, steps, tol", [
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True), 100, 1e-6),
    ("Adadelta", dict(lr=1.0), 2000, 1e-2),
    ("NAdam", dict(lr=0.1), 300, 1e-3),
    ("RAdam", dict(lr=0.1), 300, 1e-2),
    ("LBFGS", dict(), 1, 1e-8),
    ("LBFGS", dict(line_search_fn="strong_wolfe"), 1, 1e-10),
])
def test_converges_on_a_quadratic(name, kwargs, steps, tol):
    first, left = quadratic(name, steps, **kwargs)
    assert first == 14.0  # step(closure) returns the closure's (first) loss
    assert left < tol


def one_step(name, grad, **kwargs):
    w = nn.Parameter(cr.tensor([1.0, 2.0], dtype=cr.float64))
    opt = getattr(cr.optim, name)([w], **kwargs)
    (w * cr.tensor(grad)).sum().backward()  # dloss/dw = grad
    opt.step()
    return w.detach().numpy() - np.array([1.0, 2.0])


def test_adadelta_first_step_by_hand():
    g = np.array([0.5, -4.0])
    # square_avg = 0.1 g^2; delta = sqrt(eps) / sqrt(square_avg + eps) * g
    expected = -np.sqrt(1e-6) / np.sqrt(0.1 * g * g + 1e-6) * g
    np.testing.assert_allclose(one_step("Adadelta", g), expected, rtol=1e-13)


def test_nadam_first_step_by_hand():
    g = np.array([0.5, -4.0])
    lr, b1, b2, eps, psi = 2e-3, 0.9, 0.999, 1e-8, 4e-3
    mu1 = b1 * (1 - 0.5 * 0.96 ** psi)
    mu2 = b1 * (1 - 0.5 * 0.96 ** (2 * psi))
    m, v = (1 - b1) * g, (1 - b2) * g * g
    denom = np.sqrt(v / (1 - b2)) + eps  # = |g| + eps
    expected = -lr * (1 - mu1) / (1 - mu1) * g / denom - lr * mu2 / (1 - mu1 * mu2) * m / denom
    np.testing.assert_allclose(one_step("NAdam", g), expected, rtol=1e-12)


def test_radam_is_sgd_with_momentum_until_rho_exceeds_5():
    g = np.array([0.5, -4.0])
    # step 1: rho_1 = 1 <= 5, so the update is lr * (bias-corrected m) = lr * g
    np.testing.assert_allclose(one_step("RAdam", g, lr=0.1), -0.1 * g, rtol=1e-14)
    # betas=(0.9, 0.5): rho_inf = 3, never above 5, so plain bias-corrected momentum forever
    w = nn.Parameter(cr.tensor([0.0], dtype=cr.float64))
    opt = cr.optim.RAdam([w], lr=0.1, betas=(0.9, 0.5))
    for _ in range(3):
        opt.zero_grad()
        (w * 2.0).sum().backward()
        opt.step()
    assert w.item() == pytest.approx(-0.6, rel=1e-14)


def test_nesterov_by_hand():
    # buf_1 = g, step = g + m*g; buf_2 = m*g + g, step = g + m*buf_2
    w = nn.Parameter(cr.tensor([0.0], dtype=cr.float64))
    opt = cr.optim.SGD([w], lr=0.1, momentum=0.5, nesterov=True)
    for _ in range(2):
        opt.zero_grad()
        (w * 2.0).sum().backward()  # g = 2 always
        opt.step()
    assert w.item() == pytest.approx(-0.1 * (2 + 1) - 0.1 * (2 + 0.5 * 3), rel=1e-14)


def test_step_closure_on_every_optimizer_returns_its_loss_and_runs_with_grad():
    for name in ("SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "NAdam", "RAdam",
                 "LBFGS"):
        w = nn.Parameter(cr.tensor([1.0, 2.0], dtype=cr.float64))
        opt = getattr(cr.optim, name)([w])
        calls = []

        def closure():
            assert cr.is_grad_enabled()
            opt.zero_grad()
            loss = (w ** 2).sum()
            loss.backward()
            calls.append(1)
            return loss

        with cr.no_grad():
            loss = opt.step(closure)
        assert float(loss) == 5.0, name
        assert calls, name
        assert not np.array_equal(w.detach().numpy(), [1.0, 2.0]), name
        if name != "LBFGS":  # without a closure, step() returns None, as in PyTorch
            assert getattr(cr.optim, name)([w]).step() is None


def test_lbfgs_needs_a_closure_and_one_group():
    w = nn.Parameter(cr.zeros(2))
    with pytest.raises(TypeError):
        cr.optim.LBFGS([w]).step()
    with pytest.raises(ValueError, match="doesn't support per-parameter options"):
        cr.optim.LBFGS([{"params": [w]}, {"params": [nn.Parameter(cr.zeros(1))]}])
    with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
        cr.optim.LBFGS([w], line_search_fn="armijo")
    with pytest.raises(ValueError, match="^Invalid learning rate: -1$"):
        cr.optim.LBFGS([w], lr=-1)


def test_lbfgs_stops_at_an_optimum_with_one_evaluation():
    w = nn.Parameter(cr.tensor([3.0], dtype=cr.float64))
    opt = cr.optim.LBFGS([w])
    calls = []

    def closure():
        opt.zero_grad()
        loss = ((w - 3.0) ** 2).sum()
        loss.backward()
        calls.append(1)
        return loss

    assert float(opt.step(closure)) == 0.0
    assert len(calls) == 1 and w.item() == 3.0


@pytest.mark.parametrize("make, match", [
    (lambda p: cr.optim.Adadelta(p, rho=1.5), "^Invalid rho value: 1.5$"),
    (lambda p: cr.optim.Adadelta(p, rho=-0.1), "^Invalid rho value: -0.1$"),
    (lambda p: cr.optim.Adadelta(p, rho=math.nan), "^Invalid rho value: nan$"),
    (lambda p: cr.optim.Adadelta(p, eps=-1.0), "^Invalid epsilon value: -1.0$"),
    (lambda p: cr.optim.NAdam(p, momentum_decay=-1e-3), "^Invalid momentum_decay value: "),
    (lambda p: cr.optim.NAdam(p, betas=(1.0, 0.9)), "^Invalid beta parameter at index 0"),
    (lambda p: cr.optim.RAdam(p, betas=(0.9, 1.0)), "^Invalid beta parameter at index 1"),
    (lambda p: cr.optim.RAdam(p, weight_decay=-1.0), "^Invalid weight_decay value: -1.0$"),
])
def test_new_optimizers_check_their_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make([nn.Parameter(cr.zeros(2))])


def test_edges_are_valid():
    p = [nn.Parameter(cr.zeros(2))]
    cr.optim.Adadelta(p, rho=0.0)
    cr.optim.Adadelta(p, rho=1.0)
    cr.optim.NAdam(p, momentum_decay=0.0)


def test_state_dict_round_trip_continues_identically():
    for name in ("Adadelta", "NAdam", "RAdam"):
        a = chainrule_run(name, dict(lr=0.05) if name != "Adadelta" else {}, steps=10)[0]
        w = nn.Parameter(cr.tensor(W0.copy()))
        b = nn.Parameter(cr.tensor(B0.copy()))
        kw = dict(lr=0.05) if name != "Adadelta" else {}
        opt = getattr(cr.optim, name)([w, b], **kw)
        x, y = cr.tensor(X), cr.tensor(Y)
        for i in range(10):
            if i == 5:
                saved = opt.state_dict()
                opt = getattr(cr.optim, name)([w, b], **kw)
                opt.load_state_dict(saved)
            opt.zero_grad()
            (((x @ w + b) - y) ** 2).mean().backward()
            opt.step()
        got = np.concatenate([w.detach().numpy(), b.detach().numpy().reshape(1)])
        np.testing.assert_array_equal(got, a)


# ---------------------------------------------------------------- learning-rate schedules

S = "lr_scheduler"
# (id, optimizer name and kwargs, [scheduler factories as (class name, args, kwargs)]):
# several factories are stepped back to back, each step, as PyTorch's docs chain them.
SCHEDULES = [
    ("constant", ("SGD", {}), [("ConstantLR", (), dict(factor=0.25, total_iters=4))]),
    ("linear", ("SGD", {}), [("LinearLR", (), dict(start_factor=0.1, total_iters=7))]),
    ("linear-decay", ("SGD", {}), [("LinearLR", (1.0, 0.05, 9), {})]),
    ("polynomial", ("SGD", {}), [("PolynomialLR", (), dict(total_iters=8, power=2.5))]),
    ("multiplicative", ("SGD", {}), [("MultiplicativeLR", (lambda e: 0.9 + 0.001 * e,), {})]),
    ("multistep-repeated", ("SGD", {}), [("MultiStepLR", ([3, 3, 7],), dict(gamma=0.5))]),
    ("cosine-past-T_max", ("SGD", {}), [("CosineAnnealingLR", (5, 0.01), {})]),
    ("warm-restarts", ("SGD", {}), [("CosineAnnealingWarmRestarts", (4,), {})]),
    ("warm-restarts-mult", ("SGD", {}),
     [("CosineAnnealingWarmRestarts", (3,), dict(T_mult=2, eta_min=0.001))]),
    ("cyclic", ("SGD", dict(momentum=0.9)), [("CyclicLR", (0.01, 0.1), dict(step_size_up=4))]),
    ("cyclic-tri2", ("SGD", dict(momentum=0.9)),
     [("CyclicLR", (0.01, 0.1), dict(step_size_up=3, step_size_down=5, mode="triangular2"))]),
    ("cyclic-exp-adam", ("Adam", {}),
     [("CyclicLR", (0.01, 0.1), dict(step_size_up=3, mode="exp_range", gamma=0.9))]),
    ("cyclic-no-momentum", ("SGD", {}),
     [("CyclicLR", (0.01, 0.1), dict(step_size_up=2, cycle_momentum=False))]),
    ("onecycle-momentum", ("SGD", dict(momentum=0.9)), [("OneCycleLR", (1.0,),
                                                           dict(total_steps=31))]),
    ("onecycle-three-phase-adam", ("Adam", {}),
     [("OneCycleLR", (1.0,), dict(total_steps=31, three_phase=True, anneal_strategy="linear"))]),
    ("back-to-back", ("SGD", {}), [("ExponentialLR", (0.9,), {}),
                                   ("MultiStepLR", ([4, 9],), dict(gamma=0.1))]),
    ("back-to-back-warmup", ("SGD", {}), [("LinearLR", (0.2,), dict(total_iters=4)),
                                          ("StepLR", (3,), dict(gamma=0.5))]),
]


def make_schedulers(lib, opt, factories):
    return [getattr(lib.optim.lr_scheduler, name)(opt, *args, **kwargs)
            for name, args, kwargs in factories]


def hyper(opt):
    g = opt.param_groups[0]
    return (g["lr"], g.get("momentum"), tuple(g["betas"]) if "betas" in g else None)


def assert_same_hyper(ours, theirs):
    for a, b in zip(ours, theirs):
        if b is None or a is None:
            assert a is None and b is None
        else:
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


@pytest.mark.oracle
@pytest.mark.parametrize("case", SCHEDULES, ids=[c[0] for c in SCHEDULES])
def test_schedule_matches_torch(torch64, case):
    torch = torch64
    _, (opt_name, opt_kwargs), factories = case
    ours = getattr(cr.optim, opt_name)([nn.Parameter(cr.zeros(1))], lr=0.1, **opt_kwargs)
    theirs = getattr(torch.optim, opt_name)([torch.nn.Parameter(torch.zeros(1))], lr=0.1,
                                            **opt_kwargs)
    our_s, their_s = make_schedulers(cr, ours, factories), make_schedulers(torch, theirs,
                                                                          factories)
    assert_same_hyper(hyper(ours), hyper(theirs))
    for _ in range(30):
        ours.step()
        theirs.step()
        for a, b in zip(our_s, their_s):
            a.step()
            b.step()
        assert_same_hyper(hyper(ours), hyper(theirs))
        np.testing.assert_allclose(our_s[-1].get_last_lr(), their_s[-1].get_last_lr(),
                                   rtol=1e-12)


def composite(lib, opt, kind):
    sch = lib.optim.lr_scheduler
    if kind == "sequential":
        return sch.SequentialLR(opt, [sch.LinearLR(opt, 0.1, total_iters=3),
                                      sch.CosineAnnealingLR(opt, 10)], milestones=[3])
    if kind == "sequential-three":
        return sch.SequentialLR(opt, [sch.ConstantLR(opt, 0.5, total_iters=2),
                                      sch.ExponentialLR(opt, 0.8),
                                      sch.StepLR(opt, 2, 0.5)], milestones=[4, 8])
    if kind == "chained":
        return sch.ChainedScheduler([sch.ConstantLR(opt, factor=0.1, total_iters=5),
                                     sch.ExponentialLR(opt, gamma=0.9)])
    if kind == "chained-in-sequential":
        chained = sch.ChainedScheduler([sch.LinearLR(opt, 0.5, total_iters=3),
                                        sch.ExponentialLR(opt, gamma=0.95)], optimizer=opt)
        return sch.SequentialLR(opt, [chained, sch.PolynomialLR(opt, 6)], milestones=[5])
    raise AssertionError(kind)


@pytest.mark.oracle
@pytest.mark.filterwarnings(r"ignore:Detected call of `lr_scheduler.step\(\)` before")
@pytest.mark.parametrize("kind", ["sequential", "sequential-three", "chained",
                                  "chained-in-sequential"])
def test_composite_schedules_match_torch(torch64, kind):
    torch = torch64
    ours = cr.optim.SGD([nn.Parameter(cr.zeros(1))], lr=0.1)
    theirs = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    a, b = composite(cr, ours, kind), composite(torch, theirs, kind)
    lrs = []
    for _ in range(20):
        np.testing.assert_allclose(a.get_last_lr(), b.get_last_lr(), rtol=1e-12)
        assert ours.param_groups[0]["lr"] == pytest.approx(theirs.param_groups[0]["lr"],
                                                           rel=1e-12)
        lrs.append(ours.param_groups[0]["lr"])
        ours.step()
        theirs.step()
        a.step()
        b.step()
    assert len(set(lrs)) > 3  # the schedule moved


@pytest.mark.oracle
@pytest.mark.parametrize("name, args", [("StepLR", (3,)), ("MultiStepLR", ([2, 5],)),
                                        ("ConstantLR", ()), ("LinearLR", ()),
                                        ("ExponentialLR", (0.8,)), ("PolynomialLR", ()),
                                        ("CosineAnnealingLR", (6,)),
                                        ("CosineAnnealingWarmRestarts", (3, 2))])
def test_step_with_an_epoch_uses_the_closed_form_as_torch(torch64, name, args):
    torch = torch64
    ours = cr.optim.SGD([nn.Parameter(cr.zeros(1))], lr=0.1)
    theirs = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    a = getattr(cr.optim.lr_scheduler, name)(ours, *args)
    b = getattr(torch.optim.lr_scheduler, name)(theirs, *args)
    for epoch in (4, 1, 7, 2.5 if name == "CosineAnnealingWarmRestarts" else 3, 11):
        if name == "CosineAnnealingWarmRestarts":  # its epoch argument is not deprecated
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                a.step(epoch)
        else:
            with pytest.warns(UserWarning, match="epoch parameter"):
                a.step(epoch)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            b.step(epoch)
        assert ours.param_groups[0]["lr"] == pytest.approx(theirs.param_groups[0]["lr"],
                                                           rel=1e-12)


# known values for the schedules, without torch

def lrs(make, steps, lr=1.0, **opt_kwargs):
    opt = cr.optim.SGD([nn.Parameter(cr.zeros(1))], lr=lr, **opt_kwargs)
    schedulers = make(opt)
    if not isinstance(schedulers, list):
        schedulers = [schedulers]
    out = [opt.param_groups[0]["lr"]]
    for _ in range(steps):
        for s in schedulers:
            s.step()
        out.append(opt.param_groups[0]["lr"])
    return out


def test_schedule_known_values():
    sch = cr.optim.lr_scheduler
    assert lrs(lambda o: sch.ConstantLR(o, 0.5, total_iters=2), 3) == [0.5, 0.5, 1.0, 1.0]
    np.testing.assert_allclose(lrs(lambda o: sch.LinearLR(o, 0.25, total_iters=3), 4),
                               [0.25, 0.5, 0.75, 1.0, 1.0], rtol=1e-14)
    np.testing.assert_allclose(lrs(lambda o: sch.PolynomialLR(o, 4, power=2.0), 5),
                               [1.0, 0.5625, 0.25, 0.0625, 0.0, 0.0], atol=1e-15)
    # periods 2, 4, 8: restarts at epochs 2 and 6
    half_cos = [(1 + math.cos(math.pi * k)) / 2 for k in (0.5, 0.25, 0.75, 1 / 8)]
    np.testing.assert_allclose(lrs(lambda o: sch.CosineAnnealingWarmRestarts(o, 2, 2), 7),
                               [1.0, half_cos[0], 1.0, half_cos[1], 0.5, half_cos[2], 1.0,
                                half_cos[3]], rtol=1e-12)
    # back to back: the effects multiply
    np.testing.assert_allclose(
        lrs(lambda o: [sch.ExponentialLR(o, 0.5), sch.StepLR(o, 2, gamma=0.1)], 4),
        [1.0, 0.5, 0.025, 0.0125, 0.000625], rtol=1e-12)
    np.testing.assert_allclose(
        lrs(lambda o: sch.CyclicLR(o, 0.0, 1.0, step_size_up=2, mode="triangular2"), 8,
            momentum=0.9),
        [0.0, 0.5, 1.0, 0.5, 0.0, 0.25, 0.5, 0.25, 0.0], atol=1e-15)


def test_cyclic_lr_cycles_momentum_inversely():
    opt = cr.optim.SGD([nn.Parameter(cr.zeros(1))], lr=1.0, momentum=0.5)
    sched = cr.optim.lr_scheduler.CyclicLR(opt, 0.1, 0.5, step_size_up=2)
    seen = []
    for _ in range(4):
        seen.append(round(opt.param_groups[0]["momentum"], 12))
        sched.step()
    assert seen == [0.9, 0.85, 0.8, 0.85]
    with pytest.raises(ValueError, match="must support momentum or beta1"):
        cr.optim.lr_scheduler.CyclicLR(cr.optim.Adagrad([nn.Parameter(cr.zeros(1))]), 0.1, 1)


def test_sequential_and_chained_known_values():
    sch = cr.optim.lr_scheduler
    opt = cr.optim.SGD([nn.Parameter(cr.zeros(1))], lr=1.0)
    seq = sch.SequentialLR(opt, [sch.ConstantLR(opt, 0.1, total_iters=2),
                                 sch.ExponentialLR(opt, 0.5)], milestones=[2])
    got = [opt.param_groups[0]["lr"]]
    for _ in range(4):
        seq.step()
        got.append(opt.param_groups[0]["lr"])
    np.testing.assert_allclose(got, [0.1, 0.1, 1.0, 0.5, 0.25], rtol=1e-14)
    state = seq.state_dict()
    assert [s["last_epoch"] for s in state["_schedulers"]] == [1, 2]
    seq.load_state_dict(state)
    opt2 = cr.optim.SGD([nn.Parameter(cr.zeros(1))], lr=1.0)
    chained = sch.ChainedScheduler([sch.ConstantLR(opt2, 0.5, total_iters=2),
                                    sch.ExponentialLR(opt2, 0.5)])
    got = []
    for _ in range(3):
        chained.step()
        got.append(chained.get_last_lr()[0])
    assert got == [0.25, 0.25, 0.125]


@pytest.mark.parametrize("make, error, match", [
    (lambda o: cr.optim.lr_scheduler.ConstantLR(o, factor=1.5), ValueError,
     "between 0 and 1"),
    (lambda o: cr.optim.lr_scheduler.LinearLR(o, start_factor=0), ValueError,
     "greater than 0 and less or equal to 1"),
    (lambda o: cr.optim.lr_scheduler.LinearLR(o, end_factor=2), ValueError,
     "Ending multiplicative factor"),
    (lambda o: cr.optim.lr_scheduler.LinearLR(o, total_iters=0), ValueError,
     "positive integer total_iters"),
    (lambda o: cr.optim.lr_scheduler.PolynomialLR(o, total_iters=0), ValueError,
     "positive integer total_iters"),
    (lambda o: cr.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, 0), ValueError,
     "positive integer T_0, but got 0"),
    (lambda o: cr.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, 2, T_mult=0), ValueError,
     "integer T_mult >= 1"),
    (lambda o: cr.optim.lr_scheduler.CyclicLR(o, 0.1, 1.0, mode="sine"), ValueError,
     "mode is invalid"),
    (lambda o: cr.optim.lr_scheduler.CyclicLR(o, 0.1, 1.0, step_size_up=0), ValueError,
     "positive step_size_up"),
    (lambda o: cr.optim.lr_scheduler.MultiplicativeLR(o, 0.9), TypeError,
     "lr_lambda must be callable"),
    (lambda o: cr.optim.lr_scheduler.SequentialLR(o, [], []), ValueError,
     "at least one scheduler"),
    (lambda o: cr.optim.lr_scheduler.SequentialLR(
        o, [cr.optim.lr_scheduler.ConstantLR(o)], [3]), ValueError, "one more than"),
    (lambda o: cr.optim.lr_scheduler.ChainedScheduler(
        [cr.optim.lr_scheduler.ReduceLROnPlateau(o)]), ValueError,
     "does not support `ReduceLROnPlateau`"),
    (lambda o: cr.optim.lr_scheduler.ChainedScheduler(
        [cr.optim.lr_scheduler.ExponentialLR(cr.optim.SGD([nn.Parameter(cr.zeros(1))]), 0.9)],
        optimizer=o), ValueError, "belong to the same optimizer"),
])
def test_new_scheduler_arguments(make, error, match):
    opt = cr.optim.SGD([nn.Parameter(cr.zeros(1))], lr=0.1, momentum=0.9)
    with pytest.raises(error, match=match):
        make(opt)
