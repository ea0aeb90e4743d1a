"""nn, optim, data and saving: closed forms and finite differences (no PyTorch needed)."""
import gzip
import struct

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.autograd import gradcheck, gradgradcheck
from chainrule.nn import functional as F
from conftest import make


def test_module_registration_and_state_dict():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.BatchNorm1d(4), nn.Linear(4, 2))
    names = [n for n, _ in model.named_parameters()]
    assert names == ["0.weight", "0.bias", "2.weight", "2.bias", "3.weight", "3.bias"]
    keys = list(model.state_dict())
    assert keys == ["0.weight", "0.bias", "2.weight", "2.bias", "2.running_mean",
                    "2.running_var", "2.num_batches_tracked", "3.weight", "3.bias"]
    assert len(list(model.children())) == 4 and len(list(model.modules())) == 5
    other = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.BatchNorm1d(4), nn.Linear(4, 2))
    other.load_state_dict(model.state_dict())
    assert np.array_equal(other[0].weight.detach().numpy(), model[0].weight.detach().numpy())
    with pytest.raises(KeyError, match="missing"):
        other.load_state_dict({"0.weight": model[0].weight})
    other.load_state_dict({"0.weight": model[0].weight}, strict=False)
    with pytest.raises(ValueError, match="shape"):
        other.load_state_dict({"0.weight": cr.zeros(2, 2)}, strict=False)
    assert "Linear(in_features=3, out_features=4, bias=True)" in repr(model)


def test_train_eval_zero_grad_apply_to():
    model = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5))
    model.eval()
    assert not model[1].training
    x = cr.ones(4, 2)
    assert np.array_equal(model(x).detach().numpy(), model(x).detach().numpy())
    model.train()
    model(x).sum().backward()
    assert model[0].weight.grad is not None
    model.zero_grad()
    assert model[0].weight.grad is None
    seen = []
    model.apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "Dropout", "Sequential"]
    model.to(cr.float64)
    assert model[0].weight.dtype == np.float64
    model.requires_grad_(False)
    assert not model[0].weight.requires_grad


def test_linear_and_dense_match_closed_form():
    layer = nn.Dense(3, 2)
    x = cr.tensor(np.arange(6.0).reshape(2, 3), dtype=cr.float32)
    expected = x.numpy() @ layer.weights.detach().numpy().T + layer.bias.detach().numpy()
    assert np.allclose(layer(x).detach().numpy(), expected, atol=1e-6)
    bound = 1 / np.sqrt(3)
    assert np.abs(layer.weight.detach().numpy()).max() <= bound + 1e-7


