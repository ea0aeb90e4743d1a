"""PyTorch as the oracle for the index, shape and creation ops' argument checks: over a
hypothesis-generated range of good and bad arguments, where torch raises chainrule raises
an error of a compatible builtin type (and a chainrule.errors class naming the op); where
torch returns, chainrule returns the same shape, dtype and values."""
import numpy as np
import pytest

import chainrule as cr
from chainrule.errors import IndexOutOfRangeError, OpError, OpTypeError
from chainrule.ops import index as ix
from chainrule.ops import shape as sh

torch = pytest.importorskip("torch")
hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

pytestmark = pytest.mark.oracle

SMALL = settings(max_examples=50, deadline=None)
BUILTINS = (IndexError, TypeError, ValueError, RuntimeError)
OURS = (OpError, IndexOutOfRangeError, OpTypeError)

shapes = st.lists(st.integers(0, 3), min_size=0, max_size=3).map(tuple)
nonempty_shapes = st.lists(st.integers(1, 3), min_size=0, max_size=3).map(tuple)
dims = st.integers(-4, 4)


def _run(fn):
    try:
        return fn(), None
    except Exception as exc:  # noqa: BLE001 (the oracle's error is the subject)
        return None, exc


def _compare(out, ref, close=False):
    if isinstance(ref, (tuple, list)):
        assert isinstance(out, (tuple, list)) and len(out) == len(ref), (out, ref)
        for o, r in zip(out, ref):
            _compare(o, r, close)
        return
    expected = ref.detach().numpy()
    got = out.detach().numpy() if isinstance(out, cr.Tensor) else np.asarray(out)
    assert got.shape == expected.shape, (got.shape, expected.shape)
    assert got.dtype == expected.dtype, (got.dtype, expected.dtype)
    if close:
        np.testing.assert_allclose(got, expected, rtol=1e-6)
    else:
        np.testing.assert_array_equal(got, expected)


def agree(ours, theirs, op: str, values=True):
    """chainrule's ``ours()`` behaves as torch's ``theirs()``: both raise (chainrule an
    error of every builtin type torch's is, from chainrule.errors, naming ``op``), or both
    return the same shapes, dtypes and (when ``values``; "close": to rounding) values."""
    ref, their_error = _run(theirs)
    out, our_error = _run(ours)
    if their_error is None and any(n < 0 for n in getattr(ref, "shape", ())):
        # torch 2.13 expands a 0-d tensor to sizes such as (0, -1) unchecked: a shape no
        # tensor can have. chainrule refuses it, as torch does for every other input.
        their_error = RuntimeError(f"torch returned an impossible shape {tuple(ref.shape)}")
    if their_error is not None:
        assert our_error is not None, f"torch raised {their_error!r}; chainrule returned {out!r}"
        for base in BUILTINS:
            if isinstance(their_error, base):
                assert isinstance(our_error, base), \
                    f"torch raised {their_error!r} but chainrule {our_error!r}"
        assert isinstance(our_error, OURS), f"a raw error escaped: {our_error!r}"
        assert op in str(our_error), f"{our_error!r} does not name {op}"
        return
    if our_error is not None:
        raise AssertionError(f"torch returned; chainrule raised {our_error!r}") from our_error
    if values:
        _compare(out, ref, close=values == "close")
    else:
        shapes_ = lambda r: [tuple(t.shape) for t in r] if isinstance(r, (list, tuple)) \
            else tuple(r.shape)
        assert shapes_(out) == shapes_(ref)
        assert str(out.dtype) == str(ref.dtype).replace("torch.", "")


def pair(shape, dtype=np.float64):
    """The same data as a chainrule tensor and a torch tensor."""
    data = np.arange(int(np.prod(shape)), dtype=dtype).reshape(shape)
    return cr.tensor(data), torch.from_numpy(data.copy())


def index_pair(values, dtype=np.int64):
    values = np.asarray(values).astype(dtype)
    return cr.tensor(values), torch.from_numpy(values.copy())


# Mostly int64; the other dtypes PyTorch refuses for some ops and accepts for others.
index_dtypes = st.sampled_from([np.int64] * 4 + [np.int32, np.int16, np.float32, np.bool_])


def index_arrays(ndim_choices=(0, 1, 2, 3), low=-4, high=5):
    return st.sampled_from(ndim_choices).flatmap(
        lambda nd: hnp.arrays(np.int64, st.tuples(*[st.integers(0, 3)] * nd),
                              elements=st.integers(low, high)))


