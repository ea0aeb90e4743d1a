"""``save`` / ``load`` in the safetensors format (the ``safetensors`` extra), so weights move
between chainrule and PyTorch. Nested containers (an optimizer's state, a checkpoint dict)
are kept in the file's metadata, with their arrays stored as tensors.

Everything that could not come back as it went in is refused by ``save``, before the file
is touched; ``save`` replaces the file atomically, so a crash or an error leaves the old one
whole; and ``load`` explains a damaged file rather than failing somewhere inside it.
"""
from __future__ import annotations as _annotations

import json as _json
import os as _os
import stat as _stat
import sys as _sys
import uuid as _uuid

import numpy as _np

from .autograd.tensor import Tensor as _Tensor
from .autograd.tensor import make_tensor as _make_tensor
from .errors import OpError as _OpError
from .errors import OpTypeError as _OpTypeError

__all__ = ["save", "load"]

_META_KEY = "chainrule"
# The safetensors header keeps its metadata under this name: a tensor so named makes a file
# that no version of safetensors can read back.
_RESERVED_NAME = "__metadata__"
# Array kinds safetensors stores: bool, signed and unsigned integers, floats, complex (the
# last only in recent versions; older ones refuse it at save, before anything is written).
_ARRAY_KINDS = "biufc"


def _safetensors():
    # Needs safetensors >= 0.4.4: from 0.3.0 to 0.4.3, a file with metadata but no tensor
    # (a checkpoint of plain numbers) is written with a header no version can read.
    try:
        from safetensors import numpy as st
    except ImportError:
        raise ImportError("save/load need safetensors: pip install chainrule[safetensors]") \
            from None
    return st


def _where(path: tuple) -> str:
    """A value's place in the saved object, as the subscripts that reach it."""
    return "the object" if not path else "obj" + "".join(f"[{k!r}]" for k in path)


class _Flattener:
    """Turns the object into a JSON tree plus ``{name: array}``, refusing what would not
    round-trip and naming where it is."""

    def __init__(self):
        self.arrays, self.owners = {}, {}
        self.active = set()  # ids of the containers being flattened, to catch cycles

    def array(self, obj, name: str, path: tuple) -> dict:
        data = obj._data if isinstance(obj, _Tensor) else obj
        if not isinstance(data, _np.ndarray):
            data = data.get()  # a CuPy array: the file holds host memory
        if data.dtype.kind not in _ARRAY_KINDS:
            raise _OpTypeError(f"save: {_where(path)} is an array of dtype {data.dtype}, which "
                               f"safetensors cannot store")
        if name == _RESERVED_NAME:
            raise _OpError(f"save: {_where(path)} would be stored under the name {name!r}, "
                           f"which safetensors reserves for its header; rename the key")
        if name in self.arrays:
            raise _OpError(f"save: {_where(path)} and {_where(self.owners[name])} would both be "
                           f"stored as the tensor {name!r}; rename one of the keys")
        # Old safetensors refuse big-endian arrays; (np.ascontiguousarray would turn a 0-d
        # array into 1-d, hence copy())
        if data.dtype.byteorder == ">":
            data = data.astype(data.dtype.newbyteorder("<"))
        self.arrays[name] = data if data.flags.c_contiguous else data.copy()
        self.owners[name] = path
        return {"__tensor__" if isinstance(obj, _Tensor) else "__array__": name,
                "shape": list(data.shape)}

    def __call__(self, obj, name: str, path: tuple = ()):
        if isinstance(obj, (_Tensor, _np.ndarray)):
            return self.array(obj, name, path)
        if obj is None or isinstance(obj, (bool, int, float, str)):
            return obj
        if isinstance(obj, (_np.bool_, _np.integer, _np.floating)):
            return obj.item()
        if not isinstance(obj, (dict, list, tuple)):
            raise _OpTypeError(f"save: cannot store {_where(path)}, of type "
                               f"{type(obj).__name__}; tensors, arrays, dicts, lists, tuples, "
                               f"str, int, float, bool and None can be stored")
        if id(obj) in self.active:
            raise _OpError(f"save: {_where(path)} contains itself")
        self.active.add(id(obj))
        child = lambda k: f"{name}.{k}" if name else str(k)  # noqa: E731
        if isinstance(obj, dict):
            tree = {"__dict__": [[self.key(k, path), self(v, child(k), path + (k,))]
                                 for k, v in obj.items()]}
        else:
            tree = {"__list__" if isinstance(obj, list) else "__tuple__":
                    [self(v, child(i), path + (i,)) for i, v in enumerate(obj)]}
        self.active.discard(id(obj))
        return tree

    @staticmethod
    def key(k, path: tuple):
        # JSON keeps strings and numbers apart only if we say which is which; any other key
        # (a float, a tuple, None) would come back as something else, or not at all.
        if isinstance(k, str):
            return k
        if isinstance(k, (int, _np.integer)):
            return {"__int__": k if isinstance(k, int) else int(k)}  # (bool stays bool)
        raise _OpTypeError(f"save: the key {k!r} of {_where(path)} is a {type(k).__name__}; only "
                           f"str and int keys can be stored")


