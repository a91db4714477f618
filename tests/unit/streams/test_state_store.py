"""ShipmentStates: decode once, checkpoint only changed states, to the right changelog partition."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest

from alerts.config import RuleConfig
from alerts.encoded import CHUNK_READINGS as C
from alerts.engine import apply
from alerts.testing import SHIPMENT, manifest, reading, run, stored
from streams.partitioning import partition_for
from streams.state_store import (
    CheckpointGivenUp,
    RecordDigest,
    ShipmentStates,
    StateNotKept,
    chunk_key,
    record_digest,
)
from streams.testing import StateTable

KEY = SHIPMENT.encode()


def _state(*minutes_temps: tuple[float, float], shipment_id: str = SHIPMENT) -> Any:
    state = apply(None, manifest(shipment_id=shipment_id), RuleConfig()).state
    for minute, temp in minutes_temps:
        state = apply(state, reading(minute, temp, shipment_id=shipment_id), RuleConfig()).state
    return state


def test_checkpoint_writes_changed_states_once_to_their_partition() -> None:
    table = StateTable()
    states = ShipmentStates(table, 6)
    assert states.load(SHIPMENT) is None
    states.update({SHIPMENT: _state((10, -180.0))})
    records = states.checkpoint()
    [(partition, key, value)] = records
    assert partition == partition_for(SHIPMENT, 6)
    assert key == SHIPMENT.encode() and key not in table.data  # not before the broker has it
    states.stored(table.send(records))
    assert table.changelog[key] == value and states.dirty == 0
    # unchanged since: marking it dirty again writes nothing
    states.update({SHIPMENT: states.load(SHIPMENT)})
    assert states.checkpoint() == []
    # nor after a restart, with the record itself in the table
    again = ShipmentStates(table.recovered(), 6)
    again.update({SHIPMENT: again.load(SHIPMENT)})
    assert again.checkpoint() == []


def test_a_checkpoint_of_some_partitions_writes_only_their_states() -> None:
    """``begin(partitions)``: the dirty states of shipments on those partitions; the others
    stay dirty for a later checkpoint."""
    table = StateTable()
    states = ShipmentStates(table, 6)
    home = partition_for(SHIPMENT, 6)
    other = next(f"SHP-S{n}" for n in range(100) if partition_for(f"SHP-S{n}", 6) != home)
    states.update({SHIPMENT: _state((10, -180.0)), other: _state((10, -180.0), shipment_id=other)})
    begun = states.begin({home})
    states.encode()
    records = states.records(begun)
    assert [key for _, key, _ in records] == [KEY]
    states.stored(table.send(records))
    assert states.dirty == 1  # the other shipment's
    begun = states.begin({partition_for(other, 6)})
    states.encode()
    records = states.records(begun)
    assert [key for _, key, _ in records] == [other.encode()]
    states.stored(table.send(records))
    assert states.dirty == 0


def test_the_table_keeps_a_stored_records_digest_and_gets_the_record_back_on_forget() -> None:
    """The cache holds the decoded state and the changelog its record: the table keeps only
    the record's digest, until a rebalance drops the cache."""
    table = StateTable()
    states = ShipmentStates(table, 6)
    states.update({SHIPMENT: _state((10, -180.0), (20, -140.0))})
    [record] = states.checkpoint()
    states.stored(table.send([record]))
    kept = table.data[KEY]
    assert isinstance(kept, RecordDigest) and kept == record_digest(record.value or b"")
    assert len(kept) == 32 < len(table.changelog[KEY])
    states.forget()
    assert table.data[KEY] == table.changelog[KEY] and not isinstance(table.data[KEY], RecordDigest)


def test_a_state_changed_before_it_is_forgotten_is_not_taken_for_its_stored_record() -> None:
    """A rebalance whose checkpoint failed forgets a state changed since its record was
    stored: the table cannot rebuild that record, so loading it fails clearly (the worker
    crashes and its successor recovers the record) instead of starting the shipment over."""
    table = StateTable()
    states = ShipmentStates(table, 6)
    before = _state((10, -180.0))
    states.update({SHIPMENT: before})
    states.stored(table.send(states.checkpoint()))
    states.update({SHIPMENT: _state((10, -180.0), (20, -140.0))})  # not stored
    states.forget()
    with pytest.raises(StateNotKept, match="only in the changelog"):
        states.load(SHIPMENT)
    assert ShipmentStates(table.recovered(), 6).load(SHIPMENT) == before


