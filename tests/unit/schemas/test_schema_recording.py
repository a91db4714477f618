"""Recording files: write/read round trip, bad lines reported with their number."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError
from schema_samples import telemetry

from schemas import DecodeError, RecordingLine, read_recording, scan_recording, write_recording


def test_write_then_read_gives_the_same_lines(tmp_path: Path) -> None:
    lines = [
        RecordingLine(topic="telemetry", key="SHP-0001", value=telemetry()),
        RecordingLine(
            topic="telemetry",
            key=None,
            raw="{broken",
            received_at=datetime(2026, 11, 29, 22, tzinfo=UTC),
        ),
    ]
    path = tmp_path / "rec.jsonl"
    assert write_recording(path, lines) == 2
    assert list(read_recording(path)) == lines


def test_mappings_are_accepted_by_write(tmp_path: Path) -> None:
    path = tmp_path / "rec.jsonl"
    write_recording(path, [{"topic": "custody", "key": "k", "value": {"a": 1}}])
    [line] = read_recording(path)
    assert line.payload == {"a": 1}


def test_line_needs_exactly_one_of_value_and_raw() -> None:
    with pytest.raises(ValidationError):
        RecordingLine(topic="telemetry", key=None)
    with pytest.raises(ValidationError):
        RecordingLine(topic="telemetry", key=None, value={}, raw="x")


def test_bad_line_raises_decode_error_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "rec.jsonl"
    path.write_text('{"topic": "telemetry", "key": null, "value": {}}\n\nnot json\n')
    with pytest.raises(DecodeError, match=":3:"):
        list(read_recording(path))


def test_scan_reports_bad_lines_and_continues(tmp_path: Path) -> None:
    path = tmp_path / "rec.jsonl"
    path.write_text('[1]\n{"topic": "telemetry", "key": "k", "raw": "x"}\n')
    (first_number, first), (second_number, second) = scan_recording(path)
    assert (first_number, second_number) == (1, 2)
    assert isinstance(first, DecodeError)
    assert isinstance(second, RecordingLine) and second.payload == "x"