PRIMS = [
    ("conv2d", lambda x, w: F.conv2d(x, w, stride=2, padding=1), [(2, 2, 5, 5), (3, 2, 3, 3)]),
    ("conv2d_groups", lambda x, w: F.conv2d(x, w, padding=(0, 1), dilation=(2, 1), groups=2),
     [(1, 4, 6, 4), (2, 2, 2, 3)]),
    ("conv1d", lambda x, w: F.conv1d(x, w, stride=2), [(2, 3, 7), (4, 3, 3)]),
    # Stride 1 takes the flat-spatial kernels (chainrule.ops._flatconv).
    ("conv2d_unit_stride", lambda x, w: F.conv2d(x, w, padding=(1, 0), dilation=(1, 2)),
     [(2, 3, 5, 7), (4, 3, 3, 2)]),
    ("conv2d_bias", lambda x, w, b: F.conv2d(x, w, b, padding=1),
     [(2, 3, 5, 4), (4, 3, 3, 3), (4,)]),
    ("conv2d_bias_strided", lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1)),
     [(2, 3, 5, 4), (4, 3, 3, 2), (4,)]),
    ("conv1d_unit_stride", lambda x, w: F.conv1d(x, w, padding=2), [(2, 3, 6), (2, 3, 3)]),
    ("conv3d_unit_stride", lambda x, w: F.conv3d(x, w, padding=(0, 1, 0)),
     [(1, 2, 4, 3, 5), (2, 2, 2, 2, 3)]),
    ("max_pool2d", lambda x: F.max_pool2d(x, 2), [(2, 2, 4, 4)]),
    ("max_pool2d_pad", lambda x: F.max_pool2d(x, 3, stride=2, padding=1), [(1, 2, 5, 5)]),
    ("avg_pool2d", lambda x: F.avg_pool2d(x, 2, stride=1), [(1, 2, 3, 3)]),
    ("avg_pool2d_pad", lambda x: F.avg_pool2d(x, 3, stride=2, padding=1,
                                              count_include_pad=False), [(1, 1, 5, 5)]),
    ("adaptive_avg_pool2d", lambda x: F.adaptive_avg_pool2d(x, (2, 3)), [(1, 2, 5, 7)]),
    ("softmax", lambda x: F.softmax(x, dim=1), [(3, 4)]),
    ("log_softmax", lambda x: F.log_softmax(x, dim=0), [(3, 4)]),
    ("layer_norm", lambda x, w: F.layer_norm(x, (4,), w, w * 0.5), [(3, 4), (4,)]),
    ("group_norm", lambda x: F.group_norm(x, 2), [(2, 4, 3)]),
    ("batch_norm_train", lambda x: F.batch_norm(x, None, None, training=True), [(4, 3, 2)]),
    ("sdpa", lambda q, k: F.scaled_dot_product_attention(q, k, k, is_causal=True),
     [(2, 3, 4), (2, 3, 4)]),
    ("cross_entropy", lambda x: F.cross_entropy(x, cr.tensor([0, 3, 1])), [(3, 4)]),
    ("cross_entropy_smooth_weight", lambda x: F.cross_entropy(
        x, cr.tensor([0, 3, 1]), weight=cr.tensor([1.0, 2.0, 0.5, 1.5]), label_smoothing=0.1),
     [(3, 4)]),
    ("cross_entropy_weight_ignore", lambda x: F.cross_entropy(
        x, cr.tensor([0, 3, 1]), weight=cr.tensor([1.0, 2.0, 0.5, 1.5]), ignore_index=3),
     [(3, 4)]),
    ("cross_entropy_none", lambda x: F.cross_entropy(x, cr.tensor([[0, 2], [1, 1]]),
                                                     reduction="none") * cr.tensor([1.0, 2.0]),
     [(2, 3, 2)]),
    ("cross_entropy_probs", lambda x, p: F.cross_entropy(x, F.softmax(p, 1)), [(3, 4), (3, 4)]),
    ("cross_entropy_spatial_ignore", lambda x: F.cross_entropy(
        x, cr.tensor([[0, 2], [-100, 1]]), reduction="sum"), [(2, 3, 2)]),
    ("nll_loss", lambda x: F.nll_loss(F.log_softmax(x, 1), cr.tensor([2, 0, 1])), [(3, 3)]),
    ("mse_l1_huber", lambda x, y: F.mse_loss(x, y) + F.l1_loss(x, y) + F.huber_loss(x, y, delta=0.5)
     + F.smooth_l1_loss(x, y, beta=0.7), [(3, 4), (3, 4)]),
    ("bce", lambda x, y: F.binary_cross_entropy(F.sigmoid(x), F.sigmoid(y)), [(3, 4), (3, 4)]),
    ("bce_logits", lambda x, y: F.binary_cross_entropy_with_logits(
        x, F.sigmoid(y), pos_weight=cr.tensor([1.0, 2.0, 3.0, 0.5], dtype=cr.float64)),
     [(3, 4), (3, 4)]),
    ("kl_div", lambda x, y: F.kl_div(F.log_softmax(x, 1), F.softmax(y, 1), reduction="batchmean"),
     [(3, 4), (3, 4)]),
]


@pytest.mark.parametrize("name,fn,shapes", PRIMS, ids=[p[0] for p in PRIMS])
def test_nn_functions_gradcheck(name, fn, shapes):
    inputs = [make(s, seed=i) for i, s in enumerate(shapes)]
    assert gradcheck(fn, inputs)


@pytest.mark.parametrize("name", ["conv2d", "conv2d_unit_stride", "conv2d_bias", "max_pool2d",
                                  "avg_pool2d", "softmax", "layer_norm", "group_norm",
                                  "batch_norm_train", "log_softmax", "cross_entropy",
                                  "cross_entropy_weight_ignore", "cross_entropy_none"])
def test_nn_second_order(name):
    fn, shapes = next((f, s) for n, f, s in PRIMS if n == name)
    assert gradgradcheck(fn, [make(s, seed=i) for i, s in enumerate(shapes)])


