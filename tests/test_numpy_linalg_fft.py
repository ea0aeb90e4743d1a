"""chainrule.numpy.linalg and chainrule.numpy.fft as NumPy code sees them (np.linalg.x and
np.fft.x on tensors, and under cr.func.grad): NumPy is the oracle for values, dtypes and
shapes; central differences (gradcheck / gradgradcheck, both modes) and torch.linalg /
torch.fft (where installed) for gradients."""
import numpy as np
import pytest

import chainrule as cr
import chainrule.numpy as cnp
from chainrule.autograd import gradcheck, gradgradcheck
from complex_check import check_complex
from chainrule.errors import OpError
from chainrule.func import grad
from chainrule.numpy import fft as cfft
from chainrule.numpy import linalg as L
from chainrule.ops import linalg as _ops_linalg

RNG = np.random.default_rng(0)
A43 = RNG.standard_normal((4, 3))
A34 = RNG.standard_normal((3, 4))
A33 = RNG.standard_normal((3, 3))
SYM = A33 + A33.T
ROT = np.array([[0.0, -2.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 3.0]]) + 0.1 * A33  # complex eigs

def t64(x):
    return cr.tensor(np.array(x), dtype="float64", requires_grad=True)


def check(f, *xs, forward=True, second=True):
    ins = tuple(t64(x) for x in xs)
    assert gradcheck(f, ins, check_forward_ad=forward)
    if second:
        assert gradgradcheck(f, ins, check_forward_ad=forward)


# ----- values, through np.linalg dispatch ----------------------------------------------------
@pytest.mark.parametrize("x", [A43, A34, A33], ids=["tall", "wide", "square"])
@pytest.mark.parametrize("full", [True, False])
def test_svd_values_are_numpys(x, full):
    got = np.linalg.svd(cr.tensor(x), full_matrices=full)
    want = np.linalg.svd(x, full_matrices=full)
    for g, w in zip(got, want):
        assert g.shape == w.shape
        np.testing.assert_allclose(g.numpy(), w, atol=1e-12)
    np.testing.assert_allclose(np.linalg.svd(cr.tensor(x), compute_uv=False).numpy(),
                               np.linalg.svd(x, compute_uv=False))
    np.testing.assert_allclose(L.svdvals(cr.tensor(x)).numpy(), np.linalg.svdvals(x))


@pytest.mark.parametrize("mode", ["reduced", "complete", "r"])
@pytest.mark.parametrize("x", [A43, A34], ids=["tall", "wide"])
def test_qr_values_are_numpys(x, mode):
    got, want = np.linalg.qr(cr.tensor(x), mode=mode), np.linalg.qr(x, mode=mode)
    got, want = (got, want) if mode != "r" else ((got,), (want,))
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.numpy(), w, atol=1e-12)


def test_qr_raw_and_bad_mode():
    h, tau = np.linalg.qr(cr.tensor(A43), mode="raw")
    np.testing.assert_allclose(h.numpy(), np.linalg.qr(A43, mode="raw")[0])
    with pytest.raises(OpError, match="complete"):
        L.qr(t64(A43), mode="complete")
    with pytest.raises(OpError, match="unknown mode"):
        L.qr(cr.tensor(A43), mode="full")


def test_eig_values_and_dtypes_are_numpys():
    for x in (A33, ROT, np.diag([1.0, 2.0, 3.0]) + np.triu(np.ones((3, 3)), 1)):
        w, v = np.linalg.eig(cr.tensor(x))
        ww, vv = np.linalg.eig(x)
        assert w.dtype == ww.dtype and v.dtype == vv.dtype
        np.testing.assert_allclose(w.numpy(), ww)
        np.testing.assert_allclose(v.numpy(), vv)
        np.testing.assert_allclose(np.linalg.eigvals(cr.tensor(x)).numpy(), ww)
    assert np.linalg.eig(cr.tensor(ROT)).eigenvalues.dtype == np.complex128
    assert np.linalg.eig(cr.tensor(A33)).eigenvalues.dtype == np.float64


def test_eigh_upper_reads_the_upper_triangle_with_numpys_signs():
    x = A33.copy()  # not symmetric: the two triangles give different matrices
    for uplo in ("L", "U"):
        w, v = np.linalg.eigh(cr.tensor(x), uplo)
        ww, vv = np.linalg.eigh(x, uplo)
        np.testing.assert_allclose(w.numpy(), ww, atol=1e-12)
        np.testing.assert_allclose(v.numpy(), vv, atol=1e-12)
        np.testing.assert_allclose(np.linalg.eigvalsh(cr.tensor(x), uplo).numpy(), ww)
    with pytest.raises(OpError, match="UPLO"):
        L.eigh(cr.tensor(x), "X")


