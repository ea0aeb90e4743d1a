"""chainrule.compile's constant folding and dead-line removal: a value that follows from the
program alone is made once, by the trace, unless a write changes it later or a caller can
reach it; a product with a multiple of the identity is a scaling, bitwise the GEMM's; lines
nothing reads are dropped, writes into memory that is read later are kept."""
import warnings

import numpy as np
import pytest

import chainrule as cr
from chainrule.compiler._fold import identity_product
from conftest import same_bits


def replays(fn, inputs):
    """``fn`` compiled, called on each input; its results beside eager's, and the program."""
    compiled = cr.compile(fn)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # NumPy's, as eager's: inf * 0
        warnings.filterwarnings("error", "compile")  # a fallback would not test the program
        got = [compiled(x) for x in inputs]
        want = [fn(x) for x in inputs]
    return got, want, compiled.source()


def inputs(n=3, shape=(4,), seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape) for _ in range(n)]


def test_a_constant_the_caller_gets_is_new_on_every_replay():
    def f(x):
        return x * 2, np.zeros(3)
    compiled = cr.compile(f)
    first = compiled(np.ones(4))[1]
    first += 7.0  # the caller owns it
    second = compiled(np.ones(4))[1]
    assert second is not first and second.tolist() == [0.0, 0.0, 0.0]


def test_a_constant_read_by_the_program_is_made_once():
    def f(x):
        basis = np.eye(4) * 3.0
        return basis.sum(axis=0) + x
    got, want, source = replays(f, inputs())
    assert all(same_bits(g, w) for g, w in zip(got, want))
    assert "eye" not in source and len(source.splitlines()) < 8


def test_a_constant_written_after_it_was_made_is_made_on_every_replay():
    def f(x):
        buf = np.zeros(4)
        before = buf * 2.0  # made before the write: its value is fixed
        buf[1] = x[0]
        buf[2] = 5.0
        return before + buf + x
    got, want, _ = replays(f, inputs(4))
    assert all(same_bits(g, w) for g, w in zip(got, want))


def test_a_view_of_a_constant_filled_by_constant_writes_is_folded_with_its_values():
    def f(x):
        seeds = np.zeros((4, 4))
        seeds[np.arange(4), np.arange(4)] = 2.0
        return seeds.reshape(16)[:4] * x
    got, want, _ = replays(f, inputs())
    assert all(same_bits(g, w) for g, w in zip(got, want))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("side", ["left", "right"])
def test_a_product_with_a_multiple_of_the_identity_is_bitwise_the_gemm(dtype, side):
    def f(x):
        identity = np.eye(5, dtype=dtype) * dtype(-0.5)
        return identity @ x if side == "left" else x @ identity
    rng = np.random.default_rng(1)
    xs = [rng.standard_normal((5, 5)).astype(dtype) for _ in range(3)]
    xs.append(np.array([[-0.0, 0.0, 1e-40, -3.0, 7.0]] * 5, dtype))
    xs.append(np.where(np.eye(5) > 0, np.inf, 1.0).astype(dtype))  # the GEMM makes NaNs
    xs.append(np.full((5, 5), np.nan, dtype))
    xs.append(np.asfortranarray(xs[0]).T)
    got, want, source = replays(f, xs)
    assert "_identity_product" in source
    for g, w in zip(got, want):
        assert same_bits(g, w)


def test_identity_product_matches_matmul_on_layouts_and_signed_zeros():
    rng = np.random.default_rng(2)
    for dtype in (np.float32, np.float64):
        for k in (1.0, -2.0, 0.5, 3e-5):
            identity = np.eye(6, dtype=dtype) * dtype(k)
            base = rng.standard_normal((3, 6, 6)).astype(dtype)
            base[0, 0, :3] = [-0.0, 0.0, -0.0]
            for x in (base, base[0], base[0].T, base[:, ::2, :].swapaxes(1, 2)[..., :6],
                      base[1, :, 0]):
                for left in (True, False):
                    if x.shape[-1 if not left else 0 if x.ndim == 1 else -2] != 6:
                        continue
                    want = identity @ x if left else x @ identity
                    assert same_bits(identity_product(x, dtype(k), identity, left), want)


def test_a_line_nothing_reads_is_dropped():
    def with_unused(x):
        np.exp(x).sum()
        return x + 1.0

    def without(x):
        return x + 1.0
    got, want, source = replays(with_unused, inputs())
    assert all(same_bits(g, w) for g, w in zip(got, want))
    assert len(source.splitlines()) == len(replays(without, inputs())[2].splitlines())


def test_a_write_through_a_view_into_memory_read_later_is_kept():
    def f(x):
        buf = x * 1.0
        view = buf[1:3]
        view[...] = -1.0
        np.multiply(view, 2.0, out=view)
        return buf * 3.0
    got, want, _ = replays(f, inputs())
    assert all(same_bits(g, w) for g, w in zip(got, want))
    assert got[0][1:3].tolist() == [-6.0, -6.0]


def test_a_value_read_after_a_write_through_a_view_is_not_computed_early():
    def f(x):
        buf = x * 1.0
        buf[1:3][...] = -1.0
        if buf.sum() > 0:
            return x * 2.0
        return -x
    compiled = cr.compile(f)
    xs = [np.array([5.0, 0.0, 0.0, 1.0]), np.array([0.5, 9.0, 9.0, 0.2]), np.ones(4)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for x in xs + xs:
            assert same_bits(compiled(x), f(x))
    assert sum(len(v) for v in compiled._programs.values()) == 2  # one per branch


def test_a_decision_on_a_constant_needs_no_check():
    def f(x):
        if np.ones(2).sum() > 1:
            return x * 2.0
        return x
    got, want, source = replays(f, inputs())
    assert all(same_bits(g, w) for g, w in zip(got, want))
    assert "_MISS" not in source  # (NumPy inputs: their shapes and dtypes key the cache)


def test_a_decision_on_an_input_is_still_checked():
    def f(x):
        if (x * np.ones(4)).sum() > 0:
            return x * 2.0
        return -x
    compiled = cr.compile(f)
    for x in (np.ones(4), -np.ones(4), np.ones(4)):
        assert same_bits(compiled(x), f(x))


def test_the_hessian_folds_its_seeds_and_stays_bitwise():
    w = np.random.default_rng(3).standard_normal((7, 9))

    def f(v):
        return np.sum(np.tanh(w @ v)) + 0.5 * (v @ w.T @ w @ v)
    eager, compiled = cr.func.hessian(f), cr.compile(cr.func.hessian(f))
    for v in inputs(3, (9,), seed=4):
        assert same_bits(compiled(v), eager(v))
    assert "_identity_product" in compiled.source()
    assert "eye" not in compiled.source()


def test_a_compiled_forward_differentiates_with_a_pruned_backward():
    layer = cr.nn.Linear(4, 3)
    compiled = cr.compile(layer)
    x = cr.tensor(np.random.default_rng(5).standard_normal((2, 4)).astype(np.float32))
    for _ in range(2):
        layer.zero_grad()
        compiled(x).tanh().sum().backward()
        got = [p.grad.numpy().copy() for p in layer.parameters()]
        layer.zero_grad()
        layer(x).tanh().sum().backward()
        assert all(same_bits(g, p.grad.numpy()) for g, p in zip(got, layer.parameters()))
