"""Parity with PyTorch over the op surface: for each op, hypothesis draws calls (broadcast
shapes, transposed and strided inputs, 0-d and empty inputs, good and bad arguments) and
one generic harness compares chainrule with torch: forward values, shapes and dtypes,
and the VJP for one random cotangent (float64, rtol 1e-6, atol 1e-8); float32 dtype
preservation on one example per op. Where torch raises, chainrule must raise an error
of the same family (IndexError, TypeError, ValueError, RuntimeError).

Ops with ties (sort, topk, median, mode, kthvalue, max pooling) draw distinct values,
since which tied element gets the gradient is implementation-defined.

A case PyTorch has and chainrule does not yet match is marked xfail(strict=True) with the
reason; it flips to a failure when fixed, so the mark must then be removed.
"""
from __future__ import annotations

import math
import os
import types
from dataclasses import dataclass

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("hypothesis")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import chainrule as cr  # noqa: E402
from parity_strategies import (  # noqa: E402
    Call, Const, arr, bshapes, call, dim_of, dims_of, prod, shapes, with_x)

pytestmark = pytest.mark.oracle

# Each namespace offers the same names: the callables in the table are written once, as
# ``fn(M, *args, **kwargs)`` with M either library.
CR = types.SimpleNamespace(lib=cr, F=cr.nn.functional, name="chainrule")
TH = types.SimpleNamespace(lib=torch, F=torch.nn.functional, name="torch")
FAMILIES = (IndexError, TypeError, ValueError, RuntimeError)
RTOL, ATOL = 1e-6, 1e-8
# Any of FAMILIES counts as raising too; PARITY_STRICT_ERRORS=1 asks for torch's own family
# (IndexError where torch raises IndexError), to list the remaining differences.
STRICT_ERRORS = os.environ.get("PARITY_STRICT_ERRORS") == "1"


# ---------------------------------------------------------------------------- harness
@dataclass
class Case:
    name: str
    ours: object            # chainrule callable
    theirs: object          # torch callable
    strategy: object        # hypothesis strategy of Call
    grad: bool = True
    draws: int = 1          # calls drawn per hypothesis example (ops with many modes)
    rtol: float = RTOL
    atol: float = ATOL
    xfail: str | None = None


def _to(lib, value, leaves, grad):
    """NumPy arguments as tensors of ``lib``; floating arrays become leaves."""
    if isinstance(value, Const):
        return _to(lib, value.value, leaves, False)
    if isinstance(value, np.ndarray):
        if lib is torch:
            t = torch.from_numpy(value)
        else:
            t = cr.from_numpy(value)
        if grad and value.dtype.kind == "f":
            t.requires_grad_(True)
            leaves.append(t)
        elif grad:
            leaves.append(None)
        return t
    if isinstance(value, (list, tuple)) and not isinstance(value, str):
        return type(value)(_to(lib, v, leaves, grad) for v in value)
    if isinstance(value, dict):
        return {k: _to(lib, v, leaves, grad) for k, v in value.items()}
    return value


def _flat(out):
    if isinstance(out, (list, tuple)):
        return [o for e in out for o in _flat(e)]
    return [out]


def _np(t):
    if isinstance(t, (bool, int, float)):
        return t
    return t.detach().numpy()


def _family(exc):
    return next((f for f in FAMILIES if isinstance(exc, f)), None)


def _invoke(fn, ns, c: Call, grad):
    leaves = []
    args = _to(ns.lib, c.args, leaves, grad)
    kwargs = _to(ns.lib, c.kwargs, leaves, grad)
    try:
        return fn(ns, *args, **kwargs), None, leaves
    except Exception as exc:  # noqa: BLE001 - compared with the other library's error
        return None, exc, leaves


def _cast(value, dtype):
    if isinstance(value, Const):
        return Const(_cast(value.value, dtype))
    if isinstance(value, np.ndarray) and value.dtype == np.float64:
        return value.astype(dtype)
    if isinstance(value, (list, tuple)):
        return type(value)(_cast(v, dtype) for v in value)
    if isinstance(value, dict):
        return {k: _cast(v, dtype) for k, v in value.items()}
    return value


