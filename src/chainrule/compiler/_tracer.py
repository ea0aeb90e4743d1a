"""What the core tells a compiling trace (see ``autograd.tracing``), handed to its recorder:
tensors met by a primitive, gradients written, ``zero_grad``, Python-only effects, and the
opaque calls (an optimizer's step, run as a call, or as a FlatStep where it can be one)."""
from __future__ import annotations

import numpy as np

from ..autograd.tensor import Tensor
from ._flat import FlatStep
from ._recorder import Recorder
from ._traced import Traced, plain, traced_in

__all__ = ["Tracer"]


class Tracer:
    """What the core tells a trace (see ``autograd.tracing``), passed to the recorder."""

    def __init__(self, rec: Recorder, fuse: bool = False):
        self.rec, self.fuse = rec, fuse  # fuse: optimizers' fused kernels too

    def __call__(self, prim, args, params, out) -> None:
        if not self.rec.suspended:
            self._check_seen(prim, [a._data for a in args if isinstance(a, Tensor)],
                             [t._data for t in (out if isinstance(out, tuple) else (out,))
                              if isinstance(t, Tensor)])

    def computed(self, prim, args, ans) -> None:
        if not self.rec.suspended:
            self._check_seen(prim, args, ans if isinstance(ans, (tuple, list)) else (ans,))

    def _check_seen(self, prim, inputs, outputs) -> None:
        """A result computed from traced arrays that comes back as a plain one was made
        by calls the trace did not see (a library's own binding of ``np.asarray``, made
        before the trace, then NumPy on the plain copy): a replay would hand out the first
        call's values, so the function runs eagerly."""
        if next(traced_in(tuple(inputs)), None) is None:
            return
        for o in outputs:
            if isinstance(o, np.ndarray) and o.__class__ is not Traced and o.size:
                self.rec.fail(f"{prim.name}: its forward made an array of shape {o.shape} "
                              f"from traced ones by calls the trace does not see (NumPy "
                              f"run on a plain copy, e.g. through a library's own binding "
                              f"of np.asarray made before the trace); a replay would repeat "
                              f"the first call's values")
                return

    def before(self, args) -> None:
        rec = self.rec
        if rec.suspended:
            return
        for a in args:
            if isinstance(a, Tensor):
                if a._data.__class__ is not Traced:
                    rec.watch(a)
            elif isinstance(a, (tuple, list)):
                self.before(a)

    def module_called(self, module) -> None:
        if not self.rec.suspended:
            self.rec.watch_module(module)

    def grad_written(self, tensor) -> None:
        if not self.rec.suspended:
            self.rec.watch(tensor)

    def grads_reset(self, tensors) -> None:
        if not self.rec.suspended:
            self.rec.grads_reset(tensors)

    def python_effect(self, what: str) -> None:
        if not self.rec.suspended:
            self.rec.fail(f"{what} runs inside the step; a replay would not run it "
                          f"(remove it, or call the function uncompiled)")

    def opaque_call(self, method, obj, args, kwargs):
        rec = self.rec
        if rec.suspended:
            return method(obj, *args, **kwargs)
        for value in list(args) + list(kwargs.values()):
            if callable(value) or isinstance(value, (Tensor, np.ndarray)):
                rec.fail(f"{type(obj).__name__}.{method.__name__} is given "
                         f"{type(value).__name__}; a replay calls it with what the trace saw")
        rec.sync()
        rec.effect()
        if method is _optimizer_step() and self._flat_step(obj, args, kwargs):
            return None
        rec.lines.append(rec._call_expr(rec.const(method), (obj,) + tuple(args), kwargs))
        rec.suspended += 1
        try:
            result = method(obj, *args, **kwargs)
        finally:
            rec.suspended -= 1
        rec.after_opaque()
        if result is not None:
            rec.fail(f"{type(obj).__name__}.{method.__name__} returned a value")
        return result


    def _flat_step(self, opt, args, kwargs) -> bool:
        """Run ``opt.step()`` as a FlatStep and record it, if it can be one."""
        rec = self.rec
        rec.suspended += 1
        try:
            flat = FlatStep.make(opt, args, kwargs, self.fuse)
            if flat is None:
                return False
            grads = [p.grad._data for p in flat.params]
            names = [rec.ref(g) for g in grads]
            flat([plain(g) if g.__class__ is Traced else g for g in grads])
        finally:
            rec.suspended -= 1
        rec.lines.append(f"{rec.const(flat)}([{', '.join(names)}])")
        rec.after_opaque()
        return True


def _optimizer_step():
    from ..optim.optimizer import Optimizer
    return Optimizer.step.__wrapped__


def __dir__():
    return __all__
