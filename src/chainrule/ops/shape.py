"""Shape primitives: reshape (and every op that is a reshape), transpose, broadcast, concat,
stack, flip, roll, pad, tile, cast and copy. All are linear, so each JVP is the forward rule
applied to the tangent."""
from __future__ import annotations

import math
import operator

import numpy as np

from ..autograd.primitives import Primitive, apply, call, defjvp, defvjp, defvjp_all, pass_through
from ..autograd.tensor import Tensor
from ._util import ndim_of, normalize_axes, normalize_axis, shape_arg, shape_of


def linear(prim: Primitive) -> Primitive:
    """A primitive linear in its first input (with real coefficients): the JVP applies it
    to the tangent, and its rules hold for complex values as they are."""
    prim.complex_ok = True
    defjvp(prim, lambda xp, ts, ans, x, **params: call(xp, prim, ts[0], **params))
    return prim


def _reshape(x, shape, in_shape):
    return x.reshape(shape)


reshape_p = linear(Primitive("reshape", _reshape, saves=(), saves_ans=False, is_view=True))
defvjp(reshape_p, lambda xp, g, ans, x, shape, in_shape: xp.reshape(g, in_shape))

transpose_p = linear(Primitive("permute", lambda x, axes: x.transpose(axes), saves=(),
                               saves_ans=False, is_view=True))
defvjp(transpose_p, lambda xp, g, ans, x, axes: xp.transpose(g, tuple(np.argsort(axes))))

# The engine sums a gradient down to its input's shape, so broadcasting's VJP is identity.
broadcast_p = linear(Primitive("expand", lambda x, shape: np.broadcast_to(x, shape), saves=(),
                               saves_ans=False, is_view=True))
defvjp(broadcast_p, pass_through)  # the engine sums the broadcast axes

# A dtype conversion: the engine casts the gradient back to the input's dtype.
cast_p = linear(Primitive("to_copy", lambda x, dtype: x.astype(dtype), saves=(), saves_ans=False))
defvjp(cast_p, pass_through)  # the engine casts back

copy_p = linear(Primitive("clone", lambda x: x.copy(), saves=(), saves_ans=False))
defvjp(copy_p, pass_through)

flip_p = linear(Primitive("flip", lambda x, axis: np.flip(x, axis), saves=(), saves_ans=False))
defvjp(flip_p, lambda xp, g, ans, x, axis: xp.flip(g, axis=axis))

roll_p = linear(Primitive("roll", lambda x, shift, axis: np.roll(x, shift, axis), saves=(),
                          saves_ans=False))
defvjp(roll_p, lambda xp, g, ans, x, shift, axis: xp.roll(
    g, tuple(-s for s in shift) if isinstance(shift, tuple) else -shift, axis))


def _pad(x, pad_width, value):
    return np.pad(x, pad_width, mode="constant", constant_values=value)


pad_p = Primitive("constant_pad", _pad, saves=(), saves_ans=False)
# Padding is affine: the padded border of the tangent is 0, whatever the pad value.
defjvp(pad_p, lambda xp, ts, ans, x, pad_width, value: call(xp, pad_p, ts[0],
                                                           pad_width=pad_width, value=0.0))
pad_p.complex_ok = True
defvjp(pad_p, lambda xp, g, ans, x, pad_width, value: g[tuple(
    slice(lo, g.shape[i] - hi) for i, (lo, hi) in enumerate(pad_width))])


def _tile_vjp(xp, g, ans, x, reps, in_shape):
    # g has shape (r0*s0, r1*s1, ...): view it as (r0, s0, r1, s1, ...) and sum the r's.
    full = (1,) * (len(reps) - len(in_shape)) + tuple(in_shape)
    split = tuple(n for pair in zip(reps, full) for n in pair)
    summed = xp.sum(xp.reshape(g, split), axis=tuple(range(0, 2 * len(reps), 2)))
    return xp.reshape(summed, in_shape)


tile_p = linear(Primitive("repeat", lambda x, reps, in_shape: np.tile(x, reps), saves=(),
                          saves_ans=False))
defvjp(tile_p, _tile_vjp)


