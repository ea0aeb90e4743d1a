"""Spatial transformers of ``torch.nn.functional``: ``affine_grid`` (the sampling grid of an
affine map, 2-D and 3-D) and ``grid_sample`` (an input read at a grid's points: bilinear,
nearest or bicubic, with zeros, border or reflection padding; 4-D, and 5-D for bilinear and
nearest).

Both are composites of differentiable ops, so their derivatives of every order follow.
``grid_sample`` reads each output's corner (or tap) values with one gather from the
flattened input and weighs them by coefficients computed from the grid. The corners'
positions are integers (constants); the sampling coordinate is PyTorch's piecewise-affine
function of the grid (unnormalize, then clip or reflect), which is computed on the raw values,
as PyTorch does, with its slope (PyTorch's ``grad_in`` multiplier): the coordinate enters the
graph as ``value + slope * (grid - grid's value)``, exactly its value forward and PyTorch's
gradient backward, borders included.
"""
from __future__ import annotations

import itertools
import math

from .._backend import array_module
from ..autograd.primitives import apply
from ..errors import OpError, OpTypeError
from ..ops import index as ix
from ..ops import linalg
from ..ops import reduce as rd
from ..ops import shape as sh
from ..ops._util import data_of, shape_of

__all__ = ["affine_grid", "grid_sample"]

_MODES = ("bilinear", "nearest", "bicubic")
_PADDING_MODES = ("zeros", "border", "reflection")


class _Unsupported(OpError, NotImplementedError):
    """A case PyTorch reports as NotImplementedError (caught as either)."""


def _base_axis(xp, n: int, align_corners: bool, dtype):
    """PyTorch's ``linspace_from_neg_one``: n points over [-1, 1] (pixel centres unless
    ``align_corners``; a single point is 0)."""
    if n <= 1:
        return xp.zeros(max(n, 0), dtype=dtype)
    r = xp.linspace(-1.0, 1.0, n).astype(dtype)
    return r if align_corners else r * dtype.type((n - 1) / n)


def affine_grid(theta, size, align_corners: bool = None):
    """The (N, H, W, 2) (or, for a 5-D ``size``, (N, D, H, W, 3)) grid of normalized
    (x, y[, z]) points that the affine maps ``theta`` (N, 2, 3) (or (N, 3, 4)) send the
    output's pixels to, as PyTorch's ``F.affine_grid``; differentiable in ``theta``.

    >>> import chainrule as cr
    >>> affine_grid(cr.tensor([[[1., 0., 0.], [0., 1., 0.]]]), (1, 1, 2, 2),
    ...             align_corners=True).numpy()[0, 0]
    array([[-1., -1.],
           [ 1., -1.]], dtype=float32)
    """
    align_corners = bool(align_corners)  # None: PyTorch's default since 1.3, False
    dtype = data_of(theta).dtype
    if dtype.kind != "f":
        raise OpTypeError(f"affine_grid: expected theta to have a floating-point dtype, got "
                          f"{dtype}")
    size = tuple(int(s) for s in size)
    tshape = tuple(shape_of(theta))
    if len(size) not in (4, 5):
        raise _Unsupported(f"affine_grid: size must be 4-D (N, C, H, W) or 5-D (N, C, D, H, W),"
                           f" for 2-D and 3-D affine transforms, got size {size}")
    nd = len(size) - 2
    if len(tshape) != 3 or tshape[1:] != (nd, nd + 1):
        raise OpError(f"affine_grid: expected a batch of {nd}-D affine matrices of shape "
                      f"N x {nd} x {nd + 1} for size {size}, got theta of shape {tshape}")
    if min(size) <= 0 and not (align_corners and min(size[2:]) == 1):
        raise OpError(f"affine_grid: expected a non-zero, positive output size, got {size}")
    if tshape[0] != size[0]:
        raise OpError(f"affine_grid: theta holds {tshape[0]} matrices but size asks for a batch "
                      f"of {size[0]} (size {size})")
    xp = array_module(data_of(theta))
    spatial = size[2:]
    # (x, y[, z], 1) at each output point: x runs along the last dim (W), as in PyTorch
    axes = [_base_axis(xp, n, align_corners, dtype) for n in reversed(spatial)]
    mesh = xp.meshgrid(*axes[::-1], indexing="ij")  # D, H, W order; mesh[-1] is x
    base = xp.stack([mesh[nd - 1 - k] for k in range(nd)] + [xp.ones(spatial, dtype=dtype)],
                    axis=-1).reshape(1, -1, nd + 1)
    grid = linalg.matmul(base, sh.swapaxes(theta, 1, 2))  # (N, prod(spatial), nd)
    return sh.reshape(grid, (size[0],) + spatial + (nd,))


