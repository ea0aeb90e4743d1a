"""Matrix products."""
from __future__ import annotations

import math

import numpy as np

from ..autograd.fastpath import binary_operator
from ..autograd.primitives import Primitive, apply, bilinear, call, defjvp, defvjp, defvjp_all
from ..autograd.tensor import Tensor
from ..errors import OpError
from ._util import shape_of

__all__ = ["matmul_p", "matmul", "mm", "bmm", "dot", "sublist_subscripts", "parse_einsum",
           "einsum_p", "einsum", "solve_p", "inv_p", "slogdet_p", "det_p", "cholesky_p", "eigh_p"]


def _matmul_vjp_x(xp, g, ans, x, y):
    # x itself may not be kept (saves_for): only y and the gradient's rank are used.
    if y.ndim == 1:  # (..., k) @ (k,) -> (...)
        return xp.expand_dims(g, -1) * y
    if g.ndim == y.ndim - 1:  # (k,) @ (..., k, n) -> (..., n)
        return xp.matmul(y, xp.expand_dims(g, -1))[..., 0]
    # Through the primitive: (..., m, n) @ (n, k) is then one GEMM (see _matmul_forward).
    return call(xp, matmul_p, g, xp.swapaxes(y, -1, -2))


def _matmul_vjp_y(xp, g, ans, x, y):
    # y itself may not be kept: only x and the gradient's rank are used.
    if x.ndim == 1:  # (k,) @ (..., k, n): dy = outer(x, g) per batch
        if g.ndim == 0:
            return g * x
        return xp.expand_dims(x, -1) * xp.expand_dims(g, -2)
    if g.ndim == x.ndim - 1:  # (..., m, k) @ (k,) -> (..., m): dy = x^T g
        return xp.matmul(xp.expand_dims(g, -2), x)[..., 0, :]
    # (y is not kept, so a 2-D y here cannot be told from a batch of them: F.linear
    # flattens its input to 2-D first, so that this is one GEMM.)
    return xp.matmul(xp.swapaxes(x, -1, -2), g)


def _matmul_forward(xp, x, y):
    if getattr(y, "ndim", 0) == 2 and getattr(x, "ndim", 0) > 2:
        # (..., m, k) @ (k, n) as one GEMM over the flattened leading dims: NumPy's matmul
        # would run one small GEMM per batch entry (and a non-contiguous x is copied once).
        lead = x.shape[:-1]
        out = xp.matmul(x.reshape(math.prod(lead), x.shape[-1]), y)
        return out.reshape(lead + (y.shape[-1],))
    return xp.matmul(x, y)


# Each operand's gradient reads only the other one: data @ W keeps data, not W.
matmul_p = bilinear(Primitive("matmul", _matmul_forward, saves=(0, 1), saves_ans=False,
                              saves_for=((1,), (0,)), vjps=(_matmul_vjp_x, _matmul_vjp_y),
                              holomorphic=True))


_matmul = binary_operator(matmul_p)


def matmul(x, y):
    """Matrix product with NumPy's rules: 1-D operands are vectors, leading dims broadcast.
    Two tensors must have the same dtype, as in PyTorch (NumPy code under a transform
    keeps NumPy's promotion).

    >>> from chainrule import ones
    >>> matmul(ones(2, 3), ones(3)).shape
    (2,)
    """
    if isinstance(x, Tensor) and isinstance(y, Tensor) and x._data.dtype is not y._data.dtype:
        _check_same_dtype("matmul", x, y)
    try:
        return _matmul(x, y)
    except OpError:
        _check_matmul_shapes(shape_of(x), shape_of(y))  # a clearer message, where it can
        raise


