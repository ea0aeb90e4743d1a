"""``save`` / ``load`` with PyTorch's signatures, in the safetensors format (the
``safetensors`` extra), so weights move between chainrule and PyTorch, and no file can run
code: chainrule never pickles or unpickles.

What ``torch.save`` stores with ``weights_only`` loading in mind round-trips exactly: tensors
(dtype, shape, ``requires_grad``, ``name``), :class:`~chainrule.nn.Parameter`, NumPy arrays
and scalars, ``dict`` / ``OrderedDict`` / ``Counter`` (any hashable key of the kinds below),
``list``, ``tuple``, ``set``, ``frozenset``, ``None``, ``bool``, ``int``, ``float``,
``complex``, ``str``, ``bytes``, ``bytearray``, dtypes and devices. The arrays are the file's
tensors; the tree around them is JSON in the file's metadata. A tensor or Module reached twice
comes back as one object (tied weights stay tied).

A whole :class:`~chainrule.nn.Module` is stored as its class's name and its ``__dict__``. It
loads only if the class is allowed, as with ``torch.load(weights_only=True)``: chainrule's own
modules are; others through :func:`add_safe_globals` or :func:`safe_globals`. It is rebuilt
with ``object.__new__`` and its ``__dict__`` restored, running none of its code, and the class
is looked up among the allowed ones, never imported by name.

Everything that could not come back as it went in is refused by ``save``, naming where it is,
before anything is written; ``save`` to a path replaces the file atomically, so a crash or an
error leaves the old one whole; and ``load`` explains a damaged file rather than failing
somewhere inside it.
"""
from __future__ import annotations as _annotations

import base64 as _base64
import contextlib as _contextlib
import io as _io
import json as _json
import os as _os
import pickle as _pickle
import stat as _stat
import sys as _sys
import types as _types
import uuid as _uuid
from collections import Counter as _Counter
from collections import OrderedDict as _OrderedDict
from typing import Any as _Any

import numpy as _np

from . import _backend
from ._backend import DIFFERENTIABLE_DTYPES as _DIFFERENTIABLE_DTYPES
from ._device import device as _device
from .autograd.tensor import Tensor as _Tensor
from .autograd.tensor import make_tensor as _make_tensor
from .errors import OpError as _OpError
from .errors import OpTypeError as _OpTypeError

__all__ = ["save", "load", "add_safe_globals", "clear_safe_globals", "get_safe_globals",
           "safe_globals", "get_unsafe_globals_in_checkpoint", "UnpicklingError"]

_META_KEY = "chainrule"
# The safetensors header keeps its metadata under this name: a tensor so named makes a file
# that no version of safetensors can read back.
_RESERVED_NAME = "__metadata__"
# Array kinds safetensors stores: bool, signed and unsigned integers, floats, complex (the
# last only in recent versions; older ones refuse it at save, before anything is written).
_ARRAY_KINDS = "biufc"
# safetensors refuses headers above 100 MB; a bigger length means a damaged file.
_MAX_HEADER = 100_000_000
_SCALARS = (type(None), bool, int, float, str)
_DICTS = {dict: "__dict__", _OrderedDict: "__odict__", _Counter: "__counter__"}
_SETS = {set: "__set__", frozenset: "__frozenset__"}


class UnpicklingError(_OpError, _pickle.UnpicklingError):
    """``load`` met a class or function that is not allowed (see :func:`add_safe_globals`):
    caught by ``except pickle.UnpicklingError``, as PyTorch's ``weights_only`` refusal."""


# ---------------------------------------------------------------------------------------------
# The allowlist

_safe: dict = {}  # "module.qualname" -> the class or function


def _global_name(obj) -> str:
    return f"{obj.__module__}.{obj.__qualname__}"


