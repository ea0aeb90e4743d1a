"""Backend-neutral rules and forwards, shown on the CPU.

Every forward and VJP rule should reach arrays only through the namespace of the data it is
given (the ``xp`` a rule receives; for a forward, the namespace of its inputs), so that a
CuPy array runs the same code. Here the data is ``checking_namespace.Guarded``: NumPy values
that NumPy's own functions refuse when a forward or a rule calls them directly, while the
checking namespace (what ``_backend.rule_namespace`` answers for such data) and the array's
methods and operators work. Each op's gradient is computed twice, on NumPy data and on
Guarded data, and must agree, with Guarded outputs and gradients:

* ``test_rules_use_the_data_namespace``: the VJP rules alone are held to it (forwards may
  still call NumPy, and their outputs are made Guarded, as converted forwards' would be);
* ``test_forwards_and_rules_use_the_data_namespace``: forwards too.

Every case must pass: a rule or forward that calls NumPy directly fails with BackendLeak
naming the place (``python tests/test_backend_neutral.py`` lists every leak by case).
``test_the_guard_*`` show that the check can fail.
"""
from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn.functional as F
import chainrule.numpy as cnp
from chainrule.autograd.primitives import Primitive, apply, defvjp

import checking_namespace as checking
from checking_namespace import NAMESPACE, BackendLeak, Guarded, guard


class Case:
    """``fn(dev, *tensors)`` of float64 tensors of ``shapes``, uniform in ``domain``; ``dev``
    turns a NumPy array (an index, a mask) into the run's kind of array."""

    def __init__(self, name, fn, shapes=((3, 4),), domain=(-2.0, 2.0), row=None):
        self.name, self.fn, self.shapes, self.row = name, fn, shapes, row
        self.domains = domain if isinstance(domain[0], tuple) else (domain,) * len(shapes)

    def __repr__(self):
        return self.name


def _plain(a):
    return a


# ----- the ops: the op table's cases, and what the table does not cover ---------------------
def _call(op, *args, **kwargs):
    """The op as a user calls it (as tests/test_optable.py calls it)."""
    if op.free is not False:
        return getattr(cr, op.name)(*args, **kwargs)
    if op.method is not False:
        return getattr(args[0], op.name)(*args[1:], **kwargs)
    if op.functional:
        return getattr(F, op.functional)(*args, **kwargs)
    if op.numpy:
        fn = cnp
        for part in op.numpy[0].split("."):
            fn = getattr(fn, part)
        return fn(*args, **kwargs)
    return op.impl(*args, **kwargs)


def _first(out):
    """Multi-output ops (max with dim) give their values."""
    return out.values if isinstance(out, tuple) and hasattr(out, "values") else out


def _on(dev, values):
    """The table's constant arrays (indices, masks) as the run's kind of array."""
    return tuple(dev(v) if isinstance(v, np.ndarray) else v for v in values)


def _table_cases():
    """One case per elementwise row (a broadcast pair for two inputs, so the engine sums
    the gradient down with xp) and per declared check of every other row, named as
    tests/test_optable.py names them."""
    try:
        from chainrule import optable
    except ImportError:  # no op table (yet): the cases below still run
        return []
    cases = []
    for op in optable.OPS:
        if not op.grad:
            continue
        if isinstance(op.impl, Primitive) and op.domain:
            shapes = ((3, 4),) if len(op.domain) == 1 else ((3, 4), (4,))
            cases.append(Case(op.name, lambda dev, *xs, _op=op: _call(_op, *xs),
                              shapes=shapes, domain=tuple(tuple(d) for d in op.domain),
                              row=op.name))
        for i, check in enumerate(op.checks):
            cases.append(Case(f"{op.name}-{i}", lambda dev, *xs, _op=op, _c=check: _first(
                _call(_op, *xs, *_on(dev, _c.args), **dict(zip(_c.kwargs, _on(
                    dev, tuple(_c.kwargs.values())))))),
                shapes=tuple(check.shapes), domain=tuple(tuple(d) for d in check.domain),
                row=op.name))
    return cases


def _index(dev, *rows):
    return cr.from_numpy(dev(np.array(rows)))