# ----- dim-wise index ops: never wrapped -----------------------------------------------------
@SMALL
@given(shape=shapes, dim=dims, idx=index_arrays(), dtype=index_dtypes)
def test_gather(shape, dim, idx, dtype):
    (x, tx), (i, ti) = pair(shape), index_pair(idx, dtype)
    agree(lambda: x.gather(dim, i), lambda: tx.gather(dim, ti), "gather")


@SMALL
@given(shape=shapes, dim=dims, idx=index_arrays((0, 1, 1, 2)), dtype=index_dtypes)
def test_index_select(shape, dim, idx, dtype):
    (x, tx), (i, ti) = pair(shape), index_pair(idx, dtype)
    agree(lambda: x.index_select(dim, i), lambda: tx.index_select(dim, ti), "index_select")


@SMALL
@given(shape=shapes, dim=st.one_of(st.none(), dims), idx=index_arrays(), dtype=index_dtypes)
def test_take_along_dim(shape, dim, idx, dtype):
    (x, tx), (i, ti) = pair(shape), index_pair(idx, dtype)
    ref, their_error = _run(lambda: torch.take_along_dim(tx, ti, dim))
    if their_error is None and dim is not None and idx.size:
        # torch 2.13 (CPU) does not bounds-check the broadcast gather with a dim: it reads
        # memory outside the tensor. chainrule checks, as torch does with no dim.
        n = shape[dim % len(shape)] if shape else 1
        if idx.min() < 0 or idx.max() >= n:
            with pytest.raises(IndexOutOfRangeError, match="take_along_dim"):
                x.take_along_dim(i, dim)
            return
    agree(lambda: x.take_along_dim(i, dim), lambda: torch.take_along_dim(tx, ti, dim),
          "take_along_dim")


@SMALL
@given(shape=shapes, dim=dims, idx=index_arrays(), src_extra=st.integers(0, 1),
       dtype=index_dtypes)
def test_scatter_add(shape, dim, idx, src_extra, dtype):
    (x, tx), (i, ti) = pair(shape), index_pair(idx, dtype)
    src_shape = tuple(n + src_extra for n in idx.shape)
    s, ts = pair(src_shape)
    agree(lambda: ix.scatter_add(x, dim, i, s), lambda: tx.scatter_add(dim, ti, ts),
          "scatter_add")


@SMALL
@given(shape=nonempty_shapes, dim=dims, idx=index_arrays((0, 1, 1, 2)),
       alpha=st.sampled_from([1, 2]), dtype=index_dtypes)
def test_index_add(shape, dim, idx, alpha, dtype):
    (x, tx), (i, ti) = pair(shape), index_pair(idx, dtype)
    src_shape = list(shape)
    if shape:
        src_shape[dim % len(shape)] = idx.size
    s, ts = pair(tuple(src_shape))
    agree(lambda: ix.index_add(x, dim, i, s, alpha=alpha),
          lambda: tx.index_add(dim, ti, ts, alpha=alpha), "index_add")


# ----- x[index] and x[index] = v: negative entries count from the end ------------------------
def getitem_indices():
    ints = st.integers(-4, 4)
    tensors = index_arrays((0, 1, 2), -4, 4)
    item = st.one_of(ints, tensors, st.just(slice(None)), st.just(slice(1, None)),
                     st.just(None), st.just(Ellipsis))
    return st.one_of(item, st.lists(item, min_size=1, max_size=3).map(tuple))


def _both(index):
    """The index for chainrule and for torch (arrays become each library's tensors)."""
    if isinstance(index, tuple):
        pairs = [_both(i) for i in index]
        return tuple(p[0] for p in pairs), tuple(p[1] for p in pairs)
    if isinstance(index, np.ndarray):
        return index_pair(index)
    return index, index


def _other_rule(index) -> bool:
    """Indices where chainrule keeps NumPy's placement of the result's dims, which PyTorch
    does not share (not an index check): several Ellipses (both refuse), or an int with an
    index tensor (NumPy moves the broadcast dims first when a slice separates them)."""
    if not isinstance(index, tuple):
        return False
    ints = any(isinstance(i, int) for i in index)
    arrays = any(isinstance(i, np.ndarray) for i in index)
    return sum(i is Ellipsis for i in index) > 1 or ints and arrays


@SMALL
@given(shape=nonempty_shapes, index=getitem_indices())
def test_getitem(shape, index):
    (x, tx), (i, ti) = pair(shape), _both(index)
    if _other_rule(index):
        return
    agree(lambda: x[i], lambda: tx[ti], "index")