def add_safe_globals(safe_globals: list) -> None:
    """Allow these classes (and functions) in files that :func:`load` reads, as
    ``torch.serialization.add_safe_globals``. An item is the object, or ``(object, name)``
    where the file knows it as ``name`` ("module.QualName").

    >>> import chainrule as cr
    >>> class Net(cr.nn.Module):
    ...     pass
    >>> add_safe_globals([Net])
    >>> clear_safe_globals()
    """
    for item in safe_globals:
        if isinstance(item, tuple):
            if len(item) != 2 or not isinstance(item[1], str):
                raise _OpTypeError(f"add_safe_globals: expected a class or function, or a "
                                   f"(class, 'module.QualName') pair, got {item!r}")
            obj, name = item
        else:
            obj = item
            if not (isinstance(getattr(obj, "__module__", None), str)
                    and isinstance(getattr(obj, "__qualname__", None), str)):
                raise _OpTypeError(f"add_safe_globals: {obj!r} is not a class or function; "
                                   f"pass (object, 'module.QualName') to name it")
            name = _global_name(obj)
        _safe[name] = obj


def clear_safe_globals() -> None:
    """Forget every class and function :func:`add_safe_globals` allowed (chainrule's own
    modules stay allowed)."""
    _safe.clear()


def get_safe_globals() -> list:
    """The classes and functions :func:`add_safe_globals` allowed, beyond chainrule's own."""
    return list(_safe.values())


@_contextlib.contextmanager
def safe_globals(safe_globals: list):
    """Allow these classes and functions inside a ``with`` block only.

    >>> import chainrule as cr
    >>> with safe_globals([cr.nn.Linear]):
    ...     pass
    """
    before = dict(_safe)
    add_safe_globals(safe_globals)
    try:
        yield
    finally:
        _safe.clear()
        _safe.update(before)


def _builtin_globals() -> dict:
    """What is allowed without asking: chainrule's modules and nn.functional's functions,
    and NumPy's scalar types. Made from classes already loaded: nothing is imported."""
    from .nn import functional as F
    from .nn.module import Module
    out, stack = {}, [Module]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls.__module__ == "chainrule.nn" or cls.__module__.startswith("chainrule.nn."):
            out[_global_name(cls)] = cls
    for name in getattr(F, "__all__", ()):
        fn = getattr(F, name, None)
        if isinstance(fn, (_types.FunctionType, _types.BuiltinFunctionType)) and \
                getattr(fn, "__module__", "").startswith("chainrule."):
            out[_global_name(fn)] = fn
    for t in set(_np.sctypeDict.values()):
        out[_global_name(t)] = t
    return out


def _allowed(name: str, builtin: dict | None = None):
    if name in _safe:
        return _safe[name]
    return (_builtin_globals() if builtin is None else builtin).get(name)


def _resolves(obj) -> bool:
    """Whether ``obj`` is reachable by its module and qualified name (a class defined
    inside a function is not): the name is all a file keeps of it."""
    target = _sys.modules.get(getattr(obj, "__module__", None) or "")
    for part in getattr(obj, "__qualname__", "<locals>").split("."):
        target = getattr(target, part, None)
    return target is obj


# ---------------------------------------------------------------------------------------------
# save

class _Attr(str):
    """A step into an object's attribute (rather than a container's item) in a path."""


def _where(path: tuple) -> str:
    """A value's place in the saved object, as the subscripts that reach it."""
    if not path:
        return "the object"
    return "obj" + "".join(f".{k}" if isinstance(k, _Attr) else f"[{k!r}]" for k in path)


def _module_class():
    from .nn.module import Module
    return Module


