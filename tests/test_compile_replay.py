"""cr.compile: a replay equals eager bitwise, every guard re-traces, and what a replay
cannot repeat runs eagerly with one warning."""
import copy
import gc
import tracemalloc
import warnings

import numpy as np
import pytest

import chainrule as cr

nn, F = cr.nn, cr.nn.functional


def programs(compiled) -> int:
    return sum(len(v) for v in compiled._programs.values())


def f32(a):
    return cr.tensor(np.asarray(a, np.float32))


def twin_steps(make_model, make_opt, loss_fn):
    """An eager step and a compiled one, on deep-copied twins with their own optimizers."""
    cr.manual_seed(0)
    base = make_model()
    steps, models = [], []
    for compiled in (False, True):
        model = copy.deepcopy(base)
        opt = make_opt(model.parameters())

        def step(x, y, model=model, opt=opt):
            opt.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
            return loss
        steps.append(cr.compile(step) if compiled else step)
        models.append(model)
    return steps, models


def assert_same(models):
    a, b = models
    for p, q in zip(list(a.parameters()) + list(a.buffers()),
                    list(b.parameters()) + list(b.buffers())):
        assert np.array_equal(p.detach().numpy(), q.detach().numpy())
        if getattr(p, "grad", None) is not None:
            assert np.array_equal(p.grad.numpy(), q.grad.numpy())


def run_twins(make_model, make_opt, loss_fn, batch, steps=6):
    (eager, compiled), models = twin_steps(make_model, make_opt, loss_fn)
    losses = {0: [], 1: []}
    for i in range(steps):
        x, y = batch(np.random.default_rng(i))
        for k, step in enumerate((eager, compiled)):
            cr.manual_seed(100 + i)  # dropout draws the same masks in both
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                losses[k].append(step(x, y).item())
    assert losses[0] == losses[1]
    assert_same(models)
    assert 1 <= programs(compiled) <= 2  # grads None, then present
    return compiled


def classes(n=8, d=4, k=3):
    return lambda r: (f32(r.standard_normal((n, d))), cr.tensor(r.integers(0, k, n)))


def mlp(*hidden_layers):
    return lambda: nn.Sequential(nn.Linear(4, 16), *hidden_layers, nn.Linear(16, 3))


@pytest.mark.parametrize("make_opt", [
    lambda p: cr.optim.SGD(p, 0.1), lambda p: cr.optim.SGD(p, 0.1, momentum=0.9),
    lambda p: cr.optim.Adam(p, 1e-2), lambda p: cr.optim.AdamW(p, 1e-2),
    lambda p: cr.optim.RMSprop(p, 1e-2), lambda p: cr.optim.Adagrad(p, 1e-1)],
    ids=["sgd", "momentum", "adam", "adamw", "rmsprop", "adagrad"])
def test_mlp_steps_replay_bitwise(make_opt):
    run_twins(mlp(nn.Tanh()), make_opt, F.cross_entropy, classes())


def test_dropout_and_batchnorm_replay_bitwise():
    run_twins(mlp(nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(0.3)),
              lambda p: cr.optim.SGD(p, 0.1), F.cross_entropy, classes())


def test_cnn_step_replays_bitwise():
    def model():
        return nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Flatten(), nn.Linear(4 * 3 * 3, 3))
    run_twins(model, lambda p: cr.optim.SGD(p, 0.1), F.cross_entropy,
              lambda r: (f32(r.standard_normal((5, 1, 8, 8))), cr.tensor(r.integers(0, 3, 5))))


class LSTMNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb, self.lstm, self.out = nn.Embedding(10, 6), nn.LSTM(6, 8, batch_first=True), \
            nn.Linear(8, 10)

    def forward(self, x):
        h, _ = self.lstm(self.emb(x))
        return self.out(h[:, -1])


def test_lstm_step_replays_bitwise():
    run_twins(LSTMNet, lambda p: cr.optim.Adam(p, 1e-2), F.cross_entropy,
              lambda r: (cr.tensor(r.integers(0, 10, (4, 5))), cr.tensor(r.integers(0, 10, 4))))


