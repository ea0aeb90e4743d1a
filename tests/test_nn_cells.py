"""RNNCell, LSTMCell, GRUCell and the RNN/LSTM/GRU argument checks: PyTorch as the oracle
(weights loaded from torch's state dict), known values, gradchecks in float64, errors."""
import math
import warnings

import numpy as np
import pytest

import chainrule as cr
from chainrule.autograd import gradcheck, gradgradcheck
from chainrule.errors import OpError, OpTypeError
from chainrule.nn.recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def _load(ours, theirs):
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    return ours


def _np(t):
    return t.detach().numpy()


CELLS = [("RNNCell", RNNCell, {}), ("RNNCell", RNNCell, {"nonlinearity": "relu"}),
         ("LSTMCell", LSTMCell, {}), ("GRUCell", GRUCell, {}),
         ("GRUCell", GRUCell, {"bias": False})]


@pytest.mark.parametrize("name,cls,kw", CELLS)
@pytest.mark.parametrize("with_state", [False, True])
def test_cell_matches_torch(torch, name, cls, kw, with_state):
    torch.manual_seed(0)
    theirs = getattr(torch.nn, name)(4, 5, **kw).double()
    ours = _load(cls(4, 5, dtype="float64", **kw), theirs)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 4))
    hx = None
    xo, xt = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    args_o, args_t = (xo,), (xt,)
    if with_state:
        hs = [rng.standard_normal((3, 5)) for _ in range(2 if name == "LSTMCell" else 1)]
        ho = [cr.tensor(h, requires_grad=True) for h in hs]
        ht = [torch.tensor(h, requires_grad=True) for h in hs]
        hx = (tuple(ho), tuple(ht)) if name == "LSTMCell" else (ho[0], ht[0])
        args_o, args_t = (xo, hx[0]), (xt, hx[1])
    yo, yt = ours(*args_o), theirs(*args_t)
    if name == "LSTMCell":
        assert isinstance(yo, tuple) and len(yo) == 2
        lo, lt = (yo[0] * 2 + yo[1]).sum(), (yt[0] * 2 + yt[1]).sum()
        np.testing.assert_allclose(_np(yo[1]), _np(yt[1]), atol=1e-12)
        yo, yt = yo[0], yt[0]
    else:
        lo, lt = (yo * yo).sum(), (yt * yt).sum()
    np.testing.assert_allclose(_np(yo), _np(yt), atol=1e-12)
    lo.backward()
    lt.backward()
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), atol=1e-12)
    for (n, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), atol=1e-12, err_msg=n)
    if with_state:
        for a, b in zip(ho, ht):
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), atol=1e-12)


@pytest.mark.parametrize("name,cls", [("RNNCell", RNNCell), ("LSTMCell", LSTMCell),
                                      ("GRUCell", GRUCell)])
def test_cell_unbatched_and_float32(torch, name, cls):
    torch.manual_seed(0)
    theirs = getattr(torch.nn, name)(3, 2)
    ours = _load(cls(3, 2), theirs)
    x = np.random.default_rng(0).standard_normal(3).astype(np.float32)
    yo, yt = ours(cr.tensor(x)), theirs(torch.tensor(x))
    if name == "LSTMCell":
        assert yo[0].shape == (2,) and yo[1].shape == (2,)
        yo, yt = yo[0], yt[0]
    assert yo.shape == (2,) and yo.dtype == cr.float32
    np.testing.assert_allclose(_np(yo), _np(yt), atol=1e-6)


def test_cell_init_and_names():
    cr.manual_seed(0)
    cell = LSTMCell(7, 16)
    bound = 1 / math.sqrt(16)
    shapes = {n: tuple(p.shape) for n, p in cell.named_parameters()}
    assert shapes == {"weight_ih": (64, 7), "weight_hh": (64, 16), "bias_ih": (64,),
                      "bias_hh": (64,)}
    for p in cell.parameters():
        a = p.detach().numpy()
        assert a.dtype == np.float32 and a.max() <= bound and a.min() >= -bound
        assert a.std() > bound / 3  # uniform over the range, not all zeros
    nob = GRUCell(3, 4, bias=False)
    assert nob.bias_ih is None and set(nob.state_dict()) == {"weight_ih", "weight_hh"}


