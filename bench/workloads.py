"""The benchmark workloads, written once per library.

Every workload builds the same inputs from the same seed and returns ``(step, check)``:
``step()`` runs one forward+backward (+update) and ``check()`` returns ``(loss,
gradient norm)`` of one step from the starting point, so the runner can verify that every
library did the same work. ``numpy`` is hand-written NumPy with no autograd: the floor.
"""
from __future__ import annotations

import numpy as np

CHAIN_OPS = 300
MILLION = 1_000_000


def _init(*shapes, seed=0, scale=0.1, dtype=np.float32):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal(s) * scale).astype(dtype) for s in shapes]


def mlp_data():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((128, 784)).astype(np.float32)
    y = rng.integers(0, 10, 128)
    params = _init((784, 256), (256,), (256, 128), (128,), (128, 10), (10,))
    return x, y, params


def rl_data():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((32, 4)).astype(np.float32)
    target = rng.standard_normal((32, 2)).astype(np.float32)
    params = _init((4, 64), (64,), (64, 64), (64,), (64, 2), (2,), seed=3)
    return x, target, params


def cnn_data():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((32, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, 32)
    params = _init((8, 1, 3, 3), (8,), (16, 8, 3, 3), (16,), (16 * 12 * 12, 10), (10,), seed=5)
    return x, y, params


def hessian_data():
    rng = np.random.default_rng(6)
    w = rng.standard_normal((32, 64)) * 0.2
    a = rng.standard_normal((64, 64)) * 0.1
    x = rng.standard_normal(64)
    return w, (a + a.T) / 2, x


def chain_data():
    return np.linspace(-1, 1, 16)


def resnet_data():
    rng = np.random.default_rng(8)
    x = rng.standard_normal((16, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, 16)
    return x, y


def lstm_lm_data():
    rng = np.random.default_rng(9)
    tokens = rng.integers(0, LM_VOCAB, (LM_BPTT + 1, LM_BATCH))
    return tokens[:-1], tokens[1:].reshape(-1)


LM_VOCAB, LM_EMSIZE, LM_NHID, LM_LAYERS, LM_BPTT, LM_BATCH = 1000, 200, 200, 2, 35, 20


def _set_parameters(lib, model, seed):
    """The same starting point in every library: matrices He-normal (the LSTM's and the
    embedding's uniform(-0.1, 0.1), as word_language_model's), 1-D weights (BatchNorm's)
    ones, biases zeros, in the order of ``named_parameters`` (the same in both)."""
    rng = np.random.default_rng(seed)
    with lib.no_grad():
        for name, p in model.named_parameters():
            shape = tuple(p.shape)
            if len(shape) == 1:
                arr = np.ones(shape) if name.endswith("weight") else np.zeros(shape)
            elif "rnn" in name or "encoder" in name or "decoder" in name:
                arr = rng.uniform(-0.1, 0.1, shape)
            else:
                arr = rng.standard_normal(shape) * np.sqrt(2.0 / np.prod(shape[1:]))
            p.copy_(lib.from_numpy(arr.astype(np.float32)))
    return model


def _resnet18(lib, classes=10):
    """ResNet-18 (BasicBlocks, width 64) for 1-channel images, as torchvision's."""
    nn = lib.nn

    class BasicBlock(nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.down = None
            if stride != 1 or cin != cout:
                self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                          nn.BatchNorm2d(cout))

        def forward(self, x):
            out = self.bn1(self.conv1(x)).relu()
            out = self.bn2(self.conv2(out))
            return (out + (x if self.down is None else self.down(x))).relu()

    layers = [nn.Conv2d(1, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
              nn.MaxPool2d(3, 2, 1)]
    cin = 64
    for cout, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
        layers += [BasicBlock(cin, cout, stride), BasicBlock(cout, cout, 1)]
        cin = cout
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, classes)]
    return nn.Sequential(*layers)


def _word_lm(lib):
    """word_language_model's RNNModel (LSTM, no dropout: the same work in every library)."""
    nn = lib.nn

    class RNNModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = nn.Embedding(LM_VOCAB, LM_EMSIZE)
            self.rnn = nn.LSTM(LM_EMSIZE, LM_NHID, LM_LAYERS)
            self.decoder = nn.Linear(LM_NHID, LM_VOCAB)

        def forward(self, tokens, hidden):
            output, hidden = self.rnn(self.encoder(tokens), hidden)
            decoded = self.decoder(output).reshape(-1, LM_VOCAB)
            return lib.nn.functional.log_softmax(decoded, dim=1), hidden

    return RNNModel()


def _adam_state(params):
    return {"t": 0, "m": [np.zeros_like(p) for p in params],
            "v": [np.zeros_like(p) for p in params]}


def _adam_step(params, grads, state, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8):
    """PyTorch's Adam update, in place on raw arrays (for the libraries without one)."""
    state["t"] += 1
    t = state["t"]
    for p, g, m, v in zip(params, grads, state["m"], state["v"]):
        m *= b1
        m += (1 - b1) * g
        v *= b2
        v += (1 - b2) * g * g
        p -= (lr / (1 - b1 ** t)) * m / (np.sqrt(v / (1 - b2 ** t)) + eps)


def _norm(grads):
    return float(np.sqrt(sum(float(np.sum(np.asarray(g, dtype=np.float64) ** 2)) for g in grads)))


# ======================================================================= hand-written NumPy
class numpy_floor:
    @staticmethod
    def _ce(logits, y):
        m = logits.max(1, keepdims=True)
        e = np.exp(logits - m)
        s = e.sum(1, keepdims=True)
        loss = float(np.mean(np.log(s[:, 0]) + m[:, 0] - logits[np.arange(len(y)), y]))
        g = e / s
        g[np.arange(len(y)), y] -= 1
        return loss, g / len(y)

    @staticmethod
    def _mlp_grads(x, p, head):
        """Backprop by hand through relu(relu(x W1 + b1) W2 + b2) W3 + b3; ``head`` maps the
        output to (loss, d loss / d output)."""
        w1, b1, w2, b2, w3, b3 = p
        a1 = x @ w1 + b1
        h1 = np.maximum(a1, 0)
        a2 = h1 @ w2 + b2
        h2 = np.maximum(a2, 0)
        loss, g = head(h2 @ w3 + b3)
        gw3, gb3 = h2.T @ g, g.sum(0)
        g = (g @ w3.T) * (a2 > 0)
        gw2, gb2 = h1.T @ g, g.sum(0)
        g = (g @ w2.T) * (a1 > 0)
        return loss, [x.T @ g, g.sum(0), gw2, gb2, gw3, gb3]

    @staticmethod
    def _trainer(data, grads, update):
        params = data()[2]

        def step():
            update(params, grads(params)[1])

        def check():
            loss, gs = grads(data()[2])
            return loss, _norm(gs)
        return step, check

    @staticmethod
    def _sgd(params, grads):
        for p, g in zip(params, grads):
            p -= 0.01 * g

    @staticmethod
    def mlp():
        x, y, _ = mlp_data()
        return numpy_floor._trainer(
            mlp_data, lambda p: numpy_floor._mlp_grads(x, p, lambda out: numpy_floor._ce(out, y)),
            numpy_floor._sgd)

    @staticmethod
    def rl():
        x, target, params = rl_data()
        state = _adam_state(params)

        def mse(out):
            diff = out - target
            return float(np.mean(diff * diff)), 2 * diff / diff.size

        return numpy_floor._trainer(rl_data, lambda p: numpy_floor._mlp_grads(x, p, mse),
                                    lambda ps, gs: _adam_step(ps, gs, state))

    @staticmethod
    def chain():
        x0 = chain_data()

        def run():
            ys = [x0]
            y = x0
            for _ in range(CHAIN_OPS // 3):
                y = np.sin(y * 0.9) + 0.1
                ys.append(y)
            g = np.ones_like(y)
            for prev in reversed(ys[:-1]):
                g = g * np.cos(prev * 0.9) * 0.9
            return float(y.sum()), g

        def step():
            run()

        def check():
            loss, g = run()
            return loss, _norm([g])
        return step, check

    @staticmethod
    def matmul():
        a, b = _init((1024, 1024), (1024, 1024), seed=7, scale=1.0)

        def run():
            c = a @ b
            g = np.ones_like(c)
            return float(c.sum(dtype=np.float64)), [g @ b.T, a.T @ g]

        def step():
            run()

        def check():
            loss, gs = run()
            return loss, _norm(gs)
        return step, check

    @staticmethod
    def cnn():
        from numpy.lib.stride_tricks import sliding_window_view as windows
        x, y, _ = cnn_data()

        def conv(inp, w, b):
            cols = windows(inp, w.shape[2:], axis=(2, 3))  # N C H W kh kw
            n, c, h, wd = cols.shape[:4]
            mat = cols.transpose(0, 2, 3, 1, 4, 5).reshape(n * h * wd, -1)
            out = (mat @ w.reshape(w.shape[0], -1).T).reshape(n, h, wd, -1)
            return out.transpose(0, 3, 1, 2) + b[:, None, None], mat

        def conv_back(g, mat, w, in_shape):
            n, o, h, wd = g.shape
            gm = g.transpose(0, 2, 3, 1).reshape(n * h * wd, o)
            gw = (gm.T @ mat).reshape(w.shape)
            gcols = (gm @ w.reshape(o, -1)).reshape(n, h, wd, w.shape[1], 3, 3)
            gx = np.zeros(in_shape, g.dtype)
            for i in range(3):
                for j in range(3):
                    gx[:, :, i:i + h, j:j + wd] += gcols[:, :, :, :, i, j].transpose(0, 3, 1, 2)
            return gx, gw, g.sum((0, 2, 3))

        def grads(p):
            w1, b1, w2, b2, w3, b3 = p
            a1, m1 = conv(x, w1, b1)
            h1 = np.maximum(a1, 0)
            a2, m2 = conv(h1, w2, b2)
            h2 = np.maximum(a2, 0)
            n, c, hh, ww = h2.shape
            blocks = h2.reshape(n, c, hh // 2, 2, ww // 2, 2)
            pooled = blocks.max((3, 5))
            flat = pooled.reshape(n, -1)
            loss, g = numpy_floor._ce(flat @ w3 + b3, y)
            gw3, gb3 = flat.T @ g, g.sum(0)
            gp = (g @ w3.T).reshape(pooled.shape)
            mask = blocks == pooled[:, :, :, None, :, None]
            gh2 = (mask * gp[:, :, :, None, :, None]).reshape(h2.shape) * (a2 > 0)
            gh1, gw2, gb2 = conv_back(gh2, m2, w2, h1.shape)
            _, gw1, gb1 = conv_back(gh1 * (a1 > 0), m1, w1, x.shape)
            return loss, [gw1, gb1, gw2, gb2, gw3, gb3]

        return numpy_floor._trainer(cnn_data, grads, numpy_floor._sgd)

    @staticmethod
    def hessian():
        w, a, x = hessian_data()

        def run():
            t = np.tanh(w @ x)
            return (w.T * (-2 * t * (1 - t * t))) @ w + a

        def step():
            run()

        def check():
            t = np.tanh(w @ x)
            return float(np.sum(t) + 0.5 * x @ a @ x), _norm([run()])
        return step, check


# ======================================================================= chainrule, PyTorch
class torchlike:
    """One implementation for chainrule and PyTorch: chainrule follows PyTorch's API, so
    the same code runs on either module."""

    module = None

    @classmethod
    def _lib(cls):
        lib = __import__(cls.module)
        return lib, __import__(f"{cls.module}.nn.functional", fromlist=["_"])

    @classmethod
    def _model(cls, kind, arrays):
        """The cell's model as a user writes it, started at the floor's ``arrays``: an
        ``nn.Sequential`` of Linear/ReLU layers (``mlp``) or Conv2d/ReLU/MaxPool2d/Flatten/
        Linear (``cnn``). The arrays are the floor's ``x @ w`` matrices, so a Linear layer's
        weight (out, in) is the array transposed; biases and conv kernels go in as they are,
        in the order of ``named_parameters`` (the same in both libraries)."""
        lib, _ = cls._lib()
        nn = lib.nn
        if kind == "cnn":
            model = nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU(), nn.Conv2d(8, 16, 3), nn.ReLU(),
                                  nn.MaxPool2d(2), nn.Flatten(), nn.Linear(16 * 12 * 12, 10))
        else:
            (n_in, h1), (_, h2), (_, n_out) = (a.shape for a in arrays[::2])
            model = nn.Sequential(nn.Linear(n_in, h1), nn.ReLU(), nn.Linear(h1, h2), nn.ReLU(),
                                  nn.Linear(h2, n_out))
        params = [(p, isinstance(layer, nn.Linear) and p.ndim == 2)
                  for layer in model for p in layer.parameters()]
        with lib.no_grad():
            for (p, transposed), arr in zip(params, arrays, strict=True):
                p.copy_(lib.from_numpy(np.ascontiguousarray(arr.T if transposed else arr)))
        return model

    @classmethod
    def _trainer(cls, data, kind, loss_name, make_opt):
        """One training step as a user writes it: ``zero_grad()``, the model, the loss from
        ``nn.functional``, ``backward()``, ``step()``."""
        lib, F = cls._lib()
        x, y, arrays = data()
        xt, yt = lib.from_numpy(x), lib.from_numpy(y)
        model = cls._model(kind, arrays)
        opt = make_opt(lib.optim, model.parameters())
        loss_fn = F.cross_entropy if loss_name == "ce" else F.mse_loss

        def step():
            opt.zero_grad()
            loss = loss_fn(model(xt), yt)
            loss.backward()
            opt.step()

        def check():
            fresh = cls._model(kind, data()[2])
            loss = loss_fn(fresh(xt), yt)
            loss.backward()
            return loss.item(), _norm([p.grad.numpy() for p in fresh.parameters()])
        return step, check

    @classmethod
    def mlp(cls):
        return cls._trainer(mlp_data, "mlp", "ce", lambda optim, p: optim.SGD(p, lr=0.01))

    @classmethod
    def rl(cls):
        return cls._trainer(rl_data, "mlp", "mse", lambda optim, p: optim.Adam(p, lr=1e-3))

    @classmethod
    def cnn(cls):
        return cls._trainer(cnn_data, "cnn", "ce", lambda optim, p: optim.SGD(p, lr=0.01))

    @classmethod
    def resnet(cls):
        """One SGD step of ResNet-18 on 16 images of 1x28x28 (a siamese network's branch)."""
        lib, F = cls._lib()
        x, y = resnet_data()
        xt, yt = lib.from_numpy(x), lib.from_numpy(y)
        model = _set_parameters(lib, _resnet18(lib), seed=10)
        opt = lib.optim.SGD(model.parameters(), lr=0.01)

        def step():
            opt.zero_grad()
            F.cross_entropy(model(xt), yt).backward()
            opt.step()

        def check():
            fresh = _set_parameters(lib, _resnet18(lib), seed=10)
            loss = F.cross_entropy(fresh(xt), yt)
            loss.backward()
            return loss.item(), _norm([p.grad.numpy() for p in fresh.parameters()])
        return step, check

    @classmethod
    def lstm_lm(cls):
        """One training step of PyTorch's word_language_model (examples/word_language_model):
        2-layer LSTM, NLL loss, clip_grad_norm_(0.25), SGD (lr 20) through p.data."""
        lib, F = cls._lib()
        data, targets = lstm_lm_data()
        xt, yt = lib.from_numpy(data), lib.from_numpy(targets)
        model = _set_parameters(lib, _word_lm(lib), seed=11)
        zeros = lambda: lib.zeros(LM_LAYERS, LM_BATCH, LM_NHID)
        state = {"hidden": (zeros(), zeros())}

        def step():
            hidden = tuple(h.detach() for h in state["hidden"])  # repackage_hidden
            model.zero_grad()
            output, state["hidden"] = model(xt, hidden)
            F.nll_loss(output, yt).backward()
            lib.nn.utils.clip_grad_norm_(model.parameters(), 0.25)
            for p in model.parameters():
                p.data.add_(p.grad, alpha=-20.0)

        def check():
            fresh = _set_parameters(lib, _word_lm(lib), seed=11)
            output, _ = fresh(xt, (zeros(), zeros()))
            loss = F.nll_loss(output, yt)
            loss.backward()
            return loss.item(), _norm([p.grad.numpy() for p in fresh.parameters()])
        return step, check

    @classmethod
    def _checked(cls, run):
        def check():
            loss, grads = run()
            return loss, _norm(grads)
        return run, check

    @classmethod
    def chain(cls):
        lib, _ = cls._lib()
        x0 = chain_data()

        def run():
            x = lib.tensor(x0, requires_grad=True)
            y = x
            for _ in range(CHAIN_OPS // 3):
                y = (y * 0.9).sin() + 0.1
            loss = y.sum()
            loss.backward()
            return loss.item(), [x.grad.numpy()]
        return cls._checked(run)

    @classmethod
    def matmul(cls):
        lib, _ = cls._lib()
        a, b = _init((1024, 1024), (1024, 1024), seed=7, scale=1.0)

        def run():
            at, bt = lib.tensor(a, requires_grad=True), lib.tensor(b, requires_grad=True)
            loss = (at @ bt).sum()
            loss.backward()
            return float(loss.item()), [at.grad.numpy(), bt.grad.numpy()]
        return cls._checked(run)

    @classmethod
    def _hessian_f(cls):
        """The Hessian cell's function, on this library's tensors, and its point."""
        lib, _ = cls._lib()
        w, a, x = hessian_data()
        wt, at = lib.tensor(w), lib.tensor(a)

        def f(v):
            return (wt @ v).tanh().sum() + 0.5 * (v @ at @ v)
        return lib, f, x

    @classmethod
    def hessian(cls):
        lib, f, x = cls._hessian_f()

        def run():
            return f(lib.tensor(x)).item(), [lib.func.hessian(f)(lib.tensor(x)).numpy()]
        return cls._checked(run)

    @classmethod
    def chain1m(cls):
        lib, _ = cls._lib()

        def run():
            x = lib.tensor(1.0, requires_grad=True)
            y = x
            for _ in range(MILLION):
                y = y * 1.0000001
            y.backward()
            return y.item(), [x.grad.numpy()]
        return cls._checked(run)


class chainrule_lib(torchlike):
    module = "chainrule"


class torch_lib(torchlike):
    module = "torch"


class chainrule_compiled(chainrule_lib):
    """chainrule's idiomatic steps (``torchlike``'s), each wrapped in ``chainrule.compile``:
    the first call traces it (and runs it), later calls replay the program. Every compiled
    function returns tensors; values are read into Python outside it. ``check()`` verifies
    a replay, not the trace."""

    chain1m = resnet = lstm_lm = None  # not compiled here
    fuse = True  # elementwise runs and the optimizer's update fused (numba: the bench extra)

    @classmethod
    def _trainer(cls, data, kind, loss_name, make_opt):
        lib, F = cls._lib()
        x, y, arrays = data()
        xt, yt = lib.from_numpy(x), lib.from_numpy(y)
        loss_fn = F.cross_entropy if loss_name == "ce" else F.mse_loss

        def compiled_step(model):
            opt = make_opt(lib.optim, model.parameters())

            def step():
                opt.zero_grad()
                loss = loss_fn(model(xt), yt)
                loss.backward()
                opt.step()
                return loss
            return lib.compile(step, fuse=cls.fuse)

        step = compiled_step(cls._model(kind, arrays))

        def check():
            fresh = cls._model(kind, data()[2])
            start = [p.detach().clone() for p in fresh.parameters()]
            run = compiled_step(fresh)
            run()  # the trace (it updates the parameters: put them back)
            with lib.no_grad():
                for p, p0 in zip(fresh.parameters(), start):
                    p.copy_(p0)
            loss = run()  # a replay, from the starting point
            return loss.item(), _norm([p.grad.numpy() for p in fresh.parameters()])
        return step, check

    @classmethod
    def _replayed(cls, fn, make_args, finish):
        """``step`` calls ``fn`` (compiled) on fresh ``make_args()``; ``check`` calls it twice
        (trace, then replay) and returns ``finish`` of the replay's outputs."""
        def step():
            fn(*make_args())

        def check():
            fn(*make_args())
            return finish(*fn(*make_args()))
        return step, check

    @classmethod
    def chain(cls):
        lib, _ = cls._lib()
        x0 = chain_data()

        def run(x):
            y = x
            for _ in range(CHAIN_OPS // 3):
                y = (y * 0.9).sin() + 0.1
            loss = y.sum()
            loss.backward()
            return loss, x.grad

        # fuse=True: the elementwise runs go to one numba loop (the compile extra)
        return cls._replayed(lib.compile(run, fuse=True),
                             lambda: (lib.tensor(x0, requires_grad=True),),
                             lambda loss, g: (loss.item(), _norm([g.numpy()])))

    @classmethod
    def matmul(cls):
        lib, _ = cls._lib()
        a, b = _init((1024, 1024), (1024, 1024), seed=7, scale=1.0)

        def run(at, bt):
            loss = (at @ bt).sum()
            loss.backward()
            return loss, at.grad, bt.grad

        return cls._replayed(
            lib.compile(run),
            lambda: (lib.tensor(a, requires_grad=True), lib.tensor(b, requires_grad=True)),
            lambda loss, ga, gb: (float(loss.item()), _norm([ga.numpy(), gb.numpy()])))

    @classmethod
    def hessian(cls):
        lib, f, x = cls._hessian_f()
        h = lib.compile(lib.func.hessian(f))

        def step():
            h(lib.tensor(x))

        def check():
            h(lib.tensor(x))
            return f(lib.tensor(x)).item(), _norm([h(lib.tensor(x)).numpy()])
        return step, check


# ======================================================================= HIPS autograd
class _peer:
    """The MLP and RL workloads of a peer without optimizers, from its ``_mlp_like``."""

    @classmethod
    def mlp(cls):
        return cls._mlp_like(mlp_data, "ce", adam=False)

    @classmethod
    def rl(cls):
        return cls._mlp_like(rl_data, "mse", adam=True)


class autograd_lib(_peer):
    @staticmethod
    def _mlp_like(data, loss_name, adam):
        import autograd.numpy as anp
        from autograd import value_and_grad
        x, y, params = data()

        def loss_of(ps):
            w1, b1, w2, b2, w3, b3 = ps
            h = anp.maximum(anp.maximum(anp.dot(x, w1) + b1, 0) @ w2 + b2, 0) @ w3 + b3
            if loss_name == "ce":
                m = anp.max(h, axis=1, keepdims=True)
                lse = anp.log(anp.sum(anp.exp(h - m), axis=1)) + m[:, 0]
                return anp.mean(lse - h[np.arange(len(y)), y])
            return anp.mean((h - y) ** 2)

        vg = value_and_grad(loss_of)
        state = _adam_state(params)

        def step():
            _, gs = vg(params)
            if adam:
                _adam_step(params, gs, state)
            else:
                for p, g in zip(params, gs):
                    p -= 0.01 * g

        def check():
            loss, gs = vg(data()[2])
            return float(loss), _norm(gs)
        return step, check

    @staticmethod
    def chain():
        import autograd.numpy as anp
        from autograd import value_and_grad
        x0 = chain_data()

        def f(y):
            for _ in range(CHAIN_OPS // 3):
                y = anp.sin(y * 0.9) + 0.1
            return anp.sum(y)
        vg = value_and_grad(f)

        def step():
            vg(x0)

        def check():
            loss, g = vg(x0)
            return float(loss), _norm([g])
        return step, check

    @staticmethod
    def matmul():
        from autograd import value_and_grad
        import autograd.numpy as anp
        a, b = _init((1024, 1024), (1024, 1024), seed=7, scale=1.0)
        vg = value_and_grad(lambda ab: anp.sum(anp.dot(ab[0], ab[1])))

        def step():
            vg([a, b])

        def check():
            loss, gs = vg([a, b])
            return float(loss), _norm(gs)
        return step, check

    @staticmethod
    def hessian():
        import autograd.numpy as anp
        from autograd import hessian
        w, a, x = hessian_data()

        def f(v):
            return anp.sum(anp.tanh(anp.dot(w, v))) + 0.5 * anp.dot(v, anp.dot(a, v))
        h = hessian(f)

        def step():
            h(x)

        def check():
            return float(f(x)), _norm([h(x)])
        return step, check


# ======================================================================= MyGrad
class mygrad_lib(_peer):
    @staticmethod
    def _mlp_like(data, loss_name, adam):
        import mygrad as mg
        x, y, arrays = data()
        params = [mg.Tensor(p.copy()) for p in arrays]
        state = _adam_state(arrays)

        def loss_of(ps):
            w1, b1, w2, b2, w3, b3 = ps
            h = mg.maximum(mg.maximum(mg.matmul(x, w1) + b1, 0) @ w2 + b2, 0) @ w3 + b3
            if loss_name == "ce":
                from mygrad.nnet.losses import softmax_crossentropy
                return softmax_crossentropy(h, y)
            return mg.mean((h - y) ** 2)

        def step():
            loss = loss_of(params)
            loss.backward()
            if adam:
                _adam_step([p.data for p in params], [p.grad for p in params], state)
            else:
                for p in params:
                    p.data -= 0.01 * p.grad

        def check():
            fresh = [mg.Tensor(p) for p in data()[2]]
            loss = loss_of(fresh)
            loss.backward()
            return float(loss.item()), _norm([p.grad for p in fresh])
        return step, check

    @staticmethod
    def chain():
        import mygrad as mg
        x0 = chain_data()

        def run():
            x = mg.Tensor(x0)
            y = x
            for _ in range(CHAIN_OPS // 3):
                y = mg.sin(y * 0.9) + 0.1
            loss = mg.sum(y)
            loss.backward()
            return float(loss.item()), x.grad

        def check():
            loss, g = run()
            return loss, _norm([g])
        return run, check

    @staticmethod
    def matmul():
        import mygrad as mg
        a, b = _init((1024, 1024), (1024, 1024), seed=7, scale=1.0)

        def run():
            at, bt = mg.Tensor(a), mg.Tensor(b)
            loss = mg.sum(mg.matmul(at, bt))
            loss.backward()
            return float(loss.item()), [at.grad, bt.grad]

        def check():
            loss, gs = run()
            return loss, _norm(gs)
        return run, check


# ======================================================================= JAX (jax.jit)
class jax_lib(_peer):
    """JAX's ``jax.jit`` over the floor's math, from the floor's starting arrays: a step is
    one jitted function (value_and_grad and the update), its results waited for
    (``block_until_ready``). The worker sets the thread flags before jax is imported."""

    @staticmethod
    def _x64():
        """float64 in this process (each cell runs in its own): the floor's chain and
        Hessian are float64."""
        import jax
        jax.config.update("jax_enable_x64", True)

    @staticmethod
    def _head(loss_name, y):
        import jax.numpy as jnp
        if loss_name == "ce":
            rows = np.arange(len(y))

            def ce(h):
                m = jnp.max(h, axis=1, keepdims=True)
                lse = jnp.log(jnp.sum(jnp.exp(h - m), axis=1)) + m[:, 0]
                return jnp.mean(lse - h[rows, y])
            return ce
        return lambda h: jnp.mean((h - y) ** 2)

    @staticmethod
    def _train(data, forward, loss_name, adam):
        import jax
        import jax.numpy as jnp
        x, y, arrays = data()
        xj, yj = jnp.asarray(x), jnp.asarray(y)
        head = jax_lib._head(loss_name, yj)
        vg = jax.value_and_grad(lambda ps: head(forward(ps, xj)))

        def sgd_update(ps, _state):
            loss, gs = vg(ps)
            return loss, [p - 0.01 * g for p, g in zip(ps, gs)], None

        def adam_update(ps, state, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8):
            """PyTorch's Adam (bias corrections on the step size and on v)."""
            loss, gs = vg(ps)
            t, ms, vs = state
            t = t + 1
            ms = [b1 * m + (1 - b1) * g for m, g in zip(ms, gs)]
            vs = [b2 * v + (1 - b2) * g * g for v, g in zip(vs, gs)]
            c1, c2 = 1 - b1 ** t, 1 - b2 ** t
            ps = [p - (lr / c1) * m / (jnp.sqrt(v / c2) + eps) for p, m, v in zip(ps, ms, vs)]
            return loss, ps, (t, ms, vs)

        update = jax.jit(adam_update if adam else sgd_update)
        params = [jnp.asarray(p) for p in arrays]
        state = {"params": params, "opt": (jnp.zeros((), jnp.float32),
                                           [jnp.zeros_like(p) for p in params],
                                           [jnp.zeros_like(p) for p in params])
                 if adam else None}
        jax.block_until_ready(state)  # the runtime is up before the first step's clock

        def step():
            loss, state["params"], state["opt"] = update(state["params"], state["opt"])
            jax.block_until_ready((loss, state["params"], state["opt"]))

        def check():
            loss, gs = jax.jit(vg)([jnp.asarray(p) for p in data()[2]])
            return float(loss), _norm([np.asarray(g) for g in gs])
        return step, check

    @staticmethod
    def _mlp_forward(ps, x):
        import jax.numpy as jnp
        w1, b1, w2, b2, w3, b3 = ps
        return jnp.maximum(jnp.maximum(x @ w1 + b1, 0) @ w2 + b2, 0) @ w3 + b3

    @staticmethod
    def _mlp_like(data, loss_name, adam):
        return jax_lib._train(data, jax_lib._mlp_forward, loss_name, adam)

    @staticmethod
    def cnn():
        import jax
        import jax.numpy as jnp

        def conv(h, w, b):
            out = jax.lax.conv_general_dilated(h, w, (1, 1), "VALID",
                                               dimension_numbers=("NCHW", "OIHW", "NCHW"))
            return out + b[None, :, None, None]

        def forward(ps, x):
            w1, b1, w2, b2, w3, b3 = ps
            h = jnp.maximum(conv(jnp.maximum(conv(x, w1, b1), 0), w2, b2), 0)
            h = jax.lax.reduce_window(h, -jnp.inf, jax.lax.max, (1, 1, 2, 2), (1, 1, 2, 2),
                                      "VALID")
            return h.reshape(h.shape[0], -1) @ w3 + b3

        return jax_lib._train(cnn_data, forward, "ce", adam=False)

    @staticmethod
    def _replayed(fn, args, finish):
        import jax

        def step():
            jax.block_until_ready(fn(*args))

        def check():
            return finish(*fn(*args))
        return step, check

    @staticmethod
    def chain():
        import jax
        import jax.numpy as jnp
        jax_lib._x64()
        x0 = jnp.asarray(chain_data())

        def f(y):
            for _ in range(CHAIN_OPS // 3):
                y = jnp.sin(y * 0.9) + 0.1
            return jnp.sum(y)

        return jax_lib._replayed(jax.jit(jax.value_and_grad(f)), (x0,),
                                 lambda loss, g: (float(loss), _norm([np.asarray(g)])))

    @staticmethod
    def matmul():
        import jax
        import jax.numpy as jnp
        a, b = (jnp.asarray(m) for m in _init((1024, 1024), (1024, 1024), seed=7, scale=1.0))
        vg = jax.jit(jax.value_and_grad(lambda a, b: jnp.sum(a @ b), argnums=(0, 1)))
        return jax_lib._replayed(vg, (a, b), lambda loss, gs: (
            float(loss), _norm([np.asarray(g) for g in gs])))

    @staticmethod
    def hessian():
        import jax
        import jax.numpy as jnp
        jax_lib._x64()
        w, a, x = (jnp.asarray(m) for m in hessian_data())

        def f(v):
            return jnp.sum(jnp.tanh(w @ v)) + 0.5 * (v @ a @ v)

        h = jax.jit(jax.hessian(f))

        def step():
            jax.block_until_ready(h(x))

        def check():
            return float(f(x)), _norm([np.asarray(h(x))])
        return step, check


LIBRARIES = {"numpy": numpy_floor, "chainrule": chainrule_lib, "torch": torch_lib,
             "autograd": autograd_lib, "mygrad": mygrad_lib,
             "chainrule_compiled": chainrule_compiled, "jax": jax_lib}
WORKLOADS = ["mlp", "rl", "chain", "matmul", "cnn", "hessian", "chain1m", "resnet", "lstm_lm"]