def test_rl_step_replays_bitwise():
    def model():
        return nn.Sequential(nn.Linear(4, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(),
                             nn.Linear(64, 2))
    run_twins(model, lambda p: cr.optim.Adam(p, 1e-3), F.mse_loss,
              lambda r: (f32(r.standard_normal((32, 4))), f32(r.standard_normal((32, 2)))))


def test_scheduler_inside_the_step_keeps_changing_the_rate():
    cr.manual_seed(0)
    base = mlp(nn.Tanh())()
    results = []
    for compiled in (False, True):
        model = copy.deepcopy(base)
        opt = cr.optim.SGD(model.parameters(), 0.5)
        sched = cr.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)

        def step(x, y, model=model, opt=opt, sched=sched):
            opt.zero_grad()
            F.cross_entropy(model(x), y).backward()
            opt.step()
            sched.step()
        f = cr.compile(step) if compiled else step
        for i in range(5):
            f(*classes()(np.random.default_rng(i)))
        results.append([p.detach().numpy().copy() for p in model.parameters()])
        assert opt.param_groups[0]["lr"] == 0.5 * 0.5 ** 5
    for a, b in zip(*results):
        assert np.array_equal(a, b)


# ----- transforms and NumPy code ----------------------------------------------------------
W = np.random.default_rng(0).standard_normal((5, 6)) * 0.3


def numpy_f(v):
    return np.sum(np.tanh(W @ v)) + 0.5 * np.sum(v * v * v)


@pytest.mark.parametrize("transform", [cr.func.grad, cr.func.hessian])
def test_transforms_of_numpy_code_replay(transform):
    plain, compiled = transform(numpy_f), cr.compile(transform(numpy_f))
    rng = np.random.default_rng(1)
    for _ in range(4):
        v = rng.standard_normal(6)
        out = compiled(v)
        assert type(out) is np.ndarray
        assert np.array_equal(out, plain(v))
    assert programs(compiled) == 1


def test_hessian_of_tensor_code_replays():
    wt = cr.tensor(W)

    def f(v):
        return (wt @ v).tanh().sum() + 0.5 * (v * v * v).sum()
    plain, compiled = cr.func.hessian(f), cr.compile(cr.func.hessian(f))
    for i in range(3):
        v = cr.tensor(np.random.default_rng(i).standard_normal(6))
        assert np.array_equal(compiled(v).numpy(), plain(v).numpy())


# ----- guards -----------------------------------------------------------------------------
def test_each_guard_traces_anew_and_stays_right():
    def f(x, scale):
        return (x * scale).tanh().sum()
    c = cr.compile(f)
    x = cr.ones(3)
    assert c(x, 2.0).item() == f(x, 2.0).item()
    assert c(x, 3.0).item() == f(x, 3.0).item()               # a Python value
    assert programs(c) == 2
    assert c(cr.ones(4), 2.0).item() == f(cr.ones(4), 2.0).item()  # a shape
    assert programs(c) == 3
    x64 = cr.ones(3, dtype=cr.float64)
    assert c(x64, 2.0).dtype == cr.float64                     # a dtype
    assert programs(c) == 4
    with cr.no_grad():                                         # grad mode
        c(cr.ones(3, requires_grad=True), 2.0)
    assert programs(c) == 5
    c(x, 2.0)
    assert programs(c) == 5                                    # nothing new: replayed


def test_train_and_eval_modes_are_guarded():
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 8), nn.Dropout(0.5), nn.BatchNorm1d(8))
    c = cr.compile(model)
    x = cr.randn(6, 3)
    model.eval()
    assert np.array_equal(c(x).detach().numpy(), model(x).detach().numpy())
    model.train()
    cr.manual_seed(5)
    a = c(x).detach().numpy()
    cr.manual_seed(5)
    b = model(x).detach().numpy()
    assert np.array_equal(a, b)
    assert programs(c) == 2


def test_accumulation_without_zero_grad_matches_eager():
    w_e = cr.tensor([1.0, -2.0, 3.0], requires_grad=True)
    w_c = cr.tensor([1.0, -2.0, 3.0], requires_grad=True)

    def make(w):
        def step(x):
            (w * x).tanh().sum().backward()
        return step
    e, c = make(w_e), cr.compile(make(w_c))
    for i in range(4):
        x = cr.tensor(np.random.default_rng(i).standard_normal(3))
        e(x)
        c(x)
        assert np.array_equal(w_e.grad.numpy(), w_c.grad.numpy())
    assert programs(c) == 2  # .grad None, then present (accumulating)


