"""glibc's mmap threshold held fixed: a large block freed no longer sends later ones to the heap."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

from streams import heap_tuning
from streams.heap_tuning import MMAP_THRESHOLD_MAX, fix_mmap_threshold
from streams.settings import Settings

# Run apart: the threshold is process-wide and glibc's own one moves with what was freed.
_PROBE = """
import sys
from streams.heap_tuning import fix_mmap_threshold, mallinfo2

if sys.argv[1] == "fixed":
    assert fix_mmap_threshold(128 * 1024)
if sys.argv[1] == "zero":
    assert not fix_mmap_threshold(0)
fetched = bytearray(4 << 20)  # a fetch response's size: mapped either way
del fetched  # glibc's own threshold rises to it
mapped = mallinfo2().hblks
block = bytearray(1 << 20)
print(mallinfo2().hblks - mapped)
"""

glibc_only = pytest.mark.skipif(
    platform.libc_ver()[0] != "glibc", reason="mallopt and mallinfo2 are glibc's"
)


def _mapped_after_a_large_free(mode: str) -> int:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, mode], capture_output=True, text=True, check=True
    )
    return int(done.stdout.strip())


@glibc_only
def test_a_1_mib_block_after_a_4_mib_one_freed_is_mapped_only_with_the_threshold_fixed() -> None:
    assert _mapped_after_a_large_free("moving") == 0  # glibc's default: from the heap
    assert _mapped_after_a_large_free("fixed") == 1


@glibc_only
def test_a_zero_threshold_leaves_glibc_s_own() -> None:
    assert _mapped_after_a_large_free("zero") == 0  # from the heap, as without the call


def test_a_c_library_without_a_working_mallopt_is_left_as_it_is(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked: list[tuple[int, int]] = []

    def ignoring(param: int, value: int) -> int:  # musl's: takes nothing, returns 0
        asked.append((param, value))
        return 0

    monkeypatch.setattr(heap_tuning, "_mallopt", lambda: ignoring)
    assert fix_mmap_threshold(128 * 1024) is False
    assert asked == [(heap_tuning.M_MMAP_THRESHOLD, 128 * 1024)]
    monkeypatch.setattr(heap_tuning, "_mallopt", lambda: None)  # macOS: none at all
    assert fix_mmap_threshold(128 * 1024) is False


def test_a_threshold_glibc_refuses_is_an_error() -> None:
    with pytest.raises(ValueError, match="outside"):
        fix_mmap_threshold(MMAP_THRESHOLD_MAX + 1)
    with pytest.raises(ValueError, match="outside"):
        fix_mmap_threshold(-1)


def test_workers_fix_the_threshold_at_128_kib_unless_told_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Settings().stream.mmap_threshold_bytes == 128 * 1024
    monkeypatch.setenv("CRYOTRACE_STREAM__MMAP_THRESHOLD_BYTES", "0")
    assert Settings().stream.mmap_threshold_bytes == 0