def _arrays(value):
    if isinstance(value, Const):
        return _arrays(value.value)
    if isinstance(value, np.ndarray):
        return [value]
    if isinstance(value, (list, tuple)):
        return [a for v in value for a in _arrays(v)]
    if isinstance(value, dict):
        return [a for v in value.values() for a in _arrays(v)]
    return []


def compare(case: Case, c: Call, grad=True, rtol=None, atol=None, seed=0):
    """Run ``c`` through both libraries and compare errors, outputs and gradients."""
    rtol = case.rtol if rtol is None else rtol
    atol = case.atol if atol is None else atol
    grad = grad and case.grad
    ref, texc, tleaves = _invoke(case.theirs, TH, c, grad)
    out, cexc, cleaves = _invoke(case.ours, CR, c, grad)
    if texc is not None:
        assert cexc is not None, (
            f"{case.name}: torch raises {type(texc).__name__}({texc}) for {c!r}; "
            "chainrule does not")
        fam = _family(texc) if STRICT_ERRORS else FAMILIES
        assert fam is None or isinstance(cexc, fam), (
            f"{case.name}: torch raises {type(texc).__name__}({texc}); chainrule raises "
            f"{type(cexc).__name__}({cexc}), not a {fam}, for {c!r}")
        return False
    if cexc is not None:
        raise AssertionError(f"{case.name}: chainrule raises for {c!r}; torch does not") \
            from cexc
    refs, outs = _flat(ref), _flat(out)
    assert len(refs) == len(outs), f"{case.name}: {len(outs)} outputs, torch {len(refs)}"
    for i, (o, r) in enumerate(zip(outs, refs)):
        ro, oo = _np(r), _np(o)
        where = f"{case.name} output {i} for {c!r}"
        if isinstance(ro, (bool, int, float)):
            assert type(oo) is type(ro) or isinstance(oo, type(ro)), (where, oo, ro)
            assert oo == ro or (ro != ro and oo != oo), (where, oo, ro)
            continue
        assert isinstance(oo, np.ndarray), (where, type(oo))
        assert oo.shape == ro.shape, f"{where}: shape {oo.shape}, torch {ro.shape}"
        assert oo.dtype == ro.dtype, f"{where}: dtype {oo.dtype}, torch {ro.dtype}"
        if ro.dtype.kind in "fc":
            np.testing.assert_allclose(oo, ro, rtol=rtol, atol=atol, equal_nan=True,
                                       err_msg=where)
        else:
            np.testing.assert_array_equal(oo, ro, err_msg=where)
    if not grad:
        return True
    rng = np.random.default_rng(seed)
    pairs = [(o, r) for o, r in zip(outs, refs)
             if isinstance(r, torch.Tensor) and r.requires_grad]
    if not pairs:
        return True
    cots = [rng.standard_normal(tuple(r.shape)) for _, r in pairs]
    tl = sum((r * torch.from_numpy(k).to(r.dtype)).sum() for (_, r), k in zip(pairs, cots))
    tl.backward()
    ours = [(o, k) for (o, _), k in zip(pairs, cots) if getattr(o, "requires_grad", False)]
    if ours:
        cl = sum((o * cr.from_numpy(k).to(o.dtype)).sum() for o, k in ours)
        cl.backward()
    for j, (tl_, cl_) in enumerate(zip(tleaves, cleaves)):
        if tl_ is None:
            continue
        tg = tl_.grad.numpy(force=True) if tl_.grad is not None else np.zeros(tl_.shape)
        cg = cl_.grad.numpy() if cl_.grad is not None else np.zeros(tuple(cl_.shape))
        np.testing.assert_allclose(
            cg, tg, rtol=rtol, atol=atol, equal_nan=True,
            err_msg=f"{case.name}: gradient of differentiable input {j} for {c!r}")
    return True


_F32_DONE: set[str] = set()


