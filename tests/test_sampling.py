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
