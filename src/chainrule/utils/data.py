"""``chainrule.utils.data``: ``torch.utils.data``'s import path for ``chainrule.data``
(Dataset, TensorDataset, Subset, DataLoader, random_split, default_collate).

>>> from chainrule.utils.data import DataLoader, TensorDataset
>>> import chainrule as cr
>>> len(DataLoader(TensorDataset(cr.zeros(10, 2)), batch_size=4))
3
"""
from ..data import *  # noqa: F401,F403
from ..data import __all__  # noqa: F401


def __dir__():  # dir() shows the exports, not the helpers
    return __all__
