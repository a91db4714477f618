"""The latency phase keeps every probe matched, whichever read of the alerts topic found it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import orjson
import pytest

from schemas.alert import Alert
from streams.bench import load
from streams.settings import Settings

SENT = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def _record(shipment_id: str, recorded: datetime, delay_ms: float) -> Any:
    """An alerts-topic record for the probe reading of ``shipment_id`` at ``recorded``."""
    alert = Alert(
        alert_id=f"{shipment_id}-temperature_excursion-1",
        version=1,
        status="open",
        type="temperature_excursion",
        severity="critical",
        shipment_id=shipment_id,
        opened_at=recorded,
        updated_at=recorded,
        message="payload above -150 °C",
    )
    sent_s = recorded.timestamp()
    return SimpleNamespace(
        value=alert.model_dump_json().encode(), timestamp=sent_s * 1000 + delay_ms
    )


def _probes(n: int) -> list[tuple[str, datetime]]:
    return [(f"BLAT-{i:04d}", SENT + timedelta(milliseconds=10 * i)) for i in range(n)]


def _run(monkeypatch: pytest.MonkeyPatch, reads: list[list[Any]], probes: int) -> list[float]:
    """``load.latency`` against a topic whose successive reads return ``reads`` (the last one
    again once they run out); each probe was sent at its reading's time."""
    sent_at = {(sid, load._stamp(at)): at.timestamp() for sid, at in _probes(probes)}

    async def offer(*args: Any) -> tuple[dict[tuple[str, str], float], float]:
        return sent_at, 5000.0

    calls = iter(reads)
    monkeypatch.setattr(load, "_offer", offer)
    monkeypatch.setattr(load, "read_records", lambda *a, **k: next(calls, reads[-1]))
    monkeypatch.setattr(load.time, "sleep", lambda s: None)
    samples, offered = load.latency(Settings(), load.OfferedLoad(5000, 1.0, 10, 10, SENT))
    assert offered == 5000.0
    sent = dict(_probes(probes))
    for sample in samples:  # each with its probe's send time
        assert any(sample.sent_s == at.timestamp() for at in sent.values())
    return [sample.ms for sample in samples]


def test_probes_matched_by_an_earlier_read_stay_in_the_samples(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (a, at_a), (b, at_b), _ = _probes(3)
    first = [_record(a, at_a, 120.0)]
    second = [*first, _record(b, at_b, 480.0)]
    # the third probe's alert never comes (folded into a later reading's): the reads stop
    # once one finds nothing new, and keep what the earlier ones matched
    samples = _run(monkeypatch, [first, second, second], probes=3)
    assert samples == pytest.approx([120.0, 480.0])


def test_the_reads_stop_once_every_probe_is_matched(monkeypatch: pytest.MonkeyPatch) -> None:
    (a, at_a), (b, at_b) = _probes(2)
    every = [_record(a, at_a, 40.0), _record(b, at_b, 90.0)]
    samples = _run(monkeypatch, [every, []], probes=2)
    assert samples == pytest.approx([40.0, 90.0])


def test_the_p50_by_second_shows_a_pipeline_falling_behind() -> None:
    t0 = SENT.timestamp()
    samples = [
        load.Sample(t0, 100.0),  # the first probe: the seconds count from it
        load.Sample(t0 + 0.9, 140.0),
        load.Sample(t0 + 0.5, 120.0),
        load.Sample(t0 + 2.1, 900.0),  # no probe came back from the second second
        load.Sample(t0 + 2.8, 1100.0),
    ]
    assert load.p50_by_second(samples) == [120.0, 1000.0]
    assert load.p50_by_second([]) == []


@pytest.mark.parametrize(("events", "shipments"), [(100, 10), (103, 10), (7, 10)])
def test_the_load_goes_on_with_every_backlog_shipment_without_a_gap(
    events: int, shipments: int
) -> None:
    """A skipped step is a sequence gap, and the processor raises an alert for it: the old
    load started every shipment one step late (900 sequence_gap alerts in a 5,000/s phase)
    and never fed the shipments whose index was a multiple of ten."""
    from streams.bench import data

    steps: dict[str, list[int]] = {}
    for sid, value in data.readings(events, shipments, SENT):
        steps.setdefault(sid, []).append(orjson.loads(value)["seq"])
    plan = load.OfferedLoad(5000, 1.0, shipments, events, SENT)
    for n in range(3 * shipments):
        index, step = plan.filler(n)
        steps.setdefault(data.shipment_id(index), []).append(step)
    assert len(steps) == shipments
    for sid, seqs in steps.items():
        assert seqs == list(range(len(seqs))), sid
        assert len(seqs) >= 3
