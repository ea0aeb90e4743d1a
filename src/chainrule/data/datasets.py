"""Readers for data sets: the IDX format (MNIST, Fashion-MNIST) and the bundled 8x8 digits."""
from __future__ import annotations as _annotations

import gzip as _gzip
import os as _os

import numpy as _np

__all__ = ["read_idx", "load_digits"]

_IDX_TYPES = {0x08: _np.uint8, 0x09: _np.int8, 0x0B: _np.dtype(">i2"), 0x0C: _np.dtype(">i4"),
              0x0D: _np.dtype(">f4"), 0x0E: _np.dtype(">f8")}


def read_idx(path) -> _np.ndarray:
    """Read an IDX file (as MNIST is distributed), gzipped or not.

    The header is two zero bytes, a type code, the number of dimensions, then each
    dimension as a big-endian uint32.
    """
    path = _os.fspath(path)
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        raw = _gzip.decompress(raw)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"read_idx: {path} is not an IDX file (bad magic number)")
    code, nd = raw[2], raw[3]
    if code not in _IDX_TYPES:
        raise ValueError(f"read_idx: {path} has unknown data type code 0x{code:02x}")
    dims = _np.frombuffer(raw, dtype=">u4", count=nd, offset=4).astype(int)
    dtype = _np.dtype(_IDX_TYPES[code])
    count = int(_np.prod(dims))
    offset = 4 + 4 * nd
    if len(raw) - offset != count * dtype.itemsize:
        raise ValueError(f"read_idx: {path} holds {len(raw) - offset} bytes of data, expected "
                         f"{count * dtype.itemsize} for shape {tuple(dims)}")
    data = _np.frombuffer(raw, dtype=dtype, count=count, offset=offset)
    return data.reshape(tuple(dims)).astype(dtype.newbyteorder("="))


def load_digits():
    """scikit-learn's bundled 8x8 handwritten digits (1,797 images), as
    ``(images float32 (N, 1, 8, 8) scaled to [0, 1], labels int64)``; needs the
    ``datasets`` extra (scikit-learn), and no download."""
    try:
        from sklearn.datasets import load_digits as sk_load_digits
    except ImportError:
        raise ImportError("load_digits needs scikit-learn: pip install chainrule[datasets]") \
            from None
    bunch = sk_load_digits()
    images = (bunch.images / 16.0).astype(_np.float32)[:, None, :, :]
    return images, bunch.target.astype(_np.int64)
