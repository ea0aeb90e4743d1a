"""normalize, cosine_similarity, pairwise_distance, pixel_(un)shuffle, channel dropout and
their Modules: known values, gradchecks in float64, and PyTorch as the oracle."""
import numpy as np
import pytest

import chainrule as cr
from chainrule.autograd import gradcheck, gradgradcheck
from chainrule.errors import OpError
from chainrule.nn.distance import (CosineSimilarity, PairwiseDistance, cosine_similarity,
                                   normalize, pairwise_distance)
from chainrule.nn.dropout import Dropout1d, Dropout2d, Dropout3d, dropout1d, dropout2d, dropout3d
from chainrule.nn.shape import PixelShuffle, PixelUnshuffle, Unflatten, pixel_shuffle, \
    pixel_unshuffle

rng = np.random.default_rng(0)


def t(a, grad=False):
    return cr.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def test_known_values():
    np.testing.assert_allclose(normalize(t([[3., 4.]])).numpy(), [[0.6, 0.8]])
    np.testing.assert_allclose(normalize(t([[0., 0.]])).numpy(), [[0., 0.]])
    np.testing.assert_allclose(normalize(t([[3., -1.]]), p=1, dim=1).numpy(), [[0.75, -0.25]])
    np.testing.assert_allclose(cosine_similarity(t([[1., 0.]]), t([[1., 1.]])).numpy(),
                               [np.sqrt(0.5)])
    np.testing.assert_allclose(CosineSimilarity(dim=0)(t([1., 0.]), t([0., 2.])).numpy(), 0.0)
    np.testing.assert_allclose(pairwise_distance(t([[3., 4.]]), t([[0., 0.]]), eps=0).numpy(),
                               [5.])
    assert PairwiseDistance(keepdim=True)(t([[3., 4.]]), t([[0., 0.]])).shape == (1, 1)
    np.testing.assert_allclose(pairwise_distance(t([[1., 2.]]), t([[0., 0.]]), p=1,
                                                 eps=0).numpy(), [3.])
    x = cr.arange(8.).reshape(1, 4, 1, 2)
    np.testing.assert_array_equal(pixel_shuffle(x, 2).numpy(),
                                  [[[[0., 2., 1., 3.], [4., 6., 5., 7.]]]])
    np.testing.assert_array_equal(pixel_unshuffle(pixel_shuffle(x, 2), 2).numpy(), x.numpy())
    assert PixelShuffle(2)(x).shape == (1, 1, 2, 4)
    assert PixelUnshuffle(2)(cr.zeros(3, 2, 4, 6)).shape == (3, 8, 2, 3)
    assert Unflatten(1, (2, 3))(cr.zeros(4, 6)).shape == (4, 2, 3)
    assert repr(PixelShuffle(3)) == "PixelShuffle(upscale_factor=3)"


def test_errors():
    with pytest.raises(OpError, match="pixel_shuffle"):
        pixel_shuffle(cr.zeros(1, 3, 2, 2), 2)
    with pytest.raises(OpError, match="pixel_unshuffle"):
        pixel_unshuffle(cr.zeros(1, 1, 3, 2), 2)
    with pytest.raises(OpError, match="3 dims"):
        pixel_shuffle(cr.zeros(4, 2), 2)
    with pytest.raises(OpError, match="dropout1d"):
        dropout1d(cr.zeros(2, 2, 2, 2))
    with pytest.raises(ValueError, match="between 0 and 1"):
        Dropout2d(1.5)
    with pytest.raises(OpError, match="broadcast"):
        cosine_similarity(cr.zeros(2, 3), cr.zeros(2, 4))


def test_channel_dropout_masks_whole_channels():
    cr.manual_seed(0)
    for fn, shape in ((dropout1d, (4, 5, 3)), (dropout1d, (5, 3)), (dropout2d, (4, 5, 3, 2)),
                      (dropout3d, (4, 5, 2, 2, 2)), (dropout3d, (5, 2, 2, 2))):
        y = fn(cr.ones(*shape), 0.5).numpy()
        assert y.shape == shape
        assert set(np.unique(y)) <= {0.0, 2.0} and len(np.unique(y)) == 2
    y = dropout2d(cr.ones(6, 7, 3, 3), 0.5).numpy()
    assert (y.min(axis=(2, 3)) == y.max(axis=(2, 3))).all()  # constant per channel
    assert dropout2d(cr.ones(2, 3, 2, 2), 1.0).sum().item() == 0.0
    x = cr.ones(2, 3, 4)
    assert dropout1d(x, 0.9, training=False) is x
    m = Dropout3d(0.5).eval()
    np.testing.assert_array_equal(m(cr.ones(2, 2, 2, 2, 2)).numpy(), 1.0)
    assert repr(Dropout1d(0.3)) == "Dropout1d(p=0.3, inplace=False)"
    # the gradient is the mask, scaled
    x = t(np.ones((3, 4, 2)), grad=True)
    y = dropout1d(x, 0.5)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), y.detach().numpy())