class _Corrupt(Exception):
    """What is wrong with the metadata, and where; ``load`` adds the file's name."""


def _shape(value, where: str) -> list:
    if not (isinstance(value, list) and all(isinstance(n, int) and not isinstance(n, bool)
                                            and n >= 0 for n in value)):
        raise _Corrupt(f"{where} has an invalid shape {value!r}")
    return value


def _rebuild(tree, arrays, where: str = "obj"):
    """The object a tree written by :class:`_Flattener` describes; raises ``_Corrupt``."""
    if tree is None or isinstance(tree, (bool, int, float, str)):
        return tree
    if not isinstance(tree, dict):
        raise _Corrupt(f"{where} is a {type(tree).__name__}, which save never writes")
    for tag in ("__tensor__", "__array__"):
        if tag in tree:
            name = tree[tag]
            if not isinstance(name, str) or set(tree) != {tag, "shape"}:
                raise _Corrupt(f"{where} is a malformed tensor entry")
            if name not in arrays:
                raise _Corrupt(f"{where} refers to the tensor {name!r}, which is not in the "
                               f"file")
            shape, data = _shape(tree["shape"], where), arrays[name]
            if int(_np.prod(shape)) != data.size:
                raise _Corrupt(f"{where} says shape {tuple(shape)}, but the tensor {name!r} "
                               f"has {data.size} elements")
            data = data.reshape(shape)
            return _make_tensor(data) if tag == "__tensor__" else data
    if len(tree) != 1:
        raise _Corrupt(f"{where} is an entry of unknown kind {sorted(tree)!r}")
    (tag, items), = tree.items()
    if tag in ("__list__", "__tuple__"):
        if not isinstance(items, list):
            raise _Corrupt(f"{where} is a malformed {tag[2:-2]}")
        out = [_rebuild(v, arrays, f"{where}[{i}]") for i, v in enumerate(items)]
        return out if tag == "__list__" else tuple(out)
    if tag == "__dict__":
        if not isinstance(items, list):
            raise _Corrupt(f"{where} is a malformed dict")
        out = {}
        for item in items:
            if not (isinstance(item, list) and len(item) == 2):
                raise _Corrupt(f"{where} has a malformed dict item {item!r}")
            k, v = item
            if isinstance(k, dict) and set(k) == {"__int__"} and isinstance(k["__int__"], int):
                k = k["__int__"]
            elif not isinstance(k, str):
                raise _Corrupt(f"{where} has a dict key {k!r} that save never writes")
            out[k] = _rebuild(v, arrays, f"{where}[{k!r}]")
        return out
    raise _Corrupt(f"{where} is an entry of unknown kind {tag!r}")


def _fsync_directory(folder: str) -> None:
    """Make a rename in ``folder`` durable. Windows cannot open a directory, and some file
    systems refuse to sync one: the file is in place either way, so this is best effort."""
    if _os.name == "nt":
        return
    try:
        fd = _os.open(folder, _os.O_RDONLY)
    except OSError:
        return
    try:
        _os.fsync(fd)
    except OSError:
        pass
    finally:
        _os.close(fd)