def test_rnn_cell_known_value():
    cell = RNNCell(1, 1, dtype="float64")
    cell.load_state_dict({"weight_ih": np.array([[2.0]]), "weight_hh": np.array([[0.5]]),
                          "bias_ih": np.array([0.1]), "bias_hh": np.array([-0.3])})
    h = cell(cr.tensor([[1.0]], dtype="float64"), cr.tensor([[2.0]], dtype="float64"))
    assert h.item() == pytest.approx(math.tanh(2.0 + 1.0 + 0.1 - 0.3))
    # hx defaults to zeros
    assert cell(cr.tensor([[1.0]], dtype="float64")).item() == pytest.approx(math.tanh(1.8))


@pytest.mark.parametrize("cls", [RNNCell, LSTMCell, GRUCell])
def test_cell_gradcheck(cls):
    cr.manual_seed(0)
    cell = cls(2, 3, dtype="float64")
    rng = np.random.default_rng(0)
    x = cr.tensor(rng.standard_normal((2, 2)), requires_grad=True)
    h = cr.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    c = cr.tensor(rng.standard_normal((2, 3)), requires_grad=True)

    def f(x, h, c):
        if cls is LSTMCell:
            a, b = cell(x, (h, c))
            return a * b
        return cell(x, h) * c

    assert gradcheck(f, [x, h, c])
    assert gradgradcheck(f, [x, h, c])
    # the weights themselves: gradcheck's forward mode cannot reach a module's own parameter
    # (it differentiates the inputs it is given), so reverse mode only there
    w = cell.weight_hh
    assert gradcheck(lambda w: f(x, h, c), [w], check_forward_ad=False)
    assert gradgradcheck(lambda w: f(x, h, c), [w], check_forward_ad=False)
    # non-contiguous input
    xt = cr.tensor(rng.standard_normal((2, 2)), requires_grad=True)
    assert gradcheck(lambda a: f(a.T, h, c), [xt])


CELL_ERRORS = [
    (lambda: RNNCell(3, 4)(cr.zeros(2, 2, 3)), OpError, r"RNNCell: Expected input to be 1D or 2D"),
    (lambda: RNNCell(3, 4)(cr.zeros(2, 5)), OpError, r"inconsistent input_size: got 5 expected 3"),
    (lambda: GRUCell(3, 4)(cr.zeros(2, 3), cr.zeros(3, 4)), OpError, r"GRUCell: hx has shape"),
    (lambda: GRUCell(3, 4)(cr.zeros(3), cr.zeros(2, 4)), OpError, r"hx should be 1-D"),
    (lambda: LSTMCell(3, 4)(cr.zeros(2, 3), cr.zeros(2, 4)), OpTypeError, r"LSTMCell: hx must"),
    (lambda: RNNCell(3, 4, nonlinearity="gelu"), OpError, r"Unknown nonlinearity"),
    (lambda: RNNCell(0, 4), OpError, r"RNNCell: input_size must be a positive integer"),
    (lambda: LSTMCell(3, 2.5), OpTypeError, r"hidden_size must be a positive integer"),
]


