"""Event time: late, out-of-order and duplicate readings, and the lateness/history bounds."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from alerts.config import RuleConfig
from alerts.fold import ReadingFold
from alerts.testing import at, manifest, reading, run
from alerts.testing import live_contents as live
from schemas.alert import Alert

CRYO = manifest("cryo-150")


def content(alert: Alert) -> dict[str, Any]:
    """What an alert says, without its id, version or status."""
    return alert.model_dump(exclude={"alert_id", "version", "status"})


def test_late_reading_opens_a_past_episode() -> None:
    in_order = run([CRYO, *(reading(m, -180) for m in (0, 10, 20, 30))])
    late = run([reading(15, -149)], state=in_order.state)
    (alert,) = late.of_type("temperature_excursion")
    assert (alert.opened_at, alert.resolved_at) == (at(15), at(20))
    assert alert.details["duration_s"] == 300
    assert alert.version == 1 and alert.status == "resolved"


def test_late_reading_closes_an_open_episode_and_later_reading_starts_a_new_one() -> None:
    first = run([CRYO, reading(0, -180), reading(10, -149), reading(30, -147)])
    (open_,) = first.of_type("temperature_excursion")
    assert open_.status == "updated"
    late = run([reading(20, -170)], state=first.state)
    closed, reopened = late.of_type("temperature_excursion")
    assert closed.alert_id == open_.alert_id
    assert (closed.status, closed.resolved_at, closed.details["peak_c"]) == (
        "resolved",
        at(20),
        -149,
    )
    assert reopened.alert_id.endswith(":2")
    assert (reopened.opened_at, reopened.details["peak_c"]) == (at(30), -147)


def test_late_reading_extending_an_episode_backwards_keeps_its_alert_id() -> None:
    first = run([CRYO, reading(0, -180), reading(20, -149), reading(30, -180)])
    (before,) = first.of_type("temperature_excursion")
    late = run([reading(10, -145)], state=first.state)
    (after,) = late.of_type("temperature_excursion")
    assert after.alert_id == before.alert_id
    assert after.version == before.version + 1
    assert (after.opened_at, after.resolved_at, after.details["peak_c"]) == (at(10), at(30), -145)


def test_filled_sequence_gap_is_withdrawn() -> None:
    first = run([CRYO, reading(0, -180, seq=1), reading(20, -180, seq=3)])
    (gap,) = first.of_type("sequence_gap")
    late = run([reading(10, -180, seq=2)], state=first.state)
    (withdrawn,) = late.of_type("sequence_gap")
    assert withdrawn.alert_id == gap.alert_id
    assert withdrawn.status == "resolved"
    assert withdrawn.details["withdrawn"] is True


def test_duplicate_event_id_changes_nothing() -> None:
    first = run([CRYO, reading(0, -180), reading(10, -149)])
    before = first.state.to_json() if first.state else ""
    again = run([reading(10, -149), reading(0, -180)], state=first.state)
    assert again.alerts == [] and again.dead_letters == []
    assert again.state is not None and again.state.to_json() == before


def test_reading_later_than_the_lateness_bound_is_dead_lettered() -> None:
    config = RuleConfig(max_lateness_s=3600)
    result = run([CRYO, reading(120, -180), reading(60, -149), reading(59.9, -149)], config)
    (letter,) = result.dead_letters
    assert letter.reason == "too_late"
    assert letter.source_topic == "telemetry"
    assert '"SHP-T1:r:59.9"' in letter.raw
    assert len(result.of_type("temperature_excursion")) == 1  # the one at 60 was placed


def test_history_bound_evicts_oldest_and_rejects_readings_before_it() -> None:
    config = RuleConfig(max_readings_per_shipment=3)
    result = run([CRYO, *(reading(m, -180) for m in range(0, 100, 10))], config)
    assert result.state is not None and len(result.state.history) == 3
    late_ok = run([reading(75, -149)], config, state=result.state)
    assert late_ok.dead_letters == [] and len(late_ok.of_type("temperature_excursion")) == 1
    too_old = run([reading(5, -149)], config, state=late_ok.state)
    assert [d.reason for d in too_old.dead_letters] == ["too_late"]


TEMPS = st.sampled_from([-185.0, -170.0, -155.0, -151.0, -149.0, -140.0])


@settings(max_examples=60, deadline=None)
@given(
    temps=st.lists(TEMPS, min_size=2, max_size=14),
    bound=st.sampled_from([3, 5, 1000]),
)
def test_eviction_into_checkpoint_gives_the_same_alerts(temps: list[float], bound: int) -> None:
    events = [reading(i * 10, t, seq=i) for i, t in enumerate(temps)]
    small = run([CRYO, *events], RuleConfig(max_readings_per_shipment=bound))
    assert [content(a) for a in small.alerts] == [content(a) for a in run([CRYO, *events]).alerts]


@settings(max_examples=80, deadline=None)
@given(
    temps=st.lists(TEMPS, min_size=2, max_size=12),
    order=st.randoms(use_true_random=False),
)
def test_episodes_reflect_all_readings_however_they_arrived(temps: list[float], order: Any) -> None:
    events = [reading(i * 10, t, seq=i) for i, t in enumerate(temps)]
    shuffled = list(events)
    order.shuffle(shuffled)
    expected = live(run([CRYO, *events]).final())
    assert live(run([CRYO, *shuffled]).final()) == expected


@contextmanager
def _fold_copies(*, every: int, kept: int) -> Iterator[None]:
    """The engine's fold copies taken every ``every`` readings, the newest ``kept`` kept
    (set by hand: hypothesis runs many examples per function-scoped fixture)."""
    import alerts.engine

    saved = alerts.engine.MARK_EVERY, alerts.engine.MAX_MARKS
    alerts.engine.MARK_EVERY, alerts.engine.MAX_MARKS = every, kept
    try:
        yield
    finally:
        alerts.engine.MARK_EVERY, alerts.engine.MAX_MARKS = saved


@settings(max_examples=40, deadline=None)
@given(
    temps=st.lists(TEMPS, min_size=8, max_size=40),
    order=st.randoms(use_true_random=False),
    bound=st.sampled_from([6, 12, 16, 1000]),
    max_marks=st.sampled_from([1, 2, 1000]),
)
def test_refolding_from_checkpoints_gives_the_in_order_result(
    temps: list[float], order: Any, bound: int, max_marks: int
) -> None:
    events = [reading(i * 10, t, seq=i) for i, t in enumerate(temps)]
    shuffled = list(events)
    order.shuffle(shuffled)
    config = RuleConfig(max_readings_per_shipment=bound)
    with _fold_copies(every=3, kept=max_marks):
        got = run([CRYO, *shuffled], config)
    if not got.dead_letters:  # a tight history bound may reject very late readings
        assert live(got.final()) == live(run([CRYO, *events], config).final())
    assert got.state is not None
    assert len(got.state.marks) <= min(max_marks, len(got.state.history) // 3 + 1)


def test_fold_checkpoints_come_with_the_first_late_reading_and_keep_only_the_newest() -> None:
    """In-order readings leave no checkpoints; a shipment's first late reading refolds from
    ``base`` and leaves them (the newest kept), and in-order readings after it keep them up.
    Then a reading before every kept checkpoint refolds from ``base`` again."""
    events = [reading(i * 10, -180.0 if i % 7 else -140.0, seq=i) for i in range(40)]
    late = reading(35, -140.0, seq=1000)  # after reading 3
    after = reading(400, -180.0, seq=40)
    earliest = reading(5, -140.0, seq=1001)  # before every kept checkpoint
    with _fold_copies(every=3, kept=2):
        in_order = run([CRYO, *events])
        with_late = run([CRYO, *events, late])
        went_on = run([CRYO, *events, late, after])
        again = run([CRYO, *events, late, after, earliest])
    assert in_order.state is not None and with_late.state is not None
    assert went_on.state is not None and again.state is not None
    assert in_order.state.marks == []
    # the refold leaves a checkpoint every 3 of the 41 readings; the newest two are kept
    assert [key[0] for key, _ in with_late.state.marks] == [
        at(340).timestamp(),
        at(370).timestamp(),
    ]
    # two readings folded since the newest: the next in-order reading leaves one
    assert [key[0] for key, _ in went_on.state.marks] == [
        at(370).timestamp(),
        at(400).timestamp(),
    ]
    assert [key[0] for key, _ in again.state.marks] == [
        at(360).timestamp(),
        at(390).timestamp(),
    ]
    for got, sent in ((with_late, [*events, late]), (again, [*events, late, after, earliest])):
        assert live(got.final()) == live(
            run([CRYO, *sorted(sent, key=lambda r: r.recorded_at)]).final()
        )


def test_fold_checkpoints_share_the_folds_findings_and_thaw_to_the_fold_they_froze() -> None:
    """A checkpoint keeps the fold's findings as the same objects (never mutated), not copies
    or their JSON, which repeated every finding in each of up to ``MAX_MARKS`` checkpoints; and
    a checkpoint thawed is the fold as it was when frozen."""
    events = [reading(i * 10, -180.0 if i % 5 else -140.0, seq=i) for i in range(13)]
    with _fold_copies(every=3, kept=1000):
        got = run([CRYO, *events[1:], events[0]])  # the late first reading leaves checkpoints
        refolded = run([CRYO, *events[:12]])  # the fold at the newest checkpoint (reading 11)
    assert got.state is not None and refolded.state is not None
    marks = got.state.marks
    assert len(marks) == 4
    key, (_, findings) = marks[-1]
    assert key[0] == at(110).timestamp()
    folded = got.state.fold.findings
    assert findings and all(folded[f.key] is f for f in findings)
    assert ReadingFold.thawed(marks[-1][1]) == refolded.state.fold
