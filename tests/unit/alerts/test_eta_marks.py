"""A settle's replay resuming from a mark (``EtaState.marks``) gives what a replay from the start gives."""

from __future__ import annotations

import pytest

from alerts.config import RuleConfig
from alerts.engine import Step, apply, refresh_eta, settle
from alerts.state import ShipmentState
from alerts.testing import (
    custody,
    estimates_made,
    manifest,
    reading,
    replaying,
    without_mark,
)

CONFIG = RuleConfig()


def _outputs(step: Step) -> list[str]:
    return [x.model_dump_json() for x in (*step.alerts, *step.eta)]


def _reading(minute: int, kind: str = "fix") -> object:
    """A reading on the way: with a fix, without one (``"blind"``), or a second one at the
    same minute, with a fix (``"second"``)."""
    location = (40.44 + minute * 0.002, -79.99 + minute * 0.01)
    return reading(
        minute,
        -180,
        event_id=f"r{minute}b" if kind == "second" else None,
        location=None if kind == "blind" else location,
    )


@pytest.mark.parametrize("in_order", [True, False], ids=["taken-in-order", "replaying"])
@pytest.mark.parametrize("every", [1, 4, 16])
def test_settles_from_marks_equal_settles_from_the_start(
    every: int, in_order: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``in_order``: a settle after in-order events takes the state as it is and leaves a mark
    at its newest event (``EtaState.exact_t``); otherwise every settle replays."""
    monkeypatch.setattr("alerts.eta.MARK_EVERY", every)
    state = apply(None, manifest("cryo-150"), CONFIG).state
    state = apply(state, custody(-5, "departing", "HUB-NE", "CUR-1"), CONFIG).state
    assert state is not None
    marked = 0
    # a trip settled every few readings, with late readings (they drop the marks after them),
    # then a reading without a fix whose minute gets its fix from a second reading after a
    # settle (a replay leaves no mark at the newest time; an in-order settle does, and the
    # second reading at that time drops it: a replay resuming there would skip the reading)
    trip = [(m, "fix") for m in range(0, 400, 10) if m % 70] + [(65, "fix"), (135, "fix")]
    trip += [(395, "blind"), (395, "second"), (396, "blind"), (396, "second")]
    for n, (minute, kind) in enumerate(trip, 1):
        event = _reading(minute, kind)
        state = apply(state, event, CONFIG, eta_now=False).state  # type: ignore[arg-type]  # a reading
        refresh_eta(state, CONFIG)
        if n % 3 == 0 or minute >= 395:
            assert state is not None
            fresh = ShipmentState.from_json(state.to_json())  # no marks: replays from the start
            marked += bool(state.eta.marks)
            if not in_order:
                replaying(state)
            assert _outputs(settle(state, CONFIG)) == _outputs(settle(fresh, CONFIG))
            if in_order:  # the marks differ: each replay left its own
                assert without_mark(state) == without_mark(fresh)
            else:
                assert state.to_json() == fresh.to_json()
    assert marked, "some settles resumed from a mark"


def test_a_settle_from_a_mark_estimates_only_after_the_events_it_replays(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("alerts.eta.MARK_EVERY", 1)
    state = apply(None, manifest("cryo-150"), CONFIG).state
    state = apply(state, custody(-5, "departing", "HUB-NE", "CUR-1"), CONFIG).state
    for minute in range(0, 60, 10):
        state = apply(state, _reading(minute), CONFIG).state  # type: ignore[arg-type]  # a reading
    state = settle(state, CONFIG).state
    state = apply(state, _reading(60), CONFIG).state  # type: ignore[arg-type]  # a reading
    assert state is not None
    mark = state.eta.marks[-1][0]
    replayed = [r for r in state.history if r.t > mark]
    state.eta.known.clear()  # every step estimated, none taken from the refreshes
    with estimates_made() as at:
        settle(state, CONFIG)
    # the mark was left after the derive at its own time: the replay goes on from there
    assert at == [r.t for r in replayed]