def _concat_vjp(xp, g, ans, inputs, needs, axis, sizes):
    grads, start = [], 0
    lead = (slice(None),) * axis
    for need, size in zip(needs, sizes):
        grads.append(g[lead + (slice(start, start + size),)] if need else None)
        start += size
    return grads


concat_p = Primitive("cat", lambda *xs, axis, sizes: np.concatenate(xs, axis=axis), saves=(),
                     saves_ans=False)
defvjp_all(concat_p, _concat_vjp)
concat_p.complex_ok = True
defjvp(concat_p, lambda xp, ts, ans, *xs, axis, sizes: xp.concatenate(
    [t if t is not None else xp.zeros_like(x) for t, x in zip(ts, xs)], axis=axis))

stack_p = Primitive("stack", lambda *xs, axis: np.stack(xs, axis=axis), saves=(),
                    saves_ans=False)
stack_p.complex_ok = True
defvjp_all(stack_p, lambda xp, g, ans, inputs, needs, axis: [
    g[(slice(None),) * axis + (i,)] if need else None for i, need in enumerate(needs)])
defjvp(stack_p, lambda xp, ts, ans, *xs, axis: xp.stack(
    [t if t is not None else xp.zeros_like(ans[(slice(None),) * axis + (i,)])
     for i, t in enumerate(ts)], axis=axis))


