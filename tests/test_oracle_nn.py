"""nn, optim and lr_scheduler against PyTorch with the same weights (float64)."""
import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.nn import functional as F

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.oracle
tnn, tF = torch.nn, torch.nn.functional


def _copy_weights(ours, theirs):
    ours.to(cr.float64)
    theirs.double()
    state = {k: cr.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()}
    ours.load_state_dict(state)
    assert list(ours.state_dict()) == list(theirs.state_dict())


LAYERS = [
    ("linear", lambda: nn.Linear(5, 3), lambda: tnn.Linear(5, 3), (4, 5)),
    ("conv2d", lambda: nn.Conv2d(2, 4, 3, stride=2, padding=1),
     lambda: tnn.Conv2d(2, 4, 3, stride=2, padding=1), (2, 2, 7, 6)),
    ("conv2d_groups_dilation",
     lambda: nn.Conv2d(4, 6, (3, 2), dilation=(2, 1), groups=2, bias=False),
     lambda: tnn.Conv2d(4, 6, (3, 2), dilation=(2, 1), groups=2, bias=False), (2, 4, 8, 5)),
    ("conv1d", lambda: nn.Conv1d(3, 2, 3, padding=1), lambda: tnn.Conv1d(3, 2, 3, padding=1),
     (2, 3, 6)),
    ("maxpool", lambda: nn.MaxPool2d(3, 2, 1), lambda: tnn.MaxPool2d(3, 2, 1), (2, 3, 7, 7)),
    ("avgpool", lambda: nn.AvgPool2d(2), lambda: tnn.AvgPool2d(2), (2, 3, 6, 6)),
    ("adaptive", lambda: nn.AdaptiveAvgPool2d((3, 2)), lambda: tnn.AdaptiveAvgPool2d((3, 2)),
     (2, 3, 7, 5)),
    ("layernorm", lambda: nn.LayerNorm(5), lambda: tnn.LayerNorm(5), (3, 4, 5)),
    ("groupnorm", lambda: nn.GroupNorm(2, 4), lambda: tnn.GroupNorm(2, 4), (3, 4, 5)),
    ("batchnorm2d", lambda: nn.BatchNorm2d(3), lambda: tnn.BatchNorm2d(3), (4, 3, 2, 2)),
    ("batchnorm1d", lambda: nn.BatchNorm1d(3), lambda: tnn.BatchNorm1d(3), (6, 3)),
    ("mlp", lambda: nn.Sequential(nn.Linear(4, 8), nn.GELU(), nn.Linear(8, 8), nn.SiLU(),
                                  nn.Linear(8, 3), nn.LogSoftmax(dim=1)),
     lambda: tnn.Sequential(tnn.Linear(4, 8), tnn.GELU(), tnn.Linear(8, 8), tnn.SiLU(),
                            tnn.Linear(8, 3), tnn.LogSoftmax(dim=1)), (5, 4)),
    ("activations", lambda: nn.Sequential(nn.LeakyReLU(0.2), nn.ELU(0.5), nn.Softplus(2.0),
                                          nn.Tanh(), nn.Sigmoid(), nn.Softmax(dim=-1)),
     lambda: tnn.Sequential(tnn.LeakyReLU(0.2), tnn.ELU(0.5), tnn.Softplus(2.0), tnn.Tanh(),
                            tnn.Sigmoid(), tnn.Softmax(dim=-1)), (3, 4)),
]


@pytest.mark.parametrize("name,ours_fn,theirs_fn,shape", LAYERS, ids=[l[0] for l in LAYERS])
def test_layers_match_pytorch(name, ours_fn, theirs_fn, shape):
    torch.manual_seed(0)
    ours, theirs = ours_fn(), theirs_fn()
    if list(theirs.state_dict()):
        _copy_weights(ours, theirs)
    else:
        theirs.double()
    x = np.random.default_rng(0).standard_normal(shape)
    xo, xt = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yo, yt = ours(xo), theirs(xt)
    assert np.allclose(yo.detach().numpy(), yt.detach().numpy(), atol=1e-10)
    cot = np.random.default_rng(1).standard_normal(yt.shape)
    yo.backward(cot)
    yt.backward(torch.tensor(cot))
    assert np.allclose(xo.grad.numpy(), xt.grad.numpy(), atol=1e-10)
    for (n1, p1), (n2, p2) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert n1 == n2 and np.allclose(p1.grad.numpy(), p2.grad.numpy(), atol=1e-10)
    for (n1, b1), (n2, b2) in zip(ours.named_buffers(), theirs.named_buffers()):
        assert n1 == n2 and np.allclose(b1.numpy(), b2.numpy(), atol=1e-10)


