"""A settle takes an ETA state built in event-time order as it is (``EtaState.exact_t``), and
that gives what a replay gives."""

from __future__ import annotations

from typing import Any

import hypothesis
from hypothesis import given, settings
from hypothesis import strategies as st

from alerts.config import RuleConfig
from alerts.engine import Step, apply, refresh_eta, settle
from alerts.eta import refresh as eta_refresh
from alerts.state import ShipmentState
from alerts.testing import at, custody, manifest, reading, replaying, without_mark

CONFIG = RuleConfig()
CRYO = manifest("cryo-150")
ORIGIN, DESTINATION = (40.44, -79.99), (42.3, -71.1)
TRIP_MINUTES = 480
TIGHT = manifest(
    "cryo-150", promised_window={"start": at(300).isoformat(), "end": at(520).isoformat()}
)
"""Promised to arrive soon after an on-time drive: a stop opens the late risk, driving on closes it."""


def _fix(minute: int) -> tuple[float, float]:
    """On the way from the origin to the destination, there from ``TRIP_MINUTES`` on."""
    share = min(max(minute, 0) / TRIP_MINUTES, 1.0)
    return (
        ORIGIN[0] + share * (DESTINATION[0] - ORIGIN[0]),
        ORIGIN[1] + share * (DESTINATION[1] - ORIGIN[1]),
    )