# ----- grid_sample --------------------------------------------------------------------
def _unnormalize(xp, g, n: int, align_corners: bool):
    """[-1, 1] to pixel coordinates (and the slope), as PyTorch's grid_sampler_unnormalize."""
    one = g.dtype.type(1)
    if align_corners:
        return ((g + one) / g.dtype.type(2)) * g.dtype.type(n - 1), (n - 1) / 2
    return ((g + one) * g.dtype.type(n) - one) / g.dtype.type(2), n / 2


def _clip(xp, c, n: int):
    """PyTorch's clip_coordinates(_set_grad): c in [0, n-1]; slope 0 at and past the ends."""
    inside = (c > 0) & (c < n - 1)
    return xp.clip(c, 0, n - 1).astype(c.dtype, copy=False), inside.astype(c.dtype)


def _reflect(xp, c, twice_low: int, twice_high: int):
    """PyTorch's reflect_coordinates(_set_grad): c reflected off the bounds low and high
    until it lies between them; the slope is +-1."""
    if twice_low == twice_high:
        return xp.zeros_like(c), xp.zeros_like(c)
    lo = c.dtype.type(twice_low / 2)
    span = c.dtype.type((twice_high - twice_low) / 2)
    c = c - lo
    sign = xp.where(c < 0, -1, 1).astype(c.dtype)
    c = xp.abs(c)
    extra = xp.fmod(c, span)
    even = (xp.floor(c / span) % 2) == 0
    return xp.where(even, extra + lo, span - extra + lo), xp.where(even, sign, -sign)


def _pad_coordinates(xp, c, n: int, padding_mode: str, align_corners: bool):
    """PyTorch's compute_coordinates: border clips, reflection reflects then clips."""
    slope = xp.ones_like(c)
    if padding_mode == "border":
        c, slope = _clip(xp, c, n)
    elif padding_mode == "reflection":
        if align_corners:
            c, slope = _reflect(xp, c, 0, 2 * (n - 1))
        else:
            c, slope = _reflect(xp, c, -1, 2 * n - 1)
        c, inside = _clip(xp, c, n)
        slope = slope * inside
    return c, slope


def _taps(mode: str):
    """The offsets from floor(coordinate) that a mode reads, per spatial dim."""
    return {"bilinear": (0, 1), "bicubic": (-1, 0, 1, 2)}[mode]


def _cubic_coefficients(t):
    """The 4 weights of taps -1, 0, 1, 2 at fraction t (PyTorch's, A = -0.75)."""
    a = -0.75

    def near(x):  # |x| <= 1
        return ((x * (a + 2) - (a + 3)) * x) * x + 1

    def far(x):  # 1 < |x| < 2
        return ((x * a - 5 * a) * x + 8 * a) * x - 4 * a

    rest = 1 - t
    return [far(t + 1), near(t), near(rest), far(rest + 1)]


def _check_grid_sample(input, grid, mode: str, padding_mode: str) -> tuple:
    if mode not in _MODES:
        raise OpError(f"grid_sample: mode must be 'bilinear', 'nearest' or 'bicubic', got "
                      f"{mode!r}")
    if padding_mode not in _PADDING_MODES:
        raise OpError(f"grid_sample: padding_mode must be 'zeros', 'border' or 'reflection', "
                      f"got {padding_mode!r}")
    xs, gs = tuple(shape_of(input)), tuple(shape_of(grid))
    dt, gdt = data_of(input).dtype, data_of(grid).dtype
    if dt.kind != "f" or gdt.kind != "f":
        raise OpTypeError(f"grid_sample: input and grid must be floating point, got "
                          f"{dt} and {gdt}")
    if dt != gdt:
        raise OpTypeError(f"grid_sample: input and grid must have the same dtype, got {dt} "
                          f"and {gdt}; convert one, e.g. grid.to({dt})")
    if len(xs) not in (4, 5) or len(gs) != len(xs):
        raise OpError(f"grid_sample: expected a 4-D (N, C, H, W) or 5-D (N, C, D, H, W) input "
                      f"and a grid of as many dims, got input of shape {xs} and grid of shape "
                      f"{gs}")
    nd = len(xs) - 2
    if xs[0] != gs[0]:
        raise OpError(f"grid_sample: the input and grid must have the same batch size, got "
                      f"input of shape {xs} and grid of shape {gs}")
    if gs[-1] != nd:
        raise OpError(f"grid_sample: a {len(xs)}-D input needs a grid with size {nd} in its "
                      f"last dim, got grid of shape {gs}")
    if 0 in xs[2:]:
        raise OpError(f"grid_sample: the input's spatial dims must be non-empty, got shape {xs}")
    if mode == "bicubic" and nd != 2:
        raise _Unsupported(f"grid_sample: bicubic interpolation supports only 4-D input, got "
                           f"shape {xs}; use mode='bilinear' (trilinear) or 'nearest'")
    return xs, gs, nd