def _check_same_dtype(op: str, x, y, even_empty: bool = True) -> None:
    """Raise if two tensors (not NumPy-semantics boxes) have different dtypes: PyTorch's
    matrix products do not promote (its bmm does not look when an operand is empty)."""
    if x._propagates or y._propagates or not even_empty and not (x._data.size and y._data.size):
        return
    if x._data.dtype != y._data.dtype:
        raise OpError(f"{op}: expected both operands to have the same dtype, got "
                      f"{x._data.dtype} and {y._data.dtype}; convert one with .to()")


def _check_ranks(op: str, x, y, ranks: tuple, what: str) -> None:
    for name, v, rank in (("first", x, ranks[0]), ("second", y, ranks[1])):
        if len(shape_of(v)) != rank:
            raise OpError(f"{op}: the {name} operand must be {what}, got shape "
                          f"{shape_of(v)}; use matmul for other ranks")


def mm(x, y):
    """PyTorch's mm: the product of two matrices (2-D only)."""
    _check_ranks("mm", x, y, (2, 2), "a matrix (2-D)")
    sx, sy = shape_of(x), shape_of(y)
    if sx[1] != sy[0]:
        raise OpError(f"mm: shapes {sx} and {sy} cannot be multiplied ({sx[1]} != {sy[0]})")
    if isinstance(x, Tensor) and isinstance(y, Tensor):
        _check_same_dtype("mm", x, y)
    return _matmul(x, y)


def bmm(x, y):
    """PyTorch's bmm: batched matrix products of (b, n, k) and (b, k, m), no broadcasting."""
    _check_ranks("bmm", x, y, (3, 3), "a batch of matrices (3-D)")
    sx, sy = shape_of(x), shape_of(y)
    if sx[0] != sy[0] or sx[2] != sy[1]:
        raise OpError(f"bmm: shapes {sx} and {sy} cannot be multiplied: expected the second "
                      f"of shape ({sx[0]}, {sx[2]}, m)")
    if isinstance(x, Tensor) and isinstance(y, Tensor):
        _check_same_dtype("bmm", x, y, even_empty=False)
    return _matmul(x, y)


def dot(x, y):
    """PyTorch's dot: the inner product of two vectors of the same length (1-D only)."""
    _check_ranks("dot", x, y, (1, 1), "a vector (1-D)")
    sx, sy = shape_of(x), shape_of(y)
    if sx != sy:
        raise OpError(f"dot: vectors of shapes {sx} and {sy} have different lengths")
    if isinstance(x, Tensor) and isinstance(y, Tensor):
        _check_same_dtype("dot", x, y)
    return _matmul(x, y)


def _check_matmul_shapes(sx: tuple, sy: tuple) -> None:
    """Raise OpError saying why shapes ``sx`` and ``sy`` cannot be multiplied (called once
    NumPy has refused, so a valid product pays nothing)."""
    if not sx or not sy:
        raise OpError(f"matmul: both operands need at least 1 dimension, got shapes {sx} "
                      f"and {sy}; use * for scalars")
    kx = sx[-1]
    ky = sy[0] if len(sy) == 1 else sy[-2]
    if kx != ky:
        raise OpError(f"matmul: shapes {sx} and {sy} do not align: {kx} != {ky} (the last dim "
                      f"of the first must equal the {'only' if len(sy) == 1 else 'second-last'} "
                      f"dim of the second)")
    if len(sx) > 2 or len(sy) > 2:
        try:
            np.broadcast_shapes(sx[:-2], sy[:-2])
        except ValueError:
            raise OpError(f"matmul: batch dims of shapes {sx} and {sy} do not "
                          f"broadcast") from None


# ----- einsum --------------------------------------------------------------------------
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def sublist_subscripts(operand_and_sublists) -> tuple:
    """``einsum(op0, [0, 1], op1, [1, 2], [0, 2])`` (PyTorch's sublist form) as an equation
    and operands: each sublist's integers (or Ellipsis) become letters."""
    items = list(operand_and_sublists)
    out = items.pop() if len(items) % 2 else None

    def word(sub):
        try:
            return "".join("..." if s is Ellipsis else _LETTERS[s] for s in sub)
        except (IndexError, TypeError):
            raise OpError(f"einsum: sublist subscripts must be integers in [0, 52) or "
                          f"Ellipsis, got {sub!r}") from None
    equation = ",".join(word(sub) for sub in items[1::2])
    if out is not None:
        equation += "->" + word(out)
    return equation, items[0::2]