def _event(n: int, kind: str, minute: int) -> object:
    if kind == "departing":
        return custody(minute, "departing", "HUB-NE", "CUR-1", event_id=f"c{n}")
    if kind == "arriving":
        return custody(
            minute, "arriving", "CUR-1", "HOSP-1", event_id=f"c{n}", roles=("courier", "hospital")
        )
    location = None if kind == "blind" else _fix(minute // 4 if kind == "slow" else minute)
    temp = -140.0 if kind == "warm" else -185.0
    return reading(minute, temp, event_id=f"r{n}", location=location)


def _outputs(step: Step) -> list[str]:
    return [x.model_dump_json() for x in (*step.alerts, *step.eta)]


kinds = st.sampled_from(["fix", "fix", "fix", "slow", "blind", "warm", "departing", "arriving"])
# mostly forward in whole minutes (ties happen), now and then back (late events)
moves = st.integers(min_value=-40, max_value=30)


@settings(max_examples=150, deadline=None)
@given(
    events=st.lists(st.tuples(kinds, moves, st.booleans(), st.booleans()), max_size=60),
    first=st.integers(min_value=-90, max_value=30),
    tight=st.booleans(),
    held=st.integers(min_value=0, max_value=6),
)
def test_settles_taken_in_order_equal_settles_that_replay(
    events: list[tuple[str, int, bool, bool]], first: int, tight: bool, held: int
) -> None:
    """Events in batches (``apply`` then the batch's ``refresh_eta``, as a worker does), a
    settle after some batches: one state settles as the engine does, the other replays at
    every settle. The manifest comes after the first ``held`` events (held until it does, as
    when the telemetry topic is read ahead of the shipments one). Every output and the
    states (but the replay marks, a cache) are equal."""
    promise = TIGHT if tight else CRYO
    taken: ShipmentState | None = None
    replayed: ShipmentState | None = None
    minute = first
    for n, (kind, move, end_batch, settles) in enumerate(events):
        if n == held:
            a, b = (apply(s, promise, CONFIG, eta_now=False) for s in (taken, replayed))
            assert _outputs(a) == _outputs(b)
            taken, replayed = a.state, b.state
        minute += move
        event = _event(n, kind, minute)
        a = apply(taken, event, CONFIG, eta_now=False)  # type: ignore[arg-type]  # a reading or custody
        b = apply(replayed, event, CONFIG, eta_now=False)  # type: ignore[arg-type]  # as above
        assert _outputs(a) == _outputs(b)
        taken, replayed = a.state, b.state
        if not end_batch and n < len(events) - 1:
            continue
        assert _outputs(refresh_eta(taken, CONFIG)) == _outputs(refresh_eta(replayed, CONFIG))
        if settles:
            assert replayed is not None
            b = settle(replaying(replayed), CONFIG)
            assert _outputs(settle(taken, CONFIG)) == _outputs(b)
            assert taken is not None
            assert without_mark(taken) == without_mark(replayed)


def _trip(state: ShipmentState | None, minutes: range) -> ShipmentState:
    """A departure scan, then each reading as its own batch and settled (a logger's cadence)."""
    events: list[object] = [custody(-5, "departing", "HUB-NE", "CUR-1")]
    events += [reading(m, -185, location=_fix(m)) for m in minutes]
    for event in events:
        state = apply(state, event, CONFIG, eta_now=False).state  # type: ignore[arg-type]  # a reading or custody
        refresh_eta(state, CONFIG)
        settle(state, CONFIG)
    assert state is not None
    return state


def test_a_settle_in_order_estimates_nothing_and_leaves_a_mark(estimates: list[float]) -> None:
    state = _trip(apply(None, CRYO, CONFIG).state, range(0, 300, 10))
    assert state.eta.exact_t == state.latest_t
    # one estimate per reading (its batch's refresh), none for the settles
    assert len(estimates) == 1 + 1 + 30, estimates
    assert state.eta.marks[-1][0] == state.latest_t  # where a replay after a late event resumes


def test_readings_held_until_the_manifest_settle_without_a_replay(estimates: list[float]) -> None:
    """The telemetry topic read ahead of the shipments one (a backlog): 30 readings wait for
    the manifest. Derived at its creation, then taken in as they came (in order), they leave
    what a replay leaves, so the first settle estimates nothing: it replayed all 30 before."""
    state: ShipmentState | None = None
    for m in range(0, 300, 10):
        state = apply(state, reading(m, -185, location=_fix(m)), CONFIG, eta_now=False).state
    assert state is not None and len(state.pending) == 30
    apply(state, CRYO, CONFIG, eta_now=False)
    refresh_eta(state, CONFIG)
    assert state.eta.exact_t == state.latest_t
    restored = ShipmentState.from_json(state.to_json())  # the same state, no longer exact
    before = len(estimates)
    settled = settle(state, CONFIG)
    assert len(estimates) == before
    assert _outputs(settled) == _outputs(settle(restored, CONFIG))
    assert len(estimates) > before + 30  # the restored one replayed, an estimate per reading


def test_an_event_at_the_newest_time_is_replayed(estimates: list[float]) -> None:
    """A second reading at the newest minute: a replay orders readings at one time by id, so
    the state is no longer taken as it is, and the mark at that minute is dropped."""
    state = _trip(apply(None, CRYO, CONFIG).state, range(0, 100, 10))
    mark = state.eta.marks[-1][0]
    tie = reading(90, -185, event_id="a-second-one", location=_fix(91))
    state = apply(state, tie, CONFIG, eta_now=False).state  # type: ignore[assignment]  # it has one
    assert state is not None
    assert state.eta.exact_t is None
    assert all(t < mark for t, _ in state.eta.marks)
    refresh_eta(state, CONFIG)
    fresh = ShipmentState.from_json(state.to_json())
    estimates.clear()
    assert _outputs(settle(state, CONFIG)) == _outputs(settle(fresh, CONFIG))
    assert estimates, "the settle replayed"
    assert without_mark(state) == without_mark(fresh)
    assert state.eta.exact_t == state.latest_t  # a replay leaves a state taken as it is


def test_a_late_reading_replays_from_the_mark_a_settle_in_order_left(
    estimates: list[float],
) -> None:
    live = _trip(apply(None, CRYO, CONFIG).state, range(0, 300, 10))
    assert [t for t, _ in live.eta.marks] == [live.latest_t - 600 * k for k in (3, 2, 1, 0)]
    fresh = ShipmentState.from_json(live.to_json())  # its one stored mark: minute 290
    late = reading(275, -185, event_id="late", location=_fix(275))
    for state in (live, fresh):
        apply(state, late, CONFIG, eta_now=False)
        refresh_eta(state, CONFIG)
    assert not fresh.eta.marks  # the late reading came before it: replays from the start
    estimates.clear()
    live_outputs = _outputs(settle(live, CONFIG))
    resumed = list(estimates)
    assert live_outputs == _outputs(settle(fresh, CONFIG))
    assert without_mark(live) == without_mark(fresh)
    # from the mark at minute 270: the late reading and the two after it, not the 28 before
    assert 0 < len(resumed) <= 3, resumed
    assert min(resumed) > live.latest_t - 30 * 60  # type: ignore[operator]  # set by the trip


def test_events_refreshed_together_are_each_derived_as_a_replay_does() -> None:
    """Three readings in one batch: the first refreshed at once (the first after a settle),
    the others once, after the batch. A replay derives after each: after the second (a fix
    far behind, as if stopped) the late risk opens, after the third it closes again. The
    in-order state derives each as it comes (the update waits for the batch), so a settle
    takes it as it is and raises what the replay raises."""

    def settled(replay: bool) -> tuple[list[str], dict[str, Any]]:
        state = apply(None, TIGHT, CONFIG).state
        for n, m in enumerate(range(0, 200, 10)):
            state = apply(state, _event(n, "fix", m), CONFIG, eta_now=False).state  # type: ignore[arg-type]  # a reading
            refresh_eta(state, CONFIG)
            settle(state, CONFIG)
        for n, (kind, m) in enumerate([("fix", 200), ("slow", 210), ("fix", 220)], 100):
            state = apply(state, _event(n, kind, m), CONFIG, eta_now=False).state  # type: ignore[arg-type]  # as above
        refresh_eta(state, CONFIG)
        assert state is not None
        assert state.eta.exact_t == state.latest_t
        alerts = settle(replaying(state) if replay else state, CONFIG).alerts
        return [a.model_dump_json() for a in alerts], without_mark(state)

    taken, replayed = settled(replay=False), settled(replay=True)
    assert any('"late_delivery_risk"' in a for a in replayed[0])  # opened and closed between
    assert taken == replayed


def _refreshed_alike(state: ShipmentState | None) -> bool:
    """The batch's refresh of ``state`` (``refresh_eta``) against a refresh of a copy of its
    ETA state, which is not known exact and so derives again: the same update, states left
    equal. True if ``state``'s refresh could only publish (derived at these inputs already)."""
    assert state is not None and state.manifest is not None
    eta = state.eta
    now = state.manifest.created_at.timestamp()
    now = now if state.latest_t is None else max(now, state.latest_t)
    twin = eta.copy()
    only_publish = bool(eta.known) and eta.exact_t == now
    only_publish = only_publish and eta.known[-1].matches(
        state.manifest, eta.track, state.custody, CONFIG.eta, now
    )
    only_publish = only_publish and eta.stale  # else the batch's refresh has nothing to do
    published = refresh_eta(state, CONFIG).eta
    if only_publish:
        again = eta_refresh(twin, state.manifest, state.custody, CONFIG.eta, now)
        assert published == ([] if again.update is None else [again.update])
        assert again.changed == []  # deriving again at the same inputs changes no episode
        assert state.eta.to_dict() == twin.to_dict()
    return only_publish


@settings(max_examples=150, deadline=None)
@given(
    events=st.lists(st.tuples(kinds, moves, st.booleans()), max_size=60),
    first=st.integers(min_value=-90, max_value=30),
    tight=st.booleans(),
)
def test_a_batch_s_refresh_after_its_derive_publishes_what_deriving_again_would(
    events: list[tuple[str, int, bool]], first: int, tight: bool
) -> None:
    """In batches (``apply`` then ``refresh_eta``, as a worker does), late and tied events
    among them: a batch's refresh that finds its last event derived at the same inputs only
    publishes, and the update and the state equal those of a refresh that derives again."""
    state = apply(None, TIGHT if tight else CRYO, CONFIG).state
    minute = first
    for n, (kind, move, end_batch) in enumerate(events):
        minute += move
        state = apply(state, _event(n, kind, minute), CONFIG, eta_now=False).state  # type: ignore[arg-type]  # a reading or custody
        if end_batch or n == len(events) - 1:
            hypothesis.event(
                "only published" if _refreshed_alike(state) else "derived, replayed or idle"
            )


def test_in_order_batches_refresh_by_publishing_only() -> None:
    """A trip read in order, in batches of two readings: every batch's refresh only
    publishes, and publishes what deriving again would (the late risk opens and closes on
    the way, so episodes change between batches)."""
    state = apply(None, TIGHT, CONFIG).state
    minutes = [*range(0, 200, 10), 201, 202, 203, *range(210, 400, 10)]
    quick = []
    for n, m in enumerate(minutes):
        kind = "slow" if 200 < m < 210 else "fix"
        state = apply(state, _event(n, kind, m), CONFIG, eta_now=False).state  # type: ignore[arg-type]  # a reading
        if n % 2 == 1:
            quick.append(_refreshed_alike(state))
    assert state is not None and state.eta.closed  # episodes opened and closed on the way
    assert all(quick) and len(quick) == len(minutes) // 2
