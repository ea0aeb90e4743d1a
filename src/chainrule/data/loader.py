"""Dataset, TensorDataset, DataLoader and random_split with PyTorch's semantics."""
from __future__ import annotations as _annotations

import math as _math
from typing import Callable as _Callable
from typing import Sequence as _Sequence

import numpy as _np

from .. import _backend
from ..autograd.tensor import Tensor as _Tensor
from ..autograd.tensor import make_tensor as _make_tensor

__all__ = ["Dataset", "TensorDataset", "Subset", "random_split", "default_collate",
           "DataLoader"]


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
    rng = generator or _backend.generator()
    order = rng.permutation(n)
    out, start = [], 0
    for length in lengths:
        out.append(Subset(dataset, order[start:start + length].tolist()))
        start += length
    return out


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
    """Batches from a dataset; ``shuffle`` draws a new order each epoch from ``generator``
    (or chainrule's seeded generator). A TensorDataset is batched by slicing, not by
    collating single samples.

    >>> import chainrule as cr
    >>> loader = DataLoader(TensorDataset(cr.arange(10)), batch_size=4, drop_last=True)
    >>> [b[0].tolist() for b in loader]
    [[0, 1, 2, 3], [4, 5, 6, 7]]
    """

    def __init__(self, dataset, batch_size: int | None = 1, shuffle: bool = False,
                 drop_last: bool = False, collate_fn: _Callable | None = None,
                 generator: _np.random.Generator | None = None, **_ignored):
        if batch_size is not None and batch_size <= 0:
            raise ValueError(f"DataLoader: batch_size must be positive, got {batch_size}")
        self.dataset, self.batch_size, self.shuffle = dataset, batch_size, shuffle
        self.drop_last, self.collate_fn, self.generator = drop_last, collate_fn, generator

    def __len__(self) -> int:
        n = len(self.dataset)
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self):
        n = len(self.dataset)
        order = ((self.generator or _backend.generator()).permutation(n) if self.shuffle
                 else _np.arange(n))
        if self.batch_size is None:
            for i in order:
                yield self.dataset[int(i)]
            return
        for start in range(0, n, self.batch_size):
            idx = order[start:start + self.batch_size]
            if len(idx) < self.batch_size and self.drop_last:
                return
            if isinstance(self.dataset, TensorDataset) and self.collate_fn is None:
                yield tuple(_make_tensor(t._data[idx]) if isinstance(t, _Tensor) else t[idx]
                            for t in self.dataset.tensors)
            else:
                collate = self.collate_fn or default_collate
                yield collate([self.dataset[int(i)] for i in idx])
