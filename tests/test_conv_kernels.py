"""The convolution kernels' paths (ops/conv.py): "rows" (one GEMM over channels-last rows,
by chunks of the batch), "flat" (stride 1, _flatconv) and "cols" (im2col per offset),
each forced and compared with a plain reference, in both dtypes, over stride, dilation,
padding and groups; the rows helpers of _window; gradchecks through the rows path; and
PyTorch as the oracle on the shapes that choose it."""
from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.autograd import gradcheck, gradgradcheck
from chainrule.ops import conv as C
from chainrule.ops._window import im2row, row2im, used_offsets


def _reference(x, w, stride, padding, dilation, groups=1):
    """Convolution by its definition, in float64: a sum over every kernel offset."""
    x, w = x.astype(np.float64), w.astype(np.float64)
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    xp = np.pad(x, [(0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2])
    oh = (h + 2 * padding[0] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (wd + 2 * padding[1] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((n, o, oh, ow))
    og = o // groups
    for i in range(kh):
        for j in range(kw):
            patch = xp[:, :, i * dilation[0]:i * dilation[0] + stride[0] * (oh - 1) + 1:stride[0],
                       j * dilation[1]:j * dilation[1] + stride[1] * (ow - 1) + 1:stride[1]]
            for g in range(groups):
                out[:, g * og:(g + 1) * og] += np.einsum(
                    "nchw,oc->nohw", patch[:, g * cg:(g + 1) * cg], w[g * og:(g + 1) * og, :, i, j])
    return out


def _force(monkeypatch, path):
    chosen = C._path

    def forced(in_sp, kernel, stride, padding, dilation, channels, groups):
        if path == "rows" and groups == 1:
            ranges = used_offsets(tuple(in_sp), tuple(kernel), tuple(stride), tuple(padding),
                                  tuple(dilation))
            if ranges is not None:
                return "rows", ranges
        if path == "flat" and groups == 1 and all(s == 1 for s in stride):
            return "flat", None
        if path == "cols":
            return "cols", None
        return chosen(in_sp, kernel, stride, padding, dilation, channels, groups)
    monkeypatch.setattr(C, "_path", forced)


GEOMETRIES = [  # (n, c, o, h, w, k, stride, padding, dilation, groups)
    (3, 4, 5, 1, 1, 3, 1, 1, 1, 1),     # a 1x1 map: only the kernel's centre reads it
    (2, 3, 4, 2, 3, 3, 1, 1, 1, 1),
    (3, 4, 6, 4, 4, 3, 2, 1, 1, 1),
    (2, 4, 3, 5, 6, 3, 1, 2, 2, 1),
    (2, 4, 4, 9, 9, 3, 1, 1, 1, 1),     # the input gradient as a flipped convolution
    (2, 2, 3, 7, 7, 1, 2, 0, 1, 1),
    (2, 3, 2, 4, 4, 4, 2, 1, 1, 1),
    (2, 3, 2, 3, 3, 3, 2, 2, 3, 1),
    (2, 4, 6, 5, 5, 3, 1, 1, 1, 2),     # groups: the cols path
]


@pytest.mark.parametrize("path", ["rows", "flat", "cols"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("geo", GEOMETRIES, ids=str)
@pytest.mark.parametrize("chunk", [None, 1])
def test_each_path_matches_the_definition(monkeypatch, path, dtype, geo, chunk):
    n, c, o, h, wd, k, s, p, d, groups = geo
    if chunk is not None:  # chunks of one sample: the chunk loop runs several times
        monkeypatch.setattr(C, "_ROWS_CHUNK_BYTES", chunk)
    _force(monkeypatch, path)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, c, h, wd)).astype(dtype)
    w = rng.standard_normal((o, c // groups, k, k)).astype(dtype)
    b = rng.standard_normal(o).astype(dtype)
    geom = {"stride": (s, s), "padding": (p, p), "dilation": (d, d), "groups": groups}
    want = _reference(x, w, (s, s), (p, p), (d, d), groups)
    tol = 1e-4 if dtype == np.float32 else 1e-10
    y = C._conv(np, x, w, b, **geom)
    assert y.dtype == dtype and (y.flags.c_contiguous or groups > 1)
    np.testing.assert_allclose(y, want + b[:, None, None], atol=tol, rtol=tol)
    # The transposes, by <g, conv(x, w)> = <Cx^T(g, w), x> = <Cw^T(x, g), w>, and by the
    # definition: Cx^T is conv's derivative in x, entry by entry.
    g = rng.standard_normal(want.shape).astype(dtype)
    gx = C._conv_input_grad(np, g, w, in_shape=x.shape, **geom)
    gw = C._conv_weight_grad(np, x, g, w_shape=w.shape, **geom)
    assert gx.dtype == dtype and gw.dtype == dtype
    dot = float(np.sum(g.astype(np.float64) * want))
    assert abs(float(np.sum(gx.astype(np.float64) * x)) - dot) <= 1e3 * tol * (1 + abs(dot))
    assert abs(float(np.sum(gw.astype(np.float64) * w)) - dot) <= 1e3 * tol * (1 + abs(dot))
    e = np.zeros_like(x, dtype=np.float64)
    e.flat[x.size // 2] = 1.0
    np.testing.assert_allclose(gx.flat[x.size // 2],
                               np.sum(g * _reference(e, w, (s, s), (p, p), (d, d), groups)),
                               atol=tol * 10, rtol=tol * 10)
    both = C._conv_vjp(np, g, y, (x, w, b), (True, True, True), **geom)
    np.testing.assert_allclose(both[0], gx, atol=tol, rtol=tol)
    np.testing.assert_allclose(both[1], gw, atol=tol, rtol=tol)
    np.testing.assert_allclose(both[2], g.sum((0, 2, 3)), atol=tol * 10, rtol=tol)


def test_used_offsets_known_values():
    # 3x3, padding 1 on a 1x1 map: only the centre; on 2x2: all three per dim.
    assert used_offsets((1, 1), (3, 3), (1, 1), (1, 1), (1, 1)) == ((1, 2), (1, 2))
    assert used_offsets((2, 2), (3, 3), (1, 1), (1, 1), (1, 1)) == ((0, 3), (0, 3))
    # stride 2 on a 2-long map, kernel 3 padding 1: one output, offsets 1 and 2.
    assert used_offsets((2,), (3,), (2,), (1,), (1,)) == ((1, 3),)


def test_im2row_and_row2im_are_transposes():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 5, 4))
    geo = ((3, 2), (2, 1), (1, 1), (1, 2))
    ranges = used_offsets((5, 4), *geo)
    rows, out_sp = im2row(np, x, *geo, ranges)
    assert rows.shape == (2,) + out_sp + (3, 2, 3) and rows.flags.c_contiguous
    # Known values: row (n, i, j, ki, kj, c) is the padded input at (i*s + ki*d, ...).
    padded = np.pad(x, [(0, 0), (0, 0), (1, 1), (1, 1)])
    assert rows[1, 1, 2, 2, 1, 0] == padded[1, 0, 1 * 2 + 2, 2 * 1 + 1 * 2]
    r = rng.standard_normal(rows.shape)
    back = row2im(np, r, x.shape, *geo, ranges)
    assert back.shape == x.shape
    np.testing.assert_allclose(np.sum(back * x), np.sum(r * rows))


# ResNet-18's shapes (and DCGAN's ConvTranspose2d(64, 32, 4, 2, 1) on 4x4), at a small batch.
TORCH_CASES = [  # (n, c, o, h, k, stride, padding)
    (2, 32, 16, 1, 3, 1, 1), (2, 32, 16, 2, 3, 1, 1), (2, 16, 32, 4, 3, 2, 1),
    (2, 16, 16, 7, 3, 1, 1), (2, 16, 32, 14, 3, 2, 1), (2, 16, 32, 7, 1, 2, 0),
    (2, 16, 16, 14, 3, 1, 1), (2, 1, 16, 28, 7, 2, 3),
]


@pytest.mark.parametrize("case", TORCH_CASES, ids=str)
def test_conv2d_matches_torch(case):
    torch = pytest.importorskip("torch")
    n, c, o, h, k, s, p = case
    rng = np.random.default_rng(2)
    x = rng.standard_normal((n, c, h, h)).astype(np.float32)
    w = (rng.standard_normal((o, c, k, k)) * 0.1).astype(np.float32)
    b = rng.standard_normal(o).astype(np.float32)
    g = rng.standard_normal((n, o, (h + 2 * p - k) // s + 1, (h + 2 * p - k) // s + 1))
    cx, cw, cb = (cr.tensor(a, requires_grad=True) for a in (x, w, b))
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    y = cr.nn.functional.conv2d(cx, cw, cb, stride=s, padding=p)
    ty = torch.nn.functional.conv2d(tx, tw, tb, stride=s, padding=p)
    y.backward(cr.tensor(g.astype(np.float32)))
    ty.backward(torch.tensor(g.astype(np.float32)))
    assert y.dtype == cr.float32
    for a, t in ((y, ty), (cx.grad, tx.grad), (cw.grad, tw.grad), (cb.grad, tb.grad)):
        np.testing.assert_allclose(a.detach().numpy(), t.detach().numpy(), atol=1e-4, rtol=1e-4)


def test_conv_transpose2d_dcgan_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    x = rng.standard_normal((3, 64, 4, 4)).astype(np.float32)
    w = (rng.standard_normal((64, 32, 4, 4)) * 0.1).astype(np.float32)
    g = rng.standard_normal((3, 32, 8, 8)).astype(np.float32)
    cx, cw = cr.tensor(x, requires_grad=True), cr.tensor(w, requires_grad=True)
    tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    y = cr.nn.functional.conv_transpose2d(cx, cw, stride=2, padding=1)
    ty = torch.nn.functional.conv_transpose2d(tx, tw, stride=2, padding=1)
    y.backward(cr.tensor(g))
    ty.backward(torch.tensor(g))
    for a, t in ((y, ty), (cx.grad, tx.grad), (cw.grad, tw.grad)):
        np.testing.assert_allclose(a.detach().numpy(), t.detach().numpy(), atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("geo", [(1, 3, 1, 1), (3, 3, 2, 1), (5, 3, 1, 2), (2, 2, 2, 0)],
                         ids=str)
def test_rows_path_gradchecks(monkeypatch, geo):
    """First and second order, reverse and forward mode, in float64, on the rows path
    (forced: the small channel counts would choose another)."""
    h, k, s, p = geo
    _force(monkeypatch, "rows")
    monkeypatch.setattr(C, "_ROWS_CHUNK_BYTES", 1)
    rng = np.random.default_rng(4)
    x = cr.tensor(rng.standard_normal((2, 2, h, h)), requires_grad=True)
    w = cr.tensor(rng.standard_normal((3, 2, k, k)), requires_grad=True)
    b = cr.tensor(rng.standard_normal(3), requires_grad=True)

    def f(x, w, b):
        return cr.nn.functional.conv2d(x, w, b, stride=s, padding=p)
    assert gradcheck(f, (x, w, b))
    assert gradgradcheck(f, (x, w, b))

    def ft(x, w):
        return cr.nn.functional.conv_transpose2d(x, w, stride=s, padding=min(p, k - 1))
    xt = cr.tensor(rng.standard_normal((2, 3, h, h)), requires_grad=True)
    wt = cr.tensor(rng.standard_normal((3, 2, k, k)), requires_grad=True)
    assert gradcheck(ft, (xt, wt))
    assert gradgradcheck(ft, (xt, wt))


def test_rows_path_is_backend_neutral(monkeypatch):
    """The rows kernels reach arrays only through the data's namespace (as
    tests/test_backend_neutral.py checks every op, there on shapes that choose others)."""
    from test_backend_neutral import Case, _check
    F = cr.nn.functional
    _force(monkeypatch, "rows")
    for case in (Case("conv2d_rows", lambda dev, x, w, b: F.conv2d(x, w, b, padding=1),
                      shapes=((2, 3, 5, 5), (4, 3, 3, 3), (4,))),
                 Case("conv2d_rows_s2", lambda dev, x, w: F.conv2d(x, w, stride=2, padding=1),
                      shapes=((2, 3, 4, 4), (4, 3, 3, 3))),
                 Case("conv_transpose2d_rows",
                      lambda dev, x, w: F.conv_transpose2d(x, w, stride=2, padding=1),
                      shapes=((2, 4, 3, 3), (4, 2, 4, 4)))):
        _check(case, "all", monkeypatch)


def test_small_maps_choose_the_rows_path():
    # ResNet-18's small maps go to one GEMM; few channels on large maps do not.
    assert C._path((1, 1), (3, 3), (1, 1), (1, 1), (1, 1), 512, 1)[0] == "rows"
    assert C._path((7, 7), (3, 3), (1, 1), (1, 1), (1, 1), 128, 1)[0] == "rows"
    assert C._path((28, 28), (3, 3), (1, 1), (1, 1), (1, 1), 1, 1)[0] == "flat"
    assert C._path((7, 7), (3, 3), (1, 1), (1, 1), (1, 1), 128, 2)[0] == "cols"
