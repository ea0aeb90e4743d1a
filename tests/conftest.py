import numpy as np
import pytest

import chainrule as cr


def make(shape, low=-2.0, high=2.0, seed=0, noncontiguous=False, requires_grad=True):
    """A float64 tensor with values in [low, high); optionally a non-contiguous
    (transposed) view, to check that rules do not assume C order."""
    rng = np.random.default_rng(seed)
    if noncontiguous and len(shape) >= 2 and 1 not in shape:
        data = rng.uniform(low, high, size=shape[::-1]).T
        assert not data.flags.c_contiguous
    elif noncontiguous and shape:
        data = rng.uniform(low, high, size=shape[:-1] + (shape[-1] * 2,))[..., ::2]
        assert not data.flags.c_contiguous
    else:
        data = rng.uniform(low, high, size=shape)
    t = cr.from_numpy(np.asarray(data, dtype=np.float64))
    return t.requires_grad_(requires_grad)


def same_bits(a, b) -> bool:
    """Whether ``a`` and ``b`` (tensors, arrays, numbers, or lists and tuples of them) hold
    the same shapes, dtypes and bytes: NaN payloads and signed zeros included."""
    if isinstance(a, (tuple, list)):
        return isinstance(b, (tuple, list)) and len(a) == len(b) and all(map(same_bits, a, b))
    a, b = (np.ascontiguousarray(np.atleast_1d(
        v.detach().numpy() if isinstance(v, cr.Tensor) else np.asarray(v))) for v in (a, b))
    return a.shape == b.shape and a.dtype == b.dtype and \
        np.array_equal(a.view(np.uint8), b.view(np.uint8))


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


# Scripts that tests launch under mpirun: importing them (for doctests) would start MPI.
collect_ignore = ["distributed_scripts"]