class _Flattener:
    """Turns the object into a JSON tree plus ``{name: array}``, refusing what would not
    round-trip and naming where it is."""

    def __init__(self, share: bool = True):
        self.arrays, self.owners = {}, {}
        self.active = set()  # ids of the containers being flattened, to catch cycles
        self.share = share  # whether an object met twice is stored once
        self.memo = {}  # id -> its index, for tensors, arrays and modules
        self.keep = []  # the memoized objects, so that their ids stay theirs

    def remember(self, obj):
        """The reference to ``obj`` if it was met before; else None, and it is noted."""
        if not self.share:
            return None
        if id(obj) in self.memo:
            return {"__ref__": self.memo[id(obj)]}
        self.memo[id(obj)] = len(self.keep)
        self.keep.append(obj)
        return None

    def array(self, obj, name: str, path: tuple) -> dict:
        if isinstance(obj, _Tensor):
            from .nn.parameter import Parameter
            if type(obj) not in (_Tensor, Parameter):
                raise _OpTypeError(f"save: cannot store {_where(path)}, a tensor of class "
                                   f"{type(obj).__name__}; store t.detach() instead")
            data = obj._data
        elif type(obj) is not _np.ndarray:
            raise _OpTypeError(f"save: cannot store {_where(path)}, an array of class "
                               f"{type(obj).__name__}; store np.asarray(...) instead")
        else:
            data = obj
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
        ref = self.remember(obj)
        if ref is not None:
            return ref
        # Old safetensors refuse big-endian arrays; (np.ascontiguousarray would turn a 0-d
        # array into 1-d, hence copy())
        if data.dtype.byteorder == ">":
            data = data.astype(data.dtype.newbyteorder("<"))
        self.arrays[name] = data if data.flags.c_contiguous else data.copy()
        self.owners[name] = path
        if not isinstance(obj, _Tensor):
            return {"__array__": name, "shape": list(data.shape)}
        entry = {"__parameter__" if type(obj) is not _Tensor else "__tensor__": name,
                 "shape": list(data.shape)}
        if obj.requires_grad:
            entry["requires_grad"] = True
        if obj.name is not None:
            if not isinstance(obj.name, str):
                raise _OpTypeError(f"save: {_where(path)} has a name of type "
                                   f"{type(obj.name).__name__}; only a str name can be stored")
            entry["name"] = obj.name
        return entry

    def __call__(self, obj, name: str, path: tuple = (), key: bool = False):
        kind = type(obj)
        if kind in _SCALARS:
            return obj
        if isinstance(obj, _np.generic):
            return self.numpy_scalar(obj, path)
        if kind is complex:
            return {"__complex__": [obj.real, obj.imag]}
        if kind in (bytes, bytearray):
            return {f"__{kind.__name__}__": _base64.b64encode(obj).decode("ascii")}
        if kind is _device:
            return {"__device__": str(obj)}
        if isinstance(obj, _np.dtype):
            if obj.fields is not None or obj.subdtype is not None:
                raise _OpTypeError(f"save: cannot store {_where(path)}, the structured dtype "
                                   f"{obj}")
            return {"__dtype__": obj.str}
        if isinstance(obj, (type, _types.FunctionType, _types.BuiltinFunctionType)):
            if not _resolves(obj):
                raise _OpTypeError(f"save: cannot store {_where(path)}, of type "
                                   f"{kind.__name__} ({obj.__qualname__}): it cannot be found "
                                   f"by its name {_global_name(obj)!r}; define it at the top "
                                   f"level of a module")
            return {"__global__": [obj.__module__, obj.__qualname__]}
        if key and kind not in (tuple, frozenset):
            raise _OpTypeError(f"save: the key {obj!r} of {_where(path[:-1])} is a "
                               f"{kind.__name__}; keys can be None, bool, int, float, "
                               f"complex, str, bytes, NumPy scalars, dtypes, devices and "
                               f"tuples or frozensets of them")
        if isinstance(obj, (_Tensor, _np.ndarray)):
            return self.array(obj, name, path)
        if isinstance(obj, _module_class()):
            return self.module(obj, name, path)
        if kind not in _DICTS and kind not in _SETS and kind not in (list, tuple):
            hint = ""
            if isinstance(obj, (dict, list, tuple, set, frozenset, str, int, float)):
                base = next(b for b in (dict, list, tuple, set, frozenset, str, int, float)
                            if isinstance(obj, b))
                hint = f" (convert it with {base.__name__}(...))"
            raise _OpTypeError(f"save: cannot store {_where(path)}, of type "
                               f"{kind.__name__}{hint}; tensors, arrays, modules, dicts, "
                               f"lists, tuples, sets, str, int, float, complex, bool, bytes "
                               f"and None can be stored")
        if id(obj) in self.active:
            raise _OpError(f"save: {_where(path)} contains itself")
        self.active.add(id(obj))
        child = lambda k: f"{name}.{k}" if name else str(k)  # noqa: E731
        if kind in _DICTS:
            tree = {_DICTS[kind]: [[self.key(k, path), self(v, child(k), path + (k,))]
                                   for k, v in obj.items()]}
        elif kind in _SETS:
            tree = {_SETS[kind]: [self(v, child(i), path + (v,), key=True)
                                  for i, v in enumerate(obj)]}
        else:
            tree = {"__list__" if kind is list else "__tuple__":
                    [self(v, child(i), path + (i,), key=key) for i, v in enumerate(obj)]}
        self.active.discard(id(obj))
        return tree

    def key(self, k, path: tuple):
        # JSON keeps strings and numbers apart only if we say which is which; any other key
        # is the tree of its value, made only of what can be a key again.
        if type(k) is str:
            return k
        if type(k) in (int, bool):
            return {"__int__": k}  # (bool stays bool)
        return {"__key__": self(k, "", path + (k,), key=True)}

    @staticmethod
    def numpy_scalar(obj, path: tuple) -> dict:
        dtype = obj.dtype
        if dtype.kind not in _ARRAY_KINDS or dtype.itemsize > (16 if dtype.kind == "c" else 8):
            raise _OpTypeError(f"save: cannot store {_where(path)}, a NumPy scalar of dtype "
                               f"{dtype}")
        value = obj.item()  # exact: a Python float holds any float16/32/64
        if dtype.kind == "c":
            value = [value.real, value.imag]
        return {"__npscalar__": dtype.str, "value": value}

    def module(self, obj, name: str, path: tuple) -> dict:
        cls = type(obj)
        ref = self.remember(obj)
        if ref is not None:
            return ref
        if not _resolves(cls):
            raise _OpTypeError(f"save: cannot store {_where(path)}, a {cls.__qualname__}: its "
                               f"class cannot be found by its name {_global_name(cls)!r}; "
                               f"define it at the top level of a module")
        slots = [s for c in cls.__mro__ for s in c.__dict__.get("__slots__", ())
                 if s not in ("__dict__", "__weakref__")]
        if slots:
            raise _OpTypeError(f"save: cannot store {_where(path)}, a {cls.__qualname__}: "
                               f"its class has __slots__ {slots}, which are not saved")
        child = lambda k: f"{name}.{k}" if name else k  # noqa: E731
        attrs = [[k, self(v, child(k), path + (_Attr(k),))] for k, v in vars(obj).items()]
        return {"__module__": [cls.__module__, cls.__qualname__], "attrs": attrs}


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


