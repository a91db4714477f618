"""State encoding: the stored record and its history chunks decode to an equal state."""

from __future__ import annotations

import gc
import zlib
from types import ModuleType

import orjson
import pytest

from alerts.config import RuleConfig
from alerts.encoded import CHUNK_READINGS as C
from alerts.encoded import dump_record
from alerts.engine import apply
from alerts.state import DOCUMENT_FORMAT, STATE_FORMAT, ShipmentState
from alerts.testing import (
    held_readings,
    manifest,
    reading,
    restored,
    stored,
    through_store,
)

SMALL = RuleConfig(max_readings_per_shipment=8)
"""A bound small enough that a few readings evict (``_evict`` cuts past 8 + 8 // 8)."""

FULL = RuleConfig()
"""The default bound: nothing evicted in these tests."""


def _feed(
    state: ShipmentState | None, *minutes: float, config: RuleConfig = SMALL
) -> ShipmentState:
    for minute in minutes:
        state = apply(state, reading(minute, -180.0, location=(40.5, -79.9)), config).state
    assert state is not None
    return state


def test_the_record_names_the_sealed_chunks_and_carries_the_tail() -> None:
    state = _feed(apply(None, manifest(), FULL).state, *range(2 * C + 3), config=FULL)
    record, chunks = stored(state)
    history = orjson.loads(record)["history"]
    assert history["chunks"] == [0, 1] and sorted(chunks) == [0, 1]
    assert history["tail"] == [list(r) for r in state.history[2 * C :]]
    sealed = b"".join(zlib.decompress(chunk) for chunk in chunks.values())
    assert sealed.count(b'"SHP-T1:r:') == 2 * C  # each reading once
    assert orjson.loads(record)["manifest"] == state.manifest.model_dump(mode="json")  # type: ignore[union-attr]
    again = restored(record, chunks)
    assert again == state and again.to_json() == state.to_json()
    assert stored(again) == (record, chunks)


def test_readings_are_held_encoded_live_and_in_a_restored_tail() -> None:
    state = _feed(apply(None, manifest(), FULL).state, *range(C + 3), config=FULL)
    assert held_readings(state.history) == 0  # each encoded as the rules applied it
    assert [r.t for r in state.history] == sorted(r.t for r in state.history)
    assert len(state.history) == C + 3
    again = through_store(state)
    assert again == state
    assert held_readings(again.history) == 0  # the tail's JSON, decoded when asked for


def test_a_late_reading_inside_a_sealed_chunk_is_stored_in_place() -> None:
    state = _feed(apply(None, manifest(), FULL).state, *range(0, 20 * C, 10), config=FULL)
    stored(state)
    _feed(state, 15, config=FULL)  # placed between minute 10 and 20: chunk 0 and 1 unsealed
    assert [r.t for r in state.history] == sorted(r.t for r in state.history)
    record, chunks = stored(state)
    assert orjson.loads(record)["history"]["retired"] == [0, 1]
    assert sorted(chunks) == [2, 3]  # sealed anew
    assert restored(record, chunks) == state


def test_eviction_retires_the_chunks_it_passes() -> None:
    state = _feed(apply(None, manifest(), FULL).state, *range(3 * C), config=FULL)
    stored(state)
    config = RuleConfig(max_readings_per_shipment=C + 2)  # the oldest readings leave
    _feed(state, 3 * C, config=config)
    assert state.floor is not None and len(state.history) <= C + 2
    record, chunks = stored(state)
    assert 0 in orjson.loads(record)["history"]["retired"]
    assert restored(record, chunks) == state


def test_a_new_manifest_is_encoded_again() -> None:
    state = _feed(apply(None, manifest(), SMALL).state, 0)
    stored(state)
    again = apply(state, manifest(coi_id="COI-T2"), SMALL).state
    assert again is not None
    record, chunks = stored(again)
    assert orjson.loads(record)["manifest"]["coi_id"] == "COI-T2"
    assert restored(record, chunks) == again


def _texts_held(root: object) -> list[bytes]:
    """Every ``bytes`` longer than a digest reachable from ``root`` (types and modules left
    out)."""
    seen: set[int] = set()
    todo, texts = [root], []
    while todo:
        held = todo.pop()
        if id(held) in seen or isinstance(held, type | ModuleType):
            continue
        seen.add(id(held))
        if isinstance(held, bytes):
            texts += [held] if len(held) > 32 else []  # the fixes key: a SHA-256
        else:
            todo += gc.get_referents(held)
    return texts


