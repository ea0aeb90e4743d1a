"""``chainrule.data``: datasets, loaders, and readers for common formats."""
from .datasets import load_digits, read_idx
from .distributed import DistributedSampler
from .loader import (BatchSampler, DataLoader, Dataset, RandomSampler, Sampler,
                     SequentialSampler, Subset, SubsetRandomSampler, TensorDataset,
                     WeightedRandomSampler, default_collate, random_split)

__all__ = ["Dataset", "TensorDataset", "Subset", "DataLoader", "default_collate",
           "random_split", "read_idx", "load_digits", "Sampler", "SequentialSampler",
           "RandomSampler", "SubsetRandomSampler", "WeightedRandomSampler", "BatchSampler",
           "DistributedSampler"]
