"""Dataset, TensorDataset, samplers, DataLoader and random_split with PyTorch's semantics."""
from __future__ import annotations as _annotations

import itertools as _itertools
import math as _math
from typing import Callable as _Callable
from typing import Iterable as _Iterable
from typing import Iterator as _Iterator
from typing import Sequence as _Sequence

import numpy as _np

from .. import _backend
from ..autograd.tensor import Tensor as _Tensor
from ..autograd.tensor import make_tensor as _make_tensor
from ..errors import OpError as _OpError

__all__ = ["Dataset", "TensorDataset", "Subset", "random_split", "default_collate",
           "Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
           "WeightedRandomSampler", "BatchSampler", "DataLoader"]


def __dir__():
    return __all__


class Dataset:
    """Anything with ``__getitem__`` and ``__len__``."""

    def __getitem__(self, index):
        raise NotImplementedError

    def __len__(self) -> int:
        raise NotImplementedError


class TensorDataset(Dataset):
    """Samples are the i-th rows of each tensor.

    >>> import chainrule as cr
    >>> len(TensorDataset(cr.zeros(5, 2), cr.arange(5)))
    5
    """

    def __init__(self, *tensors):
        sizes = {len(t) for t in tensors}
        if len(sizes) != 1:
            raise ValueError(f"TensorDataset: the tensors have different lengths {sorted(sizes)}")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return len(self.tensors[0])


class Subset(Dataset):
    def __init__(self, dataset, indices: _Sequence[int]):
        self.dataset, self.indices = dataset, list(indices)

    def __getitem__(self, index):
        if isinstance(index, (list, _np.ndarray)):
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def __len__(self) -> int:
        return len(self.indices)


def random_split(dataset, lengths, generator: _np.random.Generator | None = None):
    """Split into non-overlapping subsets of the given lengths (or fractions)."""
    n = len(dataset)
    if all(0 <= x <= 1 for x in lengths) and _math.isclose(sum(lengths), 1.0) and \
            not all(isinstance(x, int) for x in lengths):
        counts = [int(_math.floor(n * f)) for f in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        lengths = counts
    if sum(lengths) != n:
        raise ValueError(f"random_split: lengths {list(lengths)} do not add up to {n}")
    rng = _rng(generator)
    order = rng.permutation(n)
    out, start = [], 0
    for length in lengths:
        out.append(Subset(dataset, order[start:start + length].tolist()))
        start += length
    return out


def _rng(generator: _np.random.Generator | None) -> _np.random.Generator:
    # Looked up at iteration time, not construction, so cr.manual_seed between epochs
    # (or before the first) reproduces the order, as torch.manual_seed does.
    if generator is None:
        return _backend.generator()
    # A chainrule.Generator (torch.Generator's counterpart) holds a NumPy one.
    return getattr(generator, "_rng", generator)


def _check_positive_int(owner: str, name: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, _np.integer)) or value <= 0:
        raise ValueError(f"{owner}: {name} should be a positive integer value, but got "
                         f"{name}={value!r}")


def _check_bool(owner: str, name: str, value, error=ValueError) -> None:
    if not isinstance(value, bool):
        raise error(f"{owner}: {name} should be a boolean value, but got {name}={value!r}")


class Sampler:
    """Base class for index samplers: subclasses provide ``__iter__`` (and usually
    ``__len__``), yielding dataset indices or lists of indices (batches).

    >>> class Evens(Sampler):
    ...     def __init__(self, n): self.n = n
    ...     def __iter__(self): return iter(range(0, self.n, 2))
    >>> list(Evens(5))
    [0, 2, 4]
    """

    def __init__(self, data_source=None) -> None:
        pass

    def __iter__(self) -> _Iterator:
        raise NotImplementedError