def _safetensors():
    # Needs safetensors >= 0.4.4: from 0.3.0 to 0.4.3, a file with metadata but no tensor
    # (a checkpoint of plain numbers) is written with a header no version can read.
    try:
        from safetensors import numpy as st
    except ImportError:
        raise ImportError("save/load need safetensors: pip install chainrule[safetensors]") \
            from None
    return st


def _check_pickle_module(pickle_module, op: str) -> None:
    if pickle_module is not None and pickle_module is not _pickle:
        raise _OpTypeError(f"{op}: pickle_module={pickle_module!r} is not supported: chainrule "
                           f"files hold no pickle; leave pickle_module out")


def save(obj: _Any, f, pickle_module=None, pickle_protocol: int = 2,
         _use_new_zipfile_serialization: bool = True) -> None:
    """Write ``obj`` (a tensor, a state dict, a checkpoint dict, a whole Module) to ``f``, a
    path or a binary file object, as ``torch.save``.

    A flat ``{name: tensor}`` dict is stored under its own names, so PyTorch's
    ``safetensors.torch.load_file`` reads it directly. A value that could not be read back
    raises here, naming where it is in ``obj``. A path is replaced atomically: on any error
    the previous file is left as it was; a file object gets the bytes written at its
    position. ``pickle_protocol`` and ``_use_new_zipfile_serialization`` are accepted for
    PyTorch's sake and mean nothing here.

    >>> import io, chainrule as cr
    >>> buffer = io.BytesIO()
    >>> cr.save({"epoch": 3, "w": cr.ones(2)}, buffer)
    >>> _ = buffer.seek(0)
    >>> cr.load(buffer)["epoch"]
    3
    """
    _check_pickle_module(pickle_module, "save")
    stream = hasattr(f, "write")
    if stream and isinstance(f, _io.TextIOBase):
        raise _OpTypeError("save: the file is open in text mode; open it with 'wb'")
    if not stream:
        try:
            f = _os.fspath(f)
        except TypeError:
            raise _OpTypeError(f"save: f must be a path (str or os.PathLike) or a binary file "
                               f"object, got {type(f).__name__}") from None
    st = _safetensors()
    if type(obj) in (dict, _OrderedDict) and obj and \
            all(type(k) is str and isinstance(v, _Tensor) for k, v in obj.items()):
        flat = _Flattener(share=False)  # every name stored, for other readers
        tree = {_DICTS[type(obj)]: [[k, flat(v, k, (k,))] for k, v in obj.items()]}
    else:
        flat = _Flattener()
        tree = flat(obj, "tensor" if isinstance(obj, _Tensor) else "")
    try:
        data = st.save(flat.arrays, metadata={_META_KEY: _json.dumps(tree)})
    except Exception as exc:  # SafetensorError, whose module differs between versions
        version = getattr(_sys.modules.get("safetensors"), "__version__", "?")
        raise _OpError(f"save: safetensors {version} could not store the object: {exc}") \
            from exc
    if stream:
        f.write(data)
    else:
        _write_atomic(f, data)