def test_a_checkpoint_keeps_no_json_of_the_eta_track_s_fixes() -> None:
    """The ETA track's fixes are encoded into each record and the state keeps nothing of it:
    their JSON kept in step with each fix made two texts of about 1 KB at every reading."""
    state = apply(None, manifest(), FULL).state
    for minute in range(0, 300, 10):
        state = apply(
            state, reading(minute, -180.0, location=(40.5 + minute / 1e3, -79.9)), FULL
        ).state
    assert state is not None
    for _ in range(2):  # two checkpoints: the second encodes the fixes again
        record, _chunks = stored(state)
        fixes = orjson.loads(record)["eta"]["track"]["fixes"]
        assert fixes == [list(fix) for fix in state.eta.track.fixes] and len(fixes) == 24
        assert _texts_held(state.eta) == []


def test_a_state_without_manifest_or_history_is_stored_and_restored() -> None:
    state = apply(None, reading(0, -180.0), SMALL).state  # held: no manifest yet
    assert state is not None and state.manifest is None and state.history == []
    assert through_store(state) == state


def test_a_state_stored_in_one_document_loads_and_answers_the_same() -> None:
    state = _feed(apply(None, manifest(), FULL).state, *range(C + 3), config=FULL)
    document = state.to_dict()  # format 2: as the changelog held states before chunks
    assert document["format"] == DOCUMENT_FORMAT
    again = ShipmentState.from_dict(orjson.loads(orjson.dumps(document)))
    assert again == state and stored(again)[0] == stored(state)[0]
    assert orjson.loads(stored(again)[0])["format"] == STATE_FORMAT
    old = state.to_dict()
    old["format"] = 1
    old["seen"] = list(state.seen)  # format 1: the seen ids as plain strings
    restored_1 = ShipmentState.from_dict(orjson.loads(orjson.dumps(old)))
    assert restored_1 == state and list(restored_1.seen) == list(state.seen)


def test_a_record_of_format_3_with_its_chunks_as_rows_still_restores() -> None:
    state = _feed(apply(None, manifest(), FULL).state, *range(2 * C + 3), config=FULL)
    record, chunks = stored(state)
    old = orjson.loads(record)
    old["format"] = 3  # as builds before columns stored it: each chunk's readings as rows
    rows = {n: [list(r) for r in state.history[n * C : (n + 1) * C]] for n in chunks}
    again = restored(
        orjson.dumps(old), {n: zlib.compress(orjson.dumps(r)) for n, r in rows.items()}
    )
    assert again == state and list(again.history) == list(state.history)
    assert orjson.loads(stored(again)[0])["format"] == STATE_FORMAT == 4


def test_a_record_of_an_unknown_format_is_refused() -> None:
    record, _ = stored(_feed(apply(None, manifest(), FULL).state, 0, 1, config=FULL))
    newer = orjson.loads(record)
    newer["format"] = STATE_FORMAT + 1
    with pytest.raises(ValueError, match="unsupported shipment state format"):
        ShipmentState.from_dict(newer, lambda n: b"")


def test_a_stored_record_without_its_chunks_is_refused() -> None:
    state = _feed(apply(None, manifest(), FULL).state, *range(C), config=FULL)
    record, _ = stored(state)
    with pytest.raises(ValueError, match="chunks"):
        ShipmentState.from_dict(orjson.loads(record))


def test_a_record_is_dumped_as_with_non_text_keys_allowed() -> None:
    """``dump_record`` writes what ``OPT_NON_STR_KEYS`` writes: the same bytes for a record
    with text keys only, and a key that is not text (which a plain dump refuses) as its text."""
    state = _feed(None, *range(0, 400, 10), config=FULL)
    state.history.seal()
    record = state.record()
    assert dump_record(record) == orjson.dumps(record, option=orjson.OPT_NON_STR_KEYS)
    odd = {"book": {1: [2.5, None]}, "seen": [3]}
    assert dump_record(odd) == b'{"book":{"1":[2.5,null]},"seen":[3]}'
    with pytest.raises(orjson.JSONEncodeError):
        dump_record({"at": object()})  # anything else orjson refuses is still refused
