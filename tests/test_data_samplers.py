"""Samplers and DataLoader's sampler/batch_sampler arguments, with PyTorch's semantics."""
import numpy as np
import pytest

import chainrule as cr
from chainrule.data import (BatchSampler, DataLoader, RandomSampler, Sampler,
                            SequentialSampler, SubsetRandomSampler, TensorDataset,
                            WeightedRandomSampler)


def test_names_reach_utils_data():
    import chainrule.utils.data as ud
    for name in ("Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
                 "WeightedRandomSampler", "BatchSampler"):
        assert getattr(ud, name) is getattr(cr.data, name)
        assert name in cr.data.__all__


def test_base_sampler_needs_iter():
    with pytest.raises(NotImplementedError):
        iter(Sampler())


def test_sequential_sampler():
    s = SequentialSampler(range(5))
    assert list(s) == [0, 1, 2, 3, 4] and len(s) == 5
    assert list(SequentialSampler([])) == []


def test_random_sampler_is_a_permutation_and_reproducible():
    cr.manual_seed(3)
    a = list(RandomSampler(range(20)))
    cr.manual_seed(3)
    b = list(RandomSampler(range(20)))
    assert a == b and sorted(a) == list(range(20)) and a != list(range(20))
    assert all(type(i) is int for i in a)


def test_random_sampler_epochs_differ_and_generator_is_used():
    s = RandomSampler(range(30))
    assert list(s) != list(s)  # a fresh order each epoch
    g1, g2 = np.random.default_rng(7), np.random.default_rng(7)
    cr.manual_seed(0)
    x = list(RandomSampler(range(30), generator=g1))
    cr.manual_seed(1)  # the global seed does not matter when a generator is given
    y = list(RandomSampler(range(30), generator=g2))
    assert x == y


def test_random_sampler_num_samples_without_replacement_chains_permutations():
    s = RandomSampler(range(4), num_samples=10)
    out = list(s)
    assert len(s) == 10 and len(out) == 10
    assert sorted(out[:4]) == [0, 1, 2, 3] and sorted(out[4:8]) == [0, 1, 2, 3]
    assert len(set(out[8:])) == 2 and set(out[8:]) <= {0, 1, 2, 3}


def test_random_sampler_with_replacement():
    cr.manual_seed(0)
    s = RandomSampler(range(3), replacement=True, num_samples=300)
    out = list(s)
    assert len(s) == 300 and len(out) == 300 and set(out) == {0, 1, 2}
    assert len(RandomSampler(range(3), replacement=True)) == 3


@pytest.mark.parametrize("kwargs, exc", [
    ({"replacement": 1}, TypeError),
    ({"num_samples": 0}, ValueError),
    ({"num_samples": -2}, ValueError),
    ({"num_samples": 2.0}, ValueError),
])
def test_random_sampler_bad_arguments(kwargs, exc):
    with pytest.raises(exc, match="RandomSampler"):
        RandomSampler(range(4), **kwargs)


def test_random_sampler_empty_source_is_an_error():
    with pytest.raises(ValueError, match="num_samples"):
        RandomSampler([])


def test_subset_random_sampler():
    cr.manual_seed(5)
    out = list(SubsetRandomSampler([10, 20, 30, 40]))
    cr.manual_seed(5)
    assert out == list(SubsetRandomSampler([10, 20, 30, 40]))
    assert sorted(out) == [10, 20, 30, 40] and len(SubsetRandomSampler([1, 2])) == 2


def test_weighted_sampler_frequencies_with_replacement():
    cr.manual_seed(0)
    w = [1.0, 2.0, 0.0, 7.0]
    out = np.array(list(WeightedRandomSampler(w, 20000)))
    freq = np.bincount(out, minlength=4) / len(out)
    np.testing.assert_allclose(freq, [0.1, 0.2, 0.0, 0.7], atol=0.015)
    assert freq[2] == 0.0


def test_weighted_sampler_without_replacement_and_tensor_weights():
    s = WeightedRandomSampler(cr.tensor([0.5, 0.0, 3.0, 1.0]), 3, replacement=False)
    out = list(s)
    assert len(s) == 3 and sorted(out) == [0, 2, 3]
    assert s.weights.dtype == np.float64 and s.weights.shape == (4,)
    cr.manual_seed(2)
    a = list(WeightedRandomSampler([1, 2, 3, 4, 5], 4, replacement=False))
    cr.manual_seed(2)
    assert a == list(WeightedRandomSampler([1, 2, 3, 4, 5], 4, replacement=False))
    assert len(set(a)) == 4
    # Positive weights come before zero weights, which then fill in (as torch does).
    out = list(WeightedRandomSampler([0.0, 5.0, 0.0, 1.0], 4, replacement=False))
    assert set(out[:2]) == {1, 3} and set(out[2:]) == {0, 2}


