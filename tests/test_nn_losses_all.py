"""Every loss of torch.nn.functional and its Module: forward values and input gradients
against PyTorch for every reduction, unbatched forms, weights, float32 kept; gradchecks
(reverse and forward mode, second order where the loss is twice differentiable) in float64;
PyTorch's errors as OpError naming the loss; known values that need no torch."""
import math
import types
import warnings

import numpy as np
import pytest

import chainrule as cr
from chainrule.autograd import gradcheck, gradgradcheck
from chainrule.errors import OpError
from chainrule.nn import class_losses, ctc, loss_modules, losses, margin_losses
from chainrule.nn.activation import log_softmax

F = types.SimpleNamespace(**{name: getattr(mod, name)
                             for mod in (losses, class_losses, margin_losses, ctc)
                             for name in mod.__all__})
REDUCTIONS = ("mean", "sum", "none")
rng = np.random.default_rng(0)


def t(a, grad=False, dtype=np.float64):
    return cr.tensor(np.asarray(a, dtype=dtype), requires_grad=grad)


def i64(a):
    return np.asarray(a, dtype=np.int64)


def randn(*shape):
    return rng.standard_normal(shape)


def signs(*shape):
    return np.where(rng.random(shape) < 0.5, -1.0, 1.0)


def probs(*shape):
    return rng.uniform(0.05, 0.95, shape)


def ctc_batch():
    lp = np.log(rng.dirichlet(np.ones(5), size=(6, 3)))  # (T, N, C) log-probabilities
    return lp


