"""Applied events as the processor holds them until their checkpoint lands: offsets, or messages without payloads.

The processor acks an event only once the changelog has the states it led to (a checkpoint
every ``stream.checkpoint_seconds`` or ``stream.checkpoint_events``), so under load it holds
tens of thousands of applied events at once, up to twice ``checkpoint_events`` while a
checkpoint is on its way. A Faust event keeps its key, value and headers (twice: on the event
and on its message) and the event object itself. To ack, Faust needs only the message, and
of a message that no other stream still reads it needs only the partition and the offset:
its final ack (``ConsumerMessage.on_final_ack``, Faust's ``Consumer.ack``) records the offset
as safe to commit, and tells the sensors, whose ``on_message_out`` does nothing in this app
(``streams.lean_monitor``). ``HeldMessages`` keeps such a message as its offset, 8 bytes in an
array per partition, and acks those offsets a partition at a time, as ``Consumer.ack`` would
one by one. Any other message (another stream has not acked it yet, as the warehouse sink in
a ``--role all`` worker; or a sensor reads ``on_message_out``) is kept, without its payload
once no other stream reads it, and acked as ``Stream.ack`` acks its event. The warehouse sink
acks each batch it committed the same way, at once (``ack_events``). Neither calls the
per-event sensor hook (``on_stream_event_out``), which needs the event: the app's monitor
does nothing there.

``benchmarks/bench_held_messages.py`` (50,000 telemetry events as Faust's aiokafka driver and
channel make them, over 8 partitions): 807 traced bytes an event held as itself, 275 as its
message without payload, 10 as an offset; holding and acking them took 1.9-3.5 µs of CPU an
event as messages, 0.26-0.45 as offsets, in three alternated rounds (docs/benchmarks.md,
session 37).

Checked against faust-streaming 0.15.3 (constraints.txt): ``Message.ack``,
``ConsumerMessage.on_final_ack``, ``Consumer.ack`` and its ``_committed_offset``,
``_acked_index``, ``_acked``, ``_n_acked`` and ``_waiting_for_ack``.
"""

from __future__ import annotations

from array import array
from collections import deque
from collections.abc import Iterable, Iterator, Set
from dataclasses import dataclass, field
from typing import Any, cast

import faust
from faust.sensors import Sensor
from faust.transport.consumer import Consumer
from faust.types.tuples import TP, ConsumerMessage, Message, ack_lock
from mode.utils.futures import notify

from streams.lean_monitor import LeanMonitor

__all__ = ["Held", "HeldMessages", "ack", "ack_events", "acks"]

_SILENT_OUT = (Sensor.on_message_out, LeanMonitor.on_message_out)
"""``on_message_out`` hooks that do nothing with the message."""


@dataclass(slots=True)
class Held:
    """Applied events held for a checkpoint: the offsets of messages only this stream read, by
    partition in the order applied, and the messages held as themselves."""

    offsets: dict[TP, array[int]] = field(default_factory=dict)
    messages: list[Message] = field(default_factory=list)

    def __len__(self) -> int:
        return sum(len(offsets) for offsets in self.offsets.values()) + len(self.messages)

    def split(self, partitions: Set[int]) -> tuple[Held, Held]:
        """Those of input ``partitions``, and the rest."""
        ours, rest = Held(), Held()
        for tp, offsets in self.offsets.items():
            (ours if tp.partition in partitions else rest).offsets[tp] = offsets
        for message in self.messages:
            (ours if message.partition in partitions else rest).messages.append(message)
        return ours, rest


