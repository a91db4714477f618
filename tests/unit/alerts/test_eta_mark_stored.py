"""The newest ETA replay mark travels with the stored state: a restored state's first settle
resumes there, and settles exactly as the state it was stored from."""

from __future__ import annotations

import orjson

from alerts.config import RuleConfig
from alerts.engine import Step, apply, refresh_eta, settle
from alerts.eta import MARK_EVERY
from alerts.state import ShipmentState
from alerts.testing import T0, custody, manifest, reading, stored, through_store, without_mark

CONFIG = RuleConfig()
CRYO = manifest("cryo-150")


def _reading(minute: int) -> object:
    """A reading on the road from the origin towards the destination."""
    return reading(minute, -180, location=(40.44 + minute * 0.002, -79.99 + minute * 0.01))


def _settled(minutes: range, config: RuleConfig = CONFIG) -> ShipmentState:
    """A departure, then each reading as its own batch followed by a settle (a logger's
    cadence on a live worker)."""
    state = apply(None, CRYO, config).state
    for event in [custody(-5, "departing", "HUB-NE", "CUR-1"), *map(_reading, minutes)]:
        state = _batch(state, event, config)
        settle(state, config)
    assert state is not None
    return state


def _batch(state: ShipmentState | None, event: object, config: RuleConfig) -> ShipmentState:
    step = apply(state, event, config, eta_now=False)  # type: ignore[arg-type]  # a reading or custody
    refresh_eta(step.state, config)
    assert step.state is not None
    return step.state


def _outputs(step: Step) -> list[str]:
    return [x.model_dump_json() for x in (*step.alerts, *step.eta)]


def test_a_restored_state_settles_from_its_stored_mark(estimates: list[float]) -> None:
    live = _settled(range(0, 600, 10))
    kept = live.eta_mark()
    assert kept is not None and kept[0] > live.manifest.created_at.timestamp()  # type: ignore[union-attr]
    # the record a checkpoint writes holds the mark (as its cached JSON) as plain ``to_dict``
    plain = orjson.loads(orjson.dumps(live.to_dict()["eta_mark"]))
    assert orjson.loads(stored(live)[0])["eta_mark"] == plain
    restored = through_store(live)
    assert restored.eta_mark() is not None and restored.eta_mark()[0] == kept[0]  # type: ignore[index]
    live, restored = _batch(live, _reading(600), CONFIG), _batch(restored, _reading(600), CONFIG)
    estimates.clear()
    settled = settle(restored, CONFIG)
    # the events after the mark only (none of the 60 readings before it; the mark is at the
    # newest reading of the last settle, so the one replayed can take its refresh's estimate)
    assert len(estimates) <= MARK_EVERY + 2, estimates
    assert all(t > kept[0] for t in estimates)
    assert _outputs(settled) == _outputs(settle(live, CONFIG))
    # the live state, in order, was taken as it is and left a mark at its newest reading
    assert without_mark(restored) == without_mark(live)


def test_a_late_reading_before_the_stored_mark_drops_it() -> None:
    live = _settled(range(0, 300, 10))
    mark = live.eta_mark()
    assert mark is not None
    restored = through_store(live)
    late = reading((mark[0] - T0.timestamp()) / 60 - 1, -120)  # a minute before the mark
    live, restored = _batch(live, late, CONFIG), _batch(restored, late, CONFIG)
    assert restored.eta_mark() is None  # the one it had came after the late reading
    older = live.eta_mark()  # the live state's older marks stay (those before the reading)
    assert older is None or older[0] < late.recorded_at.timestamp()
    assert _outputs(settle(restored, CONFIG)) == _outputs(settle(live, CONFIG))
    assert without_mark(restored) == without_mark(live)  # each replay left its own marks


def test_no_mark_is_stored_before_the_cut_of_the_history() -> None:
    small = RuleConfig(max_readings_per_shipment=8)
    live = _settled(range(0, 100, 10), small)
    marked = live.eta_mark()
    assert marked is not None
    for minute in range(100, 300, 10):  # in order, no settle: the cut passes the marks
        live = _batch(live, _reading(minute), small)
    assert live.eta_base_t is not None and live.eta_base_t > marked[0]
    assert live.eta.marks and live.eta_mark() is None  # a replay could not resume there
    assert "eta_mark" in live.to_json() and live.to_dict()["eta_mark"] is None
    restored = through_store(live)
    for minute in (300, 310):
        live, restored = (
            _batch(live, _reading(minute), small),
            _batch(restored, _reading(minute), small),
        )
        assert _outputs(settle(restored, small)) == _outputs(settle(live, small))
    assert restored.to_json() == live.to_json()


def test_a_state_stored_without_a_mark_replays_its_whole_history(estimates: list[float]) -> None:
    live = _settled(range(0, 200, 10))
    data = live.to_dict()
    assert data.pop("eta_mark") is not None
    restored = ShipmentState.from_dict(data)  # as stored before marks were
    assert restored.eta_mark() is None
    live, restored = _batch(live, _reading(200), CONFIG), _batch(restored, _reading(200), CONFIG)
    estimates.clear()
    settled = settle(restored, CONFIG)
    assert len(estimates) >= 20  # every event from the manifest's creation on
    assert _outputs(settled) == _outputs(settle(live, CONFIG))
    assert without_mark(restored) == without_mark(live)