def parse_einsum(subscripts: str, shapes) -> tuple:
    """Explicit subscripts ``(inputs, output)`` with any '...' spelled out in letters."""
    subscripts = subscripts.replace(" ", "")
    if "->" in subscripts:
        lhs, out = subscripts.split("->")
    else:
        lhs, out = subscripts, None
    ins = lhs.split(",")
    if len(ins) != len(shapes):
        raise OpError(f"einsum: {len(ins)} operands in {subscripts!r} but {len(shapes)} given")
    used = set(subscripts) - set(".,->")
    spare = [c for c in _LETTERS if c not in used]
    ell_nd = max((len(s) - (len(sub) - 3) for sub, s in zip(ins, shapes) if "..." in sub),
                 default=0)
    ell = "".join(spare[:ell_nd])
    full = []
    for sub, s in zip(ins, shapes):
        if "..." in sub:
            n = len(s) - (len(sub) - 3)
            sub = sub.replace("...", ell[ell_nd - n:] if n else "")
        if len(sub) != len(s):
            raise OpError(f"einsum: subscripts {sub!r} do not fit an operand of shape {s}")
        full.append(sub)
    if out is None:
        counts = {}
        for sub in full:
            for c in sub:
                counts[c] = counts.get(c, 0) + 1
        out = ell + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ell))
    else:
        out = out.replace("...", ell)
    return tuple(full), out


def _einsum_forward(xp, *ops, ins, out):
    return xp.einsum(",".join(ins) + "->" + out, *ops, optimize=len(ops) > 2)


def _einsum_vjp(xp, g, ans, inputs, needs, ins, out):
    grads = []
    for k, need in enumerate(needs):
        if not need:
            grads.append(None)
            continue
        target, shape = ins[k], inputs[k].shape
        others = [(s, x) for i, (s, x) in enumerate(zip(ins, inputs)) if i != k]
        if len(set(target)) != len(target):
            # A letter repeated in this operand reads a diagonal: give each repeat a fresh
            # letter tied to the first by an identity matrix, and the gradient is that of
            # the einsum with the identities as further (constant) operands.
            unused = iter(c for c in _LETTERS if c not in "".join(ins) + out)
            fresh = []
            for pos, c in enumerate(target):
                if c in target[:pos]:
                    new = next(unused)
                    others.append((c + new, xp.eye(shape[pos], dtype=g.dtype)))
                    c = new
                fresh.append(c)
            target = "".join(fresh)
        available = set(out).union(*[set(s) for s, _ in others])
        kept = "".join(c for c in target if c in available)
        grad = call(xp, einsum_p, g, *[x for _, x in others],
                    ins=tuple([out] + [s for s, _ in others]), out=kept)
        if kept != target:  # letters summed inside this operand alone: broadcast back
            grad = xp.broadcast_to(xp.reshape(grad, tuple(
                n if c in kept else 1 for c, n in zip(target, shape))), shape)
        grads.append(grad)
    return grads


def _einsum_jvp(xp, ts, ans, *ops, ins, out):
    total = None
    for k, t in enumerate(ts):
        if t is None:
            continue
        args = list(ops)
        args[k] = t
        term = call(xp, einsum_p, *args, ins=ins, out=out)
        total = term if total is None else total + term
    return total


# (its rules never read the output)
einsum_p = Primitive("einsum", _einsum_forward, saves_ans=False, holomorphic=True)
defvjp_all(einsum_p, _einsum_vjp)
defjvp(einsum_p, _einsum_jvp)


