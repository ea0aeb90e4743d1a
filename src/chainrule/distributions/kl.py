"""KL divergences between distributions, as ``torch.distributions.kl``: closed forms
registered per pair of types with :func:`register_kl`, looked up by :func:`kl_divergence`.

>>> from chainrule.distributions import Normal, kl_divergence
>>> kl_divergence(Normal(0.0, 1.0), Normal(0.0, 1.0))
tensor(0.)
"""
from __future__ import annotations

import numpy as _np

from .. import numpy as _cnp
from ..autograd.tensor import Tensor as _Tensor
from .bernoulli import Bernoulli as _Bernoulli
from .categorical import Categorical as _Categorical
from .distribution import Distribution as _Distribution
from .multivariate_normal import MultivariateNormal as _MultivariateNormal
from .multivariate_normal import _batch_mahalanobis, _half_log_det, _lower
from .normal import Normal as _Normal

__all__ = ["kl_divergence", "register_kl"]


def __dir__():
    return __all__


_KL_REGISTRY: dict = {}


def register_kl(type_p: type, type_q: type):
    """Register the decorated ``fn(p, q)`` as ``KL(p || q)`` for ``p`` of ``type_p`` and
    ``q`` of ``type_q`` (or subclasses; the most specific registration wins).

    >>> from chainrule.distributions import Normal
    >>> class Wide(Normal): pass
    >>> @register_kl(Wide, Wide)
    ... def _kl_wide(p, q): return (p.loc - q.loc) ** 2
    >>> kl_divergence(Wide(1.0, 1.0), Wide(0.0, 1.0)).item()
    1.0
    """
    if not (isinstance(type_p, type) and issubclass(type_p, _Distribution)
            and isinstance(type_q, type) and issubclass(type_q, _Distribution)):
        raise TypeError(f"register_kl: expected two Distribution subclasses, got "
                        f"{type_p!r} and {type_q!r}")

    def decorator(fn):
        _KL_REGISTRY[type_p, type_q] = fn
        return fn
    return decorator


def kl_divergence(p: _Distribution, q: _Distribution) -> _Tensor:
    """``KL(p || q)``, batched over ``batch_shape``; ``NotImplementedError`` for a pair of
    types with no registered closed form.

    >>> from chainrule import tensor
    >>> from chainrule.distributions import Bernoulli
    >>> kl_divergence(Bernoulli(tensor([0.5])), Bernoulli(tensor([0.5])))
    tensor([0.])
    """
    mro_p, mro_q = type(p).__mro__, type(q).__mro__
    matches = [(mro_p.index(P) + mro_q.index(Q), fn) for (P, Q), fn in _KL_REGISTRY.items()
               if isinstance(p, P) and isinstance(q, Q)]
    if not matches:
        raise NotImplementedError(f"kl_divergence: no KL divergence is registered for "
                                  f"{type(p).__name__} and {type(q).__name__}; register one "
                                  f"with chainrule.distributions.register_kl")
    return min(matches, key=lambda m: m[0])[1](p, q)


@register_kl(_Categorical, _Categorical)
def _kl_categorical_categorical(p, q):
    t = p.probs * (p.logits - q.logits)
    t = t.where(q.probs != 0, float("inf"))  # p puts mass where q has none
    t = t.where(p.probs != 0, 0.0)           # 0 log 0 = 0
    return t.sum(-1)


@register_kl(_Bernoulli, _Bernoulli)
def _kl_bernoulli_bernoulli(p, q):
    t1 = p.probs * ((-q.logits).softplus() - (-p.logits).softplus())
    t1 = t1.where(q.probs != 0, float("inf")).where(p.probs != 0, 0.0)
    t2 = (1 - p.probs) * (q.logits.softplus() - p.logits.softplus())
    t2 = t2.where(q.probs != 1, float("inf")).where(p.probs != 1, 0.0)
    return t1 + t2


@register_kl(_Normal, _Normal)
def _kl_normal_normal(p, q):
    var_ratio = (p.scale / q.scale).pow(2)
    t1 = ((p.loc - q.loc) / q.scale).pow(2)
    return 0.5 * (var_ratio + t1 - 1 - var_ratio.log())


@register_kl(_MultivariateNormal, _MultivariateNormal)
def _kl_mvn_mvn(p, q):
    if p.event_shape != q.event_shape:
        raise ValueError("KL-divergence between two Multivariate Normals with different "
                         "event shapes cannot be computed")
    Lp, Lq = p._unbroadcasted_scale_tril, q._unbroadcasted_scale_tril
    n = p.event_shape[0]
    batch = _np.broadcast_shapes(tuple(Lp.shape[:-2]), tuple(Lq.shape[:-2]))
    # tr(Sq^-1 Sp) = ||Lq^-1 Lp||_F^2
    X = _cnp.linalg.solve(_lower(Lq).broadcast_to(batch + (n, n)),
                          Lp.broadcast_to(batch + (n, n)))
    term2 = X.pow(2).sum((-2, -1))
    term3 = _batch_mahalanobis(Lq, q.loc - p.loc)
    return _half_log_det(Lq) - _half_log_det(Lp) + 0.5 * (term2 + term3 - n)
