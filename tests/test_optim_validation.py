"""Optimizers and schedulers check their arguments at construction, as PyTorch does (the
comparison with PyTorch itself is in test_oracle_optim_validation.py); step() does not."""
import math
import warnings

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.optim import optimizer as optimizer_module
from chainrule.optim import lr_scheduler

OPTIMIZERS = {"SGD": cr.optim.SGD, "Adam": cr.optim.Adam, "AdamW": cr.optim.AdamW,
              "RMSprop": cr.optim.RMSprop, "Adagrad": cr.optim.Adagrad}
# Each optimizer's hyper-parameters that must be >= 0, with the word PyTorch's message uses.
NONNEGATIVE = {
    "SGD": {"lr": "learning rate", "momentum": "momentum value",
            "weight_decay": "weight_decay value"},
    "Adam": {"lr": "learning rate", "eps": "epsilon value", "weight_decay": "weight_decay value"},
    "RMSprop": {"lr": "learning rate", "eps": "epsilon value", "momentum": "momentum value",
                "weight_decay": "weight_decay value", "alpha": "alpha value"},
    "Adagrad": {"lr": "learning rate", "eps": "epsilon value", "lr_decay": "lr_decay value",
                "weight_decay": "weight_decay value",
                "initial_accumulator_value": "initial_accumulator_value value"},
}
NONNEGATIVE["AdamW"] = NONNEGATIVE["Adam"]
NEGATIVE_CASES = [(name, key, what) for name, keys in NONNEGATIVE.items()
                  for key, what in keys.items()]


def param():
    return nn.Parameter(cr.zeros(3))


def test_single_parameter_is_a_type_error_not_silently_nothing():
    w = param()
    for cls in OPTIMIZERS.values():
        with pytest.raises(TypeError, match="should be an iterable of Tensors or dicts, but got "
                                            "chainrule.nn.parameter.Parameter"):
            cls(w)
    with pytest.raises(TypeError, match="but got chainrule.autograd.tensor.Tensor"):
        cr.optim.SGD(cr.zeros(2, requires_grad=True), lr=0.1)


@pytest.mark.parametrize("params", [[], (), iter([])], ids=["list", "tuple", "generator"])
def test_empty_parameter_list(params):
    with pytest.raises(ValueError, match="^optimizer got an empty parameter list$"):
        cr.optim.Adam(params)


@pytest.mark.parametrize("name, key, what", NEGATIVE_CASES,
                         ids=[f"{n}-{k}" for n, k, _ in NEGATIVE_CASES])
@pytest.mark.parametrize("value", [-0.1, -1e-12, math.nan])
def test_negative_hyperparameters(name, key, what, value):
    with pytest.raises(ValueError, match=f"^Invalid {what}: {value}$"):
        OPTIMIZERS[name]([param()], **{key: value})


@pytest.mark.parametrize("name", ["Adam", "AdamW"])
@pytest.mark.parametrize("betas, index", [((1.0, 0.999), 0), ((-0.1, 0.9), 0),
                                          ((0.9, 1.0), 1), ((0.9, 2.0), 1)])
def test_betas_outside_0_1(name, betas, index):
    with pytest.raises(ValueError, match=f"^Invalid beta parameter at index {index}: "
                                         f"{betas[index]}$"):
        OPTIMIZERS[name]([param()], betas=betas)


def test_betas_shape_and_types():
    with pytest.raises(TypeError, match="betas must be a pair of floats, but got float"):
        cr.optim.Adam([param()], betas=0.9)
    with pytest.raises(ValueError, match="betas must be a pair of floats, but got 3 values"):
        cr.optim.Adam([param()], betas=(0.9, 0.99, 0.999))
    with pytest.raises(TypeError, match=r"betas\[1\] must be a real number, but got str"):
        cr.optim.Adam([param()], betas=(0.9, "0.999"))
    opt = cr.optim.Adam([param()], betas=[0.0, 0.5])  # the edges of [0, 1) are fine
    assert opt.param_groups[0]["betas"] == [0.0, 0.5]


def test_hyperparameters_must_be_numbers():
    with pytest.raises(TypeError, match="lr must be a real number, but got str"):
        cr.optim.SGD([param()], lr="0.1")
    with pytest.raises(TypeError, match="eps must be a real number, but got NoneType"):
        cr.optim.Adam([param()], eps=None)
    with pytest.raises(TypeError, match="lr must be a real number, but got "
                                        "chainrule.autograd.tensor.Tensor"):
        cr.optim.SGD([param()], lr=cr.tensor(0.1))
    cr.optim.SGD([param()], lr=np.float32(0.1), momentum=np.float64(0.9))  # NumPy scalars are


