"""nn's argument checks against PyTorch, on generated good and bad arguments: where PyTorch
raises, chainrule raises a chainrule.errors class of the same builtin family whose message
names the op; where PyTorch returns, chainrule returns the same values, shape and dtype,
and the same input gradients (float64)."""
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import chainrule as cr
from chainrule import errors, nn
from chainrule.nn import functional as F

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.oracle
tF = torch.nn.functional

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])
FAMILIES = (IndexError, TypeError, ValueError, RuntimeError)
OURS = (errors.OpError, errors.IndexOutOfRangeError, errors.OpTypeError)


def _family(exc):
    return next((f for f in FAMILIES if isinstance(exc, f)), None)


def agree(ours, theirs, arrays, names, consts=(), grads=True):
    """Call ``theirs`` on torch tensors and ``ours`` on chainrule tensors of ``arrays``
    (float64, differentiated) and ``consts`` (not differentiated). ``names``: the op
    names an error message may use."""
    names = (names,) if isinstance(names, str) else names
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    tc = [torch.tensor(c) for c in consts]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            expected = theirs(*ts, *tc)
        except Exception as exc:  # noqa: BLE001 -- any refusal is compared below
            family = _family(exc)
            assert family is not None, f"PyTorch raised {exc!r}: outside the families"
            with pytest.raises(family) as info:
                ours(*[cr.tensor(a) for a in arrays], *[cr.tensor(c) for c in consts])
            assert isinstance(info.value, OURS), f"not a chainrule.errors class: {info.value!r}"
            message = str(info.value)
            assert any(n in message for n in names), f"{names} not in {message!r} ({exc})"
            return None
        xs = [cr.tensor(a, requires_grad=True) for a in arrays]
        got = ours(*xs, *[cr.tensor(c) for c in consts])
    assert got.shape == tuple(expected.shape), (got.shape, expected.shape)
    assert str(got.dtype) == str(expected.dtype).replace("torch.", "")
    np.testing.assert_allclose(got.detach().numpy(), expected.detach().numpy(), rtol=1e-9,
                               atol=1e-10, equal_nan=True)
    if not (grads and expected.requires_grad and expected.numel()):
        return got
    cot = np.random.default_rng(0).standard_normal(tuple(expected.shape))
    try:
        expected.backward(torch.tensor(cot))
    except RuntimeError:  # PyTorch refuses some backward passes (an empty adaptive output)
        return got
    got.backward(cr.tensor(cot))
    for x, t in zip(xs, ts):
        want = np.zeros(t.shape) if t.grad is None else t.grad.numpy()
        have = np.zeros(x.shape) if x.grad is None else x.grad.numpy()
        np.testing.assert_allclose(have, want, rtol=1e-9, atol=1e-10)
    return got


def _rng(data):
    return np.random.default_rng(data.draw(st.integers(0, 2 ** 16), label="seed"))


small = st.integers