# Cases of their own: what the table has no cases for (nn ops, indexing, linear algebra,
# Python-number operands, ...), and the kinds of ops the table covers, used only where it
# has no cases for that row (ROW_OF: the table row a case stands in for).
EXTRA_CASES = [
    # one input, with arguments
    Case("leaky_relu", lambda dev, x: x.leaky_relu(0.1)),
    Case("elu", lambda dev, x: x.elu(0.7)),
    Case("gelu", lambda dev, x: x.gelu()),
    Case("gelu_tanh", lambda dev, x: x.gelu("tanh")),
    Case("softplus", lambda dev, x: x.softplus(beta=2.0, threshold=3.0)),
    Case("clamp", lambda dev, x: x.clamp(-0.5, 0.7)),
    Case("clamp_tensor_bounds", lambda dev, x, lo: x.clamp(min=lo, max=lo + 1.0),
         shapes=((3, 4), (4,)), domain=((-2.0, 2.0), (-1.0, 0.0))),
    Case("pow_scalar", lambda dev, x: x ** 3),
    Case("rpow", lambda dev, x: 2.0 ** x),
    Case("rsub", lambda dev, x: 1.0 - x),
    Case("rdiv", lambda dev, x: 1.0 / x, domain=(0.5, 2.0)),
    Case("where", lambda dev, x, y: cr.where(cr.from_numpy(dev(np.arange(12).reshape(3, 4) % 3
                                                                 == 0)), x, y),
         shapes=((3, 4), (3, 4))),
    # reductions and scans
    Case("sum", lambda dev, x: x.sum(dim=1)),
    Case("sum_all", lambda dev, x: x.sum()),
    Case("mean", lambda dev, x: x.mean(dim=(0, 2), keepdim=True), shapes=((2, 3, 4),)),
    Case("prod", lambda dev, x: x.prod(dim=1), domain=(0.5, 2.0)),
    Case("amax", lambda dev, x: x.amax(dim=0)),
    Case("amin", lambda dev, x: x.amin(dim=-1)),
    Case("max_dim", lambda dev, x: x.max(dim=1).values),
    Case("min_all", lambda dev, x: x.min()),
    Case("logsumexp", lambda dev, x: x.logsumexp(dim=1)),
    Case("var", lambda dev, x: x.var(dim=1)),
    Case("std", lambda dev, x: x.std(dim=0), domain=(0.5, 2.0)),
    Case("norm2", lambda dev, x: x.norm(dim=1)),
    Case("norm1", lambda dev, x: x.norm(p=1, dim=1)),
    Case("norm_inf", lambda dev, x: x.norm(p=float("inf"), dim=1)),
    Case("norm3", lambda dev, x: x.norm(p=3, dim=1)),
    Case("cumsum", lambda dev, x: x.cumsum(1)),
    Case("cumprod", lambda dev, x: x.cumprod(1), domain=(0.5, 2.0)),
    # shape
    Case("reshape", lambda dev, x: x.reshape(4, 6), shapes=((2, 3, 4),)),
    Case("flatten", lambda dev, x: x.flatten(1), shapes=((2, 3, 4),)),
    Case("squeeze", lambda dev, x: x.squeeze(1), shapes=((2, 1, 4),)),
    Case("unsqueeze", lambda dev, x: x.unsqueeze(-1)),
    Case("expand", lambda dev, x: x.expand(3, -1, 4), shapes=((1, 2, 4),)),
    Case("broadcast_to", lambda dev, x: x.broadcast_to((2, 3, 4)), shapes=((3, 1),)),
    Case("permute", lambda dev, x: x.permute(2, 0, 1), shapes=((2, 3, 4),)),
    Case("transpose", lambda dev, x: x.transpose(0, 1)),
    Case("T", lambda dev, x: x.T),
    Case("moveaxis", lambda dev, x: x.moveaxis(0, -1), shapes=((2, 3, 4),)),
    Case("repeat", lambda dev, x: x.repeat(2, 1, 3), shapes=((2, 3),)),
    Case("tile", lambda dev, x: x.tile((2, 2)), shapes=((2, 3),)),
    Case("flip", lambda dev, x: x.flip(0)),
    Case("roll", lambda dev, x: x.roll(1, 1)),
    Case("pad", lambda dev, x: cr.pad(x, (1, 2), value=3.0)),
    Case("split", lambda dev, x: x.split(2, dim=1)[1], shapes=((2, 5),)),
    Case("chunk", lambda dev, x: x.chunk(3, dim=1)[2], shapes=((2, 5),)),
    Case("unbind", lambda dev, x: x.unbind(1)[1]),
    Case("clone", lambda dev, x: x.clone()),
    Case("cast", lambda dev, x: x.to(cr.float32)),
    Case("cat", lambda dev, x, y: cr.cat([x, y], dim=1), shapes=((2, 3), (2, 1))),
    Case("stack", lambda dev, x, y: cr.stack([x, y, x]), shapes=((2, 3), (2, 3))),
    # indexing
    Case("getitem_int", lambda dev, x: x[1]),
    Case("getitem_slice", lambda dev, x: x[1:, ::2]),
    Case("getitem_int_array", lambda dev, x: x[[0, 2, 0, 0]]),
    Case("getitem_mask", lambda dev, x: x[cr.from_numpy(dev(np.arange(12).reshape(3, 4) % 2
                                                            == 0))]),
    Case("gather", lambda dev, x: x.gather(1, _index(dev, [0, 0], [1, 3], [2, 1]))),
    Case("index_select", lambda dev, x: x.index_select(1, _index(dev, 3, 0, 3))),
    Case("take_along_dim", lambda dev, x: x.take_along_dim(_index(dev, [1], [0], [3]), 1)),
    Case("masked_fill", lambda dev, x: x.masked_fill(
        cr.from_numpy(dev(np.arange(12).reshape(3, 4) % 3 == 0)), 0.25)),
    Case("setitem", lambda dev, x, v: _setitem(x, v), shapes=((3, 4), (2,))),
    # products
    Case("matmul", lambda dev, x, y: x @ y, shapes=((3, 4), (4, 2))),
    Case("matmul_vector", lambda dev, x, y: x @ y, shapes=((4,), (2, 4, 3))),
    Case("matmul_batch", lambda dev, x, y: x @ y, shapes=((2, 3, 4), (2, 4, 5))),
    Case("einsum", lambda dev, x, y: cnp.einsum("ij,jk->ik", x, y), shapes=((3, 4), (4, 2))),
    Case("einsum_three", lambda dev, x, y, z: cnp.einsum("ij,jk,k->i", x, y, z),
         shapes=((3, 4), (4, 2), (2,))),
    # dense linear algebra (well-conditioned inputs)
    Case("inv", lambda dev, a: cnp.linalg.inv(_spd(dev, a)), shapes=((3, 3),)),
    Case("det", lambda dev, a: cnp.linalg.det(_spd(dev, a)), shapes=((3, 3),)),
    Case("slogdet", lambda dev, a: cnp.linalg.slogdet(_spd(dev, a))[1], shapes=((3, 3),)),
    Case("solve", lambda dev, a, b: cnp.linalg.solve(_spd(dev, a), b), shapes=((3, 3), (3, 2))),
    Case("cholesky", lambda dev, a: cnp.linalg.cholesky(_spd(dev, a)), shapes=((3, 3),)),
    Case("eigh_values", lambda dev, a: cnp.linalg.eigh(_spd(dev, a))[0], shapes=((3, 3),)),
    Case("eigh_vectors", lambda dev, a: cnp.linalg.eigh(_spd(dev, a))[1], shapes=((3, 3),)),
    # spectral
    Case("fft", lambda dev, x: cnp.fft.fft(x).real, shapes=((8,),)),
    Case("rfft", lambda dev, x: cnp.fft.rfft(x).imag, shapes=((8,),)),
    # networks
    Case("softmax", lambda dev, x: F.softmax(x, dim=1)),
    Case("log_softmax", lambda dev, x: F.log_softmax(x, dim=-1)),
    Case("conv2d", lambda dev, x, w: F.conv2d(x, w, padding=1),
         shapes=((2, 3, 5, 5), (4, 3, 3, 3))),
    Case("conv2d_bias", lambda dev, x, w, b: F.conv2d(x, w, b),
         shapes=((2, 3, 5, 5), (4, 3, 3, 3), (4,))),
    Case("conv2d_stride2", lambda dev, x, w: F.conv2d(x, w, stride=2),
         shapes=((2, 3, 6, 6), (4, 3, 3, 3))),
    Case("conv2d_groups", lambda dev, x, w: F.conv2d(x, w, groups=2),
         shapes=((2, 4, 5, 5), (4, 2, 3, 3))),
    Case("max_pool2d", lambda dev, x: F.max_pool2d(x, 2), shapes=((2, 3, 4, 6),)),
    Case("max_pool2d_overlap", lambda dev, x: F.max_pool2d(x, 3, stride=1, padding=1),
         shapes=((2, 3, 4, 5),)),
    Case("avg_pool2d", lambda dev, x: F.avg_pool2d(x, 2), shapes=((2, 3, 4, 6),)),
    Case("layer_norm", lambda dev, x, w, b: F.layer_norm(x, (4,), w, b),
         shapes=((3, 4), (4,), (4,))),
    Case("cross_entropy", lambda dev, x: F.cross_entropy(x, _index(dev, 0, 3, 1))),
    Case("cross_entropy_probabilities", lambda dev, x, q: F.cross_entropy(x, F.softmax(q, 1)),
         shapes=((3, 4), (3, 4))),
]

