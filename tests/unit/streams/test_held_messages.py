"""held_messages: applied events held as offsets or messages, acked as Stream.ack acks."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import faust
import pytest
from faust.types.tuples import TP, ConsumerMessage

from streams.held_messages import HeldMessages, ack, ack_events, acks, offsets_suffice
from streams.testing import acking_app, queued_event

TOPIC = "held-messages-test"


class _MessagesOut(faust.Sensor):
    """Records the final acks the sensors are told of."""

    def __init__(self) -> None:
        super().__init__()
        self.out: list[tuple[TP, int]] = []

    def on_message_out(self, tp: Any, offset: int, message: Any) -> None:
        self.out.append((tp, offset))


async def _app(name: str = "held-messages-test", *, sensor: bool = False) -> faust.App:
    """An app whose conductor acks ``TOPIC``, with a sensor that reads final acks if ``sensor``."""
    app: faust.App = await acking_app(name, TOPIC, *([_MessagesOut()] if sensor else []))
    return app


def _sensor(app: faust.App) -> _MessagesOut:
    return next(s for s in app.sensors if isinstance(s, _MessagesOut))


def _messages(
    offsets: Any, *, partition: int = 0, streams: int = 1, topic: str = TOPIC
) -> list[ConsumerMessage]:
    """Consumed messages at ``offsets`` of one partition, each delivered to ``streams`` streams."""
    tp = TP(topic, partition)
    messages = []
    for offset in offsets:
        message = ConsumerMessage(
            topic, partition, offset, 1.0, 0, [("h", b"1")], b"k", b"{}", None, tp=tp
        )
        message.incref(streams)
        messages.append(message)
    return messages


def _events(messages: list[ConsumerMessage]) -> list[Any]:
    return [SimpleNamespace(message=m) for m in messages]


def _bookkeeping(app: faust.App, tps: list[TP]) -> tuple[Any, ...]:
    consumer: Any = app.consumer
    return (
        {tp: sorted(consumer._acked[tp]) for tp in tps},
        {tp: set(consumer._acked_index[tp]) for tp in tps},
        consumer._n_acked,
        {tp: consumer._new_offset(tp) for tp in tps},
    )


async def test_messages_only_this_stream_read_are_held_as_offsets_by_partition() -> None:
    app = await _app()
    assert offsets_suffice(app)
    held = HeldMessages(app)
    first, second = _messages([5, 6]), _messages([9], partition=1)
    held.add(_events(first + second + _messages([7])))
    assert len(held) == 4
    taken = held.take()
    assert len(held) == 0 and len(taken) == 4
    assert {tp: list(offsets) for tp, offsets in taken.offsets.items()} == {
        TP(TOPIC, 0): [5, 6, 7],
        TP(TOPIC, 1): [9],
    }
    assert taken.messages == []


async def test_a_message_another_stream_has_not_acked_is_held_with_its_payload() -> None:
    """With the warehouse sink in the same worker (``--role all``) Faust delivers each input
    message to both agents; the sink reads the message's value after the processor applied it."""
    app = await _app()
    held = HeldMessages(app)
    (shared,) = _messages([1], streams=2)
    held.add(_events([shared]))
    taken = held.take()
    assert taken.offsets == {} and taken.messages == [shared]
    assert (shared.key, shared.value) == (b"k", b"{}")


async def test_a_message_whose_final_ack_is_not_the_consumers_is_held_without_payload() -> None:
    app = faust.App("held-messages-plain", broker="kafka://127.0.0.1:1")
    events = [await queued_event(app, offset) for offset in (7, 8)]  # plain ``Message`` s
    held = HeldMessages(app)
    held.add(events)
    taken = held.take()
    assert taken.offsets == {}
    assert [m.offset for m in taken.messages] == [7, 8]
    assert all(m is e.message for m, e in zip(taken.messages, events, strict=True))
    assert all(m.key is None and m.value is None and m.headers is None for m in taken.messages)


