"""process_batch and clock_step: routing, dead letters, state writes, the live timer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import orjson
import pytest
from pydantic import BaseModel

from alerts.state import ShipmentState
from alerts.testing import SHIPMENT, at, manifest, reading, restored, stored
from streams.partitioning import partition_for
from streams.processor import clock_step, process_batch
from streams.settings import Settings
from streams.topics import Topic, topic_name
from streams.wire import received_at_headers

SETTINGS = Settings(topic_prefix="unit", topics={"partitions": 6})  # type: ignore[arg-type]
HOME = partition_for(SHIPMENT, 6)


@dataclass
class FakeMessage:
    """Just the fields of a consumed Kafka message the processor reads."""

    topic: str
    value: bytes
    partition: int = HOME
    offset: int = 0
    key: bytes | None = SHIPMENT.encode()
    timestamp: float = 0.0
    headers: list[tuple[str, bytes]] = field(default_factory=list)


def message(topic: Topic, model: BaseModel | bytes, minute: float, **kw: object) -> FakeMessage:
    value = model if isinstance(model, bytes) else orjson.dumps(model.model_dump(mode="json"))
    return FakeMessage(
        topic=topic_name(SETTINGS, topic),
        value=value,
        headers=list(received_at_headers(at(minute)).items()),
        **kw,  # type: ignore[arg-type]
    )


def no_state(_: str) -> None:
    return None


def test_excursion_in_one_batch_yields_open_and_resolved_versions() -> None:
    messages = [message(Topic.SHIPMENTS, manifest(), 0)]
    messages += [
        message(Topic.TELEMETRY, reading(m, t), m + 1, offset=i)
        for i, (m, t) in enumerate([(10, -180.0), (20, -140.0), (30, -181.0)])
    ]
    out = process_batch(SETTINGS, messages, no_state)
    excursion = [a for a in out.alerts if a.type == "temperature_excursion"]
    assert [(a.version, a.status) for a in excursion] == [(1, "open"), (2, "resolved")]
    assert set(out.states) == {SHIPMENT}


def test_state_from_the_table_is_continued() -> None:
    first = process_batch(
        SETTINGS,
        [
            message(Topic.SHIPMENTS, manifest(), 0),
            message(Topic.TELEMETRY, reading(10, -140.0), 11),
        ],
        no_state,
    )
    stored = first.states[SHIPMENT].to_json()
    second = process_batch(
        SETTINGS,
        [message(Topic.TELEMETRY, reading(20, -181.0), 21, offset=1)],
        lambda _: ShipmentState.from_json(stored),
    )
    resolved = {(a.type, a.status, a.version) for a in second.alerts}
    assert ("temperature_excursion", "resolved", 2) in resolved
    assert all(status == "resolved" for _, status, _ in resolved)


def test_bad_bytes_are_dead_lettered_with_provenance() -> None:
    out = process_batch(SETTINGS, [message(Topic.TELEMETRY, b"{nope", 1, offset=42)], no_state)
    [dead] = out.dead_letters
    assert (dead.reason, dead.source_topic, dead.partition, dead.offset) == (
        "invalid_json",
        "telemetry",
        HOME,
        42,
    )
    assert dead.received_at == at(1)
    assert out.states == {}


def test_event_on_a_foreign_partition_is_forwarded_not_applied() -> None:
    foreign = (HOME + 1) % 6
    out = process_batch(
        SETTINGS, [message(Topic.TELEMETRY, reading(10, -180.0), 11, partition=foreign)], no_state
    )
    [forward] = out.forwards
    assert forward.topic is Topic.TELEMETRY
    assert forward.event.event_id == reading(10, -180.0).event_id
    assert forward.received_at == at(11)
    assert out.states == {} and out.alerts == []


def test_misrouted_manifest_is_dead_lettered() -> None:
    foreign = (HOME + 1) % 6
    out = process_batch(
        SETTINGS, [message(Topic.SHIPMENTS, manifest(), 0, partition=foreign)], no_state
    )
    assert [d.reason for d in out.dead_letters] == ["misrouted"]


def test_a_bug_in_our_code_is_an_internal_error_dead_letter(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("streams.processor.apply", broken)
    out = process_batch(SETTINGS, [message(Topic.TELEMETRY, reading(10, -180.0), 11)], no_state)
    assert [d.reason for d in out.dead_letters] == ["internal_error"]
    assert "boom" in out.dead_letters[0].errors[0].msg


def test_clock_step_ticks_silence_and_returns_only_changed_states() -> None:
    out = process_batch(
        SETTINGS,
        [
            message(Topic.SHIPMENTS, manifest(), 0),
            message(Topic.TELEMETRY, reading(10, -180.0), 11),
        ],
        no_state,
    )
    fresh = out.states[SHIPMENT]
    assert fresh.eta.unsettled  # ETA alerts wait for the shipment to settle
    soon = at(10) + timedelta(minutes=5)
    settled = clock_step(SETTINGS, [(SHIPMENT, fresh)], soon)
    assert set(settled.states) == {SHIPMENT} and not fresh.eta.unsettled
    stored = fresh.to_json()
    quiet_so_far = clock_step(SETTINGS, [(SHIPMENT, ShipmentState.from_json(stored))], soon)
    assert quiet_so_far.alerts == [] and quiet_so_far.states == {}
    later = at(10) + timedelta(hours=2)
    ticked = clock_step(SETTINGS, [(SHIPMENT, ShipmentState.from_json(stored))], later)
    assert [a.type for a in ticked.alerts] == ["logger_silent"]
    assert set(ticked.states) == {SHIPMENT}
    quiet = Settings(topic_prefix="unit", topics={"partitions": 6}, stream={"silence_timer": False})  # type: ignore[arg-type]
    assert clock_step(quiet, [(SHIPMENT, ShipmentState.from_json(stored))], later).alerts == []


def _recorded_messages() -> list[FakeMessage]:
    """A simulated fleet's recording as the processor would consume it (each shipment's
    messages on its own partition, in recording order)."""
    from schemas.recording import RecordingLine
    from streams.produce import line_bytes
    from streams.simulator.run import SimulationConfig, simulate

    lines = [
        RecordingLine.model_validate(line)
        for line in simulate(SimulationConfig(shipments=24, seed=7)).lines
    ]
    return [
        FakeMessage(
            topic=topic_name(SETTINGS, Topic(line.topic)),
            value=line_bytes(line),
            partition=partition_for(line.key or "", 6),
            offset=offset,
            key=(line.key or "").encode(),
            headers=[]
            if line.received_at is None
            else list(received_at_headers(line.received_at).items()),
        )
        for offset, line in enumerate(lines)
        if line.topic in {"shipments", "custody", "telemetry"}
    ]


def _alerts_in_batches(messages: list[FakeMessage], size: int) -> list[tuple[str, int, str]]:
    """Every alert version the processor emits when the messages come in batches of ``size``,
    the states stored between batches (their records and chunks, as the table keeps them)."""
    table: dict[str, tuple[bytes, dict[int, bytes]]] = {}
    emitted: list[tuple[str, int, str]] = []
    for start in range(0, len(messages), size):

        def load(shipment_id: str) -> ShipmentState | None:
            kept = table.get(shipment_id)
            return None if kept is None else restored(*kept)

        out = process_batch(SETTINGS, messages[start : start + size], load)
        emitted += [(a.alert_id, a.version, a.model_dump_json()) for a in out.alerts]
        table.update({sid: stored(state) for sid, state in out.states.items()})
    return emitted


def test_alert_versions_do_not_depend_on_batch_boundaries() -> None:
    # a worker that replays events after a crash may batch them otherwise: every version it
    # publishes must be the one published before (only the live clock's depend on timing,
    # and those go through the outbox)
    messages = _recorded_messages()
    whole = _alerts_in_batches(messages, len(messages))
    assert len({alert_id for alert_id, _, _ in whole}) >= 10
    for size in (1, 7, 250):
        assert _alerts_in_batches(messages, size) == whole, size
