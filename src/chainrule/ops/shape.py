"""Shape primitives: reshape (and every op that is a reshape), transpose, broadcast, concat,
stack, flip, roll, pad, tile, cast and copy. All are linear, so each JVP is the forward rule
applied to the tangent.

Argument checks follow PyTorch: every dim goes through ``normalize_dim`` (an out-of-range
dim raises IndexOutOfRangeError), a bad size or shape raises OpError naming the op and the
shapes. Where NumPy already rejects exactly what PyTorch rejects (reshape, expand), its
error is caught and made readable instead of checking first, so a valid call pays
nothing."""
from __future__ import annotations

import math
import operator

import numpy as np

from .. import _fastnp
from ..autograd.primitives import (Primitive, apply, call, defjvp, defvjp_all, linear,
                                   pass_through)
from ..autograd.tensor import Tensor, make_tensor
from ..errors import OpError, OpTypeError
from . import elementwise as ew
from ._util import ndim_of, normalize_axes, normalize_dim, shape_arg, shape_of

__all__ = ["reshape_p", "permute_p", "expand_p", "cast_p", "clone_p", "flip_p", "roll_p", "pad_p",
           "tile_p", "cat_p", "stack_p",
           "reshape", "view", "flatten", "ravel", "squeeze", "unsqueeze", "expand_dims",
           "permute", "transpose", "swapaxes", "moveaxis", "broadcast_to", "expand",
           "concatenate", "cat", "stack", "split", "chunk", "unbind", "flip", "roll", "pad",
           "tile", "repeat", "cast", "clone", "t", "tril", "triu", "unflatten", "meshgrid"]


def _reshape(xp, x, shape, in_shape):
    return x.reshape(shape)


_VIEW = dict(saves=(), saves_ans=False, is_view=True)  # keeps nothing; shares memory
_COPY = dict(saves=(), saves_ans=False)

reshape_p = linear(Primitive("reshape", _reshape, **_VIEW, vjps=(
    lambda xp, g, ans, x, shape, in_shape: xp.reshape(g, in_shape),)))
permute_p = linear(Primitive("permute", lambda xp, x, axes: x.transpose(axes), **_VIEW, vjps=(
    lambda xp, g, ans, x, axes: xp.transpose(g, tuple(np.argsort(axes))),)))
# The engine sums a gradient down to its input's shape, so broadcasting's VJP is identity;
# and it casts a gradient back to its input's dtype, so a conversion's is too.


def _broadcast_view(xp, x, shape):
    # A view (is_view): _fastnp.broadcast_to makes a writable copy, so NumPy data gets
    # NumPy's own broadcast_to; other backends' (CuPy's) is a view already.
    return (np if xp is _fastnp else xp).broadcast_to(x, shape)


expand_p = linear(Primitive("expand", _broadcast_view, **_VIEW, vjps=(pass_through,)))
cast_p = linear(Primitive("cast", lambda xp, x, dtype: x.astype(dtype), **_COPY,
                          vjps=(pass_through,)))
clone_p = linear(Primitive("clone", lambda xp, x: x.copy(), **_COPY, vjps=(pass_through,)))
flip_p = linear(Primitive("flip", "flip", **_COPY, vjps=(
    lambda xp, g, ans, x, axis: xp.flip(g, axis=axis),)))
roll_p = linear(Primitive("roll", "roll", **_COPY,
                          vjps=(lambda xp, g, ans, x, shift, axis: xp.roll(
                              g, tuple(-s for s in shift) if isinstance(shift, tuple)
                              else -shift, axis),)))


def _pad(xp, x, pad_width, value):
    return xp.pad(x, pad_width, mode="constant", constant_values=value)


# Padding is affine: the padded border of the tangent is 0, whatever the pad value.
pad_p = Primitive("pad", _pad, **_COPY, complex_ok=True, vjps=(
    lambda xp, g, ans, x, pad_width, value: g[tuple(
        slice(lo, g.shape[i] - hi) for i, (lo, hi) in enumerate(pad_width))],),
    jvp=lambda xp, ts, ans, x, pad_width, value: call(xp, pad_p, ts[0], pad_width=pad_width,
                                                      value=0.0))


