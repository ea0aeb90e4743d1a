"""detect_anomaly, checkpoint and graph introspection."""
import tracemalloc

import numpy as np
import pytest

import chainrule as cr
from chainrule.autograd import detect_anomaly


def test_anomaly_names_the_primitive_and_the_forward_line():
    x = cr.tensor([0.0, 1.0], requires_grad=True)
    with detect_anomaly():
        y = (x.sqrt() * 0.0).sum()  # the line the error must point at
        with pytest.raises(RuntimeError) as info, np.errstate(all="ignore"):
            y.backward()
    message = str(info.value)
    assert message.startswith("SqrtBackward produced nan")
    assert "test_debugging.py" in message and "x.sqrt() * 0.0" in message


def test_anomaly_off_lets_nan_through():
    x = cr.tensor([0.0], requires_grad=True)
    with np.errstate(all="ignore"):
        (x.sqrt() * 0.0).sum().backward()
    assert np.isnan(x.grad.numpy()).all()
    assert not cr.autograd.is_anomaly_enabled()


def _mlp_params(depth, width, seed=0):
    rng = np.random.default_rng(seed)
    return [cr.tensor(rng.standard_normal((width, width)) / np.sqrt(width), requires_grad=True)
            for _ in range(depth)]


def _block(h, weights):
    for w in weights:
        h = (h @ w).tanh()
    return h


def _peak_bytes(step):
    tracemalloc.start()
    step()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def test_checkpoint_gives_the_same_gradients_with_less_peak_memory():
    # Activations dominate (as in training with big batches): 16 layers of 1024 x 64.
    depth, width, batch = 16, 64, 1024
    params = _mlp_params(depth, width)
    x = cr.tensor(np.random.default_rng(1).standard_normal((batch, width)), requires_grad=True)

    def plain():
        _block(x, params).sum().backward()

    def checkpointed():
        h = x
        for i in range(0, depth, 4):
            h = cr.utils.checkpoint(_block, h, params[i:i + 4])
        h.sum().backward()

    peak_plain = _peak_bytes(plain)
    grads_plain = [p.grad.numpy().copy() for p in params] + [x.grad.numpy().copy()]
    for t in params + [x]:
        t.grad = None
    peak_ckpt = _peak_bytes(checkpointed)
    grads_ckpt = [p.grad.numpy() for p in params] + [x.grad.numpy()]
    for a, b in zip(grads_plain, grads_ckpt):
        assert np.allclose(a, b, rtol=1e-12)
    assert peak_ckpt < 0.7 * peak_plain, (peak_plain, peak_ckpt)


def test_checkpoint_without_inputs_requiring_grad_still_gives_parameter_gradients():
    w = cr.tensor([[2.0]], requires_grad=True)
    with pytest.warns(UserWarning, match="no input requires grad"):
        out = cr.utils.checkpoint(lambda t: t @ w, cr.tensor([[3.0]]))
    out.sum().backward()
    assert w.grad.item() == 3.0


def test_graph_introspection_saved_shapes():
    x = cr.tensor(np.ones((2, 3)), requires_grad=True)
    w = cr.tensor(np.ones((3, 4)), requires_grad=True)
    y = x @ w
    assert y.grad_fn.name == "MatmulBackward"
    assert y.grad_fn.saved_shapes == ((2, 3), (3, 4))
    assert [fn.variable for fn, _ in y.grad_fn.next_functions] == [x, w]
    z = (x + 1).sum()
    assert z.grad_fn.next_functions[0][0].saved_shapes == ()  # add keeps nothing