def test_cross_entropy_closed_form():
    logits = cr.tensor([[2.0, 0.0, -1.0]], dtype=cr.float64, requires_grad=True)
    loss = F.cross_entropy(logits, cr.tensor([0]))
    p = np.exp([2.0, 0.0, -1.0]) / np.exp([2.0, 0.0, -1.0]).sum()
    assert loss.item() == pytest.approx(-np.log(p[0]))
    loss.backward()
    assert np.allclose(logits.grad.numpy(), p - [1, 0, 0])
    big = cr.tensor([[1000.0, 0.0]])
    assert F.cross_entropy(big, cr.tensor([1])).item() == pytest.approx(1000.0)


def test_cross_entropy_backward_twice_with_retained_graph():
    """The forward's softmax, kept for the backward pass, is not used up by it."""
    logits = cr.tensor([[2.0, 0.0, -1.0], [0.5, 0.5, 3.0]], requires_grad=True)
    loss = F.cross_entropy(logits, cr.tensor([0, 2]))
    loss.backward(retain_graph=True)
    first = logits.grad.numpy().copy()
    loss.backward()
    assert np.allclose(logits.grad.numpy(), 2 * first)
    p = np.exp(logits.detach().numpy()) / np.exp(logits.detach().numpy()).sum(1, keepdims=True)
    assert np.allclose(first, (p - np.eye(3)[[0, 2]]) / 2, atol=1e-6)


def test_cross_entropy_rejects_bad_targets():
    logits = cr.zeros((2, 3))
    with pytest.raises(IndexError, match=r"\[0, 3\).*0\.\.3"):
        F.cross_entropy(logits, cr.tensor([0, 3]))
    with pytest.raises(IndexError, match="-1"):
        F.cross_entropy(logits, cr.tensor([-1, 0]))
    with pytest.raises(ValueError, match="reduction"):
        F.cross_entropy(logits, cr.tensor([0, 1]), reduction="avg")
    # every row ignored: the mean is 0/0, as in PyTorch
    with np.errstate(invalid="ignore"):
        assert np.isnan(F.cross_entropy(logits, cr.tensor([-100, -100])).item())


def test_embedding_and_padding_idx():
    emb = nn.Embedding(5, 3, padding_idx=0)
    out = emb(cr.tensor([[0, 2, 2]]))
    assert out.shape == (1, 3, 3) and np.all(out.detach().numpy()[0, 0] == 0)
    out.sum().backward()
    assert np.all(emb.weight.grad.numpy()[0] == 0)
    assert np.all(emb.weight.grad.numpy()[2] == 2)


def test_batchnorm_running_stats():
    bn = nn.BatchNorm1d(2, momentum=0.5)
    x = cr.tensor([[1.0, 2.0], [3.0, 6.0]])
    bn(x)
    assert np.allclose(bn.running_mean.numpy(), [1.0, 2.0])
    assert np.allclose(bn.running_var.numpy(), [0.5 + 0.5 * 2.0, 0.5 + 0.5 * 8.0])
    assert bn.num_batches_tracked.item() == 1
    bn.eval()
    y = bn(x)
    assert np.allclose(y.detach().numpy(),
                       (x.numpy() - [1, 2]) / np.sqrt(np.array([1.5, 4.5]) + 1e-5), atol=1e-6)


def test_init_functions():
    cr.manual_seed(0)
    w = nn.Parameter(cr.empty(200, 100))
    nn.init.xavier_uniform_(w)
    bound = np.sqrt(6 / 300)
    assert np.abs(w.detach().numpy()).max() <= bound
    nn.init.kaiming_normal_(w, nonlinearity="relu")
    assert w.detach().numpy().std() == pytest.approx(np.sqrt(2 / 100), rel=0.05)
    nn.init.trunc_normal_(w, std=1.0, a=-0.5, b=0.5)
    assert np.abs(w.detach().numpy()).max() <= 0.5
    q = nn.Parameter(cr.empty(4, 6))
    nn.init.orthogonal_(q)
    assert np.allclose(q.detach().numpy() @ q.detach().numpy().T, np.eye(4), atol=1e-5)
    nn.init.constant_(q, 0.3)
    assert np.all(q.detach().numpy() == np.float32(0.3))


def quadratic_problem():
    cr.manual_seed(0)
    target = np.array([1.0, -2.0, 0.5])
    w = nn.Parameter(cr.zeros(3, dtype=cr.float64))

    def loss_fn():
        return ((w - cr.tensor(target)) ** 2).sum()
    return w, loss_fn