def test_a_checkpoint_whose_send_failed_is_written_again() -> None:
    table = StateTable()
    states = ShipmentStates(table, 6)
    states.update({SHIPMENT: _state((10, -180.0))})
    first = states.checkpoint()  # the send fails: stored() is never called
    assert states.dirty == 1
    assert states.checkpoint() == first


def test_cache_is_decoded_from_the_table_after_forget() -> None:
    table = StateTable()
    first = ShipmentStates(table, 6)
    first.update({SHIPMENT: _state((10, -180.0), (20, -140.0))})
    first.stored(table.send(first.checkpoint()))
    first.forget()
    again = first.load(SHIPMENT)
    assert again is not None
    assert stored(again)[0] == table.changelog[SHIPMENT.encode()]


def test_owned_lists_only_shipments_of_given_partitions() -> None:
    table = StateTable()
    states = ShipmentStates(table, 6)
    states.update({SHIPMENT: _state((10, -180.0))})
    home = partition_for(SHIPMENT, 6)
    assert [sid for sid, _ in states.owned({home})] == [SHIPMENT]
    assert list(states.owned({(home + 1) % 6})) == []


def _excursion() -> tuple[Any, list[Any]]:
    """A state and the alerts of a warm excursion (readings at -140 degC for an hour)."""
    result = run([manifest(), *(reading(m, -140.0) for m in range(0, 70, 5))])
    assert result.alerts, "the fixture must raise an alert"
    assert result.state is not None
    return result.state, result.alerts


def _held() -> tuple[StateTable, ShipmentStates, Any, list[Any]]:
    """A worker that held an excursion's alerts and checkpointed them with the state."""
    table = StateTable()
    states = ShipmentStates(table, 6)
    state, alerts = _excursion()
    states.update({SHIPMENT: state})
    states.hold(alerts)
    states.stored(table.send(states.checkpoint()))
    return table, states, state, alerts


def test_held_alerts_are_stored_with_their_state_and_restored_by_another_worker() -> None:
    table, _, _, alerts = _held()
    # the worker dies before publishing: the next owner finds the alerts with the state
    second = ShipmentStates(table.recovered(), 6)
    assert second.outbox() == []
    assert second.load(SHIPMENT) is not None
    assert second.outbox() == alerts
    assert second.dirty == 0


def test_released_alerts_leave_the_stored_state_at_the_next_checkpoint() -> None:
    table, states, state, alerts = _held()
    held_bytes = table.changelog[KEY]
    states.release(alerts[:1])
    assert states.outbox() == alerts[1:]
    states.release(alerts[1:])
    assert states.outbox() == []
    [record] = states.checkpoint()
    assert record.value == stored(state)[0] != held_bytes
    states.stored(table.send([record]))
    again = ShipmentStates(table.recovered(), 6)
    again.load(SHIPMENT)
    assert again.outbox() == []


def test_forget_drops_the_outbox_the_changelog_keeps_it() -> None:
    _, states, _, alerts = _held()
    states.forget()
    assert states.outbox() == []
    states.load(SHIPMENT)
    assert states.outbox() == alerts


def test_a_state_changed_while_its_record_is_on_its_way_stays_dirty() -> None:
    """The agent goes on while a checkpoint's records travel: a shipment it changes meanwhile
    must be written by the next checkpoint, while one it did not change is clean."""
    other = "SHP-OTHER-0002"
    table = StateTable()
    states = ShipmentStates(table, 6)
    states.update({SHIPMENT: _state((10, -180.0)), other: _state((10, -181.0))})
    records = states.checkpoint()
    assert len(records) == 2
    changed = _state((10, -180.0), (20, -140.0))
    states.update({SHIPMENT: changed})  # a batch applied before the broker answered
    states.stored(table.send(records))
    assert states.dirty == 1
    [again] = states.checkpoint()
    assert again.key == SHIPMENT.encode() and again.value == stored(changed)[0]
    states.stored(table.send([again]))
    assert states.dirty == 0


