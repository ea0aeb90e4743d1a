"""``save`` / ``load`` in the safetensors format (the ``safetensors`` extra), so weights move
between chainrule and PyTorch. Nested containers (an optimizer's state, a checkpoint dict)
are kept in the file's metadata, with their arrays stored as tensors."""
from __future__ import annotations

import json
import os

import numpy as np

from .autograd.tensor import Tensor, make_tensor

_META_KEY = "chainrule"


def _safetensors():
    try:
        from safetensors import numpy as st
    except ImportError:
        raise ImportError("save/load need safetensors: pip install chainrule[safetensors]") \
            from None
    return st


def _flatten(obj, key, arrays):
    if isinstance(obj, (Tensor, np.ndarray)):
        data = obj._data if isinstance(obj, Tensor) else obj
        # (np.ascontiguousarray would turn a 0-d array into 1-d)
        arrays[key] = data if data.flags.c_contiguous else data.copy()
        return {"__tensor__" if isinstance(obj, Tensor) else "__array__": key,
                "shape": list(data.shape)}
    if isinstance(obj, dict):
        return {"__dict__": [[k if isinstance(k, str) else {"__int__": k},
                              _flatten(v, f"{key}.{k}" if key else str(k), arrays)]
                             for k, v in obj.items()]}
    if isinstance(obj, (list, tuple)):
        return {"__list__" if isinstance(obj, list) else "__tuple__":
                [_flatten(v, f"{key}.{i}" if key else str(i), arrays) for i, v in enumerate(obj)]}
    if isinstance(obj, (np.integer, np.floating, np.bool_)):
        return obj.item()
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    raise TypeError(f"save: cannot store an object of type {type(obj).__name__}")


def _rebuild(tree, arrays):
    if isinstance(tree, dict):
        if "__tensor__" in tree:
            return make_tensor(arrays[tree["__tensor__"]].reshape(tree["shape"]))
        if "__array__" in tree:
            return arrays[tree["__array__"]].reshape(tree["shape"])
        if "__dict__" in tree:
            return {(k["__int__"] if isinstance(k, dict) else k): _rebuild(v, arrays)
                    for k, v in tree["__dict__"]}
        if "__list__" in tree:
            return [_rebuild(v, arrays) for v in tree["__list__"]]
        if "__tuple__" in tree:
            return tuple(_rebuild(v, arrays) for v in tree["__tuple__"])
    return tree


def save(obj, path) -> None:
    """Write a tensor, a state dict, or a nested container of them to ``path``.

    A flat ``{name: tensor}`` dict is stored under its own names, so PyTorch's
    ``safetensors.torch.load_file`` reads it directly.
    """
    st = _safetensors()
    arrays = {}
    if isinstance(obj, dict) and obj and all(isinstance(k, str) and isinstance(v, Tensor)
                                             for k, v in obj.items()):
        tree = {"__dict__": [[k, _flatten(v, k, arrays)] for k, v in obj.items()]}
    else:
        tree = _flatten(obj, "", arrays) if not isinstance(obj, Tensor) else \
            _flatten(obj, "tensor", arrays)
    st.save_file(arrays, os.fspath(path), metadata={_META_KEY: json.dumps(tree)})


def load(path):
    """Read what :func:`save` wrote; a plain safetensors file (from PyTorch, say) comes
    back as ``{name: tensor}``."""
    st = _safetensors()
    from safetensors import safe_open
    path = os.fspath(path)
    with safe_open(path, framework="numpy") as f:
        metadata = f.metadata() or {}
        arrays = {k: f.get_tensor(k) for k in f.keys()}
    if _META_KEY not in metadata:
        return {k: make_tensor(v) for k, v in arrays.items()}
    del st
    return _rebuild(json.loads(metadata[_META_KEY]), arrays)
