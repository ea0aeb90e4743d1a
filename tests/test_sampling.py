"""Random sampling: Generator objects, randperm, multinomial, bernoulli, normal, poisson."""
import numpy as np
import pytest

import chainrule as cr


def test_generators_reproduce_and_the_global_one_follows_manual_seed():
    def draws(g=None):
        return (cr.randperm(6, generator=g).tolist(),
                cr.multinomial(cr.tensor([0.2, 0.3, 0.5]), 3, generator=g).tolist(),
                cr.bernoulli(cr.full((4,), 0.5), generator=g).tolist(),
                cr.normal(0.0, 1.0, (3,), generator=g).tolist(),
                cr.poisson(cr.full((3,), 4.0), generator=g).tolist())
    g = cr.Generator().manual_seed(7)
    assert g.initial_seed() == 7
    first = draws(g)
    assert draws(cr.Generator().manual_seed(7)) == first
    cr.manual_seed(1)
    a = draws()
    cr.manual_seed(1)
    assert draws() == a


def test_values_shapes_dtypes():
    assert sorted(cr.randperm(10).tolist()) == list(range(10))
    assert cr.randperm(3).dtype == np.int64 and cr.randperm(0).shape == (0,)
    rows = cr.multinomial(cr.tensor([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]), 1)
    assert rows.tolist() == [[1], [0]] and rows.dtype == np.int64
    picks = cr.multinomial(cr.tensor([1.0, 1.0, 0.0, 1.0]), 3).tolist()
    assert sorted(picks) == [0, 1, 3]  # without replacement: each non-zero category once
    b = cr.bernoulli(cr.tensor([0.0, 1.0, 1.0], dtype=cr.float64))
    assert b.tolist() == [0.0, 1.0, 1.0] and b.dtype == np.float64
    n = cr.normal(cr.tensor([0.0, 100.0]), cr.tensor([0.0, 0.0]))
    assert n.tolist() == [0.0, 100.0] and n.dtype == np.float32
    assert cr.normal(2.0, 0.5, (2, 3)).shape == (2, 3)
    cr.manual_seed(0)
    many = cr.normal(3.0, 2.0, (20000,)).numpy()
    assert abs(many.mean() - 3.0) < 0.1 and abs(many.std() - 2.0) < 0.1
    counts = np.bincount(cr.multinomial(cr.tensor([1.0, 3.0]), 20000, True).numpy())
    assert abs(counts[1] / 20000 - 0.75) < 0.02
    assert abs(cr.poisson(cr.full((20000,), 4.0)).numpy().mean() - 4.0) < 0.1


@pytest.mark.parametrize("bad", [
    lambda: cr.multinomial(cr.tensor([1.0, 0.0]), 2),
    lambda: cr.multinomial(cr.tensor([-1.0, 2.0]), 1),
    lambda: cr.multinomial(cr.zeros(2, 2, 2), 1),
    lambda: cr.bernoulli(cr.tensor([1.5])),
    lambda: cr.normal(cr.zeros(2), -1.0),
    lambda: cr.poisson(cr.tensor([-1.0])),
    lambda: cr.randperm(-1),
    lambda: cr.bernoulli(cr.tensor([1, 0])),
])
def test_bad_arguments_are_runtime_errors(bad):
    with pytest.raises(RuntimeError):
        bad()


def test_data_samplers_take_a_generator():
    from chainrule.utils.data import DataLoader, RandomSampler, TensorDataset, random_split
    data = TensorDataset(cr.arange(10.0))

    def order(seed):
        return list(RandomSampler(data, generator=cr.Generator().manual_seed(seed)))
    assert order(2) == order(2) and sorted(order(2)) == list(range(10))
    parts = random_split(data, [6, 4], generator=cr.Generator().manual_seed(1))
    again = random_split(data, [6, 4], generator=cr.Generator().manual_seed(1))
    assert list(parts[0].indices) == list(again[0].indices)
    loader = DataLoader(data, batch_size=3, shuffle=True,
                        generator=cr.Generator().manual_seed(0))
    assert sorted(v for (batch,) in loader for v in batch.tolist()) == list(range(10))


