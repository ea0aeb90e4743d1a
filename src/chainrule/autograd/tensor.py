"""Tensor's data model: its array, its gradient, the node that made it, and its version.

Operators and math methods are attached in ``chainrule.methods``; this module knows no op.
"""
from __future__ import annotations

import weakref
from typing import Any, Callable, Optional

import numpy as np

from .. import _backend, _device
from .._backend import DIFFERENTIABLE_DTYPES

__all__ = ["as_array", "Tensor", "make_tensor"]


def as_array(data: Any, dtype=None, copy: bool = False) -> np.ndarray:
    """Turn ``data`` into an array following PyTorch's defaults: Python floats become the
    default float dtype (float32), Python ints int64; NumPy arrays keep their dtype."""
    if isinstance(data, Tensor):
        data = data._data
    if isinstance(data, np.generic):  # a NumPy scalar: a 0-d array of its dtype, as PyTorch
        return np.array(data, dtype)
    if isinstance(data, np.ndarray) or type(data).__module__.startswith("cupy"):
        if dtype is not None:
            return (data.astype(dtype, copy=copy) if hasattr(data, "astype")
                    else np.asarray(data, dtype))
        return data.copy() if copy else (data if isinstance(data, np.ndarray) else np.asarray(data))
    arr = np.asarray(data, dtype=dtype)
    if dtype is None:
        if arr.dtype == np.float64:
            arr = arr.astype(_backend.get_default_dtype(), copy=False)
        elif arr.dtype.kind == "i" and arr.dtype != np.int64:
            arr = arr.astype(np.int64)
        elif arr.dtype == object:
            raise TypeError(f"tensor: cannot build a tensor from {type(data).__name__} "
                            f"holding objects of mixed types or ragged nested lists")
    return arr


def _check_can_require_grad(dtype, where: str) -> None:
    if dtype not in DIFFERENTIABLE_DTYPES:
        raise RuntimeError(
            f"{where}: only tensors of floating or complex dtype can require gradients, got "
            f"{dtype}; convert first, e.g. x.float()")


