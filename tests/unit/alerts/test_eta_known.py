"""The refresh estimates a settle's replay reuses (``EtaState.known``) change nothing."""

from __future__ import annotations

import math
import sys

import pytest

from alerts.config import RuleConfig
from alerts.engine import Step, apply, refresh_eta, settle
from alerts.eta import KNOWN, KNOWN_EXACT, MARK_EVERY
from alerts.state import ShipmentState
from alerts.testing import at, custody, manifest, reading, replaying, without_mark

CONFIG = RuleConfig()
CRYO = manifest("cryo-150")


def _trip(minutes: range) -> list[object]:
    """Readings driving from the origin towards the destination, a departure scan first."""
    events: list[object] = [custody(-5, "departing", "HUB-NE", "CUR-1")]
    for m in minutes:
        events.append(reading(m, -180, location=(40.44 + m * 0.002, -79.99 + m * 0.01)))
    return events


def _batches(state: ShipmentState | None, events: list[object]) -> ShipmentState:
    """Each event as its own batch: ``apply`` then the batch's ``refresh_eta``."""
    for event in events:
        step = apply(state, event, CONFIG, eta_now=False)  # type: ignore[arg-type]  # events are readings or custody
        state = step.state
        refresh_eta(state, CONFIG)
    assert state is not None
    return state


def _outputs(step: Step) -> list[str]:
    return [x.model_dump_json() for x in (*step.alerts, *step.eta)]


