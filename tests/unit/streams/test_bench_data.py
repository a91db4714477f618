"""The bench's traffic: shipments driven along their lane at a courier's pace, few ETA updates."""

from __future__ import annotations

import itertools
import math
from datetime import UTC, datetime, timedelta

import orjson

from alerts.state import ShipmentState
from streams.bench import data
from streams.partitioning import partition_for
from streams.processor import process_batch
from streams.settings import Settings
from streams.testing import ConsumedMessage
from streams.topics import Topic, topic_name

SETTINGS = Settings(topic_prefix="unit", topics={"partitions": 6})  # type: ignore[arg-type]


def _km(a: dict[str, float], b: dict[str, float]) -> float:
    """Great-circle distance between two fixes."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a["lat"], a["lon"], b["lat"], b["lon"]))
    h = math.sin((lat2 - lat1) / 2) ** 2
    h += math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def test_each_reading_moves_the_shipment_on_at_a_couriers_pace() -> None:
    destination = {"lat": data.DESTINATION[0], "lon": data.DESTINATION[1]}
    start = data.start_for(data.TRIP_STEPS + 1)
    sent = [orjson.loads(data.reading(3, s, -182.0, start)) for s in range(data.TRIP_STEPS + 1)]
    fixes = [reading["location"] for reading in sent]
    hours = data.INTERVAL_S / 3600
    speeds = [_km(a, b) / hours for a, b in itertools.pairwise(fixes)]
    # 40-55 km/h as the crow flies: a road pace (the ETA's floor is half its 72 road km/h)
    assert min(speeds) > 40 and max(speeds) < 55
    left = [_km(fix, destination) for fix in fixes]
    assert all(b < a for a, b in itertools.pairwise(left))  # always closer
    assert left[data.TRIP_STEPS - 1] > 2.0  # in transit (outside the site radius) throughout
    assert left[data.TRIP_STEPS] < 0.1


def test_a_driven_shipment_gets_few_eta_updates_once_its_pace_is_known() -> None:
    steps = 100
    start = data.start_for(steps + 1)
    sid = data.shipment_id(0)
    home = partition_for(sid, 6)
    values = [(Topic.SHIPMENTS, data.manifest(0, start))]
    values += [(Topic.TELEMETRY, data.reading(0, seq, -182.0, start)) for seq in range(steps)]
    state: ShipmentState | None = None
    updates, dead = [], []
    received = datetime.now(tz=UTC).timestamp()
    for offset, (topic, value) in enumerate(values):
        name = topic_name(SETTINGS, topic)
        message = ConsumedMessage(name, value, home, offset, sid.encode(), received)
        out = process_batch(SETTINGS, [message], lambda _, s=state: s)
        state = out.states.get(sid, state)
        updates += out.eta
        dead += out.dead_letters
    assert not dead
    assert state is not None and len(state.history) == steps
    # the window moves while the speed estimate settles on the lane's pace, then stays put
    # (a creeping shipment below the ETA's floor speed moved it on nearly every reading)
    assert 0 < len(updates) <= steps // 8
    assert all(update.details.get("phase") != "origin" for update in updates[-3:])


def _eta_updates(start: datetime, steps: int) -> list[tuple[float, float, str]]:
    """The ETA updates of one bench shipment whose readings begin at ``start``: hours from
    each update to its p50 and p90, and its risk."""
    sid = data.shipment_id(0)
    home = partition_for(sid, 6)
    values = [(Topic.SHIPMENTS, data.manifest(0, start))]
    values += [(Topic.TELEMETRY, data.reading(0, seq, -182.0, start)) for seq in range(steps)]
    state: ShipmentState | None = None
    out_updates = []
    for offset, (topic, value) in enumerate(values):
        received = (start + timedelta(seconds=data.INTERVAL_S * offset)).timestamp()
        message = ConsumedMessage(
            topic_name(SETTINGS, topic), value, home, offset, sid.encode(), received
        )
        out = process_batch(SETTINGS, [message], lambda _, s=state: s)
        state = out.states.get(sid, state)
        assert not out.dead_letters
        out_updates += out.eta
    return [
        (
            (u.eta_p50 - u.computed_at).total_seconds() / 3600,
            (u.eta_p90 - u.computed_at).total_seconds() / 3600,
            u.risk,
        )
        for u in out_updates
    ]


def test_the_bench_traffic_behaves_the_same_whatever_day_it_runs() -> None:
    """The manifest's dates follow the run's clock: a fixed promised window (or creation
    date) turned every shipment late (or its ETA clock stuck) from some day on."""
    now = datetime.now(tz=UTC).replace(microsecond=0)
    later = now + timedelta(days=5 * 365 + 17)
    today = _eta_updates(now - timedelta(seconds=data.INTERVAL_S * 40), 40)
    assert today and {risk for _, _, risk in today} == {"on_time"}
    then = _eta_updates(later - timedelta(seconds=data.INTERVAL_S * 40), 40)
    assert [risk for _, _, risk in then] == [risk for _, _, risk in today]
    for (p50, p90, _), (then_p50, then_p90, _) in zip(today, then, strict=True):
        # the same hours ahead (epoch seconds of another size round differently)
        assert abs(p50 - then_p50) < 1e-3 and abs(p90 - then_p90) < 1e-3
