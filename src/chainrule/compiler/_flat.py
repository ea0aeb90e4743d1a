"""An optimizer's step over one flat buffer per parameter group, for compiled steps.

An optimizer whose ``_update`` is elementwise (``Optimizer.elementwise``: each element of a
parameter moves by the same elements of its gradient and state, with scalars such as the
step count shared) gives the same values, bit for bit, whether it runs once per parameter
or once over all of them laid end to end. The per-parameter loop costs ten-odd NumPy calls
per parameter; a small network's step is mostly that overhead. So the first compiled step
moves each group's parameters, and their state, into one flat array (each parameter keeps
a view of its part: eager code, ``state_dict`` and the user see what they saw), and the
replay updates the flat arrays with one ``_update`` call.

A replay checks that the layout still holds (the parameters still view the flat array,
their state is still the flat state's views); if not (``load_state_dict``, a parameter
replaced), it runs the optimizer's ``step()`` as it is.
"""
from __future__ import annotations

import numpy as np

__all__ = ["FlatStep"]

# Flat buffers save the per-parameter loop's NumPy calls (about a microsecond or more each,
# per parameter) and cost a copy of every gradient into the flat buffer each step. For
# large tensors the copy costs more than the calls it saves (the MLP cell's 235K-element
# SGD step ran 4% faster without): a group is flattened only while its parameters hold
# fewer elements than this on average.
FLAT_MEAN_ELEMENTS = 8192


class _FlatGroup:
    __slots__ = ("group", "params", "parts", "flat", "grad", "state", "states")

    def __init__(self, opt, group, params):
        self.group, self.params = group, params
        self.parts = []
        offset = 0
        for p in params:
            n = p._data.size
            self.parts.append((offset, n, p._data.shape))
            offset += n
        dtype = params[0]._data.dtype
        self.flat = np.empty(offset, dtype)
        self.grad = np.empty(offset, dtype)
        for p, view in zip(params, self._views(self.flat)):
            view[...] = p._data
            p._data = view
        self.states = [opt.state.setdefault(p, {}) for p in params]
        self.state = {}
        first = self.states[0]
        for key, value in first.items():
            if isinstance(value, np.ndarray):
                self.state[key] = np.concatenate([st[key].reshape(-1) for st in self.states])
                for st, view in zip(self.states, self._views(self.state[key])):
                    st[key] = view
            else:
                self.state[key] = value

    def _views(self, flat):
        return [flat[o:o + n].reshape(shape) for o, n, shape in self.parts]

    def valid(self, opt) -> bool:
        flat, states = self.flat, opt.state
        for p, st in zip(self.params, self.states):
            if p._data.base is not flat or states.get(p) is not st:
                return False
        return True

    def step(self, opt, grads, fuse: bool) -> None:
        grad = self.grad
        for (o, n, _), g in zip(self.parts, grads):
            grad[o:o + n] = g.reshape(-1)
        state, states = self.state, self.states
        for key, value in states[0].items():  # an eager step in between moved the counts
            if not isinstance(value, np.ndarray):
                state[key] = value
        if not (fuse and opt._fused_update(self.flat, grad, state, self.group)):
            opt._update(self.flat, grad, state, self.group)
        for key, value in state.items():
            if isinstance(value, np.ndarray):
                if states[0].get(key) is None or states[0][key].base is not value:
                    for st, view in zip(states, self._views(value)):
                        st[key] = view
            else:
                for st in states:
                    st[key] = value
        for p in self.params:
            p._version[0] += 1


class _EachGroup:
    """A group of large parameters (``FLAT_MEAN_ELEMENTS``) under ``fuse``: no flat buffer
    (its copies would cost more than they save); the optimizer's fused kernel runs once per
    parameter, on 1-D views of the parameter, its gradient and its state."""

    __slots__ = ("group", "params", "states")

    def __init__(self, opt, group, params):
        self.group, self.params = group, params
        self.states = [opt.state.setdefault(p, {}) for p in params]

    def valid(self, opt) -> bool:
        states = opt.state
        return all(p._data.flags.c_contiguous and states.get(p) is st
                   for p, st in zip(self.params, self.states))

    def step(self, opt, grads, fuse: bool) -> None:
        group = self.group
        for p, g, st in zip(self.params, grads, self.states):
            flat = {k: v.reshape(-1) if isinstance(v, np.ndarray) and v.flags.c_contiguous
                    else v for k, v in st.items()}
            if opt._fused_update(p._data.reshape(-1), g.reshape(-1), flat, group):
                for k, v in flat.items():  # the step count
                    if not isinstance(v, np.ndarray):
                        st[k] = v
            else:  # no kernel for this state yet (Adam's first step): as eager
                opt._update(p._data, g, st, group)
            p._version[0] += 1


class FlatStep:
    """``opt.step()`` over flat buffers, given the gradients of ``params`` (in order).
    ``fuse``: by the optimizer's fused kernel where it has one (``optim._fused``)."""

    def __init__(self, opt, groups, fuse: bool = False):
        self.opt, self.groups, self.fuse = opt, groups, fuse

    @classmethod
    def make(cls, opt, args, kwargs, fuse: bool = False):
        """A FlatStep for ``opt`` as its gradients stand now, or None where it cannot be
        one (an update that is not elementwise, a closure, mixed dtypes, counts that
        differ between parameters, large parameters (``FLAT_MEAN_ELEMENTS``) without a
        fused kernel to run on each)."""
        from ..optim.optimizer import Optimizer
        if args or kwargs or not getattr(opt, "elementwise", False) or \
                any("step" in k.__dict__ for k in type(opt).__mro__ if k is not Optimizer):
            return None
        groups = []
        for group in opt.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            if not params:
                continue
            each = sum(p._data.size for p in params) > FLAT_MEAN_ELEMENTS * len(params)
            if each and not (fuse and type(opt)._fused_update is not Optimizer._fused_update):
                return None
            dtype = params[0]._data.dtype
            if len({id(p) for p in params}) != len(params) or any(
                    p._data.dtype != dtype or p.grad._data.dtype != dtype or
                    p.grad._data.shape != p._data.shape for p in params):
                return None
            states = [opt.state.get(p) or {} for p in params]
            keys = set(states[0])
            for st in states:
                if set(st) != keys or any(
                        st[k] != states[0][k] for k in keys
                        if not isinstance(st[k], np.ndarray)):
                    return None
            if each and not all(p._data.flags.c_contiguous for p in params):
                return None
            groups.append((_EachGroup if each else _FlatGroup, group, params))
        return cls(opt, [kind(opt, g, ps) for kind, g, ps in groups], fuse)

    @property
    def params(self) -> list:
        return [p for g in self.groups for p in g.params]

    def __call__(self, grads) -> None:
        opt = self.opt
        if not all(g.valid(opt) for g in self.groups):
            opt.step()
            return
        start = 0
        for g in self.groups:
            g.step(opt, grads[start:start + len(g.params)], self.fuse)
            start += len(g.params)


def __dir__():
    return __all__
