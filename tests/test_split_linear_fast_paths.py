"""The fast paths behind sequence models: N-D ``linear`` (flattened to one GEMM), N-D @ 2-D
``matmul`` (one GEMM forward), ``lstm_scan`` (the LSTM recurrence as one primitive) and
split / chunk / unbind with some pieces unused. Values and gradients against PyTorch, and
finite differences (first and second order, reverse and forward mode) in float64."""
import numpy as np
import pytest

import chainrule as cr
from chainrule.autograd import gradcheck, gradgradcheck
from chainrule.errors import OpError
from chainrule.nn.linear import linear
from chainrule.nn.recurrent import LSTM, lstm_scan
from chainrule.ops import shape as sh
from linear_torch_check import check_linear_matches_torch
from chainrule.ops.linalg import matmul


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def _t(shape, seed=0, scale=1.0):
    data = np.random.default_rng(seed).standard_normal(shape) * scale
    return cr.tensor(data, requires_grad=True)


# ----- linear on N-D input ----------------------------------------------------------------
@pytest.mark.parametrize("shape", [(4, 3, 5), (2, 2, 3, 5), (0, 3, 5), (5,), (3, 5)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_nd_matches_torch(torch, shape, bias):
    check_linear_matches_torch(torch, shape, bias)


def test_linear_nd_is_one_gemm_per_gradient():
    # The weight's gradient comes from a 2-D product, not a batch of them summed.
    x, w = _t((3, 4, 5)), _t((2, 5), 1)
    out = linear(x, w)
    assert out.grad_fn.name == "ReshapeBackward"
    out.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), np.ones((3, 4, 2)).reshape(-1, 2).T
                               @ x.detach().numpy().reshape(-1, 5))


@pytest.mark.parametrize("bias", [True, False])
def test_linear_nd_gradcheck(bias):
    x, w, b = _t((2, 3, 4)), _t((3, 4), 1), _t((3,), 2)
    fn = (lambda x, w, b: linear(x, w, b)) if bias else (lambda x, w, b: linear(x, w) + 0 * b)
    assert gradcheck(fn, [x, w, b])
    assert gradgradcheck(fn, [x, w, b])


def test_linear_nd_noncontiguous_input():
    base = _t((4, 2, 3))  # permuted to (3, 2, 4): not contiguous
    w = _t((5, 4), 1)
    fn = lambda a, w: linear(sh.permute(a, 2, 1, 0), w)
    assert gradcheck(fn, [base, w])
    assert gradgradcheck(fn, [base, w])
    want = np.transpose(base.detach().numpy(), (2, 1, 0)) @ w.detach().numpy().T
    np.testing.assert_allclose(fn(base, w).detach().numpy(), want, rtol=1e-12)


def test_linear_nd_shape_error():
    with pytest.raises(OpError, match="linear"):
        linear(cr.ones(2, 3, 4), cr.ones(5, 3))


# ----- matmul (..., m, k) @ (k, n) -----------------------------------------------------------
@pytest.mark.parametrize("xs", [(3, 4, 5), (2, 3, 4, 5), (0, 4, 5), (3, 4, 0)])
def test_matmul_nd_by_2d_values(torch, xs):
    rng = np.random.default_rng(3)
    x = rng.standard_normal(xs).astype(np.float32)
    y = rng.standard_normal((xs[-1], 6)).astype(np.float32)
    got = matmul(cr.tensor(x), cr.tensor(y))
    want = torch.tensor(x) @ torch.tensor(y)
    assert got.shape == tuple(want.shape) and got.dtype == cr.float32
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-5, atol=1e-5)


def test_matmul_nd_by_2d_gradcheck_noncontiguous():
    x, y = _t((4, 2, 3)), _t((4, 5), 1)
    fn = lambda x, y: matmul(sh.swapaxes(x, 0, 2), y)  # (3, 2, 4) @ (4, 5), non-contiguous
    assert gradcheck(fn, [x, y])
    assert gradgradcheck(fn, [x, y])
    fn2 = lambda x, y: matmul(sh.swapaxes(x, 0, 2), sh.swapaxes(y, 0, 1)[:4, :4])
    assert gradcheck(fn2, [x, _t((5, 4), 2)])


def test_matmul_nd_by_2d_shape_error():
    with pytest.raises(OpError, match="matmul"):
        matmul(cr.ones(2, 3, 4), cr.ones(5, 6))


# ----- lstm_scan -------------------------------------------------------------------------
@pytest.mark.parametrize("reverse", [False, True])
def test_lstm_scan_gradcheck(reverse):
    ins = [_t((3, 2, 8), 0), _t((2, 2), 1), _t((2, 2), 2), _t((8, 2), 3)]
    fn = lambda *a: lstm_scan(*a, reverse=reverse)
    assert gradcheck(fn, ins)
    assert gradgradcheck(fn, ins)


def test_lstm_scan_some_inputs_constant_and_noncontiguous():
    proj = _t((2, 8, 3), 0)  # used as (2, 3, 8): not contiguous
    h0 = cr.tensor(np.random.default_rng(1).standard_normal((3, 2)))  # no gradient
    c0, w = _t((3, 2), 2), _t((8, 2), 3)
    fn = lambda p, c, w: lstm_scan(sh.swapaxes(p, 1, 2), h0, c, w)
    assert gradcheck(fn, [proj, c0, w])
    assert gradgradcheck(fn, [proj, c0, w])


