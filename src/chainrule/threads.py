"""PyTorch's thread and determinism switches: ``set_num_threads`` / ``get_num_threads``
set the BLAS thread pools NumPy uses (through threadpoolctl), and
``use_deterministic_algorithms`` is recorded: chainrule's CPU kernels are deterministic
already (the same inputs give the same bits), so there is nothing to switch.

>>> import chainrule as cr
>>> cr.use_deterministic_algorithms(True)
>>> cr.are_deterministic_algorithms_enabled()
True
>>> cr.use_deterministic_algorithms(False)
"""
from __future__ import annotations

__all__ = ["set_num_threads", "get_num_threads", "use_deterministic_algorithms",
           "are_deterministic_algorithms_enabled"]

_deterministic = [False]
_limits = []  # the threadpool limiter in force (threadpoolctl keeps it alive)


def _threadpoolctl():
    try:
        import threadpoolctl
    except ImportError:  # pragma: no cover - threadpoolctl comes with the test extras
        raise ImportError("chainrule.set_num_threads / get_num_threads need threadpoolctl "
                          "to reach NumPy's BLAS: pip install threadpoolctl") from None
    return threadpoolctl


def set_num_threads(n: int) -> None:
    """Use ``n`` threads in the BLAS under NumPy's matrix products (torch.set_num_threads)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"set_num_threads: expected a positive int, got {n!r}")
    _limits[:] = [_threadpoolctl().threadpool_limits(limits=n, user_api="blas")]


def get_num_threads() -> int:
    """The threads the BLAS under NumPy uses (the largest pool's, if there are several)."""
    pools = _threadpoolctl().threadpool_info()
    blas = [p["num_threads"] for p in pools if p.get("user_api") == "blas"]
    return max(blas) if blas else 1


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Recorded only: every chainrule kernel is deterministic on the CPU."""
    _deterministic[0] = bool(mode)


def are_deterministic_algorithms_enabled() -> bool:
    return _deterministic[0]


def __dir__():
    return __all__