# name -> (call(F, diff, const, reduction), differentiable arrays, constant arrays)
# "const" arrays go to both libraries unchanged in dtype (integer targets, fixed weights).
CASES = {
    "mse": (lambda f, d, c, r: f.mse_loss(d[0], d[1], reduction=r), [randn(3, 4), randn(3, 4)],
            []),
    "mse_weight": (lambda f, d, c, r: f.mse_loss(d[0], d[1], reduction=r, weight=c[0]),
                   [randn(3, 4), randn(3, 4)], [probs(3, 4)]),
    "l1_weight": (lambda f, d, c, r: f.l1_loss(d[0], d[1], reduction=r, weight=c[0]),
                  [randn(3, 4), randn(3, 4)], [probs(3, 4)]),
    "huber_weight": (lambda f, d, c, r: f.huber_loss(d[0], d[1], reduction=r, delta=0.7,
                                                     weight=c[0]),
                     [randn(3, 4), randn(3, 4)], [probs(3, 4)]),
    "smooth_l1": (lambda f, d, c, r: f.smooth_l1_loss(d[0], d[1], reduction=r, beta=0.5),
                  [randn(5), randn(5)], []),
    "bce_logits_pos_weight": (
        lambda f, d, c, r: f.binary_cross_entropy_with_logits(d[0], c[0], weight=c[1],
                                                              reduction=r, pos_weight=c[2]),
        [randn(4, 3)], [probs(4, 3), probs(3), np.array([0.5, 2.0, 3.0])]),
    "bce_logits_pos_weight_kdim": (
        lambda f, d, c, r: f.binary_cross_entropy_with_logits(d[0], d[1], reduction=r,
                                                              pos_weight=c[0]),
        [randn(2, 3, 4), probs(2, 3, 4)], [np.array([0.5, 2.0, 3.0, 1.5])]),
    "bce": (lambda f, d, c, r: f.binary_cross_entropy(d[0], c[0], weight=c[1], reduction=r),
            [probs(4, 3)], [probs(4, 3), probs(4, 3)]),
    "kl_div_log_target": (lambda f, d, c, r: f.kl_div(d[0], d[1], reduction=r, log_target=True),
                          [randn(3, 4), randn(3, 4)], []),
    "poisson_log": (lambda f, d, c, r: f.poisson_nll_loss(d[0], d[1], reduction=r),
                    [randn(3, 4), rng.poisson(2.0, (3, 4)) * 1.0], []),
    # (a target of 0 as a constant: PyTorch's gradient with respect to it there is NaN)
    "poisson_full": (lambda f, d, c, r: f.poisson_nll_loss(d[0], c[0], log_input=False,
                                                           full=True, reduction=r),
                     [probs(3, 4) * 3], [np.array([[0., 1., 2.5, 4.]] * 3)]),
    "poisson_broadcast": (lambda f, d, c, r: f.poisson_nll_loss(d[0], d[1], full=True,
                                                                reduction=r),
                          [randn(3, 4), np.array([0.5, 1.5, 3.0, 7.0])], []),
    "gaussian_hetero": (lambda f, d, c, r: f.gaussian_nll_loss(d[0], d[1], d[2], reduction=r),
                        [randn(3, 4), randn(3, 4), probs(3, 4)], []),
    "gaussian_short_var": (lambda f, d, c, r: f.gaussian_nll_loss(d[0], d[1], d[2], full=True,
                                                                  reduction=r),
                           [randn(3, 4), randn(3, 4), probs(3)], []),
    "gaussian_one_dim": (lambda f, d, c, r: f.gaussian_nll_loss(d[0], d[1], d[2], reduction=r),
                         [randn(2, 3, 4), randn(2, 3, 4), probs(2, 1, 4)], []),
    "gaussian_clamped": (lambda f, d, c, r: f.gaussian_nll_loss(d[0], d[1], d[2], eps=0.1,
                                                                reduction=r),
                         [randn(5), randn(5), np.array([0.01, 0.5, 0.05, 2., 0.])], []),
    "gaussian_float_var": (lambda f, d, c, r: f.gaussian_nll_loss(d[0], d[1], 0.7, reduction=r),
                           [randn(3, 2), randn(3, 2)], []),
    "margin_ranking": (lambda f, d, c, r: f.margin_ranking_loss(d[0], d[1], c[0], margin=0.3,
                                                                reduction=r),
                       [randn(6), randn(6)], [signs(6)]),
    "margin_ranking_bcast": (lambda f, d, c, r: f.margin_ranking_loss(d[0], d[1], c[0],
                                                                      reduction=r),
                             [randn(6), randn(1)], [signs(6)]),
    "hinge_embedding": (lambda f, d, c, r: f.hinge_embedding_loss(d[0], c[0], margin=0.8,
                                                                  reduction=r),
                        [randn(3, 4)], [signs(3, 4)]),
    "hinge_embedding_other_target": (lambda f, d, c, r: f.hinge_embedding_loss(d[0], c[0],
                                                                               reduction=r),
                                     [randn(5)], [np.array([1., -1., 0., 2., -1.])]),
    "soft_margin": (lambda f, d, c, r: f.soft_margin_loss(d[0], c[0], reduction=r),
                    [randn(3, 4)], [signs(3, 4)]),
    "multilabel_soft_margin": (lambda f, d, c, r: f.multilabel_soft_margin_loss(
        d[0], c[0], weight=c[1], reduction=r), [randn(3, 4)],
        [(rng.random((3, 4)) < 0.5) * 1.0, probs(4)]),
    "multilabel_soft_margin_1d": (lambda f, d, c, r: f.multilabel_soft_margin_loss(
        d[0], c[0], reduction=r), [randn(4)], [(rng.random(4) < 0.5) * 1.0]),
    "multilabel_margin": (lambda f, d, c, r: f.multilabel_margin_loss(d[0], c[0], reduction=r),
                          [randn(3, 5)], [i64([[3, 0, -1, 1, 2], [4, 4, 1, -1, -1],
                                               [0, 1, 2, 3, 4]])]),
    "multilabel_margin_1d": (lambda f, d, c, r: f.multilabel_margin_loss(d[0], c[0],
                                                                         reduction=r),
                             [randn(4)], [i64([2, -1, 0, 1])]),
    "multi_margin": (lambda f, d, c, r: f.multi_margin_loss(d[0], c[0], reduction=r),
                     [randn(4, 5)], [i64([0, 4, 2, 2])]),
    "multi_margin_p2_weight": (lambda f, d, c, r: f.multi_margin_loss(
        d[0], c[0], p=2, margin=0.7, weight=c[1], reduction=r), [randn(4, 5)],
        [i64([0, 4, 2, 2]), probs(5)]),
    "multi_margin_1d": (lambda f, d, c, r: f.multi_margin_loss(d[0], c[0], reduction=r),
                        [randn(5)], [i64(3)]),
    "multi_margin_1d_t1": (lambda f, d, c, r: f.multi_margin_loss(d[0], c[0], reduction=r),
                           [randn(5)], [i64([3])]),
    "cosine_embedding": (lambda f, d, c, r: f.cosine_embedding_loss(d[0], d[1], c[0],
                                                                    margin=0.2, reduction=r),
                         [randn(5, 3), randn(5, 3)], [np.array([1., -1., -1., 1., 0.])]),
    "cosine_embedding_1d": (lambda f, d, c, r: f.cosine_embedding_loss(d[0], d[1], c[0],
                                                                       margin=-0.5,
                                                                       reduction=r),
                            [randn(3), randn(3)], [np.array(-1.)]),
    "triplet": (lambda f, d, c, r: f.triplet_margin_loss(d[0], d[1], d[2], margin=2.0,
                                                         reduction=r),
                [randn(4, 3), randn(4, 3), randn(4, 3)], []),
    "triplet_p1_swap": (lambda f, d, c, r: f.triplet_margin_loss(d[0], d[1], d[2], p=1.0,
                                                                 swap=True, reduction=r),
                        [randn(4, 3), randn(4, 3), randn(4, 3)], []),
    "triplet_1d": (lambda f, d, c, r: f.triplet_margin_loss(d[0], d[1], d[2], margin=3.0,
                                                            reduction=r),
                   [randn(3), randn(3), randn(3)], []),
    "triplet_distance": (lambda f, d, c, r: f.triplet_margin_with_distance_loss(
        d[0], d[1], d[2], margin=1.5, swap=True, reduction=r),
        [randn(4, 3), randn(4, 3), randn(4, 3)], []),
    "cross_entropy_unbatched": (lambda f, d, c, r: f.cross_entropy(d[0], c[0], reduction=r),
                                [randn(5)], [i64(2)]),
    "cross_entropy_unbatched_probs": (lambda f, d, c, r: f.cross_entropy(
        d[0], d[1], weight=c[0], reduction=r, label_smoothing=0.2),
        [randn(5), probs(5)], [probs(5)]),
    "cross_entropy_probs_smooth_weight": (lambda f, d, c, r: f.cross_entropy(
        d[0], d[1], weight=c[0], reduction=r, label_smoothing=0.3),
        [randn(4, 5), probs(4, 5)], [probs(5)]),
    "cross_entropy_kdim": (lambda f, d, c, r: f.cross_entropy(
        d[0], c[0], weight=c[1], ignore_index=1, reduction=r),
        [randn(2, 4, 3, 2)], [rng.integers(0, 4, (2, 3, 2)), probs(4)]),
    "cross_entropy_kdim_smooth": (lambda f, d, c, r: f.cross_entropy(
        d[0], c[0], weight=c[1], ignore_index=2, reduction=r, label_smoothing=0.15),
        [randn(2, 4, 3)], [rng.integers(0, 4, (2, 3)), probs(4)]),
    "cross_entropy_kdim_probs": (lambda f, d, c, r: f.cross_entropy(
        d[0], d[1], reduction=r, label_smoothing=0.1), [randn(2, 4, 3), probs(2, 4, 3)], []),
    "nll_unbatched": (lambda f, d, c, r: f.nll_loss(d[0], c[0], weight=c[1], reduction=r),
                      [randn(5)], [i64(4), probs(5)]),
    "nll_kdim_ignore": (lambda f, d, c, r: f.nll_loss(d[0], c[0], weight=c[1], ignore_index=0,
                                                      reduction=r),
                        [randn(3, 4, 2, 2)], [rng.integers(0, 4, (3, 2, 2)), probs(4)]),
    "ctc_padded": (lambda f, d, c, r: f.ctc_loss(d[0], c[0], c[1], c[2], reduction=r),
                   [ctc_batch()], [i64([[1, 2, 2], [3, 1, 0], [4, 4, 4]]), i64([6, 5, 6]),
                                   i64([3, 2, 1])]),
    "ctc_concat_blank": (lambda f, d, c, r: f.ctc_loss(d[0], c[0], c[1], c[2], blank=4,
                                                       reduction=r),
                         [ctc_batch()], [i64([1, 2, 0, 0, 3]), i64([6, 4, 5]),
                                         i64([2, 0, 3])]),
    "ctc_infinite": (lambda f, d, c, r: f.ctc_loss(d[0], c[0], c[1], c[2], reduction=r,
                                                   zero_infinity=True),
                     [ctc_batch()], [i64([[1, 1, 1], [2, 3, 0], [4, 4, 0]]), i64([4, 6, 2]),
                                     i64([3, 2, 2])]),
    "ctc_unbatched": (lambda f, d, c, r: f.ctc_loss(d[0], c[0], c[1], c[2], reduction=r),
                      [ctc_batch()[:, 0]], [i64([2, 3, 3]), i64(6), i64(3)]),
}