LOSSES = [
    ("cross_entropy", lambda x, t: F.cross_entropy(x, t), lambda x, t: tF.cross_entropy(x, t)),
    ("cross_entropy_all", lambda x, t: F.cross_entropy(x, t, weight=cr.tensor(W), ignore_index=2,
                                                       label_smoothing=0.2),
     lambda x, t: tF.cross_entropy(x, t, weight=torch.tensor(W), ignore_index=2,
                                   label_smoothing=0.2)),
    ("cross_entropy_weight_ignore", lambda x, t: F.cross_entropy(x, t, weight=cr.tensor(W),
                                                                 ignore_index=2),
     lambda x, t: tF.cross_entropy(x, t, weight=torch.tensor(W), ignore_index=2)),
    ("cross_entropy_sum_ignore", lambda x, t: F.cross_entropy(x, t, ignore_index=1,
                                                              reduction="sum"),
     lambda x, t: tF.cross_entropy(x, t, ignore_index=1, reduction="sum")),
    ("cross_entropy_none", lambda x, t: F.cross_entropy(x, t, reduction="none"),
     lambda x, t: tF.cross_entropy(x, t, reduction="none")),
    ("nll", lambda x, t: F.nll_loss(F.log_softmax(x, 1), t, weight=cr.tensor(W)),
     lambda x, t: tF.nll_loss(tF.log_softmax(x, 1), t, weight=torch.tensor(W))),
    ("cross_entropy_probs", lambda x, t: F.cross_entropy(x, F.softmax(x * 0.5, 1).detach(),
                                                         label_smoothing=0.1),
     lambda x, t: tF.cross_entropy(x, tF.softmax(x * 0.5, 1).detach(), label_smoothing=0.1)),
]
W = np.array([1.0, 0.5, 2.0, 1.5])


@pytest.mark.parametrize("name,ours,theirs", LOSSES, ids=[l[0] for l in LOSSES])
def test_classification_losses_match_pytorch(name, ours, theirs):
    x = np.random.default_rng(0).standard_normal((6, 4))
    t = np.array([0, 2, 3, 1, 2, 0])
    xo, xt = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    lo, lt = ours(xo, cr.tensor(t)), theirs(xt, torch.tensor(t))
    assert np.allclose(lo.detach().numpy(), lt.detach().numpy(), atol=1e-12)
    lo.sum().backward()
    lt.sum().backward()
    assert np.allclose(xo.grad.numpy(), xt.grad.numpy(), atol=1e-12)


REGRESSION = [
    ("mse", F.mse_loss, tF.mse_loss), ("l1", F.l1_loss, tF.l1_loss),
    ("huber", lambda a, b: F.huber_loss(a, b, delta=0.5),
     lambda a, b: tF.huber_loss(a, b, delta=0.5)),
    ("smooth_l1", lambda a, b: F.smooth_l1_loss(a, b, beta=0.3),
     lambda a, b: tF.smooth_l1_loss(a, b, beta=0.3)),
    ("bce", lambda a, b: F.binary_cross_entropy(F.sigmoid(a), F.sigmoid(b)),
     lambda a, b: tF.binary_cross_entropy(torch.sigmoid(a), torch.sigmoid(b))),
    ("bce_logits",
     lambda a, b: F.binary_cross_entropy_with_logits(a, F.sigmoid(b), reduction="sum"),
     lambda a, b: tF.binary_cross_entropy_with_logits(a, torch.sigmoid(b), reduction="sum")),
    ("kl", lambda a, b: F.kl_div(F.log_softmax(a, 1), F.softmax(b, 1), reduction="batchmean"),
     lambda a, b: tF.kl_div(tF.log_softmax(a, 1), tF.softmax(b, 1), reduction="batchmean")),
]


@pytest.mark.parametrize("name,ours,theirs", REGRESSION, ids=[r[0] for r in REGRESSION])
def test_regression_losses_match_pytorch(name, ours, theirs):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    ao, bo = cr.tensor(a, requires_grad=True), cr.tensor(b, requires_grad=True)
    at, bt = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    lo, lt = ours(ao, bo), theirs(at, bt)
    assert np.allclose(lo.detach().numpy(), lt.detach().numpy(), atol=1e-12)
    lo.backward()
    lt.backward()
    assert np.allclose(ao.grad.numpy(), at.grad.numpy(), atol=1e-12)
    assert np.allclose(bo.grad.numpy(), bt.grad.numpy(), atol=1e-12)