def test_settle_with_the_refresh_estimates_equals_settle_without(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reused = _batches(apply(None, CRYO, CONFIG).state, _trip(range(0, 200, 10)))
    fresh = ShipmentState.from_json(reused.to_json())  # the same state, no runtime caches
    assert reused.eta.known and not fresh.eta.known
    calls: list[float] = []

    monkeypatch.setattr("alerts.eta.ESTIMATED", calls)
    # replaying, as after a late event (in order, a settle takes the state as it is)
    with_known = settle(replaying(reused), CONFIG)
    taken = len(calls)
    without = settle(fresh, CONFIG)
    assert taken < len(calls) - taken, "the replay took the known estimates"
    assert _outputs(with_known) == _outputs(without)
    assert reused.to_json() == fresh.to_json()
    # and on: more batches, another settle
    later = _trip(range(200, 320, 10))[1:]
    reused, fresh = _batches(reused, later), _batches(fresh, later)
    assert _outputs(settle(replaying(reused), CONFIG)) == _outputs(settle(replaying(fresh), CONFIG))
    assert reused.to_json() == fresh.to_json()


def test_a_known_estimate_is_taken_only_for_the_same_inputs() -> None:
    state = _batches(apply(None, CRYO, CONFIG).state, _trip(range(0, 60, 10)))
    newest = state.eta.known[-1]
    assert newest.matches(CRYO, state.eta.track, state.custody, CONFIG.eta, newest.now)
    assert not newest.matches(CRYO, state.eta.track, state.custody, CONFIG.eta, newest.now + 1)
    assert not newest.matches(CRYO, state.eta.track, [], CONFIG.eta, newest.now)
    moved = state.eta.track.fixes[:-1]
    track = type(state.eta.track)(moved, state.eta.track.first_t, state.eta.track.last_t)
    assert not newest.matches(CRYO, track, state.custody, CONFIG.eta, newest.now)


def test_a_known_estimate_keeps_a_32_byte_key_of_its_fixes_that_tells_any_change() -> None:
    state = _batches(apply(None, CRYO, CONFIG).state, _trip(range(0, 240, 10)))
    track = state.eta.track
    newest = state.eta.known[-1]
    key = newest.fixes_key()
    assert len(track.fixes) == 24 and key is not None and len(key) == 32  # not 576 B of doubles
    same = type(track).of(track.fixes, track.first_t, track.last_t)
    assert newest.matches(CRYO, same, state.custody, CONFIG.eta, newest.now)
    t, lat, lon = track.fixes[5]
    nudged = [*track.fixes[:5], (t, math.nextafter(lat, 90.0), lon), *track.fixes[6:]]
    moved = type(track).of(nudged, track.first_t, track.last_t)
    assert not newest.matches(CRYO, moved, state.custody, CONFIG.eta, newest.now)


def test_settling_after_every_reading_reuses_the_refreshes_estimates(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A late burst at a logger's cadence: each batch of one reading is refreshed on a state
    not known to be exact (as a late event leaves it), then settled, the settle replaying.
    Its replay resumes from the last mark and takes the refreshes' estimates of the events
    since, including those of earlier batches (the state a settle replaces kept them)."""
    state = apply(None, CRYO, CONFIG).state
    fresh = state
    calls: list[float] = []

    monkeypatch.setattr("alerts.eta.ESTIMATED", calls)
    per_settle = []
    for event in _trip(range(0, 240, 10)):
        state, fresh = _batches(replaying(state), [event]), _batches(fresh, [event])
        before = len(calls)
        reused_outputs = _outputs(settle(replaying(state), CONFIG))
        per_settle.append(len(calls) - before)
        fresh = ShipmentState.from_json(fresh.to_json())  # without any runtime cache
        assert reused_outputs == _outputs(settle(fresh, CONFIG))
        assert state.to_json() == fresh.to_json()
    # once marks are left, a replay covers the up to MARK_EVERY + 1 events after the newest
    # mark (its last event leaves no mark: one at the same time may follow) and the KNOWN
    # newest refreshes cover all but the oldest of them
    later = per_settle[MARK_EVERY + 1 :]
    assert sum(later) <= len(later) // MARK_EVERY + 1, per_settle


def test_an_exact_state_keeps_only_its_newest_estimate_and_its_settle_takes_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """In order, a state is ``exact_t``: its settle replays nothing and takes the newest
    refresh's estimate, so it keeps no older one (``KNOWN_EXACT``); a late event's first
    settle then estimates again what the kept ones would have served, with the same outputs."""
    state = _batches(apply(None, CRYO, CONFIG).state, _trip(range(0, 200, 10)))
    assert state.eta.exact_t is not None
    assert [k.now for k in state.eta.known] == [state.eta.exact_t]
    assert KNOWN_EXACT < KNOWN
    calls: list[float] = []
    monkeypatch.setattr("alerts.eta.ESTIMATED", calls)
    fresh = ShipmentState.from_json(state.to_json())
    in_order = settle(state, CONFIG)
    assert calls == [], "an exact state's settle takes its newest estimate"
    replayed = settle(fresh, CONFIG)  # restored: not exact, replays every event
    assert _outputs(in_order) == _outputs(replayed)
    assert without_mark(state) == without_mark(fresh)  # the stored mark is a cache
    # a late event afterwards: the estimates are computed again, the outputs are the same
    late = reading(95, -180, location=(40.44 + 95 * 0.002, -79.99 + 95 * 0.01))
    state, fresh = _batches(state, [late]), _batches(fresh, [late])
    assert state.eta.exact_t is None
    assert len(state.eta.known) <= KNOWN
    before = len(calls)
    late_outputs = _outputs(settle(state, CONFIG))
    assert len(calls) > before, "the replay after the late event estimated again"
    assert late_outputs == _outputs(settle(fresh, CONFIG))
    assert without_mark(state) == without_mark(fresh)  # the stored mark is a cache


def test_an_exact_states_refresh_takes_its_estimate_by_the_fixes_stamp_without_hashing() -> None:
    """In order, each event's derive keeps its estimate with the stamp of the fixes and the
    batch's refresh matches it by that stamp: no SHA-256 of the fixes per reading."""
    state = _batches(apply(None, CRYO, CONFIG).state, _trip(range(0, 120, 10)))
    newest = state.eta.known[-1]
    assert state.eta.exact_t == newest.now
    assert newest.stamp == state.eta.track.stamp and newest.key is None
    assert newest.matches(CRYO, state.eta.track, state.custody, CONFIG.eta, newest.now)
    assert newest.key is None and state.eta.track.key is None, "matched by the stamp, unhashed"
    # another track with the same fixes: the key is taken, from the track that still has them
    same = type(state.eta.track).of(
        state.eta.track.fixes, state.eta.track.first_t, state.eta.track.last_t
    )
    assert newest.matches(CRYO, same, state.custody, CONFIG.eta, newest.now)
    assert newest.key == same.fixes_key()


def test_an_in_order_fix_leaves_the_replaced_estimate_unkeyed_and_a_late_fix_keys_first() -> None:
    """An exact state's estimate is replaced at its next event, so a fix in order leaves the
    old one unkeyed (it is never matched again); a late fix has the kept ones keyed before it
    changes the fixes, for the replays it causes."""
    state = _batches(apply(None, CRYO, CONFIG).state, _trip(range(0, 120, 10)))
    replaced = state.eta.known[-1]
    replaced_est, replaced_stamp = replaced.est, replaced.stamp
    state = _batches(state, [reading(125, -180, location=(40.7, -78.7))])
    (kept,) = state.eta.known
    assert kept.est is not replaced_est and kept.stamp != replaced_stamp
    assert kept.key is None and state.eta.track.key is None and state.eta.exact_t == kept.now
    fixes = state.eta.track.fixes
    state = _batches(state, [reading(55, -180, location=(40.6, -79.4))])  # late, with a fix
    assert state.eta.exact_t is None and state.eta.track.fixes != fixes
    assert kept.fixes_key() == type(state.eta.track).of(fixes).fixes_key()
    assert kept.track is None  # no track held once it cannot help


def test_the_dropped_known_estimate_takes_the_new_one_in_place() -> None:
    """A new estimate takes the place of the oldest known one, about to be dropped, in the
    same object (no object a reading for the collector), with the custody copy of the one
    before it while custody is unchanged; what it holds is the new estimate's own, and the
    replaced estimate is released (a compiled ``__init__`` run again on it leaked it)."""
    state = _batches(apply(None, CRYO, CONFIG).state, _trip(range(0, 120, 10)))
    (holder,) = state.eta.known
    custody_copy, replaced = holder.custody, holder.est
    assert custody_copy == state.custody and custody_copy is not state.custody
    state = _batches(state, [reading(125, -180, location=(40.7, -78.7))])
    (kept,) = state.eta.known
    assert kept is holder and kept.now == state.eta.exact_t == at(125).timestamp()
    assert kept.est is not replaced
    assert sys.getrefcount(replaced) == 2, "the replaced estimate is let go of (here and the call)"
    assert kept.custody is custody_copy, "custody unchanged: the copy is shared"
    assert kept.matches(CRYO, state.eta.track, state.custody, CONFIG.eta, kept.now)
    state = _batches(
        state, [custody(130, "accepting", "CUR-1", "CUR-2", roles=("courier", "courier"))]
    )
    (after,) = state.eta.known
    assert after.custody == state.custody and after.custody is not custody_copy
    assert len(custody_copy) == len(state.custody) - 1, "the old copy was not changed"
