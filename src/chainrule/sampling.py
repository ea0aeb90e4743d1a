"""Random sampling with PyTorch's names: ``Generator`` objects, ``randperm``, ``multinomial``,
``bernoulli``, ``normal`` and ``poisson``, and the in-place fills Tensor methods are
(``uniform_``, ``normal_``, ``bernoulli_``, ``exponential_``, ``geometric_``, ``cauchy_``,
``log_normal_``, ``random_``). Without a ``generator`` they draw from the global
one that ``cr.manual_seed`` seeds. Samples are data, not functions of the inputs: they carry
no gradient (reparameterized sampling is ``distributions``' ``rsample``).

>>> import chainrule as cr
>>> g = cr.Generator().manual_seed(0)
>>> cr.randperm(4, generator=g).sort().values.tolist()
[0, 1, 2, 3]
"""
from __future__ import annotations

from typing import Optional

import numpy as _np

from . import _backend
from .autograd.tensor import Tensor as _Tensor
from .autograd.tensor import make_tensor as _make_tensor
from .errors import OpError as _OpError
from .ops import inplace as _inplace

__all__ = ["Generator", "randperm", "multinomial", "bernoulli", "normal", "poisson",
           "uniform_", "normal_", "bernoulli_", "exponential_", "geometric_", "cauchy_",
           "log_normal_", "random_"]


class Generator:
    """A random generator of its own, as ``torch.Generator``: ``manual_seed`` returns it.

    >>> import chainrule as cr
    >>> a = cr.randperm(5, generator=cr.Generator().manual_seed(3))
    >>> b = cr.randperm(5, generator=cr.Generator().manual_seed(3))
    >>> a.tolist() == b.tolist()
    True
    """

    def __init__(self, device="cpu"):
        _backend.normalize_device(device)
        self.device = device
        self.manual_seed(_np.random.SeedSequence().entropy % 2 ** 63)

    def manual_seed(self, seed: int) -> "Generator":
        self._seed = int(seed)
        self._rng = _np.random.default_rng(self._seed)
        return self

    def initial_seed(self) -> int:
        return self._seed

    def seed(self) -> int:
        """Reseed from fresh entropy; returns the new seed."""
        self.manual_seed(_np.random.SeedSequence().entropy % 2 ** 63)
        return self._seed


def _rng(generator: Optional[Generator]) -> _np.random.Generator:
    return _backend.generator() if generator is None else generator._rng


def _array(op: str, x, floating: bool = True) -> _np.ndarray:
    data = _np.asarray(x._data if isinstance(x, _Tensor) else x)
    if floating and data.dtype.kind != "f":
        raise _OpError(f"{op}: expected a floating point tensor, got dtype {data.dtype} "
                       f"(shape {data.shape}); convert it first, e.g. x.float()")
    return data


def randperm(n: int, *, generator: Optional[Generator] = None, dtype=None) -> _Tensor:
    """A random permutation of ``0 .. n-1`` (int64)."""
    if n < 0:
        raise _OpError(f"randperm: n must be non-negative, got {n}")
    return _make_tensor(_rng(generator).permutation(n).astype(dtype or _np.int64))


def multinomial(input, num_samples: int, replacement: bool = False, *,
                generator: Optional[Generator] = None) -> _Tensor:
    """``num_samples`` category indices per row of the non-negative weights ``input``
    (1-D or 2-D), without replacement unless ``replacement``.

    >>> import chainrule as cr
    >>> cr.multinomial(cr.tensor([0., 1., 0.]), 2, replacement=True).tolist()
    [1, 1]
    """
    w = _array("multinomial", input)
    if w.ndim not in (1, 2):
        raise _OpError(f"multinomial: prob_dist must be 1 or 2 dim, got shape {w.shape}")
    rows = w.reshape(-1, w.shape[-1]).astype(_np.float64)
    if not _np.isfinite(rows).all() or (rows < 0).any():
        raise _OpError("multinomial: probability tensor contains either inf, nan or element "
                       "< 0")
    totals = rows.sum(-1)
    if (totals <= 0).any():
        raise _OpError("multinomial: invalid multinomial distribution (sum of probabilities "
                       "<= 0)")
    if not replacement and num_samples > (rows > 0).sum(-1).min():
        raise _OpError(f"multinomial: cannot sample n_sample={num_samples} > "
                       f"prob_dist.size(-1) non-zero categories without replacement; pass "
                       f"replacement=True or fewer samples")
    rng = _rng(generator)
    out = _np.stack([rng.choice(len(p), num_samples, replace=replacement, p=p / p.sum())
                     for p in rows]).astype(_np.int64)
    return _make_tensor(out.reshape(w.shape[:-1] + (num_samples,)))


