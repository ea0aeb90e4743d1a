"""Optimizers: updates run on the raw arrays, in place, with no graph (PyTorch's formulas)."""
from __future__ import annotations as _annotations

import copy as _copy
import math as _math
import numbers as _numbers
import warnings as _warnings
from collections.abc import Iterable as _Iterable

import numpy as _np

from ..autograd import tracing as _tracing
from ..autograd.grad_mode import enable_grad as _enable_grad
from ..autograd.grad_mode import ordinary as _ordinary
from ..autograd.tensor import Tensor as _Tensor
from . import _fused

__all__ = ["require_real", "check_hyperparameters", "Optimizer", "SGD", "Adam", "AdamW",
           "RMSprop", "Adagrad", "Adadelta", "NAdam", "RAdam"]

# What PyTorch's messages call each hyper-parameter that must be >= 0 ("Invalid learning
# rate: -0.1"). An optimizer's defaults say which of them it has, so this one table serves
# every optimizer; a new optimizer with a new bounded hyper-parameter adds a row.
_NONNEGATIVE = {
    "lr": "learning rate",
    "momentum": "momentum value",
    "weight_decay": "weight_decay value",
    "eps": "epsilon value",
    "alpha": "alpha value",
    "lr_decay": "lr_decay value",
    "initial_accumulator_value": "initial_accumulator_value value",
    "rho": "rho value",
    "momentum_decay": "momentum_decay value",
}

# A set's order changes between runs, and so would the meaning of a saved state_dict.
_SET_MESSAGE = ("optimizer parameters need to be organized in ordered collections, but the "
                "ordering of tensors in sets will change between runs. Please use a list "
                "instead.")


def _typename(obj) -> str:
    """The qualified class name, as ``torch.typename`` gives it in PyTorch's messages."""
    cls = type(obj)
    return cls.__qualname__ if cls.__module__ == "builtins" else \
        f"{cls.__module__}.{cls.__qualname__}"


def require_real(value, name: str) -> None:
    """Raise ``TypeError`` unless ``value`` is a real number (a tensor or a string is not:
    it would only fail later, inside ``step()``)."""
    if not isinstance(value, _numbers.Real):
        raise TypeError(f"{name} must be a real number, but got {_typename(value)}")


def check_hyperparameters(values: dict) -> None:
    """Check the hyper-parameters in ``values`` (an optimizer's defaults, or one parameter
    group) as PyTorch's optimizers do, raising ``ValueError`` with PyTorch's wording.

    Called once per group at construction (and by ``add_param_group``), never by ``step()``.

    >>> check_hyperparameters({"lr": -0.1})
    Traceback (most recent call last):
        ...
    ValueError: Invalid learning rate: -0.1
    """
    for key, what in _NONNEGATIVE.items():
        if key in values:
            value = values[key]
            require_real(value, key)
            if not value >= 0.0:  # written this way so that NaN fails too
                raise ValueError(f"Invalid {what}: {value}")
    if "betas" in values:
        betas = values["betas"]
        if not isinstance(betas, (tuple, list)):
            raise TypeError(f"betas must be a pair of floats, but got {_typename(betas)}")
        if len(betas) != 2:
            raise ValueError(f"betas must be a pair of floats, but got {len(betas)} values")
        for i, beta in enumerate(betas):
            require_real(beta, f"betas[{i}]")
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"Invalid beta parameter at index {i}: {beta}")
    if "rho" in values and not values["rho"] <= 1.0:  # Adadelta's rho is in [0, 1]
        raise ValueError(f"Invalid rho value: {values['rho']}")
    if values.get("nesterov") and (values.get("momentum", 0) <= 0
                                   or values.get("dampening", 0) != 0):
        raise ValueError("Nesterov momentum requires a momentum and zero dampening")


def _collect_params(params) -> tuple[list, list]:
    """A group's ``params`` as a list of tensors, plus their names when it was given
    ``(name, tensor)`` pairs (``model.named_parameters()``), checked as PyTorch does."""
    if isinstance(params, _Tensor):
        return [params], []
    if isinstance(params, (set, frozenset)):
        raise TypeError(_SET_MESSAGE)
    if not isinstance(params, _Iterable):
        raise TypeError(f"a parameter group's params should be an iterable of Tensors, but "
                        f"got {_typename(params)}")
    tensors, names = [], []
    for item in params:
        if isinstance(item, tuple) and len(item) == 2:
            name, item = item
            names.append(name)
        if not isinstance(item, _Tensor):
            raise TypeError(f"optimizer can only optimize Tensors, but one of the params is "
                            f"{_typename(item)}")
        # The update writes into the tensor's own array: for a non-leaf that array belongs
        # to the graph, so only leaves (or tensors kept with retain_grad) qualify.
        if not (item.is_leaf or item.retains_grad):
            raise ValueError("can't optimize a non-leaf Tensor")
        tensors.append(item)
    if names and len(names) != len(tensors):
        raise ValueError("all optimizer params should be with/without names. Some param "
                         "names are missing")
    return tensors, names