def check(case: Case, c: Call):
    """The float64 comparison, and once per op (on an example with no empty input, that
    runs in torch) the float32 forward: dtypes kept, values close."""
    compare(case, c)
    if case.name in _F32_DONE:
        return
    arrays = _arrays((c.args, c.kwargs))
    if not any(a.dtype == np.float64 for a in arrays) or any(a.size == 0 for a in arrays):
        return
    if compare(case, Call(_cast(c.args, np.float32), _cast(c.kwargs, np.float32)),
               grad=False, rtol=2e-4, atol=2e-5):
        _F32_DONE.add(case.name)


# ---------------------------------------------------------------------------- strategies
B = st.booleans()
RED = st.sampled_from(["none", "mean", "sum"])


def same(fname):
    """(ours, theirs) for ``M.<fname>`` (a dotted path under the library, e.g. "F.celu")."""
    def get(ns):
        obj = ns
        for part in ("lib." + fname if not fname.startswith("F.") else fname).split("."):
            obj = getattr(obj, part)
        return obj
    return (lambda ns, *a, **k: get(ns)(*a, **k)), fname


def method(mname):
    return lambda ns, x, *a, **k: getattr(x, mname)(*a, **k)


CASES: list[Case] = []


def add(name, fn, strategy, **opts):
    if isinstance(fn, str):
        fn = same(fn)[0]
    CASES.append(Case(name, fn, fn, strategy, **opts))


def ints(lo, hi):
    return st.integers(lo, hi)


# --- shape ops -------------------------------------------------------------------------
add("tril", "tril", with_x(lambda s: {"diagonal": ints(-4, 4)}))
add("triu", "triu", with_x(lambda s: {"diagonal": ints(-4, 4)}))
add("diag", "diag", with_x(lambda s: {"diagonal": ints(-4, 4)}, shapes(0, 3)))
add("diagonal", "diagonal", with_x(lambda s: {
    "offset": ints(-4, 4), "dim1": dim_of(len(s)), "dim2": dim_of(len(s))}))
add("diag_embed", "diag_embed", with_x(lambda s: {
    "offset": ints(-3, 3), "dim1": dim_of(len(s) + 1), "dim2": dim_of(len(s) + 1)},
    shapes(0, 3)))
add("Tensor.unfold", method("unfold"), with_x(lambda s: {
    "dimension": dim_of(len(s)), "size": ints(0, 5), "step": ints(0, 3)}, shapes(0, 3)))