@pytest.mark.parametrize("kw", [dict(nesterov=True), dict(nesterov=True, momentum=0.0),
                                dict(nesterov=True, momentum=0.9, dampening=0.1)])
def test_nesterov_needs_momentum_and_no_dampening(kw):
    with pytest.raises(ValueError, match="^Nesterov momentum requires a momentum and zero "
                                         "dampening$"):
        cr.optim.SGD([param()], lr=0.1, **kw)


def test_zero_is_a_valid_value():
    for name, keys in NONNEGATIVE.items():
        OPTIMIZERS[name]([param()], **{key: 0.0 for key in keys})


def test_non_leaf_tensors():
    w = param()
    with pytest.raises(ValueError, match="^can't optimize a non-leaf Tensor$"):
        cr.optim.SGD([w * 2], lr=0.1)
    kept = w * 2
    kept.retain_grad()  # as in PyTorch, a non-leaf whose grad is kept may be optimized
    cr.optim.SGD([kept], lr=0.1)


def test_params_must_be_tensors_in_an_ordered_collection():
    with pytest.raises(TypeError, match="optimizer can only optimize Tensors, but one of the "
                                        "params is numpy.ndarray"):
        cr.optim.SGD([param(), np.zeros(3)], lr=0.1)
    with pytest.raises(TypeError, match="ordered collections"):
        cr.optim.SGD({param(), param()}, lr=0.1)
    with pytest.raises(TypeError, match="ordered collections"):
        cr.optim.SGD([{"params": {param()}}], lr=0.1)
    with pytest.raises(TypeError, match="should be an iterable of Tensors or dicts, but got int"):
        cr.optim.SGD(3, lr=0.1)
    with pytest.raises(TypeError, match="param_group must be a dict, but got list"):
        cr.optim.SGD([{"params": [param()]}, [param()]], lr=0.1)
    with pytest.raises(KeyError, match="no 'params' entry"):
        cr.optim.SGD([{"lr": 0.1}], lr=0.1)