class Tensor:
    """An n-dimensional array that records the operations applied to it.

    >>> x = Tensor([[1., 2.], [3., 4.]], requires_grad=True, name="x")
    >>> (x * x).sum().backward()
    >>> x.grad
    tensor([[2., 4.],
            [6., 8.]])
    """

    __slots__ = ("_data", "grad", "grad_fn", "_requires_grad", "name", "_version", "_base",
                 "_hooks", "_fw", "__weakref__")
    # NumPy defers to our reflected operators (ndarray + Tensor -> Tensor.__radd__).
    __array_priority__ = 1000
    __hash__ = object.__hash__
    # Whether op results take this class (true for the NumPy-flavoured ArrayBox only).
    _propagates = False

    def __init__(self, data: Any, dtype=None, device=None, requires_grad: bool = False,
                 name: Optional[str] = None):
        _backend.normalize_device(device)
        arr = as_array(data, dtype, copy=True)
        if requires_grad:
            _check_can_require_grad(arr.dtype, "tensor")
        # Every field, as make_tensor writes them (tests/test_tensor.py checks the two agree).
        self._data = arr
        self.grad = self._base = self._hooks = self._fw = self.grad_fn = None
        self._requires_grad = bool(requires_grad)
        self._version = [0, None]
        self.name = name

    # ----- the array -------------------------------------------------------------------
    @property
    def data(self) -> "Tensor":
        """A tensor on the same memory, outside the graph, as PyTorch's ``.data``: changes
        made through it (``p.data.add_(p.grad, alpha=-lr)``) bypass autograd. The raw
        array is ``.detach().numpy()``.

        >>> import chainrule as cr
        >>> w = cr.zeros(2, requires_grad=True)
        >>> _ = w.data.fill_(0.5); w
        tensor([0.5, 0.5], requires_grad=True)
        """
        return make_tensor(self._data)

    @data.setter
    def data(self, value) -> None:
        arr = as_array(value._data if isinstance(value, Tensor) else value)
        if arr.shape != self._data.shape or arr.dtype != self._data.dtype:
            arr = arr.astype(self._data.dtype, copy=False)
        self._data = arr
        self._version[0] += 1

    @property
    def shape(self) -> tuple:
        return self._data.shape

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    @property
    def device(self) -> "_device.device":
        """Where the data lives: ``device(type='cpu')`` (a ``str`` subclass)."""
        return _device.DEVICE_OF_ARRAY[_backend.device_of(self._data)]

    @property
    def is_cuda(self) -> bool:
        return _backend.device_of(self._data) == "cuda"

    @property
    def itemsize(self) -> int:
        return self._data.itemsize

    @property
    def nbytes(self) -> int:
        return self._data.nbytes

    def dim(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return int(self._data.size)

    nelement = numel

    def size(self, dim: Optional[int] = None):
        """The shape, as PyTorch's ``size()``; with ``dim``, the length of that axis."""
        return self._data.shape if dim is None else self._data.shape[dim]

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def numpy(self, force: bool = False) -> np.ndarray:
        """The data as a NumPy array (shared memory). Refuses a tensor that requires grad,
        as PyTorch does; call ``detach().numpy()`` to say the gradient is not wanted."""
        if self._requires_grad and not force:
            raise RuntimeError("numpy(): the tensor requires grad; call tensor.detach().numpy() "
                               "to leave the graph explicitly")
        data = self._data
        return data if isinstance(data, np.ndarray) else data.get()

    def __array__(self, dtype=None, copy=None):
        if self._requires_grad or self._fw:
            # np.array([...]) and np.asarray reach here: NumPy gives no hook to trace them.
            raise RuntimeError("converting a tensor that requires grad (or carries a "
                               "forward-mode tangent) to a NumPy array (np.array, np.asarray, "
                               "a list of traced values, a write into a NumPy array) drops "
                               "its derivative; build arrays of traced values with np.stack or "
                               "np.concatenate, or call .detach() if no gradient is wanted")
        arr = self.numpy()
        if dtype is not None and arr.dtype != dtype:
            return arr.astype(dtype)
        return arr.copy() if copy else arr

    def item(self):
        if self._data.size != 1:
            raise ValueError(f"item(): only a tensor with one element converts to a Python "
                             f"scalar, got shape {self._data.shape}")
        return self._data.item()

    def tolist(self):
        return self._data.tolist()

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self._data.dtype.kind not in "iub":
            raise TypeError(f"only integer tensors of one element can be used as an index, "
                            f"got {self._data.dtype}")
        return int(self.item())

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError(f"the truth value of a tensor with {self._data.size} elements is "
                               f"ambiguous; use .any() or .all()")
        return bool(self._data)

    # ----- autograd state --------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        self.requires_grad_(value)

    @property
    def is_leaf(self) -> bool:
        """True for tensors the user made (not produced by a recorded op)."""
        return self.grad_fn is None

    @property
    def version(self) -> int:
        """How many times the data was modified in place."""
        return self._version[0]

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        """Start (or stop) tracking operations on this leaf; returns self."""
        if self.grad_fn is not None:
            if not requires_grad:
                raise RuntimeError("requires_grad_(False): a non-leaf tensor always requires grad; "
                                   "use detach() to get a tensor outside the graph")
            return self
        if requires_grad:
            _check_can_require_grad(self._data.dtype, "requires_grad_")
        self._requires_grad = bool(requires_grad)
        return self

    def detach(self) -> "Tensor":
        """A new tensor on the same data, outside the graph (its version is shared, so an
        in-place change through either is seen by the graph's checks)."""
        out = make_tensor(self._data)
        out._version = self._version
        return out

    def detach_(self) -> "Tensor":
        """Cut this tensor out of the graph, in place; it becomes a leaf."""
        self.grad_fn = None
        self._requires_grad = False
        return self

    def retain_grad(self) -> None:
        """Keep ``.grad`` on this non-leaf tensor after backward."""
        if self.grad_fn is None:
            if not self._requires_grad:
                raise RuntimeError("retain_grad(): the tensor does not require grad")
            return
        self.grad_fn.retained = weakref.ref(self)

    @property
    def retains_grad(self) -> bool:
        fn = self.grad_fn
        return fn is not None and fn.retained is not None and fn.retained() is self

    def register_hook(self, hook: Callable) -> "_HookHandle":
        """Call ``hook(grad)`` when this tensor's gradient is computed; if it returns a
        tensor, that replaces the gradient.

        >>> x = Tensor([1., 2.], requires_grad=True)
        >>> h = x.register_hook(lambda g: g * 2)
        """
        if not self._requires_grad:
            raise RuntimeError("register_hook: the tensor does not require grad, so no gradient "
                               "will reach it")
        if self.grad_fn is not None:
            owner = self.grad_fn
            if owner.hooks is None:
                owner.hooks = []
            hooks = owner.hooks
        else:
            if self._hooks is None:
                self._hooks = []
            hooks = self._hooks
        hooks.append(hook)
        return _HookHandle(hooks, hook)

    def register_post_accumulate_grad_hook(self, hook: Callable) -> "_HookHandle":
        """Call ``hook(tensor)`` once ``backward`` has accumulated this leaf's gradient into
        ``.grad`` (PyTorch's name; leaves only; ``autograd.grad`` accumulates nothing, so it
        calls none).

        >>> w = Tensor([1., 2.], requires_grad=True)
        >>> h = w.register_post_accumulate_grad_hook(lambda t: t.grad.mul_(0.5))
        """
        if not self._requires_grad:
            raise RuntimeError("register_post_accumulate_grad_hook: the tensor does not "
                               "require grad, so no gradient will reach it")
        if self.grad_fn is not None:
            raise RuntimeError("register_post_accumulate_grad_hook: post accumulate grad "
                               "hooks cannot be registered on non-leaf tensors (register "
                               "it on the leaf, or use register_hook)")
        if self._hooks is None:
            self._hooks = []
        marked = PostAccumulateGradHook(hook)
        self._hooks.append(marked)
        return _HookHandle(self._hooks, marked)

    def zero_grad(self, set_to_none: bool = False) -> None:
        """Clear the accumulated gradient (fill with zeros, or drop it)."""
        if set_to_none or self.grad is None:
            self.grad = None
        else:
            self.grad._data[...] = 0

    def incr_grad(self, gradient) -> None:
        """Add ``gradient`` to ``.grad`` (seed 001's ``incr_grad``)."""
        g = as_array(gradient).astype(self._data.dtype, copy=True)
        if g.shape != self._data.shape:
            g = np.broadcast_to(g, self._data.shape).copy()
        if self.grad is None:
            self.grad = make_tensor(g)
        else:
            self.grad._data += g

    def backward(self, gradient=None, retain_graph: Optional[bool] = None,
                 create_graph: bool = False, inputs=None) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad``.

        >>> x = Tensor(3.0, requires_grad=True)
        >>> (x * x).backward()
        >>> x.grad
        tensor(6.)
        """
        _engine().backward((self,), None if gradient is None else (gradient,), retain_graph,
                 create_graph, inputs)

    def clear_graph(self) -> None:
        """Release the graph behind this tensor (seed 000): every node's saved arrays and
        links are dropped and the tensor becomes a leaf that does not require grad."""
        _engine().release_graph(self.grad_fn)
        self.grad_fn = None
        self._requires_grad = False

    # ----- printing --------------------------------------------------------------------
    def __repr__(self) -> str:
        data = self._data
        if not isinstance(data, np.ndarray):
            data = data.get()
        body = np.array2string(data, separator=", ", prefix="tensor(",
                               floatmode="maxprec_equal" if data.dtype.kind == "f" else "maxprec")
        extras = []
        default_float = _backend.get_default_dtype()
        if data.dtype != default_float and data.dtype not in (np.int64, np.bool_) or data.size == 0:
            extras.append(f"dtype={data.dtype}")
        if self.grad_fn is not None:
            extras.append(f"grad_fn=<{self.grad_fn.name}>")
        elif self._requires_grad:
            extras.append("requires_grad=True")
        if self.name is not None:
            extras.append(f"name={self.name!r}")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"

    def __str__(self) -> str:
        return self.__repr__()

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0 and spec:
            return format(self._data.item(), spec)
        return self.__repr__()

    def __reduce_ex__(self, protocol):
        # The class travels too: a deep copy of a module keeps its Parameters Parameters.
        return (_rebuild, (self.__class__, self.numpy(force=True), self._requires_grad,
                           self.name))

    def __deepcopy__(self, memo) -> "Tensor":
        """A leaf copy of the data, of the same class (Parameter stays Parameter), with
        ``requires_grad``, name and ``.grad`` copied, as ``copy.deepcopy`` of a torch
        tensor."""
        if self.grad_fn is not None:
            raise RuntimeError("deepcopy: only tensors created by the user (graph leaves) "
                               "support deepcopy; call .detach() first, as in PyTorch")
        out = _rebuild(self.__class__, self._data.copy(), self._requires_grad, self.name)
        if self.grad is not None:
            out.grad = self.grad.__deepcopy__(memo)
        memo[id(self)] = out
        return out


def _rebuild(cls, data, requires_grad, name):
    out = make_tensor(data, None, requires_grad)
    out.__class__ = cls  # Tensor and its subclasses share the slots (no fields of their own)
    out.name = name
    return out


class PostAccumulateGradHook:
    """A hook run after a leaf's ``.grad`` was accumulated: kept in the leaf's hook list
    (so the engine finishes the leaf as early as one with any hook), told apart by type."""

    __slots__ = ("fn",)

    def __init__(self, fn: Callable):
        self.fn = fn


class _HookHandle:
    __slots__ = ("hooks", "hook")

    def __init__(self, hooks, hook):
        self.hooks, self.hook = hooks, hook

    def remove(self) -> None:
        if self.hook in self.hooks:
            self.hooks.remove(self.hook)


_new = object.__new__


def _engine():
    # engine imports this module; the reverse link is resolved once, on first use.
    global _engine_module
    if _engine_module is None:
        from . import engine
        _engine_module = engine
    return _engine_module


_engine_module = None


def make_tensor(data, grad_fn=None, requires_grad: bool = False) -> Tensor:
    """A tensor on ``data`` as it is, for ops, the engine and recorded outputs: no
    conversion, no checks (``Tensor(...)`` converts and checks its data first). Its fields
    are written here, inline: this runs once per op, and a helper call would cost a tenth of
    an elementwise op's bookkeeping."""
    t = _new(Tensor)
    t._data = data
    t.grad = t.name = t._base = t._hooks = t._fw = None
    t.grad_fn = grad_fn
    t._requires_grad = requires_grad
    t._version = [0, None]
    return t


def __dir__():  # dir() and tab completion show what the module exports, not its helpers
    return __all__
