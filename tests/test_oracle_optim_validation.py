"""Optimizer and scheduler argument checks against PyTorch: for each bad argument in a grid,
chainrule raises where torch raises, with an exception of a compatible type (one that
the same ``except`` clause catches); for each good one, neither raises."""
import builtins
import math

import pytest

import chainrule as cr

torch = pytest.importorskip("torch")

pytestmark = pytest.mark.oracle


class Lib:
    """The same few constructors, for torch and for chainrule, so one lambda builds both."""

    def __init__(self, mod):
        self.mod, self.optim = mod, mod.optim
        self.sched = mod.optim.lr_scheduler

    def param(self):
        return self.mod.nn.Parameter(self.mod.zeros(2))

    def nonleaf(self):
        return self.param() * 2

    def retained(self):
        t = self.param() * 2
        t.retain_grad()
        return t

    def frozen(self):
        return self.mod.zeros(2)  # a leaf that does not require grad


LIBS = {"torch": Lib(torch), "chainrule": Lib(cr)}
OPTIMIZERS = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"]


def _opt(name, **kw):
    return lambda L: getattr(L.optim, name)([L.param()], **kw)


def _two_groups(L):
    p = L.param()
    return L.optim.SGD([{"params": [p]}, {"params": [p], "lr": 0.5}], lr=0.1)


def _sched(cls, *args, **kw):
    return lambda L: getattr(L.sched, cls)(L.optim.SGD([L.param()], lr=0.1), *args, **kw)


BAD = {
    # how the parameters are given
    "single_parameter": lambda L: L.optim.SGD(L.param(), lr=0.1),
    "single_parameter_adam": lambda L: L.optim.Adam(L.param()),
    "empty_list": lambda L: L.optim.Adam([]),
    "empty_generator": lambda L: L.optim.SGD(iter([]), lr=0.1),
    "non_leaf": lambda L: L.optim.SGD([L.nonleaf()], lr=0.1),
    "same_param_two_groups": _two_groups,
    "not_a_tensor": lambda L: L.optim.SGD([L.param(), 3.0], lr=0.1),
    "group_not_a_dict": lambda L: L.optim.SGD([{"params": [L.param()]}, [L.param()]], lr=0.1),
    "group_params_set": lambda L: L.optim.SGD([{"params": {L.param()}}], lr=0.1),
    "some_names_missing": lambda L: L.optim.SGD([("w", L.param()), L.param()], lr=0.1),
    "groups_with_and_without_names": lambda L: L.optim.SGD(
        [{"params": [("w", L.param())]}, {"params": [L.param()]}], lr=0.1),
    "not_iterable": lambda L: L.optim.SGD(3, lr=0.1),
    "sgd_nesterov_without_momentum": _opt("SGD", lr=0.1, nesterov=True),
    "sgd_nesterov_with_dampening": _opt("SGD", lr=0.1, momentum=0.9, dampening=0.1,
                                        nesterov=True),
    "sgd_negative_momentum": _opt("SGD", lr=0.1, momentum=-0.5),
    "rmsprop_negative_momentum": _opt("RMSprop", momentum=-0.5),
    "rmsprop_negative_alpha": _opt("RMSprop", alpha=-0.1),
    "adagrad_negative_lr_decay": _opt("Adagrad", lr_decay=-1.0),
    "adagrad_negative_initial_accumulator": _opt("Adagrad", initial_accumulator_value=-1.0),
    "adam_nan_lr": _opt("Adam", lr=math.nan),
    "adam_string_lr": _opt("Adam", lr="0.1"),
    "adam_scalar_betas": _opt("Adam", betas=0.9),
    # schedulers
    "steplr_not_an_optimizer": lambda L: L.sched.StepLR(object(), 3),
    "exponentiallr_not_an_optimizer": lambda L: L.sched.ExponentialLR([L.param()], 0.9),
    "cosine_not_an_optimizer": lambda L: L.sched.CosineAnnealingLR("sgd", 10),
    "plateau_not_an_optimizer": lambda L: L.sched.ReduceLROnPlateau(None),
    "plateau_factor_too_big": _sched("ReduceLROnPlateau", factor=1.5),
    "plateau_bad_mode": _sched("ReduceLROnPlateau", mode="lowest"),
    "plateau_bad_threshold_mode": _sched("ReduceLROnPlateau", threshold_mode="relative"),
    "plateau_min_lr_wrong_length": _sched("ReduceLROnPlateau", min_lr=[0.0, 0.0]),
    "lambdalr_wrong_length": _sched("LambdaLR", [lambda e: 1.0, lambda e: 0.5]),
    "onecycle_not_an_optimizer": lambda L: L.sched.OneCycleLR(42, 1.0, total_steps=10),
    "onecycle_zero_total_steps": _sched("OneCycleLR", 1.0, total_steps=0),
    "onecycle_negative_total_steps": _sched("OneCycleLR", 1.0, total_steps=-5),
    "onecycle_zero_epochs": _sched("OneCycleLR", 1.0, epochs=0, steps_per_epoch=10),
    "onecycle_no_length": _sched("OneCycleLR", 1.0),
    "onecycle_pct_start_too_big": _sched("OneCycleLR", 1.0, total_steps=10, pct_start=1.5),
    "onecycle_bad_anneal": _sched("OneCycleLR", 1.0, total_steps=10, anneal_strategy="exp"),
    "onecycle_max_lr_wrong_length": _sched("OneCycleLR", [1.0, 2.0], total_steps=10),
}
for _name in OPTIMIZERS:
    BAD[f"{_name.lower()}_negative_lr"] = _opt(_name, lr=-0.1)
    BAD[f"{_name.lower()}_negative_weight_decay"] = _opt(_name, weight_decay=-1e-2)
    if _name != "SGD":
        BAD[f"{_name.lower()}_negative_eps"] = _opt(_name, eps=-1e-8)
