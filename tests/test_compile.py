"""chainrule.compile: replays equal eager bit for bit (training steps, transforms, NumPy code),
each guard traces anew, what a replay cannot repeat runs eagerly with one warning, and
memory stays flat over many replays."""
import copy
import gc
import tracemalloc
import warnings

import numpy as np
import pytest

import chainrule as cr

nn, F, optim = cr.nn, cr.nn.functional, cr.optim


# ----- helpers ----------------------------------------------------------------------------
def n_programs(compiled) -> int:
    return sum(len(v) for v in compiled._programs.values())


def f32(a):
    return cr.tensor(np.asarray(a, np.float32))


def arr(t):
    return t.detach().numpy().copy()


class strict(warnings.catch_warnings):
    """No warning allowed inside: an unexpected fallback to eager fails the test."""

    def __enter__(self):
        out = super().__enter__()
        warnings.simplefilter("error")
        return out


def state(model):
    """Parameters, buffers and grads, as copies."""
    out = [arr(p) for p in model.parameters()] + [arr(b) for b in model.buffers()]
    out += [None if p.grad is None else arr(p.grad) for p in model.parameters()]
    return out


def assert_same_state(a, b):
    sa, sb = state(a), state(b)
    assert len(sa) == len(sb)
    for u, v in zip(sa, sb):
        if u is None or v is None:
            assert u is None and v is None
        else:
            assert u.dtype == v.dtype and np.array_equal(u, v)


class Twins:
    """An eager step and a compiled one over deep-copied twin models, each with its own
    optimizer (and scheduler)."""

    def __init__(self, make_model, make_opt, loss_fn, sched=None, seed=0, fuse=False):
        cr.manual_seed(seed)
        base = make_model()
        self.models, self.steps, self.opts = [], [], []
        for compiled in (False, True):
            model = copy.deepcopy(base)
            opt = make_opt(model.parameters())
            sch = sched(opt) if sched is not None else None

            def step(x, y, model=model, opt=opt, sch=sch):
                opt.zero_grad()
                loss = loss_fn(model(x), y)
                loss.backward()
                opt.step()
                if sch is not None:
                    sch.step()
                return loss
            self.models.append(model)
            self.opts.append(opt)
            self.steps.append(cr.compile(step, fuse=fuse) if compiled else step)

    @property
    def compiled(self):
        return self.steps[1]

    def run(self, batch, steps=6):
        """``steps`` steps on new data each, both twins seeded alike; compares as it goes."""
        for i in range(steps):
            x, y = batch(np.random.default_rng(1000 + i))
            losses = []
            for step in self.steps:
                cr.manual_seed(77 + i)
                with strict():
                    loss = step(x, y)
                losses.append(arr(loss))
            assert np.array_equal(losses[0], losses[1]), f"step {i}"
            assert_same_state(*self.models)
        assert 1 <= n_programs(self.compiled) <= 2  # (grads None, then present)
        return self


def classes(n=8, d=4, k=3):
    return lambda r: (f32(r.standard_normal((n, d))), cr.tensor(r.integers(0, k, n)))


def mlp(*middle, d=4, h=16, k=3):
    return lambda: nn.Sequential(nn.Linear(d, h), *middle, nn.Linear(h, k))


# ----- 1. whole training steps: replay == eager, bitwise ----------------------------------
OPTIMIZERS = {
    "sgd": lambda p: optim.SGD(p, lr=0.1),
    "momentum": lambda p: optim.SGD(p, lr=0.1, momentum=0.9),
    "nesterov": lambda p: optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-3),
    "adam": lambda p: optim.Adam(p, lr=1e-2),
    "adamw": lambda p: optim.AdamW(p, lr=1e-2, weight_decay=0.1),
    "rmsprop": lambda p: optim.RMSprop(p, lr=1e-2),
    "adagrad": lambda p: optim.Adagrad(p, lr=0.1),
}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_mlp_training_step_replays_bitwise(name):
    t = Twins(mlp(nn.Tanh()), OPTIMIZERS[name], F.cross_entropy).run(classes())
    # the optimizer's state went the same way too
    sa = [v for s in t.opts[0].state.values() for v in s.values()]
    sb = [v for s in t.opts[1].state.values() for v in s.values()]
    assert len(sa) == len(sb)
    for u, v in zip(sa, sb):
        u = u.numpy() if isinstance(u, cr.Tensor) else np.asarray(u)
        v = v.numpy() if isinstance(v, cr.Tensor) else np.asarray(v)
        assert np.array_equal(u, v)


def test_dropout_step_replays_bitwise():
    Twins(mlp(nn.ReLU(), nn.Dropout(0.4)), OPTIMIZERS["adam"], F.cross_entropy).run(classes())


