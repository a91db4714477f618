"""``cryotrace check FILE``: validate a recording, one JSON verdict line per message."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import orjson

from schemas.decode import Decoded, decode
from schemas.errors import DecodeError
from schemas.recording import RecordingLine, scan_recording
from schemas.timestamps import parse_timestamp


def _timestamp(value: str) -> datetime:
    try:
        return parse_timestamp(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``cryotrace check``."""
    parser.add_argument("file", type=Path, help="recording (JSON Lines)")
    parser.add_argument(
        "--now",
        type=_timestamp,
        default=None,
        help="receiving clock for lines without received_at (RFC 3339); without it, such "
        "lines skip the future-timestamp check",
    )
    parser.add_argument(
        "--failures-only", action="store_true", help="print only the messages that fail"
    )


def verdict(number: int, line: RecordingLine | DecodeError, now: datetime | None) -> dict[str, Any]:
    """The JSON verdict for one recording line."""
    if isinstance(line, DecodeError):
        return {
            "ok": False,
            "line": number,
            "reason": "invalid_recording_line",
            "errors": [{"loc": "", "msg": str(line), "type": "recording"}],
        }
    received = line.received_at or now
    result = decode(
        line.topic,
        line.payload,
        received_at=received or datetime.now(UTC),
        key=line.key,
        check_future=received is not None,
    )
    if isinstance(result, Decoded):
        events = [event.model_dump(mode="json") for event in result.events]
        body: dict[str, Any] = {"ok": True, "line": number, "topic": line.topic}
        if len(events) == 1:
            body["event"] = events[0]
        else:
            body["events"] = events
        return body
    return {
        "ok": False,
        "line": number,
        "topic": line.topic,
        "reason": result.reason,
        "errors": [error.model_dump(mode="json") for error in result.errors],
    }


def check_recording(
    path: Path, out: IO[bytes], *, now: datetime | None = None, failures_only: bool = False
) -> tuple[int, int]:
    """Write one verdict line per message of ``path`` to ``out``; return (ok, failed)."""
    ok = failed = 0
    for number, line in scan_recording(path):
        result = verdict(number, line, now)
        if result["ok"]:
            ok += 1
        else:
            failed += 1
        if not (failures_only and result["ok"]):
            out.write(orjson.dumps(result) + b"\n")
    return ok, failed


def run(args: argparse.Namespace) -> int:
    """Check the recording; exit 0 when every message is valid, 1 otherwise."""
    if not args.file.is_file():
        raise DecodeError(f"no such recording: {args.file}")
    ok, failed = check_recording(
        args.file, sys.stdout.buffer, now=args.now, failures_only=args.failures_only
    )
    sys.stdout.flush()
    print(f"checked {ok + failed} messages: {ok} ok, {failed} rejected", file=sys.stderr)
    return 0 if failed == 0 else 1