for _name in ("Adam", "AdamW"):
    for _i, _betas in enumerate([(1.0, 0.999), (0.9, 1.0), (-0.1, 0.999), (0.9, 1.5)]):
        BAD[f"{_name.lower()}_betas_{_i}"] = _opt(_name, betas=_betas)

GOOD = {
    "zero_lr": _opt("SGD", lr=0.0),
    "zero_betas": _opt("Adam", betas=(0.0, 0.0)),
    "betas_list": _opt("AdamW", betas=[0.5, 0.9]),
    "nesterov": _opt("SGD", lr=0.1, momentum=0.9, nesterov=True),
    "generator": lambda L: L.optim.Adam(p for p in [L.param(), L.param()]),
    "tuple_of_params": lambda L: L.optim.Adam((L.param(), L.param())),
    "frozen_leaf": lambda L: L.optim.SGD([L.param(), L.frozen()], lr=0.1),
    "retained_non_leaf": lambda L: L.optim.SGD([L.retained()], lr=0.1),
    "named_params": lambda L: L.optim.Adam([("a", L.param()), ("b", L.param())]),
    "group_single_tensor": lambda L: L.optim.SGD([{"params": L.param()}], lr=0.1),
    "group_overrides": lambda L: L.optim.SGD([{"params": [L.param()], "lr": 0.5},
                                              {"params": [L.param()]}], lr=0.1),
    "rmsprop_centered": _opt("RMSprop", momentum=0.5, centered=True, alpha=0.0),
    "steplr": _sched("StepLR", 3, gamma=0.5),
    "plateau_max_abs": _sched("ReduceLROnPlateau", mode="max", threshold_mode="abs"),
    "onecycle_epochs": _sched("OneCycleLR", 1.0, epochs=2, steps_per_epoch=5,
                              anneal_strategy="linear"),
}


def _builtin_base(exc_type):
    """The nearest built-in class of an exception type: what an ``except`` clause written
    against PyTorch would name."""
    return next(c for c in exc_type.__mro__ if getattr(builtins, c.__name__, None) is c)


@pytest.mark.parametrize("case", sorted(BAD))
def test_raises_where_torch_raises(case):
    with pytest.raises(Exception) as theirs:
        BAD[case](LIBS["torch"])
    expected = _builtin_base(theirs.type)
    with pytest.raises(Exception) as ours:
        BAD[case](LIBS["chainrule"])
    assert isinstance(ours.value, expected), (
        f"torch raised {theirs.type.__name__}({theirs.value}); chainrule raised "
        f"{ours.type.__name__}({ours.value})")


@pytest.mark.parametrize("case", sorted(GOOD))
def test_accepts_what_torch_accepts(case):
    GOOD[case](LIBS["torch"])
    GOOD[case](LIBS["chainrule"])


@pytest.mark.parametrize("case", ["single_parameter", "empty_list", "non_leaf",
                                  "same_param_two_groups", "sgd_negative_lr",
                                  "adam_betas_0", "adam_betas_1", "adagrad_negative_eps",
                                  "sgd_nesterov_without_momentum", "not_a_tensor"])
def test_messages_match_torch(case):
    """Where both say the same thing, they say it in the same words (the type names inside
    the message differ: torch.nn.parameter.Parameter against chainrule's own)."""
    with pytest.raises(Exception) as theirs:
        BAD[case](LIBS["torch"])
    with pytest.raises(Exception) as ours:
        BAD[case](LIBS["chainrule"])
    strip = lambda s: s.split(" but got ")[0].split(" but one of the params is ")[0]
    assert strip(str(ours.value)) == strip(str(theirs.value))