async def test_acking_offsets_leaves_the_consumer_as_acking_each_message_does() -> None:
    """Gaps, offsets acked twice, offsets below the committed one, and a topic Faust does
    not ack: the consumer's bookkeeping ends the same either way."""
    offsets = [3, 4, 6, 4, 1, 7, 8]  # 5 not acked yet; 4 twice; 1 below the committed 2
    other = "held-messages-not-acked"  # no agent consumes it: acks are off for it
    tps = [TP(TOPIC, 0), TP(TOPIC, 1), TP(other, 0)]

    async def consumer_after(by_offsets: bool) -> tuple[Any, ...]:
        app = await _app(f"held-messages-{by_offsets}")
        consumer: Any = app.consumer
        consumer._committed_offset[TP(TOPIC, 0)] = 2
        messages = [
            *_messages(offsets),
            *_messages([0, 1], partition=1),
            *_messages([0], topic=other),
        ]
        if by_offsets:
            held = HeldMessages(app)
            held.add(_events(messages))
            assert len(held.take().messages) == 0  # every one an offset
            held.add(_events(messages))
            for _ in acks(app, held.take(), per_turn=3):
                pass
        else:
            for message in messages:
                ack(app, message)
        return _bookkeeping(app, tps)

    ours, faust_own = await consumer_after(True), await consumer_after(False)
    assert ours == faust_own
    assert ours[3] == {TP(TOPIC, 0): 5, TP(TOPIC, 1): 2, TP(other, 0): None}


async def test_with_a_sensor_that_reads_final_acks_messages_are_held_and_it_is_told() -> None:
    app = await _app("held-messages-sensor", sensor=True)
    assert not offsets_suffice(app)
    held = HeldMessages(app)
    messages = _messages([0, 1])
    held.add(_events(messages))
    taken = held.take()
    assert taken.messages == messages and taken.offsets == {}
    for _ in acks(app, taken, per_turn=10):
        pass
    assert _sensor(app).out == [(TP(TOPIC, 0), 0), (TP(TOPIC, 0), 1)]
    assert app.consumer._new_offset(TP(TOPIC, 0)) == 2


async def test_a_message_another_stream_still_holds_is_not_committable_until_it_acks() -> None:
    app = await _app("held-messages-shared", sensor=True)
    (message,) = _messages([0], streams=2)
    ack(app, message)
    assert app.consumer._new_offset(message.tp) is None
    assert _sensor(app).out == []
    ack(app, message)
    assert app.consumer._new_offset(message.tp) == 1
    assert _sensor(app).out == [(message.tp, 0)]
    ack(app, message)  # acked already: nothing more
    assert _sensor(app).out == [(message.tp, 0)]


async def test_a_slice_takes_its_partitions_and_a_failed_one_goes_back_first() -> None:
    app = await _app("held-messages-slices")
    held = HeldMessages(app)
    (shared,) = _messages([20], partition=2, streams=2)
    held.add(_events(_messages([1, 2]) + _messages([10], partition=1) + [shared]))
    taken = held.take({0, 2})
    assert {tp.partition: list(o) for tp, o in taken.offsets.items()} == {0: [1, 2]}
    assert taken.messages == [shared]
    assert len(held) == 1
    held.add(_events(_messages([3]) + _messages([11], partition=1)))
    held.give_back(taken)
    assert len(held) == 6
    again = held.take()
    assert {tp.partition: list(o) for tp, o in again.offsets.items()} == {0: [1, 2, 3], 1: [10, 11]}
    assert again.messages == [shared]


async def test_acks_pause_after_every_turn_of_acks_across_partitions() -> None:
    app = await _app("held-messages-turns")
    held = HeldMessages(app)
    held.add(_events(_messages(range(5)) + _messages(range(4), partition=1)))
    (shared,) = _messages([9], partition=2, streams=2)
    shared.ack(app.consumer)  # the other stream acked it already
    held.add(_events([shared]))
    consumer: Any = app.consumer
    acked_at_pauses = [consumer._n_acked for _ in acks(app, held.take(), per_turn=4)]
    assert acked_at_pauses == [4, 8]  # then the last two, with no pause after them
    assert consumer._n_acked == 10


async def test_ack_events_acks_a_batch_at_once_and_leaves_a_shared_message_to_its_other_stream() -> (
    None
):
    app = await _app("held-messages-batch")
    (shared,) = _messages([2], streams=2)
    ack_events(app, _events([*_messages([0, 1]), shared, *_messages([5], partition=1)]))
    assert app.consumer._new_offset(TP(TOPIC, 0)) == 2  # 2 waits for its other stream
    assert app.consumer._new_offset(TP(TOPIC, 1)) == 6
    ack(app, shared)  # the other stream's ack
    assert app.consumer._new_offset(TP(TOPIC, 0)) == 3


async def test_acks_refuse_turns_of_no_acks() -> None:
    app = await _app("held-messages-no-turn")
    held = HeldMessages(app)
    held.add(_events(_messages([0])))
    with pytest.raises(ValueError, match="per_turn"):
        next(acks(app, held.take(), per_turn=0))
