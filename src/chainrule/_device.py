"""``chainrule.device``: where a tensor lives, as ``torch.device``.

A ``device`` is a ``str`` subclass ("cpu", "cuda:0"), so every function that takes a device
name takes a device object too, and ``t.device == "cpu"`` holds as in PyTorch.

>>> import chainrule as cr
>>> d = cr.device("cuda", 1)
>>> d.type, d.index, str(d)
('cuda', 1, 'cuda:1')
>>> cr.ones(2).device
device(type='cpu')
"""
from __future__ import annotations

from typing import Optional, Union

__all__ = ["device"]

_TYPES = ("cpu", "cuda", "mps", "meta", "xpu")


class device(str):  # noqa: N801  (torch.device's name)
    """A device type and optional index: ``device("cpu")``, ``device("cuda:0")``,
    ``device("cuda", 0)`` or ``device(other_device)``."""

    type: str
    index: Optional[int]

    def __new__(cls, type: Union[str, "device"], index: Optional[int] = None) -> "device":
        name = str(type)
        kind, _, number = name.partition(":")
        if kind not in _TYPES:
            raise RuntimeError(f"device: expected one of {', '.join(_TYPES)} device type at "
                               f"the start of the device string, got {name!r}")
        if number:
            if index is not None or not number.isdigit():
                raise RuntimeError(f"device: invalid device string {name!r}; use e.g. "
                                   f"'cuda:0' or device('cuda', 0)")
            index = int(number)
        if index is not None and (isinstance(index, bool) or not isinstance(index, int)
                                  or index < 0):
            raise RuntimeError(f"device: the index must be a non-negative int, got {index!r}")
        self = super().__new__(cls, kind if index is None else f"{kind}:{index}")
        self.type, self.index = kind, index
        return self

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type={self.type!r})"
        return f"device(type={self.type!r}, index={self.index})"

    def __reduce__(self):
        return device, (self.type, self.index)


# The devices tensor.device answers with, made once (a property read must not parse).
DEVICE_OF_ARRAY = {"cpu": device("cpu"), "cuda": device("cuda", 0)}


def __dir__():  # dir() shows the exports, not the helpers
    return __all__