def _tile_vjp(xp, g, ans, x, reps, in_shape):
    # g has shape (r0*s0, r1*s1, ...): view it as (r0, s0, r1, s1, ...) and sum the r's.
    full = (1,) * (len(reps) - len(in_shape)) + tuple(in_shape)
    split = tuple(n for pair in zip(reps, full) for n in pair)
    summed = xp.sum(xp.reshape(g, split), axis=tuple(range(0, 2 * len(reps), 2)))
    return xp.reshape(summed, in_shape)


tile_p = linear(Primitive("tile", lambda xp, x, reps, in_shape: xp.tile(x, reps), **_COPY,
                          vjps=(_tile_vjp,)))


def _concat_vjp(xp, g, ans, inputs, needs, axis, sizes):
    grads, start = [], 0
    lead = (slice(None),) * axis
    for need, size in zip(needs, sizes):
        grads.append(g[lead + (slice(start, start + size),)] if need else None)
        start += size
    return grads


cat_p = Primitive("cat", lambda xp, *xs, axis, sizes: xp.concatenate(xs, axis=axis), **_COPY,
                  complex_ok=True, vjp_all=_concat_vjp)
defjvp(cat_p, lambda xp, ts, ans, *xs, axis, sizes: xp.concatenate(
    [t if t is not None else xp.zeros_like(x) for t, x in zip(ts, xs)], axis=axis))

stack_p = Primitive("stack", lambda xp, *xs, axis: xp.stack(xs, axis=axis), **_COPY,
                    complex_ok=True)
defvjp_all(stack_p, lambda xp, g, ans, inputs, needs, axis: [
    g[(slice(None),) * axis + (i,)] if need else None for i, need in enumerate(needs)])
defjvp(stack_p, lambda xp, ts, ans, *xs, axis: xp.stack(
    [t if t is not None else xp.zeros_like(ans[(slice(None),) * axis + (i,)])
     for i, t in enumerate(ts)], axis=axis))


# ----- front-ends -----------------------------------------------------------------------
def _reshape_error(op: str, shape: tuple, in_shape: tuple) -> OpError:
    """Why ``in_shape`` cannot be reshaped to ``shape`` (called once NumPy has refused)."""
    size = math.prod(in_shape)
    where = f"{op}: cannot reshape a tensor of shape {in_shape} ({size} elements) into {shape}"
    if shape.count(-1) > 1:
        return OpError(f"{where}: only one dimension can be -1 (inferred)")
    if -1 in shape and size == 0:
        return OpError(f"{where}: the -1 is ambiguous for a tensor of 0 elements; give every "
                       f"size explicitly")
    if -1 in shape:
        return OpError(f"{where}: {size} is not a multiple of the other sizes' product "
                       f"{math.prod(s for s in shape if s != -1)}")
    return OpError(f"{where} ({math.prod(shape)} elements); the number of elements must "
                   f"stay the same")


def reshape(x, *shape):
    """A tensor with the same data in a new shape (one entry may be -1, inferred); a view
    where the strides allow it, else a copy.

    >>> from chainrule import arange
    >>> reshape(arange(6), 2, 3).shape
    (2, 3)
    """
    return _reshape("reshape", x, shape)


def _reshape(op: str, x, shape):
    in_shape = shape_of(x)
    shape = shape_arg(op, shape)
    if shape and min(shape) < -1:  # NumPy would read any negative size as -1
        raise OpError(f"{op}: invalid size {min(shape)} in shape {shape}; sizes must be "
                      f">= 0, or -1 for one inferred size")
    try:
        return apply(reshape_p, (x,), {"shape": shape, "in_shape": in_shape})
    except OpError:
        raise _reshape_error(op, shape, in_shape) from None


