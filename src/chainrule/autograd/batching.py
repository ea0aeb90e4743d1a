"""Batched pullbacks: one backward pass for many cotangents at once.

``grad(..., is_grads_batched=True)`` (and so ``func.jacrev`` and ``func.hessian``) asks
for one vector-Jacobian product per row of a stack of cotangents. Walking the graph once
per row costs the engine's bookkeeping and every rule's NumPy call overhead once per row:
on a 64-dimensional Hessian, 64 walks. Here the rows travel together instead, as one
``Batched`` value whose stored array has the batch as its first axis while it shows the
rules the shape of one row. The rules are unchanged: they reach arrays only through their
namespace, operators and methods, and each of those is given its batched meaning below
(a ufunc broadcasts with the batch axis in front, a reduction's axes move past it, a
matmul keeps it as a leading batch dimension, an index gets ``:`` in front).

Anything without a batched meaning here (an in-place write into a plain array, ``at``, a
number read from the gradient, a NumPy function not listed) raises ``Unbatchable``, and
the engine falls back to one walk per row: a batched pass is never a guess.
"""
from __future__ import annotations

import numpy as np

from .. import _fastnp

__all__ = ["Batched", "Unbatchable", "namespace"]


class Unbatchable(Exception):
    """A rule did something with no batched meaning: walk the rows one by one instead."""


def _axis(a: int, ndim: int) -> int:
    """A row's axis ``a`` as an axis of the stored array (batch first)."""
    if not -ndim <= a < ndim:
        raise Unbatchable(f"axis {a} for {ndim} dimensions")
    return a % ndim + 1


def _axes(axis, ndim: int):
    if axis is None:
        return tuple(range(1, ndim + 1))
    if isinstance(axis, (tuple, list)):
        return tuple(_axis(a, ndim) for a in axis)
    return _axis(int(axis), ndim)


def _lift(x, rank: int):
    """``x``'s stored array, with axes of length 1 after the batch axis up to ``rank``
    dimensions per row: then it broadcasts against unbatched arrays as its rows would."""
    if type(x) is not Batched:
        return x
    d = x.data
    missing = rank - (d.ndim - 1)
    return d.reshape(d.shape[:1] + (1,) * missing + d.shape[1:]) if missing > 0 else d


def _rank(x) -> int:
    return x.ndim if hasattr(x, "ndim") else np.ndim(x)


def _wrap(out):
    if isinstance(out, tuple):
        return tuple(Batched(o) for o in out)
    return Batched(out)


def _matmul(x, y, **kwargs):
    """``x @ y`` for batched and unbatched operands: a batched vector becomes a row (or
    column) matrix so that the batch axis is a leading broadcast dimension."""
    if kwargs:
        raise Unbatchable("matmul with keyword arguments")
    if _rank(x) == 0 or _rank(y) == 0:
        raise Unbatchable("matmul of a 0-d operand")
    one = _one_gemm(x, y)
    if one is not None:
        return Batched(one)
    x_vector = type(x) is Batched and x.ndim == 1
    y_vector = type(y) is Batched and y.ndim == 1
    if x_vector:
        x = Batched(x.data[:, None, :])
    if y_vector:
        y = Batched(y.data[:, :, None])
    rank = max(_rank(x), _rank(y))
    out = np.matmul(_lift(x, rank), _lift(y, rank))
    if y_vector:
        out = out[..., 0]
    if x_vector:  # its row axis, the last one left when y was a vector
        out = out[..., 0] if y_vector or _rank(y) == 1 else out[..., 0, :]
    return Batched(out)


def _one_gemm(x, y):
    """Batched rows times one matrix (or one matrix times batched rows) as a single matrix
    product, not one small product per row as NumPy's broadcasting matmul would run; None
    for the other cases."""
    if type(x) is Batched and type(y) is not Batched and y.ndim == 2:
        d = x.data  # (n, ..., k) @ (k, m): the leading axes are rows of one product
        return (d.reshape(-1, d.shape[-1]) @ y).reshape(d.shape[:-1] + y.shape[-1:])
    if type(y) is Batched and type(x) is not Batched and x.ndim <= 2:
        d = y.data
        if y.ndim == 1:  # (m, k) @ (k,) per row: (n, k) @ (k, m)
            return d @ x.T
        if y.ndim != 2:
            return None
        n, k, p = d.shape
        if p == 1:  # columns: as vectors, (n, k) @ (k, m), and the column axis back
            return (d[:, :, 0] @ x.T)[:, :, None] if x.ndim == 2 else (d[:, :, 0] @ x)[:, None]
        # (m, k) @ (k, p) per row: the rows side by side, (m, k) @ (k, n * p)
        out = x @ d.transpose(1, 0, 2).reshape(k, n * p)
        return out.reshape(out.shape[:-1] + (n, p)).swapaxes(0, -2) if x.ndim == 2 else \
            out.reshape(n, p)
    return None