def _run(call, lib, d, c, reduction, dtype):
    if lib == "torch":
        import torch
        dt = torch.float64 if dtype == np.float64 else torch.float32
        xs = [torch.tensor(a, dtype=dt, requires_grad=True) for a in d]
        cs = [torch.tensor(a) if a.dtype.kind in "iu" else torch.tensor(a, dtype=dt) for a in c]
        out = call(torch.nn.functional, xs, cs, reduction)
    else:
        xs = [t(a, True, dtype) for a in d]
        cs = [cr.tensor(a) if a.dtype.kind in "iu" else t(a, dtype=dtype) for a in c]
        out = call(F, xs, cs, reduction)
    return out, xs


@pytest.mark.oracle
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", list(CASES))
def test_oracle_values_and_grads(name, reduction):
    torch = pytest.importorskip("torch")
    call, d, c = CASES[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs, txs = _run(call, "torch", d, c, reduction, np.float64)
        ours, xs = _run(call, "ours", d, c, reduction, np.float64)
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-10,
                               atol=1e-12)
    w = rng.standard_normal(tuple(theirs.shape))
    (theirs * torch.tensor(w)).sum().backward()
    (ours * t(w)).sum().backward()
    for x, tx in zip(xs, txs):
        if tx.grad is None:
            assert x.grad is None or not np.any(x.grad.numpy())
        else:
            np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-8, atol=1e-10)
    # float32 in, float32 out, close to PyTorch's float32 values
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs32, _ = _run(call, "torch", d, c, reduction, np.float32)
        ours32, xs32 = _run(call, "ours", d, c, reduction, np.float32)
    assert ours32.dtype == cr.float32
    np.testing.assert_allclose(ours32.detach().numpy(), theirs32.detach().numpy(), rtol=2e-5,
                               atol=2e-5)


