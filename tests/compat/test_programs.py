"""PyTorch programs (``programs/``) run under chainrule with only their imports changed,
and train as they do under PyTorch: the final loss within 1.5x of PyTorch's on the same
data (for the RL programs, the final return at least PyTorch's / 1.5).

The chainrule runs need no PyTorch; the comparisons skip without it.
"""
from __future__ import annotations

import functools
import math

import pytest

from . import runner

LAST = 0.2  # "final": the mean of the last fifth of a curve (one value for short curves)


def _digits(size=12, n_train=1024, n_test=500, classes=10):
    return (runner.digits(n_train, size, classes, seed=0),
            runner.digits(n_test, size, classes, seed=1))


def _corpora():
    return runner.corpus(12000, seed=0), runner.corpus(2000, seed=1)


# name: (arguments of main, 'min' for a loss or 'max' for a return, what must be installed)
PROGRAMS = {
    "polynomial_regression": (lambda: (), "min", ()),
    "vae": (lambda: (), "min", ()),
    "mnist_cnn": (_digits, "min", ()),
    "mnist_rnn": (_digits, "min", ()),
    "word_language_model_lstm": (lambda: _corpora(), "min", ()),
    "word_language_model_transformer": (lambda: _corpora(), "min", ()),
    "dcgan": (lambda: (runner.digits(512, 16, 10, seed=0)[0],), "min", ()),
    "time_sequence_prediction": (lambda: (), "min", ()),
    "siamese_resnet": (lambda: runner.digits(384, 16, 4, seed=0), "min", ()),
    "reinforce": (lambda: (), "max", ("gymnasium",)),
    "actor_critic": (lambda: (), "max", ("gymnasium",)),
}


def _final(curve) -> float:
    k = max(1, int(len(curve) * LAST))
    return sum(curve[-k:]) / k


@functools.lru_cache(maxsize=None)
def _run(name: str, framework: str) -> tuple:
    args, _, needs = PROGRAMS[name]
    for module in needs:
        pytest.importorskip(module)
    if framework == "torch":
        torch = pytest.importorskip("torch")
        threads = torch.get_num_threads()
        torch.set_num_threads(1)  # as chainrule's NumPy on CI: a fair, quiet comparison
        try:
            return tuple(runner.load(name, framework).main(*args()))
        finally:
            torch.set_num_threads(threads)
    return tuple(runner.load(name, framework).main(*args()))


def test_every_program_is_listed():
    assert sorted(PROGRAMS) == runner.NAMES


@pytest.mark.parametrize("name", runner.NAMES)
def test_only_the_import_lines_change(name):
    source = (runner.PROGRAMS / f"{name}.py").read_text()
    assert "chainrule" not in source
    changed = [(a, b) for a, b in zip(source.splitlines(),
                                      runner.rewrite_imports(source).splitlines()) if a != b]
    assert changed and all(a.lstrip().startswith(("import torch", "from torch"))
                           for a, _ in changed)


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_program_trains_under_chainrule(name):
    curve = _run(name, "chainrule")
    goal = PROGRAMS[name][1]
    assert all(math.isfinite(v) for v in curve)
    first, final = curve[0], _final(curve)
    assert (final < first) if goal == "min" else (final > first), curve


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_program_trains_as_under_pytorch(name):
    theirs = _final(_run(name, "torch"))
    ours = _final(_run(name, "chainrule"))
    if PROGRAMS[name][1] == "min":
        assert ours <= 1.5 * theirs, (ours, theirs)
    else:
        assert ours >= theirs / 1.5, (ours, theirs)