def test_sgd_first_steps_by_hand():
    w, loss_fn = quadratic_problem()
    opt = cr.optim.SGD([w], lr=0.1, momentum=0.9)
    for _ in range(2):
        opt.zero_grad()
        loss_fn().backward()
        opt.step()
    # step 1: g = -2t, buf = g, w = 0.2t; step 2: g = -1.6t, buf = 0.9 g1 + g2 = -3.4t
    assert np.allclose(w.detach().numpy(), (0.2 + 0.34) * np.array([1.0, -2.0, 0.5]))


def test_adam_first_step_by_hand():
    w, loss_fn = quadratic_problem()
    opt = cr.optim.Adam([w], lr=0.01)
    loss_fn().backward()
    opt.step()
    # the first Adam step moves every coordinate by lr against the gradient's sign
    assert np.allclose(w.detach().numpy(), 0.01 * np.sign([1.0, -2.0, 0.5]), atol=1e-7)


@pytest.mark.parametrize("make_opt", [
    lambda p: cr.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
    lambda p: cr.optim.Adam(p, lr=0.1, amsgrad=True),
    lambda p: cr.optim.AdamW(p, lr=0.1),
    lambda p: cr.optim.RMSprop(p, lr=0.01, momentum=0.5, centered=True),
    lambda p: cr.optim.Adagrad(p, lr=0.5, lr_decay=0.01)], ids=["sgd", "adam", "adamw",
                                                                 "rmsprop", "adagrad"])
def test_optimizers_converge_and_state_dict_round_trips(make_opt):
    w, loss_fn = quadratic_problem()
    opt = make_opt([w])
    for _ in range(200):
        opt.zero_grad()
        loss_fn().backward()
        opt.step()
    assert loss_fn().item() < 5e-2
    state = opt.state_dict()
    w2, _ = quadratic_problem()
    opt2 = make_opt([w2])
    opt2.load_state_dict(state)
    assert opt2.param_groups[0]["lr"] == opt.param_groups[0]["lr"]


def test_param_groups_and_schedulers():
    a = nn.Parameter(cr.zeros(1))
    b = nn.Parameter(cr.zeros(1))
    opt = cr.optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    sched = cr.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.1)
    lrs = []
    for _ in range(5):
        opt.step()
        sched.step()
        lrs.append(round(sched.get_last_lr()[0], 10))
    assert lrs == [0.1, 0.01, 0.01, 0.001, 0.001]
    opt = cr.optim.SGD([a], lr=1.0)
    cos = cr.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=4)
    values = []
    for _ in range(4):
        opt.step()
        cos.step()
        values.append(opt.param_groups[0]["lr"])
    assert np.allclose(values, [(1 + np.cos(np.pi * k / 4)) / 2 for k in range(1, 5)])
    plateau = cr.optim.lr_scheduler.ReduceLROnPlateau(opt := cr.optim.SGD([a], lr=1.0),
                                                      patience=1, factor=0.5)
    for metric in [1.0, 1.0, 1.0, 1.0]:
        plateau.step(metric)
    assert opt.param_groups[0]["lr"] == 0.5


def test_clip_grad():
    p = nn.Parameter(cr.zeros(2))
    p.grad = cr.tensor([3.0, 4.0])
    norm = nn.utils.clip_grad_norm_([p], 1.0)
    assert norm == pytest.approx(5.0)
    assert np.allclose(p.grad.numpy(), [0.6, 0.8], atol=1e-5)
    nn.utils.clip_grad_value_([p], 0.7)
    assert np.allclose(p.grad.numpy(), [0.6, 0.7], atol=1e-5)