def view(x, *shape):
    """PyTorch's view: reshape without ever copying. Raises OpError where the data's
    strides (after a transpose or a strided slice) cannot express the new shape.
    ``view(dtype)`` reinterprets the bits instead (no gradient across dtypes).

    >>> from chainrule import tensor, int32
    >>> tensor([1.0]).view(int32)
    tensor([1065353216], dtype=int32)
    """
    if len(shape) == 1 and isinstance(shape[0], (np.dtype, type)):
        return _view_dtype(x, np.dtype(shape[0]))
    out = _reshape("view", x, shape)
    data = x._data if isinstance(x, Tensor) else np.asarray(x)
    if not data.flags.c_contiguous and out._data.size and \
            not np.may_share_memory(out._data, data):
        raise OpError(f"view: a tensor of shape {data.shape} and strides "
                      f"{tuple(s // data.itemsize for s in data.strides)} (in elements) cannot "
                      f"be viewed as shape {out._data.shape} without a copy; use reshape(), "
                      f"which copies, or call contiguous() first")
    return out


def _view_dtype(x, dtype: np.dtype):
    """The same bytes read as ``dtype``; the last dim scales by the ratio of item sizes."""
    data = x._data if isinstance(x, Tensor) else np.asarray(x)
    if dtype == data.dtype:
        return view(x, *data.shape)
    what = f"to view {data.dtype} as {dtype} (different element sizes)"
    if dtype.itemsize != data.itemsize:
        if data.ndim == 0:
            raise OpError(f"view: a 0-d tensor cannot be viewed as another element size: "
                          f"{what}; reshape it to 1-d first")
        if data.shape[-1] > 1 and data.strides[-1] != data.itemsize:
            raise OpError(f"view: the last dim must be contiguous (stride 1) {what}, got "
                          f"stride {data.strides[-1] // data.itemsize}; call contiguous() "
                          f"first")
        if data.shape[-1] * data.itemsize % dtype.itemsize:
            raise OpError(f"view: the last dim ({data.shape[-1]}) must be divisible by "
                          f"{dtype.itemsize // data.itemsize} {what}")
    try:
        return make_tensor(data.view(dtype))  # bits, not values: outside the graph
    except ValueError as exc:  # strides NumPy cannot reinterpret
        raise OpError(f"view: cannot {what[3:]} for a tensor of shape {data.shape}: {exc}; "
                      f"call contiguous() first") from None


def flatten(x, start_dim: int = 0, end_dim: int = -1):
    """Merge the dims from ``start_dim`` to ``end_dim`` into one (a 0-d tensor becomes
    1-d)."""
    shape = shape_of(x)
    start = normalize_dim("flatten", start_dim, len(shape))
    end = normalize_dim("flatten", end_dim, len(shape))
    if not shape:
        return reshape(x, (1,))
    if start > end:
        raise OpError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} (tensor "
                      f"of shape {shape}); swap them")
    # The merged size is given, not -1: -1 is ambiguous when the tensor is empty.
    return reshape(x, shape[:start] + (math.prod(shape[start:end + 1]),) + shape[end + 1:])


def ravel(x):
    return reshape(x, (-1,))


def squeeze(x, dim=None, *, axis=None):
    """Remove size-1 dims (all of them, or those named; a named dim of another size
    stays)."""
    dim = dim if axis is None else axis
    shape = shape_of(x)
    if dim is None:
        return reshape(x, tuple(n for n in shape if n != 1))
    axes = normalize_axes("squeeze", dim, len(shape))
    return reshape(x, tuple(n for i, n in enumerate(shape) if not (i in axes and n == 1)))


def unsqueeze(x, dim=None, *, axis=None):
    """Insert a size-1 dim at ``dim`` (in [-ndim-1, ndim]; NumPy's expand_dims, which also
    takes a tuple of dims)."""
    dim = dim if axis is None else axis
    shape = shape_of(x)
    dims = dim if isinstance(dim, (tuple, list)) else (dim,)
    out_nd = len(shape) + len(dims)
    positions = sorted(normalize_dim("unsqueeze", d, out_nd) for d in dims)
    if len(set(positions)) != len(positions):
        raise OpError(f"unsqueeze: dims {tuple(dims)} name a position more than once")
    new = list(shape)
    for p in positions:
        new.insert(p, 1)
    return reshape(x, tuple(new))