# losses with kinks (clamps, relu, where) are checked away from them: random inputs rarely
# land within eps of a kink.
# gaussian_clamped: the gradient flows through the clamp of var as if unclamped (PyTorch's),
# which finite differences do not see.
GRAD_CASES = [n for n in CASES if not n.startswith("ctc") and n != "gaussian_clamped"]
# Piecewise-linear losses: the second derivative is zero (still checked).


@pytest.mark.parametrize("name", GRAD_CASES)
def test_gradcheck(name):
    call, d, c = CASES[name]
    cs = [cr.tensor(a) if a.dtype.kind in "iu" else t(a) for a in c]
    xs = [t(a, True) for a in d]
    if name == "bce":  # probabilities stay inside (0, 1) under the finite differences
        xs = [t(probs(4, 3), True)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # 'sum' here (every reduction's gradient is compared with PyTorch's above)
        assert gradcheck(lambda *a: call(F, list(a), cs, "sum"), xs)
        assert gradgradcheck(lambda *a: call(F, list(a), cs, "mean"), xs)


@pytest.mark.parametrize("zero_infinity", [False, True])
def test_ctc_gradcheck_through_log_softmax(zero_infinity):
    """Through log_softmax PyTorch's CTC gradient is the exact one, to every order."""
    logits = t(rng.standard_normal((4, 2, 3)), True)
    tg, il, tl = i64([[1, 2], [1, 1]]), i64([4, 3]), i64([2, 2])

    def fn(x):
        return ctc.ctc_loss(log_softmax(x, 2), tg, il, tl, reduction="sum",
                            zero_infinity=zero_infinity)
    assert gradcheck(fn, [logits])
    assert gradgradcheck(fn, [logits])
    # the unbatched form
    x1 = t(rng.standard_normal((4, 3)), True)
    assert gradcheck(lambda x: ctc.ctc_loss(log_softmax(x, 1), i64([1, 2]), 4, 2), [x1])


def test_ctc_known_values():
    # one frame per label: the only alignment is the target itself, log-probability 0
    lp = t(np.log(np.array([[[1e-300, 1.0, 1e-300]], [[1e-300, 1e-300, 1.0]]])))
    assert abs(ctc.ctc_loss(lp, i64([[1, 2]]), [2], [2], reduction="sum").item()) < 1e-12
    # uniform over C classes, T frames, empty target: only the all-blank path, T log C
    u = t(np.full((3, 1, 4), -math.log(4)))
    np.testing.assert_allclose(ctc.ctc_loss(u, i64([[0]]), [3], [0], reduction="sum").item(),
                               3 * math.log(4))
    # a target longer than the frames: unreachable, inf (0 with zero_infinity)
    assert ctc.ctc_loss(u, i64([[1, 1]]), [2], [2], reduction="sum").item() == math.inf
    assert ctc.ctc_loss(u, i64([[1, 1]]), [2], [2], zero_infinity=True).item() == 0.0
    # PyTorch's gradient on raw log-probabilities: exact + exp(log_probs) over the frames
    x = t(np.full((2, 1, 2), -math.log(2)), True)
    ctc.ctc_loss(x, i64([[1]]), [1], [1], reduction="sum").backward()
    np.testing.assert_allclose(x.grad.numpy()[:, 0], [[0.5, 0.5 - 1.0], [0.0, 0.0]])


def test_known_values():
    np.testing.assert_allclose(F.poisson_nll_loss(t([0.]), t([1.])).item(), 1.0)
    np.testing.assert_allclose(F.gaussian_nll_loss(t([1.]), t([3.]), t([2.])).item(),
                               0.5 * (math.log(2) + 2.0))
    np.testing.assert_allclose(F.gaussian_nll_loss(t([1.]), t([3.]), np.array([2.])).item(),
                               0.5 * (math.log(2) + 2.0))
    assert F.margin_ranking_loss(t([1.]), t([2.]), t([1.])).item() == 1.0
    np.testing.assert_allclose(F.hinge_embedding_loss(t([0.3, 2.]), t([1., -1.])).item(), 0.15)
    np.testing.assert_allclose(F.soft_margin_loss(t([0.]), t([1.])).item(), math.log(2))
    x = t([[0.1, 0.2, 0.4, 0.8]])
    np.testing.assert_allclose(F.multilabel_margin_loss(x, i64([[3, 0, -1, 1]])).item(), 0.85)
    np.testing.assert_allclose(F.multi_margin_loss(x, i64([3])).item(), 0.325)
    assert F.cosine_embedding_loss(t([1., 0.]), t([0., 1.]), t(1.)).item() == 1.0
    a, n = t([[0., 0.]]), t([[3., 4.]])
    assert F.triplet_margin_loss(a, a, n, eps=0.0).item() == 0.0
    np.testing.assert_allclose(F.triplet_margin_loss(a, n, a, eps=0.0).item(), 6.0)
    np.testing.assert_allclose(F.mse_loss(t([1., 2.]), t([1., 4.]), weight=t([3., 1.])).item(),
                               1.0)
    np.testing.assert_allclose(F.cross_entropy(t([0., 0.]), i64(1)).item(), math.log(2))
    # the legacy size_average / reduce pair, with PyTorch's warning
    with pytest.warns(UserWarning, match="reduction='sum'"):
        assert F.l1_loss(t([1., 2.]), t([0., 0.]), size_average=False).item() == 3.0
    with pytest.warns(UserWarning, match="reduction='none'"):
        assert F.multi_margin_loss(x, i64([3]), reduce=False).shape == (1,)


def test_gradients_at_the_kinks_follow_pytorch():
    # clamp_min passes the gradient at exactly 0; multi_margin's z > 0 does not
    x1, x2 = t([1.0], True), t([1.0], True)
    F.margin_ranking_loss(x1, x2, t([1.]), reduction="sum").backward()
    assert x1.grad.item() == -1.0 and x2.grad.item() == 1.0
    x = t([[0.0, 1.0]], True)
    F.multi_margin_loss(x, i64([1])).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0.0, 0.0]])


