"""nn.Transformer and its layers, and MultiheadAttention's masks: torch's state dicts load
and give torch's outputs and gradients (eval mode), known values, gradchecks, errors."""
import warnings

import numpy as np
import pytest

import chainrule as cr
from chainrule.autograd import gradcheck
from chainrule.errors import OpError, OpTypeError
from chainrule.nn.recurrent import MultiheadAttention
from chainrule.nn.transformer import (Transformer, TransformerDecoder, TransformerDecoderLayer,
                                      TransformerEncoder, TransformerEncoderLayer)

# torch notes that mixing bool and float masks is deprecated; chainrule takes either
pytestmark = pytest.mark.filterwarnings("ignore:Support for mismatched")


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def _np(t):
    return t.detach().numpy()


def _load(ours, theirs):
    sd = {k: v.detach().numpy() for k, v in theirs.state_dict().items()}
    assert set(sd) == set(ours.state_dict())
    ours.load_state_dict(sd)
    return ours


def _pair(torch, make_t, make_o):
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's nested-tensor fast-path notes
        theirs = make_t(torch.nn).eval()
    return _load(make_o().eval(), theirs), theirs


def _check_grads(ours, theirs, lo, lt, inputs, atol=1e-5):
    # rtol too: a float32 gradient of size ~40 summed in another order (another BLAS
    # kernel: OpenBLAS picks one per CPU) moves by a few ulp, more than atol alone allows.
    lo.backward()
    lt.backward()
    for a, b in inputs:
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=2e-6, atol=atol)
    for (n, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=2e-6, atol=atol,
                                   err_msg=n)


def _pad_mask(n, s):
    m = np.zeros((n, s), bool)
    m[-1, s // 2:] = True
    return m


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_encoder_layer_matches_torch(torch, batch_first, norm_first, activation):
    kw = dict(dim_feedforward=32, dropout=0.1, activation=activation, batch_first=batch_first,
              norm_first=norm_first)
    ours, theirs = _pair(torch, lambda tnn: tnn.TransformerEncoderLayer(16, 4, **kw),
                         lambda: TransformerEncoderLayer(16, 4, **kw))
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 6, 16) if batch_first else (6, 3, 16)).astype(np.float32)
    causal = Transformer.generate_square_subsequent_mask(6)
    kpm = _pad_mask(3, 6)
    xo, xt = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yo = ours(xo, src_mask=causal, src_key_padding_mask=kpm)
    yt = theirs(xt, src_mask=torch.nn.Transformer.generate_square_subsequent_mask(6),
                src_key_padding_mask=torch.tensor(kpm))
    assert yo.dtype == cr.float32 and yo.shape == x.shape
    np.testing.assert_allclose(_np(yo), _np(yt), atol=1e-5)
    w = rng.standard_normal(x.shape).astype(np.float32)
    _check_grads(ours, theirs, (yo * cr.tensor(w)).sum(), (yt * torch.tensor(w)).sum(),
                 [(xo, xt)])


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("norm_first", [False, True])
def test_decoder_layer_matches_torch(torch, batch_first, norm_first):
    kw = dict(dim_feedforward=24, batch_first=batch_first, norm_first=norm_first)
    ours, theirs = _pair(torch, lambda tnn: tnn.TransformerDecoderLayer(8, 2, **kw),
                         lambda: TransformerDecoderLayer(8, 2, **kw))
    rng = np.random.default_rng(1)
    shp = (lambda length: (2, length, 8)) if batch_first else (lambda length: (length, 2, 8))
    tgt, mem = (rng.standard_normal(shp(n)).astype(np.float32) for n in (4, 5))
    to, tt = cr.tensor(tgt, requires_grad=True), torch.tensor(tgt, requires_grad=True)
    mo, mt = cr.tensor(mem, requires_grad=True), torch.tensor(mem, requires_grad=True)
    tmask = np.triu(np.ones((4, 4), bool), 1)  # bool causal mask
    mkpm = _pad_mask(2, 5)
    tkpm = np.zeros((2, 4), np.float32)
    tkpm[0, 3] = -1.5  # a float key padding mask is added to the scores
    yo = ours(to, mo, tgt_mask=tmask, tgt_key_padding_mask=tkpm, memory_key_padding_mask=mkpm)
    yt = theirs(tt, mt, tgt_mask=torch.tensor(tmask), tgt_key_padding_mask=torch.tensor(tkpm),
                memory_key_padding_mask=torch.tensor(mkpm))
    np.testing.assert_allclose(_np(yo), _np(yt), atol=1e-5)
    _check_grads(ours, theirs, (yo ** 2).sum(), (yt ** 2).sum(), [(to, tt), (mo, mt)])