expand_dims = unsqueeze


def permute(x, *dims):
    """Reorder the dims: ``permute(x, 2, 0, 1)`` names every dim once (with no dims, they
    are reversed, as in NumPy's transpose)."""
    nd = ndim_of(x)
    if not dims:
        return apply(permute_p, (x,), {"axes": tuple(reversed(range(nd)))})
    dims = shape_arg("permute", dims)
    if len(dims) != nd:
        raise OpError(f"permute: {len(dims)} dims {dims} given for a tensor of {nd} dims "
                      f"(shape {shape_of(x)}); name every dim exactly once")
    axes = tuple(normalize_dim("permute", d, nd) for d in dims)
    if len(set(axes)) != nd:
        raise OpError(f"permute: dims {dims} name a dim more than once; name every dim "
                      f"exactly once")
    return apply(permute_p, (x,), {"axes": axes})


def transpose(x, dim0=None, dim1=None, *, axes=None):
    """With two dims, swap them (PyTorch); with ``axes`` or none, NumPy's transpose."""
    if dim0 is not None and dim1 is not None:
        return swapaxes(x, dim0, dim1)
    if axes is None and isinstance(dim0, (tuple, list)):
        axes = dim0
    return permute(x, *(axes or ()))


def swapaxes(x, axis1, axis2):
    """Swap two dims (a 0-d tensor accepts 0 and -1, and comes back as it is)."""
    nd = ndim_of(x)
    a, b = normalize_dim("transpose", axis1, nd), normalize_dim("transpose", axis2, nd)
    axes = list(range(nd))
    if nd:
        axes[a], axes[b] = axes[b], axes[a]
    return apply(permute_p, (x,), {"axes": tuple(axes)})


def moveaxis(x, source, destination):
    """Move dims to new positions, the others keeping their order (NumPy's moveaxis)."""
    nd = ndim_of(x)
    listed = lambda a: a if isinstance(a, (tuple, list)) else (a,)
    src = [normalize_dim("movedim", s, nd) for s in listed(source)]
    dst = [normalize_dim("movedim", d, nd) for d in listed(destination)]
    if len(src) != len(dst):
        raise OpError(f"movedim: {len(src)} source dims but {len(dst)} destinations; give "
                      f"one destination per source")
    for name, dims, given in (("source", src, source), ("destination", dst, destination)):
        if len(set(dims)) != len(dims):
            raise OpError(f"movedim: {name} {given} names a dim more than once")
    order = [i for i in range(nd) if i not in src]
    if nd:  # a 0-d tensor has no dims to move (0 and -1 name the tensor itself)
        for d, s in sorted(zip(dst, src)):
            order.insert(d, s)
    return apply(permute_p, (x,), {"axes": tuple(order)})


def _expand(op: str, x, sizes: tuple):
    """Broadcast ``x`` to ``sizes`` (PyTorch's expand: -1 keeps an existing dim's size)."""
    in_shape = shape_of(x)
    lead = len(sizes) - len(in_shape)
    if lead < 0:
        raise OpError(f"{op}: {len(sizes)} sizes {sizes} given for a tensor of "
                      f"{len(in_shape)} dims (shape {in_shape}); give at least one size per "
                      f"dim")
    if -1 in sizes:
        if -1 in sizes[:lead]:
            raise OpError(f"{op}: size -1 is not allowed in a new leading dim ({sizes} for "
                          f"shape {in_shape}); -1 only keeps an existing dim's size")
        sizes = sizes[:lead] + tuple(n if s == -1 else s
                                     for s, n in zip(sizes[lead:], in_shape))
    try:
        return apply(expand_p, (x,), {"shape": sizes})
    except OpError:
        raise OpError(f"{op}: cannot expand a tensor of shape {in_shape} to {sizes}: each "
                      f"existing dim must equal the new size or be 1 (and sizes must be "
                      f">= 0)") from None