@st.composite
def unflatten_call(draw):
    s = draw(shapes(1, 3))
    x = draw(arr(s))
    d = draw(dim_of(len(s)))
    n = s[d] if -len(s) <= d < len(s) else 1
    a = draw(ints(1, 4))
    sizes = (a, n // a) if n % a == 0 and draw(B) else (a, -1)
    if draw(B):
        sizes = sizes[::-1]
    return Call((x, d, sizes))


add("unflatten", "unflatten", unflatten_call())


@st.composite
def repeat_interleave_call(draw):
    s = draw(shapes(0, 3))
    x = draw(arr(s))
    dim = draw(st.one_of(st.none(), dim_of(len(s), bad=False)))
    n = prod(s) if dim is None else (s[dim] if s else 1)
    reps = draw(st.one_of(ints(0, 3), arr((n,), kind="i", lo=0, hi=3, layout=False),
                          arr((1,), kind="i", lo=0, hi=3, layout=False)))
    return Call((x, reps), {"dim": dim})


add("repeat_interleave", "repeat_interleave", repeat_interleave_call())
add("narrow", "narrow", with_x(lambda s: {
    "dim": dim_of(len(s)), "start": ints(-4, 4), "length": ints(0, 4)}, shapes(1, 4)))


@st.composite
def movedim_call(draw):
    s = draw(shapes(0, 4))
    x = draw(arr(s))
    n = max(len(s), 1)
    if draw(B):
        return Call((x, draw(dim_of(len(s))), draw(dim_of(len(s)))))
    k = draw(ints(0, n))
    src = draw(st.permutations(range(n)))[:k]
    dst = draw(st.permutations(range(-n, 0)))[:k]
    return Call((x, tuple(src), tuple(dst)))


add("movedim", "movedim", movedim_call())
add("flatten", "flatten", with_x(lambda s: {
    "start_dim": dim_of(len(s)), "end_dim": dim_of(len(s))}))


@st.composite
def roll_call(draw):
    s = draw(shapes(0, 4))
    x = draw(arr(s))
    form = draw(ints(0, 2))
    if form == 0:
        return Call((x, draw(ints(-5, 5))))
    if form == 1:
        return Call((x, draw(ints(-5, 5)), draw(dim_of(len(s)))))
    k = draw(ints(1, max(len(s), 1)))
    dims = tuple(draw(st.permutations(range(max(len(s), 1))))[:k])
    return Call((x, tuple(draw(st.lists(ints(-5, 5), min_size=k, max_size=k))), dims))


add("roll", "roll", roll_call())


@st.composite
def meshgrid_call(draw):
    xs = [draw(arr(draw(shapes(0, 1)))) for _ in range(draw(ints(1, 3)))]
    return Call(tuple(xs), {"indexing": draw(st.sampled_from(["ij", "xy"]))})


add("meshgrid", "meshgrid", meshgrid_call())
add("meshgrid_list", lambda M, *xs, **k: M.lib.meshgrid(list(xs), **k), meshgrid_call())

EINSUMS = ["ij,jk->ik", "bij,bjk->bik", "ii->i", "ii", "i,i->", "ij->ji", "...ij,...jk->...ik",
           "ij,ij->ij", "i,j->ij", "bhqd,bhkd->bhqk", "ijk->", "i...->...", "ab,b"]


@st.composite
def einsum_call(draw):
    eq = draw(st.sampled_from(EINSUMS))
    size = {c: draw(ints(0, 3)) for c in "abdhijkq"}
    batch = draw(shapes(0, 2, max_side=3))
    ops = []
    for term in eq.split("->")[0].split(","):
        shp = tuple(size[c] for c in term.replace("...", ""))
        if term.startswith("..."):
            shp = batch + shp
        elif term.endswith("..."):
            shp = shp + batch
        ops.append(draw(arr(shp)))
    return Call((eq, *ops))


add("einsum", lambda M, eq, *ops: M.lib.einsum(eq, *ops), einsum_call())
add("einsum_list", lambda M, eq, *ops: M.lib.einsum(eq, list(ops)), einsum_call())


# --- index ops -------------------------------------------------------------------------
@st.composite
def scatter_parts(draw, unique=False, tie_free=False):
    """x, dim, index (values in range, distinct along dim when ``unique``) and src."""
    s = draw(shapes(1, 3, max_side=3))
    kind = "perm" if tie_free else "f"
    d = draw(dim_of(len(s), bad=False))
    ishape = tuple(draw(ints(0, n)) for n in s)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if unique:
        full = list(ishape)
        full[d] = s[d]
        idx = np.argsort(rng.random(full), axis=d)
        idx = np.take(idx, np.arange(ishape[d]), axis=d)
    else:
        idx = rng.integers(0, max(s[d], 1), size=ishape)
    if tie_free:
        both = draw(arr((prod(s) + prod(ishape),), kind="perm", layout=False))
        x, src = both[:prod(s)].reshape(s), both[prod(s):].reshape(ishape)
    else:
        x, src = draw(arr(s, kind=kind)), draw(arr(ishape, kind=kind))
    return x, d, idx.astype(np.int64), src


add("scatter", lambda M, x, d, i, src: M.lib.scatter(x, d, i, src),
    scatter_parts(unique=True).map(lambda p: Call(p)))
add("Tensor.scatter_value", lambda M, x, d, i, src, v: x.scatter(d, i, v),
    scatter_parts().map(lambda p: Call(p + (1.5,))))
add("scatter_add", "scatter_add", scatter_parts().map(lambda p: Call(p)))


@st.composite
def scatter_reduce_call(draw):
    reduce = draw(st.sampled_from(["sum", "prod", "mean", "amax", "amin"]))
    x, d, i, src = draw(scatter_parts(tie_free=reduce in ("amax", "amin")))
    return Call((x, d, i, src, reduce), {"include_self": draw(B)})


add("scatter_reduce", "scatter_reduce", scatter_reduce_call(), draws=2)


@st.composite
def index_parts(draw, unique=False):
    s = draw(shapes(1, 3))
    x = draw(arr(s))
    d = draw(dim_of(len(s), bad=False))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if unique:
        idx = rng.permutation(s[d])[:draw(ints(0, s[d]))]
    else:
        idx = rng.integers(0, max(s[d], 1), size=draw(ints(0 if s[d] else 0, 4)))
        if s[d] == 0:
            idx = idx[:0]
    src_shape = list(s)
    src_shape[d] = len(idx)
    return x, d, idx.astype(np.int64), draw(arr(tuple(src_shape)))


add("index_add", lambda M, x, d, i, src, **k: M.lib.index_add(x, d, i, src, **k),
    st.builds(lambda p, a: Call(p, {"alpha": a}), index_parts(), st.sampled_from([1, -0.5])))
add("index_copy", "index_copy", index_parts(unique=True).map(lambda p: Call(p)))
add("index_fill", lambda M, x, d, i, src: M.lib.index_fill(x, d, i, -1.25),
    index_parts().map(lambda p: Call(p)))


@st.composite
def masked_call(draw):
    sx, sm = draw(bshapes(2))
    return Call((draw(arr(sx)), draw(arr(sm, kind="b"))))


add("masked_select", "masked_select", masked_call())


@st.composite
def masked_scatter_call(draw):
    sx, sm = draw(bshapes(2))
    x, m = draw(arr(sx)), draw(arr(sm, kind="b"))
    count = int(np.broadcast_to(m, np.broadcast_shapes(sx, sm)).sum())
    src = draw(arr((count + draw(ints(-1 if count else 0, 2)),)))
    return Call((x, m, src))


add("masked_scatter", "masked_scatter", masked_scatter_call())
add("nonzero", "nonzero", with_x(lambda s: {"as_tuple": B}, kind="i", lo=-1, hi=2), grad=False)


@st.composite
def take_call(draw):
    s = draw(shapes(0, 3))
    n = prod(s)
    idx = draw(arr(draw(shapes(0, 2)), kind="i", lo=-n - (draw(B) and n == 0), hi=max(n, 1)))
    return Call((draw(arr(s)), idx))


add("take", "take", take_call())


@st.composite
def put_call(draw):
    s = draw(shapes(0, 3))
    n = prod(s)
    acc = draw(B)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    k = draw(ints(0, 4 if acc else n))
    idx = rng.integers(-n, n, size=k) if acc and n else (rng.permutation(n)[:k] - n * draw(B))
    return Call((draw(arr(s)), idx.astype(np.int64), draw(arr((k,)))), {"accumulate": acc})


add("Tensor.put", method("put"), put_call())

# --- sort family (tie-free values) -----------------------------------------------------
P = {"kind": "perm"}
add("sort", "sort", with_x(lambda s: {"dim": dim_of(len(s)), "descending": B,
                                      "stable": st.sampled_from([None, True, False])}, **P))
add("argsort", "argsort", with_x(lambda s: {"dim": dim_of(len(s)), "descending": B}, **P))
add("msort", "msort", with_x(**P))
add("topk", "topk", with_x(lambda s: {"k": ints(0, 4), "dim": dim_of(len(s)), "largest": B,
                                      "sorted": st.just(True)}, **P))
add("kthvalue", "kthvalue", with_x(lambda s: {"k": ints(0, 4), "dim": dim_of(len(s)),
                                              "keepdim": B}, **P))
add("median", "median", with_x(**P))
add("median_dim", "median", with_x(lambda s: {"dim": dim_of(len(s)), "keepdim": B}, **P))
add("mode", "mode", with_x(lambda s: {"dim": dim_of(len(s)), "keepdim": B}, **P))
add("cummax", "cummax", with_x(lambda s: {"dim": dim_of(len(s))}, **P))
add("cummin", "cummin", with_x(lambda s: {"dim": dim_of(len(s))}, **P))
add("logcumsumexp", "logcumsumexp", with_x(lambda s: {"dim": dim_of(len(s))}))


@st.composite
def searchsorted_call(draw):
    lead = draw(shapes(0, 2, max_side=3))
    nseq = draw(ints(0, 4))
    seq = np.sort(draw(arr(lead + (nseq,), kind="i", lo=-3, hi=4, layout=False)), axis=-1)
    seq = seq.astype(np.float64)
    vals = draw(arr(lead + (draw(ints(0, 4)),), kind="i", lo=-4, hi=5)).astype(np.float64)
    if draw(B) and not lead:
        vals = draw(arr(draw(shapes(0, 2)), kind="i", lo=-4, hi=5)).astype(np.float64)
    kw = draw(st.fixed_dictionaries({"right": B, "out_int32": B}))
    return Call((Const(seq), Const(vals)), kw)


add("searchsorted", "searchsorted", searchsorted_call(), grad=False)


@st.composite
def bucketize_call(draw):
    bounds = np.sort(draw(arr((draw(ints(0, 4)),), kind="i", lo=-3, hi=4, layout=False)))
    x = draw(arr(draw(shapes(0, 3)), kind="i", lo=-4, hi=5)).astype(np.float64)
    return Call((Const(x), Const(bounds.astype(np.float64))), {"right": draw(B)})


add("bucketize", "bucketize", bucketize_call(), grad=False)
add("unique", "unique", with_x(lambda s: {
    "sorted": st.just(True), "return_inverse": B, "return_counts": B,
    "dim": st.one_of(st.none(), dim_of(len(s), bad=False))}, kind="i", lo=0, hi=3),
    grad=False)

# --- reductions ------------------------------------------------------------------------
add("std_mean", "std_mean", with_x(lambda s: {
    "dim": dims_of(len(s)), "correction": ints(0, 2), "keepdim": B}, shapes(0, 3)))
add("var_mean", "var_mean", with_x(lambda s: {
    "dim": dims_of(len(s)), "correction": ints(0, 2), "keepdim": B}, shapes(0, 3)))
NANS = {"special": [np.nan]}
add("nansum", "nansum", with_x(lambda s: {"dim": dims_of(len(s)), "keepdim": B}, **NANS))
add("nanmean", "nanmean", with_x(lambda s: {"dim": dims_of(len(s)), "keepdim": B}, **NANS))
add("count_nonzero", "count_nonzero", with_x(lambda s: {"dim": dims_of(len(s))},
                                             kind="i", lo=-1, hi=2))
add("aminmax", "aminmax", with_x(lambda s: {
    "dim": st.one_of(st.none(), dim_of(len(s))), "keepdim": B}, **P))
add("any_dim", "any", with_x(lambda s: {"dim": dims_of(len(s), none=False), "keepdim": B},
                             kind="b"))
add("all_dim", "all", with_x(lambda s: {"dim": dim_of(len(s)), "keepdim": B},
                             kind="i", lo=0, hi=2))


@st.composite
def quantile_call(draw):
    s = draw(shapes(0, 3))
    x = draw(arr(s, kind="perm"))
    q = draw(st.one_of(st.floats(0, 1), arr((draw(ints(0, 3)),), kind="unit", layout=False)
                       .map(Const)))
    kw = draw(st.fixed_dictionaries({
        "dim": st.one_of(st.none(), dim_of(len(s))), "keepdim": B,
        "interpolation": st.sampled_from(["linear", "lower", "higher", "midpoint",
                                          "nearest"])}))
    return Call((x, q), kw)


add("quantile", "quantile", quantile_call(), draws=2)


# --- elementwise -----------------------------------------------------------------------
@st.composite
def binary(draw, n=2, doms=None, kinds=None, kw=None, **arr_kw):
    shps = draw(bshapes(n))
    doms = doms or [(-2, 2)] * n
    kinds = kinds or ["f"] * n
    xs = tuple(draw(arr(s, kind=k, lo=lo, hi=hi, **arr_kw))
               for s, (lo, hi), k in zip(shps, doms, kinds))
    return Call(xs, draw(st.fixed_dictionaries(kw or {})))


add("copysign", "copysign", binary())
add("lerp", "lerp", binary(3))
add("lerp_scalar", "lerp", binary().map(lambda c: Call(c.args + (0.3,))))
add("xlogy", "xlogy", binary(doms=[(-1, 2), (0.1, 3)], special=[0.0]))
add("logit", "logit", with_x(lambda s: {"eps": st.sampled_from([None, 1e-3, 0.2])},
                             kind="unit", special=[0.0, 1.0]))
add("frac", "frac", with_x(lo=-5, hi=5))
add("sgn", "sgn", with_x(special=[0.0]))
add("float_power", "float_power", binary(doms=[(0.1, 3), (-2, 2)]))
add("true_divide", "true_divide", binary(doms=[(-2, 2), (0.5, 2)]))
add("div_rounding", "div", binary(doms=[(-5, 5), (0.3, 2)],
                                  kw={"rounding_mode": st.sampled_from([None, "trunc",
                                                                        "floor"])}))
add("div_rounding_int", "div", binary(doms=[(-9, 9), (1, 4)], kinds=["i", "i"],
                                      kw={"rounding_mode": st.sampled_from([None, "trunc",
                                                                            "floor"])}))
SHIFT = {"doms": [(-50, 50), (0, 8)], "kinds": ["i", "i"]}
add("bitwise_left_shift", "bitwise_left_shift", binary(**SHIFT))
add("bitwise_right_shift", "bitwise_right_shift", binary(**SHIFT))
add("shift_operators", lambda M, x, y: (x << y, x >> y, x << 2, x >> 1), binary(**SHIFT))
add("bitwise_not", "bitwise_not", st.one_of(with_x(kind="i", lo=-9, hi=9), with_x(kind="b")))


@st.composite
def isclose_call(draw):
    c = draw(binary(special=[np.nan, np.inf, 0.0]))
    kw = draw(st.fixed_dictionaries({"rtol": st.sampled_from([1e-5, 0.5]),
                                     "atol": st.sampled_from([1e-8, 0.3]),
                                     "equal_nan": B}))
    return Call(c.args, kw)


add("isclose", "isclose", isclose_call())
add("allclose", "allclose", isclose_call())
add("nan_to_num", "nan_to_num", with_x(lambda s: {
    "nan": st.sampled_from([0.0, 1.5]), "posinf": st.sampled_from([None, 9.0]),
    "neginf": st.sampled_from([None, -9.0])}, special=[np.nan, np.inf, -np.inf]))


@st.composite
def clamp_call(draw):
    sx, sa, sb = draw(bshapes(3))
    x = draw(arr(sx, lo=-3, hi=3))
    lo = draw(st.one_of(st.none(), arr(sa, lo=-2, hi=0.5)))
    hi = draw(st.one_of(st.none(), arr(sb, lo=-0.5, hi=2)))
    return Call((x,), {"min": lo, "max": hi})


add("clamp_tensor_bounds", "clamp", clamp_call())
add("pow_zero_negative", lambda M, x, y: (x ** y, x ** -1.0, x ** -2),
    binary(doms=[(0.5, 2), (-3, -0.5)], special=[0.0]))


@st.composite
def view_dtype_call(draw):
    x = draw(arr(draw(shapes(0, 3))))
    return Call((x, draw(st.sampled_from(["float32", "int64", "int32", "uint8"]))))


add("view_dtype", lambda M, x, d: x.view(getattr(M.lib, d)), view_dtype_call(), grad=False)
add("Tensor.softmax", lambda M, x, **k: x.softmax(**k), with_x(lambda s: {
    "dim": dim_of(len(s))}))
add("Tensor.log_softmax", lambda M, x, **k: x.log_softmax(**k), with_x(lambda s: {
    "dim": dim_of(len(s))}))
add("Tensor.softmax_dtype", lambda M, x, d: x.softmax(d, dtype=M.lib.float32),
    with_x(shape=shapes(1, 3)).map(lambda c: Call(c.args + (-1,))), rtol=1e-5, atol=1e-6)

# NN_CASES_BEGIN
# NN_CASES_END


# ---------------------------------------------------------------------------- the test
def _param(case):
    marks = [pytest.mark.xfail(strict=True, reason=case.xfail)] if case.xfail else []
    return pytest.param(case, id=case.name, marks=marks)


XFAIL: dict[str, str] = {}


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
@given(data=st.data())
@settings(max_examples=15, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_parity(case, data):
    for _ in range(case.draws):
        check(case, data.draw(case.strategy, label="call"))
