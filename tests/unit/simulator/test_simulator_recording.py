"""The recording decodes as the wire contract says, in arrival order, with sane sequences."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import timedelta
from itertools import pairwise
from pathlib import Path

from schemas.custody import CustodyEvent
from schemas.deadletter import DeadLetter
from schemas.decode import Decoded, decode
from schemas.manifest import ShipmentManifest
from schemas.recording import RecordingLine, read_recording
from schemas.telemetry import TelemetryReading
from streams.simulator import Simulation
from streams.simulator.output import write_recording_file


def _decoded(run: Simulation, tmp_path: Path) -> list[tuple[RecordingLine, Decoded | DeadLetter]]:
    path = tmp_path / "run.jsonl"
    write_recording_file(path, run.lines)
    out: list[tuple[RecordingLine, Decoded | DeadLetter]] = []
    for line in read_recording(path):
        assert line.received_at is not None
        result = decode(line.topic, line.payload, received_at=line.received_at, key=line.key)
        out.append((line, result))
    return out


def test_every_line_decodes_or_is_an_intended_bad_message(
    small_run: Simulation, tmp_path: Path
) -> None:
    reasons: Counter[str] = Counter()
    future: list[str] = []
    for _, result in _decoded(small_run, tmp_path):
        if isinstance(result, DeadLetter):
            reasons[result.reason] += 1
            if result.reason == "future_timestamp":
                future.append(result.raw)
    expected = dict(small_run.truth["deadletters"])
    assert dict(reasons) == {k: v for k, v in expected.items() if v}
    assert (
        sum(v for k, v in reasons.items() if k != "future_timestamp")
        == small_run.truth["malformed"]
    )
    assert sorted(
        next(e for e in small_run.truth["future_event_ids"] if f'"{e}"' in raw) for raw in future
    ) == sorted(small_run.truth["future_event_ids"])


def test_lines_are_in_arrival_order_and_keyed_by_shipment(
    small_run: Simulation, tmp_path: Path
) -> None:
    decoded = _decoded(small_run, tmp_path)
    times = [line.received_at for line, _ in decoded if line.received_at is not None]
    assert len(times) == len(decoded)
    assert times == sorted(times)
    for line, result in decoded:
        if not isinstance(result, DeadLetter):
            for event in result.events:
                assert event.shipment_id == line.key


def test_future_readings_are_ahead_of_their_receiving_clock(
    small_run: Simulation, tmp_path: Path
) -> None:
    for line, result in _decoded(small_run, tmp_path):
        if isinstance(result, DeadLetter) and result.reason == "future_timestamp":
            assert line.received_at is not None
            ok = decode(line.topic, line.payload, received_at=line.received_at, check_future=False)
            assert isinstance(ok, Decoded)
            reading = ok.events[0]
            assert isinstance(reading, TelemetryReading)
            assert reading.recorded_at > line.received_at + timedelta(minutes=5)


def test_logger_sequence_rises_with_recording_time(default_run: Simulation, tmp_path: Path) -> None:
    """Per logger, valid readings ordered by their own time have rising seq numbers."""
    readings: dict[str, dict[str, TelemetryReading]] = defaultdict(dict)
    kinds = {s["shipment_id"]: s["fault"] for s in default_run.truth["shipments"]}
    manifests = 0
    custody = 0
    for _, result in _decoded(default_run, tmp_path):
        if isinstance(result, DeadLetter):
            continue
        for event in result.events:
            if isinstance(event, TelemetryReading) and event.seq is not None:
                readings[event.logger_id or ""][event.event_id] = event
            manifests += isinstance(event, ShipmentManifest)
            custody += isinstance(event, CustodyEvent)
    assert manifests == default_run.truth["generator"]["shipments"]
    bad_custody = sum(
        1
        for line in default_run.lines
        if line["topic"] == "custody" and "occurred_at" not in line.get("value", {})
    )
    counts = default_run.truth["lines"]
    assert counts["epcis"] > 0
    assert custody == counts["custody"] - bad_custody + counts["epcis"]
    gaps = 0
    for by_id in readings.values():
        ordered = sorted(by_id.values(), key=lambda r: r.recorded_at)
        seqs = [r.seq for r in ordered if r.seq is not None]
        assert seqs == sorted(seqs)
        assert len(set(seqs)) == len(seqs)
        shipment = ordered[0].shipment_id
        steps = {b - a for a, b in pairwise(seqs)}
        if kinds[shipment] not in ("lost_reading", "clock_skew"):
            assert steps <= {1}, shipment
        else:
            gaps += 1
    assert gaps > 0


def test_duplicates_and_out_of_order_deliveries_are_present(default_run: Simulation) -> None:
    ids = Counter(
        line["value"]["event_id"]
        for line in default_run.lines
        if line["topic"] == "telemetry" and "value" in line and "seq" in line["value"]
    )
    assert sum(n - 1 for n in ids.values()) == default_run.truth["duplicates"] > 0
    assert default_run.truth["out_of_order"] > 0