def test_weighted_sampler_without_replacement_first_draw_frequencies():
    cr.manual_seed(1)
    w = [1.0, 3.0, 6.0]
    first = [next(iter(WeightedRandomSampler(w, 2, replacement=False))) for _ in range(6000)]
    freq = np.bincount(first, minlength=3) / len(first)
    np.testing.assert_allclose(freq, [0.1, 0.3, 0.6], atol=0.025)


@pytest.mark.parametrize("weights, num_samples, replacement", [
    ([1.0, 2.0], 0, True),
    ([1.0, 2.0], True, True),
    ([1.0, 2.0], 1.5, True),
    ([1.0, 2.0], 2, 1),
    ([[1.0, 2.0]], 2, True),
])
def test_weighted_sampler_bad_arguments(weights, num_samples, replacement):
    with pytest.raises(ValueError, match="WeightedRandomSampler"):
        WeightedRandomSampler(weights, num_samples, replacement)


@pytest.mark.parametrize("weights, num_samples, replacement", [
    ([1.0, -1.0], 2, True), ([0.0, 0.0], 2, True), ([1.0, 0.0], 3, False),
    ([1.0, float("inf")], 1, True)])
def test_weighted_sampler_bad_distribution_raises_when_sampling(weights, num_samples,
                                                                replacement):
    s = WeightedRandomSampler(weights, num_samples, replacement)  # torch accepts these here
    with pytest.raises(RuntimeError, match="WeightedRandomSampler"):
        list(s)


def test_batch_sampler_contents_and_drop_last():
    keep = BatchSampler(SequentialSampler(range(10)), batch_size=3, drop_last=False)
    drop = BatchSampler(SequentialSampler(range(10)), batch_size=3, drop_last=True)
    assert list(keep) == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]] and len(keep) == 4
    assert list(drop) == [[0, 1, 2], [3, 4, 5], [6, 7, 8]] and len(drop) == 3
    exact = BatchSampler(range(6), 3, True)
    assert list(exact) == [[0, 1, 2], [3, 4, 5]] and len(exact) == 2
    assert list(BatchSampler(range(0), 2, False)) == []


def test_batch_sampler_over_random_sampler_is_reproducible():
    cr.manual_seed(11)
    a = list(BatchSampler(RandomSampler(range(7)), 2, False))
    cr.manual_seed(11)
    b = list(BatchSampler(RandomSampler(range(7)), 2, False))
    assert a == b and [len(x) for x in a] == [2, 2, 2, 1]
    assert sorted(i for x in a for i in x) == list(range(7))


@pytest.mark.parametrize("batch_size, drop_last", [
    (0, False), (-1, False), (True, False), (2.0, False), (2, 0), (2, None)])
def test_batch_sampler_bad_arguments(batch_size, drop_last):
    with pytest.raises(ValueError, match="BatchSampler"):
        BatchSampler(range(4), batch_size, drop_last)


def _ds(n=10):
    return TensorDataset(cr.arange(n), cr.arange(n) * 10)


def test_loader_default_samplers():
    loader = DataLoader(_ds(), batch_size=4)
    assert isinstance(loader.sampler, SequentialSampler)
    assert isinstance(loader.batch_sampler, BatchSampler)
    assert [b[0].tolist() for b in loader] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert [b[1].tolist() for b in loader][-1] == [80, 90] and len(loader) == 3
    shuffled = DataLoader(_ds(), batch_size=4, shuffle=True)
    assert isinstance(shuffled.sampler, RandomSampler)


def test_loader_shuffle_reproducible_under_manual_seed():
    cr.manual_seed(4)
    a = [b[0].tolist() for b in DataLoader(_ds(), batch_size=3, shuffle=True)]
    cr.manual_seed(4)
    b = [b[0].tolist() for b in DataLoader(_ds(), batch_size=3, shuffle=True)]
    assert a == b and sorted(sum(a, [])) == list(range(10))
    g = [b[0].tolist() for b in DataLoader(_ds(), batch_size=3, shuffle=True,
                                           generator=np.random.default_rng(1))]
    h = [b[0].tolist() for b in DataLoader(_ds(), batch_size=3, shuffle=True,
                                           generator=np.random.default_rng(1))]
    assert g == h