# ----- front-ends -----------------------------------------------------------------------
def _resolve_shape(op: str, shape: tuple, in_shape: tuple) -> tuple:
    size = math.prod(in_shape)
    if shape.count(-1) > 1:
        raise ValueError(f"{op}: only one dimension can be -1, got {shape}")
    if -1 in shape:
        known = math.prod(s for s in shape if s != -1)
        if known == 0 or size % known:
            raise ValueError(f"{op}: cannot reshape a tensor of shape {in_shape} ({size} "
                             f"elements) into {shape}")
        shape = tuple(size // known if s == -1 else s for s in shape)
    if math.prod(shape) != size:
        raise ValueError(f"{op}: cannot reshape a tensor of shape {in_shape} ({size} elements) "
                         f"into {shape} ({math.prod(shape)} elements)")
    return shape


def reshape(x, *shape):
    """A tensor with the same data in a new shape (one entry may be -1).

    >>> from chainrule import arange
    >>> reshape(arange(6), 2, 3).shape
    (2, 3)
    """
    in_shape = shape_of(x)
    shape = _resolve_shape("reshape", shape_arg("reshape", shape), in_shape)
    return apply(reshape_p, (x,), {"shape": shape, "in_shape": in_shape})


view = reshape


def flatten(x, start_dim: int = 0, end_dim: int = -1):
    """Merge the dims from ``start_dim`` to ``end_dim`` into one."""
    shape = shape_of(x)
    if not shape:
        return reshape(x, (1,))
    start = normalize_axis("flatten", start_dim, len(shape))
    end = normalize_axis("flatten", end_dim, len(shape))
    if start > end:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    return reshape(x, shape[:start] + (-1,) + shape[end + 1:])


def ravel(x):
    return reshape(x, (-1,))


def squeeze(x, dim=None, *, axis=None):
    """Remove size-1 dims (all of them, or those named)."""
    dim = dim if axis is None else axis
    shape = shape_of(x)
    if dim is None:
        return reshape(x, tuple(n for n in shape if n != 1))
    axes = normalize_axes("squeeze", dim, len(shape))
    return reshape(x, tuple(n for i, n in enumerate(shape) if not (i in axes and n == 1)))


def unsqueeze(x, dim=None, *, axis=None):
    """Insert a size-1 dim at ``dim`` (NumPy's expand_dims)."""
    dim = dim if axis is None else axis
    shape = shape_of(x)
    dims = dim if isinstance(dim, (tuple, list)) else (dim,)
    out_nd = len(shape) + len(dims)
    positions = sorted(normalize_axis("unsqueeze", d, out_nd) for d in dims)
    new = list(shape)
    for p in positions:
        new.insert(p, 1)
    return reshape(x, tuple(new))


expand_dims = unsqueeze


def permute(x, *dims):
    """Reorder the dims: ``permute(x, 2, 0, 1)``."""
    nd = ndim_of(x)
    dims = shape_arg("permute", dims) if dims else tuple(reversed(range(nd)))
    axes = tuple(normalize_axis("permute", d, nd) for d in dims)
    if sorted(axes) != list(range(nd)):
        raise ValueError(f"permute: dims {dims} are not a permutation of {nd} dimensions")
    return apply(transpose_p, (x,), {"axes": axes})


def transpose(x, dim0=None, dim1=None, *, axes=None):
    """With two dims, swap them (PyTorch); with ``axes`` or none, NumPy's transpose."""
    if dim0 is not None and dim1 is not None:
        return swapaxes(x, dim0, dim1)
    if axes is None and isinstance(dim0, (tuple, list)):
        axes = dim0
    return permute(x, *(axes or ()))


def swapaxes(x, axis1, axis2):
    nd = ndim_of(x)
    a, b = normalize_axis("transpose", axis1, nd), normalize_axis("transpose", axis2, nd)
    axes = list(range(nd))
    axes[a], axes[b] = axes[b], axes[a]
    return apply(transpose_p, (x,), {"axes": tuple(axes)})


def moveaxis(x, source, destination):
    """Move dims to new positions, the others keeping their order (NumPy's moveaxis)."""
    nd = ndim_of(x)
    listed = lambda a: a if isinstance(a, (tuple, list)) else (a,)
    src = [normalize_axis("moveaxis", s, nd) for s in listed(source)]
    dst = [normalize_axis("moveaxis", d, nd) for d in listed(destination)]
    if len(src) != len(dst):
        raise ValueError(f"moveaxis: {len(src)} sources but {len(dst)} destinations")
    order = [i for i in range(nd) if i not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return apply(transpose_p, (x,), {"axes": tuple(order)})


def broadcast_to(x, *shape):
    """A read-only view of ``x`` broadcast to ``shape``."""
    shape = shape_arg("broadcast_to", shape)
    in_shape = shape_of(x)
    try:
        np.broadcast_shapes(in_shape, shape)
    except ValueError:
        raise ValueError(f"broadcast_to: cannot broadcast shape {in_shape} to {shape}") from None
    return apply(broadcast_p, (x,), {"shape": shape})


def expand(x, *sizes):
    """PyTorch's expand: broadcast, with -1 keeping a dim's size."""
    sizes = shape_arg("expand", sizes)
    in_shape = shape_of(x)
    lead = len(sizes) - len(in_shape)
    if lead < 0:
        raise ValueError(f"expand: {len(sizes)} sizes given for a tensor of {len(in_shape)} dims")
    shape = tuple(in_shape[i - lead] if s == -1 else s for i, s in enumerate(sizes))
    return broadcast_to(x, shape)


def concatenate(tensors, axis: int = 0, *, dim=None):
    """Join tensors along an existing dim (PyTorch's cat)."""
    tensors = tuple(tensors)
    if not tensors:
        raise ValueError("cat: expected a non-empty sequence of tensors")
    if dim is not None:
        axis = dim
    nd = ndim_of(tensors[0])
    axis = normalize_axis("cat", axis, nd)
    shapes = [shape_of(t) for t in tensors]
    for s in shapes:
        if len(s) != nd or s[:axis] + s[axis + 1:] != shapes[0][:axis] + shapes[0][axis + 1:]:
            raise ValueError(f"cat: shapes {shapes} differ outside dim {axis}")
    return apply(concat_p, tensors, {"axis": axis, "sizes": tuple(s[axis] for s in shapes)})


cat = concatenate


def stack(tensors, axis: int = 0, *, dim=None):
    """Join same-shape tensors along a new dim."""
    tensors = tuple(tensors)
    if not tensors:
        raise ValueError("stack: expected a non-empty sequence of tensors")
    if dim is not None:
        axis = dim
    shapes = {shape_of(t) for t in tensors}
    if len(shapes) != 1:
        raise ValueError(f"stack: all tensors must have the same shape, got {sorted(shapes)}")
    axis = normalize_axis("stack", axis, ndim_of(tensors[0]) + 1)
    return apply(stack_p, tensors, {"axis": axis})


def split(x, split_size_or_sections, dim: int = 0, *, axis=None):
    """PyTorch's split: pieces of ``split_size`` along ``dim`` (the last may be smaller), or
    pieces of the listed sizes."""
    dim = dim if axis is None else axis
    shape = shape_of(x)
    dim = normalize_axis("split", dim, len(shape))
    n = shape[dim]
    if isinstance(split_size_or_sections, (list, tuple)):
        sizes = list(split_size_or_sections)
        if sum(sizes) != n:
            raise ValueError(f"split: sizes {sizes} do not add up to {n} (dim {dim})")
    else:
        step = operator.index(split_size_or_sections)
        if step <= 0:
            raise ValueError(f"split: split_size must be positive, got {step}")
        sizes = [min(step, n - i) for i in range(0, n, step)]
    out, start = [], 0
    lead = (slice(None),) * dim
    for size in sizes:
        out.append(x[lead + (slice(start, start + size),)])
        start += size
    return tuple(out)


def chunk(x, chunks: int, dim: int = 0, *, axis=None):
    """Split into ``chunks`` nearly equal pieces along ``dim``."""
    dim = dim if axis is None else axis
    n = shape_of(x)[normalize_axis("chunk", dim, ndim_of(x))]
    step = -(-n // chunks)
    return split(x, step, dim)


def flip(x, dims=None, *, axis=None):
    """Reverse the order of elements along ``dims`` (all when None)."""
    dims = dims if axis is None else axis
    nd = ndim_of(x)
    axes = normalize_axes("flip", dims, nd)
    return apply(flip_p, (x,), {"axis": axes if axes is not None else tuple(range(nd))})


def roll(x, shifts, dims=None, *, axis=None):
    """Shift elements cyclically along ``dims`` (over the flattened tensor when None)."""
    dims = dims if axis is None else axis
    if dims is None:
        return reshape(roll(reshape(x, (-1,)), shifts, 0), shape_of(x))
    nd = ndim_of(x)
    if isinstance(dims, (tuple, list)):
        dims = tuple(normalize_axis("roll", d, nd) for d in dims)
        shifts = tuple(shifts)
    else:
        dims = normalize_axis("roll", dims, nd)
    return apply(roll_p, (x,), {"shift": shifts, "axis": dims})


def pad(x, pad_width, mode: str = "constant", value=0.0, *, constant_values=None):
    """Pad with a constant. ``pad_width`` in NumPy's form (one (before, after) per dim) or
    PyTorch's flat form starting from the last dim, e.g. (1, 1, 2, 2)."""
    if mode != "constant":
        raise NotImplementedError(f"pad: mode {mode!r} is not supported yet; only 'constant'")
    if constant_values is not None:
        value = constant_values
    nd = ndim_of(x)
    if isinstance(pad_width, int):
        widths = ((pad_width, pad_width),) * nd
    elif pad_width and all(isinstance(p, (int, np.integer)) for p in pad_width):
        flat = list(pad_width)
        if len(flat) % 2 or len(flat) // 2 > nd:
            raise ValueError(f"pad: a flat padding needs pairs for at most {nd} dims, got "
                             f"{tuple(flat)}")
        pairs = [(flat[i], flat[i + 1]) for i in range(0, len(flat), 2)]
        widths = tuple([(0, 0)] * (nd - len(pairs)) + pairs[::-1])
    else:
        widths = tuple((int(a), int(b)) for a, b in pad_width)
    if len(widths) != nd or any(a < 0 or b < 0 for a, b in widths):
        raise ValueError(f"pad: widths {widths} do not fit a tensor of {nd} dims (negative "
                         f"padding is not supported)")
    return apply(pad_p, (x,), {"pad_width": widths, "value": value})


def tile(x, reps):
    """Repeat the whole tensor ``reps`` times along each dim (PyTorch's ``repeat``)."""
    reps = (reps,) if isinstance(reps, int) else tuple(reps)
    in_shape = shape_of(x)
    if len(reps) < len(in_shape):
        reps = (1,) * (len(in_shape) - len(reps)) + reps
    return apply(tile_p, (x,), {"reps": reps, "in_shape": in_shape})


def cast(x, dtype):
    """Convert to ``dtype``; the gradient is converted back."""
    dtype = np.dtype(dtype)
    if isinstance(x, Tensor) and x._data.dtype == dtype:
        return x
    return apply(cast_p, (x,), {"dtype": dtype})


def clone(x):
    """A copy with its own memory; gradients flow through it."""
    return apply(copy_p, (x,))
