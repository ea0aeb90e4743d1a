"""Anomaly detection: record where each op was called in the forward pass, and stop
backward at the first node whose gradient holds NaN or inf, naming the op and showing
that forward-pass stack."""
from __future__ import annotations as _annotations

import traceback as _traceback

import numpy as _np

from .grad_mode import ModeFlag as _ModeFlag
from .grad_mode import anomaly_state as _anomaly_state
from .grad_mode import change_modes as _change_modes

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled", "forward_trace",
           "check_gradients"]


class detect_anomaly(_ModeFlag):
    """Context manager (and decorator) turning anomaly detection on; slow, for debugging.

    >>> import chainrule as cr
    >>> x = cr.tensor(0.0, requires_grad=True)
    >>> with detect_anomaly():
    ...     y = x.sqrt() * 0.0
    ...     try:
    ...         y.backward()
    ...     except RuntimeError as err:
    ...         print(str(err).splitlines()[0])
    SqrtBackward produced nan in the gradient of its input 0 (shape (), float32)
    """

    def __init__(self, check_nan: bool = True):
        super().__init__(check_nan)

    @staticmethod
    def _get() -> bool:
        return _anomaly_state.enabled

    @staticmethod
    def _set(mode: bool) -> None:
        set_detect_anomaly(mode)


def set_detect_anomaly(mode: bool) -> None:
    """Turn anomaly detection on or off for the whole process (as PyTorch's)."""
    def change():
        _anomaly_state.enabled = bool(mode)
    _change_modes(change)


def is_anomaly_enabled() -> bool:
    return _anomaly_state.enabled


def forward_trace() -> list:
    """The stack of the op being recorded, without chainrule's own frames."""
    frames = _traceback.extract_stack()[:-1]
    return [f for f in frames if "/chainrule/" not in f.filename.replace("\\", "/")] or frames


def check_gradients(node, grads) -> None:
    for i, g in enumerate(grads):
        if g is None:
            continue
        data = getattr(g, "_data", g)
        arr = data if isinstance(data, _np.ndarray) else _np.asarray(data)
        if arr.dtype.kind in "fc" and not _np.isfinite(arr).all():
            bad = "nan" if _np.isnan(arr).any() else "inf"
            trace = "".join(_traceback.format_list(node.trace)) if node.trace else \
                "(no forward trace: the op was recorded outside detect_anomaly)\n"
            raise RuntimeError(
                f"{node.name} produced {bad} in the gradient of its input {i} (shape "
                f"{tuple(arr.shape)}, {arr.dtype})\nThe forward call that created this node:\n"
                f"{trace}")