def einsum(subscripts: str, *operands):
    """Einstein summation with NumPy's subscripts (``'...'`` included); differentiable in
    every operand.

    >>> from chainrule import ones
    >>> einsum("ij,jk->ik", ones(2, 3), ones(3, 4)).shape
    (2, 4)
    """
    ins, out = parse_einsum(subscripts, [shape_of(x) for x in operands])
    return apply(einsum_p, operands, {"ins": ins, "out": out})


# ----- dense linear algebra ------------------------------------------------------------------
def _mT(xp, a):
    return xp.swapaxes(a, -1, -2)


def _solve_forward(xp, a, b, vector):
    return xp.linalg.solve(a, b[..., None])[..., 0] if vector else xp.linalg.solve(a, b)


def _solve_vjp_b(xp, g, ans, a, b, vector):
    return call(xp, solve_p, _mT(xp, a), g, vector=vector)


def _solve_vjp_a(xp, g, ans, a, b, vector):
    gb = call(xp, solve_p, _mT(xp, a), g, vector=vector)
    if vector:
        return -xp.expand_dims(gb, -1) * xp.expand_dims(ans, -2)
    return -xp.matmul(gb, _mT(xp, ans))


def _solve_jvp(xp, ts, ans, a, b, vector):
    ta, tb = ts
    rhs = 0.0 if tb is None else tb
    if ta is not None:
        rhs = rhs - (xp.matmul(ta, xp.expand_dims(ans, -1))[..., 0] if vector
                     else xp.matmul(ta, ans))
    return call(xp, solve_p, a, rhs if not isinstance(rhs, float) else xp.zeros_like(ans),
                vector=vector)


solve_p = Primitive("solve", _solve_forward, saves=(0,), saves_ans=True, holomorphic=True)
defvjp(solve_p, _solve_vjp_a, _solve_vjp_b)
defjvp(solve_p, _solve_jvp)

inv_p = Primitive("inv", lambda xp, a: xp.linalg.inv(a), saves=(), saves_ans=True,
                  holomorphic=True)
defvjp(inv_p, lambda xp, g, ans, a: -xp.matmul(_mT(xp, ans), xp.matmul(g, _mT(xp, ans))))
defjvp(inv_p, lambda xp, ts, ans, a: -xp.matmul(ans, xp.matmul(ts[0], ans)))


def _slogdet_forward(xp, a):
    return xp.linalg.slogdet(a)[1]


def _slogdet_inverse(xp, a):
    """A^-1 for slogdet's rules, refused at a singular matrix: there log|det| is -inf and
    its slope infinite. (PyTorch returns the inf/nan its LU solve happens to give; NumPy's
    inverse raises LinAlgError, which would name neither the op nor the way out.)"""
    try:
        return call(xp, inv_p, a)
    except np.linalg.LinAlgError:
        raise OpError(f"slogdet: the gradient at a singular matrix (shape {a.shape}, "
                      f"{a.dtype}) is infinite: log|det| is -inf there; add a small multiple "
                      "of the identity to the matrix, or differentiate det instead (its "
                      "gradient there is finite)") from None


# d log|det A| = Re tr(A^-1 dA): the gradient is A^-H (A^-T for real A).
slogdet_p = Primitive("slogdet", _slogdet_forward, saves=(0,), saves_ans=False,
                      complex_ok=True)
defvjp(slogdet_p, lambda xp, g, ans, a: xp.expand_dims(xp.expand_dims(g, -1), -1) *
       xp.conj(_mT(xp, _slogdet_inverse(xp, a))))
defjvp(slogdet_p, lambda xp, ts, ans, a: xp.real(xp.trace(
    xp.matmul(_slogdet_inverse(xp, a), ts[0]), axis1=-2, axis2=-1)))

det_p = Primitive("det", lambda xp, a: xp.linalg.det(a), saves=(0,), saves_ans=True,
                  holomorphic=True)
