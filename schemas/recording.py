"""Recording files: JSON Lines of messages in arrival order, for replay, check and tests."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Self

import orjson
from pydantic import ValidationError, model_validator

from schemas.base import WireModel
from schemas.errors import DecodeError
from schemas.timestamps import Timestamp, format_timestamp

__all__ = [
    "RECORDING_TOPICS",
    "RecordingLine",
    "read_recording",
    "scan_recording",
    "write_recording",
]

RECORDING_TOPICS: tuple[str, ...] = ("telemetry", "custody", "shipments", "epcis")
"""Logical topic names a recording line may carry."""


class RecordingLine(WireModel):
    """One recorded message: a JSON ``value`` or, for bad-input tests, a ``raw`` string."""

    topic: str
    key: str | None = None
    value: dict[str, Any] | None = None
    raw: str | None = None
    received_at: Timestamp | None = None

    @model_validator(mode="after")
    def _value_or_raw(self) -> Self:
        if (self.value is None) == (self.raw is None):
            raise ValueError("a recording line needs exactly one of value and raw")
        return self

    @property
    def payload(self) -> dict[str, Any] | str:
        """What to hand to ``schemas.decode.decode``: the value, else the raw text."""
        if self.value is not None:
            return self.value
        assert self.raw is not None
        return self.raw


def _line_object(line: RecordingLine) -> dict[str, Any]:
    data: dict[str, Any] = {"topic": line.topic, "key": line.key}
    if line.value is not None:
        data["value"] = line.value
    else:
        data["raw"] = line.raw
    if line.received_at is not None:
        data["received_at"] = format_timestamp(line.received_at)
    return data


def scan_recording(path: str | Path) -> Iterator[tuple[int, RecordingLine | DecodeError]]:
    """Yield ``(line number, line)`` for every non-blank line, or the error for a bad line."""
    with Path(path).open("rb") as stream:
        for number, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            try:
                yield number, RecordingLine.model_validate(orjson.loads(line))
            except (orjson.JSONDecodeError, ValidationError) as exc:
                summary = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                yield number, DecodeError(f"{path}:{number}: not a recording line: {summary}")


def read_recording(path: str | Path) -> Iterator[RecordingLine]:
    """Yield the lines of a recording file in order, skipping blank lines.

    Raises ``DecodeError`` (naming the line number) for a line that is not a recording line.
    """
    for _number, line in scan_recording(path):
        if isinstance(line, DecodeError):
            raise line
        yield line


def write_recording(path: str | Path, lines: Iterable[RecordingLine | Mapping[str, Any]]) -> int:
    """Write ``lines`` as a recording file (replacing it); return the number written."""
    count = 0
    with Path(path).open("wb") as stream:
        for line in lines:
            model = line if isinstance(line, RecordingLine) else RecordingLine.model_validate(line)
            stream.write(orjson.dumps(_line_object(model)))
            stream.write(b"\n")
            count += 1
    return count