class Optimizer:
    """Base class: parameter groups, per-parameter state, zero_grad, state_dict.

    Arguments are checked here, once, as PyTorch checks them; ``step()`` trusts them.
    ``step`` (a subclass's too) is opaque to ``chainrule.compile``: a compiled training step
    calls it as it is, so it reads the live learning rate and step count. ``elementwise``:
    ``_update`` moves each element of a parameter by the same elements of its gradient and
    state (scalars, such as the step count, shared by all parameters), so a compiled step
    may run it once over all of a group's parameters laid end to end (same values).
    """

    elementwise = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is not None and not getattr(step, "__opaque__", False):
            cls.step = _tracing.opaque(step)

    def __init__(self, params, defaults: dict):
        check_hyperparameters(defaults)
        # A tensor is iterable (over its rows), so without this check it would be taken
        # for a list of parameters and nothing would train.
        if isinstance(params, _Tensor) or not isinstance(params, _Iterable):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            "Tensors or dicts, but got " + _typename(params))
        if isinstance(params, (set, frozenset)):
            raise TypeError(_SET_MESSAGE)  # stricter than PyTorch, for the same reason
        self.defaults = defaults
        self.state = {}
        self.param_groups = []
        params = list(params)
        if not params:
            raise ValueError("optimizer got an empty parameter list")
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group: dict) -> None:
        """Add a group of parameters, with options of its own, to be optimized (e.g. layers
        unfrozen while fine-tuning). Missing options take the optimizer's defaults."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {_typename(param_group)}")
        if "params" not in param_group:
            raise KeyError("param_group has no 'params' entry")
        group = dict(param_group)
        group["params"], names = _collect_params(group["params"])
        if names:
            group["param_names"] = names
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        check_hyperparameters(group)
        ids = [id(p) for p in group["params"]]
        if len(set(ids)) != len(ids):
            # PyTorch warns (and updates the parameter twice) rather than refusing
            _warnings.warn("optimizer contains a parameter group with duplicate parameters; "
                           "in future, this will cause an error; see "
                           "github.com/pytorch/pytorch/issues/40967 for more information",
                           stacklevel=3)
        for other in self.param_groups:
            if ("param_names" in other) != ("param_names" in group):
                which = "with names" if "param_names" in group else "without names"
                raise ValueError(f"all optimizer param groups should be with/without names. "
                                 f"cannot add param group {which} to the optimizer")
            if not {id(p) for p in other["params"]}.isdisjoint(ids):
                raise ValueError("some parameters appear in more than one parameter group")
        group.setdefault("initial_lr", group.get("lr"))
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Drop every parameter's gradient (``set_to_none``, PyTorch's default) or fill it
        with zeros."""
        if not _ordinary.all:
            _tracing.notify("grads_reset", [p for g in self.param_groups for p in g["params"]])
        for group in self.param_groups:
            if set_to_none:
                for p in group["params"]:
                    p.grad = None  # Tensor.zero_grad(set_to_none=True), without the call
            else:
                for p in group["params"]:
                    p.zero_grad(set_to_none=False)

    @_tracing.opaque
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with _enable_grad():
                loss = closure()
        for group in self.param_groups:
            self._step_group(group)
        return loss

    def _step_group(self, group: dict) -> None:
        """One update of every parameter of ``group`` that has a gradient: ``_update`` on
        its raw arrays, per parameter. Optimizers override this for a faster loop over the
        group (the group's options read once)."""
        update, states = self._update, self.state
        for p in group["params"]:
            grad = p.grad
            if grad is None:
                continue
            state = states.get(p)
            if state is None:
                state = states[p] = {}
            update(p._data, grad._data, state, group)
            p._version[0] += 1

    def _update(self, param, grad, state, group) -> None:
        raise NotImplementedError

    def _fused_update(self, param, grad, state, group) -> bool:
        """``_update`` on flat 1-D arrays by one fused kernel (``optim._fused``), bit for
        bit; False where this optimizer has none (then ``_update`` runs)."""
        return False

    def _fast_params(self, group: dict):
        """For a fast ``_step_group``: (param, its array, its gradient's array) for each
        parameter of ``group`` that has a gradient. One whose .grad has another dtype (set by
        hand) is updated here by the general loop instead, for ``_update``'s own promotion."""
        for p in group["params"]:
            grad = p.grad
            if grad is None:
                continue
            data, g = p._data, grad._data
            if g.dtype != data.dtype:
                Optimizer._step_group(self, {**group, "params": [p]})
                continue
            yield p, data, g

    def _scratch(self, like) -> "_np.ndarray":
        """A work array of ``like``'s shape and dtype, shared by the parameters of one step
        (updates run one parameter at a time): the temporaries of an update, written into
        it, allocate nothing. Not part of the state."""
        size, dtype = like.size, like.dtype
        buf = self.__dict__.get("_work")
        if buf is None or buf.dtype != dtype or buf.size < size:
            buf = self._work = _np.empty(max(size, 0 if buf is None else buf.size), dtype)
        return buf[:size].reshape(like.shape)

    def state_dict(self) -> dict:
        index = {}
        groups = []
        for group in self.param_groups:
            entry = {k: v for k, v in group.items() if k != "params"}
            entry["params"] = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                entry["params"].append(index[id(p)])
            groups.append(entry)
        state = {}
        for group in self.param_groups:
            for p in group["params"]:
                if p in self.state:
                    state[index[id(p)]] = {k: (v.copy() if isinstance(v, _np.ndarray) else v)
                                           for k, v in self.state[p].items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise ValueError("load_state_dict: the number of parameter groups differs")
        params = [p for g in self.param_groups for p in g["params"]]
        for group, saved in zip(self.param_groups, groups):
            if len(group["params"]) != len(saved["params"]):
                raise ValueError("load_state_dict: a parameter group has a different size")
            group.update({k: v for k, v in saved.items() if k != "params"})
        self.state = {}
        for i, value in state_dict["state"].items():
            self.state[params[int(i)]] = {k: (_np.array(v) if isinstance(v, _np.ndarray) else
                                              _copy.deepcopy(v)) for k, v in value.items()}

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for k, v in sorted(group.items()):
                if k != "params":
                    lines.append(f"    {k}: {v}")
        return "\n".join(lines + [")"])


def _decayed(grad, param, weight_decay):
    return grad + weight_decay * param if weight_decay else grad


class SGD(Optimizer):
    """Stochastic gradient descent with momentum, dampening, Nesterov and weight decay."""

    elementwise = True

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False, maximize: bool = False):
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize))

    def _step_group(self, group: dict) -> None:
        if group["momentum"] or group["weight_decay"] or group["maximize"]:
            return super()._step_group(group)
        lr, states = group["lr"], self.state
        # plain SGD: param -= lr * grad, as _update computes it
        for p, data, g in self._fast_params(group):
            if p not in states:
                states[p] = {}
            work = self._scratch(data)
            _np.multiply(g, lr, out=work)
            data -= work
            p._version[0] += 1

    def _fused_update(self, param, grad, state, group) -> bool:
        return _fused.sgd(param, grad, state, group)

    def _update(self, param, grad, state, group):
        g = -grad if group["maximize"] else grad
        g = _decayed(g, param, group["weight_decay"])
        momentum = group["momentum"]
        if momentum:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = _np.array(g, copy=True)
            else:
                buf *= momentum
                buf += (1 - group["dampening"]) * g
            g = g + momentum * buf if group["nesterov"] else buf
        param -= group["lr"] * g