_STAND_INS = ("leaky_relu elu gelu softplus clamp sum mean prod amax amin logsumexp var std "
              "cumsum cumprod reshape flatten squeeze unsqueeze expand broadcast_to permute "
              "transpose moveaxis repeat tile flip roll pad split chunk unbind clone gather "
              "index_select take_along_dim masked_fill matmul").split()
ROW_OF = dict({n: n for n in _STAND_INS}, gelu_tanh="gelu", clamp_tensor_bounds="clamp",
              sum_all="sum", max_dim="max", min_all="min", norm2="norm", norm1="norm",
              norm_inf="norm", norm3="norm", matmul_vector="matmul", matmul_batch="matmul")
TABLE_CASES = _table_cases()
_ROWS = {c.row for c in TABLE_CASES}
CASES = TABLE_CASES + [c for c in EXTRA_CASES if ROW_OF.get(c.name) not in _ROWS]


def _spd(dev, a):
    """A symmetric positive definite matrix made from ``a`` (differentiably)."""
    n = a.shape[-1]
    return a @ a.mT + cr.from_numpy(dev(3.0 * np.eye(n)))


def _setitem(x, v):
    y = x * 1.0
    y[1, 1:3] = v
    return y


# Every case must pass in both phases: every forward and rule reaches arrays through xp.
PARAMS = [pytest.param(case, id=case.name) for case in CASES]