def bernoulli(input, p: Optional[float] = None, *,
              generator: Optional[Generator] = None) -> _Tensor:
    """1 with probability ``input`` (or ``p``) elementwise, else 0, in ``input``'s dtype."""
    probs = _array("bernoulli", input)
    if p is not None:
        probs = _np.full_like(probs, p)
    if ((probs < 0) | (probs > 1)).any():
        raise _OpError("bernoulli: expected all probabilities in [0, 1]")
    draws = _rng(generator).random(probs.shape) < probs
    return _make_tensor(draws.astype(probs.dtype))


def normal(mean, std=1.0, size=None, *, generator: Optional[Generator] = None) -> _Tensor:
    """Normal samples: elementwise ``mean`` and ``std`` (tensors broadcast), or floats with
    ``size``."""
    if size is not None:
        dtype = _backend.get_default_dtype()
        m, s = _np.asarray(mean, dtype), _np.asarray(std, dtype)
        shape = tuple(size)
    else:
        if not isinstance(mean, _Tensor) and not isinstance(std, _Tensor):
            raise _OpError("normal: give mean or std as a tensor, or a size with floats")
        m = _array("normal", mean) if isinstance(mean, _Tensor) else mean
        s = _array("normal", std) if isinstance(std, _Tensor) else std
        dtype = _np.result_type(m, s)
        shape = _np.broadcast_shapes(_np.shape(m), _np.shape(s))
    if (_np.asarray(s) < 0).any():
        raise _OpError("normal: expected all std >= 0.0")
    out = _rng(generator).normal(size=shape) * s + m
    return _make_tensor(_np.asarray(out, dtype=dtype))


def poisson(input, generator: Optional[Generator] = None) -> _Tensor:
    """Poisson samples with rates ``input``, in its dtype."""
    rates = _array("poisson", input)
    if (rates < 0).any():
        raise _OpError("poisson: expected all rates >= 0")
    return _make_tensor(_rng(generator).poisson(rates).astype(rates.dtype))



# In-place fills: Tensor methods. They write through ``setitem`` so that a leaf requiring
# grad refuses them as PyTorch does, views write through to their base, and the version
# counter moves (a saved tensor overwritten later is caught).

def _fill_with(tensor: _Tensor, op: str, values) -> _Tensor:
    _inplace.setitem(tensor, Ellipsis, _np.asarray(values).astype(tensor._data.dtype), op)
    return tensor


def _floating(op: str, tensor: _Tensor) -> None:
    _array(op, tensor)  # raises for a non-floating dtype


def _positive(op: str, name: str, value) -> None:
    if not value > 0:
        raise _OpError(f"{op}: expects {name} > 0, got {name}={value}")


def uniform_(self, a: float = 0.0, b: float = 1.0, *,
             generator: Optional[Generator] = None) -> _Tensor:
    """Fill with samples uniform on [a, b), in place.

    >>> import chainrule as cr
    >>> bool(((cr.zeros(100).uniform_(2, 3) >= 2)).all())
    True
    """
    _floating("uniform_", self)
    if a > b:
        raise _OpError(f"uniform_: expects from <= to, got from={a} > to={b}")
    return _fill_with(self, "uniform_", _rng(generator).uniform(a, b, self.shape))


