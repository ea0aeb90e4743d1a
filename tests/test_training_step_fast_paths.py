"""The fast paths of an idiomatic training step: SGD's and Adam's loop over a group (bit for
bit the per-parameter update), zero_grad, Module.parameters() without names, and
cross_entropy's common case (the general path's values, gradients and errors)."""
import numpy as np
import pytest

import chainrule as cr
from chainrule.errors import IndexOutOfRangeError
from chainrule.nn.class_losses import cross_entropy
from chainrule.optim.optimizer import Optimizer

SHAPES = [(7, 5), (5,), (3, 4, 2), (0, 3), ()]


def _pair(dtype, seed=0):
    rng = np.random.default_rng(seed)
    a = [cr.nn.Parameter(cr.from_numpy(rng.standard_normal(s).astype(dtype))) for s in SHAPES]
    b = [cr.nn.Parameter(cr.from_numpy(p.detach().numpy().copy())) for p in a]
    return a, b


@pytest.mark.parametrize("make", [
    lambda p: cr.optim.SGD(p, lr=0.1),
    lambda p: cr.optim.Adam(p, lr=1e-2),
    lambda p: cr.optim.Adam(p, lr=1e-2, betas=(0.5, 0.6), eps=1e-3),
    lambda p: cr.optim.AdamW(p, lr=1e-2, weight_decay=0.0),
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_group_loop_is_the_per_parameter_update_bit_for_bit(make, dtype):
    fast, slow = _pair(dtype)
    opt_fast, opt_slow = make(fast), make(slow)
    opt_slow._step_group = lambda group: Optimizer._step_group(opt_slow, group)
    rng = np.random.default_rng(1)
    for _ in range(4):
        for i, (a, b) in enumerate(zip(fast, slow)):
            if i == 1 and _ == 2:  # a parameter without a gradient this step
                a.grad = b.grad = None
                continue
            g = rng.standard_normal(a.shape).astype(dtype)
            a.grad, b.grad = cr.from_numpy(g.copy()), cr.from_numpy(g.copy())
        opt_fast.step()
        opt_slow.step()
    for a, b in zip(fast, slow):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
        sa, sb = opt_fast.state[a], opt_slow.state[b]
        assert sa.keys() == sb.keys()
        for key in sa:
            np.testing.assert_array_equal(sa[key], sb[key])
    assert opt_fast.state_dict()["state"].keys() == opt_slow.state_dict()["state"].keys()


def test_step_bumps_the_version_and_takes_a_hand_set_gradient_of_another_dtype():
    w = cr.nn.Parameter(cr.ones(3))
    opt = cr.optim.SGD([w], lr=0.5)
    w.grad = cr.tensor(np.array([1., 2., 4.]))  # float64 for a float32 parameter
    before = w._version[0]
    opt.step()
    assert w._version[0] == before + 1 and w.dtype == cr.float32
    np.testing.assert_array_equal(w.detach().numpy(), [0.5, 0., -1.])
    a = cr.nn.Parameter(cr.ones(2))
    adam = cr.optim.Adam([a], lr=0.1)
    a.grad = cr.tensor(np.array([1., -1.]))
    adam.step()
    np.testing.assert_allclose(a.detach().numpy(), [0.9, 1.1], rtol=1e-6)


def test_options_off_the_fast_path_still_apply():
    w = cr.nn.Parameter(cr.tensor([1.0]))
    opt = cr.optim.SGD([w], lr=0.1, momentum=0.9)
    for _ in range(2):
        w.grad = cr.tensor([1.0])
        opt.step()
    np.testing.assert_allclose(w.detach().numpy(), [1 - 0.1 - 0.1 * 1.9], rtol=1e-6)
    assert "momentum_buffer" in opt.state[w]


def test_zero_grad():
    model = cr.nn.Linear(3, 2)
    opt = cr.optim.SGD(model.parameters(), lr=0.1)
    model(cr.ones(4, 3)).sum().backward()
    opt.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.numpy().any() for p in model.parameters())
    opt.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    model(cr.ones(4, 3)).sum().backward()
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_parameters_follow_named_parameters():
    nn = cr.nn
    shared = nn.Linear(2, 2)
    model = nn.Sequential(nn.Linear(3, 4), nn.Sequential(shared, nn.ReLU(), shared,
                                                         nn.Sequential(nn.Linear(2, 2))),
                          shared, nn.LSTM(2, 3, 2))
    model.extra = nn.Linear(1, 1)
    named = [p for _, p in model.named_parameters()]
    assert [id(p) for p in model.parameters()] == [id(p) for p in named]
    assert len(named) == 2 + 2 + 2 + 8 + 2
    assert list(model.parameters(recurse=False)) == []
    assert [id(p) for p in model.extra.parameters(recurse=False)] == \
        [id(model.extra.weight), id(model.extra.bias)]


def _logits(n=6, c=4, seed=0):
    data = np.random.default_rng(seed).standard_normal((n, c))
    return cr.tensor(data, requires_grad=True)


@pytest.mark.parametrize("dtype", [np.int64, np.int32])
def test_cross_entropy_common_case_is_the_general_path(dtype):
    target = cr.from_numpy(np.array([0, 3, 1, 1, 2, 3], dtype=dtype))
    fast_in, slow_in = _logits(), _logits()
    fast = cross_entropy(fast_in, target)
    slow = cross_entropy(slow_in, target, reduction="sum") / 6.0  # off the fast path
    np.testing.assert_allclose(fast.item(), slow.item(), rtol=1e-14)
    fast.backward()
    slow.backward()
    np.testing.assert_allclose(fast_in.grad.numpy(), slow_in.grad.numpy(), rtol=1e-14)
    z = fast_in.detach().numpy()
    lse = np.log(np.exp(z).sum(1))
    np.testing.assert_allclose(fast.item(), np.mean(lse - z[np.arange(6), target.numpy()]))


def test_cross_entropy_range_and_ignore_index_leave_the_fast_path():
    z = _logits(2, 4)
    for bad, shown in (([-1, 0], "-1"), ([0, 4], "4")):
        with pytest.raises(IndexOutOfRangeError, match=f"Target {shown} is out of bounds"):
            cross_entropy(z, cr.tensor(bad))
    # -100 (the default ignore_index) is ignored, not out of range
    loss = cross_entropy(z, cr.tensor([-100, 2]))
    zd = z.detach().numpy()
    np.testing.assert_allclose(loss.item(), np.log(np.exp(zd[1]).sum()) - zd[1, 2])
    # an ignore_index inside [0, C): its rows are dropped
    loss = cross_entropy(z, cr.tensor([1, 2]), ignore_index=1)
    np.testing.assert_allclose(loss.item(), np.log(np.exp(zd[1]).sum()) - zd[1, 2])