ERRORS = [
    ("mse_loss", lambda: F.mse_loss(t(randn(2, 3)), t(randn(2, 3)), reduction="avg")),
    ("mse_loss", lambda: F.mse_loss(t(randn(2, 3)), t(randn(2, 3)), weight=t(randn(3)))),
    ("huber_loss", lambda: F.huber_loss(t(randn(2)), t(randn(3)))),
    ("poisson_nll_loss", lambda: F.poisson_nll_loss(t(randn(3, 2)), t(randn(3)))),
    ("poisson_nll_loss", lambda: F.poisson_nll_loss(t(randn(3)), t(randn(3)), reduction="x")),
    ("gaussian_nll_loss", lambda: F.gaussian_nll_loss(t(randn(3)), t(randn(3)), t([1, -1, 1]))),
    ("gaussian_nll_loss", lambda: F.gaussian_nll_loss(t(randn(3)), t(randn(3)), -1.0)),
    ("gaussian_nll_loss", lambda: F.gaussian_nll_loss(t(randn(3, 4)), t(randn(3, 4)),
                                                      t(probs(2, 4)))),
    ("gaussian_nll_loss", lambda: F.gaussian_nll_loss(t(randn(3)), t(randn(3)), t(probs(3)),
                                                      reduction="x")),
    ("margin_ranking_loss", lambda: F.margin_ranking_loss(t(randn(3)), t(randn(3)),
                                                          t(np.ones((3, 1))))),
    ("margin_ranking_loss", lambda: F.margin_ranking_loss(t(randn(3)), t(randn(2)),
                                                          t(np.ones(3)))),
    ("hinge_embedding_loss", lambda: F.hinge_embedding_loss(t(randn(3)), t(randn(3)),
                                                            reduction="x")),
    ("soft_margin_loss", lambda: F.soft_margin_loss(t(randn(3, 2)), t(np.ones(3)))),
    ("multilabel_soft_margin_loss", lambda: F.multilabel_soft_margin_loss(
        t(randn(3, 2)), t(np.ones((3, 2))), reduction="x")),
    ("multilabel_margin_loss", lambda: F.multilabel_margin_loss(t(randn(2, 4)),
                                                                i64([1, -1, 0, 0]))),
    ("multilabel_margin_loss", lambda: F.multilabel_margin_loss(t(randn(4)), i64([1, 5, -1, 0]))),
    ("multilabel_margin_loss", lambda: F.multilabel_margin_loss(t(randn(4)), t(np.ones(4)))),
    ("multi_margin_loss", lambda: F.multi_margin_loss(t(randn(4)), i64(7))),
    ("multi_margin_loss", lambda: F.multi_margin_loss(t(randn(4)), i64(1), p=3)),
    ("multi_margin_loss", lambda: F.multi_margin_loss(t(randn(3, 4)), i64([1, 2]))),
    ("multi_margin_loss", lambda: F.multi_margin_loss(t(randn(3, 4)), i64([1, 2, 0]),
                                                      weight=t(np.ones(3)))),
    ("cosine_embedding_loss", lambda: F.cosine_embedding_loss(t(randn(3, 4)), t(randn(3, 4)),
                                                              t(np.ones((3, 1))))),
    ("cosine_embedding_loss", lambda: F.cosine_embedding_loss(t(randn(3, 4)), t(randn(3, 4)),
                                                              t(1.))),
    ("cosine_embedding_loss", lambda: F.cosine_embedding_loss(t(randn(3, 4)), t(randn(3, 4)),
                                                              t(np.ones(2)))),
    ("triplet_margin_loss", lambda: F.triplet_margin_loss(t(randn(3, 4)), t(randn(3, 4)),
                                                          t(randn(4)))),
    ("triplet_margin_loss", lambda: F.triplet_margin_loss(t(randn(4)), t(randn(4)),
                                                          t(randn(4)), margin=0.0)),
    ("triplet_margin_with_distance_loss", lambda: F.triplet_margin_with_distance_loss(
        t(randn(3, 2)), t(randn(3, 2)), t(randn(2)))),
    ("triplet_margin_with_distance_loss", lambda: F.triplet_margin_with_distance_loss(
        t(randn(2)), t(randn(2)), t(randn(2)), reduction="x")),
    ("cross_entropy", lambda: F.cross_entropy(t(randn(5)), i64([1, 2]))),
    ("cross_entropy", lambda: F.cross_entropy(t(randn(2, 5, 3)), i64([[1, 2, 7], [0, 0, 0]]))),
    ("nll_loss", lambda: F.nll_loss(t(randn(2, 5, 3)), i64([1, 2]))),
    ("ctc_loss", lambda: F.ctc_loss(t(ctc_batch()), i64([[1, 2, 3]] * 3), i64([6, 7, 6]),
                                    i64([3, 2, 1]))),
    ("ctc_loss", lambda: F.ctc_loss(t(ctc_batch()), i64([[1, 2, 3]] * 3), i64([6, -1, 6]),
                                    i64([3, 2, 1]))),
    ("ctc_loss", lambda: F.ctc_loss(t(ctc_batch()), i64([[1, 2, 3]] * 3), i64([6, 6, 6]),
                                    i64([4, 2, 1]))),
    ("ctc_loss", lambda: F.ctc_loss(t(ctc_batch()), i64([1, 2, 3, 1, 1]), i64([6, 6, 6]),
                                    i64([4, 1, 1]))),
    ("ctc_loss", lambda: F.ctc_loss(t(ctc_batch()), i64([[1, 2, 3]] * 3), i64([6, 6, 6]),
                                    i64([3, 2, 1]), blank=5)),
    ("ctc_loss", lambda: F.ctc_loss(t(ctc_batch()), i64([[1, 2, 3]] * 3), t([6, 6, 6]),
                                    i64([3, 2, 1]))),
    ("ctc_loss", lambda: F.ctc_loss(t(ctc_batch()), i64([[1, 2, 3]] * 3), i64([6]),
                                    i64([3, 2, 1]))),
    ("ctc_loss", lambda: F.ctc_loss(t(ctc_batch()), i64([[1, 2, 3]] * 3), i64([6, 6, 6]),
                                    i64([3, 2, 1]), reduction="x")),
    ("ctc_loss", lambda: F.ctc_loss(t(ctc_batch()[:, :0]), i64(np.zeros((0, 3))),
                                    i64([]), i64([]))),
]