def test_transformer_matches_torch(torch):
    kw = dict(d_model=16, nhead=4, num_encoder_layers=2, num_decoder_layers=2,
              dim_feedforward=32)
    ours, theirs = _pair(torch, lambda tnn: tnn.Transformer(**kw), lambda: Transformer(**kw))
    names = list(ours.state_dict())
    assert "encoder.layers.1.self_attn.in_proj_weight" in names
    assert "decoder.layers.0.multihead_attn.out_proj.bias" in names
    assert "decoder.norm.weight" in names
    rng = np.random.default_rng(2)
    src, tgt = (rng.standard_normal((n, 3, 16)).astype(np.float32) for n in (7, 5))
    so, st = cr.tensor(src, requires_grad=True), torch.tensor(src, requires_grad=True)
    to, tt = cr.tensor(tgt, requires_grad=True), torch.tensor(tgt, requires_grad=True)
    kpm = _pad_mask(3, 7)
    yo = ours(so, to, tgt_mask=Transformer.generate_square_subsequent_mask(5),
              src_key_padding_mask=kpm, memory_key_padding_mask=kpm)
    yt = theirs(st, tt, tgt_mask=torch.nn.Transformer.generate_square_subsequent_mask(5),
                src_key_padding_mask=torch.tensor(kpm), memory_key_padding_mask=torch.tensor(kpm))
    np.testing.assert_allclose(_np(yo), _np(yt), atol=1e-5)
    _check_grads(ours, theirs, (yo ** 2).sum(), (yt ** 2).sum(), [(so, st), (to, tt)])


def test_encoder_is_causal_and_deep_copies(torch):
    layer = TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0)
    enc = TransformerEncoder(layer, 3, norm=cr.nn.LayerNorm(8), enable_nested_tensor=False)
    assert len(enc.layers) == 3 and enc.layers[0] is not layer
    assert enc.layers[0].linear1.weight is not enc.layers[1].linear1.weight
    np.testing.assert_array_equal(_np(enc.layers[2].linear1.weight), _np(layer.linear1.weight))
    x = cr.randn(5, 2, 8)
    mask = Transformer.generate_square_subsequent_mask(5)
    a = enc(x, mask=mask)
    np.testing.assert_allclose(_np(enc(x, is_causal=True)), _np(a), atol=1e-6)
    np.testing.assert_allclose(_np(enc(x, mask=mask, is_causal=True)), _np(a), atol=1e-6)
    # causal: the first position sees only itself, so later inputs do not change it
    x2 = x.detach().numpy().copy()
    x2[3:] += 1.0
    np.testing.assert_allclose(_np(enc(cr.tensor(x2), mask=mask))[:3], _np(a)[:3], atol=1e-6)
    assert not np.allclose(_np(enc(cr.tensor(x2)))[:3], _np(enc(x))[:3])
    theirs = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(8, 2, 16, 0.0), 3,
                                         norm=torch.nn.LayerNorm(8), enable_nested_tensor=False)
    _load(enc, theirs)
    np.testing.assert_allclose(
        _np(enc(x, mask=mask)),
        _np(theirs(torch.tensor(x.numpy()),
                   mask=torch.nn.Transformer.generate_square_subsequent_mask(5))), atol=1e-5)


def test_decoder_stack_and_callable_activation(torch):
    ours, theirs = _pair(
        torch, lambda tnn: tnn.TransformerDecoder(
            tnn.TransformerDecoderLayer(8, 2, 16, activation=torch.nn.functional.silu), 2),
        lambda: TransformerDecoder(TransformerDecoderLayer(8, 2, 16, activation=cr.nn.SiLU()),
                                   2))
    rng = np.random.default_rng(3)
    tgt, mem = (rng.standard_normal((n, 2, 8)).astype(np.float32) for n in (3, 4))
    mmask = rng.standard_normal((3, 4)).astype(np.float32)  # float memory mask
    yo = ours(cr.tensor(tgt), cr.tensor(mem), memory_mask=mmask, tgt_is_causal=True)
    yt = theirs(torch.tensor(tgt), torch.tensor(mem), memory_mask=torch.tensor(mmask),
                tgt_mask=torch.nn.Transformer.generate_square_subsequent_mask(3),
                tgt_is_causal=True)
    np.testing.assert_allclose(_np(yo), _np(yt), atol=1e-5)