# ---------------------------------------------------------------------------------------------
# load

class _Corrupt(Exception):
    """What is wrong with the metadata, and where; ``load`` adds the file's name."""


def _shape(value, where: str) -> list:
    if not (isinstance(value, list) and all(isinstance(n, int) and not isinstance(n, bool)
                                            and n >= 0 for n in value)):
        raise _Corrupt(f"{where} has an invalid shape {value!r}")
    return value


def _pair(value, where: str, what: str) -> tuple:
    if not (isinstance(value, list) and len(value) == 2 and
            all(isinstance(v, str) for v in value)):
        raise _Corrupt(f"{where} is a malformed {what}")
    return tuple(value)


def _number(value, where: str):
    if type(value) not in (int, float):
        raise _Corrupt(f"{where} is a malformed number")
    return value


class _Rebuilder:
    """The object a tree written by :class:`_Flattener` describes; raises ``_Corrupt``, or
    :class:`UnpicklingError` for a class that is not allowed."""

    _ARRAY_TAGS = ("__tensor__", "__parameter__", "__array__")

    def __init__(self, arrays: dict, weights_only):
        self.arrays, self.seen, self.weights_only = arrays, [], weights_only
        self._builtin = None

    def allowed(self, name: str):
        if self._builtin is None:  # (walked once per load, not once per module)
            self._builtin = _builtin_globals()
        return _allowed(name, self._builtin)

    def array(self, tree: dict, tag: str, where: str):
        name = tree[tag]
        extra = set(tree) - {tag, "shape"}
        if not isinstance(name, str) or "shape" not in tree or \
                extra - ({"requires_grad", "name"} if tag != "__array__" else set()):
            raise _Corrupt(f"{where} is a malformed tensor entry")
        if name not in self.arrays:
            raise _Corrupt(f"{where} refers to the tensor {name!r}, which is not in the file")
        shape, data = _shape(tree["shape"], where), self.arrays[name]
        if int(_np.prod(shape)) != data.size:
            raise _Corrupt(f"{where} says shape {tuple(shape)}, but the tensor {name!r} has "
                           f"{data.size} elements")
        data = data.reshape(shape)
        if not data.flags.writeable:  # (parameters are updated in place)
            data = data.copy()
        if tag == "__array__":
            out = data
        else:
            grad, label = tree.get("requires_grad", False), tree.get("name")
            if type(grad) is not bool or not isinstance(label, (str, type(None))):
                raise _Corrupt(f"{where} is a malformed tensor entry")
            if grad and data.dtype not in _DIFFERENTIABLE_DTYPES:
                raise _Corrupt(f"{where} requires grad with dtype {data.dtype}")
            if tag == "__parameter__":
                from .nn.parameter import Parameter
                out = Parameter(_make_tensor(data), requires_grad=grad)
            else:
                out = _make_tensor(data, requires_grad=grad)
            out.name = label
        self.seen.append(out)
        return out

    def module(self, tree: dict, where: str):
        if set(tree) != {"__module__", "attrs"} or not isinstance(tree["attrs"], list):
            raise _Corrupt(f"{where} is a malformed module entry")
        name = ".".join(_pair(tree["__module__"], where, "module entry"))
        cls = self.allowed(name)
        if cls is None:
            short = name.rpartition(".")[2]
            also = (" (weights_only=False changes nothing: chainrule never runs code from a "
                    "file)" if self.weights_only is False else "")
            raise UnpicklingError(
                f"load: {where} is a {name}, which is not an allowed class{also}. If you "
                f"trust this file, allow the class: "
                f"chainrule.serialization.add_safe_globals([{short}]), or load inside "
                f"`with chainrule.serialization.safe_globals([{short}]):`")
        if not (isinstance(cls, type) and issubclass(cls, _module_class())):
            raise _Corrupt(f"{where} says {name} is a Module class, but it is not")
        obj = object.__new__(cls)  # no __init__, no code of the class runs
        self.seen.append(obj)
        state = {}
        for item in tree["attrs"]:
            if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], str)):
                raise _Corrupt(f"{where} has a malformed attribute {item!r}")
            state[item[0]] = self(item[1], f"{where}.{item[0]}")
        obj.__dict__.update(state)
        return obj

    def key(self, k, where: str):
        if isinstance(k, str):
            return k
        if isinstance(k, dict) and set(k) == {"__int__"} and type(k["__int__"]) in (int, bool):
            return k["__int__"]
        if isinstance(k, dict) and set(k) == {"__key__"}:
            out = self(k["__key__"], f"{where} key")
            try:
                hash(out)
            except TypeError:
                raise _Corrupt(f"{where} has an unhashable dict key") from None
            return out
        raise _Corrupt(f"{where} has a dict key {k!r} that save never writes")

    def __call__(self, tree, where: str = "obj"):
        if tree is None or type(tree) in (bool, int, float, str):
            return tree
        if not isinstance(tree, dict):
            raise _Corrupt(f"{where} is a {type(tree).__name__}, which save never writes")
        for tag in self._ARRAY_TAGS:
            if tag in tree:
                return self.array(tree, tag, where)
        if "__module__" in tree:
            return self.module(tree, where)
        if "__npscalar__" in tree:
            return self.numpy_scalar(tree, where)
        if len(tree) != 1:
            raise _Corrupt(f"{where} is an entry of unknown kind {sorted(tree)!r}")
        (tag, items), = tree.items()
        if tag == "__ref__":
            if type(items) is not int or not 0 <= items < len(self.seen):
                raise _Corrupt(f"{where} refers to an object that is not in the file")
            return self.seen[items]
        if tag in ("__list__", "__tuple__", "__set__", "__frozenset__"):
            if not isinstance(items, list):
                raise _Corrupt(f"{where} is a malformed {tag[2:-2]}")
            out = [self(v, f"{where}[{i}]") for i, v in enumerate(items)]
            if tag in ("__list__", "__tuple__"):
                return out if tag == "__list__" else tuple(out)
            try:
                return set(out) if tag == "__set__" else frozenset(out)
            except TypeError:
                raise _Corrupt(f"{where} is a {tag[2:-2]} of unhashable items") from None
        if tag in ("__dict__", "__odict__", "__counter__"):
            if not isinstance(items, list):
                raise _Corrupt(f"{where} is a malformed dict")
            out = {"__dict__": dict, "__odict__": _OrderedDict, "__counter__": _Counter}[tag]()
            for item in items:
                if not (isinstance(item, list) and len(item) == 2):
                    raise _Corrupt(f"{where} has a malformed dict item {item!r}")
                k = self.key(item[0], where)
                out[k] = self(item[1], f"{where}[{k!r}]")
            return out
        if tag == "__complex__":
            if not (isinstance(items, list) and len(items) == 2):
                raise _Corrupt(f"{where} is a malformed complex")
            return complex(_number(items[0], where), _number(items[1], where))
        if tag in ("__bytes__", "__bytearray__"):
            try:
                raw = _base64.b64decode(items, validate=True)
            except (TypeError, ValueError):
                raise _Corrupt(f"{where} is a malformed {tag[2:-2]}") from None
            return raw if tag == "__bytes__" else bytearray(raw)
        if tag == "__device__":
            try:
                return _device(items)
            except (RuntimeError, TypeError):
                raise _Corrupt(f"{where} is a malformed device {items!r}") from None
        if tag == "__dtype__":
            return self.dtype(items, where)
        if tag == "__global__":
            name = ".".join(_pair(items, where, "global"))
            obj = self.allowed(name)
            if obj is None:
                short = name.rpartition(".")[2]
                raise UnpicklingError(
                    f"load: {where} is {name}, which is not an allowed global. If you trust "
                    f"this file, allow it: chainrule.serialization.add_safe_globals([{short}])")
            return obj
        raise _Corrupt(f"{where} is an entry of unknown kind {tag!r}")

    @staticmethod
    def dtype(text, where: str) -> _np.dtype:
        try:
            dtype = _np.dtype(text) if isinstance(text, str) else None
        except TypeError:
            dtype = None
        if dtype is None or dtype.fields is not None or dtype.subdtype is not None:
            raise _Corrupt(f"{where} is a malformed dtype {text!r}")
        return dtype

    def numpy_scalar(self, tree: dict, where: str):
        if set(tree) != {"__npscalar__", "value"}:
            raise _Corrupt(f"{where} is a malformed NumPy scalar")
        dtype, value = self.dtype(tree["__npscalar__"], where), tree["value"]
        if dtype.kind not in _ARRAY_KINDS:
            raise _Corrupt(f"{where} is a NumPy scalar of dtype {dtype}, which save never "
                           f"writes")
        if dtype.kind == "c":
            if not (isinstance(value, list) and len(value) == 2):
                raise _Corrupt(f"{where} is a malformed NumPy scalar")
            value = complex(_number(value[0], where), _number(value[1], where))
        elif type(value) not in ((bool,) if dtype.kind == "b" else (int, float)):
            raise _Corrupt(f"{where} is a malformed NumPy scalar")
        try:
            return dtype.type(value)
        except (OverflowError, ValueError, TypeError):
            raise _Corrupt(f"{where} holds {value!r}, which is not a {dtype}") from None