def _ufunc(ufunc, method: str, *inputs, **kwargs):
    out = kwargs.pop("out", None)
    if kwargs.get("where", True) is not True:
        raise Unbatchable(f"{ufunc.__name__} with where=")
    if method == "__call__":
        if ufunc is np.matmul:
            result = _matmul(*inputs, **kwargs)
        elif ufunc.signature is not None:
            raise Unbatchable(f"the generalized ufunc {ufunc.__name__}")
        else:
            rank = max(_rank(x) for x in inputs)
            result = _wrap(ufunc(*(_lift(x, rank) for x in inputs), **kwargs))
    elif method in ("reduce", "accumulate") and len(inputs) == 1:
        (x,) = inputs
        if kwargs.get("initial", None) is not None:
            raise Unbatchable(f"{ufunc.__name__}.{method} with initial=")
        axis = kwargs.pop("axis", 0)
        if method == "accumulate" and axis is None:
            raise Unbatchable("accumulate over all axes")
        result = Batched(getattr(ufunc, method)(x.data, axis=_axes(axis, x.ndim), **kwargs))
    elif method == "at":
        return _at(ufunc, *inputs)
    else:
        raise Unbatchable(f"{ufunc.__name__}.{method}")
    if out is None:
        return result
    return _into(out, result)


def _into(out, result):
    """``out=``: only into a batched array of the result's stored shape."""
    outs = out if isinstance(out, tuple) else (out,)
    results = result if isinstance(result, tuple) else (result,)
    for o, r in zip(outs, results):
        if type(o) is not Batched or o.data.shape != r.data.shape:
            raise Unbatchable("out= into an unbatched array")
        o.data[...] = r.data
    return out[0] if isinstance(out, tuple) and len(out) == 1 else out


def _method(name):
    return lambda x, *args, **kwargs: getattr(x, name)(*args, **kwargs)


def _where(cond, x=None, y=None):
    if x is None or y is None:
        raise Unbatchable("where with one argument")
    rank = max(_rank(cond), _rank(x), _rank(y))
    return Batched(np.where(_lift(cond, rank), _lift(x, rank), _lift(y, rank)))


def _joined(join):
    def rule(arrays, axis=0, **kwargs):
        if kwargs:
            raise Unbatchable(f"{join.__name__} with keyword arguments")
        arrays = list(arrays)
        n = next(a.data.shape[0] for a in arrays if type(a) is Batched)
        stored = [a.data if type(a) is Batched else np.broadcast_to(a, (n,) + np.shape(a))
                  for a in arrays]
        row = stored[0].ndim - 1 + (join is np.stack)
        return Batched(join(stored, axis=_axis(axis, row)))
    return rule


def _broadcast_to(x, shape):
    shape = tuple(shape) if isinstance(shape, (tuple, list)) else (shape,)
    return Batched(_fastnp.broadcast_to(_lift(x, len(shape)), x.data.shape[:1] + shape))


def _like(fill):
    def rule(x, dtype=None, shape=None):
        shape = x.shape if shape is None else tuple(shape) if isinstance(shape, (tuple, list)) \
            else (shape,)
        return Batched(getattr(_fastnp, fill)(x.data, dtype=dtype, shape=x.data.shape[:1] + shape))
    return rule


def _result_type(*args):
    return np.result_type(*(a.data if type(a) is Batched else a for a in args))


def _asarray(x, dtype=None, **kwargs):
    return x if dtype is None or x.dtype == dtype else x.astype(dtype)


# NumPy functions a rule may call on a batched value, by name (``__array_function__`` and
# the namespace); the array methods among them are the methods of ``Batched`` below.
_FUNCTIONS = {
    "where": _where, "concatenate": _joined(np.concatenate), "stack": _joined(np.stack),
    "broadcast_to": _broadcast_to, "zeros_like": _like("zeros_like"),
    "ones_like": _like("ones_like"), "empty_like": _like("empty_like"),
    "result_type": _result_type, "asarray": _asarray, "ascontiguousarray": _asarray,
    "expand_dims": _fastnp.expand_dims, "ndim": lambda x: x.ndim, "shape": lambda x: x.shape,
    "size": lambda x: x.size,
}
for _name in ("reshape", "transpose", "swapaxes", "squeeze", "sum", "mean", "prod", "amax",
              "amin", "max", "min", "ravel", "cumsum", "cumprod", "real", "imag", "conj",
              "conjugate", "copy", "moveaxis", "flip"):
    _FUNCTIONS.setdefault(_name, _method(_name))