def test_eigh_upper_gradient_reads_the_upper_triangle():
    g = grad(lambda a: np.sum(np.linalg.eigh(a, "U")[0] ** 3))(A33)
    assert np.all(np.tril(g, -1) == 0) and np.any(np.triu(g, 1) != 0)


def test_cholesky_upper_is_numpys():
    spd = A33 @ A33.T + 3 * np.eye(3)
    np.testing.assert_allclose(np.linalg.cholesky(cr.tensor(spd), upper=True).numpy(),
                               np.linalg.cholesky(spd, upper=True))


@pytest.mark.parametrize("rcond", [None, 1e-15, 0.3])
def test_pinv_honours_rcond(rcond):
    x = np.diag([4.0, 1.0, 0.1]) @ A33
    want = np.linalg.pinv(x) if rcond is None else np.linalg.pinv(x, rcond=rcond)
    got = L.pinv(cr.tensor(x)) if rcond is None else np.linalg.pinv(cr.tensor(x), rcond=rcond)
    np.testing.assert_allclose(got.numpy(), want, atol=1e-12)
    np.testing.assert_allclose(L.pinv(cr.tensor(x), rtol=0.3).numpy(),
                               np.linalg.pinv(x, rtol=0.3), atol=1e-12)
    with pytest.raises(OpError, match="rtol"):
        L.pinv(cr.tensor(x), rcond=0.1, rtol=0.1)


def test_pinv_hermitian_is_numpys():
    np.testing.assert_allclose(L.pinv(cr.tensor(SYM), hermitian=True).numpy(),
                               np.linalg.pinv(SYM, hermitian=True), atol=1e-12)


@pytest.mark.parametrize("rcond", [None, -1, 0.5])
@pytest.mark.parametrize("a, b", [(A43, A43[:, 0] + 1), (A43, A43[:, :2] * 2),
                                  (A34, A34[:, 1]), (np.ones((3, 2)), np.arange(3.0))],
                         ids=["tall-vector", "tall-matrix", "wide", "rank-deficient"])
def test_lstsq_returns_numpys_tuple(a, b, rcond):
    got = np.linalg.lstsq(cr.tensor(a), cr.tensor(b), rcond=rcond)
    want = np.linalg.lstsq(a, b, rcond=rcond)
    assert len(got) == 4 and got[2] == want[2]
    for g, w in zip((got[0], got[1], got[3]), (want[0], want[1], want[3])):
        assert g.shape == w.shape
        np.testing.assert_allclose(g.numpy(), w, atol=1e-10)


def test_lstsq_errors():
    with pytest.raises(OpError, match="rows"):
        L.lstsq(cr.tensor(A43), cr.tensor(np.ones(3)))
    with pytest.raises(OpError, match="batches"):
        L.lstsq(cr.tensor(np.ones((2, 4, 3))), cr.tensor(np.ones((2, 4))))


def test_every_function_takes_numpys_parameters():
    import inspect
    for name in L.__all__:
        ours = inspect.signature(getattr(L, name)).parameters
        theirs = inspect.signature(getattr(np.linalg, name)).parameters
        assert list(ours)[:len(theirs)] == list(theirs), name


# ----- gradients: finite differences, both modes, second order --------------------------------
SVD_CASES = {
    "S": lambda a: L.svd(a, compute_uv=False),
    "U": lambda a: L.svd(a, full_matrices=False).U ** 2,
    "Vh": lambda a: L.svd(a, full_matrices=False).Vh ** 2,
    "all": lambda a: tuple(L.svd(a, full_matrices=False)),
    "usv": lambda a: (lambda r: r.U @ r.Vh * 1.5)(L.svd(a, full_matrices=False)),
}


@pytest.mark.parametrize("x", [A43, A34, A33], ids=["tall", "wide", "square"])
@pytest.mark.parametrize("case", sorted(SVD_CASES))
def test_svd_gradcheck(case, x):
    check(SVD_CASES[case], x)


def test_svd_full_matrices_gradient_ignores_extra_columns_as_torch():
    check(lambda a: L.svd(a).U[:, :3] ** 2, A43, forward=False)
    check(lambda a: L.svd(a).Vh[:3] ** 2, A34, forward=False)
    with pytest.raises(OpError, match="full_matrices"):
        cr.func.jvp(lambda a: L.svd(a).U, (A43,), (A43,))


@pytest.mark.parametrize("part", ["Q", "R"])
@pytest.mark.parametrize("x", [A43, A34, A33], ids=["tall", "wide", "square"])
def test_qr_gradcheck(x, part):
    check(lambda a: getattr(L.qr(a), part), x)