def _read(fh, label: str):
    """The arrays and metadata of one safetensors file read from ``fh``, exactly its bytes
    (a stream may hold more after it)."""
    st = _safetensors()
    head = fh.read(8)
    if not isinstance(head, (bytes, bytearray)):
        raise _OpTypeError(f"load: {label} is open in text mode; open it with 'rb'")
    size = int.from_bytes(head, "little") if len(head) == 8 else -1
    if not 0 < size <= _MAX_HEADER:
        raise _OpError(f"load: {label} is not a readable safetensors file: it does not "
                       f"start with a safetensors header")
    header_bytes = fh.read(size)
    try:
        header = _json.loads(header_bytes)
        end = max([v["data_offsets"][1] for k, v in header.items() if k != _RESERVED_NAME],
                  default=0)
        if type(end) is not int or end < 0:
            raise ValueError("bad offsets")
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        raise _OpError(f"load: {label} is not a readable safetensors file: its header is "
                       f"damaged ({exc})") from None
    body = fh.read(end)
    try:
        arrays = st.load(bytes(head) + bytes(header_bytes) + bytes(body))
    except Exception as exc:  # SafetensorError (see save)
        raise _OpError(f"load: {label} is not a readable safetensors file: {exc}") from exc
    metadata = header.get(_RESERVED_NAME) or {}
    return arrays, metadata if isinstance(metadata, dict) else {}


