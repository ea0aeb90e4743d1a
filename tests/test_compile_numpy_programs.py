"""chainrule.compile over the NumPy programs of test_numpy_programs.py (ODEs, Gaussian
processes, Kalman filters, mixtures, control rollouts, PCA): their gradients, values with
gradients, JVPs, Hessian-vector products and Hessians, compiled, replay bitwise eager's on
new inputs, with no fallback to eager."""
import warnings

import pytest

import chainrule as cr
from conftest import same_bits
from test_numpy_programs import CASES, _setup

TRANSFORMS = {
    "grad": lambda case, v: lambda p, *d: cr.func.grad(case.loss)(p, *d),
    "value_and_grad": lambda case, v: lambda p, *d: cr.func.value_and_grad(case.loss)(p, *d),
    "jvp": lambda case, v: lambda p, *d: cr.func.jvp(
        lambda q: (case.vector or case.loss)(q, *d), (p,), (v,)),
    "hvp": lambda case, v: lambda p, *d: cr.func.jvp(
        cr.func.grad(lambda q: case.loss(q, *d)), (p,), (v,)),
    "hessian": lambda case, v: lambda p, *d: cr.func.hessian(lambda q: case.loss(q, *d))(p),
}


@pytest.mark.parametrize("transform", list(TRANSFORMS))
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_compiled_transform_replays_bitwise(case, transform):
    x, data, v = _setup(case)
    fn = TRANSFORMS[transform](case, v)
    compiled = cr.compile(fn)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", "compile")  # a fallback would test nothing
        for p in (x, x * 0.98, x):
            assert same_bits(compiled(p, *data), fn(p, *data))
    assert sum(len(v) for v in compiled._programs.values()) == 1