# ----- what a replay cannot repeat --------------------------------------------------------
def test_a_value_read_from_the_state_runs_eagerly_with_one_warning():
    w = cr.tensor([0.5, -1.0], requires_grad=True)
    calls = []

    def f(x):
        loss = (w * x).sum()
        calls.append(1)
        return loss * 2 if loss.item() > 0 else loss * 3
    c = cr.compile(f)
    with pytest.warns(UserWarning, match="runs uncompiled"):
        c(cr.tensor([1.0, 0.0]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for x in ([1.0, 0.0], [0.0, 1.0]):
            assert c(cr.tensor(x)).item() == f(cr.tensor(x)).item()
    assert len(calls) == 5  # eager every time: nothing replayed


def test_a_branch_on_the_inputs_is_a_guard():
    def f(x):
        return (x * 2).sum() if (x.sum() > 0).item() else (x * 3).sum()
    c = cr.compile(f)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for x in ([1.0, 2.0], [-1.0, -2.0], [3.0, 1.0], [-5.0, 1.0]):
            assert c(cr.tensor(x)).item() == f(cr.tensor(x)).item()
    assert programs(c) == 2  # both branches cached


def test_a_hook_is_refused_and_still_called():
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    w.register_hook(lambda g: seen.append(1))

    def f(x):
        (w * x).sum().backward()
    c = cr.compile(f)
    with pytest.warns(UserWarning, match="hooks"):
        c(cr.ones(2))
    c(cr.ones(2))
    c(cr.ones(2))
    assert len(seen) == 3


def test_an_input_written_in_place_is_written_each_replay():
    def f(a):
        a[...] += 1.0
        return np.sin(a)
    c = cr.compile(f)
    a, b = np.zeros(3), np.zeros(3)
    for _ in range(3):
        assert np.array_equal(c(a), f(b))
    assert np.array_equal(a, np.full(3, 3.0))


def test_dropout_masks_are_new_on_every_replay():
    layer = nn.Dropout(0.5)
    c = cr.compile(layer)
    x = cr.ones(64)
    outs = [c(x).numpy().copy() for _ in range(4)]
    assert not np.array_equal(outs[2], outs[3])


# ----- outputs, the API, memory -----------------------------------------------------------
def test_a_compiled_module_output_is_differentiable():
    cr.manual_seed(0)
    model = mlp(nn.Tanh())()
    twin = copy.deepcopy(model)
    c = cr.compile(model)
    for i in range(4):
        x, y = classes()(np.random.default_rng(i))
        for m, fwd in ((model, c), (twin, twin)):
            m.zero_grad()
            F.cross_entropy(fwd(x), y).backward()
        for p, q in zip(model.parameters(), twin.parameters()):
            assert np.array_equal(p.grad.numpy(), q.grad.numpy())
    model.zero_grad()  # the state the replays ran in (.grad is guarded)
    assert c(x).grad_fn.name == "CompiledBackward"
    with pytest.raises(RuntimeError, match="create_graph"):
        cr.autograd.grad(c(x).sum(), list(model.parameters()), create_graph=True)


def test_a_whole_step_returns_a_detached_loss():
    (_, compiled), _ = twin_steps(mlp(nn.Tanh()), lambda p: cr.optim.SGD(p, 0.1),
                                  F.cross_entropy)
    x, y = classes()(np.random.default_rng(0))
    for _ in range(3):
        loss = compiled(x, y)
    assert loss.grad_fn is None


def test_source_and_decorator_forms():
    c = cr.compile(lambda x: x * 2)
    with pytest.raises(RuntimeError, match="not been traced"):
        c.source()
    c(cr.ones(2))
    assert "def replay" in c.source()

    @cr.compile
    def f(x):
        return x + 1

    @cr.compile(cache_size=2)
    def g(x):
        return x - 1
    assert f(cr.ones(2)).tolist() == [2.0, 2.0] and g(cr.ones(2)).tolist() == [0.0, 0.0]
    assert g.cache_size == 2


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


def test_memory_stays_flat_over_ten_thousand_replays():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    opt = cr.optim.Adam(model.parameters(), 1e-3)

    @cr.compile
    def step(x, y):
        opt.zero_grad()
        loss = F.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        return loss
    x, y = cr.randn(2, 3), cr.randn(2, 1)
    for _ in range(50):
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
    assert grown < 256 << 10
    assert len(gc.get_objects()) - objects < 200
    assert programs(step) == 2