def _check_map_location(map_location) -> None:
    """chainrule loads onto the CPU; any other device is refused by the backend's check."""
    if map_location is None:
        return
    if isinstance(map_location, dict):
        targets = list(map_location.values())
    elif isinstance(map_location, str):  # (a chainrule.device is a str)
        targets = [map_location]
    else:
        raise _OpTypeError(f"load: map_location must be a device, a device name or a dict "
                           f"of them, got {type(map_location).__name__}; chainrule loads "
                           f"onto the CPU, so map_location='cpu' or none at all")
    for target in targets:
        _backend.normalize_device(target)


def _open(f, op: str):
    if hasattr(f, "read"):
        return _contextlib.nullcontext(f), getattr(f, "name", None) or "the file object"
    try:
        path = _os.fspath(f)
    except TypeError:
        raise _OpTypeError(f"{op}: f must be a path (str or os.PathLike) or a binary file "
                           f"object, got {type(f).__name__}") from None
    return open(path, "rb"), path


_PLAIN = object()  # the tree of a file with no chainrule metadata


def _metadata_tree(f, op: str):
    opened, label = _open(f, op)
    with opened as fh:
        arrays, metadata = _read(fh, label)
    if _META_KEY not in metadata:
        return arrays, _PLAIN, label
    try:
        tree = _json.loads(metadata[_META_KEY])
    except (ValueError, TypeError, RecursionError) as exc:
        raise _OpError(f"{op}: {label} has corrupt chainrule metadata: it is not valid JSON "
                       f"({exc})") from None
    return arrays, tree, label


