"""One check shared by tests/test_nn_linear_fused.py and tests/test_split_linear_fast_paths.py:
chainrule's ``linear`` against PyTorch's, values and gradients, in float32."""
import numpy as np

import chainrule as cr
from chainrule.nn.linear import linear

__all__ = ["check_linear_matches_torch"]


def __dir__():
    return __all__


def check_linear_matches_torch(torch, shape: tuple, bias: bool) -> None:
    """``linear`` of an input of ``shape`` by a (6, 5) weight (and a bias when ``bias``)
    matches ``torch.nn.functional.linear``: output shape, dtype and values, and the
    float32 gradients of every operand for a random output gradient."""
    rng = np.random.default_rng(1)
    x, w, b = (rng.standard_normal(s).astype(np.float32) for s in (shape, (6, 5), (6,)))
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    cx, cw, cb = (cr.tensor(a, requires_grad=True) for a in (x, w, b))
    tout = torch.nn.functional.linear(tx, tw, tb if bias else None)
    cout = linear(cx, cw, cb if bias else None)
    assert cout.shape == tuple(tout.shape) and cout.dtype == cr.float32
    np.testing.assert_allclose(cout.detach().numpy(), tout.detach().numpy(), rtol=1e-5,
                               atol=1e-5)
    gy = rng.standard_normal(tuple(tout.shape)).astype(np.float32)
    tout.backward(torch.tensor(gy))
    cout.backward(cr.tensor(gy))
    for c, t in [(cx, tx), (cw, tw)] + ([(cb, tb)] if bias else []):
        assert c.grad.dtype == cr.float32
        np.testing.assert_allclose(c.grad.numpy(), t.grad.numpy(), rtol=1e-4, atol=1e-4)