def _write_atomic(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` so that ``path`` holds either its old contents or all of
    ``data``, never a part: write a temporary file beside it, sync it, rename it over."""
    path = _os.path.realpath(path)  # through a symlink: replace the file, keep the link
    folder, base = _os.path.split(path)
    try:
        info = _os.stat(path)
    except FileNotFoundError:
        info = None
    # An overwritten file keeps its mode; a new one gets the usual 0o666 less the umask.
    mode = _stat.S_IMODE(info.st_mode) if info and _stat.S_ISREG(info.st_mode) else None
    tmp = _os.path.join(folder, f".{base}.{_uuid.uuid4().hex[:12]}.tmp")
    fd = _os.open(tmp, _os.O_WRONLY | _os.O_CREAT | _os.O_EXCL | getattr(_os, "O_BINARY", 0),
                  0o666)
    try:
        with open(fd, "wb") as f:
            f.write(data)
            f.flush()
            _os.fsync(f.fileno())
        if mode is not None:
            _os.chmod(tmp, mode)
        _os.replace(tmp, path)
    except BaseException:
        try:
            _os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    _fsync_directory(folder)


def save(obj, path) -> None:
    """Write a tensor, a state dict, or a nested container of them to ``path``.

    A flat ``{name: tensor}`` dict is stored under its own names, so PyTorch's
    ``safetensors.torch.load_file`` reads it directly. Dict keys must be ``str`` or
    ``int``; a key or value that could not be read back raises here (naming it), and the
    file is replaced atomically: on any error the previous file is left as it was.
    Containers come back as ``dict``, ``list`` and ``tuple`` (a state dict's
    ``OrderedDict`` as a ``dict``).
    """
    st = _safetensors()
    flat = _Flattener()
    if isinstance(obj, dict) and obj and all(isinstance(k, str) and isinstance(v, _Tensor)
                                             for k, v in obj.items()):
        tree = {"__dict__": [[k, flat(v, k, (k,))] for k, v in obj.items()]}
    else:
        tree = flat(obj, "tensor" if isinstance(obj, _Tensor) else "")
    try:
        data = st.save(flat.arrays, metadata={_META_KEY: _json.dumps(tree)})
    except Exception as exc:  # SafetensorError, whose module differs between versions
        version = getattr(_sys.modules.get("safetensors"), "__version__", "?")
        raise _OpError(f"save: safetensors {version} could not store the object: {exc}") \
            from exc
    _write_atomic(_os.fspath(path), data)


def load(path):
    """Read what :func:`save` wrote; a plain safetensors file (from PyTorch, say) comes
    back as ``{name: tensor}``. A file that is damaged raises :class:`~chainrule.OpError`
    naming it and what is wrong."""
    _safetensors()
    from safetensors import safe_open
    path = _os.fspath(path)
    try:
        with safe_open(path, framework="numpy") as f:
            metadata = f.metadata() or {}
            arrays = {k: f.get_tensor(k) for k in f.keys()}
    except OSError:
        raise  # a missing or unreadable file is the usual FileNotFoundError, PermissionError
    except Exception as exc:  # SafetensorError (see save)
        raise _OpError(f"load: {path} is not a readable safetensors file: {exc}") from exc
    if _META_KEY not in metadata:
        return {k: _make_tensor(v) for k, v in arrays.items()}
    try:
        tree = _json.loads(metadata[_META_KEY])
    except (ValueError, RecursionError) as exc:
        raise _OpError(f"load: {path} has corrupt chainrule metadata: it is not valid JSON "
                       f"({exc})") from None
    try:
        return _rebuild(tree, arrays)
    except _Corrupt as exc:
        raise _OpError(f"load: {path} has corrupt chainrule metadata: {exc}") from None
    except RecursionError:
        raise _OpError(f"load: {path} has corrupt chainrule metadata: it is nested too "
                       f"deeply") from None
