"""``chainrule.backends``: the flags PyTorch programs set unconditionally
(``torch.backends.cudnn.benchmark = True``, ``...deterministic``, ``...allow_tf32``). They
are accepted and kept, and change nothing: chainrule's kernels are NumPy's, deterministic
and in full precision.

>>> import chainrule as cr
>>> cr.backends.cudnn.benchmark = True
>>> cr.backends.cudnn.is_available(), cr.backends.mps.is_available()
(False, False)
"""
from __future__ import annotations

from types import SimpleNamespace

__all__ = ["cudnn", "cuda", "mps", "mkldnn", "openmp"]


def _unavailable() -> bool:
    return False


cudnn = SimpleNamespace(enabled=True, benchmark=False, deterministic=False, allow_tf32=True,
                        is_available=_unavailable, version=lambda: None)
cuda = SimpleNamespace(matmul=SimpleNamespace(allow_tf32=False,
                                              allow_fp16_reduced_precision_reduction=True),
                       is_built=_unavailable)
mps = SimpleNamespace(is_available=_unavailable, is_built=_unavailable)
mkldnn = SimpleNamespace(enabled=False, is_available=_unavailable)
openmp = SimpleNamespace(is_available=_unavailable)


def __dir__():  # dir() shows the exports, not the helpers
    return __all__
