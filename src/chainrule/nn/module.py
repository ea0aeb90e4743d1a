"""Module: the base class of layers and models, with PyTorch's registration rules."""
from __future__ import annotations as _annotations

from collections import OrderedDict as _OrderedDict
from typing import Callable as _Callable
from typing import Iterator as _Iterator

import numpy as _np

from .. import _backend
from ..autograd import tracing as _tracing
from ..autograd.grad_mode import no_grad as _no_grad
from ..autograd.grad_mode import ordinary as _ordinary
from ..autograd.tensor import Tensor as _Tensor
from ..autograd.tensor import as_array as _as_array
from .parameter import Parameter as _Parameter

__all__ = ["Module", "Sequential", "ModuleList", "ModuleDict"]


class Module:
    """Assigning a Parameter, a Module or a registered buffer to an attribute registers it;
    ``parameters()``, ``state_dict()`` and friends walk the tree.

    >>> import chainrule as cr
    >>> class Affine(Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.w = cr.nn.Parameter(cr.ones(2))
    ...     def forward(self, x):
    ...         return x * self.w
    >>> [name for name, _ in Affine().named_parameters()]
    ['w']
    """

    def __init__(self):
        object.__setattr__(self, "_parameters", _OrderedDict())
        object.__setattr__(self, "_buffers", _OrderedDict())
        object.__setattr__(self, "_modules", _OrderedDict())
        object.__setattr__(self, "training", True)

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args, **kwargs):
        if not _ordinary.all:  # a compiling trace follows the module's buffers and mode
            _tracing.notify("module_called", self)
        return self.forward(*args, **kwargs)

    # ----- registration ------------------------------------------------------------------
    def __setattr__(self, name: str, value) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__}: call super().__init__() before "
                                 f"assigning attributes")
        params, modules, buffers = self._parameters, self._modules, self._buffers
        if isinstance(value, _Parameter):
            kind = params
        elif isinstance(value, Module):
            kind = modules
        elif name in buffers:
            buffers[name] = value
            return
        elif name in params and value is None:
            params[name] = None
            return
        else:
            params.pop(name, None)
            modules.pop(name, None)
            object.__setattr__(self, name, value)
            return
        for table in (params, modules, buffers):
            if table is not kind:
                table.pop(name, None)
        self.__dict__.pop(name, None)
        kind[name] = value

    def __getattr__(self, name: str):
        d = self.__dict__
        for table in ("_parameters", "_buffers", "_modules"):
            if table in d and name in d[table]:
                return d[table][name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name: str) -> None:
        for table in (self._parameters, self._buffers, self._modules):
            if name in table:
                del table[name]
                return
        object.__delattr__(self, name)

    def register_parameter(self, name: str, param: _Parameter | None) -> None:
        if param is None:
            self._parameters[name] = None
        else:
            setattr(self, name, param)

    def register_buffer(self, name: str, tensor: _Tensor | None, persistent: bool = True) -> None:
        """A tensor that is part of the state (saved, moved) but not learned."""
        self._buffers[name] = tensor
        if not persistent:
            self.__dict__.setdefault("_non_persistent", set()).add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        self._modules[name] = module

    # ----- walking the tree --------------------------------------------------------------
    def named_modules(self, prefix: str = "") -> _Iterator[tuple[str, Module]]:
        seen = set()
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop(0)
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            stack[0:0] = [(f"{name}.{n}" if name else n, m)
                          for n, m in module._modules.items() if m is not None]

    def modules(self) -> _Iterator["Module"]:
        return (m for _, m in self.named_modules())

    def named_children(self) -> _Iterator[tuple[str, Module]]:
        return ((n, m) for n, m in self._modules.items() if m is not None)

    def children(self) -> _Iterator["Module"]:
        return (m for _, m in self.named_children())

    def named_parameters(self, prefix: str = "", recurse: bool = True):
        seen = set()
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for mod_name, module in modules:
            for name, p in module._parameters.items():
                if p is None or id(p) in seen:
                    continue
                seen.add(id(p))
                yield (f"{mod_name}.{name}" if mod_name else name), p

    def parameters(self, recurse: bool = True) -> _Iterator[_Parameter]:
        """The parameters of this module and (``recurse``) its submodules, each once, in
        ``named_parameters``' order. Walked without making the names: training loops call
        it every step (``clip_grad_norm_``, hand-written updates)."""
        if not recurse:
            return (p for p in self._parameters.values() if p is not None)
        out, seen = [], set()
        for module in self._module_list():
            for p in module._parameters.values():
                if p is not None and id(p) not in seen:
                    seen.add(id(p))
                    out.append(p)
        return iter(out)

    def _module_list(self) -> list:
        """This module and its submodules, each once, in ``named_modules``' order (depth
        first, children in registration order)."""
        out, seen, stack = [], set(), [self]
        while stack:
            module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            out.append(module)
            children = [m for m in module._modules.values() if m is not None]
            stack.extend(reversed(children))
        return out

    def named_buffers(self, prefix: str = ""):
        for mod_name, module in self.named_modules(prefix):
            for name, b in module._buffers.items():
                if b is not None:
                    yield (f"{mod_name}.{name}" if mod_name else name), b

    def buffers(self):
        return (b for _, b in self.named_buffers())

    # ----- state ---------------------------------------------------------------------------
    def state_dict(self, prefix: str = "") -> _OrderedDict[str, _Tensor]:
        """Parameters and persistent buffers by dotted name, as in PyTorch."""
        out = _OrderedDict()
        for mod_name, module in self.named_modules():
            skip = module.__dict__.get("_non_persistent", set())
            base = f"{prefix}{mod_name}." if mod_name else prefix
            for name, p in module._parameters.items():
                if p is not None:
                    out[base + name] = p.detach()
            for name, b in module._buffers.items():
                if b is not None and name not in skip:
                    out[base + name] = b.detach() if isinstance(b, _Tensor) else b
        return out

    def load_state_dict(self, state_dict, strict: bool = True):
        """Copy values in (shapes must match); with ``strict``, keys must match exactly.
        Returns ``(missing_keys, unexpected_keys)``."""
        own = self.state_dict()
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        if strict and (missing or unexpected):
            raise KeyError(f"load_state_dict: missing keys {missing}, unexpected keys "
                           f"{unexpected}")
        targets = dict(self.named_parameters())
        targets.update(dict(self.named_buffers()))
        with _no_grad():
            for key, value in state_dict.items():
                if key not in targets:
                    continue
                target = targets[key]
                arr = _as_array(value)
                if arr.shape != target.shape:
                    raise ValueError(f"load_state_dict: {key} has shape {arr.shape} in the "
                                     f"state dict but {target.shape} in the model")
                target._data[...] = arr
                target._version[0] += 1
        return missing, unexpected

    # ----- modes and bulk operations -----------------------------------------------------
    def train(self, mode: bool = True) -> "Module":
        for m in self.modules():
            object.__setattr__(m, "training", bool(mode))
        return self

    def eval(self) -> "Module":
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        if not _ordinary.all:
            _tracing.notify("grads_reset", list(self.parameters()))
        for p in self.parameters():
            if set_to_none:
                p.grad = None  # Tensor.zero_grad(set_to_none=True), without the call
            else:
                p.zero_grad(set_to_none=False)

    def requires_grad_(self, requires_grad: bool = True) -> "Module":
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def apply(self, fn: _Callable[["Module"], None]) -> "Module":
        """Call ``fn`` on every submodule, children first, then on self (PyTorch's order)."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    def to(self, *args, dtype=None, device=None) -> "Module":
        """Convert parameters and floating buffers in place to ``dtype``."""
        for a in args:
            if isinstance(a, str) and not a.startswith("float"):
                device = a
            else:
                dtype = a
        _backend.normalize_device(device)
        if dtype is not None:
            dtype = _np.dtype(dtype)
            for t in list(self.parameters()) + [b for b in self.buffers()
                                                if b.dtype.kind == "f"]:
                t._data = t._data.astype(dtype)
                if t.grad is not None:
                    t.grad._data = t.grad._data.astype(dtype)
        return self

    def float(self) -> "Module":
        return self.to(_np.float32)

    def double(self) -> "Module":
        return self.to(_np.float64)

    # ----- printing ----------------------------------------------------------------------
    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        lines = []
        for name, module in self._modules.items():
            sub = repr(module).replace("\n", "\n  ")
            lines.append(f"({name}): {sub}")
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not lines:
            return head + ")"
        return head + "\n  " + "\n  ".join(lines) + "\n)"


class Sequential(Module):
    """Modules applied in order.

    >>> import chainrule as cr
    >>> from chainrule import nn
    >>> nn.Sequential(nn.Linear(3, 2), nn.ReLU())(cr.ones(4, 3)).shape
    (4, 2)
    """

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], (dict, _OrderedDict)):
            for name, m in modules[0].items():
                self.add_module(name, m)
        else:
            for i, m in enumerate(modules):
                self.add_module(str(i), m)

    def forward(self, x):
        for m in self._modules.values():
            x = m(x)
        return x

    def __getitem__(self, i):
        items = list(self._modules.values())
        if isinstance(i, slice):
            return Sequential(*items[i])
        return items[i]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module: Module) -> "Sequential":
        self.add_module(str(len(self._modules)), module)
        return self


class ModuleList(Module):
    def __init__(self, modules=()):
        super().__init__()
        for m in modules:
            self.append(m)

    def append(self, module: Module) -> "ModuleList":
        self.add_module(str(len(self._modules)), module)
        return self

    def extend(self, modules) -> "ModuleList":
        for m in modules:
            self.append(m)
        return self

    def __getitem__(self, i):
        items = list(self._modules.values())
        return ModuleList(items[i]) if isinstance(i, slice) else items[i]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())


class ModuleDict(Module):
    def __init__(self, modules=None):
        super().__init__()
        for name, m in (modules or {}).items():
            self.add_module(name, m)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __contains__(self, key: str) -> bool:
        return key in self._modules

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def keys(self):
        return self._modules.keys()

    def values(self):
        return self._modules.values()

    def items(self):
        return self._modules.items()