OPTIMIZERS = [
    ("sgd", lambda p: cr.optim.SGD(p, lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01),
     lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01)),
    ("sgd_nesterov", lambda p: cr.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True),
     lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True)),
    ("adam", lambda p: cr.optim.Adam(p, lr=0.05, weight_decay=0.01),
     lambda p: torch.optim.Adam(p, lr=0.05, weight_decay=0.01)),
    ("adam_amsgrad", lambda p: cr.optim.Adam(p, lr=0.05, amsgrad=True),
     lambda p: torch.optim.Adam(p, lr=0.05, amsgrad=True)),
    ("adamw", lambda p: cr.optim.AdamW(p, lr=0.05), lambda p: torch.optim.AdamW(p, lr=0.05)),
    ("rmsprop",
     lambda p: cr.optim.RMSprop(p, lr=0.01, momentum=0.5, centered=True, weight_decay=0.1),
     lambda p: torch.optim.RMSprop(p, lr=0.01, momentum=0.5, centered=True, weight_decay=0.1)),
    ("adagrad", lambda p: cr.optim.Adagrad(p, lr=0.1, lr_decay=0.01, weight_decay=0.1),
     lambda p: torch.optim.Adagrad(p, lr=0.1, lr_decay=0.01, weight_decay=0.1)),
]


@pytest.mark.parametrize("name,ours_fn,theirs_fn", OPTIMIZERS, ids=[o[0] for o in OPTIMIZERS])
def test_optimizers_match_pytorch_for_20_steps(name, ours_fn, theirs_fn):
    torch.manual_seed(0)
    theirs_model = tnn.Sequential(tnn.Linear(3, 4), tnn.Tanh(), tnn.Linear(4, 1)).double()
    ours_model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    _copy_weights(ours_model, theirs_model)
    opt_o, opt_t = ours_fn(ours_model.parameters()), theirs_fn(theirs_model.parameters())
    x = np.random.default_rng(0).standard_normal((8, 3))
    y = np.sin(x).sum(1, keepdims=True)
    for _ in range(20):
        opt_o.zero_grad()
        F.mse_loss(ours_model(cr.tensor(x)), cr.tensor(y)).backward()
        opt_o.step()
        opt_t.zero_grad()
        tF.mse_loss(theirs_model(torch.tensor(x)), torch.tensor(y)).backward()
        opt_t.step()
    for (_, p1), (_, p2) in zip(ours_model.named_parameters(), theirs_model.named_parameters()):
        assert np.allclose(p1.detach().numpy(), p2.detach().numpy(), atol=1e-6)


SCHEDULERS = [
    ("step", lambda o: cr.optim.lr_scheduler.StepLR(o, 3, 0.5),
     lambda o: torch.optim.lr_scheduler.StepLR(o, 3, 0.5)),
    ("multistep", lambda o: cr.optim.lr_scheduler.MultiStepLR(o, [2, 5], 0.3),
     lambda o: torch.optim.lr_scheduler.MultiStepLR(o, [2, 5], 0.3)),
    ("exponential", lambda o: cr.optim.lr_scheduler.ExponentialLR(o, 0.9),
     lambda o: torch.optim.lr_scheduler.ExponentialLR(o, 0.9)),
    ("cosine", lambda o: cr.optim.lr_scheduler.CosineAnnealingLR(o, 7, 0.01),
     lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, 7, 0.01)),
    ("lambda", lambda o: cr.optim.lr_scheduler.LambdaLR(o, lambda e: 1 / (e + 1)),
     lambda o: torch.optim.lr_scheduler.LambdaLR(o, lambda e: 1 / (e + 1))),
    ("onecycle", lambda o: cr.optim.lr_scheduler.OneCycleLR(o, 1.0, total_steps=21),
     lambda o: torch.optim.lr_scheduler.OneCycleLR(o, 1.0, total_steps=21, cycle_momentum=False)),
]


@pytest.mark.parametrize("name,ours_fn,theirs_fn", SCHEDULERS, ids=[s[0] for s in SCHEDULERS])
def test_schedulers_match_pytorch(name, ours_fn, theirs_fn):
    po = nn.Parameter(cr.zeros(1))
    pt = torch.nn.Parameter(torch.zeros(1))
    opt_o, opt_t = cr.optim.SGD([po], lr=0.1), torch.optim.SGD([pt], lr=0.1)
    so, st = ours_fn(opt_o), theirs_fn(opt_t)
    for _ in range(20):
        opt_o.step()
        opt_t.step()
        so.step()
        st.step()
        assert opt_o.param_groups[0]["lr"] == pytest.approx(opt_t.param_groups[0]["lr"], abs=1e-12)


