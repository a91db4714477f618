"""Applied events as the processor holds them until their checkpoint lands: messages without payloads.

The processor acks an event only once the changelog has the states it led to (a checkpoint
every ``stream.checkpoint_seconds`` or ``stream.checkpoint_events``), so under load it holds
tens of thousands of applied events at once. A Faust event keeps its key, value and headers
(twice: on the event and on its message) and the event object itself, and only the message
is needed to ack: its partition, offset and reference count. ``held`` keeps each event's
message without its payload, ``ack`` acks it as ``Stream.ack`` would have acked the event.
``benchmarks/bench_held_messages.py`` (tracemalloc, 50,000 telemetry events as Faust's aiokafka
driver and channel make them): 891 bytes an event held, 273 a message without payload.

Checked against faust-streaming 0.15.3 (constraints.txt).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import faust
from faust.types.tuples import Message

__all__ = ["ack", "held"]


def held(events: Iterable[Any]) -> list[Message]:
    """The messages of applied ``events``, their key, value and headers let go when no other
    stream still has the message to read (its reference count, one per stream Faust delivered
    it to and not acked yet, is down to this one): nothing here reads them once the batch is
    applied, and the events themselves are dropped. A worker that runs the warehouse sink as
    well (``--role all``) reads the same messages there; those keep their payload until the
    sink acked them."""
    messages = []
    for event in events:
        message = event.message
        if message.refcount <= 1:
            message.key = message.value = message.headers = None
        messages.append(message)
    return messages


def ack(app: faust.App, message: Message) -> None:
    """Ack a held message as ``Stream.ack`` acks its event: the reference count down, and when
    it was the last, the offset safe to commit and the sensors told (``on_message_out``). The
    per-event sensor hook (``on_stream_event_out``) is not called: it needs the event, and the
    app's monitor does nothing there (``streams.lean_monitor``)."""
    if message.ack(app.consumer):
        app.sensors.on_message_out(message.tp, message.offset, message)