class Adam(Optimizer):
    """Adam (and AMSGrad); weight decay is added to the gradient (L2), as in PyTorch."""

    decoupled = False

    elementwise = True

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, amsgrad: bool = False, maximize: bool = False):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps,
                                      weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize))

    def _step_group(self, group: dict) -> None:
        if group["amsgrad"] or group["maximize"] or group["weight_decay"]:
            return super()._step_group(group)
        b1, b2 = group["betas"]
        lr, eps, states = group["lr"], group["eps"], self.state
        c1, c2 = 1 - b1, 1 - b2
        # _update's operations in its order, each written into one work array: the same
        # values, bit for bit, without a temporary per operation.
        for p, param, g in self._fast_params(group):
            state = states.get(p)
            if not state:
                state = states[p] = {"step": 0, "exp_avg": _np.zeros_like(param),
                                     "exp_avg_sq": _np.zeros_like(param)}
            t = state["step"] = state["step"] + 1
            m, v = state["exp_avg"], state["exp_avg_sq"]
            work = self._scratch(param)
            m *= b1
            _np.multiply(g, c1, out=work)
            m += work
            v *= b2
            _np.multiply(g, c2, out=work)
            work *= g
            v += work
            _np.sqrt(v, out=work)
            work /= _math.sqrt(1 - b2 ** t)
            work += eps
            _np.divide(m, work, out=work)
            work *= lr / (1 - b1 ** t)
            param -= work
            p._version[0] += 1

    def _update(self, param, grad, state, group):
        b1, b2 = group["betas"]
        lr, eps, wd = group["lr"], group["eps"], group["weight_decay"]
        g = -grad if group["maximize"] else grad
        if self.decoupled:
            param *= 1 - lr * wd
        else:
            g = _decayed(g, param, wd)
        if not state:
            state["step"] = 0
            state["exp_avg"] = _np.zeros_like(param)
            state["exp_avg_sq"] = _np.zeros_like(param)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = _np.zeros_like(param)
        state["step"] += 1
        t = state["step"]
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m *= b1
        m += (1 - b1) * g
        v *= b2
        v += (1 - b2) * g * g
        if group["amsgrad"]:
            _np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
            v = state["max_exp_avg_sq"]
        bias1 = 1 - b1 ** t
        bias2 = 1 - b2 ** t
        denom = _np.sqrt(v) / _math.sqrt(bias2)
        denom += eps
        param -= (lr / bias1) * (m / denom)


    def _fused_update(self, param, grad, state, group) -> bool:
        return _fused.adam(param, grad, state, group, self.decoupled)


