"""``chainrule.distributions``: probability distributions with PyTorch's
``torch.distributions`` API, built from chainrule's differentiable ops, so gradients flow
through ``log_prob``, ``entropy``, ``kl_divergence`` and ``rsample``. Sampling draws from
chainrule's generator: ``chainrule.manual_seed`` makes it reproducible.

>>> import chainrule as cr
>>> from chainrule.distributions import Normal
>>> loc = cr.tensor(0.5, requires_grad=True)
>>> Normal(loc, 1.0).log_prob(cr.tensor(1.0)).backward()
>>> loc.grad
tensor(0.5)
"""
from . import (bernoulli, categorical, constraints, distribution, kl, multivariate_normal,
               normal, utils)
from .bernoulli import Bernoulli
from .categorical import Categorical
from .distribution import Distribution
from .kl import kl_divergence, register_kl
from .multivariate_normal import MultivariateNormal
from .normal import Normal

__all__ = ["Distribution", "Bernoulli", "Categorical", "Normal", "MultivariateNormal",
           "kl_divergence", "register_kl",
           # submodules
           "bernoulli", "categorical", "constraints", "distribution", "kl",
           "multivariate_normal", "normal", "utils"]


def __dir__():
    return __all__