def test_batchnorm1d_step_replays_bitwise_with_running_stats():
    t = Twins(mlp(nn.BatchNorm1d(16), nn.ReLU()), OPTIMIZERS["momentum"], F.cross_entropy)
    bn_e, bn_c = t.models[0][1], t.models[1][1]
    before = arr(bn_c.running_mean)
    t.run(classes())
    assert not np.array_equal(arr(bn_c.running_mean), before)  # the stats did move
    assert np.array_equal(arr(bn_e.running_mean), arr(bn_c.running_mean))
    assert np.array_equal(arr(bn_e.running_var), arr(bn_c.running_var))
    assert int(bn_e.num_batches_tracked.item()) == int(bn_c.num_batches_tracked.item()) == 6


def test_cnn_with_batchnorm2d_step_replays_bitwise():
    def cnn():
        return nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                             nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4 * 4 * 4, 5))

    def batch(r):
        return f32(r.standard_normal((6, 2, 8, 8))), cr.tensor(r.integers(0, 5, 6))
    t = Twins(cnn, OPTIMIZERS["sgd"], F.cross_entropy).run(batch)
    assert np.array_equal(arr(t.models[0][1].running_var), arr(t.models[1][1].running_var))


class LSTMNet(nn.Module):
    def __init__(self, vocab=12, emb=6, hidden=8):
        super().__init__()
        self.emb = nn.Embedding(vocab, emb)
        self.lstm = nn.LSTM(emb, hidden, batch_first=True)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, tokens):
        h, _ = self.lstm(self.emb(tokens))
        return self.head(h[:, -1])


def test_lstm_with_embedding_step_replays_bitwise():
    def batch(r):
        return cr.tensor(r.integers(0, 12, (4, 5))), cr.tensor(r.integers(0, 12, 4))
    Twins(LSTMNet, OPTIMIZERS["adam"], F.cross_entropy).run(batch)