class AdamW(Adam):
    """Adam with decoupled weight decay (default 0.01)."""

    decoupled = True

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, maximize: bool = False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize)


class RMSprop(Optimizer):
    elementwise = True

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False):
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered))

    def _update(self, param, grad, state, group):
        g = _decayed(grad, param, group["weight_decay"])
        alpha = group["alpha"]
        if not state:
            state["step"] = 0
            state["square_avg"] = _np.zeros_like(param)
            if group["momentum"]:
                state["momentum_buffer"] = _np.zeros_like(param)
            if group["centered"]:
                state["grad_avg"] = _np.zeros_like(param)
        state["step"] += 1
        sq = state["square_avg"]
        sq *= alpha
        sq += (1 - alpha) * g * g
        if group["centered"]:
            ga = state["grad_avg"]
            ga *= alpha
            ga += (1 - alpha) * g
            avg = _np.sqrt(sq - ga * ga) + group["eps"]
        else:
            avg = _np.sqrt(sq) + group["eps"]
        if group["momentum"]:
            buf = state["momentum_buffer"]
            buf *= group["momentum"]
            buf += g / avg
            param -= group["lr"] * buf
        else:
            param -= group["lr"] * (g / avg)


class Adagrad(Optimizer):
    elementwise = True

    def __init__(self, params, lr: float = 1e-2, lr_decay: float = 0.0, weight_decay: float = 0.0,
                 initial_accumulator_value: float = 0.0, eps: float = 1e-10):
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      eps=eps))

    def _update(self, param, grad, state, group):
        if not state:
            state["step"] = 0
            state["sum"] = _np.full_like(param, group["initial_accumulator_value"])
        state["step"] += 1
        g = _decayed(grad, param, group["weight_decay"])
        clr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        state["sum"] += g * g
        param -= clr * g / (_np.sqrt(state["sum"]) + group["eps"])


def _lerp_(avg, target, weight) -> None:
    """``avg.lerp_(target, weight)`` in place, by PyTorch's formula for ``weight < 0.5``
    (the running averages' case), so that long runs agree with PyTorch's rounding."""
    avg += weight * (target - avg)


class Adadelta(Optimizer):
    """Adadelta (Zeiler 2012): a step size from running averages of squared gradients and
    squared updates, so ``lr`` (default 1.0) only scales it.

    >>> import chainrule as cr
    >>> w = cr.nn.Parameter(cr.tensor([1.0, -2.0]))
    >>> opt = Adadelta([w], lr=1.0)
    >>> (w * w).sum().backward(); opt.step()
    """

    elementwise = True

    def __init__(self, params, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0.0, *, maximize: bool = False):
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay,
                                      maximize=maximize))

    def _update(self, param, grad, state, group):
        if not state:
            state["step"] = 0
            state["square_avg"] = _np.zeros_like(param)
            state["acc_delta"] = _np.zeros_like(param)
        state["step"] += 1
        rho, eps = group["rho"], group["eps"]
        g = -grad if group["maximize"] else grad
        g = _decayed(g, param, group["weight_decay"])
        square_avg, acc_delta = state["square_avg"], state["acc_delta"]
        square_avg *= rho
        square_avg += (1 - rho) * g * g
        delta = _np.sqrt(acc_delta + eps) / _np.sqrt(square_avg + eps) * g
        acc_delta *= rho
        acc_delta += (1 - rho) * delta * delta
        param -= group["lr"] * delta



