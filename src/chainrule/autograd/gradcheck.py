"""Check analytic gradients against central finite differences (use float64 inputs)."""
from __future__ import annotations as _annotations

from typing import Callable as _Callable
from typing import Sequence as _Sequence

import numpy as _np

from . import grad_mode as _grad_mode
from .engine import grad as _grad
from .forward_ad import dual_level as _dual_level
from .forward_ad import make_dual as _make_dual
from .forward_ad import unpack_dual as _unpack_dual
from .tensor import Tensor as _Tensor
from .tensor import make_tensor as _make_tensor

__all__ = ["GradcheckError", "gradcheck", "gradgradcheck"]


class GradcheckError(AssertionError):
    """The analytic and numerical derivatives disagree; the message shows where."""


def _outputs(fn, inputs) -> tuple:
    out = fn(*inputs)
    return (out,) if isinstance(out, _Tensor) else tuple(out)


def _numerical_jacobians(fn, inputs, wrt, eps):
    """d(output k)/d(input i) by central differences, as arrays (out.size, in.size).
    Grad mode stays on: ``fn`` may itself compute gradients (gradgradcheck)."""
    with _grad_mode.enable_grad():
        outs = _outputs(fn, inputs)
        if not outs:
            raise GradcheckError("gradcheck: the function returned no outputs to check")
        jac = {(k, i): _np.zeros((o.numel(), inputs[i].numel()))
               for k, o in enumerate(outs) for i in wrt}
        for i in wrt:
            data = inputs[i]._data
            for j, idx in enumerate(_np.ndindex(data.shape)):
                orig = data[idx].copy()
                data[idx] = orig + eps
                plus = [o._data.astype(_np.float64).ravel() for o in _outputs(fn, inputs)]
                data[idx] = orig - eps
                minus = [o._data.astype(_np.float64).ravel() for o in _outputs(fn, inputs)]
                data[idx] = orig
                for k in range(len(outs)):
                    jac[k, i][:, j] = (plus[k] - minus[k]) / (2 * eps)
    return jac


def _analytical_jacobians(fn, inputs, wrt):
    """Row by row: one backward pass per output element."""
    outs = _outputs(fn, inputs)
    targets = [inputs[i] for i in wrt]
    jac = {}
    for k, o in enumerate(outs):
        for i in wrt:
            jac[k, i] = _np.zeros((o.numel(), inputs[i].numel()))
        if not o.requires_grad:
            continue
        for r in range(o.numel()):
            seed = _np.zeros(o.shape, dtype=o.dtype)
            seed.reshape(-1)[r] = 1
            grads = _grad(o, targets, grad_outputs=seed, retain_graph=True, allow_unused=True)
            for i, g in zip(wrt, grads):
                if g is not None:
                    if g.shape != inputs[i].shape:
                        raise GradcheckError(f"gradient for input {i} has shape {g.shape}, "
                                             f"expected {inputs[i].shape}")
                    jac[k, i][r] = g._data.ravel()
    return jac


def _forward_jacobians(fn, inputs, wrt):
    """Column by column: one forward-mode pass per input element."""
    jac = {}
    for i in wrt:
        x = inputs[i]
        for j in range(x.numel()):
            basis = _np.zeros(x.shape, dtype=x.dtype)
            basis.reshape(-1)[j] = 1
            with _dual_level():
                args = list(inputs)
                args[i] = _make_dual(x, basis)
                outs = _outputs(fn, args)
                for k, o in enumerate(outs):
                    col = jac.setdefault((k, i), _np.zeros((o.numel(), x.numel())))
                    tangent = _unpack_dual(o).tangent
                    if tangent is not None:
                        if tangent.shape != o.shape:
                            raise GradcheckError(f"tangent of output {k} has shape "
                                                 f"{tangent.shape}, expected {o.shape}")
                        col[:, j] = tangent._data.ravel()
    return jac


def _compare(kind, analytic, numeric, atol, rtol):
    for key, num in numeric.items():
        # An input with no elements makes no forward-mode pass: its Jacobian has no columns.
        ana = analytic.get(key, _np.zeros_like(num))
        if not _np.allclose(ana, num, atol=atol, rtol=rtol, equal_nan=True):
            diff = _np.abs(ana - num)
            worst = _np.unravel_index(_np.argmax(diff), diff.shape)
            return (f"gradcheck: {kind} Jacobian mismatch for output {key[0]} w.r.t. input "
                    f"{key[1]} at (output element, input element) {worst}: {kind} "
                    f"{ana[worst]:.8g}, numerical {num[worst]:.8g}\n{kind}:\n{ana}\n"
                    f"numerical:\n{num}")
    return None


def gradcheck(fn: _Callable, inputs: _Sequence, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True,
              check_forward_ad: bool = True, check_backward_ad: bool = True) -> bool:
    """Compare ``fn``'s reverse-mode and forward-mode Jacobians with central differences.

    ``inputs``: tensors (float64 for meaningful results); those that require grad are
    checked. Returns True, or raises ``GradcheckError`` naming the worst entry.

    >>> from chainrule import tensor
    >>> x = tensor([1., 2.], dtype="float64", requires_grad=True)
    >>> gradcheck(lambda x: (x * x).sum(), (x,))
    True
    """
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    wrt = [i for i, x in enumerate(inputs) if isinstance(x, _Tensor) and x.requires_grad]
    if not wrt:
        raise ValueError("gradcheck: no input requires grad")
    for i in wrt:
        if inputs[i].dtype != _np.float64:
            raise ValueError(f"gradcheck: input {i} is {inputs[i].dtype}; use float64, finite "
                             f"differences are too coarse otherwise")
    numeric = _numerical_jacobians(fn, inputs, wrt, eps)
    checks = []
    if check_backward_ad:
        checks.append(("reverse-mode", _analytical_jacobians))
    if check_forward_ad:
        checks.append(("forward-mode", _forward_jacobians))
    computed = []
    for kind, jacobians in checks:
        jac = jacobians(fn, inputs, wrt)
        computed.append(jac)
        msg = _compare(kind, jac, numeric, atol, rtol)
        if msg is None and len(computed) == 2:
            # Both modes give the same Jacobian to rounding: <J v, u> == <v, J^T u>.
            msg = _compare("forward-mode vs reverse-mode", computed[1], computed[0],
                           1e-10, 1e-8)
        if msg is not None:
            if raise_exception:
                raise GradcheckError(msg)
            return False
    return True


def gradgradcheck(fn: _Callable, inputs: _Sequence, eps: float = 1e-6, atol: float = 1e-5,
                  rtol: float = 1e-3, seed: int = 0, check_forward_ad: bool = True) -> bool:
    """Check second derivatives: the gradient of ``<v, fn(x)>`` (recorded with
    create_graph) is itself checked by :func:`gradcheck`."""
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    wrt = [i for i, x in enumerate(inputs) if isinstance(x, _Tensor) and x.requires_grad]
    rng = _np.random.default_rng(seed)
    outs = _outputs(fn, inputs)
    cotangents = [_make_tensor(rng.standard_normal(o.shape)) for o in outs]

    def first_order(*xs):
        ys = _outputs(fn, xs)
        pairs = [(y, v) for y, v in zip(ys, cotangents) if y.requires_grad]
        grads = _grad([y for y, _ in pairs], [xs[i] for i in wrt],
                      grad_outputs=[v for _, v in pairs], create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(first_order, inputs, eps=eps, atol=atol, rtol=rtol,
                     check_forward_ad=check_forward_ad)