@pytest.mark.parametrize("op,call", ERRORS, ids=[f"{i}-{op}" for i, (op, _) in
                                                  enumerate(ERRORS)])
def test_errors_name_the_loss(op, call):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises((OpError, IndexError), match=op):
            call()


@pytest.mark.oracle
@pytest.mark.parametrize("op,call", ERRORS, ids=[f"{i}-{op}" for i, (op, _) in
                                                  enumerate(ERRORS)])
def test_errors_where_pytorch_raises(op, call):
    """Each error case above raises in PyTorch too (same call, torch's functions)."""
    torch = pytest.importorskip("torch")
    global F, t, i64
    saved = F, t, i64
    F = torch.nn.functional
    t = lambda a, grad=False, dtype=np.float64: torch.tensor(np.asarray(a, dtype))  # noqa
    i64 = lambda a: torch.tensor(np.asarray(a, np.int64))  # noqa: E731
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises((RuntimeError, ValueError, IndexError)):
                call()
    finally:
        F, t, i64 = saved


MODULES = [
    ("PoissonNLLLoss", dict(log_input=False, full=True, eps=1e-6), 2),
    ("GaussianNLLLoss", dict(full=True, eps=1e-4), 3),
    ("MarginRankingLoss", dict(margin=0.5), 3),
    ("HingeEmbeddingLoss", dict(margin=0.5), 2),
    ("SoftMarginLoss", {}, 2),
    ("MultiLabelSoftMarginLoss", dict(weight="w"), 2),
    ("MultiLabelMarginLoss", {}, 2),
    ("MultiMarginLoss", dict(p=2, margin=0.5, weight="w"), 2),
    ("CosineEmbeddingLoss", dict(margin=0.1), 3),
    ("TripletMarginLoss", dict(margin=0.5, p=1.0, swap=True), 3),
    ("TripletMarginWithDistanceLoss", dict(margin=0.5, swap=True), 3),
]