@pytest.mark.parametrize("x", [A43, A34, A33[:, :2] @ A33[:2]], ids=["tall", "wide", "rank2"])
def test_pinv_gradcheck(x):
    # rank 2: a cut-off above the differences' steps keeps the rank, as the rule assumes
    check(lambda a: L.pinv(a, rcond=1e-3), x)


def test_lstsq_gradcheck():
    check(lambda a, b: L.lstsq(a, b)[0], A43, A43[:, 0] + 1)
    check(lambda a, b: L.lstsq(a, b)[0], A34, A34[:, :2])
    check(lambda a, b: L.lstsq(a, b)[1], A43, A43[:, :2] + 1)
    check(lambda a: L.lstsq(a, cr.tensor(np.arange(4.0)))[3], A43)


def test_eig_gradcheck():
    # complex eigenvalues of a real matrix, in both modes and to second order
    check(lambda a: (cnp.real(L.eigvals(a)), cnp.imag(L.eigvals(a))), ROT, forward=True,
          second=True)
    check(lambda a: cnp.abs(L.eig(a).eigenvectors), ROT, forward=True, second=True)
    real_eigs = np.diag([1.0, 2.0, 4.0]) + 0.3 * A33
    assert np.isrealobj(np.linalg.eigvals(real_eigs))
    check(lambda a: L.eig(a)[1] ** 2, real_eigs)


@pytest.mark.parametrize("x", [A43, A33], ids=["tall", "square"])
def test_ill_conditioned_svd_and_qr_gradients(x):
    u, _, vh = np.linalg.svd(x, full_matrices=False)
    s = np.array([1.0, 1e-3, 1e-6])
    ill = (u * s) @ vh  # condition number 1e6
    g = grad(lambda a: np.sum(np.linalg.svd(a, compute_uv=False) * np.arange(1.0, 4.0)))(ill)
    np.testing.assert_allclose(g, (u * np.arange(1.0, 4.0)) @ vh, atol=1e-9)
    # U's gradient there: against torch (float64), which is computed the same direct way
    torch = pytest.importorskip("torch")
    w = np.linspace(-1, 1, u.size).reshape(u.shape)
    ta = torch.tensor(ill, requires_grad=True)
    tu, _, tvh = torch.linalg.svd(ta, full_matrices=False)
    ((tu * torch.tensor(w)) ** 2).sum().backward()
    ours = grad(lambda a: np.sum((np.linalg.svd(a, full_matrices=False)[0] * w) ** 2))(ill)
    np.testing.assert_allclose(ours, ta.grad.numpy(), rtol=1e-6, atol=1e-6)
    tq = torch.tensor(ill, requires_grad=True)
    q, r = torch.linalg.qr(tq)
    (q.sum() + (r * torch.tensor(np.ones((3, 3)))).sum()).backward()
    ours = grad(lambda a: np.sum(np.linalg.qr(a)[0]) + np.sum(np.linalg.qr(a)[1]))(ill)
    np.testing.assert_allclose(ours, tq.grad.numpy(), rtol=1e-6, atol=1e-6)


# ----- torch as the oracle for gradients -------------------------------------------------------
TORCH_CASES = {
    # (even powers of U and Vh: torch's LAPACK may pick other signs than NumPy's)
    "svd": (lambda a: np.sum(np.linalg.svd(a, full_matrices=False)[0] ** 4) +
            np.sum(np.linalg.svd(a, full_matrices=False)[1] ** 3) +
            np.sum(np.linalg.svd(a, full_matrices=False)[2] ** 4),
            lambda t, a: sum(((p ** k).sum() for p, k in
                              zip(t.linalg.svd(a, full_matrices=False), (4, 3, 4))))),
    "svd_full": (lambda a: np.sum(np.linalg.svd(a)[0][:, :3] ** 4),
                 lambda t, a: (t.linalg.svd(a)[0][:, :3] ** 4).sum()),
    "qr": (lambda a: np.sum(np.linalg.qr(a)[0] ** 3) + np.sum(np.linalg.qr(a)[1] ** 2),
           lambda t, a: (t.linalg.qr(a)[0] ** 3).sum() + (t.linalg.qr(a)[1] ** 2).sum()),
    "pinv": (lambda a: np.sum(np.linalg.pinv(a) ** 3),
             lambda t, a: (t.linalg.pinv(a) ** 3).sum()),
    "lstsq": (lambda a: np.sum(np.linalg.lstsq(a, np.arange(4.0))[0] ** 3),
              lambda t, a: (t.linalg.lstsq(a, t.arange(4.0, dtype=a.dtype)[:, None])
                            .solution ** 3).sum()),
}