def test_dataloader_shuffle_is_seeded_and_drop_last():
    ds = cr.data.TensorDataset(cr.arange(10), cr.arange(10) * 2)
    loader = cr.data.DataLoader(ds, batch_size=4, shuffle=True,
                                generator=np.random.default_rng(3))
    batches = [xb.tolist() for xb, _ in loader]
    again = [xb.tolist() for xb, _ in cr.data.DataLoader(ds, batch_size=4, shuffle=True,
                                                          generator=np.random.default_rng(3))]
    assert batches == again and sorted(sum(batches, [])) == list(range(10))
    assert len(loader) == 3 and len(cr.data.DataLoader(ds, batch_size=4, drop_last=True)) == 2
    train, test = cr.data.random_split(ds, [7, 3], generator=np.random.default_rng(0))
    assert len(train) == 7 and len(test) == 3
    assert {int(train[i][0].item()) for i in range(7)}.isdisjoint(
        {int(test[i][0].item()) for i in range(3)})

    class Squares(cr.data.Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return {"x": np.array([i, i * i], dtype=np.float32), "y": i}

    batch = next(iter(cr.data.DataLoader(Squares(), batch_size=3)))
    assert batch["x"].shape == (3, 2) and batch["y"].tolist() == [0, 1, 2]


def _write_idx(path, array, compress):
    codes = {np.uint8: 0x08, np.int32: 0x0C, np.float32: 0x0D}
    code = codes[array.dtype.type]
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    body = array.astype(array.dtype.newbyteorder(">")).tobytes()
    data = header + body
    with open(path, "wb") as f:
        f.write(gzip.compress(data) if compress else data)


@pytest.mark.parametrize("compress", [False, True])
def test_read_idx(tmp_path, compress):
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    labels = np.array([7, -1], dtype=np.int32)
    _write_idx(tmp_path / "images.idx", images, compress)
    _write_idx(tmp_path / "labels.idx", labels, compress)
    assert np.array_equal(cr.data.read_idx(tmp_path / "images.idx"), images)
    assert np.array_equal(cr.data.read_idx(tmp_path / "labels.idx"), labels)
    (tmp_path / "bad.idx").write_bytes(b"\x01\x02\x03\x04")
    with pytest.raises(ValueError, match="not an IDX file"):
        cr.data.read_idx(tmp_path / "bad.idx")


def test_load_digits():
    images, labels = cr.data.load_digits()
    assert images.shape == (1797, 1, 8, 8) and images.dtype == np.float32
    assert images.max() <= 1.0 and set(labels.tolist()) == set(range(10))


def test_save_load_round_trip(tmp_path):
    model = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    cr.save(model.state_dict(), tmp_path / "model.safetensors")
    loaded = cr.load(tmp_path / "model.safetensors")
    assert list(loaded) == list(model.state_dict())
    for k, v in model.state_dict().items():
        assert np.array_equal(loaded[k].numpy(), v.numpy())
    opt = cr.optim.Adam(model.parameters())
    model(cr.ones(4, 3)).sum().backward()
    opt.step()
    cr.save({"optimizer": opt.state_dict(), "epoch": 3}, tmp_path / "ckpt.safetensors")
    ckpt = cr.load(tmp_path / "ckpt.safetensors")
    assert ckpt["epoch"] == 3
    opt2 = cr.optim.Adam(model.parameters())
    opt2.load_state_dict(ckpt["optimizer"])
    assert np.array_equal(opt2.state[model[0].weight]["exp_avg"],
                          opt.state[model[0].weight]["exp_avg"])
    cr.save(cr.tensor([1.0, 2.0]), tmp_path / "t.safetensors")
    assert cr.load(tmp_path / "t.safetensors").tolist() == [1.0, 2.0]


def test_draw_graph_render_formats(tmp_path):
    loss = (cr.tensor([1.0], requires_grad=True) * 2).sum()
    with pytest.raises(ValueError, match="unknown output type"):
        cr.draw_graph(loss, tmp_path / "g.txt")
    import shutil
    if shutil.which("dot") is None:
        with pytest.raises(RuntimeError, match="Graphviz"):
            cr.draw_graph(loss, tmp_path / "g.svg")
    else:
        cr.draw_graph(loss, tmp_path / "g.svg")
        assert (tmp_path / "g.svg").read_text().lstrip().startswith("<?xml")


def test_recurrent_and_attention_shapes_and_gradients():
    x = make((4, 2, 3))
    lstm = nn.LSTM(3, 5, num_layers=2, bidirectional=True).to(cr.float64)
    out, (h, c) = lstm(x)
    assert out.shape == (4, 2, 10) and h.shape == (4, 2, 5) and c.shape == (4, 2, 5)
    gru = nn.GRU(3, 2, batch_first=True).to(cr.float64)
    assert gradcheck(lambda t: gru(t)[0], (make((2, 3, 3)),))
    rnn = nn.RNN(3, 2).to(cr.float64)
    assert gradcheck(lambda t: rnn(t)[1], (make((3, 3)),))  # unbatched input
    mha = nn.MultiheadAttention(4, 2).to(cr.float64)
    q = make((3, 2, 4))
    out, w = mha(q, q, q, is_causal=True)
    assert out.shape == (3, 2, 4) and w.shape == (2, 3, 3)
    assert np.allclose(np.triu(w.detach().numpy()[0], 1), 0)
    assert gradcheck(lambda t: mha(t, t, t, need_weights=False)[0], (q,))


def test_dropout_zeroes_about_p_and_rescales():
    cr.manual_seed(0)
    x = cr.ones(200, 100)
    y = F.dropout(x, 0.3, training=True).numpy()
    kept = y != 0
    assert abs(1 - kept.mean() - 0.3) < 0.01
    assert np.allclose(y[kept], 1 / 0.7)
    assert F.dropout(x, 0.3, training=False) is x


@pytest.mark.parametrize("make_opt,expected", [
    # Adagrad: sum = g^2, so the first step is lr * sign(g)
    (lambda p: cr.optim.Adagrad(p, lr=0.1), lambda g, w0: w0 - 0.1 * np.sign(g)),
    # RMSprop: square_avg = (1 - alpha) g^2, step lr * g / (sqrt(1 - alpha) |g| + eps)
    (lambda p: cr.optim.RMSprop(p, lr=0.01, alpha=0.99),
     lambda g, w0: w0 - 0.01 * g / (np.sqrt(0.01) * np.abs(g) + 1e-8)),
    # AdamW: decay first, then Adam's first step lr * sign(g)
    (lambda p: cr.optim.AdamW(p, lr=0.01, weight_decay=0.1),
     lambda g, w0: w0 * (1 - 0.01 * 0.1) - 0.01 * np.sign(g)),
], ids=["adagrad", "rmsprop", "adamw"])
def test_first_steps_by_hand(make_opt, expected):
    w0 = np.array([0.5, -1.0, 2.0])
    w = nn.Parameter(cr.tensor(w0))
    opt = make_opt([w])
    target = cr.tensor([1.0, 1.0, 1.0], dtype=cr.float64)
    ((w - target) ** 2).sum().backward()
    g = 2 * (w0 - 1.0)
    opt.step()
    assert np.allclose(w.detach().numpy(), expected(g, w0), rtol=1e-6)


def test_max_pool_gradient_goes_to_first_max_only():
    x = cr.tensor([[[[1.0, 3.0], [3.0, 0.0]]]], requires_grad=True)
    F.max_pool2d(x, 2).backward(cr.tensor([[[[np.inf]]]]))
    assert x.grad.numpy().ravel().tolist() == [0.0, np.inf, 0.0, 0.0]
    nan_in = cr.tensor([[[[1.0, np.nan], [2.0, 0.0]]]])
    assert np.isnan(F.max_pool2d(nan_in, 2).item())  # NaN propagates, as in PyTorch


def _max_pool_grad_by_loops(x, g, k, s):
    """Reference: every window sends its gradient to its first maximum (NaN counts as the
    maximum, as in PyTorch)."""
    out = np.zeros_like(x)
    for n, c, i, j in np.ndindex(*g.shape):
        window = x[n, c, i * s:i * s + k, j * s:j * s + k].ravel()
        nans = np.flatnonzero(np.isnan(window))
        first = nans[0] if len(nans) else int(np.argmax(window))
        out[n, c, i * s + first // k, j * s + first % k] += g[n, c, i, j]
    return out


@pytest.mark.parametrize("kernel,stride", [(2, 2), (2, 1), (3, 2)])
@pytest.mark.parametrize("with_nan", [False, True])
def test_max_pool_gradient_with_ties_matches_window_loop(kernel, stride, with_nan):
    rng = np.random.default_rng(3)
    x = np.maximum(rng.integers(-2, 3, (2, 3, 7, 7)), 0).astype(np.float64)  # many ties
    if with_nan:
        x[0, 1, 2, 3] = np.nan
    xt = cr.tensor(x, requires_grad=True)
    out = F.max_pool2d(xt, kernel, stride=stride)
    g = rng.standard_normal(out.shape)
    out.backward(cr.tensor(g))
    # Overlapping windows sum in another order than the loop: equal up to rounding.
    assert np.allclose(xt.grad.numpy(), _max_pool_grad_by_loops(x, g, kernel, stride),
                       rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("x_shape,w_shape,dilation", [
    ((5, 3, 9, 8), (4, 3, 3, 3), (1, 1)),
    ((3, 2, 7, 9), (2, 2, 2, 3), (2, 1)),
    ((4, 2, 11), (3, 2, 4), (2,)),
    ((2, 2, 4, 5, 6), (3, 2, 2, 3, 2), (1, 2, 1)),
])
def test_flat_conv_kernels_match_im2col(monkeypatch, x_shape, w_shape, dilation):
    """The stride-1 kernels agree with the general im2col ones, across batch chunks (the
    chunk size is forced down to one or two samples) and on a non-contiguous input."""
    from chainrule.ops import _flatconv, nn as ops_nn
    monkeypatch.setattr(_flatconv, "_CHUNK_BYTES", 1)
    rng = np.random.default_rng(0)
    x = rng.standard_normal(x_shape[::-1]).T  # F-ordered: not C-contiguous
    w = rng.standard_normal(w_shape)
    nd = len(w_shape) - 2
    out_sp = tuple(s - d * (k - 1) for s, k, d in zip(x_shape[2:], w_shape[2:], dilation))
    g = rng.standard_normal((x_shape[0], w_shape[0]) + out_sp)
    one = (1,) * nd
    cols, _ = ops_nn._im2col(np, x, w_shape[2:], one, (0,) * nd, dilation)
    mat = cols.reshape(x_shape[0], -1, int(np.prod(out_sp)))
    expected = np.matmul(w.reshape(w_shape[0], -1), mat).reshape(g.shape)
    assert np.allclose(_flatconv.conv(np, x, w, dilation), expected)
    gcols = np.matmul(w.reshape(w_shape[0], -1).T, g.reshape(g.shape[0], w_shape[0], -1))
    expected_x = ops_nn._col2im(np, gcols.reshape(x_shape[:2] + w_shape[2:] + out_sp), x_shape,
                                w_shape[2:], one, (0,) * nd, dilation)
    for chunk in (1, 1 << 20):  # one sample per chunk, then the whole batch at once
        monkeypatch.setattr(_flatconv, "_CHUNK_BYTES", chunk)
        expected_w = np.einsum("nok,nck->oc", g.reshape(g.shape[0], w_shape[0], -1), mat)
        both = _flatconv.backward(np, g, w_shape, dilation, x_shape[2:], w=w, x=x)
        alone = (_flatconv.backward(np, g, w_shape, dilation, x_shape[2:], w=w)[0],
                 _flatconv.backward(np, g, w_shape, dilation, x_shape[2:], x=x)[1])
        for gx, gw in (both, alone):
            assert np.allclose(gx, expected_x)
            assert np.allclose(gw, expected_w.reshape(w_shape))


def test_conv_float32_input_with_float64_weight_promotes():
    x = cr.tensor(np.ones((2, 1, 4, 4), np.float32))
    w = cr.tensor(np.ones((1, 1, 3, 3)), dtype=cr.float64)
    out = F.conv2d(x, w)
    assert out.dtype == np.float64 and np.all(out.numpy() == 9.0)


def test_flat_conv_results_do_not_share_its_scratch_buffers(monkeypatch):
    """The kernels reuse scratch arrays between calls; what they return must not be one."""
    from chainrule.ops import _flatconv
    rng = np.random.default_rng(1)
    w = rng.standard_normal((3, 2, 3, 3))
    x1, x2 = rng.standard_normal((2, 4, 2, 6, 6))
    g1, g2 = rng.standard_normal((2, 4, 3, 4, 4))
    first = [_flatconv.conv(np, x1, w, (1, 1)), *_flatconv.backward(np, g1, w.shape, (1, 1), (6, 6),
                                                                  w=w, x=x1)]
    kept = [a.copy() for a in first]
    _flatconv.conv(np, x2, w, (1, 1))
    _flatconv.backward(np, g2, w.shape, (1, 1), (6, 6), w=w, x=x2)
    assert all(np.array_equal(a, b) for a, b in zip(first, kept))
    monkeypatch.setattr(_flatconv, "_CACHE_BYTES", 1)  # every new buffer empties the cache
    _flatconv.conv(np, rng.standard_normal((3, 2, 7, 7)), w, (1, 1))  # new shapes: new buffers
    assert len(_flatconv._scratch.buffers) == 1