def normal_(self, mean: float = 0.0, std: float = 1.0, *,
            generator: Optional[Generator] = None) -> _Tensor:
    """Fill with normal samples of ``mean`` and ``std``, in place."""
    _floating("normal_", self)
    if std < 0:
        raise _OpError(f"normal_: expects std >= 0.0, got std={std}")
    return _fill_with(self, "normal_", _rng(generator).normal(mean, std, self.shape))


def bernoulli_(self, p=0.5, *, generator: Optional[Generator] = None) -> _Tensor:
    """Fill with 1 with probability ``p`` (a float or a tensor broadcast to this one), else 0,
    in place."""
    probs = _np.asarray(p._data if isinstance(p, _Tensor) else p, dtype=_np.float64)
    if ((probs < 0) | (probs > 1)).any():
        raise _OpError(f"bernoulli_: expects 0 <= p <= 1, got p={p}")
    draws = _rng(generator).random(self.shape) < probs
    return _fill_with(self, "bernoulli_", draws)


def exponential_(self, lambd: float = 1.0, *,
                 generator: Optional[Generator] = None) -> _Tensor:
    """Fill with exponential samples of rate ``lambd``, in place."""
    _floating("exponential_", self)
    _positive("exponential_", "lambd", lambd)
    return _fill_with(self, "exponential_", _rng(generator).exponential(1 / lambd, self.shape))


def geometric_(self, p: float, *, generator: Optional[Generator] = None) -> _Tensor:
    """Fill with the number of Bernoulli(``p``) trials up to the first success (1, 2, ...),
    in place."""
    if not 0 < p < 1:
        raise _OpError(f"geometric_: expects p to be in (0, 1), got p={p}")
    return _fill_with(self, "geometric_", _rng(generator).geometric(p, self.shape))


def cauchy_(self, median: float = 0.0, sigma: float = 1.0, *,
            generator: Optional[Generator] = None) -> _Tensor:
    """Fill with Cauchy samples of ``median`` and scale ``sigma``, in place."""
    _floating("cauchy_", self)
    _positive("cauchy_", "sigma", sigma)
    draws = median + sigma * _rng(generator).standard_cauchy(self.shape)
    return _fill_with(self, "cauchy_", draws)


def log_normal_(self, mean: float = 1.0, std: float = 2.0, *,
                generator: Optional[Generator] = None) -> _Tensor:
    """Fill with exp of normal samples of ``mean`` and ``std``, in place."""
    _floating("log_normal_", self)
    _positive("log_normal_", "std", std)
    return _fill_with(self, "log_normal_", _rng(generator).lognormal(mean, std, self.shape))


def _random_bounds(dtype: _np.dtype):
    """PyTorch's default range of ``random_()``: [0, 2**mantissa] for floats (every integer
    there is exact), [0, max] for integers, {0, 1} for bool."""
    if dtype.kind == "f":
        return 0, 2 ** (_np.finfo(dtype).nmant + 1) + 1
    if dtype.kind == "b":
        return 0, 2
    return 0, int(_np.iinfo(dtype).max) + 1


def random_(self, from_=None, to=None, *,
            generator: Optional[Generator] = None) -> _Tensor:
    """Fill with integers uniform on [from, to), in place: ``random_(to)`` is [0, to);
    ``random_()`` spans the dtype's exactly representable non-negative integers."""
    lo, hi = _random_bounds(self._data.dtype)
    if to is None and from_ is not None:
        hi = from_  # random_(to): one argument is the upper bound
    elif to is not None:
        lo, hi = from_ or 0, to
    if lo >= hi:
        raise _OpError(f"random_: expects from < to, got from={lo} >= to={hi}")
    return _fill_with(self, "random_", _rng(generator).integers(lo, hi, self.shape))


def __dir__():  # dir() shows the exports, not the helpers
    return __all__
