"""``chainrule.nn``: modules, layers, losses and initializations, as in ``torch.nn``."""
from .. import _seed_names
from . import functional, init
from .layers import (CELU, GLU, SELU, Hardshrink, Hardsigmoid, Hardswish, Hardtanh, LogSigmoid,
                     Mish, PReLU, ReLU6, RReLU, Softmax2d, Softmin, Softshrink, Softsign,
                     Tanhshrink, Threshold)
from .layers import (ELU, GELU, AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveAvgPool3d,
                     AdaptiveMaxPool1d, AdaptiveMaxPool2d, AdaptiveMaxPool3d, AvgPool1d,
                     AvgPool2d, AvgPool3d, BatchNorm1d, BatchNorm2d, BatchNorm3d, Conv1d,
                     Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d,
                     Dropout, Embedding, Flatten, GroupNorm, Identity, LayerNorm, LeakyReLU,
                     Linear, LogSoftmax, MaxPool1d, MaxPool2d, MaxPool3d, ReLU, Sigmoid, SiLU,
                     Softmax, Softplus, Tanh)
from .distance import CosineSimilarity, PairwiseDistance
from .dropout import Dropout1d, Dropout2d, Dropout3d
from .fold import Fold, Unfold
from .loss_modules import (BCELoss, BCEWithLogitsLoss, CosineEmbeddingLoss, CrossEntropyLoss,
                           CTCLoss, GaussianNLLLoss, HingeEmbeddingLoss, HuberLoss, KLDivLoss,
                           L1Loss, MarginRankingLoss, MSELoss, MultiLabelMarginLoss,
                           MultiLabelSoftMarginLoss, MultiMarginLoss, NLLLoss, PoissonNLLLoss,
                           SmoothL1Loss, SoftMarginLoss, TripletMarginLoss,
                           TripletMarginWithDistanceLoss)
from .module import Module, ModuleDict, ModuleList, Sequential
from .shape import PixelShuffle, PixelUnshuffle, Unflatten
from .parameter import Parameter
from .recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, MultiheadAttention, RNNCell
from .transformer import (Transformer, TransformerDecoder, TransformerDecoderLayer,
                          TransformerEncoder, TransformerEncoderLayer)
from .unpool import MaxUnpool1d, MaxUnpool2d, MaxUnpool3d
from .upsampling import Upsample, UpsamplingBilinear2d, UpsamplingNearest2d
from . import utils  # noqa: E402
from . import parallel  # noqa: E402  (mpi4py is imported only when DDP is used)

Dense = _seed_names.make_dense(Linear)  # seed 002's name (see chainrule._seed_names)

__all__ = [
    # distances, channel dropout, pixel shuffles
    "CosineSimilarity", "PairwiseDistance", "Dropout1d", "Dropout2d", "Dropout3d",
    "PixelShuffle", "PixelUnshuffle", "Unflatten", "Fold", "Unfold",
    "Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d",
    "MaxUnpool1d", "MaxUnpool2d", "MaxUnpool3d",
    # containers
    "Module", "Sequential", "ModuleList", "ModuleDict", "Parameter",
    # layers
    "Identity", "Linear", "Dense", "Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d",
    "ConvTranspose2d", "ConvTranspose3d", "MaxPool1d", "MaxPool2d",
    "MaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d", "AdaptiveAvgPool1d",
    "AdaptiveAvgPool2d", "AdaptiveAvgPool3d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d",
    "AdaptiveMaxPool3d", "Flatten", "Dropout", "Embedding", "LayerNorm", "GroupNorm",
    "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "RNN", "LSTM", "GRU", "MultiheadAttention",
    "RNNCell", "LSTMCell", "GRUCell", "Transformer", "TransformerEncoder", "TransformerDecoder",
    "TransformerEncoderLayer", "TransformerDecoderLayer",
    # activations
    "ReLU", "Sigmoid", "Tanh", "SiLU", "LeakyReLU", "ELU", "GELU", "Softplus", "Softmax",
    "LogSoftmax", "CELU", "SELU", "Softsign", "LogSigmoid", "Hardsigmoid", "Hardswish",
    "ReLU6", "Mish", "Hardtanh", "PReLU", "RReLU", "GLU", "Threshold", "Softmin",
    "Tanhshrink", "Softshrink", "Hardshrink", "Softmax2d",
    # losses
    "MSELoss", "L1Loss", "HuberLoss", "SmoothL1Loss", "CrossEntropyLoss", "NLLLoss", "BCELoss",
    "BCEWithLogitsLoss", "KLDivLoss",
    "PoissonNLLLoss", "GaussianNLLLoss", "MarginRankingLoss", "HingeEmbeddingLoss",
    "SoftMarginLoss", "MultiLabelSoftMarginLoss", "MultiLabelMarginLoss", "MultiMarginLoss",
    "CosineEmbeddingLoss", "TripletMarginLoss", "TripletMarginWithDistanceLoss", "CTCLoss",
    # submodules
    "functional", "init", "utils", "parallel",
]
# chainrule.nn.modules (torch.nn.modules' import paths) is imported when a program names it.
