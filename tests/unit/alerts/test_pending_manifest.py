"""Events that arrive before their manifest: held, replayed on arrival, bounded."""

from __future__ import annotations

from datetime import timedelta

from alerts.config import RuleConfig
from alerts.engine import tick
from alerts.state import ShipmentState
from alerts.testing import at, custody, manifest, reading, run

CRYO = manifest("cryo-150")


def test_readings_and_custody_before_manifest_are_processed_when_it_arrives() -> None:
    held = run([custody(0, "departing", "HUB-NE", "CUR-77"), reading(0, -180), reading(10, -149)])
    assert held.alerts == [] and held.dead_letters == []
    assert held.state is not None and len(held.state.pending) == 3
    after = run([CRYO], state=held.state)
    assert after.state is not None and after.state.pending == []
    (alert,) = after.of_type("temperature_excursion")
    assert alert.opened_at == at(10)
    assert alert.custodian is not None and alert.custodian.party_id == "CUR-77"


def test_the_held_index_exists_only_while_events_are_held() -> None:
    direct = run([CRYO, reading(0, -180)])
    assert direct.state is not None and direct.state.held is None  # never held one
    held = run([reading(0, -180), reading(10, -170)])
    assert held.state is not None and held.state.held is not None
    assert held.state.held.ids == {"SHP-T1:r:0", "SHP-T1:r:10"}
    after = run([CRYO], state=held.state)
    assert after.state is not None and after.state.held is None and after.state.pending == []


def test_duplicate_while_held_is_kept_once() -> None:
    held = run([reading(0, -180), reading(0, -180)])
    assert held.state is not None and len(held.state.pending) == 1


def test_pending_overflow_dead_letters_the_oldest() -> None:
    config = RuleConfig(max_pending_per_shipment=3)
    held = run([reading(m, -180) for m in range(5)], config)
    assert [d.reason for d in held.dead_letters] == ["pending_overflow"] * 2
    assert all(d.source_topic == "telemetry" for d in held.dead_letters)
    assert '"SHP-T1:r:0"' in held.dead_letters[0].raw
    assert held.state is not None and len(held.state.pending) == 3


def test_held_events_older_than_the_age_bound_time_out() -> None:
    config = RuleConfig(pending_max_age_s=3600)
    held = run([reading(0, -180), reading(30, -180), reading(61, -180)], config)
    (letter,) = held.dead_letters
    assert letter.reason == "manifest_timeout"
    assert '"SHP-T1:r:0"' in letter.raw


def test_tick_times_out_held_events_by_the_live_clock() -> None:
    config = RuleConfig(pending_max_age_s=3600)
    held = run([reading(0, -180), reading(30, -180)], config)
    assert tick(held.state, at(60), config).dead_letters == []
    step = tick(held.state, at(90) + timedelta(seconds=1), config)
    assert [d.reason for d in step.dead_letters] == ["manifest_timeout"] * 2
    assert step.state is not None and step.state.pending == []


def test_duplicates_and_expiry_follow_the_held_list_as_it_changes() -> None:
    config = RuleConfig(max_pending_per_shipment=3, pending_max_age_s=3600)
    held = run([reading(m, -180) for m in range(4)], config)  # minute 0 overflows
    assert held.state is not None
    again = run([reading(1, -180), reading(0, -180)], config, state=held.state)
    assert [d.reason for d in again.dead_letters] == ["pending_overflow"]  # 1 held: a duplicate,
    assert '"SHP-T1:r:1"' in again.dead_letters[0].raw  # 0 new again (it overflowed): 1 leaves
    restored = ShipmentState.from_json(held.state.to_json())  # a list the index never saw
    assert [p[2] for p in restored.pending] == ["SHP-T1:r:2", "SHP-T1:r:3", "SHP-T1:r:0"]
    assert run([reading(2, -180)], config, state=restored).dead_letters == []
    assert len(restored.pending) == 3
    late = run([reading(64, -180)], config, state=restored)  # the hour moves past 0-3
    assert [d.reason for d in late.dead_letters] == ["manifest_timeout"] * 3
    assert late.state is not None and [p[2] for p in late.state.pending] == ["SHP-T1:r:64"]
