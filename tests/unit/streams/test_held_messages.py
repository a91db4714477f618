"""held_messages: applied events kept as their messages without payloads, acked as Stream.ack acks."""

from __future__ import annotations

from typing import Any

import faust
from faust.types.tuples import TP, ConsumerMessage

from streams.held_messages import ack, held
from streams.testing import queued_event

TOPIC = "held-messages-test"


class _MessagesOut(faust.Sensor):
    """Records the final acks the sensors are told of."""

    def __init__(self) -> None:
        super().__init__()
        self.out: list[tuple[TP, int]] = []

    def on_message_out(self, tp: Any, offset: int, message: Any) -> None:
        self.out.append((tp, offset))


async def _app() -> tuple[faust.App, _MessagesOut]:
    """An app whose conductor acks ``TOPIC`` (as when an agent consumes it), with a sensor."""
    app = faust.App("held-messages-test", broker="kafka://127.0.0.1:1")
    app.topics.add(app.topic(TOPIC))
    await app.topics._update_indices()
    sensor = _MessagesOut()
    app.sensors.add(sensor)
    return app, sensor


def _messages(count: int, *, streams: int = 1) -> list[ConsumerMessage]:
    """Consumed messages at offsets 0.. of one partition, each delivered to ``streams`` streams."""
    tp = TP(TOPIC, 0)
    messages = []
    for offset in range(count):
        message = ConsumerMessage(TOPIC, 0, offset, 1.0, 0, [("h", b"1")], b"k", b"{}", None, tp=tp)
        message.incref(streams)
        messages.append(message)
    return messages


async def test_held_keeps_each_message_in_order_without_its_key_value_and_headers() -> None:
    app = faust.App("held-messages-payloads", broker="kafka://127.0.0.1:1")
    events = [await queued_event(app, offset) for offset in (7, 8, 9)]
    tps = [event.message.tp for event in events]
    messages = held(events)
    assert [m.offset for m in messages] == [7, 8, 9]
    assert [m.tp for m in messages] == tps
    assert all(m is e.message for m, e in zip(messages, events, strict=True))
    assert all(m.key is None and m.value is None and m.headers is None for m in messages)


async def test_a_message_another_stream_has_not_acked_keeps_its_payload_for_it() -> None:
    """With the warehouse sink in the same worker (``--role all``) Faust delivers each input
    message to both agents; the sink reads the message's value after the processor applied it."""
    app = faust.App("held-messages-shared", broker="kafka://127.0.0.1:1")
    shared, alone = await queued_event(app, 1), await queued_event(app, 2)
    shared.message.incref(2)  # delivered to two streams, neither acked yet
    alone.message.incref(1)
    (kept, let_go) = held([shared, alone])
    assert (kept.key, kept.value, kept.headers) == (b"SHP-0001", b"{}", [])
    assert (let_go.key, let_go.value, let_go.headers) == (None, None, None)


async def test_ack_makes_offsets_committable_up_to_the_first_one_not_acked() -> None:
    app, sensor = await _app()
    messages = _messages(5)
    tp = messages[0].tp
    for message in (messages[0], messages[1], messages[3]):
        ack(app, message)
    assert app.consumer._new_offset(tp) == 2  # offset 2 is not acked yet
    ack(app, messages[2])
    assert app.consumer._new_offset(tp) == 4
    assert sensor.out == [(tp, 0), (tp, 1), (tp, 3), (tp, 2)]


async def test_a_message_another_stream_still_holds_is_not_committable_until_it_acks() -> None:
    app, sensor = await _app()
    (message,) = _messages(1, streams=2)
    ack(app, message)
    assert app.consumer._new_offset(message.tp) is None
    assert sensor.out == []
    ack(app, message)
    assert app.consumer._new_offset(message.tp) == 1
    assert sensor.out == [(message.tp, 0)]
    ack(app, message)  # acked already: nothing more
    assert sensor.out == [(message.tp, 0)]