def test_plateau_matches_pytorch():
    po, pt = nn.Parameter(cr.zeros(1)), torch.nn.Parameter(torch.zeros(1))
    opt_o, opt_t = cr.optim.SGD([po], lr=1.0), torch.optim.SGD([pt], lr=1.0)
    so = cr.optim.lr_scheduler.ReduceLROnPlateau(opt_o, patience=2, factor=0.5, cooldown=1)
    st = torch.optim.lr_scheduler.ReduceLROnPlateau(opt_t, patience=2, factor=0.5, cooldown=1)
    for metric in [5, 4, 4, 4, 4, 4, 3, 3, 3, 3, 3, 3]:
        so.step(metric)
        st.step(metric)
        assert opt_o.param_groups[0]["lr"] == opt_t.param_groups[0]["lr"]


def test_state_dict_round_trips_through_pytorch(tmp_path):
    pytest.importorskip("safetensors")
    from safetensors.torch import load_file, save_file
    theirs = tnn.Sequential(tnn.Conv2d(1, 2, 3), tnn.BatchNorm2d(2))
    save_file(theirs.state_dict(), str(tmp_path / "torch.safetensors"))
    ours = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2))
    ours.load_state_dict(cr.load(tmp_path / "torch.safetensors"))
    cr.save(ours.state_dict(), tmp_path / "ours.safetensors")
    back = load_file(str(tmp_path / "ours.safetensors"))
    for k, v in theirs.state_dict().items():
        assert np.array_equal(back[k].numpy(), v.numpy())


RECURRENT = [
    ("rnn", lambda: nn.RNN(3, 4, num_layers=2), lambda: tnn.RNN(3, 4, num_layers=2), False),
    ("rnn_relu_bi", lambda: nn.RNN(3, 4, nonlinearity="relu", bidirectional=True, batch_first=True),
     lambda: tnn.RNN(3, 4, nonlinearity="relu", bidirectional=True, batch_first=True), True),
    ("lstm", lambda: nn.LSTM(3, 4, num_layers=2, bidirectional=True),
     lambda: tnn.LSTM(3, 4, num_layers=2, bidirectional=True), False),
    ("gru", lambda: nn.GRU(3, 4, batch_first=True, num_layers=2),
     lambda: tnn.GRU(3, 4, batch_first=True, num_layers=2), True),
]


@pytest.mark.parametrize("name,ours_fn,theirs_fn,batch_first", RECURRENT,
                         ids=[r[0] for r in RECURRENT])
def test_recurrent_layers_match_pytorch(name, ours_fn, theirs_fn, batch_first):
    torch.manual_seed(0)
    ours, theirs = ours_fn(), theirs_fn()
    _copy_weights(ours, theirs)
    x = np.random.default_rng(0).standard_normal((2, 5, 3) if batch_first else (5, 2, 3))
    xo, xt = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    (yo, ho), (yt, ht) = ours(xo), theirs(xt)
    assert np.allclose(yo.detach().numpy(), yt.detach().numpy(), atol=1e-10)
    ho = ho if isinstance(ho, tuple) else (ho,)
    ht = ht if isinstance(ht, tuple) else (ht,)
    for a, b in zip(ho, ht):
        assert np.allclose(a.detach().numpy(), b.detach().numpy(), atol=1e-10)
    (yo.sum() + ho[0].sum()).backward()
    (yt.sum() + ht[0].sum()).backward()
    assert np.allclose(xo.grad.numpy(), xt.grad.numpy(), atol=1e-10)
    for (n1, p1), (n2, p2) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert n1 == n2 and np.allclose(p1.grad.numpy(), p2.grad.numpy(), atol=1e-10)


def test_multihead_attention_matches_pytorch():
    torch.manual_seed(0)
    ours = nn.MultiheadAttention(8, 2, batch_first=True)
    theirs = tnn.MultiheadAttention(8, 2, batch_first=True)
    _copy_weights(ours, theirs)
    rng = np.random.default_rng(0)
    q, k = rng.standard_normal((2, 3, 8)), rng.standard_normal((2, 4, 8))
    pad = np.array([[False, False, False, True], [False, False, False, False]])
    qo, ko = cr.tensor(q, requires_grad=True), cr.tensor(k, requires_grad=True)
    qt, kt = torch.tensor(q, requires_grad=True), torch.tensor(k, requires_grad=True)
    (yo, wo) = ours(qo, ko, ko, key_padding_mask=pad)
    (yt, wt) = theirs(qt, kt, kt, key_padding_mask=torch.tensor(pad))
    assert np.allclose(yo.detach().numpy(), yt.detach().numpy(), atol=1e-10)
    assert np.allclose(wo.detach().numpy(), wt.detach().numpy(), atol=1e-10)
    yo.sum().backward()
    yt.sum().backward()
    assert np.allclose(qo.grad.numpy(), qt.grad.numpy(), atol=1e-10)
    assert np.allclose(ko.grad.numpy(), kt.grad.numpy(), atol=1e-10)