def _decayed_gradient(param, grad, group):
    """NAdam's and RAdam's gradient: negated to maximize, with L2 weight decay added, or
    (``decoupled_weight_decay``) the parameter decayed in place as AdamW does."""
    g = -grad if group["maximize"] else grad
    wd = group["weight_decay"]
    if not group["decoupled_weight_decay"]:
        return _decayed(g, param, wd)
    if wd:
        param *= 1 - group["lr"] * wd
    return g


def _adam_moments(state, param, g, b1: float, b2: float):
    """NAdam's and RAdam's step count and moment estimates, updated in place (created at the
    first step): returns (t, exp_avg, exp_avg_sq)."""
    if "step" not in state:
        state["step"] = 0
        state["exp_avg"] = _np.zeros_like(param)
        state["exp_avg_sq"] = _np.zeros_like(param)
    state["step"] += 1
    m, v = state["exp_avg"], state["exp_avg_sq"]
    _lerp_(m, g, 1 - b1)
    v *= b2
    v += (1 - b2) * g * g
    return state["step"], m, v


class NAdam(Optimizer):
    """Adam with Nesterov momentum (Dozat 2016), with PyTorch's momentum-decay schedule
    ``mu_t = beta1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))``; default ``lr`` 2e-3.

    >>> import chainrule as cr
    >>> w = cr.nn.Parameter(cr.tensor([1.0, -2.0]))
    >>> opt = NAdam([w])
    >>> (w * w).sum().backward(); opt.step()
    """

    elementwise = True

    def __init__(self, params, lr: float = 2e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, maximize: bool = False):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      momentum_decay=momentum_decay,
                                      decoupled_weight_decay=decoupled_weight_decay,
                                      maximize=maximize))

    def _update(self, param, grad, state, group):
        b1, b2 = group["betas"]
        lr, eps, psi = group["lr"], group["eps"], group["momentum_decay"]
        state.setdefault("mu_product", 1.0)
        g = _decayed_gradient(param, grad, group)
        t, m, v = _adam_moments(state, param, g, b1, b2)
        mu = b1 * (1.0 - 0.5 * 0.96 ** (t * psi))
        mu_next = b1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
        state["mu_product"] *= mu
        mu_product = state["mu_product"]
        denom = _np.sqrt(v / (1 - b2 ** t)) + eps
        param += (-lr * (1.0 - mu) / (1.0 - mu_product)) * (g / denom)
        param += (-lr * mu_next / (1.0 - mu_product * mu_next)) * (m / denom)


class RAdam(Optimizer):
    """Rectified Adam (Liu et al. 2019): plain momentum SGD while the variance estimate is
    unreliable (``rho_t <= 5``), rectified Adam after.

    >>> import chainrule as cr
    >>> w = cr.nn.Parameter(cr.tensor([1.0, -2.0]))
    >>> opt = RAdam([w])
    >>> (w * w).sum().backward(); opt.step()
    """

    elementwise = True

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, decoupled_weight_decay: bool = False, *,
                 maximize: bool = False):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      decoupled_weight_decay=decoupled_weight_decay,
                                      maximize=maximize))

    def _update(self, param, grad, state, group):
        b1, b2 = group["betas"]
        lr, eps = group["lr"], group["eps"]
        g = _decayed_gradient(param, grad, group)
        t, m, v = _adam_moments(state, param, g, b1, b2)
        bias1, bias2 = 1 - b1 ** t, 1 - b2 ** t
        m_hat = m / bias1
        rho_inf = 2 / (1 - b2) - 1
        rho_t = rho_inf - 2 * t * (b2 ** t) / bias2
        if rho_t > 5.0:
            rect = ((rho_t - 4) * (rho_t - 2) * rho_inf /
                    ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
            adaptive = bias2 ** 0.5 / (_np.sqrt(v) + eps)
            param -= m_hat * lr * adaptive * rect
        else:
            param -= m_hat * lr