def _reference_scan(proj, h0, c0, w, reverse):
    """The recurrence in plain NumPy (float64), PyTorch's gate order i, f, g, o."""
    sig = lambda v: 1.0 / (1.0 + np.exp(-v))
    hid = h0.shape[-1]
    h, c, hs = h0, c0, [None] * len(proj)
    for t in (range(len(proj) - 1, -1, -1) if reverse else range(len(proj))):
        z = proj[t] + h @ w.T
        i, f, g, o = sig(z[:, :hid]), sig(z[:, hid:2 * hid]), np.tanh(z[:, 2 * hid:3 * hid]), \
            sig(z[:, 3 * hid:])
        c = f * c + i * g
        h = o * np.tanh(c)
        hs[t] = h
    return np.concatenate([np.stack(hs), c[None]])


@pytest.mark.parametrize("reverse", [False, True])
def test_lstm_scan_known_values(reverse):
    rng = np.random.default_rng(4)
    arrays = [rng.standard_normal(s) for s in ((4, 3, 8), (3, 2), (3, 2), (8, 2))]
    got = lstm_scan(*(cr.tensor(a) for a in arrays), reverse=reverse)
    np.testing.assert_allclose(got.numpy(), _reference_scan(*arrays, reverse), rtol=1e-12,
                               atol=1e-12)
    # float32 in, float32 out; no graph without gradients
    got32 = lstm_scan(*(cr.tensor(a.astype(np.float32)) for a in arrays), reverse=reverse)
    assert got32.dtype == cr.float32 and got32.grad_fn is None


def test_lstm_scan_shape_errors():
    with pytest.raises(OpError, match="lstm_scan"):
        lstm_scan(cr.zeros(3, 2, 7), cr.zeros(2, 2), cr.zeros(2, 2), cr.zeros(8, 2))
    with pytest.raises(OpError, match="lstm_scan"):
        lstm_scan(cr.zeros(3, 2, 8), cr.zeros(2, 2), cr.zeros(1, 2), cr.zeros(8, 2))


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
def test_lstm_module_matches_torch(torch, bidirectional, batch_first):
    torch.manual_seed(0)
    tm = torch.nn.LSTM(5, 4, 2, bidirectional=bidirectional, batch_first=batch_first).double()
    cm = LSTM(5, 4, 2, bidirectional=bidirectional, batch_first=batch_first, dtype="float64")
    cm.load_state_dict({k: cr.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    rng = np.random.default_rng(5)
    d = 2 if bidirectional else 1
    x = rng.standard_normal((3, 6, 5) if batch_first else (6, 3, 5))
    h0, c0 = rng.standard_normal((2 * d, 3, 4)), rng.standard_normal((2 * d, 3, 4))
    tin = [torch.tensor(a, requires_grad=True) for a in (x, h0, c0)]
    cin = [cr.tensor(a, requires_grad=True) for a in (x, h0, c0)]
    to, (th, tc) = tm(tin[0], (tin[1], tin[2]))
    co, (ch, cc) = cm(cin[0], (cin[1], cin[2]))
    weights = [rng.standard_normal(tuple(t.shape)) for t in (to, th, tc)]
    sum((t * torch.tensor(w)).sum() for t, w in zip((to, th, tc), weights)).backward()
    sum((c * cr.tensor(w)).sum() for c, w in zip((co, ch, cc), weights)).backward()
    for c, t in zip((co, ch, cc), (to, th, tc)):
        np.testing.assert_allclose(c.detach().numpy(), t.detach().numpy(), rtol=1e-10,
                                   atol=1e-10)
    for c, t in zip(cin, tin):
        np.testing.assert_allclose(c.grad.numpy(), t.grad.numpy(), rtol=1e-10, atol=1e-10)
    params = dict(cm.named_parameters())
    for name, p in tm.named_parameters():
        np.testing.assert_allclose(params[name].grad.numpy(), p.grad.numpy(), rtol=1e-10,
                                   atol=1e-10)


def test_lstm_module_gradcheck_unbatched():
    m = LSTM(3, 2, 1, dtype="float64")
    x = _t((4, 3), 7)
    fn = lambda x: m(x)[0]
    assert gradcheck(fn, [x])
    assert gradgradcheck(fn, [x])


# ----- split / chunk / unbind with pieces unused ------------------------------------------------
@pytest.mark.parametrize("op, args, used", [
    ("unbind", (1,), (0, 2)),
    ("split", (2, 0), (1,)),
    ("split", ([1, 3, 1], 1), (0, 2)),
    ("chunk", (3, -1), (2,)),
])
def test_pieces_with_missing_cotangents(torch, op, args, used):
    x = np.random.default_rng(6).standard_normal((4, 5, 3))
    tx, cx = torch.tensor(x, requires_grad=True), cr.tensor(x, requires_grad=True)
    tp, cp = getattr(torch, op)(tx, *args), getattr(sh, op)(cx, *args)
    assert len(tp) == len(cp)
    for t, c in zip(tp, cp):
        np.testing.assert_array_equal(c.detach().numpy(), t.detach().numpy())
    sum((tp[i] * (i + 1)).sum() for i in used).backward()
    sum((cp[i] * (i + 1)).sum() for i in used).backward()
    np.testing.assert_array_equal(cx.grad.numpy(), tx.grad.numpy())
    base = _t((3, 5, 4), 8)  # swapped to (4, 5, 3): a non-contiguous input
    fn = lambda a: tuple(getattr(sh, op)(sh.swapaxes(a, 0, 2), *args)[i] for i in used)
    assert gradcheck(fn, [base])
    assert gradgradcheck(fn, [base])
