"""Keep freed array memory in the process for reuse (glibc only).

Out of the box, glibc's malloc gives blocks over 128 KiB straight back to the kernel when
they are freed. A training step allocates and frees the same few arrays of 0.1-10 MB every
time, so each new one page-faults on every 4 KiB as it is first written: on the machines
we measured, that is about as slow as the arithmetic that fills it (the benchmark's small
CNN step: 1,290 faults and 6.3 ms per step, against under 1 fault and 4.8 ms once freed
memory is kept). glibc raises these limits by itself after the first large free, but not
reliably: whether it does depends on the order in which arrays happen to be freed.

So chainrule sets both limits once, at import, to what glibc's own rule would reach after
freeing a 16 MiB block: blocks up to 16 MiB come from the heap, and up to 32 MiB of free
heap is kept. NumPy likewise sets a process-wide memory hint at import (transparent huge
pages). Nothing is changed where the user already chose (``MALLOC_MMAP_THRESHOLD_`` or
``MALLOC_TRIM_THRESHOLD_`` set), or with ``CHAINRULE_KEEP_MALLOC=1``.
"""
from __future__ import annotations

import os
import sys

MMAP_THRESHOLD = 16 << 20
TRIM_THRESHOLD = 2 * MMAP_THRESHOLD
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # from glibc's malloc.h


def tune() -> bool:
    """Set glibc's mmap and trim thresholds (see the module docstring); returns whether
    they were set."""
    if not sys.platform.startswith("linux") or os.environ.get("CHAINRULE_KEEP_MALLOC") == "1":
        return False
    if "MALLOC_MMAP_THRESHOLD_" in os.environ or "MALLOC_TRIM_THRESHOLD_" in os.environ:
        return False
    import ctypes
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl and other C libraries: leave them be
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and \
        bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
