"""chainrule's glibc malloc settings: made at import, never over the user's own."""
import platform
import sys

import pytest

from chainrule import _malloc


def test_user_settings_and_opt_out_are_left_alone(monkeypatch):
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "131072")
    assert _malloc.tune() is False
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_")
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "131072")
    assert _malloc.tune() is False
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_")
    monkeypatch.setenv("CHAINRULE_KEEP_MALLOC", "1")
    assert _malloc.tune() is False


@pytest.mark.skipif(not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc",
                    reason="glibc only")
def test_thresholds_are_set_on_glibc(monkeypatch):
    for var in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "CHAINRULE_KEEP_MALLOC"):
        monkeypatch.delenv(var, raising=False)
    assert _malloc.tune() is True
    assert _malloc.TRIM_THRESHOLD == 2 * _malloc.MMAP_THRESHOLD
