"""ShipmentStates: decode once, checkpoint only changed states, to the right changelog partition."""

from __future__ import annotations

from typing import Any

from alerts.config import RuleConfig
from alerts.engine import apply
from alerts.testing import SHIPMENT, manifest, reading, run
from streams.partitioning import partition_for
from streams.state_store import ShipmentStates


class RecordingTable:
    """What ShipmentStates uses of a Faust table: its data."""

    def __init__(self) -> None:
        self.data: dict[bytes, bytes] = {}


def _state(*minutes_temps: tuple[float, float]) -> Any:
    state = apply(None, manifest(), RuleConfig()).state
    for minute, temp in minutes_temps:
        state = apply(state, reading(minute, temp), RuleConfig()).state
    return state


def test_checkpoint_writes_changed_states_once_to_their_partition() -> None:
    table = RecordingTable()
    states = ShipmentStates(table, 6)
    assert states.load(SHIPMENT) is None
    states.update({SHIPMENT: _state((10, -180.0))})
    records = states.checkpoint()
    [(partition, key, value)] = records
    assert partition == partition_for(SHIPMENT, 6)
    assert key == SHIPMENT.encode() and key not in table.data  # not before the broker has it
    states.stored(records)
    assert table.data[key] == value and states.dirty == 0
    # unchanged since: marking it dirty again writes nothing
    states.update({SHIPMENT: states.load(SHIPMENT)})
    assert states.checkpoint() == []


def test_a_checkpoint_whose_send_failed_is_written_again() -> None:
    table = RecordingTable()
    states = ShipmentStates(table, 6)
    states.update({SHIPMENT: _state((10, -180.0))})
    first = states.checkpoint()  # the send fails: stored() is never called
    assert states.dirty == 1
    assert states.checkpoint() == first


def test_cache_is_decoded_from_the_table_after_forget() -> None:
    table = RecordingTable()
    first = ShipmentStates(table, 6)
    first.update({SHIPMENT: _state((10, -180.0), (20, -140.0))})
    first.stored(first.checkpoint())
    first.forget()
    again = first.load(SHIPMENT)
    assert again is not None
    assert again.to_json() == table.data[SHIPMENT.encode()].decode()


def test_owned_lists_only_shipments_of_given_partitions() -> None:
    table = RecordingTable()
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


def _held() -> tuple[RecordingTable, ShipmentStates, Any, list[Any]]:
    """A worker that held an excursion's alerts and checkpointed them with the state."""
    table = RecordingTable()
    states = ShipmentStates(table, 6)
    state, alerts = _excursion()
    states.update({SHIPMENT: state})
    states.hold(alerts)
    states.stored(states.checkpoint())
    return table, states, state, alerts


def test_held_alerts_are_stored_with_their_state_and_restored_by_another_worker() -> None:
    table, _, _, alerts = _held()
    # the worker dies before publishing: the next owner finds the alerts with the state
    second = ShipmentStates(table, 6)
    assert second.outbox() == []
    assert second.load(SHIPMENT) is not None
    assert second.outbox() == alerts
    assert second.dirty == 0


def test_released_alerts_leave_the_stored_state_at_the_next_checkpoint() -> None:
    table, states, state, alerts = _held()
    held_bytes = table.data[SHIPMENT.encode()]
    states.release(alerts[:1])
    assert states.outbox() == alerts[1:]
    states.release(alerts[1:])
    assert states.outbox() == []
    [record] = states.checkpoint()
    assert record.value == state.to_bytes() != held_bytes
    states.stored([record])
    again = ShipmentStates(table, 6)
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
    table = RecordingTable()
    states = ShipmentStates(table, 6)
    states.update({SHIPMENT: _state((10, -180.0)), other: _state((10, -181.0))})
    records = states.checkpoint()
    assert len(records) == 2
    changed = _state((10, -180.0), (20, -140.0))
    states.update({SHIPMENT: changed})  # a batch applied before the broker answered
    states.stored(records)
    assert states.dirty == 1
    [again] = states.checkpoint()
    assert again.key == SHIPMENT.encode() and again.value == changed.to_bytes()
    states.stored([again])
    assert states.dirty == 0
