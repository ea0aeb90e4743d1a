"""Anomaly detection: record where each op was called in the forward pass, and stop
backward at the first node whose gradient holds NaN or inf, naming the op and showing
that forward-pass stack."""
from __future__ import annotations

import traceback

import numpy as np

from .grad_mode import ModeFlag, anomaly_state, change_modes


class detect_anomaly(ModeFlag):
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
        return anomaly_state.enabled

    @staticmethod
    def _set(mode: bool) -> None:
        set_detect_anomaly(mode)


def set_detect_anomaly(mode: bool) -> None:
    """Turn anomaly detection on or off for the whole process (as PyTorch's)."""
    def change():
        anomaly_state.enabled = bool(mode)
    change_modes(change)


def is_anomaly_enabled() -> bool:
    return anomaly_state.enabled


def forward_trace() -> list:
    """The stack of the op being recorded, without chainrule's own frames."""
    frames = traceback.extract_stack()[:-1]
    return [f for f in frames if "/chainrule/" not in f.filename.replace("\\", "/")] or frames


def check_gradients(node, grads) -> None:
    for i, g in enumerate(grads):
        if g is None:
            continue
        data = getattr(g, "_data", g)
        arr = data if isinstance(data, np.ndarray) else np.asarray(data)
        if arr.dtype.kind in "fc" and not np.isfinite(arr).all():
            bad = "nan" if np.isnan(arr).any() else "inf"
            trace = "".join(traceback.format_list(node.trace)) if node.trace else \
                "(no forward trace: the op was recorded outside detect_anomaly)\n"
            raise RuntimeError(
                f"{node.name} produced {bad} in the gradient of its input {i} (shape "
                f"{tuple(arr.shape)}, {arr.dtype})\nThe forward call that created this node:\n"
                f"{trace}")