def test_rl_style_step_replays_bitwise():
    def net():
        return nn.Sequential(nn.Linear(4, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(),
                             nn.Linear(64, 2))

    def batch(r):
        return f32(r.standard_normal((32, 4))), f32(r.standard_normal((32, 2)))
    Twins(net, lambda p: optim.Adam(p, lr=1e-3), F.mse_loss).run(batch, steps=8)


FUSED = {
    "adam": lambda p: optim.Adam(p, lr=1e-2),
    "adam-l2-maximize": lambda p: optim.Adam(p, lr=1e-2, weight_decay=0.1, maximize=True),
    "adamw": lambda p: optim.AdamW(p, lr=1e-2, weight_decay=0.1),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", list(FUSED))
def test_fused_optimizer_kernel_replays_bitwise(name, dtype, monkeypatch):
    """compile(fuse=True) updates the flat buffer by the optimizer's numba kernel: the same
    parameters and state, bit for bit, as eager's per-parameter loop."""
    pytest.importorskip("numba")
    from chainrule.optim import _fused
    ran = []
    real = _fused.adam
    monkeypatch.setattr(_fused, "adam", lambda *a: ran.append(real(*a)) or ran[-1])

    def net():
        return nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Linear(32, 2)).to(dtype)

    def batch(r):
        return (cr.tensor(r.standard_normal((16, 4)), dtype=dtype),
                cr.tensor(r.standard_normal((16, 2)), dtype=dtype))
    t = Twins(net, FUSED[name], F.mse_loss, fuse=True).run(batch, steps=8)
    assert len(ran) >= 7 and all(ran[1:])  # the first step makes the state
    for sa, sb in zip(t.opts[0].state.values(), t.opts[1].state.values()):
        for key in sa:
            assert np.array_equal(np.asarray(sa[key]), np.asarray(sb[key])), key


def test_large_parameters_step_per_parameter_and_replay_bitwise(monkeypatch):
    """Past FLAT_MEAN_ELEMENTS per parameter on average the optimizer's step replays as
    its own call (no flat buffer: its copies would cost more than the calls saved)."""
    from chainrule.compiler import _flat
    made = []
    real = _flat.FlatStep.make.__func__
    monkeypatch.setattr(_flat.FlatStep, "make",
                        classmethod(lambda cls, *a: made.append(real(cls, *a)) or made[-1]))
    monkeypatch.setattr(_flat, "FLAT_MEAN_ELEMENTS", 64)
    Twins(mlp(nn.Tanh(), h=32), OPTIMIZERS["momentum"], F.cross_entropy).run(classes())
    assert made and all(m is None for m in made)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", ["sgd", "momentum", "nesterov", "adam", "adamw"])
def test_large_parameters_under_fuse_run_the_kernel_on_each_bitwise(name, dtype, monkeypatch):
    """With fuse=True, large parameters are not flattened, and the optimizer's fused kernel
    updates each one in place: parameters and state bit for bit eager's."""
    pytest.importorskip("numba")
    from chainrule.compiler import _flat
    from chainrule.optim import _fused
    monkeypatch.setattr(_flat, "FLAT_MEAN_ELEMENTS", 64)
    kernel = "adam" if name.startswith("adam") else "sgd"
    ran, real = [], getattr(_fused, kernel)
    monkeypatch.setattr(_fused, kernel, lambda *a: ran.append(real(*a)) or ran[-1])

    def net():
        return nn.Sequential(nn.Linear(6, 48), nn.Tanh(), nn.Linear(48, 3)).to(dtype)

    def batch(r):
        return cr.tensor(r.standard_normal((10, 6)), dtype=dtype), \
            cr.tensor(r.integers(0, 3, 10))
    t = Twins(net, OPTIMIZERS[name], F.cross_entropy, fuse=True).run(batch, steps=5)
    assert sum(ran) >= 4 * 4  # 4 parameters, every step after the state is made
    for sa, sb in zip(t.opts[0].state.values(), t.opts[1].state.values()):
        for key in sa:
            assert np.array_equal(np.asarray(sa[key]), np.asarray(sb[key])), key


def test_replay_is_not_stale():
    """A replay reads the new inputs and the current parameters: outputs change per call."""
    t = Twins(mlp(nn.Tanh()), OPTIMIZERS["sgd"], F.cross_entropy)
    x, y = classes()(np.random.default_rng(0))
    with strict():
        losses = [t.compiled(x, y).item() for _ in range(5)]
    assert len(set(losses)) == 5  # same data, moving parameters: a new loss each step


# ----- 9. an LR scheduler stepped inside -------------------------------------------------
def test_scheduler_inside_the_step_keeps_changing_the_rate():
    t = Twins(mlp(nn.Tanh()), lambda p: optim.SGD(p, lr=0.5), F.cross_entropy,
              sched=lambda o: optim.lr_scheduler.StepLR(o, step_size=1, gamma=0.5))
    t.run(classes(), steps=5)
    for opt in t.opts:
        assert opt.param_groups[0]["lr"] == 0.5 * 0.5 ** 5


def test_lr_changed_from_outside_is_read_by_the_replay():
    t = Twins(mlp(nn.Tanh()), OPTIMIZERS["adam"], F.cross_entropy)
    t.run(classes(), steps=3)
    for opt in t.opts:
        opt.param_groups[0]["lr"] = 0.05
    t.run(classes(), steps=3)


# ----- 2. transforms of NumPy code and of tensor code ------------------------------------
W = np.random.default_rng(0).standard_normal((5, 6)) * 0.3


def numpy_f(v):
    return np.sum(np.tanh(W @ v)) + 0.25 * np.sum(v * v * v)


def tensor_f(v):
    return (cr.tensor(W.astype(np.float32)) @ v).tanh().sum() + 0.25 * (v * v * v).sum()


# NumPy code keeps NumPy arrays in and out; tensor code, tensors
CODE = {"numpy": (numpy_f, lambda r: r.standard_normal(6), 1),
        "tensor": (tensor_f, lambda r: f32(r.standard_normal(6)), 2)}


@pytest.mark.parametrize("code", list(CODE))
@pytest.mark.parametrize("transform", [cr.func.grad, cr.func.hessian], ids=["grad", "hessian"])
def test_transform_replays(transform, code):
    f, make, seed = CODE[code]
    eager, compiled = transform(f), cr.compile(transform(f))
    rng = np.random.default_rng(seed)
    with strict():
        for _ in range(5):
            v = make(rng)
            out, want = compiled(v), eager(v)
            if code == "numpy":
                assert type(out) is np.ndarray and type(want) is np.ndarray
            else:
                assert isinstance(out, cr.Tensor)
                out, want = arr(out), arr(want)
            assert out.shape == want.shape and out.dtype == want.dtype
            assert np.array_equal(out, want)
    assert n_programs(compiled) == 1
    assert "def replay" in compiled.source()


@pytest.mark.parametrize("name", ["gammaln", "digamma", "polygamma"])
def test_scipy_special_replays_after_an_eager_call(name):
    """SciPy's Python-level functions (polygamma) convert with their own np.asarray,
    bound before any trace; written with SciPy's ufuncs, the trace sees them."""
    from chainrule.scipy import special
    fn = {"gammaln": special.gammaln, "digamma": special.digamma,
          "polygamma": lambda t: special.polygamma(1, t)}[name]

    def step(x):
        out = fn(x)
        (g,) = cr.autograd.grad((out * out).sum(), [x])
        return out.detach(), g
    rng = np.random.default_rng(2)
    xs = [cr.tensor(rng.random((2, 3)) * 3 + 0.2, requires_grad=True) for _ in range(3)]
    step(xs[0])  # eager first: SciPy imported outside any trace
    compiled = cr.compile(step)
    with strict():
        for x in xs:
            for got, want in zip(compiled(x), step(x)):
                assert np.array_equal(arr(got), arr(want))
    assert n_programs(compiled) == 1


def test_a_forward_computed_outside_the_trace_runs_eagerly():
    """A rule whose forward turns a traced array into a plain one (an np.asarray bound
    before the trace) and computes on that: a replay would repeat the first call's values,
    so the function runs eagerly, with one warning naming the primitive."""
    from chainrule.autograd.primitives import Primitive, apply, call, defvjp
    bound_asarray = np.asarray

    def forward(xp, x):
        return np.exp(bound_asarray(x))  # NumPy on a plain copy: the trace sees nothing
    hidden = Primitive("hidden_exp", forward)
    defvjp(hidden, lambda xp, g, ans, x: g * call(xp, hidden, x))

    def step(x):
        y = apply(hidden, (x,))
        (g,) = cr.autograd.grad(y.sum(), [x])
        return y.detach(), g
    compiled = cr.compile(step)
    xs = [cr.tensor(np.array([0.5, 1.0]) * k, requires_grad=True) for k in (1, 2, 3)]
    with pytest.warns(UserWarning, match="hidden_exp.*calls the trace does not see"):
        compiled(xs[0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for x in xs:
            for got, want in zip(compiled(x), step(x)):
                assert np.array_equal(arr(got), arr(want))


def test_a_plain_view_of_a_traced_array_runs_eagerly():
    bound_asarray = np.asarray  # as a library binds it at its import, before any trace

    def f(x):
        return x + bound_asarray(x)[::-1]
    compiled = cr.compile(f)
    with pytest.warns(UserWarning, match="plain NumPy array of shape \\(3,\\) views a traced"):
        compiled(np.arange(3.0))
    for x in (np.arange(3.0), np.array([5.0, -1.0, 2.0])):
        assert np.array_equal(compiled(x), f(x))


# ----- 3. guards --------------------------------------------------------------------------
def test_shape_dtype_and_python_value_guards():
    def f(x, scale):
        return (x * scale).tanh().sum()
    c = cr.compile(f)
    x = f32([0.1, 0.2, 0.3])
    with strict():
        assert c(x, 2.0).item() == f(x, 2.0).item()
        assert n_programs(c) == 1
        assert c(f32([0.3, -0.2, 0.1]), 2.0).item() == f(f32([0.3, -0.2, 0.1]), 2.0).item()
        assert n_programs(c) == 1                               # replayed
        assert c(x, 3.0).item() == f(x, 3.0).item()             # a Python scalar
        assert n_programs(c) == 2
        x4 = f32([0.1, 0.2, 0.3, 0.4])
        assert c(x4, 2.0).item() == f(x4, 2.0).item()           # a shape
        assert n_programs(c) == 3
        x64 = cr.tensor(np.array([0.1, 0.2, 0.3]))              # float32 -> float64
        out = c(x64, 2.0)
        assert out.dtype == cr.float64 and out.item() == f(x64, 2.0).item()
        assert n_programs(c) == 4
        assert c(x, 2.0).item() == f(x, 2.0).item() and c(x, 3.0).item() == f(x, 3.0).item()
        assert n_programs(c) == 4                               # all cached


def test_requires_grad_of_an_input_is_guarded():
    def f(x):
        loss = (x * x).sum()
        if x.requires_grad:
            loss.backward()
            return loss, x.grad
        return loss, None
    c = cr.compile(f)
    with strict():
        for i, rg in enumerate([False, True, False, True]):
            v = np.random.default_rng(i).standard_normal(3).astype(np.float32)
            xc, xe = cr.tensor(v, requires_grad=rg), cr.tensor(v, requires_grad=rg)
            (lc, gc_), (le, ge) = c(xc), f(xe)
            assert lc.item() == le.item()
            assert (gc_ is None) == (ge is None) == (not rg)
            if rg:
                assert np.array_equal(arr(gc_), arr(ge))
                assert np.array_equal(arr(xc.grad), arr(ge))
    assert n_programs(c) == 2


def test_grad_mode_is_guarded():
    w = f32([0.5, -1.0, 2.0]).requires_grad_()

    def f(x):
        return (w * x).sum() * 2
    c = cr.compile(f)
    x = f32([1.0, 2.0, 3.0])
    with strict():
        c(x)
        with cr.no_grad():
            out = c(x)
            assert out.item() == f(x).item()
            assert n_programs(c) == 2
            assert not out.requires_grad
            c(x)
        c(x)
    assert n_programs(c) == 2


@pytest.mark.parametrize("layer", ["dropout", "batchnorm"])
def test_train_and_eval_modes_are_guarded(layer):
    cr.manual_seed(0)
    extra = nn.Dropout(0.5) if layer == "dropout" else nn.BatchNorm1d(8)
    model = nn.Sequential(nn.Linear(3, 8), extra, nn.Tanh())
    twin = copy.deepcopy(model)
    c = cr.compile(model)
    with strict():
        for i, mode in enumerate(["train", "eval", "train", "eval", "eval"]):
            for m in (model, twin):
                m.train(mode == "train")
            x = f32(np.random.default_rng(i).standard_normal((6, 3)))
            cr.manual_seed(i)
            got = arr(c(x))
            cr.manual_seed(i)
            want = arr(twin(x))
            assert np.array_equal(got, want), (i, mode)
            assert_same_state(model, twin)
    assert n_programs(c) == 2
    if layer == "batchnorm":
        assert not np.array_equal(arr(model[1].running_mean), np.zeros(8, np.float32))


def test_grad_accumulation_without_zero_grad_matches_eager():
    cr.manual_seed(0)
    model = mlp(nn.Tanh())()
    twin = copy.deepcopy(model)

    def make(m):
        def step(x, y):
            loss = F.cross_entropy(m(x), y)
            loss.backward()
            return loss
        return step
    eager, c = make(twin), cr.compile(make(model))
    with strict():
        for i in range(4):
            x, y = classes()(np.random.default_rng(i))
            assert c(x, y).item() == eager(x, y).item()
            assert_same_state(model, twin)
    assert n_programs(c) == 2  # .grad None, then present
    # 4 calls accumulated: not equal to one call's gradient
    x, y = classes()(np.random.default_rng(3))
    ref = copy.deepcopy(twin)
    ref.zero_grad()
    F.cross_entropy(ref(x), y).backward()
    assert not np.array_equal(arr(ref[0].weight.grad), arr(model[0].weight.grad))


def test_grad_none_vs_present_after_zero_grad_set_to_none():
    w_e, w_c = f32([1.0, -2.0]).requires_grad_(), f32([1.0, -2.0]).requires_grad_()

    def make(w):
        def f(x):
            (w * x).sin().sum().backward()
        return f
    e, c = make(w_e), cr.compile(make(w_c))
    with strict():
        for i, reset in enumerate([False, False, True, False, True, False]):
            if reset:
                w_e.grad = w_c.grad = None
            x = f32(np.random.default_rng(i).standard_normal(2))
            e(x)
            c(x)
            assert np.array_equal(arr(w_e.grad), arr(w_c.grad))
    assert n_programs(c) == 2


def test_cache_size_bounds_the_programs():
    c = cr.compile(lambda x: x * 2, cache_size=2)
    with strict():
        for n in (1, 2, 3, 4):
            assert c(cr.ones(n)).tolist() == [2.0] * n
    assert n_programs(c) <= 2


# ----- 4. values read into Python ---------------------------------------------------------
def _state_read_cases():
    w = f32([0.5, -1.0]).requires_grad_()

    def by_item(x):
        loss = (w * x).sum()
        return loss * 2 if loss.item() > 0 else loss * 3

    def by_float(x):
        loss = (w * x).sum()
        return loss * float(loss)

    opt = optim.SGD([w], lr=0.1)

    def by_bool_after_step(x):  # a decision on the state after an optimizer's step
        opt.zero_grad()
        loss = (w * x).sum()
        loss.backward()
        opt.step()
        return loss * 2 if bool(w.sum() > 0) else -loss
    return {"item": by_item, "float": by_float, "bool": by_bool_after_step}, w


@pytest.mark.parametrize("kind", ["item", "float", "bool"])
def test_a_value_read_from_the_state_runs_eagerly_with_one_warning(kind):
    cases, w_c = _state_read_cases()
    (eager_cases, w_e) = _state_read_cases()
    calls = []

    def f(x):
        calls.append(1)
        return cases[kind](x)
    c, e = cr.compile(f), eager_cases[kind]
    with pytest.warns(UserWarning, match="runs uncompiled") as first:
        got = c(f32([1.0, 0.0]))
    assert len([m for m in first if "runs uncompiled" in str(m.message)]) == 1
    assert got.item() == e(f32([1.0, 0.0])).item()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for v in ([1.0, 0.0], [0.0, 1.0], [2.0, 3.0], [-1.0, -4.0], [-9.0, -9.0]):
            assert c(f32(v)).item() == e(f32(v)).item()
            assert np.array_equal(arr(w_c), arr(w_e))
    assert caught == []
    assert len(calls) == 6       # every call ran the function: nothing replayed
    assert n_programs(c) == 0


def test_a_bool_of_the_state_before_any_update_is_checked_by_the_replay():
    """A decision on a parameter-dependent value, taken before the step changes anything, is
    re-computed by the replay where it was read: changing the parameter flips the branch."""
    w = f32([0.5, -1.0]).requires_grad_()

    def f(x):
        loss = (w * x).sum()
        return loss * 2 if bool(loss > 0) else -loss
    c = cr.compile(f)
    with strict():
        for i, v in enumerate(([1.0, 0.0], [0.0, 1.0], [2.0, 3.0], [3.0, 1.0], [1.0, 0.0])):
            if i == 4:
                with cr.no_grad():
                    w.mul_(-1)
            x = f32(v)
            assert c(x).item() == f(x).item(), v
    assert n_programs(c) == 2


def test_a_step_that_branches_on_the_loss_falls_back_and_stays_right():
    t = Twins(mlp(nn.Tanh()), OPTIMIZERS["sgd"], F.cross_entropy)
    model_e, model_c = t.models

    def make(model, opt):
        def step(x, y):
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            if loss.item() > 0:
                loss.backward()
                opt.step()
            return loss
        return step
    eager, c = make(model_e, t.opts[0]), cr.compile(make(model_c, t.opts[1]))
    with pytest.warns(UserWarning, match="runs uncompiled"):
        x, y = classes()(np.random.default_rng(0))
        assert c(x, y).item() == eager(x, y).item()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for i in range(1, 5):
            x, y = classes()(np.random.default_rng(i))
            assert c(x, y).item() == eager(x, y).item()
    assert caught == []
    assert_same_state(model_e, model_c)


def test_a_bool_of_the_state_after_an_in_place_write_is_checked_by_the_replay():
    """A branch on a parameter the step wrote in place (not an optimizer's step): the replay
    checks it where it was read, and a miss undoes the write before tracing anew."""
    def make():
        w = f32([0.5, -1.0]).requires_grad_()

        def f(x):
            loss = (w * x).sum()
            loss.backward()
            with cr.no_grad():
                w.sub_(0.1 * w.grad)
            w.grad = None
            return loss * 2 if bool(w.sum() > 0) else -loss
        return f, w
    (e, w_e), (c, w_c) = make(), make()
    c = cr.compile(c)
    branches = set()
    with strict():
        for i in range(14):
            x = f32([-1.0, -1.0 + 0.3 * i])
            got, want = c(x).item(), e(x).item()
            assert got == want, i
            assert np.array_equal(arr(w_e), arr(w_c)), i
            branches.add(bool(w_e.sum() > 0))
    assert branches == {True, False}
    assert n_programs(c) == 2


@pytest.mark.parametrize("kind", ["item", "bool_all"])
def test_a_branch_on_the_inputs_alone_becomes_a_guard(kind):
    w = f32([0.5, -1.5]).requires_grad_()

    def f(x):
        if kind == "item":
            positive = (x.sum() > 0).item()
        else:
            positive = bool((x > 0).all())
        return (w * x).sum() * 2 if positive else (w * x).exp().sum()
    c = cr.compile(f)
    inputs = ([1.0, 2.0], [-1.0, -2.0], [3.0, 0.5], [-5.0, -0.1], [0.2, 0.1], [-0.3, -7.0])
    with strict():
        for v in inputs:
            got, want = c(f32(v)), f(f32(v))
            assert got.item() == want.item(), v
    assert n_programs(c) == 2  # both branches cached
    assert len(c._programs) == 1


# ----- 5. hooks ---------------------------------------------------------------------------
def test_a_hook_on_a_parameter_is_refused_and_still_called():
    w_e, w_c = f32([1.0, 2.0]).requires_grad_(), f32([1.0, 2.0]).requires_grad_()
    seen, seen_e = [], []
    w_c.register_hook(lambda g: seen.append(arr(g)))
    w_e.register_hook(lambda g: seen_e.append(arr(g)))

    def make(w):
        def f(x):
            loss = (w * x).tanh().sum()
            loss.backward()
            return loss
        return f
    e, c = make(w_e), cr.compile(make(w_c))
    with pytest.warns(UserWarning, match="runs uncompiled"):
        c(f32([1.0, -1.0]))
    e(f32([1.0, -1.0]))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for i in range(1, 4):
            x = f32(np.random.default_rng(i).standard_normal(2))
            assert c(x).item() == e(x).item()
            assert np.array_equal(seen[-1], seen_e[-1])
    assert caught == []
    assert len(seen) == len(seen_e) == 4
    assert np.array_equal(arr(w_e.grad), arr(w_c.grad))


def test_a_hook_registered_inside_is_refused_and_called_every_call():
    seen = []

    def f(x):
        h = x * 3
        h.register_hook(lambda g: seen.append(1) or g * 2)
        loss = (h * h).sum()
        loss.backward()
        return x.grad
    c = cr.compile(f)
    with pytest.warns(UserWarning, match="runs uncompiled"):
        g = c(f32([1.0, 2.0]).requires_grad_())
    assert g.tolist() == [36.0, 72.0]  # d/dx 9x^2 = 18x, doubled by the hook
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for v in ([1.0, -1.0], [0.5, 3.0]):
            assert np.array_equal(arr(c(f32(v).requires_grad_())),
                                  arr(f(f32(v).requires_grad_())))
    assert caught == []
    assert len(seen) == 5  # 3 compiled calls + 2 eager


# ----- 6. in-place writes into inputs -----------------------------------------------------
def test_a_tensor_input_written_in_place_under_no_grad():
    def f(x, w):
        with cr.no_grad():
            x.add_(1)
        return (x * w).sum()
    c = cr.compile(f)
    xc, xe = f32([0.0, 1.0, 2.0]), f32([0.0, 1.0, 2.0])
    w = f32([1.0, 2.0, 3.0])
    with strict():
        for _ in range(4):
            assert c(xc, w).item() == f(xe, w).item()
            assert np.array_equal(arr(xc), arr(xe))
    assert xc.tolist() == [4.0, 5.0, 6.0]
    assert n_programs(c) == 1


def test_a_numpy_input_written_in_place():
    def f(a):
        a[...] += 1.0
        return np.sin(a) * 2
    c = cr.compile(f)
    a, b = np.zeros(3), np.zeros(3)
    with strict():
        for _ in range(4):
            got, want = c(a), f(b)
            assert type(got) is np.ndarray and np.array_equal(got, want)
            assert np.array_equal(a, b)
    assert a.tolist() == [4.0, 4.0, 4.0]
    assert n_programs(c) == 1


def test_outputs_are_not_aliased_between_replays():
    c = cr.compile(lambda a: np.cos(a) + 1)
    with strict():
        first = c(np.zeros(3))
        second = c(np.ones(3))
    assert first.tolist() == [2.0, 2.0, 2.0]
    assert np.array_equal(second, np.cos(np.ones(3)) + 1)


# ----- 10. randomness ---------------------------------------------------------------------
def test_dropout_masks_are_new_on_every_replay_and_match_eager_under_a_seed():
    cr.manual_seed(0)
    layer = nn.Sequential(nn.Linear(8, 64), nn.Dropout(0.5))
    twin = copy.deepcopy(layer)
    c = cr.compile(layer)
    x = f32(np.ones((4, 8)))
    with strict():
        outs = [arr(c(x)) for _ in range(4)]
    assert not np.array_equal(outs[2], outs[3])  # two replays, same input
    assert not np.array_equal(outs[1], outs[2])
    with strict():
        for seed in (3, 4, 3):
            cr.manual_seed(seed)
            got = arr(c(x))
            cr.manual_seed(seed)
            assert np.array_equal(got, arr(twin(x)))
    cr.manual_seed(3)
    a = arr(c(x))
    cr.manual_seed(3)
    assert np.array_equal(a, arr(c(x)))  # the replay draws from the seeded generator


def test_randn_inside_is_drawn_anew_each_replay():
    def f(x):
        return x + cr.randn(5)
    c = cr.compile(f)
    x = cr.zeros(5)
    with strict():
        outs = [arr(c(x)) for _ in range(3)]
        cr.manual_seed(11)
        got = arr(c(x))
    cr.manual_seed(11)
    assert np.array_equal(got, arr(f(x)))
    assert not np.array_equal(outs[1], outs[2])


# ----- 8. API: source, decorators, modules, outputs ---------------------------------------
def test_source_before_and_after_the_first_call():
    c = cr.compile(lambda x: x * 2)
    with pytest.raises(RuntimeError):
        c.source()
    c(cr.ones(2))
    src = c.source()
    assert isinstance(src, str) and "def replay" in src


def test_decorator_forms():
    @cr.compile
    def f(x):
        return x + 1

    @cr.compile(cache_size=2)
    def g(x):
        return x - 1
    with strict():
        for _ in range(3):
            assert f(f32([1.0, 2.0])).tolist() == [2.0, 3.0]
            assert g(f32([1.0, 2.0])).tolist() == [0.0, 1.0]
    assert isinstance(f, cr.compiler.CompiledFunction) and f.__name__ == "f"
    assert g.cache_size == 2 and n_programs(f) == n_programs(g) == 1


def test_compiled_module_forward_equals_eager():
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    cm = cr.compile(model)
    with strict():
        for i in range(4):
            x = f32(np.random.default_rng(i).standard_normal((3, 4)))
            out = cm(x)
            assert np.array_equal(arr(out), arr(model(x)))
            with cr.no_grad():
                out = cm(x)
                assert out.grad_fn is None
                assert np.array_equal(arr(out), arr(model(x)))


def test_compiled_module_output_is_differentiable_like_eager():
    cr.manual_seed(0)
    model = mlp(nn.Tanh())()
    twin = copy.deepcopy(model)
    cm = cr.compile(model)
    with strict():
        for i in range(4):
            x, y = classes()(np.random.default_rng(i))
            losses = []
            for m, fwd in ((model, cm), (twin, twin)):
                m.zero_grad()
                loss = F.cross_entropy(fwd(x), y)
                loss.backward()
                losses.append(loss.item())
            assert losses[0] == losses[1]
            assert_same_state(model, twin)
    cm(x)  # the parameters' grads are present now: a new trace (its output is eager's)
    out = cm(x)
    assert out.grad_fn is not None and out.grad_fn.name == "CompiledBackward"
    with pytest.raises(RuntimeError, match="create_graph"):
        cr.autograd.grad(out.sum(), list(model.parameters()), create_graph=True)


def test_a_whole_step_returns_a_detached_loss_from_replays():
    t = Twins(mlp(nn.Tanh()), OPTIMIZERS["sgd"], F.cross_entropy)
    x, y = classes()(np.random.default_rng(0))
    with strict():
        t.compiled(x, y), t.compiled(x, y)  # the traces (grads None, then present)
        for _ in range(3):
            loss = t.compiled(x, y)
            assert loss.grad_fn is None and not loss.requires_grad


def test_a_whole_step_returns_a_detached_loss_from_the_tracing_call():
    t = Twins(mlp(nn.Tanh()), OPTIMIZERS["sgd"], F.cross_entropy)
    loss = t.compiled(*classes()(np.random.default_rng(0)))
    assert loss.grad_fn is None and not loss.requires_grad


def test_structured_arguments_and_outputs():
    def f(inputs, scale=1.0):
        return {"sum": (inputs["a"] * scale + inputs["b"]).sum(), "pair": (inputs["a"], 3)}
    c = cr.compile(f)
    with strict():
        for i in range(3):
            r = np.random.default_rng(i)
            d = {"a": f32(r.standard_normal(3)), "b": f32(r.standard_normal(3))}
            got, want = c(d, scale=2.0), f(d, scale=2.0)
            assert got["sum"].item() == want["sum"].item()
            assert np.array_equal(arr(got["pair"][0]), arr(d["a"])) and got["pair"][1] == 3
    assert n_programs(c) == 1


# ----- 7. memory --------------------------------------------------------------------------
def test_memory_stays_flat_over_ten_thousand_replays():
    model = nn.Sequential(nn.Linear(3, 4, bias=False), nn.ReLU(), nn.Linear(4, 1, bias=False))
    opt = optim.SGD(model.parameters(), lr=1e-3)

    @cr.compile
    def step(x, y):
        opt.zero_grad()
        loss = F.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        return loss
    x, y = f32(np.ones((4, 3))), f32(np.zeros((4, 1)))
    with strict():
        for _ in range(20):
            step(x, y)
        gc.collect()
        objects = len(gc.get_objects())
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            for _ in range(10_000):
                step(x, y)
            gc.collect()
            grown = tracemalloc.get_traced_memory()[0] - before
        finally:
            tracemalloc.stop()
    assert grown < 64 << 10  # under 7 bytes a replay
    assert len(gc.get_objects()) - objects < 100
    assert n_programs(step) == 2


def test_fused_elementwise_chain_matches_eager():
    pytest.importorskip("numba")

    def chain(x):
        y = x
        for _ in range(20):
            y = (y * 0.9).tanh() + 0.1
        loss = y.sum()
        loss.backward()
        return loss, x.grad
    fused = cr.compile(chain, fuse=True)
    for i in range(3):
        x0 = np.random.default_rng(i).standard_normal(16)
        a = chain(cr.tensor(x0, requires_grad=True))
        b = fused(cr.tensor(x0, requires_grad=True))
        np.testing.assert_allclose(b[0].item(), a[0].item(), rtol=1e-14)
        np.testing.assert_allclose(b[1].numpy(), a[1].numpy(), rtol=1e-13)
    assert "_vm(" in fused.source()