@pytest.mark.parametrize("name", sorted(TORCH_CASES))
def test_gradients_match_torch(name):
    torch = pytest.importorskip("torch")
    ours, theirs = TORCH_CASES[name]
    ta = torch.tensor(A43, requires_grad=True)
    theirs(torch, ta).backward()
    np.testing.assert_allclose(grad(ours)(A43), ta.grad.numpy(), rtol=1e-8, atol=1e-10)


def test_eig_gradients_match_torch():
    torch = pytest.importorskip("torch")
    ta = torch.tensor(ROT, requires_grad=True)
    w, v = torch.linalg.eig(ta)
    (w.real ** 2 + w.imag * 0.5).sum().add((v.abs() ** 3).sum()).backward()

    def ours(a):
        w, v = np.linalg.eig(a)
        return np.sum(np.real(w) ** 2 + np.imag(w) * 0.5) + np.sum(np.abs(v) ** 3)
    np.testing.assert_allclose(grad(ours)(ROT), ta.grad.numpy(), rtol=1e-8, atol=1e-10)


# ----- complex rules -------------------------------------------------------------------------
COMPLEX_CASES = {
    "svdvals": (lambda z: L.svd(z, compute_uv=False), (4, 3)),
    "svd_abs_u": (lambda z: cnp.abs(L.svd(z, full_matrices=False).U), (4, 3)),
    "svd_product": (lambda z: (lambda r: r.U @ r.Vh)(L.svd(z, full_matrices=False)), (3, 4)),
    "qr_r": (lambda z: L.qr(z).R, (4, 3)),
    "qr_q": (lambda z: L.qr(z).Q, (3, 3)),
    "pinv": (lambda z: L.pinv(z), (4, 3)),
    "det": (lambda z: L.det(z), (3, 3)),
    "eigvals": (lambda z: L.eigvals(z), (3, 3)),
    "eig_abs_v": (lambda z: cnp.abs(L.eig(z)[1]), (3, 3)),
    "norm2": (lambda z: L.norm(z, 2), (3, 3)),
    "norm_nuc": (lambda z: L.norm(z, "nuc"), (3, 3)),
    "lstsq": (lambda z: L.lstsq(z, cr.tensor(np.arange(4.0) + 1j))[0], (4, 3)),
    "inv": (lambda z: L.inv(z), (3, 3)),
    "solve": (lambda z: L.solve(z, cr.tensor(np.arange(3.0) + 1j)), (3, 3)),
}
# these need their own complex rules in chainrule/ops/linalg.py
COMPLEX_OWN_RULES = {
    "slogdet": (lambda z: L.slogdet(z)[1], (3, 3), _ops_linalg.slogdet_p),
    "eigvalsh": (lambda z: L.eigvalsh(z), (3, 3), _ops_linalg.eigh_p),
    "eigh_abs_v_upper": (lambda z: cnp.abs(L.eigh(z, "U")[1]), (3, 3), _ops_linalg.eigh_p),
}


@pytest.mark.parametrize("name", sorted(COMPLEX_CASES))
def test_complex_gradcheck(name):
    f, shape = COMPLEX_CASES[name]
    check_complex(f, shape, seed=1)


@pytest.mark.parametrize("name", sorted(COMPLEX_OWN_RULES))
def test_complex_gradcheck_own_rules(name):
    f, shape, prim = COMPLEX_OWN_RULES[name]
    assert prim.complex_ok, f"{prim.name} must accept complex values"
    check_complex(f, shape, seed=1)


@pytest.mark.parametrize("name", ["svdvals", "svd_abs_u", "eigvals"])
def test_complex_first_order_reverse_against_torch(name):
    torch = pytest.importorskip("torch")
    z = RNG.standard_normal((3, 3)) + 1j * RNG.standard_normal((3, 3))
    ours = {"svdvals": lambda z: np.sum(np.linalg.svd(z, compute_uv=False) ** 3),
            "svd_abs_u": lambda z: np.sum(np.abs(np.linalg.svd(z)[0]) ** 3),
            "eigvals": lambda z: np.sum(np.abs(np.linalg.eigvals(z)) ** 3)}[name]
    theirs = {"svdvals": lambda z: (torch.linalg.svdvals(z) ** 3).sum(),
              "svd_abs_u": lambda z: (torch.linalg.svd(z)[0].abs() ** 3).sum(),
              "eigvals": lambda z: (torch.linalg.eigvals(z).abs() ** 3).sum()}[name]
    tz = torch.tensor(z, requires_grad=True)
    theirs(tz).backward()
    np.testing.assert_allclose(grad(ours)(z), tz.grad.numpy(), rtol=1e-8, atol=1e-10)