@pytest.mark.parametrize("fn,shapes", [
    (lambda x: normalize(x), [(3, 4)]),
    (lambda x: normalize(x, p=1.0, dim=0), [(3, 4)]),
    (lambda x: normalize(x, p=3.0, dim=-1), [(2, 3, 2)]),
    (lambda a, b: cosine_similarity(a, b), [(3, 4), (3, 4)]),
    (lambda a, b: cosine_similarity(a, b, dim=-1), [(2, 1, 4), (3, 4)]),  # broadcast
    (lambda a, b: pairwise_distance(a, b), [(3, 4), (3, 4)]),
    (lambda a, b: pairwise_distance(a, b, p=3.0, keepdim=True), [(3, 4), (4,)]),
    (lambda a, b: pairwise_distance(a, b, p=1.0), [(2, 5), (2, 5)]),
    (lambda x: pixel_shuffle(x, 2), [(2, 4, 2, 3)]),
    (lambda x: pixel_shuffle(x, 2), [(4, 1, 2)]),
    (lambda x: pixel_unshuffle(x, 2), [(1, 2, 4, 2)]),
])
def test_gradcheck(fn, shapes):
    inputs = [t(rng.standard_normal(s) + 0.1, grad=True) for s in shapes]
    assert gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs)


def test_gradcheck_noncontiguous():
    x = t(rng.standard_normal((4, 3)), grad=True)
    assert gradcheck(lambda a: normalize(a.T, dim=1), [x])
    assert gradcheck(lambda a: pixel_shuffle(a.permute(0, 3, 1, 2), 2),
                     [t(rng.standard_normal((1, 2, 3, 4)), grad=True)])


@pytest.mark.oracle
def test_oracle_values_and_grads():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    a, b = rng.standard_normal((3, 5, 4)), rng.standard_normal((3, 5, 4))
    tiny = a * 1e-10  # norms under eps: PyTorch clamps without changing the gradient path
    cases = [
        (lambda m, x, y: m.normalize(x, 2.0, 1), (a, b)),
        (lambda m, x, y: m.normalize(x, 1.0, -1, 1e-3), (a, b)),
        (lambda m, x, y: m.normalize(x * 1e-13, 2.0, 1), (a, b)),
        (lambda m, x, y: m.cosine_similarity(x, y), (a, b)),
        (lambda m, x, y: m.cosine_similarity(x, y, -1), (tiny, b)),
        (lambda m, x, y: m.cosine_similarity(x, y[0], 2), (a, b)),
        (lambda m, x, y: m.pairwise_distance(x, y), (a, b)),
        (lambda m, x, y: m.pairwise_distance(x, y[0, 0], 3.0, 1e-6, True), (a, b)),
        (lambda m, x, y: m.pairwise_distance(x, y, 1.0), (a, b)),
        (lambda m, x, y: m.pixel_shuffle(x.reshape(3, 20, 1, 1), 2) * y.sum(), (a, b)),
        (lambda m, x, y: m.pixel_unshuffle(x.reshape(1, 3, 4, 5)[..., :4], 2) * y.sum(), (a, b)),
    ]
    ours = type("M", (), dict(normalize=staticmethod(normalize),
                              cosine_similarity=staticmethod(cosine_similarity),
                              pairwise_distance=staticmethod(pairwise_distance),
                              pixel_shuffle=staticmethod(pixel_shuffle),
                              pixel_unshuffle=staticmethod(pixel_unshuffle)))
    for fn, (xa, ya) in cases:
        x, y = t(xa, grad=True), t(ya, grad=True)
        tx = torch.tensor(xa, requires_grad=True)
        ty = torch.tensor(ya, requires_grad=True)
        r, tr = fn(ours, x, y), fn(F, tx, ty)
        w = rng.standard_normal(tuple(tr.shape))
        (r * t(w)).sum().backward()
        (tr * torch.tensor(w)).sum().backward()
        np.testing.assert_allclose(r.detach().numpy(), tr.detach().numpy(), rtol=1e-10,
                                   atol=1e-12)
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-8, atol=1e-8)
        if ty.grad is None:  # normalize does not use y
            assert y.grad is None
        else:
            np.testing.assert_allclose(y.grad.numpy(), ty.grad.numpy(), rtol=1e-8, atol=1e-8)


@pytest.mark.oracle
def test_oracle_modules_and_dropout_shapes():
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((2, 8, 2, 3))
    assert PixelShuffle(2)(t(x)).shape == tuple(torch.nn.PixelShuffle(2)(torch.tensor(x)).shape)
    assert repr(Unflatten(1, (2, 4))) == repr(torch.nn.Unflatten(1, (2, 4)))
    assert repr(Dropout2d(0.2)) == repr(torch.nn.Dropout2d(0.2))
    assert repr(PairwiseDistance()).startswith("PairwiseDistance")
    for ours, theirs, shape in ((dropout1d, torch.nn.functional.dropout1d, (3, 4)),
                                (dropout3d, torch.nn.functional.dropout3d, (2, 3, 2, 2))):
        assert ours(cr.ones(*shape), 0.5).shape == tuple(theirs(torch.ones(shape), 0.5).shape)