def test_a_checkpoint_encoded_in_turns_records_each_state_as_it_was_when_it_began() -> None:
    """The agent applies batches between a checkpoint's turns: a state one changes before its
    turn is encoded first, as the acked events left it, and stays dirty for the next."""
    other = "SHP-OTHER-0002"
    table = StateTable()
    states = ShipmentStates(table, 6)
    first, second = _state((10, -180.0)), _state((10, -181.0))
    states.update({SHIPMENT: first, other: second})
    expected = {SHIPMENT.encode(): stored(first)[0], other.encode(): stored(second)[0]}
    begun = states.begin()
    assert states.encode(0.0) is False  # a turn encodes at least one state: the first
    first = states.records(begun)
    assert [r.key for r in first] == [SHIPMENT.encode()]
    assert states.records(begun) == []  # handed over: taken once
    state = states.load(other)  # a batch takes it before its turn
    changed = apply(state, reading(20, -140.0), RuleConfig()).state
    states.update({other: changed})
    assert states.encode(0.0) is True
    records = first + states.records(begun)
    assert {r.key: r.value for r in records} == expected
    states.stored(table.send(records))
    assert states.dirty == 1
    [again] = states.checkpoint()
    assert again.key == other.encode() and again.value == stored(changed)[0] != expected[again.key]


def test_alerts_held_after_a_checkpoint_began_are_stored_by_the_next() -> None:
    table, states, state, alerts = _held()
    states.release(alerts)
    begun = states.begin()
    states.hold(alerts[:1])  # before the state's turn: its record is still without them
    assert states.encode() is True
    [record] = states.records(begun)
    assert record.value == stored(state)[0]
    states.stored(table.send([record]))
    [record] = states.checkpoint()
    states.stored(table.send([record]))
    again = ShipmentStates(table.recovered(), 6)
    again.load(SHIPMENT)
    assert again.outbox() == alerts[:1]


@pytest.mark.parametrize("give_up", ["forget", "cancel"])
def test_a_checkpoint_given_up_before_its_records_are_taken_cannot_be_stored(give_up: str) -> None:
    """A rebalance forgets the states while a checkpoint may still be encoding: what it has
    encoded is not all of it, so its writer must not store the records or ack the events."""
    table = StateTable()
    states = ShipmentStates(table, 6)
    states.update({SHIPMENT: _state((10, -180.0)), "SHP-OTHER-0002": _state((10, -181.0))})
    begun = states.begin()
    assert states.encode(0.0) is False
    getattr(states, give_up)()
    assert states.encode() is True  # nothing left to encode...
    with pytest.raises(CheckpointGivenUp):
        states.records(begun)  # ...but the records are not the checkpoint's


def _readings(state: Any, minutes: Iterable[float], config: RuleConfig | None = None) -> Any:
    for minute in minutes:
        state = apply(state, reading(minute, -180.0), config or RuleConfig()).state
    return state


def test_a_long_history_is_written_in_chunks_once_then_only_its_record() -> None:
    table = StateTable()
    states = ShipmentStates(table, 6)
    state = _readings(apply(None, manifest(), RuleConfig()).state, range(2 * C + 3))
    states.update({SHIPMENT: state})
    records = states.checkpoint()
    home = partition_for(SHIPMENT, 6)
    assert [r.key for r in records] == [chunk_key(SHIPMENT, 0), chunk_key(SHIPMENT, 1), KEY]
    assert {r.partition for r in records} == {home}
    states.stored(table.send(records))
    assert sorted(table.data) == sorted(r.key for r in records)
    _readings(state, [2 * C + 3])
    states.update({SHIPMENT: state})
    [record] = states.checkpoint()  # one more reading: the record only, with its tail
    assert record.key == KEY and record.value is not None
    assert b'"SHP-T1:r:0"' not in record.value  # the sealed readings are not written again
    assert b'"SHP-T1:r:%d"' % (2 * C + 3) in record.value
    states.stored(table.send([record]))
    again = ShipmentStates(table.recovered(), 6).load(SHIPMENT)
    assert again == state and again is not None and again.to_json() == state.to_json()
    assert [sid for sid, _ in ShipmentStates(table.recovered(), 6).owned({home})] == [SHIPMENT]