# ----- convolution -------------------------------------------------------------------------
@SETTINGS
@given(st.data())
def test_conv(data):
    nd = data.draw(st.sampled_from([1, 2, 3]), label="nd")
    rng = _rng(data)
    groups = data.draw(st.sampled_from([1, 1, 2, 0, -1]), label="groups")
    g = max(groups, 1)
    c_in = g * data.draw(small(1, 2), label="c_in/g") + data.draw(st.sampled_from([0, 0, 0, 1]))
    c_out = g * data.draw(small(1, 2), label="c_out/g") + data.draw(st.sampled_from([0, 0, 0, 1]))
    kernel = tuple(data.draw(small(1, 3), label="k") for _ in range(nd))
    spatial = tuple(data.draw(small(1, 5), label="size") for _ in range(nd))
    batch = data.draw(st.sampled_from([None, 0, 1, 2]), label="batch")  # None: unbatched
    in_shape = ((c_in,) if batch is None else (batch, c_in)) + spatial
    w_rank = nd + 2 + data.draw(st.sampled_from([0, 0, 0, 0, 1, -1]), label="weight rank")
    w_shape = ((c_out, max(c_in // g, 1)) + kernel + (2,) * nd)[:w_rank]
    stride = data.draw(st.sampled_from([1, 1, 2, 3, 0, -1]), label="stride")
    padding = data.draw(st.sampled_from([0, 1, 2, "same", "valid", -1, "full"]), label="pad")
    # PyTorch skips only its dilation check on an empty batch; chainrule always checks.
    dilation = data.draw(st.sampled_from([1, 1, 2] + ([0] if batch != 0 else [])),
                         label="dilation")
    with_bias = data.draw(st.sampled_from([None, c_out, c_out + 1]), label="bias")
    arrays = [rng.standard_normal(in_shape), rng.standard_normal(w_shape)]
    if with_bias is not None:
        arrays.append(rng.standard_normal(with_bias))
    ours, theirs = getattr(F, f"conv{nd}d"), getattr(tF, f"conv{nd}d")
    agree(lambda *a: ours(*a, stride=stride, padding=padding, dilation=dilation, groups=groups),
          lambda *a: theirs(*a, stride=stride, padding=padding, dilation=dilation,
                            groups=groups),
          arrays, f"conv{nd}d")


@SETTINGS
@given(st.data())
def test_conv_module_padding_modes(data):
    nd = data.draw(st.sampled_from([1, 2, 3]), label="nd")
    rng = _rng(data)
    mode = data.draw(st.sampled_from(["zeros", "reflect", "replicate", "circular"]))
    kernel = data.draw(small(1, 4), label="k")
    padding = data.draw(st.sampled_from([0, 1, 2, 4, "same", "valid"]), label="padding")
    size = data.draw(small(2, 5), label="size")
    batched = data.draw(st.booleans(), label="batched")
    torch.manual_seed(0)
    try:
        theirs = getattr(torch.nn, f"Conv{nd}d")(2, 3, kernel, padding=padding,
                                                 padding_mode=mode).double()
    except ValueError:
        with pytest.raises(ValueError):
            getattr(nn, f"Conv{nd}d")(2, 3, kernel, padding=padding, padding_mode=mode)
        return
    ours = getattr(nn, f"Conv{nd}d")(2, 3, kernel, padding=padding, padding_mode=mode)
    ours.to(cr.float64)
    ours.load_state_dict({k: cr.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    x = rng.standard_normal(((2,) if batched else ()) + (2,) + (size,) * nd)
    agree(ours, theirs, [x], ("pad", f"conv{nd}d"))


# ----- pooling -----------------------------------------------------------------------------
@SETTINGS
@given(st.data())
def test_pools(data):
    nd = data.draw(st.sampled_from([1, 2, 3]), label="nd")
    kind = data.draw(st.sampled_from(["max", "avg"]), label="kind")
    rng = _rng(data)
    spatial = tuple(data.draw(small(1, 6), label="size") for _ in range(nd))
    channels = data.draw(st.sampled_from([1, 2, 2, 0]), label="channels")
    batch = data.draw(st.sampled_from([None, 0, 1, 2]), label="batch")
    rank_change = data.draw(st.sampled_from([0, 0, 0, 0, -1, 1]), label="rank change")
    shape = ((channels,) if batch is None else (batch, channels)) + spatial
    shape = shape[:len(shape) + rank_change] if rank_change < 0 else (1,) * rank_change + shape
    kernel = data.draw(st.one_of(small(-1, 4), st.tuples(*[small(0, 4)] * nd)), label="k")
    stride = data.draw(st.sampled_from([None, 1, 2, 3, 0, -1]), label="stride")
    padding = data.draw(st.sampled_from([0, 0, 1, 2, -1]), label="padding")
    ceil_mode = data.draw(st.booleans(), label="ceil_mode")
    x = rng.standard_normal(shape)
    op = f"{kind}_pool{nd}d"
    if kind == "max":
        dilation = data.draw(st.sampled_from([1, 1, 2, 0]), label="dilation")
        kw = dict(stride=stride, padding=padding, dilation=dilation, ceil_mode=ceil_mode)
    else:
        kw = dict(stride=stride, padding=padding, ceil_mode=ceil_mode,
                  count_include_pad=data.draw(st.booleans(), label="count_include_pad"))
        if nd > 1:
            kw["divisor_override"] = data.draw(st.sampled_from([None, None, 3, 0]))
    agree(lambda a: getattr(F, op)(a, kernel, **kw), lambda a: getattr(tF, op)(a, kernel, **kw),
          [x], op)


@SETTINGS
@given(st.data())
def test_adaptive_pools(data):
    nd = data.draw(st.sampled_from([1, 2, 3]), label="nd")
    kind = data.draw(st.sampled_from(["max", "avg"]), label="kind")
    rng = _rng(data)
    spatial = tuple(data.draw(small(1, 6), label="size") for _ in range(nd))
    channels = data.draw(st.sampled_from([1, 2, 2, 0]), label="channels")
    batch = data.draw(st.sampled_from([None, 0, 1, 2]), label="batch")
    shape = ((channels,) if batch is None else (batch, channels)) + spatial
    if data.draw(st.booleans(), label="drop a dim"):
        shape = shape[1:]
    size = st.one_of(small(0, 7), st.none()) if nd > 1 else small(0, 7)
    output = data.draw(st.one_of(small(-1, 7), st.tuples(*[size] * nd),
                                 st.tuples(*[small(1, 3)] * (nd + 1))), label="output_size")
    op = f"adaptive_{kind}_pool{nd}d"
    agree(lambda a: getattr(F, op)(a, output), lambda a: getattr(tF, op)(a, output),
          [rng.standard_normal(shape)], op)


# ----- losses ------------------------------------------------------------------------------
POINTWISE = ["mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss", "kl_div",
             "binary_cross_entropy", "binary_cross_entropy_with_logits"]


@SETTINGS
@given(st.data())
def test_pointwise_losses(data):
    name = data.draw(st.sampled_from(POINTWISE), label="loss")
    rng = _rng(data)
    shape = tuple(data.draw(st.lists(small(1, 4), min_size=1, max_size=3), label="shape"))
    how = data.draw(st.sampled_from(["same", "same", "drop", "one", "other"]), label="target")
    if how == "same":
        t_shape = shape
    elif how == "drop":  # broadcastable: fewer leading dims
        t_shape = shape[1:]
    elif how == "one":  # broadcastable: a size-1 dim
        t_shape = (1,) + shape[1:]
    else:
        t_shape = tuple(n + 1 for n in shape)
    reduction = data.draw(st.sampled_from(["mean", "sum", "none", "batchmean", "avg"]))
    kw = {"reduction": reduction}
    if name == "huber_loss":
        kw["delta"] = data.draw(st.sampled_from([1.0, 0.5, 0.0, -1.0]), label="delta")
    if name == "smooth_l1_loss":
        kw["beta"] = data.draw(st.sampled_from([1.0, 0.5, 0.0, -1.0]), label="beta")
    if name == "binary_cross_entropy":
        low, high = data.draw(st.sampled_from([(0.05, 0.95), (0.05, 0.95), (-0.5, 0.5),
                                               (0.5, 1.5)]), label="range")
        x = rng.uniform(low, high, shape)
        target = rng.uniform(0, 1, t_shape)
    elif name == "kl_div":
        x = rng.standard_normal(shape)
        target = rng.uniform(0.1, 1.0, t_shape)
    else:
        x, target = rng.standard_normal(shape), rng.standard_normal(t_shape)
    agree(lambda a, b: getattr(F, name)(a, b, **kw), lambda a, b: getattr(tF, name)(a, b, **kw),
          [x, target], name)


@SETTINGS
@given(st.data())
def test_class_losses(data):
    name = data.draw(st.sampled_from(["cross_entropy", "nll_loss"]), label="loss")
    rng = _rng(data)
    c = data.draw(small(1, 4), label="classes")
    layout = data.draw(st.sampled_from(["one", "batch", "batch", "spatial"]), label="layout")
    n = data.draw(small(0, 3), label="batch")
    shape = {"one": (c,), "batch": (n, c), "spatial": (n, c, 2)}[layout]
    t_shape = {"one": (), "batch": (n,), "spatial": (n, 2)}[layout]
    t_shape = data.draw(st.sampled_from([t_shape] * 4 + [(n + 1,), (1,), (n, 3)]), label="t shape")
    ignore_index = data.draw(st.sampled_from([-100, -100, -1, 0, c]), label="ignore_index")
    kw = {"ignore_index": ignore_index,
          "reduction": data.draw(st.sampled_from(["mean", "sum", "none", "avg"]))}
    if name == "cross_entropy":
        kw["label_smoothing"] = data.draw(st.sampled_from([0.0, 0.0, 0.2, -0.1, 1.5]))
    consts = []
    probabilities = name == "cross_entropy" and data.draw(st.booleans(), label="probabilities")
    if probabilities:
        target = rng.uniform(0, 1, data.draw(st.sampled_from([shape, shape, (n,)])))
        arrays = [rng.standard_normal(shape), target]
    else:
        arrays = [rng.standard_normal(shape)]
        consts.append(rng.integers(-2, c + 2, t_shape))
    weight = data.draw(st.sampled_from([None, c, c + 1]), label="weight")
    if weight is not None:
        consts.append(rng.uniform(0.5, 2.0, weight))

    def call(fn):
        def run(*args):
            if weight is None:
                return fn(*args, **kw)
            return fn(*args[:-1], weight=args[-1], **kw)
        return run

    agree(call(getattr(F, name)), call(getattr(tF, name)), arrays, name, consts=consts)


# ----- normalization, embedding, one_hot, linear, dropout --------------------------------------
@SETTINGS
@given(st.data())
def test_norms(data):
    rng = _rng(data)
    kind = data.draw(st.sampled_from(["group_norm", "batch_norm", "layer_norm"]), label="norm")
    c = data.draw(small(1, 6), label="channels")
    n = data.draw(st.sampled_from([0, 1, 2, 3]), label="batch")
    spatial = tuple(data.draw(st.lists(small(1, 3), max_size=2), label="spatial"))
    shape = (n, c) + spatial
    wrong = data.draw(st.sampled_from([0, 0, 0, 1]), label="wrong affine size")
    if kind == "group_norm":
        groups = data.draw(small(1, 4), label="groups")  # 0 is a ZeroDivisionError in PyTorch
        arrays = [rng.standard_normal(shape), rng.standard_normal(c + wrong),
                  rng.standard_normal(c)]
        agree(lambda x, w, b: F.group_norm(x, groups, w, b),
              lambda x, w, b: tF.group_norm(x, groups, w, b), arrays, "group_norm")
    elif kind == "layer_norm":
        normalized = shape[data.draw(small(1, len(shape)), label="from"):]
        if data.draw(st.booleans(), label="mismatch"):
            normalized = tuple(s + 1 for s in normalized)
        arrays = [rng.standard_normal(shape), rng.standard_normal(normalized)]
        agree(lambda x, w: F.layer_norm(x, normalized, w),
              lambda x, w: tF.layer_norm(x, normalized, w), arrays, "layer_norm")
    else:
        training = data.draw(st.booleans(), label="training")
        stats = data.draw(st.sampled_from([None, c, c, c + 1]), label="stats")
        arrays = [rng.standard_normal(shape), rng.standard_normal(c + wrong),
                  rng.standard_normal(c)]

        def run(lib, x, w, b):
            mean = None if stats is None else lib.tensor(np.zeros(stats))
            var = None if stats is None else lib.tensor(np.ones(stats))
            fn = F.batch_norm if lib is cr else tF.batch_norm
            return fn(x, mean, var, w, b, training=training)

        agree(lambda *a: run(cr, *a), lambda *a: run(torch, *a), arrays, "batch_norm")


@SETTINGS
@given(st.data())
def test_batchnorm_modules(data):
    rng = _rng(data)
    nd = data.draw(st.sampled_from([1, 2, 3]), label="BatchNorm{nd}d")
    c = data.draw(small(1, 3), label="features")
    rank = data.draw(small(1, 5), label="input rank")
    shape = tuple(data.draw(small(1, 3), label="size") for _ in range(rank))
    if rank > 1 and data.draw(st.booleans(), label="right channels"):
        shape = shape[:1] + (c,) + shape[2:]
    ours, theirs = getattr(nn, f"BatchNorm{nd}d")(c), getattr(torch.nn, f"BatchNorm{nd}d")(c)
    theirs.double()
    ours.to(cr.float64)
    if agree(ours, theirs, [rng.standard_normal(shape)], (f"BatchNorm{nd}d", "batch_norm")) is None:
        return  # refused (PyTorch counts the refused batch in num_batches_tracked; we do not)
    assert np.allclose(ours.running_mean.numpy(), theirs.running_mean.numpy())
    assert np.allclose(ours.running_var.numpy(), theirs.running_var.numpy())
    assert int(ours.num_batches_tracked.item()) == int(theirs.num_batches_tracked.item())


@SETTINGS
@given(st.data())
def test_embedding_and_one_hot(data):
    rng = _rng(data)
    rows = data.draw(small(1, 5), label="rows")
    shape = tuple(data.draw(st.lists(small(0, 3), max_size=2), label="index shape"))
    index = rng.integers(data.draw(st.sampled_from([0, 0, -2])),
                         rows + data.draw(st.sampled_from([0, 0, 2])), shape)
    padding_idx = data.draw(st.sampled_from([None, 0, rows - 1, -1]), label="padding_idx")
    weight = rng.standard_normal((rows, 3))
    agree(lambda w, i: F.embedding(i, w, padding_idx),
          lambda w, i: tF.embedding(i, w, padding_idx), [weight], "embedding", consts=[index])
    num_classes = data.draw(st.sampled_from([-1, -1, rows, rows + 1, 1]), label="num_classes")
    agree(lambda i: F.one_hot(i, num_classes), lambda i: tF.one_hot(i, num_classes), [],
          "one_hot", consts=[index], grads=False)


@SETTINGS
@given(st.data())
def test_linear_and_dropout(data):
    rng = _rng(data)
    fan_in = data.draw(small(0, 3), label="in_features")
    x_in = fan_in + data.draw(st.sampled_from([0, 0, 0, 1]), label="mismatch")
    shape = tuple(data.draw(st.lists(small(1, 3), max_size=2), label="batch")) + (x_in,)
    agree(lambda x, w, b: F.linear(x, w, b), lambda x, w, b: tF.linear(x, w, b),
          [rng.standard_normal(shape), rng.standard_normal((2, fan_in)), rng.standard_normal(2)],
          "linear")
    p = data.draw(st.sampled_from([0.0, 0.5, 1.0, -0.5, 1.5]), label="p")
    # Dropout's mask is random: compare where it does not apply (eval) or p is 0.
    training = p == 0.0 or data.draw(st.booleans(), label="training") and p not in (0.5, 1.0)
    agree(lambda x: F.dropout(x, p, training), lambda x: tF.dropout(x, p, training),
          [rng.standard_normal(shape)], "dropout")
