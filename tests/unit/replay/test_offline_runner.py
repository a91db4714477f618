"""OfflineRunner: recording lines through decode and the engine, in file order."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from alerts.testing import at, custody, manifest, reading
from schemas.alert import Alert
from schemas.recording import RecordingLine
from streams.offline import OfflineRunner


def line(topic: str, model: Any, **extra: Any) -> RecordingLine:
    value = model.model_dump(mode="json", exclude_none=True)
    return RecordingLine.model_validate(
        {"topic": topic, "key": value["shipment_id"], "value": value, **extra}
    )


def recording() -> list[RecordingLine]:
    return [
        line("telemetry", reading(0, -180)),  # before its manifest: held
        line("shipments", manifest("cryo-150")),
        line("custody", custody(1, "departing", "HUB-NE", "CUR-77")),
        line("telemetry", reading(10, -149)),
        line("telemetry", reading(20, -185)),
        line("telemetry", reading(20, -185)),  # duplicate
        RecordingLine(topic="telemetry", key="SHP-T1", raw="{not json"),
        line("telemetry", reading(30, -185, shipment_id="SHP-ORPHAN")),
    ]


def test_runner_applies_lines_and_collects_alerts_dead_letters_and_summary() -> None:
    runner = OfflineRunner()
    summary = runner.run(recording())
    final = runner.final_alerts()
    excursion = final["SHP-T1:temperature_excursion:1"]
    assert isinstance(excursion, Alert)
    assert (excursion.opened_at, excursion.resolved_at) == (at(10), at(20))
    assert excursion.custodian is not None and excursion.custodian.party_id == "CUR-77"
    assert [d.reason for d in runner.dead_letters] == ["invalid_json", "manifest_timeout"]
    assert summary["lines"] == 8
    assert summary["shipments"] == 2
    assert summary["shipments_without_manifest"] == 1
    assert summary["events"] == {"CustodyEvent": 1, "ShipmentManifest": 1, "TelemetryReading": 5}
    assert summary["alerts_by_type"]["temperature_excursion"] == 1
    assert summary["alert_versions"] == len(runner.alerts)
    assert summary["dead_letters_by_reason"] == {"invalid_json": 1, "manifest_timeout": 1}


def test_received_at_enables_the_future_timestamp_check() -> None:
    future = reading(30, -185)
    lines = [
        line("shipments", manifest("cryo-150")),
        line("telemetry", future, received_at=at(20).isoformat()),
        line("telemetry", reading(40, -185)),  # no receiving clock: not checked
    ]
    runner = OfflineRunner()
    runner.run(lines)
    (letter,) = runner.dead_letters
    assert letter.reason == "future_timestamp"
    assert letter.received_at == at(20)
    assert runner.events["TelemetryReading"] == 1


def test_dead_letters_without_receiving_clock_carry_the_latest_event_time() -> None:
    lines = [
        line("shipments", manifest("cryo-150")),
        line("telemetry", reading(50, -185)),
        RecordingLine(topic="telemetry", key="SHP-T1", raw="garbage"),
    ]
    runner = OfflineRunner()
    runner.run(lines)
    (letter,) = runner.dead_letters
    assert letter.received_at == at(50)
    assert letter.received_at - at(0) == timedelta(minutes=50)


def test_listener_sees_every_record_in_order() -> None:
    seen: list[str] = []
    OfflineRunner(listener=lambda r: seen.append(type(r).__name__)).run(recording()[:5])
    assert seen[:2] == ["TelemetryReading", "ShipmentManifest"]  # file order
    assert "Alert" in seen and "CustodyEvent" in seen


def test_same_recording_gives_identical_output() -> None:
    first, second = OfflineRunner(), OfflineRunner()
    first.run(recording())
    second.run(recording())
    assert [a.model_dump_json() for a in first.alerts] == [
        a.model_dump_json() for a in second.alerts
    ]
    assert first.summary() == second.summary()