@SMALL
@given(shape=nonempty_shapes, index=getitem_indices(), recorded=st.booleans())
def test_setitem(shape, index, recorded):
    (x, tx), (i, ti) = pair(shape), _both(index)
    if _other_rule(index):
        return
    if recorded:
        x = x.requires_grad_() * 1.0

    def ours():
        x[i] = -1.0
        return x

    def theirs():
        tx[ti] = -1.0
        return tx
    agree(ours, theirs, "setitem")


# ----- shape ops ---------------------------------------------------------------------------
sizes = st.lists(st.integers(-3, 6), min_size=0, max_size=3).map(tuple)


@SMALL
@given(shape=shapes, new=sizes)
def test_reshape(shape, new):
    x, tx = pair(shape)
    agree(lambda: x.reshape(new), lambda: tx.reshape(new), "reshape")


@SMALL
@given(base=st.lists(st.integers(1, 3), min_size=2, max_size=3).map(tuple),
       how=st.sampled_from(["T", "step", "plain"]), new=sizes)
def test_view(base, how, new):
    x, tx = pair(base)
    if how == "T":
        x, tx = x.mT, tx.mT
    elif how == "step":
        x, tx = x[..., ::2], tx[..., ::2]
    agree(lambda: sh.view(x, new), lambda: tx.view(new), "view")


@SMALL
@given(shape=shapes, dims_=st.lists(dims, min_size=0, max_size=4).map(tuple))
def test_permute(shape, dims_):
    x, tx = pair(shape)
    if not dims_:
        return  # torch requires dims; chainrule reverses them (NumPy's transpose)
    agree(lambda: x.permute(*dims_), lambda: tx.permute(*dims_), "permute")


@SMALL
@given(shape=shapes, dim=st.one_of(st.none(), dims, st.lists(dims, max_size=3).map(tuple)))
def test_squeeze(shape, dim):
    x, tx = pair(shape)
    agree(lambda: x.squeeze(dim) if dim is not None else x.squeeze(),
          lambda: tx.squeeze(dim) if dim is not None else tx.squeeze(), "squeeze")


@SMALL
@given(shape=shapes, dim=dims)
def test_unsqueeze(shape, dim):
    x, tx = pair(shape)
    agree(lambda: x.unsqueeze(dim), lambda: tx.unsqueeze(dim), "unsqueeze")


@SMALL
@given(shape=shapes, d0=dims, d1=dims)
def test_transpose(shape, d0, d1):
    x, tx = pair(shape)
    agree(lambda: x.transpose(d0, d1), lambda: tx.transpose(d0, d1), "transpose")


@SMALL
@given(shape=shapes, dims_=st.one_of(dims, st.lists(dims, max_size=3).map(tuple)))
def test_flip(shape, dims_):
    x, tx = pair(shape)
    agree(lambda: x.flip(dims_), lambda: tx.flip(dims_), "flip")


@SMALL
@given(shape=shapes, shifts=st.one_of(st.integers(-3, 3), st.lists(st.integers(-3, 3),
                                                                     max_size=3).map(tuple)),
       dims_=st.one_of(st.none(), dims, st.lists(dims, max_size=3).map(tuple)))
def test_roll(shape, shifts, dims_):
    x, tx = pair(shape)
    if shifts == ():
        return  # torch asserts (no Python error type) on empty shifts
    agree(lambda: x.roll(shifts, dims_), lambda: tx.roll(shifts, dims_), "roll")


@SMALL
@given(shape=shapes, src=dims, dst=dims)
def test_movedim(shape, src, dst):
    x, tx = pair(shape)
    agree(lambda: x.movedim(src, dst), lambda: tx.movedim(src, dst), "movedim")


@SMALL
@given(shape=shapes, start=dims, end=dims)
def test_flatten(shape, start, end):
    x, tx = pair(shape)
    agree(lambda: x.flatten(start, end), lambda: tx.flatten(start, end), "flatten")


expand_sizes = st.lists(st.integers(-2, 3), min_size=0, max_size=4).map(tuple)


@SMALL
@given(shape=st.lists(st.sampled_from([1, 2]), max_size=3).map(tuple), new=expand_sizes)
def test_expand(shape, new):
    x, tx = pair(shape)
    agree(lambda: x.expand(new), lambda: tx.expand(new), "expand")
    agree(lambda: x.broadcast_to(new), lambda: tx.broadcast_to(new), "broadcast_to")