# ----- running a case -----------------------------------------------------------------------
def _run(case, dev):
    """The outputs and the inputs' gradients, on arrays made by ``dev``."""
    rng = np.random.default_rng(7)
    xs = [cr.from_numpy(dev(rng.uniform(lo, hi, size=shape))).requires_grad_(True)
          for shape, (lo, hi) in zip(case.shapes, case.domains)]
    out = case.fn(dev, *xs)
    outs = tuple(out) if isinstance(out, (tuple, list)) else (out,)  # split, chunk, unbind
    cotangents = [dev(np.asarray(rng.uniform(-1.0, 1.0, size=o.shape)).astype(o.dtype))
                  for o in outs]
    cr.autograd.backward(outs, cotangents)
    return outs, [x.grad for x in xs]


def _check(case, phase, monkeypatch):
    __tracebackhide__ = True
    with np.errstate(all="ignore"):
        want_outs, want_grads = _run(case, _plain)
        checking.install(monkeypatch, phase)
        try:
            outs, grads = _run(case, guard)
        except BackendLeak as exc:
            # Raised afresh: the message names the place, and a short traceback keeps the
            # expected failures cheap to report.
            raise BackendLeak(str(exc)) from None
    for i, (out, want) in enumerate(zip(outs, want_outs)):
        assert type(out._data) is Guarded, f"output {i} is {type(out._data).__name__}"
        np.testing.assert_allclose(out._data.view(np.ndarray), want._data, rtol=1e-10,
                                   atol=1e-12)
    for i, (g, w) in enumerate(zip(grads, want_grads)):
        assert (g is None) == (w is None), f"input {i}: a gradient in one run only"
        if g is None:
            continue  # (the shape source of expand_as, view_as)
        assert type(g._data) is Guarded, f"the gradient of input {i} is {type(g._data).__name__}"
        assert g.dtype == w.dtype and g.shape == w.shape
        np.testing.assert_allclose(g._data.view(np.ndarray), w._data, rtol=1e-10, atol=1e-12,
                                   err_msg=f"gradient of input {i}")
    assert any(g is not None for g in grads), "no gradient at all"


@pytest.fixture(autouse=True)
def _fresh_leaks():
    checking.LEAKS.clear()
    yield


@pytest.mark.parametrize("case", PARAMS)
def test_rules_use_the_data_namespace(case, monkeypatch):
    _check(case, "rules", monkeypatch)


@pytest.mark.parametrize("case", PARAMS)
def test_forwards_and_rules_use_the_data_namespace(case, monkeypatch):
    _check(case, "all", monkeypatch)


def test_the_ops_cover_what_the_issue_names():
    covered = {c.row or c.name for c in CASES}
    required = ["sum", "reshape", "getitem_int_array", "matmul", "softmax", "log_softmax",
                "conv2d", "max_pool2d", "layer_norm", "cross_entropy"]
    if TABLE_CASES:  # the elementwise ops come from the op table's rows
        required += ["exp", "tanh", "sigmoid", "mul", "div", "pow", "maximum", "atan2"]
        assert len([c for c in TABLE_CASES if len(c.shapes) == 1 and c.row == c.name]) > 30
    for name in required:
        assert name in covered, name