_BY_FUNCTION = {getattr(np, name): rule for name, rule in _FUNCTIONS.items()
                if hasattr(np, name)}


class Batched:
    """Rows of gradients stored stacked (``data``: the batch axis first) that show the
    rules the shape of one row. See the module's docstring."""

    __slots__ = ("data",)
    __array_priority__ = 1000
    base = None  # a fresh value: the engine may add into it (here: out of place anyway)

    def __init__(self, data):
        self.data = data

    # ----- what a row looks like
    shape = property(lambda self: self.data.shape[1:])
    ndim = property(lambda self: self.data.ndim - 1)
    dtype = property(lambda self: self.data.dtype)
    size = property(lambda self: int(np.prod(self.data.shape[1:], dtype=np.int64)))
    itemsize = property(lambda self: self.data.itemsize)
    real = property(lambda self: Batched(self.data.real))
    imag = property(lambda self: Batched(self.data.imag))
    T = property(lambda self: self.transpose())
    mT = property(lambda self: self.swapaxes(-1, -2))

    def __len__(self):
        if not self.ndim:
            raise TypeError("len() of a 0-d array")
        return self.data.shape[1]

    def __repr__(self):
        return f"Batched({self.data!r})"

    # ----- NumPy's protocols: ufuncs, functions, and no way out to a plain array
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return _ufunc(ufunc, method, *inputs, **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        rule = _BY_FUNCTION.get(func)
        if rule is None:
            raise Unbatchable(f"numpy.{func.__name__}")
        return rule(*args, **kwargs)

    def _no_value(self, *args, **kwargs):
        raise Unbatchable("a batched gradient read as one value")

    __array__ = __float__ = __int__ = __complex__ = __bool__ = __index__ = _no_value
    __iter__ = item = tolist = _no_value

    # ----- operators, as the ufuncs
    def _binary(ufunc, reflected=False):
        if reflected:
            return lambda self, other: _ufunc(ufunc, "__call__", other, self)
        return lambda self, other: _ufunc(ufunc, "__call__", self, other)

    __add__, __radd__ = _binary(np.add), _binary(np.add, True)
    __sub__, __rsub__ = _binary(np.subtract), _binary(np.subtract, True)
    __mul__, __rmul__ = _binary(np.multiply), _binary(np.multiply, True)
    __truediv__, __rtruediv__ = _binary(np.true_divide), _binary(np.true_divide, True)
    __floordiv__, __rfloordiv__ = _binary(np.floor_divide), _binary(np.floor_divide, True)
    __pow__, __rpow__ = _binary(np.power), _binary(np.power, True)
    __matmul__, __rmatmul__ = _binary(np.matmul), _binary(np.matmul, True)
    __mod__, __rmod__ = _binary(np.remainder), _binary(np.remainder, True)
    __and__, __rand__ = _binary(np.bitwise_and), _binary(np.bitwise_and, True)
    __or__, __ror__ = _binary(np.bitwise_or), _binary(np.bitwise_or, True)
    __xor__, __rxor__ = _binary(np.bitwise_xor), _binary(np.bitwise_xor, True)
    __lt__, __le__ = _binary(np.less), _binary(np.less_equal)
    __gt__, __ge__ = _binary(np.greater), _binary(np.greater_equal)
    __eq__, __ne__ = _binary(np.equal), _binary(np.not_equal)
    # In place, out of place: the engine owns the sums it adds into, so nothing else sees.
    __iadd__, __isub__, __imul__, __itruediv__ = __add__, __sub__, __mul__, __truediv__
    del _binary
    __hash__ = None

    def __neg__(self):
        return Batched(-self.data)

    def __pos__(self):
        return self

    def __abs__(self):
        return Batched(np.abs(self.data))

    def __invert__(self):
        return Batched(~self.data)

    # ----- array methods, on rows
    def reshape(self, *shape, order="C"):
        if order != "C":
            raise Unbatchable("reshape with order=")
        shape = shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        return Batched(self.data.reshape(self.data.shape[:1] + tuple(shape)))

    def transpose(self, *axes):
        axes = axes[0] if len(axes) == 1 and (axes[0] is None or
                                              isinstance(axes[0], (tuple, list))) else axes
        ndim = self.ndim
        axes = range(ndim - 1, -1, -1) if not axes else axes
        return Batched(self.data.transpose((0,) + tuple(_axis(a, ndim) for a in axes)))

    def swapaxes(self, a1, a2):
        return Batched(self.data.swapaxes(_axis(a1, self.ndim), _axis(a2, self.ndim)))

    def moveaxis(self, source, destination):
        return Batched(np.moveaxis(self.data, _axes(source, self.ndim),
                                   _axes(destination, self.ndim)))

    def flip(self, axis=None):
        return Batched(np.flip(self.data, _axes(axis, self.ndim)))

    def squeeze(self, axis=None):
        if axis is None:
            axis = tuple(i for i, n in enumerate(self.shape) if n == 1)
        return Batched(self.data.squeeze(_axes(axis, self.ndim)))

    def _reduction(name):
        def method(self, axis=None, dtype=None, out=None, keepdims=False, **kwargs):
            if kwargs or out is not None:
                raise Unbatchable(f"{name} with out= or {sorted(kwargs)}")
            args = {"dtype": dtype} if dtype is not None else {}
            return Batched(getattr(self.data, name)(axis=_axes(axis, self.ndim),
                                                    keepdims=keepdims, **args))
        method.__name__ = name
        return method

    sum, mean, prod = _reduction("sum"), _reduction("mean"), _reduction("prod")
    max = amax = _reduction("max")
    min = amin = _reduction("min")
    del _reduction

    def cumsum(self, axis=None, dtype=None):
        if axis is None:
            return self.ravel().cumsum(0, dtype)
        return Batched(self.data.cumsum(_axis(axis, self.ndim), dtype))

    def cumprod(self, axis=None, dtype=None):
        if axis is None:
            return self.ravel().cumprod(0, dtype)
        return Batched(self.data.cumprod(_axis(axis, self.ndim), dtype))

    def ravel(self, order="C"):
        return self.reshape(-1, order=order)

    flatten = ravel

    def astype(self, dtype, copy=True, **kwargs):
        return Batched(self.data.astype(dtype, copy=copy, **kwargs))

    def copy(self, order="C"):
        return Batched(self.data.copy())

    def conj(self):
        return Batched(self.data.conj())

    conjugate = conj

    def __getitem__(self, index):
        return Batched(self.data[_row_index(index)])

    def __setitem__(self, index, value):
        index = _row_index(index)
        self.data[index] = _lift(value, self.data[index].ndim - 1)


def _row_index(index) -> tuple:
    """A row's index as an index of the stored array: ``:`` in front."""
    index = index if isinstance(index, tuple) else (index,)
    if any(_is_advanced(k) for k in index):
        # NumPy moves separated advanced indices (ints count then) to the front: with the
        # batch axis in front, they would land before it.
        spots = [i for i, k in enumerate(index)
                 if _is_advanced(k) or isinstance(k, (int, np.integer))]
        if spots != list(range(spots[0], spots[-1] + 1)):
            raise Unbatchable("separated advanced indices")
    return (slice(None),) + index


def _is_advanced(k) -> bool:
    return isinstance(k, (list, np.ndarray, bool, np.bool_))


def _at(ufunc, target, index, value=None):
    """``ufunc.at(target, index, value)`` into a batched target."""
    if type(target) is not Batched:
        raise Unbatchable(f"{ufunc.__name__}.at into an unbatched array")
    index = _row_index(index)
    if value is None:
        ufunc.at(target.data, index)
    else:
        ufunc.at(target.data, index, _lift(value, target.data[index].ndim - 1))


def _any_batched(values) -> bool:
    return any(type(v) is Batched or isinstance(v, (list, tuple)) and _any_batched(v)
               for v in values)


def _dispatching(name):
    """The namespace's ``name``: NumPy's on unbatched arrays; on batched ones, its rule
    above, or an ``Unbatchable`` when it has none."""
    function = getattr(_fastnp, name)
    if not callable(function) or isinstance(function, (np.ufunc, type)):
        return function  # ufuncs dispatch by themselves; dtypes and constants are plain
    rule = _FUNCTIONS.get(name)

    def call(*args, **kwargs):
        if not _any_batched(args) and not _any_batched(kwargs.values()):
            return function(*args, **kwargs)
        if rule is None:
            raise Unbatchable(f"numpy.{name}")
        return rule(*args, **kwargs)
    return call


class _Namespace:
    """The ``xp`` of a batched pass: NumPy (with the CPU's fast paths), where the functions
    above take batched values, and every other function refuses them."""

    def __getattr__(self, name):
        value = _dispatching(name)
        setattr(self, name, value)
        return value


namespace = _Namespace()
for _name in ("sum", "prod", "amax", "amin", "mean", "reshape", "transpose", "swapaxes",
              "expand_dims", "cumsum", "cumprod"):
    # the CPU fast paths: they call ufunc methods and array methods, which batch
    setattr(namespace, _name, getattr(_fastnp, _name))


def __dir__():  # dir() and tab completion show what the module exports, not its helpers
    return __all__