def test_stored_needs_only_the_chunks_and_deletions_a_writer_sent() -> None:
    """A writer lets go of a state's record once the producer has it (a checkpoint's records
    are sent turn by turn): the table keeps the digest the encoding took, and the chunks."""
    table = StateTable()
    states = ShipmentStates(table, 6)
    state = _readings(apply(None, manifest(), RuleConfig()).state, range(C + 3))
    states.update({SHIPMENT: state})
    begun = states.begin()
    assert states.encode() is True
    records = states.records(begun)
    assert [r.key for r in records] == [chunk_key(SHIPMENT, 0), KEY]
    table.send(records)
    states.stored(records[:1])
    assert table.data[chunk_key(SHIPMENT, 0)] == records[0].value
    assert table.data[KEY] == record_digest(records[1].value or b"") and states.dirty == 0
    assert ShipmentStates(table.recovered(), 6).load(SHIPMENT) == state


def test_a_retired_chunk_is_deleted_once_a_record_without_it_is_stored() -> None:
    table = StateTable()
    states = ShipmentStates(table, 6)
    state = _readings(apply(None, manifest(), RuleConfig()).state, range(0, 20 * C, 10))
    states.update({SHIPMENT: state})
    states.stored(table.send(states.checkpoint()))
    _readings(state, [10 * C + 5])  # late, inside chunk 1: unsealed, sealed again as chunk 2
    states.update({SHIPMENT: state})
    first = states.checkpoint()
    assert [r.key for r in first] == [chunk_key(SHIPMENT, 2), KEY]  # chunk 1 still named
    states.stored(table.send(first))
    assert chunk_key(SHIPMENT, 1) in table.data and states.dirty == 1
    second = states.checkpoint()  # the stored record no longer names it: deleted first
    assert [(r.key, r.value is None) for r in second] == [
        (chunk_key(SHIPMENT, 1), True),
        (KEY, False),
    ]
    states.stored(table.send(second))
    assert chunk_key(SHIPMENT, 1) not in table.data and states.dirty == 0
    assert states.checkpoint() == []
    assert ShipmentStates(table.recovered(), 6).load(SHIPMENT) == state


def test_a_checkpoint_cut_short_anywhere_restores_the_state_before_or_after_it() -> None:
    """A worker may die with any first part of a checkpoint's records on the broker (one
    shipment's records go to one partition, in order): the table must then decode to the
    state before the checkpoint or the one after it, never to a broken one."""
    config = RuleConfig(max_readings_per_shipment=2 * C)
    table = StateTable()
    states = ShipmentStates(table, 6)
    state = apply(None, manifest(), config).state
    before = None
    # late readings into sealed chunks 0 and 1 (unsealed, sealed again), then evictions
    changes = [
        range(0, 2 * C),
        [5.5, 7.5],
        range(2 * C, 3 * C),
        [C + 9.5],
        range(3 * C, 6 * C),
        [],
        [],
    ]
    for minutes in changes:
        state = _readings(state, minutes, config)
        states.update({SHIPMENT: state})
        records = states.checkpoint()
        after = state.to_json()
        for cut in range(len(records)):
            crashed = StateTable()
            crashed.changelog = dict(table.changelog)
            crashed.send(records[:cut])
            restored = ShipmentStates(crashed.recovered(), 6).load(SHIPMENT)
            assert (None if restored is None else restored.to_json()) in (before, after)
        states.stored(table.send(records))
        before = after
    assert not any(r.value is None for r in records)  # every retired chunk was deleted
    kept = {key for key in table.data if key != KEY}
    assert kept == {chunk_key(SHIPMENT, n) for n, _ in state.history.chunks()}


def test_a_state_stored_in_one_document_is_read_and_written_anew_in_chunks() -> None:
    table = StateTable()
    state = _readings(apply(None, manifest(), RuleConfig()).state, range(C + 1))
    table.changelog[KEY] = state.to_json().encode()  # as a worker before chunks stored it
    table = table.recovered()
    states = ShipmentStates(table, 6)
    loaded = states.load(SHIPMENT)
    assert loaded == state
    states.update({SHIPMENT: loaded})
    records = states.checkpoint()
    assert [r.key for r in records] == [chunk_key(SHIPMENT, 0), KEY]
    states.stored(table.send(records))
    assert ShipmentStates(table.recovered(), 6).load(SHIPMENT) == state