def broadcast_to(x, *shape):
    """A read-only view of ``x`` broadcast to ``shape`` (-1 keeps a dim, as in PyTorch)."""
    return _expand("broadcast_to", x, shape_arg("broadcast_to", shape))


def expand(x, *sizes):
    """PyTorch's expand: broadcast, with -1 keeping a dim's size."""
    return _expand("expand", x, shape_arg("expand", sizes))


def concatenate(tensors, axis: int = 0, *, dim=None):
    """Join tensors along an existing dim (PyTorch's cat): they must match in every other
    dim. 0-d tensors cannot be joined (stack them). As in PyTorch, 1-D empty tensors
    (shape (0,)) are skipped, a legacy rule that lets ``cat([empty, x])`` start a loop."""
    if isinstance(tensors, Tensor):
        raise OpTypeError("cat: expected a sequence of tensors, got a single Tensor; pass "
                          "[t] or use t itself")
    tensors = tuple(tensors)
    if not tensors:
        raise OpError("cat: expected a non-empty sequence of tensors")
    if dim is not None:
        axis = dim
    shapes = [shape_of(t) for t in tensors]
    for i, s in enumerate(shapes):
        if not s:
            raise OpError(f"cat: the tensor at position {i} is 0-d and cannot be "
                          f"concatenated; use stack, or unsqueeze it to 1-d")
    if (0,) in shapes:
        skip = [i for i, s in enumerate(shapes) if s == (0,)]
        dtype = np.result_type(*(np.result_type(t._data if isinstance(t, Tensor) else t)
                                 for t in tensors))
        if len(skip) == len(shapes):  # nothing but empties: PyTorch reads no dim
            return apply(cat_p, tuple(cast(t, dtype) for t in tensors),
                         {"axis": 0, "sizes": (0,) * len(tensors)})
        tensors = tuple(cast(t, dtype) for i, t in enumerate(tensors) if i not in skip)
        shapes = [s for i, s in enumerate(shapes) if i not in skip]
    nd = len(shapes[0])
    axis = normalize_dim("cat", axis, nd)
    rest = shapes[0][:axis] + shapes[0][axis + 1:]
    for s in shapes:
        if len(s) != nd or s[:axis] + s[axis + 1:] != rest:
            raise OpError(f"cat: shapes {shapes} differ outside dim {axis}; the tensors must "
                          f"have the same number of dims and match in every dim but {axis}")
    return apply(cat_p, tensors, {"axis": axis, "sizes": tuple(s[axis] for s in shapes)})


cat = concatenate


def stack(tensors, axis: int = 0, *, dim=None):
    """Join same-shape tensors along a new dim (in [-ndim-1, ndim])."""
    if isinstance(tensors, Tensor):
        raise OpTypeError("stack: expected a sequence of tensors, got a single Tensor")
    tensors = tuple(tensors)
    if not tensors:
        raise OpError("stack: expected a non-empty sequence of tensors")
    if dim is not None:
        axis = dim
    shapes = [shape_of(t) for t in tensors]
    axis = normalize_dim("stack", axis, len(shapes[0]) + 1)
    for i, s in enumerate(shapes):
        if s != shapes[0]:
            raise OpError(f"stack: all tensors must have the same shape, got {shapes[0]} at "
                          f"position 0 and {s} at position {i}")
    return apply(stack_p, tensors, {"axis": axis})


def split(x, split_size_or_sections, dim: int = 0, *, axis=None):
    """PyTorch's split: pieces of ``split_size`` along ``dim`` (the last may be smaller), or
    pieces of the listed sizes (non-negative, adding up to the dim's size)."""
    dim = dim if axis is None else axis
    shape = shape_of(x)
    dim = normalize_dim("split", dim, len(shape), scalar_ok=False)
    n = shape[dim]
    if isinstance(split_size_or_sections, (list, tuple)):
        sizes = list(shape_arg("split", (split_size_or_sections,)))
        if any(s < 0 for s in sizes) or sum(sizes) != n:
            raise OpError(f"split: sizes {sizes} must be non-negative and add up to {n} (the "
                          f"size of dim {dim} of shape {shape})")
    else:
        try:
            step = operator.index(split_size_or_sections)
        except TypeError:
            raise OpTypeError(f"split: split_size must be an int or a list of ints, got "
                              f"{type(split_size_or_sections).__name__}") from None
        if step < 0 or step == 0 and n:
            raise OpError(f"split: split_size must be positive (0 only for an empty dim), got "
                          f"{step} for dim {dim} of size {n}")
        sizes = [min(step, n - i) for i in range(0, n, step)] if n else [0]
    out, start = [], 0
    lead = (slice(None),) * dim
    for size in sizes:
        out.append(x[lead + (slice(start, start + size),)])
        start += size
    return tuple(out)