# ----- the check can fail --------------------------------------------------------------------
def test_the_guard_catches_a_direct_numpy_call():
    g = guard(np.linspace(0.1, 1.0, 6).reshape(2, 3))
    with checking.strict():
        for direct in (lambda: np.sin(g), lambda: np.sum(g), lambda: np.add.reduce(g, axis=0),
                       lambda: np.pad(g, 1), lambda: np.where(g > 0.5, g, 0.0),
                       lambda: np.zeros(3) * g, lambda: g * np.ones(3)):
            with pytest.raises(BackendLeak):
                direct()
        # The namespace and the array's own methods and operators are allowed.
        for allowed in (NAMESPACE.sin(g), NAMESPACE.sum(g, axis=0), NAMESPACE.zeros((2, 3)),
                        NAMESPACE.add.reduce(g, axis=1), NAMESPACE.where(g > 0.5, g, 0.0),
                        g.sum(), g * 2.0, -g, g[0], g.reshape(3, 2).T, g.astype(np.float32),
                        NAMESPACE.linalg.norm(g)):
            assert type(allowed) is Guarded, type(allowed)
        np.testing.assert_allclose(NAMESPACE.sin(g).view(np.ndarray), np.sin(g.view(np.ndarray)))
    # Outside a forward or a rule (front-end code) a direct call is only recorded.
    assert type(np.sin(g)) is Guarded
    assert checking.LEAKS[-1][0] == "front-end"


def _probe(forward, rule):
    prim = Primitive("probe", forward, saves=(0,), saves_ans=False)
    return defvjp(prim, rule)


@pytest.mark.parametrize("phase", ["rules", "all"])
def test_the_guard_catches_a_rule_that_calls_numpy(phase, monkeypatch):
    leaky = _probe(lambda xp, x: x * 1.0, lambda xp, g, ans, x: g * np.cos(x))
    clean = _probe(lambda xp, x: x * 1.0, lambda xp, g, ans, x: g * xp.cos(x))
    checking.install(monkeypatch, phase, extra=(leaky, clean))
    x = cr.from_numpy(guard(np.linspace(0.1, 1.0, 4))).requires_grad_(True)
    apply(clean, (x,)).backward(gradient=cr.from_numpy(guard(np.ones(4))))
    assert type(x.grad._data) is Guarded
    np.testing.assert_allclose(x.grad._data.view(np.ndarray), np.cos(np.linspace(0.1, 1.0, 4)))
    out = apply(leaky, (x,))
    with pytest.raises(BackendLeak, match="numpy.cos .* rule of probe"):
        out.backward(gradient=cr.from_numpy(guard(np.ones(4))))


@pytest.mark.parametrize("phase", ["rules", "all"])
def test_the_guard_catches_a_forward_that_calls_numpy(phase, monkeypatch):
    leaky = _probe(lambda xp, x: np.cos(x), lambda xp, g, ans, x: -g * xp.sin(x))
    made = _probe(lambda xp, x: np.zeros(x.shape) + 1.0,
                  lambda xp, g, ans, x: xp.zeros_like(g))
    # A converted forward: it reaches arrays through the namespace it is given.
    neutral = _probe(lambda xp, x: xp.cos(x),
                     lambda xp, g, ans, x: -g * xp.sin(x))
    checking.install(monkeypatch, phase, extra=(leaky, made, neutral))
    x = cr.from_numpy(guard(np.linspace(0.1, 1.0, 4))).requires_grad_(True)
    out = apply(neutral, (x,))
    out.backward(gradient=cr.from_numpy(guard(np.ones(4))))
    assert type(out._data) is Guarded and type(x.grad._data) is Guarded
    if phase == "rules":  # forwards may call NumPy here; their outputs are made Guarded
        assert type(apply(leaky, (x,))._data) is Guarded
        assert type(apply(made, (x,))._data) is Guarded
        return
    with pytest.raises(BackendLeak, match="numpy.cos .* forward of probe"):
        apply(leaky, (x,))
    with pytest.raises(BackendLeak, match="returned a NumPy array"):
        apply(made, (x,))


if __name__ == "__main__":  # python tests/test_backend_neutral.py: every leak, by case
    from _pytest.monkeypatch import MonkeyPatch
    for phase in ("rules", "all"):
        for case in CASES:
            patch = MonkeyPatch()
            checking.LEAKS.clear()
            try:
                with checking.recording():
                    _check(case, phase, patch)
            finally:
                patch.undo()
            for kind, prim, what, where in dict.fromkeys(checking.LEAKS):
                if kind != "front-end":
                    print(f"{phase:5} {case.name:28} {kind} of {prim}: {what} at {where}")