@pytest.mark.parametrize("call,error,pattern", CELL_ERRORS)
def test_cell_errors(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call()


# ----- RNN / LSTM / GRU arguments ------------------------------------------------------------
def test_flatten_parameters_is_a_noop():
    for cls in (RNN, LSTM, GRU):
        m = cls(3, 4)
        before = {k: v.numpy().copy() for k, v in m.state_dict().items()}
        assert m.flatten_parameters() is None
        assert all(np.array_equal(before[k], v.numpy()) for k, v in m.state_dict().items())


def test_proj_size():
    LSTM(3, 4, proj_size=0)  # accepted, as PyTorch's default
    RNN(3, 4, proj_size=0)
    with pytest.raises(OpError, match=r"LSTM: proj_size=2 is not supported"):
        LSTM(3, 4, proj_size=2)
    with pytest.raises(OpError, match=r"GRU: proj_size=1 .*only supported for LSTM"):
        GRU(3, 4, proj_size=1)


def test_rnn_nonlinearity_is_the_fourth_positional_argument(torch):
    # PyTorch's order: (input_size, hidden_size, num_layers, nonlinearity, bias, ...)
    ours = RNN(3, 4, 1, "relu", False)
    assert ours.nonlinearity == "relu" and ours.bias is False
    assert set(ours.state_dict()) == set(torch.nn.RNN(3, 4, 1, "relu", False).state_dict())


@pytest.mark.parametrize("name,cls", [("RNN", RNN), ("LSTM", LSTM), ("GRU", GRU)])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_rnn_modules_match_torch(torch, name, cls, batch_first, bidirectional):
    torch.manual_seed(0)
    kw = dict(num_layers=2, batch_first=batch_first, bidirectional=bidirectional, dropout=0.3)
    theirs = getattr(torch.nn, name)(3, 4, **kw).double().eval()
    ours = _load(cls(3, 4, dtype="float64", **kw), theirs).eval()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    d = 2 if bidirectional else 1
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 5, 3) if batch_first else (5, 2, 3))
    h0 = rng.standard_normal((2 * d, 2, 4))
    c0 = rng.standard_normal((2 * d, 2, 4))
    xo, xt = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ho, ht = cr.tensor(h0, requires_grad=True), torch.tensor(h0, requires_grad=True)
    co, ct = cr.tensor(c0, requires_grad=True), torch.tensor(c0, requires_grad=True)
    so, st = ((ho, co), (ht, ct)) if name == "LSTM" else (ho, ht)
    yo, hno = ours(xo, so)
    yt, hnt = theirs(xt, st)
    np.testing.assert_allclose(_np(yo), _np(yt), atol=1e-12)
    if name == "LSTM":
        np.testing.assert_allclose(_np(hno[1]), _np(hnt[1]), atol=1e-12)
        hno, hnt = hno[0], hnt[0]
    np.testing.assert_allclose(_np(hno), _np(hnt), atol=1e-12)
    ((yo * yo).sum() + hno.sum()).backward()
    ((yt * yt).sum() + hnt.sum()).backward()
    for a, b in [(xo, xt), (ho, ht)] + ([(co, ct)] if name == "LSTM" else []):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), atol=1e-12)
    for (n, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), atol=1e-12, err_msg=n)


def test_rnn_dropout_only_between_layers():
    cr.manual_seed(0)
    m = LSTM(3, 4, num_layers=2, dropout=0.5)
    x = cr.randn(6, 2, 3)
    a, _ = m(x)
    b, _ = m(x)
    assert not np.allclose(_np(a), _np(b))  # training: dropout between the layers
    m.eval()
    assert np.array_equal(_np(m(x)[0]), _np(m(x)[0]))
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        GRU(3, 4, dropout=0.2)


RNN_ERRORS = [
    (lambda: LSTM(3, 4)(cr.zeros(5, 2, 3), cr.zeros(1, 2, 4)), OpTypeError,
     r"LSTM: hx must be a tuple \(h_0, c_0\)"),
    (lambda: GRU(3, 4)(cr.zeros(5, 2, 3), (cr.zeros(1, 2, 4),)), OpTypeError,
     r"GRU: hx must be a single tensor"),
    (lambda: RNN(3, 4)(cr.zeros(5, 2, 3), cr.zeros(2, 4)), OpError,
     r"RNN: for batched 3-D input, hx should also be 3-D"),
    (lambda: RNN(3, 4)(cr.zeros(5, 3), cr.zeros(1, 2, 4)), OpError,
     r"for unbatched 2-D input, hx should also be 2-D"),
    (lambda: LSTM(3, 4, dropout=True), OpError, r"LSTM: dropout should be a number"),
    (lambda: RNN(3, 4, num_layers=0), OpError, r"RNN: num_layers must be a positive integer"),
]


@pytest.mark.parametrize("call,error,pattern", RNN_ERRORS)
def test_rnn_errors(call, error, pattern):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(error, match=pattern):
            call()


def test_unbatched_lstm_state(torch):
    torch.manual_seed(0)
    theirs = torch.nn.LSTM(3, 4, num_layers=2)
    ours = _load(LSTM(3, 4, num_layers=2), theirs)
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    h = np.ones((2, 4), np.float32)
    yo, (ho, co) = ours(cr.tensor(x), (cr.tensor(h), cr.tensor(h)))
    yt, (ht, ct) = theirs(torch.tensor(x), (torch.tensor(h), torch.tensor(h)))
    assert yo.shape == (5, 4) and ho.shape == (2, 4) and co.shape == (2, 4)
    np.testing.assert_allclose(_np(yo), _np(yt), atol=1e-6)
    np.testing.assert_allclose(_np(co), _np(ct), atol=1e-6)