def test_generate_square_subsequent_mask(torch):
    m = Transformer.generate_square_subsequent_mask(3)
    assert m.dtype == cr.float32
    np.testing.assert_array_equal(m.numpy(), [[0, -np.inf, -np.inf], [0, 0, -np.inf],
                                              [0, 0, 0]])
    assert Transformer.generate_square_subsequent_mask(2, dtype="float64").dtype == cr.float64
    np.testing.assert_array_equal(
        m.numpy(), torch.nn.Transformer.generate_square_subsequent_mask(3).numpy())


def test_training_mode_dropout():
    cr.manual_seed(0)
    layer = TransformerEncoderLayer(8, 2, 16, dropout=0.5)
    x = cr.randn(4, 2, 8)
    assert not np.allclose(_np(layer(x)), _np(layer(x)))
    layer.eval()
    np.testing.assert_array_equal(_np(layer(x)), _np(layer(x)))


def test_layer_gradcheck_float64():
    cr.manual_seed(0)
    layer = TransformerEncoderLayer(4, 2, 6, dropout=0.0, dtype="float64",
                                    activation="gelu").eval()
    x = cr.tensor(np.random.default_rng(0).standard_normal((3, 2, 4)), requires_grad=True)
    kpm = np.array([[False, False, True], [False, False, False]])
    assert gradcheck(lambda x: layer(x, src_key_padding_mask=kpm, is_causal=True), [x])
    assert gradcheck(lambda x: layer(x.transpose(0, 1).transpose(0, 1)), [x])


# ----- MultiheadAttention --------------------------------------------------------------------
@pytest.mark.parametrize("batch_first", [False, True])
def test_mha_masks_match_torch(torch, batch_first):
    kw = dict(batch_first=batch_first)
    ours, theirs = _pair(torch, lambda tnn: tnn.MultiheadAttention(8, 2, **kw),
                         lambda: MultiheadAttention(8, 2, **kw))
    rng = np.random.default_rng(0)
    shp = (lambda n: (3, n, 8)) if batch_first else (lambda n: (n, 3, 8))
    q, k = rng.standard_normal(shp(4)).astype(np.float32), rng.standard_normal(shp(5)).astype(
        np.float32)
    bool_mask = rng.random((4, 5)) < 0.3
    bool_mask[:, 0] = False
    float3d = rng.standard_normal((6, 4, 5)).astype(np.float32)
    kpm = _pad_mask(3, 5)
    cases = [dict(attn_mask=bool_mask), dict(attn_mask=float3d, key_padding_mask=kpm),
             dict(attn_mask=bool_mask, key_padding_mask=kpm, average_attn_weights=False),
             dict(need_weights=False)]
    for case in cases:
        tcase = {n: (torch.tensor(v) if isinstance(v, np.ndarray) else v)
                 for n, v in case.items()}
        yo, wo = ours(cr.tensor(q), cr.tensor(k), cr.tensor(k), **case)
        yt, wt = theirs(torch.tensor(q), torch.tensor(k), torch.tensor(k), **tcase)
        np.testing.assert_allclose(_np(yo), _np(yt), atol=1e-5)
        if wt is None:
            assert wo is None
        else:
            np.testing.assert_allclose(_np(wo), _np(wt), atol=1e-6)