defvjp(det_p, lambda xp, g, ans, a: xp.expand_dims(xp.expand_dims(g * ans, -1), -1) *
       _mT(xp, call(xp, inv_p, a)))
defjvp(det_p, lambda xp, ts, ans, a: ans * xp.trace(
    xp.matmul(call(xp, inv_p, a), ts[0]), axis1=-2, axis2=-1))


def _phi(xp, x):
    """Lower triangle with the diagonal halved."""
    n = x.shape[-1]
    return x * xp.tril(xp.ones((n, n), x.dtype), -1) + x * (0.5 * xp.eye(n, dtype=x.dtype))


def _cholesky_vjp(xp, g, ans, a):
    # A = L L^T: gA = sym(L^-T phi(L^T gL) L^-1) (Murray, 2016).
    lt = _mT(xp, ans)
    p = _phi(xp, xp.matmul(lt, g))
    linv = call(xp, inv_p, ans)
    s = xp.matmul(_mT(xp, linv), xp.matmul(p, linv))
    return 0.5 * (s + _mT(xp, s))


def _cholesky_jvp(xp, ts, ans, a):
    linv = call(xp, inv_p, ans)
    ta = 0.5 * (ts[0] + _mT(xp, ts[0]))
    return xp.matmul(ans, _phi(xp, xp.matmul(linv, xp.matmul(ta, _mT(xp, linv)))))


cholesky_p = Primitive("cholesky", lambda xp, a: xp.linalg.cholesky(a), saves=(), saves_ans=True)
defvjp(cholesky_p, _cholesky_vjp)
defjvp(cholesky_p, _cholesky_jvp)


def _eigh_forward(xp, a, part):
    w, v = xp.linalg.eigh(a)
    return w if part == 0 else v


def _eigh_f(xp, w):
    # F_ij = 1 / (w_j - w_i) off the diagonal (eigenvalues assumed distinct), 0 on it.
    diff = xp.expand_dims(w, -2) - xp.expand_dims(w, -1)
    n = w.shape[-1]
    eye = xp.eye(n, dtype=bool)
    return xp.where(eye, 0.0, 1.0 / xp.where(eye, 1.0, diff))


def _eigh_other(xp, ans, a, part):
    """(w, v): this node's output and the other one, recomputed from ``a`` (so that, in a
    recorded backward pass, both stay differentiable)."""
    other = call(xp, eigh_p, a, part=1 - part)
    return (ans, other) if part == 0 else (other, ans)


def _mH(xp, a):
    """The conjugate transpose of the last two dims (the transpose for real arrays)."""
    return xp.conj(xp.swapaxes(a, -1, -2))


def _eigh_vjp(xp, g, ans, a, part):
    w, v = _eigh_other(xp, ans, a, part)
    vh = _mH(xp, v)
    if part == 0:
        inner = xp.expand_dims(g, -1) * xp.eye(w.shape[-1], dtype=g.dtype)
    else:
        inner = _eigh_f(xp, w) * xp.matmul(vh, g)
    s = xp.matmul(v, xp.matmul(inner, vh))
    return 0.5 * (s + _mH(xp, s))


def _eigh_jvp(xp, ts, ans, a, part):
    w, v = _eigh_other(xp, ans, a, part)
    ta = 0.5 * (ts[0] + _mH(xp, ts[0]))
    m = xp.matmul(_mH(xp, v), xp.matmul(ta, v))
    if part == 0:
        return xp.real(xp.diagonal(m, axis1=-2, axis2=-1))
    return xp.matmul(v, _eigh_f(xp, w) * m)


# eigh has two outputs (part 0: eigenvalues, 1: eigenvectors), each its own node.
eigh_p = Primitive("eigh", _eigh_forward, saves=(0,), saves_ans=True, complex_ok=True)
defvjp(eigh_p, _eigh_vjp)
defjvp(eigh_p, _eigh_jvp)


def __dir__():  # dir() and tab completion show what the module exports, not its helpers
    return __all__
