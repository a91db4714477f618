"""Malformed messages for the fault suite: each carries a unique marker and its expected reason."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import timedelta

from schemas.recording import RecordingLine
from schemas.timestamps import format_timestamp


@dataclass(frozen=True)
class Bad:
    """One malformed message: its marker (found in the dead letter's ``raw``) and reason."""

    marker: str
    reason: str
    line: RecordingLine


def bad_message(n: int, near: RecordingLine) -> Bad:
    """The n-th bad message, keyed like ``near`` (a valid line) and received when it was."""
    marker = f"BAD-{n:05d}"
    shipment = near.key
    received = near.received_at
    assert received is not None
    when = format_timestamp(received)
    kind = n % 8
    reason = "schema"
    raw: str | None = None
    value: dict[str, object] | None = None
    topic = "telemetry"
    if kind == 0:
        raw, reason = (
            f'{{"event_id": "{marker}", "shipment_id": "{shipment}", "recorded_at": ',
            ("invalid_json"),
        )
    elif kind == 1:
        raw, reason = f"HTTP/1.1 502 Bad Gateway {marker}", "invalid_json"
    elif kind == 2:
        raw, reason = json.dumps([marker, shipment]), "not_object"
    elif kind == 3:
        value = {"event_id": marker, "shipment_id": shipment, "recorded_at": when}
        value["temperature_c"] = "warm"
    elif kind == 4:
        value = {"event_id": marker, "shipment_id": shipment, "temperature_c": -180.2}
    elif kind == 5:
        naive = when.removesuffix("Z").split("+")[0]
        value = {"event_id": marker, "shipment_id": shipment, "recorded_at": naive}
        reason = "naive_timestamp"
    elif kind == 6:
        future = format_timestamp(received + timedelta(hours=2))
        value = {"event_id": marker, "shipment_id": shipment, "recorded_at": future}
        value["temperature_c"] = -181.0
        reason = "future_timestamp"
    else:
        topic = "custody"
        value = {"event_id": marker, "shipment_id": shipment, "step": "arriving"}
    line = RecordingLine(topic=topic, key=shipment, value=value, raw=raw, received_at=received)
    return Bad(marker, reason, line)


def mix(valid: list[RecordingLine], count: int, seed: int) -> tuple[list[RecordingLine], list[Bad]]:
    """``valid`` with ``count`` bad messages inserted at random places (deterministic)."""
    rng = random.Random(seed)
    slots = sorted(rng.randrange(1, len(valid)) for _ in range(count))
    out: list[RecordingLine] = []
    bad: list[Bad] = []
    cursor = 0
    for index, line in enumerate(valid):
        out.append(line)
        while cursor < count and slots[cursor] == index + 1:
            item = bad_message(cursor, line)
            bad.append(item)
            out.append(item.line)
            cursor += 1
    return out, bad