def test_same_parameter_in_two_groups():
    w = param()
    with pytest.raises(ValueError, match="^some parameters appear in more than one parameter "
                                         "group$"):
        cr.optim.SGD([{"params": [w]}, {"params": [param(), w]}], lr=0.1)
    opt = cr.optim.SGD([w], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": w})
    assert len(opt.param_groups) == 1  # a refused group is not half-added


def test_duplicate_in_one_group_warns_as_pytorch_does():
    w = param()
    with pytest.warns(UserWarning, match="duplicate parameters"):
        cr.optim.SGD([w, w], lr=0.1)


def test_group_options_are_checked_too():
    """Stricter than PyTorch, which checks only the constructor's arguments: a group's own
    learning rate is as wrong when negative."""
    with pytest.raises(ValueError, match="^Invalid learning rate: -1$"):
        cr.optim.SGD([{"params": [param()], "lr": -1}], lr=0.1)
    opt = cr.optim.Adam([param()])
    with pytest.raises(ValueError, match="Invalid beta parameter at index 0: 1.5"):
        opt.add_param_group({"params": [param()], "betas": (1.5, 0.9)})
    with pytest.raises(ValueError, match="Nesterov"):
        cr.optim.SGD([{"params": [param()], "nesterov": True}], lr=0.1, momentum=0.0)


def test_named_parameters_and_frozen_leaves_are_accepted():
    model = nn.Linear(3, 2)
    opt = cr.optim.Adam(model.named_parameters(), lr=0.1)
    assert opt.param_groups[0]["param_names"] == [n for n, _ in model.named_parameters()]
    with pytest.raises(ValueError, match="Some param names are missing"):
        cr.optim.SGD([("w", param()), param()], lr=0.1)
    with pytest.raises(ValueError, match="cannot add param group without names"):
        opt.add_param_group({"params": [param()]})
    # A leaf that does not require grad is kept, as in PyTorch, and never updated.
    frozen = cr.ones(3)
    opt = cr.optim.SGD([param(), frozen], lr=0.1)
    model(cr.ones(1, 3)).sum().backward()
    opt.step()
    assert frozen.tolist() == [1.0, 1.0, 1.0]


def test_checks_run_at_construction_not_in_step(monkeypatch):
    w = param()
    opt = cr.optim.Adam([w], lr=0.1)

    def fail(values):
        raise AssertionError("step() must not re-validate")

    monkeypatch.setattr(optimizer_module, "check_hyperparameters", fail)
    (w * w).sum().backward()
    opt.step()
    assert np.all(w.detach().numpy() == 0.0)  # grad was 0: a step that ran, unharmed


def sgd():
    return cr.optim.SGD([param()], lr=0.1)


@pytest.mark.parametrize("make", [
    lambda o: lr_scheduler.StepLR(o, 2), lambda o: lr_scheduler.MultiStepLR(o, [2]),
    lambda o: lr_scheduler.ExponentialLR(o, 0.9), lambda o: lr_scheduler.CosineAnnealingLR(o, 3),
    lambda o: lr_scheduler.LambdaLR(o, lambda e: 1.0),
    lambda o: lr_scheduler.OneCycleLR(o, 1.0, total_steps=5),
    lambda o: lr_scheduler.ReduceLROnPlateau(o)],
    ids=["step", "multistep", "exponential", "cosine", "lambda", "onecycle", "plateau"])
def test_schedulers_need_an_optimizer(make):
    make(sgd())
    for wrong in (None, [param()], {"lr": 0.1}):
        with pytest.raises(TypeError, match=f"^{type(wrong).__name__} is not an Optimizer$"):
            make(wrong)


@pytest.mark.parametrize("make, error, match", [
    (lambda o: lr_scheduler.StepLR(o, 0), ValueError, "positive integer step_size, but got 0"),
    (lambda o: lr_scheduler.StepLR(o, -2), ValueError, "step_size, but got -2"),
    (lambda o: lr_scheduler.StepLR(o, 1.5), ValueError, "step_size, but got 1.5"),
    (lambda o: lr_scheduler.StepLR(o, 2, gamma=-0.1), ValueError, "Invalid gamma value: -0.1"),
    (lambda o: lr_scheduler.StepLR(o, 2, gamma=math.nan), ValueError, "Invalid gamma value"),
    (lambda o: lr_scheduler.StepLR(o, 2, gamma="0.1"), TypeError, "gamma must be a real"),
    (lambda o: lr_scheduler.MultiStepLR(o, [2, 4.5]), TypeError, "milestones must be integers"),
    (lambda o: lr_scheduler.MultiStepLR(o, [2], gamma=-1), ValueError, "Invalid gamma"),
    (lambda o: lr_scheduler.ExponentialLR(o, -0.5), ValueError, "Invalid gamma value: -0.5"),
    (lambda o: lr_scheduler.CosineAnnealingLR(o, 0), ValueError, "positive T_max, but got 0"),
    (lambda o: lr_scheduler.CosineAnnealingLR(o, 5, eta_min=-1), ValueError, "Invalid eta_min"),
    (lambda o: lr_scheduler.LambdaLR(o, 0.5), TypeError, "lr_lambda must be callable"),
    (lambda o: lr_scheduler.LambdaLR(o, [lambda e: 1, lambda e: 2]), ValueError,
     "lr_lambda has 2 values, param_groups has 1"),
    (lambda o: lr_scheduler.OneCycleLR(o, 1.0), ValueError, "either total_steps OR"),
    (lambda o: lr_scheduler.OneCycleLR(o, 1.0, total_steps=0), ValueError, "total_steps"),
    (lambda o: lr_scheduler.OneCycleLR(o, 1.0, epochs=2, steps_per_epoch=0), ValueError,
     "positive integer steps_per_epoch"),
    (lambda o: lr_scheduler.OneCycleLR(o, 1.0, total_steps=5, pct_start=-0.1), ValueError,
     "between 0 and 1 pct_start"),
    (lambda o: lr_scheduler.OneCycleLR(o, 1.0, total_steps=5, anneal_strategy="exp"),
     ValueError, "'cos' or 'linear'"),
    (lambda o: lr_scheduler.OneCycleLR(o, 1.0, total_steps=5, div_factor=0), ValueError,
     "positive div_factor"),
    (lambda o: lr_scheduler.OneCycleLR(o, -1.0, total_steps=5), ValueError, "Invalid max_lr"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, factor=1.0), ValueError, "Factor should be"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, factor=-0.5), ValueError, "Invalid factor"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, mode="lowest"), ValueError, "mode lowest is"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, threshold_mode="x"), ValueError,
     "threshold mode x is unknown"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, patience=-1), ValueError, "Invalid patience"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, min_lr=[0, 0]), ValueError, "min_lr has 2"),
])
def test_scheduler_arguments(make, error, match):
    opt = sgd()
    with pytest.raises(error, match=match):
        make(opt)
    assert opt.param_groups[0]["lr"] == 0.1  # a refused scheduler has not touched the lr


def test_valid_scheduler_arguments_still_work():
    opt = sgd()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lr_scheduler.StepLR(opt, 3, gamma=0.0)
        lr_scheduler.ExponentialLR(opt, 1.5)
        lr_scheduler.OneCycleLR(opt, [0.5], epochs=2, steps_per_epoch=3, pct_start=0,
                                anneal_strategy="linear")
        lr_scheduler.ReduceLROnPlateau(opt, mode="max", threshold_mode="abs", factor=0.0)