def test_loader_with_sampler():
    loader = DataLoader(_ds(), batch_size=2, sampler=[9, 1, 4], drop_last=True)
    assert [b[0].tolist() for b in loader] == [[9, 1]] and len(loader) == 1
    sub = DataLoader(_ds(), batch_size=5, sampler=SubsetRandomSampler([2, 3, 5]))
    (batch,) = list(sub)
    assert sorted(batch[0].tolist()) == [2, 3, 5]
    assert sorted(batch[1].tolist()) == [20, 30, 50]


def test_loader_with_batch_sampler():
    loader = DataLoader(_ds(), batch_sampler=[[3, 0], [7, 7, 1]])
    assert [b[0].tolist() for b in loader] == [[3, 0], [7, 7, 1]]
    assert loader.batch_size is None and loader.drop_last is False
    bs = BatchSampler(SequentialSampler(range(10)), 4, drop_last=True)
    loader = DataLoader(_ds(), batch_sampler=bs)
    assert len(loader) == 2 and [b[0].tolist() for b in loader][-1] == [4, 5, 6, 7]


def test_loader_collate_fn_and_non_tensor_dataset():
    data = [{"x": float(i), "y": i} for i in range(5)]
    loader = DataLoader(data, batch_size=2, sampler=[4, 0, 2])
    batches = list(loader)
    assert batches[0]["y"].tolist() == [4, 0] and batches[1]["x"].tolist() == [2.0]
    names = DataLoader(list("abcde"), batch_size=2, collate_fn="".join,
                       batch_sampler=None)
    assert list(names) == ["ab", "cd", "e"]
    loader = DataLoader(_ds(4), batch_size=2, collate_fn=lambda b: [s[0].item() for s in b])
    assert list(loader) == [[0, 1], [2, 3]]


def test_loader_without_auto_batching():
    loader = DataLoader(list("abc"), batch_size=None, sampler=[2, 0])
    assert list(loader) == ["c", "a"] and len(loader) == 2
    upper = DataLoader(list("abc"), batch_size=None, collate_fn=str.upper)
    assert list(upper) == ["A", "B", "C"] and len(upper) == 3


@pytest.mark.parametrize("kwargs", [
    {"sampler": [0, 1], "shuffle": True},
    {"batch_sampler": [[0]], "batch_size": 2},
    {"batch_sampler": [[0]], "shuffle": True},
    {"batch_sampler": [[0]], "sampler": [0]},
    {"batch_sampler": [[0]], "drop_last": True},
    {"batch_size": None, "drop_last": True},
    {"batch_size": 0},
])
def test_loader_bad_combinations(kwargs):
    with pytest.raises(ValueError, match="DataLoader"):
        DataLoader(_ds(), **kwargs)


@pytest.mark.oracle
def test_against_torch_deterministic_parts():
    torch = pytest.importorskip("torch")
    tud = torch.utils.data
    for n, bs in [(10, 3), (9, 3), (1, 4), (0, 2)]:
        for drop in (False, True):
            mine = BatchSampler(SequentialSampler(range(n)), bs, drop)
            theirs = tud.BatchSampler(tud.SequentialSampler(range(n)), bs, drop)
            assert list(mine) == list(theirs) and len(mine) == len(theirs)
    mine = DataLoader(_ds(7), batch_size=3, drop_last=True)
    theirs = tud.DataLoader(tud.TensorDataset(torch.arange(7), torch.arange(7) * 10),
                            batch_size=3, drop_last=True)
    assert [b[1].tolist() for b in mine] == [b[1].tolist() for b in theirs]
    assert len(mine) == len(theirs)
    # Same error types as torch for the same bad arguments.
    for make in (lambda m: m.RandomSampler(range(3), num_samples=0),
                 lambda m: m.BatchSampler(range(3), 0, False),
                 lambda m: m.WeightedRandomSampler([1.0], 0)):
        with pytest.raises(ValueError):
            make(tud)
        with pytest.raises(ValueError):
            make(cr.data)
    with pytest.raises(TypeError):
        tud.RandomSampler(range(3), replacement=1)
    with pytest.raises(ValueError):
        tud.DataLoader(range(3), sampler=[0], shuffle=True)
    for m in (tud, cr.data):
        with pytest.raises(RuntimeError):
            list(m.WeightedRandomSampler([1.0, 0.0], 3, replacement=False))
        # Past the positive weights, torch fills in the zero-weight indices.
        assert sorted(m.WeightedRandomSampler([1.0, 0.0, 2.0], 3, replacement=False)) == \
            [0, 1, 2]
        assert list(m.WeightedRandomSampler([0.0, 1.0, 0.0], 1, replacement=False)) == [1]