def grid_sample(input, grid, mode: str = "bilinear", padding_mode: str = "zeros",
                align_corners: bool = None):
    """``input`` (N, C, H, W) read at the normalized points of ``grid`` (N, H_out, W_out, 2):
    (N, C, H_out, W_out), as PyTorch's ``F.grid_sample`` (5-D: (N, C, D, H, W) and grid
    (N, D_out, H_out, W_out, 3), bilinear or nearest). grid[..., 0] is x (along W), -1 the
    left edge and 1 the right (pixel centres when ``align_corners``). Differentiable in
    ``input`` and (bilinear, bicubic) in ``grid``.

    >>> import chainrule as cr
    >>> x = cr.arange(4.).reshape(1, 1, 2, 2)
    >>> grid_sample(x, cr.tensor([[[[0., 0.]]]]), align_corners=True).item()
    1.5
    """
    align_corners = bool(align_corners)
    xs, gs, nd = _check_grid_sample(input, grid, mode, padding_mode)
    n, c, spatial = xs[0], xs[1], xs[2:]
    out_sp = gs[1:-1]
    p = math.prod(out_sp)
    gdata = data_of(grid)
    xp = array_module(gdata)
    dtype = gdata.dtype
    g = sh.reshape(grid, (n, p, nd))
    gflat = gdata.reshape(n, p, nd)
    # Per spatial dim d (D, H, W order): the coordinate's value, its slope, and, unless the
    # mode is nearest, the coordinate as a graph value (grid component nd-1-d).
    values, coords = [], []
    for d, size in enumerate(spatial):
        k = nd - 1 - d
        v, slope = _unnormalize(xp, gflat[..., k], size, align_corners)
        if mode != "bicubic":  # bicubic pads each tap's integer position instead
            v, pad_slope = _pad_coordinates(xp, v, size, padding_mode, align_corners)
            slope = pad_slope * dtype.type(slope)
        values.append(v)
        if mode != "nearest":
            coords.append((g[..., k] - gflat[..., k]) * slope + v)

    if mode == "nearest":
        corner_idx = [[xp.rint(v).astype(xp.int64)] for v in values]
        corner_w = [[None] for _ in values]
    else:
        corner_idx, corner_w = [], []
        for d, (v, coord) in enumerate(zip(values, coords)):
            base = xp.floor(v)
            idx = [base.astype(xp.int64) + o for o in _taps(mode)]
            if mode == "bilinear":  # as PyTorch: (base + 1 - c) and (c - base)
                w = [-coord + (base + dtype.type(1)), coord - base]
            else:
                w = _cubic_coefficients(coord - base)
                size = spatial[d]
                idx = [_pad_coordinates(xp, i.astype(dtype), size, padding_mode,
                                        align_corners)[0].astype(xp.int64) for i in idx]
            corner_idx.append(idx)
            corner_w.append(w)

    # Every corner: its flat index into the input's spatial dims, whether it lies inside,
    # and its weight (the product of its per-dim weights).
    flat, valid, weights = [], [], []
    strides = [math.prod(spatial[d + 1:]) for d in range(nd)]
    for combo in itertools.product(*(range(len(i)) for i in corner_idx)):
        f = 0
        ok = True
        w = None
        for d, j in enumerate(combo):
            i = corner_idx[d][j]
            ok = ok & (i >= 0) & (i < spatial[d])
            f = f + xp.clip(i, 0, spatial[d] - 1) * strides[d]
            wd = corner_w[d][j]
            if wd is not None:
                w = wd if w is None else w * wd
        flat.append(f)
        valid.append(ok)
        weights.append(w)
    k = len(flat)
    index = xp.stack(flat, axis=1).reshape(n, 1, k * p)
    valid = xp.stack(valid, axis=1)  # (N, K, P)
    x = sh.reshape(input, (n, c, math.prod(spatial)))
    vals = apply(ix.gather_p, (x,), {"index": index, "axis": 2,
                                     "in_shape": (n, c, math.prod(spatial))})
    vals = sh.reshape(vals, (n, c, k, p))
    if not valid.all():  # corners outside read 0 (masked, so an inf there cannot leak)
        vals = ix.masked_fill(vals, ~valid[:, None], 0.0)
    if mode == "nearest":
        out = sh.reshape(vals, (n, c, p))
    else:
        w = sh.stack(weights, axis=1)  # (N, K, P)
        out = rd.sum(vals * sh.unsqueeze(w, 1), axis=2)
    return sh.reshape(out, (n, c) + tuple(out_sp))


def __dir__():  # dir() and tab completion show what the module exports, not its helpers
    return __all__
