"""``DistributedSampler``: each rank's share of a dataset, as ``torch.utils.data``'s."""
from __future__ import annotations

import math
from typing import Iterator, Optional

import numpy as np

from .loader import Sampler

__all__ = ["DistributedSampler"]


class DistributedSampler(Sampler):
    """The indices of ``dataset`` that rank ``rank`` of ``num_replicas`` reads this epoch.

    Every rank shuffles with the same seed (``seed + epoch``: call ``set_epoch`` at the start
    of each epoch for a new order), then takes every ``num_replicas``-th index from its rank
    on. Without ``drop_last`` the order is padded with its own first indices so that every
    rank gets ``ceil(len / num_replicas)``; with it, the tail that does not divide evenly is
    dropped. ``num_replicas`` and ``rank`` default to ``chainrule.distributed``'s.

    >>> s = DistributedSampler(range(10), num_replicas=3, rank=0, shuffle=False)
    >>> list(s), len(s)
    ([0, 3, 6, 9], 4)
    >>> list(DistributedSampler(range(10), num_replicas=3, rank=2, shuffle=False))
    [2, 5, 8, 1]
    """

    def __init__(self, dataset, num_replicas: Optional[int] = None, rank: Optional[int] = None,
                 shuffle: bool = True, seed: int = 0, drop_last: bool = False) -> None:
        if num_replicas is None or rank is None:
            from .. import distributed as dist
            if not dist.is_initialized():
                raise RuntimeError("DistributedSampler: pass num_replicas= and rank=, or call "
                                   "chainrule.distributed.init_process_group() first")
            num_replicas = dist.get_world_size() if num_replicas is None else num_replicas
            rank = dist.get_rank() if rank is None else rank
        if not isinstance(num_replicas, (int, np.integer)) or num_replicas < 1:
            raise ValueError(f"DistributedSampler: num_replicas must be a positive int, got "
                             f"{num_replicas!r}")
        if not isinstance(rank, (int, np.integer)) or not 0 <= rank < num_replicas:
            raise ValueError(f"DistributedSampler: invalid rank {rank!r}, rank should be in "
                             f"the interval [0, {num_replicas - 1}]")
        self.dataset, self.num_replicas, self.rank = dataset, int(num_replicas), int(rank)
        self.shuffle, self.seed, self.drop_last, self.epoch = shuffle, seed, drop_last, 0
        n = len(dataset)
        if drop_last and n % self.num_replicas != 0:
            self.num_samples = math.ceil((n - self.num_replicas) / self.num_replicas)
        else:
            self.num_samples = math.ceil(n / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas

    def __iter__(self) -> Iterator[int]:
        n = len(self.dataset)
        if self.shuffle:  # the same permutation on every rank: they share seed and epoch
            indices = np.random.default_rng(self.seed + self.epoch).permutation(n).tolist()
        else:
            indices = list(range(n))
        if not self.drop_last:
            padding = self.total_size - len(indices)
            if padding <= len(indices):
                indices += indices[:padding]
            elif indices:
                indices += (indices * math.ceil(padding / len(indices)))[:padding]
        else:
            indices = indices[:self.total_size]
        return iter(indices[self.rank:self.total_size:self.num_replicas])

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Use ``epoch`` in the shuffle's seed: call it before each epoch's loop."""
        self.epoch = epoch


def __dir__():
    return __all__
