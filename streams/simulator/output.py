"""Writing a simulation: the recording as JSON Lines and the truth as JSON, byte-stable."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any


def recording_lines(lines: Iterable[dict[str, Any]]) -> Iterator[str]:
    """One JSON text per recording line, keys sorted, no trailing newline."""
    for line in lines:
        yield json.dumps(line, sort_keys=True, separators=(",", ":"))


def write_recording_file(path: Path, lines: Iterable[dict[str, Any]]) -> int:
    """Write the recording; returns the number of bytes written."""
    size = 0
    with path.open("w", encoding="utf-8", newline="\n") as out:
        for text in recording_lines(lines):
            out.write(text)
            out.write("\n")
            size += len(text.encode("utf-8")) + 1
    return size


def truth_text(truth: dict[str, Any]) -> str:
    """The truth document as indented JSON with sorted keys."""
    return json.dumps(truth, sort_keys=True, indent=1) + "\n"


def write_truth_file(path: Path, truth: dict[str, Any]) -> None:
    path.write_text(truth_text(truth), encoding="utf-8")
