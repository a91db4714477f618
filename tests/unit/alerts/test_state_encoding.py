"""State encoding: the cached history and manifest JSON give exactly the plain encoding."""

from __future__ import annotations

import orjson

from alerts.config import RuleConfig
from alerts.engine import apply
from alerts.state import ShipmentState
from alerts.testing import manifest, reading

SMALL = RuleConfig(max_readings_per_shipment=8)
"""A bound small enough that a few readings evict (``_evict`` cuts past 8 + 8 // 8)."""


def _plain(state: ShipmentState) -> bytes:
    return orjson.dumps(state.to_dict(), option=orjson.OPT_NON_STR_KEYS)


def _feed(state: ShipmentState | None, *minutes: float) -> ShipmentState:
    for minute in minutes:
        state = apply(state, reading(minute, -180.0, location=(40.5, -79.9)), SMALL).state
    assert state is not None
    return state


def test_in_order_readings_are_encoded_once_and_appended() -> None:
    state = _feed(apply(None, manifest(), SMALL).state, 0, 10, 20)
    first = state.to_bytes()
    assert first == _plain(state)
    cached = state.history.items
    assert state.history.text is first  # the history's text is read from the state bytes
    assert state.to_bytes() is first  # unchanged: the same bytes object, nothing re-encoded
    _feed(state, 30, 40)
    second = state.to_bytes()
    assert second == _plain(state)
    assert state.history.text is second
    assert state.history.items.startswith(cached + b",")  # the old readings' text reused
    assert ShipmentState.from_json(second) == state


def test_the_cache_keeps_its_own_text_when_the_bytes_are_encoded_elsewhere() -> None:
    state = _feed(apply(None, manifest(), SMALL).state, 0, 10)
    state.to_bytes()
    _feed(state, 20)
    data = state.encodable()  # as the state store does when it adds an outbox
    data["outbox"] = []
    assert orjson.loads(orjson.dumps(data))["history"] == state.to_dict()["history"]
    assert state.history.text.startswith(b"[") and state.history.text.endswith(b"]")
    assert state.to_bytes() == _plain(state)


def test_readings_share_their_logger_id_live_and_restored() -> None:
    state = _feed(apply(None, manifest(), SMALL).state, 0, 10, 20)
    assert state.history[0].logger_id is state.history[2].logger_id is not None
    restored = ShipmentState.from_json(state.to_bytes())
    assert restored == state
    assert restored.history[0].logger_id is restored.history[2].logger_id


def test_a_late_reading_inside_the_cached_prefix_is_encoded_in_place() -> None:
    state = _feed(apply(None, manifest(), SMALL).state, 0, 10, 20, 30)
    state.to_bytes()
    _feed(state, 15)  # placed between minute 10 and 20
    assert [r.t for r in state.history] == sorted(r.t for r in state.history)
    assert state.to_bytes() == _plain(state)


def test_eviction_drops_the_cached_prefix() -> None:
    state = _feed(apply(None, manifest(), SMALL).state, *range(0, 80, 10))
    state.to_bytes()
    before = state.history[0]
    _feed(state, *range(80, 120, 10))  # past the bound: the oldest readings leave
    assert state.history[0] is not before and state.floor is not None
    assert state.to_bytes() == _plain(state)
    assert ShipmentState.from_json(state.to_bytes()) == state


def test_a_new_manifest_is_encoded_again() -> None:
    state = _feed(apply(None, manifest(), SMALL).state, 0)
    state.to_bytes()
    again = apply(state, manifest(coi_id="COI-T2"), SMALL).state
    assert again is not None
    assert b"COI-T2" in again.to_bytes() and again.to_bytes() == _plain(again)


def test_a_state_without_manifest_or_history_encodes_as_before() -> None:
    state = apply(None, reading(0, -180.0), SMALL).state  # held: no manifest yet
    assert state is not None and state.manifest is None and state.history == []
    assert state.to_bytes() == _plain(state)


def test_a_state_stored_in_format_1_loads_and_answers_the_same() -> None:
    state = _feed(apply(None, manifest(), SMALL).state, 0, 10, 20)
    old = state.to_dict()
    old["format"] = 1
    old["seen"] = list(state.seen)  # format 1: the seen ids as plain strings
    restored = ShipmentState.from_dict(orjson.loads(orjson.dumps(old)))
    assert restored == state and list(restored.seen) == list(state.seen)
    assert restored.to_bytes() == state.to_bytes()
    assert orjson.loads(state.to_bytes())["format"] == 2