def load(f, map_location=None, pickle_module=None, *, weights_only: bool | None = None,
         mmap: bool | None = None, **pickle_load_args):
    """Read what :func:`save` wrote from ``f``, a path or a binary file object (read from its
    position, exactly one file's bytes), as ``torch.load``. A plain safetensors file (from
    PyTorch, say) comes back as ``{name: tensor}``.

    Loading is always what PyTorch calls ``weights_only``: a chainrule file holds no code,
    and a Module loads only if its class is allowed (chainrule's own are; see
    :func:`add_safe_globals`), else :class:`UnpicklingError`. ``weights_only=False`` is
    accepted and changes nothing. ``map_location`` may be None, "cpu" or
    ``chainrule.device("cpu")`` (or a dict mapping to them); ``mmap`` and the pickle
    arguments ``encoding``/``errors``/``fix_imports`` are accepted and ignored. A damaged
    file raises :class:`~chainrule.OpError` naming it and what is wrong.
    """
    _check_pickle_module(pickle_module, "load")
    unknown = set(pickle_load_args) - {"encoding", "errors", "fix_imports"}
    if unknown:
        raise TypeError(f"load() got unexpected keyword arguments {sorted(unknown)}")
    if weights_only not in (None, True, False):
        raise _OpTypeError(f"load: weights_only must be a bool or None, got {weights_only!r}")
    _check_map_location(map_location)
    arrays, tree, label = _metadata_tree(f, "load")
    if tree is _PLAIN:
        return {k: _make_tensor(v if v.flags.writeable else v.copy()) for k, v in arrays.items()}
    try:
        return _Rebuilder(arrays, weights_only)(tree)
    except _Corrupt as exc:
        raise _OpError(f"load: {label} has corrupt chainrule metadata: {exc}") from None
    except RecursionError:
        raise _OpError(f"load: {label} has corrupt chainrule metadata: it is nested too "
                       f"deeply") from None


def get_unsafe_globals_in_checkpoint(f) -> list:
    """The names of the classes and functions in the file at ``f`` that :func:`load` would
    refuse now, as ``torch.serialization.get_unsafe_globals_in_checkpoint``."""
    _, tree, _ = _metadata_tree(f, "get_unsafe_globals_in_checkpoint")
    found, stack = [], [] if tree is _PLAIN else [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(reversed(node))
        elif isinstance(node, dict):
            for tag in ("__module__", "__global__"):
                pair = node.get(tag)
                if isinstance(pair, list) and len(pair) == 2 and \
                        all(isinstance(p, str) for p in pair):
                    name = ".".join(pair)
                    if _allowed(name) is None and name not in found:
                        found.append(name)
            stack.extend(reversed(list(node.values())))
    return found


def __dir__():
    return __all__
