"""Learning-rate schedules (PyTorch's closed forms).

Arguments are checked at construction, with PyTorch's error types: ``TypeError`` for an
optimizer that is not an :class:`~chainrule.optim.Optimizer`, ``ValueError`` for a value out
of range. Where PyTorch does not check a value that would only fail (or train with a
negative learning rate) later, a step size or a gamma, it is checked here too.
"""
from __future__ import annotations as _annotations

import math as _math
import numbers as _numbers
from bisect import bisect_right as _bisect_right

from .optimizer import Optimizer as _Optimizer
from .optimizer import require_real as _require_real

__all__ = ["LRScheduler", "LambdaLR", "StepLR", "MultiStepLR", "ExponentialLR",
           "CosineAnnealingLR", "OneCycleLR", "ReduceLROnPlateau"]


def _check_optimizer(optimizer) -> None:
    if not isinstance(optimizer, _Optimizer):
        raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")


def _check_positive_int(value, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, _numbers.Integral) or value <= 0:
        raise ValueError(f"Expected positive integer {name}, but got {value}")


def _check_nonnegative(value, name: str) -> None:
    _require_real(value, name)
    if not value >= 0:  # NaN fails too
        raise ValueError(f"Invalid {name} value: {value}")


def _per_group(value, name: str, optimizer) -> list:
    """``value`` for each parameter group: a list or tuple gives one per group."""
    n = len(optimizer.param_groups)
    if not isinstance(value, (list, tuple)):
        return [value] * n
    if len(value) != n:
        raise ValueError(f"{name} must have the same length as optimizer.param_groups. "
                         f"{name} has {len(value)} values, param_groups has {n}.")
    return list(value)


class LRScheduler:
    """Base class: sets each group's ``lr`` to ``get_lr()`` at every ``step()``."""

    def __init__(self, optimizer, last_epoch: int = -1):
        _check_optimizer(optimizer)
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        self.base_lrs = [g["initial_lr"] for g in optimizer.param_groups]
        self.last_epoch = last_epoch
        self.step()

    def get_lr(self) -> list:
        raise NotImplementedError

    def step(self) -> None:
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = [g["lr"] for g in self.optimizer.param_groups]

    def get_last_lr(self) -> list:
        return self._last_lr

    def state_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state: dict) -> None:
        self.__dict__.update(state)


class LambdaLR(LRScheduler):
    """``lr = base_lr * lr_lambda(epoch)``, one function for all groups or one per group."""

    def __init__(self, optimizer, lr_lambda, last_epoch: int = -1):
        _check_optimizer(optimizer)
        self.lr_lambdas = _per_group(lr_lambda, "lr_lambda", optimizer)
        for f in self.lr_lambdas:
            if not callable(f):
                raise TypeError(f"lr_lambda must be callable, but got {type(f).__name__}")
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [base * f(self.last_epoch) for base, f in zip(self.base_lrs, self.lr_lambdas)]


class StepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every ``step_size`` epochs."""

    def __init__(self, optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1):
        _check_positive_int(step_size, "step_size")
        _check_nonnegative(gamma, "gamma")
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [base * self.gamma ** (self.last_epoch // self.step_size)
                for base in self.base_lrs]


class MultiStepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` at each of the ``milestones`` epochs."""

    def __init__(self, optimizer, milestones, gamma: float = 0.1, last_epoch: int = -1):
        milestones = list(milestones)
        for m in milestones:
            if isinstance(m, bool) or not isinstance(m, _numbers.Integral):
                raise TypeError(f"milestones must be integers, but got {type(m).__name__}")
        _check_nonnegative(gamma, "gamma")
        self.milestones, self.gamma = sorted(milestones), gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [base * self.gamma ** _bisect_right(self.milestones, self.last_epoch)
                for base in self.base_lrs]


class ExponentialLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every epoch."""

    def __init__(self, optimizer, gamma: float, last_epoch: int = -1):
        _check_nonnegative(gamma, "gamma")
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [base * self.gamma ** self.last_epoch for base in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """Anneal from the base learning rate to ``eta_min`` along a half cosine of ``T_max``
    epochs."""

    def __init__(self, optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1):
        _require_real(T_max, "T_max")
        if not T_max > 0:  # the closed form divides by it
            raise ValueError(f"Expected positive T_max, but got {T_max}")
        _check_nonnegative(eta_min, "eta_min")
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [self.eta_min + (base - self.eta_min) *
                (1 + _math.cos(_math.pi * self.last_epoch / self.T_max)) / 2
                for base in self.base_lrs]


class OneCycleLR(LRScheduler):
    """Warm up to ``max_lr`` then anneal (cosine by default), as PyTorch's OneCycleLR with
    momentum cycling off."""

    def __init__(self, optimizer, max_lr, total_steps=None, epochs=None, steps_per_epoch=None,
                 pct_start: float = 0.3, anneal_strategy: str = "cos",
                 div_factor: float = 25.0, final_div_factor: float = 1e4,
                 three_phase: bool = False, last_epoch: int = -1):
        _check_optimizer(optimizer)
        if total_steps is not None:
            _check_positive_int(total_steps, "total_steps")
        elif epochs is not None and steps_per_epoch is not None:
            _check_positive_int(epochs, "epochs")
            _check_positive_int(steps_per_epoch, "steps_per_epoch")
            total_steps = epochs * steps_per_epoch
        else:
            raise ValueError("You must define either total_steps OR (epochs AND "
                             "steps_per_epoch)")
        _require_real(pct_start, "pct_start")
        if not 0.0 <= pct_start <= 1.0:
            raise ValueError(f"Expected float between 0 and 1 pct_start, but got {pct_start}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"anneal_strategy must be one of 'cos' or 'linear', instead got "
                             f"{anneal_strategy}")
        for value, name in ((div_factor, "div_factor"), (final_div_factor, "final_div_factor")):
            _require_real(value, name)
            if not value > 0:  # both divide the learning rate
                raise ValueError(f"Expected positive {name}, but got {value}")
        max_lrs = _per_group(max_lr, "max_lr", optimizer)
        for m in max_lrs:
            _check_nonnegative(m, "max_lr")
        self.total_steps = total_steps
        for group, m in zip(optimizer.param_groups, max_lrs):
            group["initial_lr"] = m / div_factor
            group["max_lr"] = m
            group["min_lr"] = group["initial_lr"] / final_div_factor
        end_warm = float(pct_start * total_steps) - 1
        if three_phase:
            self.phases = [(end_warm, "initial_lr", "max_lr"),
                           (2 * end_warm, "max_lr", "initial_lr"),
                           (total_steps - 1, "initial_lr", "min_lr")]
        else:
            self.phases = [(end_warm, "initial_lr", "max_lr"),
                           (total_steps - 1, "max_lr", "min_lr")]
        self.anneal = self._cos if anneal_strategy == "cos" else self._linear
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _cos(start, end, pct):
        return end + (start - end) / 2.0 * (_math.cos(_math.pi * pct) + 1)

    @staticmethod
    def _linear(start, end, pct):
        return (end - start) * pct + start

    def get_lr(self):
        step = self.last_epoch
        if step >= self.total_steps:
            raise ValueError(f"OneCycleLR: stepped {step + 1} times for {self.total_steps} "
                             f"total steps")
        lrs = []
        for group in self.optimizer.param_groups:
            start = 0.0
            for i, (end, a, b) in enumerate(self.phases):
                if step <= end or i == len(self.phases) - 1:
                    pct = (step - start) / (end - start)
                    lrs.append(self.anneal(group[a], group[b], pct))
                    break
                start = end
        return lrs


class ReduceLROnPlateau:
    """Multiply the learning rate by ``factor`` when a metric stops improving."""

    def __init__(self, optimizer, mode: str = "min", factor: float = 0.1, patience: int = 10,
                 threshold: float = 1e-4, threshold_mode: str = "rel", cooldown: int = 0,
                 min_lr=0.0, eps: float = 1e-8):
        _require_real(factor, "factor")
        if factor >= 1.0:
            raise ValueError("Factor should be < 1.0.")
        _check_nonnegative(factor, "factor")
        _check_optimizer(optimizer)
        if mode not in ("min", "max"):
            raise ValueError(f"mode {mode} is unknown!")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"threshold mode {threshold_mode} is unknown!")
        for value, name in ((patience, "patience"), (cooldown, "cooldown"),
                            (threshold, "threshold"), (eps, "eps")):
            _check_nonnegative(value, name)
        self.optimizer, self.mode, self.factor, self.patience = optimizer, mode, factor, patience
        self.threshold, self.threshold_mode, self.cooldown, self.eps = (threshold, threshold_mode,
                                                                        cooldown, eps)
        self.min_lrs = _per_group(min_lr, "min_lr", optimizer)
        self.best = _math.inf if mode == "min" else -_math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self.last_epoch = 0
        self._last_lr = [g["lr"] for g in optimizer.param_groups]

    def _better(self, a, best) -> bool:
        rel = self.threshold_mode == "rel"
        if self.mode == "min":
            return a < (best * (1 - self.threshold) if rel else best - self.threshold)
        return a > (best * (1 + self.threshold) if rel else best + self.threshold)

    def step(self, metrics) -> None:
        current = float(metrics)
        self.last_epoch += 1
        if self._better(current, self.best):
            self.best, self.num_bad_epochs = current, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            for group, min_lr in zip(self.optimizer.param_groups, self.min_lrs):
                new = max(group["lr"] * self.factor, min_lr)
                if group["lr"] - new > self.eps:
                    group["lr"] = new
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = [g["lr"] for g in self.optimizer.param_groups]

    def get_last_lr(self) -> list:
        return self._last_lr