def _module_inputs(name):
    x = probs(3, 4)
    return {
        "PoissonNLLLoss": [x, probs(3, 4) * 3],
        "GaussianNLLLoss": [randn(3, 4), randn(3, 4), probs(3, 4)],
        "MarginRankingLoss": [randn(5), randn(5), signs(5)],
        "HingeEmbeddingLoss": [randn(3, 4), signs(3, 4)],
        "SoftMarginLoss": [randn(3, 4), signs(3, 4)],
        "MultiLabelSoftMarginLoss": [randn(3, 4), (rng.random((3, 4)) < 0.5) * 1.0],
        "MultiLabelMarginLoss": [randn(3, 4), i64([[1, -1, 0, 0], [3, 2, 1, 0], [0, 2, -1, 1]])],
        "MultiMarginLoss": [randn(3, 4), i64([1, 3, 0])],
        "CosineEmbeddingLoss": [randn(3, 4), randn(3, 4), signs(3)],
        "TripletMarginLoss": [randn(3, 4), randn(3, 4), randn(3, 4)],
        "TripletMarginWithDistanceLoss": [randn(3, 4), randn(3, 4), randn(3, 4)],
    }[name]


@pytest.mark.oracle
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name,kwargs,nargs", MODULES)
def test_oracle_modules(name, kwargs, nargs, reduction):
    torch = pytest.importorskip("torch")
    w = probs(4)
    ours_kw = {k: (t(w) if v == "w" else v) for k, v in kwargs.items()}
    theirs_kw = {k: (torch.tensor(w) if v == "w" else v) for k, v in kwargs.items()}
    ours = getattr(loss_modules, name)(reduction=reduction, **ours_kw)
    theirs = getattr(torch.nn, name)(reduction=reduction, **theirs_kw)
    args = _module_inputs(name)
    a = [cr.tensor(v) if v.dtype.kind in "iu" else t(v) for v in args]
    b = [torch.tensor(v) for v in args]
    np.testing.assert_allclose(ours(*a).numpy(), theirs(*b).numpy(), rtol=1e-10, atol=1e-12)
    assert repr(ours) == repr(theirs)
    if "weight" in kwargs:
        assert "weight" in dict(ours.named_buffers())