def test_mha_unbatched_kdim_bias_kv_zero_attn(torch):
    kw = dict(kdim=3, vdim=5, add_bias_kv=True, add_zero_attn=True)
    ours, theirs = _pair(torch, lambda tnn: tnn.MultiheadAttention(4, 2, **kw),
                         lambda: MultiheadAttention(4, 2, **kw))
    assert "q_proj_weight" in ours.state_dict() and "in_proj_weight" not in ours.state_dict()
    rng = np.random.default_rng(0)
    q = rng.standard_normal((2, 4)).astype(np.float32)
    k = rng.standard_normal((3, 3)).astype(np.float32)
    v = rng.standard_normal((3, 5)).astype(np.float32)
    kpm = np.array([False, True, False])
    mask = np.array([[0.0, -1.0, 0.5], [0.0, 0.0, -np.inf]], np.float32)
    qo, qt = cr.tensor(q, requires_grad=True), torch.tensor(q, requires_grad=True)
    yo, wo = ours(qo, cr.tensor(k), cr.tensor(v), key_padding_mask=kpm, attn_mask=mask)
    yt, wt = theirs(qt, torch.tensor(k), torch.tensor(v), key_padding_mask=torch.tensor(kpm),
                    attn_mask=torch.tensor(mask))
    assert yo.shape == (2, 4) and wo.shape == (2, 5)
    np.testing.assert_allclose(_np(yo), _np(yt), atol=1e-5)
    np.testing.assert_allclose(_np(wo), _np(wt), atol=1e-6)
    _check_grads(ours, theirs, yo.sum(), yt.sum(), [(qo, qt)])


def test_mha_known_value_uniform_attention():
    # zero query projection: every key gets the same score, so the output is the mean value
    mha = MultiheadAttention(2, 1, bias=False, dtype="float64")
    w = np.zeros((6, 2))
    w[4:] = np.eye(2)  # v = value, q = k = 0
    mha.load_state_dict({"in_proj_weight": w, "out_proj.weight": np.eye(2)})
    v = cr.tensor(np.array([[[1.0, 2.0]], [[3.0, 6.0]]]), dtype="float64")
    out, weights = mha(v[:1], v, v)
    np.testing.assert_allclose(_np(out), [[[2.0, 4.0]]])
    np.testing.assert_allclose(_np(weights), [[[0.5, 0.5]]])
    out, _ = mha(v[:1], v, v, key_padding_mask=np.array([[False, True]]))
    np.testing.assert_allclose(_np(out), [[[1.0, 2.0]]])


ERRORS = [
    (lambda: TransformerEncoderLayer(10, 3), OpError, r"embed_dim must be divisible by num_heads"),
    (lambda: TransformerEncoderLayer(8, 2, activation="tanh"), OpError,
     r"activation should be relu/gelu, not 'tanh'"),
    (lambda: TransformerDecoderLayer(8, 2, dropout=1.5), OpError, r"dropout probability"),
    (lambda: Transformer(8, 2, 1, 1, 16)(cr.zeros(3, 2, 8), cr.zeros(3, 4, 8)), OpError,
     r"the batch number of src and tgt must be equal"),
    (lambda: Transformer(8, 2, 1, 1, 16)(cr.zeros(3, 2, 8), cr.zeros(3, 2, 6)), OpError,
     r"feature number of src and tgt must be equal to d_model = 8"),
    (lambda: MultiheadAttention(8, 2)(cr.zeros(3, 2, 8), cr.zeros(4, 2, 8), cr.zeros(4, 2, 8),
                                      attn_mask=np.zeros((3, 3), bool)), OpError,
     r"the shape of the 2D attn_mask is \(3, 3\), but should be \(3, 4\)"),
    (lambda: MultiheadAttention(8, 2)(cr.zeros(3, 2, 8), cr.zeros(4, 2, 8), cr.zeros(4, 2, 8),
                                      key_padding_mask=np.zeros((2, 3), bool)), OpError,
     r"expecting key_padding_mask shape of \(2, 4\)"),
    (lambda: MultiheadAttention(8, 2)(cr.zeros(3, 2, 8), cr.zeros(3, 2, 8), cr.zeros(3, 2, 8),
                                      attn_mask=np.zeros((3, 3), np.int64)), OpTypeError,
     r"only bool and floating types of attn_mask"),
    (lambda: MultiheadAttention(8, 2)(cr.zeros(3, 2, 6), cr.zeros(3, 2, 6), cr.zeros(3, 2, 6)),
     OpError, r"was expecting embedding dimension of 8"),
    (lambda: TransformerEncoder(TransformerEncoderLayer(8, 2), -1), OpError,
     r"num_layers must be a non-negative integer"),
]


@pytest.mark.parametrize("call,error,pattern", ERRORS)
def test_errors(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call()


def test_torch_raises_too(torch):
    # the same configurations are refused by PyTorch
    with pytest.raises(AssertionError, match="divisible"):
        torch.nn.TransformerEncoderLayer(10, 3)
    with pytest.raises(RuntimeError, match="relu/gelu"):
        torch.nn.TransformerEncoderLayer(8, 2, activation="tanh")