# In-place fills (Tensor methods), checked by their supports and moments on 20000 draws.
FILLS = [  # (method, args, check of the samples, expected mean or None)
    ("uniform_", (2.0, 3.0), lambda v: ((v >= 2) & (v < 3)).all(), 2.5),
    ("normal_", (1.0, 2.0), lambda v: np.isfinite(v).all(), 1.0),
    ("bernoulli_", (0.25,), lambda v: np.isin(v, (0, 1)).all(), 0.25),
    ("exponential_", (4.0,), lambda v: (v >= 0).all(), 0.25),
    ("geometric_", (0.5,), lambda v: ((v >= 1) & (v == np.round(v))).all(), 2.0),
    ("cauchy_", (0.0, 1.0), lambda v: np.isfinite(v).all(), None),
    ("log_normal_", (0.0, 0.5), lambda v: (v > 0).all(), np.exp(0.125)),
    ("random_", (3, 7), lambda v: np.isin(v, (3, 4, 5, 6)).all(), 4.5),
    ("random_", (5,), lambda v: np.isin(v, range(5)).all(), 2.0),
]


@pytest.mark.parametrize("name,args,holds,mean", FILLS)
def test_fills_in_place_with_the_right_distribution(name, args, holds, mean):
    x = cr.zeros(20000, dtype=cr.float64)
    assert getattr(x, name)(*args) is x
    v = x.numpy()
    assert x.dtype == cr.float64 and holds(v)
    if mean is not None:
        assert abs(v.mean() - mean) < 0.05 * max(1.0, abs(mean))
    cr.manual_seed(4)
    a = getattr(cr.zeros(5), name)(*args).numpy()
    cr.manual_seed(4)
    assert np.array_equal(a, getattr(cr.zeros(5), name)(*args).numpy())
    g = cr.Generator().manual_seed(9)
    b = getattr(cr.zeros(5), name)(*args, generator=g).numpy()
    assert np.array_equal(b, getattr(cr.zeros(5), name)(*args, generator=g.manual_seed(9))
                          .numpy())


def test_fills_write_through_views_and_refuse_grad_leaves():
    base = cr.zeros(4, 3)
    base[1].uniform_(5, 6)
    assert (base.numpy()[1] >= 5).all() and (base.numpy()[[0, 2, 3]] == 0).all()
    w = cr.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="normal_"):
        w.normal_()
    with cr.no_grad():
        w.normal_()
    assert w.requires_grad and (w.detach().numpy() != 0).any()


def test_random_with_no_bounds_spans_the_exact_integers():
    v = cr.zeros(1000).random_().numpy()
    assert (v >= 0).all() and (v <= 2 ** 24).all() and (v == np.round(v)).all()
    assert v.max() > 2 ** 20
    b = cr.zeros(100, dtype=cr.bool).random_().numpy()
    assert b.dtype == np.bool_ and b.any() and not b.all()


@pytest.mark.parametrize("bad", [
    lambda: cr.zeros(3).uniform_(2, 1),
    lambda: cr.zeros(3).normal_(0, -1),
    lambda: cr.zeros(3).bernoulli_(1.5),
    lambda: cr.zeros(3).exponential_(0),
    lambda: cr.zeros(3).geometric_(1.5),
    lambda: cr.zeros(3).random_(5, 5),
    lambda: cr.zeros(3, dtype=cr.int64).normal_(),
])
def test_bad_fills_raise_as_pytorch(bad):
    with pytest.raises(RuntimeError):
        bad()


def test_multinomial_and_bernoulli_are_methods():
    cr.manual_seed(0)
    assert cr.tensor([0.0, 1.0, 0.0]).multinomial(4, True).tolist() == [1] * 4
    assert cr.tensor([1.0, 0.0]).bernoulli().tolist() == [1.0, 0.0]
    assert cr.zeros(3).bernoulli(1.0).tolist() == [1.0] * 3