def chunk(x, chunks: int, dim: int = 0, *, axis=None):
    """Split into ``chunks`` (> 0) nearly equal pieces along ``dim``: pieces of
    ceil(size / chunks), so there may be fewer than ``chunks``."""
    dim = dim if axis is None else axis
    shape = shape_of(x)
    dim = normalize_dim("chunk", dim, len(shape), scalar_ok=False)
    try:
        chunks = operator.index(chunks)
    except TypeError:
        raise OpTypeError(f"chunk: chunks must be an int, got {type(chunks).__name__}") from None
    if chunks <= 0:
        raise OpError(f"chunk: chunks must be greater than 0, got {chunks}")
    n = shape[dim]
    if n == 0:  # PyTorch: ``chunks`` empty pieces
        return split(x, [0] * chunks, dim)
    return split(x, -(-n // chunks), dim)


def unbind(x, dim: int = 0, *, axis=None):
    """The slices of ``x`` along ``dim`` (views), each without that dim."""
    dim = dim if axis is None else axis
    shape = shape_of(x)
    dim = normalize_dim("unbind", dim, len(shape), scalar_ok=False)
    lead = (slice(None),) * dim
    return tuple(x[lead + (i,)] for i in range(shape[dim]))


def flip(x, dims=None, *, axis=None):
    """Reverse the order of elements along ``dims`` (all when None; each named once)."""
    dims = dims if axis is None else axis
    nd = ndim_of(x)
    axes = normalize_axes("flip", dims, nd)
    if axes is None or not nd:
        axes = tuple(range(nd))
    return apply(flip_p, (x,), {"axis": axes})


def roll(x, shifts, dims=None, *, axis=None):
    """Shift elements cyclically along ``dims``, one shift per dim (over the flattened
    tensor when no dims are given)."""
    dims = dims if axis is None else axis
    shift_list = shifts if isinstance(shifts, (tuple, list)) else (shifts,)
    dim_list = dims if isinstance(dims, (tuple, list)) else (() if dims is None else (dims,))
    if not dim_list:
        if len(shift_list) != 1:
            raise OpError(f"roll: {len(shift_list)} shifts but no dims; give one shift to roll "
                          f"the flattened tensor, or one dim per shift")
        return reshape(roll(reshape(x, (-1,)), shift_list[0], 0), shape_of(x))
    if len(dim_list) != len(shift_list):
        raise OpError(f"roll: {len(shift_list)} shifts but {len(dim_list)} dims; give one "
                      f"shift per dim")
    if not math.prod(shape_of(x)):
        return clone(x)  # as PyTorch: an empty tensor is returned before its dims are read
    nd = ndim_of(x)
    axes = tuple(normalize_dim("roll", d, nd, scalar_ok=False) for d in dim_list)
    shift_arg = tuple(shape_arg("roll", (shift_list,)))
    return apply(roll_p, (x,), {"shift": shift_arg, "axis": axes})


def pad(x, pad_width, mode: str = "constant", value=0.0, *, constant_values=None):
    """Pad with a constant. ``pad_width`` in NumPy's form (one (before, after) per dim) or
    PyTorch's flat form starting from the last dim, e.g. (1, 1, 2, 2), where a negative
    width crops (as in PyTorch)."""
    if mode != "constant":
        raise NotImplementedError(f"pad: mode {mode!r} is not supported yet; only 'constant'")
    if constant_values is not None:
        value = constant_values
    nd = ndim_of(x)
    crop_ok = False
    if isinstance(pad_width, int):
        widths = ((pad_width, pad_width),) * nd
    elif pad_width and all(isinstance(p, (int, np.integer)) for p in pad_width):
        flat = list(pad_width)
        if len(flat) % 2 or len(flat) // 2 > nd:
            raise OpError(f"pad: a flat padding needs one (before, after) pair for each of at "
                          f"most {nd} dims (shape {shape_of(x)}), got {tuple(flat)}")
        pairs = [(int(flat[i]), int(flat[i + 1])) for i in range(0, len(flat), 2)]
        widths = tuple([(0, 0)] * (nd - len(pairs)) + pairs[::-1])
        crop_ok = True
    else:
        widths = tuple((int(a), int(b)) for a, b in pad_width)
    if len(widths) != nd or not crop_ok and any(a < 0 or b < 0 for a, b in widths):
        raise OpError(f"pad: widths {widths} do not fit a tensor of {nd} dims (shape "
                      f"{shape_of(x)}; negative widths only in the flat PyTorch form)")
    if crop_ok and any(a < 0 or b < 0 for a, b in widths):
        x, widths = _crop(x, widths)
    return apply(pad_p, (x,), {"pad_width": widths, "value": value})


def _crop(x, widths):
    """Apply the negative widths of a PyTorch padding by slicing; the rest to pad."""
    shape = shape_of(x)
    keep = []
    for n, (a, b) in zip(shape, widths):
        if n + min(a, 0) + min(b, 0) < 0:
            raise OpError(f"pad: widths {widths} crop more than the tensor of shape {shape} "
                          f"holds")
        keep.append(slice(-min(a, 0), n + min(b, 0)))
    return x[tuple(keep)], tuple((max(a, 0), max(b, 0)) for a, b in widths)


def tile(x, reps):
    """Repeat the whole tensor ``reps`` times along each dim (NumPy's tile: fewer counts
    than dims are padded with 1 in front)."""
    return _tile("tile", x, shape_arg("tile", (reps,)))


def repeat(x, *sizes):
    """PyTorch's Tensor.repeat: like tile, but with at least one count per dim."""
    reps = shape_arg("repeat", sizes)
    if len(reps) < ndim_of(x):
        raise OpError(f"repeat: {len(reps)} repeat counts {reps} for a tensor of "
                      f"{ndim_of(x)} dims (shape {shape_of(x)}); give one count per dim (or "
                      f"use tile)")
    return _tile("repeat", x, reps)


def _tile(op: str, x, reps: tuple):
    in_shape = shape_of(x)
    if len(reps) < len(in_shape):
        reps = (1,) * (len(in_shape) - len(reps)) + reps
    if reps and min(reps) < 0:
        # PyTorch checks the result's sizes: a negative count is fine on an empty dim.
        full = (1,) * (len(reps) - len(in_shape)) + tuple(in_shape)
        out = tuple(n * r for n, r in zip(full, reps))
        if min(out) < 0:
            raise OpError(f"{op}: repeat counts {reps} would give a tensor of negative size "
                          f"{list(out)} (input shape {in_shape}); counts must be >= 0")
        reps = tuple(max(r, 0) for r in reps)
    return apply(tile_p, (x,), {"reps": reps, "in_shape": in_shape})


def cast(x, dtype):
    """Convert to ``dtype``; the gradient is converted back."""
    dtype = np.dtype(dtype)
    if isinstance(x, Tensor) and x._data.dtype == dtype:
        return x
    return apply(cast_p, (x,), {"dtype": dtype})


def clone(x):
    """A copy with its own memory; gradients flow through it."""
    return apply(clone_p, (x,))


def t(x):
    """PyTorch's t: a matrix transposed; a 0-d or 1-d tensor comes back as it is.

    >>> from chainrule import zeros
    >>> t(zeros(2, 3)).shape
    (3, 2)
    """
    nd = ndim_of(x)
    if nd > 2:
        raise OpError(f"t: expects a tensor of at most 2 dims, got {nd} (shape "
                      f"{shape_of(x)}); use transpose(dim0, dim1) or mT for batches")
    return swapaxes(x, 0, -1) if nd == 2 else apply(permute_p, (x,), {"axes": tuple(range(nd))})


def _triangle(op: str, x, diagonal: int, lower: bool):
    shape = shape_of(x)
    if len(shape) < 2:
        raise OpError(f"{op}: the input must have at least 2 dims, got shape {shape}; "
                      f"unsqueeze a vector first, or use diag() to make a matrix")
    diagonal = operator.index(diagonal)
    n, m = shape[-2:]
    rows, cols = np.arange(n)[:, None], np.arange(m)[None, :]
    keep = cols - rows <= diagonal if lower else cols - rows >= diagonal
    data = x._data if isinstance(x, Tensor) else np.asarray(x)
    # A zero of the input's own dtype: a Python 0 would promote bool and 0.0 integers.
    return apply(ew.where_p, (keep, x, np.zeros((), data.dtype)))


def tril(x, diagonal: int = 0):
    """The lower triangle of the last two dims: entries with ``col - row <= diagonal``
    kept, the rest 0.

    >>> from chainrule import ones
    >>> tril(ones(2, 2))
    tensor([[1., 0.],
            [1., 1.]])
    """
    return _triangle("tril", x, diagonal, True)


def triu(x, diagonal: int = 0):
    """The upper triangle of the last two dims: entries with ``col - row >= diagonal``
    kept, the rest 0."""
    return _triangle("triu", x, diagonal, False)


def unflatten(x, dim: int, sizes):
    """Dim ``dim`` split into ``sizes`` (one entry may be -1, inferred): the inverse of
    flatten.

    >>> from chainrule import zeros
    >>> unflatten(zeros(2, 6), 1, (2, 3)).shape
    (2, 2, 3)
    """
    shape = shape_of(x)
    dim = normalize_dim("unflatten", dim, len(shape), scalar_ok=False)
    sizes = shape_arg("unflatten", (sizes,))
    if not sizes:
        raise OpError("unflatten: sizes must be non-empty")
    known = math.prod(s for s in sizes if s != -1)
    if sizes.count(-1) > 1 or (-1 not in sizes and known != shape[dim]) or \
            (-1 in sizes and (known == 0 or shape[dim] % known)):
        raise OpError(f"unflatten: sizes {sizes} do not multiply to the size {shape[dim]} of "
                      f"dim {dim} (shape {shape}); at most one -1, the rest dividing it")
    return reshape(x, shape[:dim] + sizes + shape[dim + 1:])


def meshgrid(*tensors, indexing: str = None):
    """Coordinate grids from 1-d (or 0-d) tensors: output ``i`` varies along dim ``i``
    (``indexing="ij"``, the default, as in PyTorch) or with the first two dims swapped
    (``"xy"``, NumPy's default). Each output is an expanded view.

    >>> from chainrule import arange
    >>> [g.shape for g in meshgrid(arange(2), arange(3), indexing="ij")]
    [(2, 3), (2, 3)]
    """
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise OpError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    if not tensors:
        raise OpError("meshgrid: expects a non-empty list of tensors")
    for i, v in enumerate(tensors):
        if ndim_of(v) > 1:
            raise OpError(f"meshgrid: expects 0-d or 1-d tensors, got shape {shape_of(v)} at "
                          f"position {i}")
    sizes = [math.prod(shape_of(v)) for v in tensors]
    dims = list(range(len(tensors)))
    if indexing == "xy" and len(tensors) >= 2:
        dims[0], dims[1] = 1, 0
    out_shape = [0] * len(tensors)
    for d, n in zip(dims, sizes):
        out_shape[d] = n
    out = []
    for v, d in zip(tensors, dims):
        view_shape = [1] * len(tensors)
        view_shape[d] = -1
        out.append(expand(reshape(v, tuple(view_shape)), tuple(out_shape)))
    return tuple(out)


def __dir__():  # dir() and tab completion show what the module exports, not its helpers
    return __all__
