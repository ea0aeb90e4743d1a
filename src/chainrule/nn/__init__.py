"""``chainrule.nn``: modules, layers, losses and initializations, as in ``torch.nn``."""
from . import functional, init
from .layers import (ELU, GELU, AdaptiveAvgPool2d, AvgPool2d, BatchNorm1d, BatchNorm2d,
                     BCELoss, BCEWithLogitsLoss, Conv1d, Conv2d, CrossEntropyLoss, Dense,
                     Dropout, Embedding, Flatten, GroupNorm, HuberLoss, Identity, KLDivLoss,
                     L1Loss, LayerNorm, LeakyReLU, Linear, LogSoftmax, MaxPool2d, MSELoss,
                     NLLLoss, ReLU, Sigmoid, SiLU, SmoothL1Loss, Softmax, Softplus, Tanh)
from .module import Module, ModuleDict, ModuleList, Sequential
from .parameter import Parameter
from .recurrent import GRU, LSTM, RNN, MultiheadAttention
from . import utils  # noqa: E402