def test_complex_eigh_values_hermitian_from_either_triangle():
    z = RNG.standard_normal((3, 3)) + 1j * RNG.standard_normal((3, 3))
    for uplo in ("L", "U"):
        np.testing.assert_allclose(np.linalg.eigvalsh(cr.tensor(z), uplo).numpy(),
                                   np.linalg.eigvalsh(z, uplo), atol=1e-12)


# ----- fft -------------------------------------------------------------------------------------
X = RNG.standard_normal((4, 6))
Z = X + 1j * RNG.standard_normal((4, 6))
FFTS = [("fft", Z), ("ifft", Z), ("fft2", Z), ("ifft2", Z), ("fftn", Z), ("ifftn", Z),
        ("rfft", X), ("irfft", Z), ("rfft2", X), ("irfft2", Z), ("rfftn", X), ("irfftn", Z)]
NORMS = [None, "backward", "ortho", "forward"]


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("name, x", FFTS, ids=[n for n, _ in FFTS])
def test_fft_values_are_numpys(name, x, norm):
    got = getattr(np.fft, name)(cr.tensor(x), norm=norm)
    want = getattr(np.fft, name)(x, norm=norm)
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_allclose(got.numpy(), want, atol=1e-12)


@pytest.mark.parametrize("name, kw", [("fft", {"n": 8}), ("ifft", {"n": 3, "axis": 0}),
                                      ("rfft", {"n": 9}), ("irfft", {"n": 7}),
                                      ("fftn", {"s": (3, 8), "axes": (0, 1)}),
                                      ("rfftn", {"s": (5, 4), "axes": (0, 1)}),
                                      ("irfftn", {"s": (5, 9), "axes": (0, 1)}),
                                      ("rfft2", {"axes": (1, 0)})])
def test_fft_sizes_and_axes_are_numpys(name, kw):
    x = X if name.startswith("rfft") else Z
    np.testing.assert_allclose(getattr(cfft, name)(cr.tensor(x), **kw).numpy(),
                               getattr(np.fft, name)(x, **kw), atol=1e-12)


@pytest.mark.parametrize("axes", [None, 0, (1,), (0, 1), (-1, 0)])
def test_fftshift_values(axes):
    for f in ("fftshift", "ifftshift"):
        np.testing.assert_array_equal(getattr(np.fft, f)(cr.tensor(X), axes=axes).numpy(),
                                      getattr(np.fft, f)(X, axes=axes))


def test_fft_bad_norm():
    with pytest.raises(ValueError, match="norm"):
        cfft.fft(cr.tensor(Z), norm="both")
    with pytest.raises(TypeError, match="real"):
        cfft.rfft2(cr.tensor(Z))


@pytest.mark.parametrize("norm", ["ortho", "forward"])
@pytest.mark.parametrize("name, real", [("fft", False), ("ifft2", False), ("rfft2", True),
                                        ("rfftn", True), ("irfft2", False), ("irfftn", False),
                                        ("fftshift", True), ("ifftshift", False)])
def test_fft_gradcheck(name, real, norm):
    kw = {} if "shift" in name else {"norm": norm}
    f = getattr(cfft, name)
    if real:
        check(lambda a: (lambda w: (cnp.real(w), cnp.imag(w)))(f(a, **kw)), X[:3, :4])
    else:
        check_complex(lambda z: f(z, **kw), (3, 4), seed=1)


@pytest.mark.parametrize("norm", NORMS[1:])
@pytest.mark.parametrize("name", ["fft", "rfft2", "irfftn", "ifftn"])
def test_fft_gradients_match_torch(name, norm):
    torch = pytest.importorskip("torch")
    x = Z if name.startswith(("i", "fft")) and not name.startswith("rfft") else X
    w = np.cos(np.arange(getattr(np.fft, name)(x).size)).reshape(getattr(np.fft, name)(x).shape)

    def ours(a):
        out = getattr(np.fft, name)(a, norm=norm)
        return np.sum(np.real(out) * w) + np.sum(np.imag(out) ** 2) if np.iscomplexobj(out) \
            else np.sum(out * w)
    tx = torch.tensor(x, requires_grad=True)
    out = getattr(torch.fft, name)(tx, norm=norm)
    loss = (out.real * torch.tensor(w)).sum() + (out.imag ** 2).sum() if out.is_complex() \
        else (out * torch.tensor(w)).sum()
    loss.backward()
    np.testing.assert_allclose(grad(ours)(x), tx.grad.numpy(), rtol=1e-8, atol=1e-10)