class SequentialSampler(Sampler):
    """Indices ``0, 1, ..., len(data_source) - 1`` in order.

    >>> list(SequentialSampler(range(3)))
    [0, 1, 2]
    """

    def __init__(self, data_source) -> None:
        self.data_source = data_source

    def __iter__(self) -> _Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """A random order of the indices; with ``replacement=True``, ``num_samples`` draws with
    replacement. Without replacement, ``num_samples`` beyond ``len(data_source)`` chains
    whole permutations. Randomness comes from ``generator`` (a ``numpy.random.Generator``)
    or chainrule's global generator, so ``cr.manual_seed`` reproduces the order.

    >>> import chainrule as cr
    >>> cr.manual_seed(0)
    >>> sorted(RandomSampler(range(4)))
    [0, 1, 2, 3]
    >>> len(RandomSampler(range(4), replacement=True, num_samples=10))
    10
    """

    def __init__(self, data_source, replacement: bool = False, num_samples: int | None = None,
                 generator: _np.random.Generator | None = None) -> None:
        self.data_source, self.replacement = data_source, replacement
        self._num_samples, self.generator = num_samples, generator
        _check_bool("RandomSampler", "replacement", replacement, TypeError)
        _check_positive_int("RandomSampler", "num_samples", self.num_samples)

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> _Iterator[int]:
        n, rng = len(self.data_source), _rng(self.generator)
        if self.replacement:
            yield from rng.integers(0, n, size=self.num_samples).tolist()
            return
        for _ in range(self.num_samples // n):
            yield from rng.permutation(n).tolist()
        yield from rng.permutation(n)[:self.num_samples % n].tolist()

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices in a random order (without replacement).

    >>> sorted(SubsetRandomSampler([7, 3, 5]))
    [3, 5, 7]
    """

    def __init__(self, indices: _Sequence[int],
                 generator: _np.random.Generator | None = None) -> None:
        self.indices, self.generator = indices, generator

    def __iter__(self) -> _Iterator[int]:
        for i in _rng(self.generator).permutation(len(self.indices)).tolist():
            yield self.indices[i]

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices into ``weights`` drawn with probability proportional to the
    weights (which need not sum to one), with or without replacement.

    >>> list(WeightedRandomSampler([0.0, 1.0, 0.0], 3))
    [1, 1, 1]
    """

    def __init__(self, weights, num_samples: int, replacement: bool = True,
                 generator: _np.random.Generator | None = None) -> None:
        _check_positive_int("WeightedRandomSampler", "num_samples", num_samples)
        _check_bool("WeightedRandomSampler", "replacement", replacement)
        data = weights._data if isinstance(weights, _Tensor) else weights
        w = _np.asarray(data, dtype=_np.float64)
        if w.ndim != 1:
            raise ValueError("WeightedRandomSampler: weights should be a 1d sequence but given "
                             f"weights have shape {tuple(w.shape)}")
        self.weights = _make_tensor(w)
        self.num_samples, self.replacement, self.generator = num_samples, replacement, generator

    def __iter__(self) -> _Iterator[int]:
        w = self.weights._data
        # torch.multinomial checks these when sampling, not at construction.
        if not _np.all(_np.isfinite(w)) or _np.any(w < 0):
            raise _OpError("WeightedRandomSampler: weights must be finite and non-negative, "
                          f"got {w.tolist()}")
        if w.sum() <= 0:
            raise _OpError("WeightedRandomSampler: invalid distribution (sum of weights <= 0); "
                          "give at least one positive weight")
        rng, n = _rng(self.generator), len(w)
        if self.replacement:
            yield from rng.choice(n, size=self.num_samples, p=w / w.sum()).tolist()
            return
        if self.num_samples > n:
            raise _OpError(f"WeightedRandomSampler: cannot draw {self.num_samples} samples "
                           f"without replacement from {n} weights; lower num_samples or "
                           "pass replacement=True")
        # Like torch.multinomial: the top num_samples of w / Exp(1) keys is a weighted draw
        # without replacement; once the positive weights run out, zero-weight indices
        # follow in random order (the permutation breaks the ties) instead of an error.
        perm = rng.permutation(n)
        keys = w[perm] / rng.exponential(size=n)
        yield from perm[_np.argsort(-keys, kind="stable")[:self.num_samples]].tolist()

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Groups the indices of ``sampler`` (any iterable) into lists of ``batch_size``;
    ``drop_last`` drops a final shorter batch.

    >>> list(BatchSampler(SequentialSampler(range(5)), batch_size=2, drop_last=False))
    [[0, 1], [2, 3], [4]]
    >>> list(BatchSampler(range(5), batch_size=2, drop_last=True))
    [[0, 1], [2, 3]]
    """

    def __init__(self, sampler: Sampler | _Iterable[int], batch_size: int,
                 drop_last: bool) -> None:
        _check_positive_int("BatchSampler", "batch_size", batch_size)
        _check_bool("BatchSampler", "drop_last", drop_last)
        self.sampler, self.batch_size, self.drop_last = sampler, batch_size, drop_last

    def __iter__(self) -> _Iterator[list[int]]:
        it = iter(self.sampler)
        batch = list(_itertools.islice(it, self.batch_size))
        while batch:
            if len(batch) < self.batch_size and self.drop_last:
                return
            yield batch
            batch = list(_itertools.islice(it, self.batch_size))

    def __len__(self) -> int:
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)


def default_collate(batch):
    """Stack samples: tensors and arrays along a new first axis; tuples element-wise."""
    first = batch[0]
    if isinstance(first, _Tensor):
        return _make_tensor(_np.stack([b._data for b in batch]))
    if isinstance(first, _np.ndarray):
        return _make_tensor(_np.stack(batch))
    if isinstance(first, (int, _np.integer)):
        return _make_tensor(_np.asarray(batch, dtype=_np.int64))
    if isinstance(first, (float, _np.floating)):
        return _make_tensor(_np.asarray(batch, dtype=_backend.get_default_dtype()))
    if isinstance(first, (tuple, list)):
        return type(first)(default_collate(list(items)) for items in zip(*batch))
    if isinstance(first, dict):
        return {k: default_collate([b[k] for b in batch]) for k in first}
    return batch


class DataLoader:
    """Batches from a dataset. Indices come from ``sampler`` (default: a
    :class:`RandomSampler` over ``generator`` when ``shuffle``, else a
    :class:`SequentialSampler`), grouped by ``batch_sampler`` (default: a
    :class:`BatchSampler` of ``batch_size`` and ``drop_last``); ``batch_size=None`` yields
    single samples. A TensorDataset is batched by slicing, not by collating single samples.

    >>> import chainrule as cr
    >>> loader = DataLoader(TensorDataset(cr.arange(10)), batch_size=4, drop_last=True)
    >>> [b[0].tolist() for b in loader]
    [[0, 1, 2, 3], [4, 5, 6, 7]]
    >>> [b[0].tolist() for b in DataLoader(TensorDataset(cr.arange(4)),
    ...                                    batch_sampler=[[3, 0], [1]])]
    [[3, 0], [1]]
    """

    def __init__(self, dataset, batch_size: int | None = 1, shuffle: bool | None = None,
                 sampler: Sampler | _Iterable | None = None,
                 batch_sampler: Sampler | _Iterable | None = None,
                 drop_last: bool = False, collate_fn: _Callable | None = None,
                 generator: _np.random.Generator | None = None, **_ignored):
        if batch_size is not None and batch_size <= 0:
            raise ValueError(f"DataLoader: batch_size must be positive, got {batch_size}")
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle; "
                             "shuffle inside the sampler instead")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("DataLoader: batch_sampler option is mutually exclusive with "
                                 "batch_size, shuffle, sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("DataLoader: batch_size=None option disables auto-batching and "
                             "is mutually exclusive with drop_last")
        if sampler is None:
            sampler = (RandomSampler(dataset, generator=generator) if shuffle
                       else SequentialSampler(dataset))
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, bool(drop_last))
        self.dataset, self.batch_size, self.shuffle = dataset, batch_size, bool(shuffle)
        self.drop_last, self.collate_fn, self.generator = drop_last, collate_fn, generator
        self.sampler, self.batch_sampler = sampler, batch_sampler

    def __len__(self) -> int:
        return len(self.batch_sampler if self.batch_sampler is not None else self.sampler)

    def __iter__(self):
        if self.batch_sampler is None:
            for i in self.sampler:
                sample = self.dataset[int(i)]
                yield sample if self.collate_fn is None else self.collate_fn(sample)
            return
        for indices in self.batch_sampler:
            if isinstance(self.dataset, TensorDataset) and self.collate_fn is None:
                idx = _np.asarray(indices, dtype=_np.int64)
                yield tuple(_make_tensor(t._data[idx]) if isinstance(t, _Tensor) else t[idx]
                            for t in self.dataset.tensors)
            else:
                collate = self.collate_fn or default_collate
                yield collate([self.dataset[int(i)] for i in indices])
