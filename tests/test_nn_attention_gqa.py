"""scaled_dot_product_attention: grouped-query attention (enable_gqa), scale and is_causal,
PyTorch's signature and errors; PyTorch as the oracle, gradchecks in float64."""
import inspect

import numpy as np
import pytest

import chainrule as cr
from chainrule.autograd import gradcheck, gradgradcheck
from chainrule.errors import OpError
from chainrule.nn.attention import scaled_dot_product_attention as sdpa

rng = np.random.default_rng(0)


def t(a, grad=False):
    return cr.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def test_gqa_equals_repeated_heads():
    q, k, v = (rng.standard_normal(s) for s in ((2, 6, 4, 8), (2, 2, 5, 8), (2, 3, 5, 3)))
    out = sdpa(t(q), t(k), t(v), enable_gqa=True)
    assert out.shape == (2, 6, 4, 3)
    ref = sdpa(t(q), t(np.repeat(k, 3, axis=1)), t(np.repeat(v, 2, axis=1)))
    np.testing.assert_allclose(out.numpy(), ref.numpy())
    # heads already equal: enable_gqa changes nothing
    np.testing.assert_allclose(sdpa(t(q), t(q), t(q), enable_gqa=True).numpy(),
                               sdpa(t(q), t(q), t(q)).numpy())


def test_scale_and_causal_known_values():
    q = t(np.eye(2)[None])  # (1, 2, 2)
    v = t([[[1., 0.], [0., 1.]]])
    w = np.exp([[2., 0.], [0., 2.]])
    np.testing.assert_allclose(sdpa(q, q, v, scale=2.0).numpy()[0], w / w.sum(1, keepdims=True))
    # causal: the first query sees only the first key
    np.testing.assert_allclose(sdpa(q, q, v, is_causal=True, scale=2.0).numpy()[0, 0], [1., 0.])


def test_signature_matches_torch(torch):
    ours = inspect.signature(sdpa).parameters
    params = list(ours.values())
    names = [p.name for p in params]
    assert names[:8] == ["query", "key", "value", "attn_mask", "dropout_p", "is_causal",
                         "scale", "enable_gqa"]
    assert ours["scale"].kind is inspect.Parameter.KEYWORD_ONLY  # as PyTorch's
    assert ours["enable_gqa"].default is False and ours["is_causal"].default is False
    q = t(rng.standard_normal((1, 2, 3)))
    with pytest.raises(TypeError):
        sdpa(q, q, q, None, 0.0, False, 0.5)
    with pytest.raises(TypeError):
        torch.nn.functional.scaled_dot_product_attention(*(torch.zeros(1, 2, 3),) * 3, None,
                                                         0.0, False, 0.5)


MASKS = [None, "bool", "float"]


# attn_mask together with is_causal is an error, tested on its own below.
GQA_CASES = [(mask, kw) for mask in MASKS
             for kw in ({}, {"is_causal": True}, {"scale": 0.3}, {"is_causal": True, "scale": 1.7})
             if mask is None or not kw.get("is_causal")]


@pytest.mark.parametrize("mask,kw", GQA_CASES)
def test_gqa_vs_torch(torch, mask, kw):
    q, k, v = (rng.standard_normal(s) for s in ((2, 6, 4, 8), (2, 2, 5, 8), (2, 3, 5, 3)))
    m = None
    if mask == "bool":
        m = rng.random((4, 5)) > 0.3
        m[:, 0] = True  # every query keeps a key (no NaN rows)
    elif mask == "float":
        m = rng.standard_normal((6, 4, 5))
    F = torch.nn.functional
    tq, tk, tv = (torch.tensor(a, requires_grad=True) for a in (q, k, v))
    cq, ck, cv = (t(a, True) for a in (q, k, v))
    out_t = F.scaled_dot_product_attention(tq, tk, tv, None if m is None else torch.tensor(m),
                                           enable_gqa=True, **kw)
    out_c = sdpa(cq, ck, cv, None if m is None else cr.tensor(m), enable_gqa=True, **kw)
    np.testing.assert_allclose(out_c.detach().numpy(), out_t.detach().numpy(), atol=1e-12)
    g = rng.standard_normal(out_t.shape)
    out_t.backward(torch.tensor(g))
    out_c.backward(t(g))
    for a, b in ((cq, tq), (ck, tk), (cv, tv)):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), atol=1e-12)


def test_gqa_float32_and_unbatched(torch):
    q, k = rng.standard_normal((4, 3, 8)).astype(np.float32), \
        rng.standard_normal((2, 5, 8)).astype(np.float32)
    out = sdpa(cr.tensor(q), cr.tensor(k), cr.tensor(k), enable_gqa=True)
    assert out.dtype == np.float32
    ref = torch.nn.functional.scaled_dot_product_attention(
        torch.tensor(q), torch.tensor(k), torch.tensor(k), enable_gqa=True)
    np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-5, atol=1e-6)


def test_gqa_gradcheck():
    q = t(rng.standard_normal((1, 4, 3, 2)), True)
    k = t(rng.standard_normal((1, 2, 3, 2)), True)
    v = t(rng.standard_normal((1, 1, 3, 2)), True)
    fn = lambda q, k, v: sdpa(q, k, v, is_causal=True, scale=0.7, enable_gqa=True)  # noqa: E731
    assert gradcheck(fn, (q, k, v))
    assert gradgradcheck(fn, (q, k, v))


@pytest.mark.parametrize("shapes, kw, exc", [
    (((2, 6, 4, 8), (2, 4, 5, 8), (2, 4, 5, 3)), {"enable_gqa": True}, OpError),
    (((2, 6, 4, 8), (2, 2, 5, 8), (2, 4, 5, 3)), {"enable_gqa": True}, OpError),
    (((2, 6, 4, 8), (2, 2, 5, 8), (2, 2, 5, 3)), {}, OpError),
    (((4, 8), (5, 8), (5, 3)), {"enable_gqa": True}, IndexError),
])
def test_gqa_errors(torch, shapes, kw, exc):
    with pytest.raises(exc, match="scaled_dot_product_attention"):
        sdpa(*(cr.zeros(*s) for s in shapes), **kw)
    with pytest.raises(exc.__mro__[1] if exc is OpError else exc):  # RuntimeError / IndexError
        torch.nn.functional.scaled_dot_product_attention(*(torch.zeros(*s) for s in shapes),
                                                         **kw)


def test_causal_with_mask_is_an_error(torch):
    q = cr.zeros(1, 3, 4)
    with pytest.raises(OpError, match="is_causal"):
        sdpa(q, q, q, attn_mask=cr.zeros(3, 3), is_causal=True)
    tq = torch.zeros(1, 3, 4)
    with pytest.raises(RuntimeError):
        torch.nn.functional.scaled_dot_product_attention(tq, tq, tq, attn_mask=torch.zeros(3, 3),
                                                         is_causal=True)


def test_head_broadcast_without_gqa_still_works():
    q = t(rng.standard_normal((2, 6, 4, 8)))
    kv = t(rng.standard_normal((2, 1, 5, 8)))
    assert sdpa(q, kv, kv).shape == (2, 6, 4, 8)
