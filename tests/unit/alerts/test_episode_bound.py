"""The episode bound: a flapping logger's settled episodes leave the state, its alerts do not change."""

from __future__ import annotations

from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from alerts.config import RuleConfig
from alerts.state import ShipmentState
from alerts.testing import at, custody, live_contents, manifest, reading, run
from schemas.alert import Alert
from schemas.telemetry import TelemetryReading

CRYO = manifest("cryo-150")
UNBOUNDED = RuleConfig(max_episodes_per_shipment=1_000_000)
SMALL = RuleConfig(max_episodes_per_shipment=8)


def flapping(count: int, start: int = 0) -> list[TelemetryReading]:
    """A logger crossing -150 C at every reading: each one opens or closes an excursion."""
    return [reading(m, -140.0 if m % 2 else -180.0, seq=m) for m in range(start, start + count)]


def sent(alerts: list[Alert]) -> list[str]:
    return [a.model_dump_json() for a in alerts]


def record_size(state: ShipmentState | None) -> int:
    assert state is not None
    state.history.seal()
    return len(orjson.dumps(state.record()))


def test_a_flapping_logger_keeps_a_bounded_state_and_sends_the_same_alerts() -> None:
    events = [CRYO, *flapping(400)]
    bounded, unbounded = run(events, SMALL), run(events, UNBOUNDED)
    assert sent(bounded.alerts) == sent(unbounded.alerts)
    assert bounded.state is not None and unbounded.state is not None
    # 200 excursions and 200 warnings in the unbounded state, at most 8 + 8 // 8 in the bounded one
    assert len(unbounded.state.fold.findings) == 400
    assert len(bounded.state.fold.findings) <= 9
    assert len(bounded.state.book.emitted) <= 9 and len(bounded.state.book.anchors) <= 9
    assert len(bounded.state.base.findings) <= 9
    # the next excursion still takes the next id of its type
    after = run(flapping(2, start=400), SMALL, state=bounded.state)
    closed, opened = after.of_type("temperature_excursion")
    assert closed.alert_id.endswith(":temperature_excursion:200") and closed.status == "resolved"
    assert opened.alert_id.endswith(":temperature_excursion:201") and opened.version == 1


def test_the_stored_record_stops_growing_with_the_episodes() -> None:
    short, long = run([CRYO, *flapping(100)], SMALL), run([CRYO, *flapping(1_000)], SMALL)
    unbounded = run([CRYO, *flapping(1_000)], UNBOUNDED)
    assert record_size(long.state) < 1.5 * record_size(short.state)
    assert record_size(unbounded.state) > 10 * record_size(long.state)


def test_a_flapping_logger_stays_far_below_the_producers_record_limit() -> None:
    """2,000 flapping readings: with no bound the state's record passes the producer's
    1,000,000-byte limit (Faust's ``producer_max_request_size``: the checkpoint could not be
    written); with the default bounds it stays under a tenth of it."""
    events = [CRYO, *flapping(2_000)]
    assert record_size(run(events, RuleConfig()).state) < 100_000
    no_bound = RuleConfig(max_episodes_per_shipment=10**6, max_readings_per_shipment=10**6)
    assert record_size(run(events, no_bound).state) > 1_000_000


def test_a_reading_before_the_cut_is_too_late_and_one_after_it_is_placed() -> None:
    got = run([CRYO, *flapping(100)], SMALL)
    assert got.state is not None and got.state.floor is not None
    floor_minute = (got.state.floor[0] - at(0).timestamp()) / 60
    too_old = run([reading(floor_minute - 0.5, -140.0)], SMALL, state=got.state)
    assert [d.reason for d in too_old.dead_letters] == ["too_late"]
    placed = run([reading(99.5, -180.0)], SMALL, state=got.state)
    assert placed.dead_letters == []
    assert placed.of_type("temperature_excursion")  # the open episode at 99 closes at 99.5


def test_a_restored_bounded_state_goes_on_as_the_original() -> None:
    first = run([CRYO, *flapping(120)], SMALL)
    assert first.state is not None
    restored = ShipmentState.from_json(first.state.to_json())
    nxt = flapping(60, start=120)
    assert sent(run(nxt, SMALL, state=restored).alerts) == sent(
        run(nxt, SMALL, state=first.state).alerts
    )


def test_custody_that_arrives_after_an_episode_retired_leaves_its_alert_as_sent() -> None:
    got = run([CRYO, *flapping(100)], SMALL)
    assert got.state is not None and got.state.floor is not None
    handoff = custody(0, "departing", "HUB-NE", "CUR-77")
    later = run([handoff], SMALL, state=got.state)
    opened = {a.opened_at for a in later.alerts if a.type == "temperature_excursion"}
    assert opened and min(opened).timestamp() >= got.state.floor[0]


TEMPS = st.sampled_from([-185.0, -170.0, -155.0, -151.0, -149.0, -140.0])


def test_a_lossy_logger_keeps_a_bounded_state_and_sends_the_same_alerts() -> None:
    """A sequence gap at every reading: a gap is an event, never resolved, and it settles once
    the cut passes it (only readings before it could fill it)."""
    events = [CRYO, *(reading(m, -180.0, seq=2 * m) for m in range(300))]
    bounded, unbounded = run(events, SMALL), run(events, UNBOUNDED)
    assert len(bounded.of_type("sequence_gap")) == 299
    assert sent(bounded.alerts) == sent(unbounded.alerts)
    assert bounded.state is not None and unbounded.state is not None
    assert len(unbounded.state.fold.findings) == 299
    assert len(bounded.state.fold.findings) <= 9 and len(bounded.state.book.emitted) <= 10


@settings(max_examples=60, deadline=None)
@given(
    temps=st.lists(TEMPS, min_size=2, max_size=40),
    steps=st.lists(st.sampled_from([1, 1, 2, 3]), min_size=40, max_size=40),
    bound=st.sampled_from([1, 2, 3, 8]),
)
def test_in_order_the_episode_bound_changes_no_alert(
    temps: list[float], steps: list[int], bound: int
) -> None:
    seqs = [sum(steps[:i]) for i in range(len(temps))]  # gaps where a step is over 1
    events = [reading(i * 10, t, seq=seqs[i]) for i, t in enumerate(temps)]
    small = run([CRYO, *events], RuleConfig(max_episodes_per_shipment=bound))
    assert sent(small.alerts) == sent(run([CRYO, *events], UNBOUNDED).alerts)


@settings(max_examples=300, deadline=None)
@given(
    temps=st.lists(TEMPS, min_size=6, max_size=40),
    late=st.sets(st.integers(min_value=0, max_value=39), min_size=1, max_size=8),
    order=st.randoms(use_true_random=False),
    bound=st.sampled_from([1, 2, 3, 8]),
)
def test_late_readings_reach_the_alerts_before_their_episodes_retire(
    temps: list[float], late: set[int], order: Any, bound: int
) -> None:
    """The readings ``late`` arrive after the rest, in any order: whatever they change reaches
    the alerts, though the bound retires episodes around them (a reading before the cut is
    dead-lettered instead, and then the example says nothing). Fails when a late reading's
    cut retires episodes before the book has taken its changes."""
    events = [reading(i * 10, t, seq=i) for i, t in enumerate(temps)]
    held = [e for i, e in enumerate(events) if i in late]
    order.shuffle(held)
    rest = [e for i, e in enumerate(events) if i not in late]
    got = run([CRYO, *rest, *held], RuleConfig(max_episodes_per_shipment=bound))
    if not got.dead_letters:
        assert live_contents(got.final()) == live_contents(run([CRYO, *events], UNBOUNDED).final())
