"""Engine behaviour around its bounds and lifecycle edges: settling, manifests, overflow."""

from __future__ import annotations

from alerts.config import RuleConfig
from alerts.engine import DEFERRED_TYPES, apply, settle, tick
from alerts.state import ShipmentState
from alerts.testing import at, custody, manifest, reading, run

CRYO = manifest("cryo-150")


def test_silence_and_gaps_wait_while_late_readings_arrive_then_settle() -> None:
    live = run([CRYO, reading(0, -180, seq=1), reading(60, -180, seq=7)], settled=False)
    assert {a.type for a in live.alerts} == {"logger_silent", "sequence_gap"}
    burst = run(
        [reading(m, -180, seq=1 + m // 10) for m in (30, 10, 50, 20, 40)],
        state=live.state,
        settled=False,
    )
    assert burst.alerts == []  # nothing flickers while the burst is placed
    assert burst.state is not None and burst.state.deferred
    done = settle(burst.state, RuleConfig())
    assert {(a.type, a.status, a.details.get("withdrawn")) for a in done.alerts} == {
        ("logger_silent", "resolved", True),
        ("sequence_gap", "resolved", True),
    }
    assert done.state is not None and not done.state.deferred
    assert settle(done.state, RuleConfig()).alerts == []


def test_next_in_order_reading_or_tick_ends_the_wait() -> None:
    base = [CRYO, reading(0, -180, seq=1), reading(60, -180, seq=7), reading(30, -180, seq=4)]
    by_reading = run([*base, reading(70, -180, seq=8)], settled=False)
    assert by_reading.state is not None and not by_reading.state.deferred
    by_tick = run(base, settled=False)
    step = tick(by_tick.state, at(71), RuleConfig())
    assert step.state is not None and not step.state.deferred
    assert step.alerts and {a.type for a in step.alerts} <= DEFERRED_TYPES


def test_temperature_alerts_are_not_held_back_by_late_readings() -> None:
    first = run([CRYO, reading(0, -180), reading(60, -180)], settled=False)
    late = run([reading(30, -149)], state=first.state, settled=False)
    assert [a.type for a in late.alerts if a.type == "temperature_excursion"]


def test_same_manifest_again_changes_nothing() -> None:
    first = run([CRYO, reading(0, -180), reading(10, -149)])
    again = run([manifest("cryo-150")], state=first.state)
    assert again.alerts == []


def test_changed_manifest_re_derives_alerts() -> None:
    first = run([CRYO, reading(0, -180), reading(10, -145)])
    assert len(first.of_type("temperature_excursion")) == 1
    relaxed = run([manifest("cryo-130")], state=first.state)
    (withdrawn,) = relaxed.of_type("temperature_excursion")
    assert withdrawn.details["withdrawn"] is True


def test_custody_events_beyond_the_bound_are_dead_lettered() -> None:
    config = RuleConfig(max_custody_events=2)
    result = run([CRYO, *(custody(m, "holding", event_id=f"C{m}") for m in range(3))], config)
    assert [d.reason for d in result.dead_letters] == ["custody_overflow"]
    assert result.dead_letters[0].source_topic == "custody"


def test_seen_ids_are_bounded_oldest_first() -> None:
    config = RuleConfig(max_seen_event_ids=3)
    result = run([CRYO, *(reading(m, -180) for m in range(5))], config)
    assert result.state is not None
    assert list(result.state.seen) == ["SHP-T1:r:2", "SHP-T1:r:3", "SHP-T1:r:4"]


def test_dead_letters_use_the_given_receiving_time() -> None:
    config = RuleConfig(max_lateness_s=60)
    state = run([CRYO, reading(10, -180)], config).state
    step = apply(state, reading(0, -180), config, received_at=at(99))
    (letter,) = step.dead_letters
    assert letter.received_at == at(99)


def test_state_json_is_compact_and_round_trips() -> None:
    result = run(
        [
            CRYO,
            custody(0, "departing", "HUB-NE", "CUR-77"),
            *(reading(m, -180, seq=m // 10, location=(41.0, -75.0)) for m in range(0, 1000, 10)),
        ]
    )
    assert result.state is not None
    text = result.state.to_json()
    assert len(text) < 150 * 100  # about 100 readings: well under 150 bytes each
    assert ShipmentState.from_json(text).to_json() == text