class HeldMessages:
    """The events the processor applied and has not acked yet (``add``), taken by checkpoints
    (``take``) and given back when one fails (``give_back``)."""

    def __init__(self, app: faust.App) -> None:
        self._app = app
        self._held = Held()

    def __len__(self) -> int:
        return len(self._held)

    def add(self, events: Iterable[Any]) -> None:
        """Hold applied ``events``: the offset of a message only this stream read (when its
        final ack is only Faust's bookkeeping), else the message, without its key, value and
        headers unless another stream still has it to read."""
        offsets = self._held.offsets
        messages = self._held.messages
        lean = offsets_suffice(self._app)
        for event in events:
            message = event.message
            if message.refcount <= 1:
                if lean and type(message).on_final_ack is ConsumerMessage.on_final_ack:
                    tp = message.tp
                    kept = offsets.get(tp)
                    if kept is None:
                        offsets[tp] = kept = array("q")
                    kept.append(message.offset)
                    continue
                message.key = message.value = message.headers = None
            messages.append(message)

    def take(self, partitions: Set[int] | None = None) -> Held:
        """Everything held (of input ``partitions`` only, if given), no longer held here."""
        if partitions is None:
            taken, self._held = self._held, Held()
        else:
            taken, self._held = self._held.split(partitions)
        return taken

    def give_back(self, taken: Held) -> None:
        """Hold ``taken`` again, before what was added since (a checkpoint failed)."""
        held = self._held
        for tp, offsets in held.offsets.items():
            earlier = taken.offsets.get(tp)
            taken.offsets[tp] = offsets if earlier is None else earlier + offsets
        taken.messages += held.messages
        self._held = taken


def offsets_suffice(app: faust.App) -> bool:
    """Whether a message's final ack is only ``Consumer.ack``'s bookkeeping of its offset: the
    app's consumer acks as Faust's does, and no sensor reads ``on_message_out``."""
    if type(app.consumer).ack is not Consumer.ack:
        return False
    return all(type(sensor).on_message_out in _SILENT_OUT for sensor in app.sensors)


def ack(app: faust.App, message: Message) -> None:
    """Ack a held message as ``Stream.ack`` acks its event: the reference count down, and when
    it was the last, the offset safe to commit and the sensors told (``on_message_out``). The
    per-event sensor hook (``on_stream_event_out``) is not called: it needs the event, and the
    app's monitor does nothing there (``streams.lean_monitor``)."""
    if message.ack(app.consumer):
        app.sensors.on_message_out(message.tp, message.offset, message)


def acks(app: faust.App, held: Held, per_turn: int) -> Iterator[None]:
    """Ack everything ``held``, yielding after every ``per_turn`` acks (the caller lets the event
    loop run there)."""
    if per_turn < 1:
        raise ValueError(f"per_turn must be at least 1, not {per_turn}")
    budget = per_turn
    for tp, offsets in held.offsets.items():
        start = 0
        while start < len(offsets):
            stop = min(len(offsets), start + budget)
            _ack_offsets(app, tp, offsets[start:stop])
            budget -= stop - start
            start = stop
            if not budget:
                yield
                budget = per_turn
    for message in held.messages:
        ack(app, message)
        budget -= 1
        if not budget:
            yield
            budget = per_turn


def ack_events(app: faust.App, events: Iterable[Any]) -> None:
    """Ack ``events`` at once, held as ``HeldMessages`` holds them (the warehouse sink's batch
    once committed): their offsets a partition at a time, where that is all a final ack does,
    instead of ``Stream.ack`` per event."""
    held = HeldMessages(app)
    held.add(events)
    taken = held.take()
    deque(acks(app, taken, len(taken) + 1), maxlen=0)  # one turn: no pause


def _ack_offsets(app: faust.App, tp: TP, offsets: array[int]) -> None:
    """The final acks of the messages at ``offsets`` of ``tp``, as ``Consumer.ack`` makes each:
    an offset not below the committed one and not acked yet becomes safe to commit."""
    consumer = cast(Any, app.consumer)  # Faust's ``Consumer``: its bookkeeping is not typed
    with ack_lock:
        if not app.topics.acks_enabled_for(tp.topic):
            return
        try:
            committed = consumer._committed_offset[tp]
            index: set[int] = consumer._acked_index[tp]
            acked: list[int] = consumer._acked[tp]
            added = 0
            for offset in offsets:
                if (committed is None or offset >= committed) and offset not in index:
                    index.add(offset)
                    acked.append(offset)
                    added += 1
            consumer._n_acked += added
        finally:
            notify(consumer._waiting_for_ack)