@SMALL
@given(shape=shapes, reps=expand_sizes)
def test_repeat_and_tile(shape, reps):
    x, tx = pair(shape)
    agree(lambda: sh.repeat(x, reps), lambda: tx.repeat(reps), "repeat")
    agree(lambda: x.tile(reps), lambda: tx.tile(reps), "tile")


@SMALL
@given(parts=st.lists(shapes, min_size=0, max_size=3), dim=dims)
def test_cat_and_stack(parts, dim):
    pairs = [pair(s) for s in parts]
    xs, txs = [p[0] for p in pairs], [p[1] for p in pairs]
    agree(lambda: cr.cat(xs, dim), lambda: torch.cat(txs, dim), "cat")
    agree(lambda: cr.stack(xs, dim), lambda: torch.stack(txs, dim), "stack")


@SMALL
@given(shape=shapes, chunks=st.integers(-1, 5), dim=dims)
def test_chunk(shape, chunks, dim):
    x, tx = pair(shape)
    agree(lambda: x.chunk(chunks, dim), lambda: tx.chunk(chunks, dim), "chunk")


@SMALL
@given(shape=shapes, size=st.one_of(st.integers(-1, 4),
                                     st.lists(st.integers(-1, 3), max_size=3)), dim=dims)
def test_split(shape, size, dim):
    x, tx = pair(shape)
    agree(lambda: x.split(size, dim), lambda: tx.split(size, dim), "split")


@SMALL
@given(shape=shapes, dim=dims)
def test_unbind(shape, dim):
    x, tx = pair(shape)
    agree(lambda: sh.unbind(x, dim), lambda: tx.unbind(dim), "unbind")


@SMALL
@given(shape=st.lists(st.integers(0, 3), min_size=1, max_size=3).map(tuple),
       widths=st.lists(st.integers(-3, 2), max_size=6))
def test_pad(shape, widths):
    x, tx = pair(shape)
    if not widths:
        return  # chainrule reads () as NumPy's per-dim form
    agree(lambda: cr.pad(x, tuple(widths), value=-1.0),
          lambda: torch.nn.functional.pad(tx, tuple(widths), value=-1.0), "pad")


@SMALL
@given(a=st.lists(st.integers(1, 3), max_size=3).map(tuple),
       b=st.lists(st.integers(1, 3), max_size=3).map(tuple))
def test_matmul(a, b):
    (x, tx), (y, ty) = pair(a), pair(b)
    agree(lambda: x @ y, lambda: tx @ ty, "matmul")


# ----- creation ------------------------------------------------------------------------------
creation_sizes = st.lists(st.integers(-2, 3), min_size=0, max_size=3).map(tuple)


@SMALL
@given(size=creation_sizes)
def test_creation_sizes(size):
    for name in ("zeros", "ones", "empty", "rand", "randn"):
        agree(lambda: getattr(cr, name)(size), lambda: getattr(torch, name)(size), name,
              values=name in ("zeros", "ones"))
        if size:  # and spelled out: zeros(2, 3)
            agree(lambda: getattr(cr, name)(*size), lambda: getattr(torch, name)(*size), name,
                  values=False)
    agree(lambda: cr.full(size, 2.0), lambda: torch.full(size, 2.0), "full")
    agree(lambda: cr.randint(0, 3, size), lambda: torch.randint(0, 3, size), "randint",
          values=False)


@SMALL
@given(start=st.integers(-4, 4), end=st.one_of(st.none(), st.integers(-4, 4)),
       step=st.integers(-3, 3), floats=st.booleans())
def test_arange(start, end, step, floats):
    if floats:
        start, step = float(start), float(step)
    if end is None:
        agree(lambda: cr.arange(start), lambda: torch.arange(start), "arange")
    else:
        agree(lambda: cr.arange(start, end, step), lambda: torch.arange(start, end, step),
              "arange")


@SMALL
@given(n=st.integers(-2, 3), m=st.one_of(st.none(), st.integers(-2, 3)),
       steps=st.integers(-2, 4), low=st.integers(-2, 2), high=st.integers(-2, 2))
def test_eye_linspace_randint(n, m, steps, low, high):
    agree(lambda: cr.eye(n, m), lambda: torch.eye(n) if m is None else torch.eye(n, m), "eye")
    agree(lambda: cr.linspace(0.0, 1.0, steps), lambda: torch.linspace(0.0, 1.0, steps),
          "linspace", values="close")
    agree(lambda: cr.randint(low, high, (2,)), lambda: torch.randint(low, high, (2,)),
          "randint", values=False)
