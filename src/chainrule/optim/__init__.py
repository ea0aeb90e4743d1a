"""``chainrule.optim``: optimizers and learning-rate schedules, as in ``torch.optim``."""
from . import lr_scheduler
from .lbfgs import LBFGS
from .optimizer import SGD, Adadelta, Adagrad, Adam, AdamW, NAdam, Optimizer, RAdam, RMSprop

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "NAdam",
           "RAdam", "LBFGS", "lr_scheduler"]