@pytest.mark.oracle
def test_oracle_ctc_module_and_legacy_args():
    torch = pytest.importorskip("torch")
    lp = ctc_batch()
    args = (i64([[1, 2, 2], [3, 1, 0], [4, 4, 4]]), i64([6, 5, 6]), i64([3, 2, 1]))
    ours = loss_modules.CTCLoss(blank=0, reduction="sum")(t(lp), *[cr.tensor(a) for a in args])
    theirs = torch.nn.CTCLoss(blank=0, reduction="sum")(torch.tensor(lp),
                                                         *[torch.tensor(a) for a in args])
    np.testing.assert_allclose(ours.item(), theirs.item(), rtol=1e-10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for sa, rd in ((False, None), (None, False), (True, True)):
            m = loss_modules.MarginRankingLoss(0.1, sa, rd)
            assert m.reduction == torch.nn.MarginRankingLoss(0.1, sa, rd).reduction
    with pytest.raises(ValueError):
        loss_modules.MultiMarginLoss(p=3)
    with pytest.raises(ValueError):
        loss_modules.TripletMarginLoss(margin=0.0)


def test_errors_beyond_pytorch():
    """Where PyTorch reads out of bounds (undefined behaviour), an error."""
    with pytest.raises(IndexError, match="ctc_loss"):
        F.ctc_loss(t(ctc_batch()), i64([[1, 2, 9]] * 3), i64([6, 6, 6]), i64([3, 2, 1]))


def test_noncontiguous_and_empty():
    x = t(randn(4, 3), True)
    y = t(randn(3, 4))
    assert gradcheck(lambda a: F.multi_margin_loss(a.T, i64([0, 1, 2])), [x])
    assert gradcheck(lambda a: F.triplet_margin_loss(a.T, y, y * 2), [x])
    s = t(signs(3, 4))
    assert gradcheck(lambda a: F.soft_margin_loss(a.T, s), [x])
    # an empty batch: 'sum' is 0, 'none' is empty, as PyTorch
    assert F.multilabel_margin_loss(t(np.zeros((0, 4))), i64(np.zeros((0, 4))),
                                    reduction="sum").item() == 0.0
    assert F.multi_margin_loss(t(np.zeros((0, 4))), i64([]), reduction="none").shape == (0,)
    assert F.margin_ranking_loss(t([]), t([]), t([]), reduction="sum").item() == 0.0
