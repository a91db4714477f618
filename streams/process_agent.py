"""The stream processor agent: batches in, outputs to topics, states checkpointed, then acks."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Sequence, Set
from datetime import UTC, datetime
from functools import partial
from typing import Any

import faust
import structlog

from alerts.state import ShipmentState
from streams.app import Channels
from streams.checkpoint_slices import CheckpointSlices
from streams.continuity import OffsetGuard, StallWatch, admit_in_order, read_again
from streams.event_batches import event_batches
from streams.held_messages import Held, HeldMessages, acks
from streams.manifests_first import ManifestsFirst, hold_resumes
from streams.metrics import ALERTS_OUT, DEAD_LETTERS, EVENTS_IN, OWNED_SHIPMENTS
from streams.positions import backlog, next_offset, uncommitted
from streams.processor import BatchOutput, clock_step, process_batch
from streams.published_versions import PublishedVersions, ReadPublished, kafka_reader
from streams.record_batches import BatchProducer, RecordBatches, compressed_batches
from streams.settings import Settings, StreamSettings
from streams.state_store import ChangelogRecord, ShipmentStates, write_order
from streams.topics import INPUT_TOPICS, Topic, topic_name
from streams.turns import in_turns
from streams.web import register_web
from streams.wire import encode, received_at_headers, shipment_key

STATE_TABLE = "shipment-state"

CHANGELOG_CONFIG = {
    "segment.bytes": 4 * 1024 * 1024,
    "segment.ms": 3_600_000,
    "min.cleanable.dirty.ratio": 0.1,
}
"""The state changelog's topic settings (applied when Faust creates it). Every checkpoint
writes each changed state's record again (its history chunks once), so the log holds many
superseded copies of each; recovery reads them all until the broker compacts, and it compacts
only closed segments (the broker's default segment is 256 MB here, 1 GB in Kafka's own
defaults). Small segments that close at least hourly and a low dirty ratio keep the log near
one record per shipment and chunk."""

ACKS_PER_TURN = 2000
"""A checkpoint acks its events in turns of this many, the agent's batches going between
them (12,775 acks at once held the event loop for 88 ms)."""

TURN_PAUSE_S = 0.005
"""How long a checkpoint's encoding and acks pause between two turns. A pause blocks the
event loop in its selector for a moment: the consumer, which Faust runs in a thread of its
own, gets the GIL, and what it fetched goes through the several loop steps that hand it to
the agent. ``asyncio.sleep(0)`` runs only what is ready at that instant. With it, the
agent's batches still waited for a checkpoint's encoding: in a 1,000 readings/s latency phase
over 10,000 shipments the batch after a 967 ms encoding held 700 readings, and the p99 read
711-798 ms in four runs (with the encoding in one piece or in such turns). With 5 ms it read
183-560 ms in three; the encoding takes up to a quarter longer."""

MANIFESTS_FIRST_LOOK_S = 0.2
"""How often, after an assignment, the processor looks whether telemetry still waits for the
manifests (``streams.manifests_first``); once it does not, until the next assignment, a look
costs a comparison."""

log = structlog.get_logger(__name__)

Emit = Callable[[BatchOutput], Awaitable[None]]
"""Publishes one batch's outputs; the default sends them to Kafka (flows tests collect them)."""


def register_processor(
    app: faust.App,
    channels: Channels,
    settings: Settings,
    *,
    emit: Emit | None = None,
    producer: BatchProducer | None = None,
    published: ReadPublished | None = None,
) -> faust.types.AgentT[Any]:
    """Declare the state table, the processing agent and its timers.

    Order of effects per batch: outputs handed to the producer; states updated in the cache;
    at the next checkpoint (every ``stream.checkpoint_seconds``, sooner when many events wait
    or once the stream is idle for ``stream.checkpoint_idle_seconds``) the outputs confirmed
    by the broker, then changed states to the table and its changelog, and only then are the
    batch's input offsets acked. A crash anywhere replays events the changelog has not seen;
    their outputs are re-emitted with the same ids and versions (idempotent), or, when the
    topics interleave otherwise than before and a version gets other contents, numbered
    after the versions the alerts topic already has (``published``, read back for each
    partition before the first batch of a consumer generation applies anything on it;
    default: from the broker, ``streams.published_versions``).
    """
    table = app.Table(
        STATE_TABLE,
        default=None,
        key_type=bytes,
        value_type=bytes,
        partitions=settings.topics.partitions,
        extra_topic_configs=CHANGELOG_CONFIG,
    )
    states = ShipmentStates(table, settings.topics.partitions)
    register_web(app, table, states)
    names = {
        logical: topic_name(settings, logical)
        for logical in (Topic.ALERTS, Topic.ETA, Topic.DEADLETTER, Topic.TELEMETRY, Topic.CUSTODY)
    }

    async def started() -> BatchProducer:
        """The producer records go to: the given one, or the app's (started on first use)."""
        if producer is not None:
            return producer
        app_producer = await app.maybe_start_producer()
        # Faust's aiokafka driver wraps an AIOKafkaProducer (ProducerT does not declare it)
        return app_producer._ensure_producer()  # type: ignore[no-any-return]  # faust: untyped

    # the changelog's batches compressed (``stream.changelog_compression``), the app's producer
    # sending them: a producer given instead (flows tests, no broker) makes its own batches
    codec = settings.stream.changelog_compression
    changelog_batch = (
        compressed_batches(codec, app.conf.producer_max_batch_size)
        if producer is None and codec != "none"
        else None
    )

    async def produce(out: BatchOutput) -> list[asyncio.Future[Any]]:
        """Hand the outputs to the producer; each future resolves once the broker has a batch
        of them."""
        # appended to a batch per topic partition: Faust's Topic.send layers (serializers,
        # sensors, a future per message) and aiokafka's send per record cost several times
        # as much per record, for raw bytes
        batches = RecordBatches(await started())
        alerts, eta, deadletter = names[Topic.ALERTS], names[Topic.ETA], names[Topic.DEADLETTER]
        for a in out.alerts:
            await batches.add(alerts, shipment_key(a.shipment_id), encode(a))
        for e in out.eta:
            await batches.add(eta, shipment_key(e.shipment_id), encode(e))
        for d in out.dead_letters:
            await batches.add(deadletter, shipment_key(d.key), encode(d))
        for f in out.forwards:
            headers = list(received_at_headers(f.received_at).items())
            await batches.add(
                names[f.topic], shipment_key(f.event.shipment_id), encode(f.event), headers=headers
            )
        for alert in out.alerts:
            ALERTS_OUT.labels(alert.type, alert.status).inc()
        for dead in out.dead_letters:
            DEAD_LETTERS.labels(dead.reason).inc()
        return await batches.flush()

    async def send(out: BatchOutput) -> None:
        """Produce the outputs and wait until the broker has them all."""
        pending = await produce(out)
        if pending:
            await asyncio.gather(*pending)

    publish = emit or send
    in_flight: list[asyncio.Future[Any]] = []  # batch outputs the broker has not confirmed yet

    async def publish_batch(out: BatchOutput) -> None:
        """A batch's outputs, handed to the producer; the next checkpoint waits for the broker
        to have them (before the states they led to), the agent goes on meanwhile. The
        producer keeps them in order: one request in flight per broker."""
        if emit is not None:
            await emit(out)
        else:
            in_flight.extend(await produce(out))

    # The agent and the timers all touch states and the held events: one at a time.
    lock = asyncio.Lock()
    held = HeldMessages(app)  # applied events, acked at checkpoints
    slices = CheckpointSlices(  # which partitions the agent checkpoints next; when the last began
        settings.stream.checkpoint_slices,
        settings.topics.partitions,
        settings.stream.checkpoint_seconds,
        time.monotonic(),
    )
    last_batch = [time.monotonic()]  # when the agent last applied a batch
    last_gates: list[tuple[list[int], list[str]] | None] = [None]
    lost: set[Any] = set()  # input partitions revoked from this worker and not given back
    closing = [False]  # the shutdown checkpoint has run: nothing more is applied or emitted
    inputs = {topic_name(settings, logical) for logical in INPUT_TOPICS}
    log_start: dict[Any, int] = {}  # first offsets of partitions the group never committed on

    writing: list[asyncio.Future[None]] = []  # the changelog write on its way
    read_published = published or kafka_reader(settings, table.changelog_topic.get_topic_name())
    fenced: dict[int, int] = {}  # partition -> the consumer generation it was fenced in
    unstated: PublishedVersions = {}  # published versions of shipments with no state yet

    async def fence(partitions: set[int]) -> None:
        """Fence the versions the alerts topic has for ``partitions`` in their shipments'
        books (``streams.published_versions``) before anything on them is applied."""
        versions = await read_published(partitions)
        changed: dict[str, ShipmentState] = {}
        for shipment_id, versions_of in versions.items():
            state = states.load(shipment_id)
            if state is None:
                unstated[shipment_id] = versions_of
            elif state.book.fence_published(versions_of):
                changed[shipment_id] = state  # the fence reaches the changelog with the state
        states.update(changed)
        if changed or unstated:
            log.info("process.fenced", shipments=len(changed), without_state=len(unstated))

    def load_fenced(shipment_id: str) -> ShipmentState | None:
        """``states.load``, a shipment's first state taking the versions fenced for it."""
        state = states.load(shipment_id)
        versions_of = unstated.pop(shipment_id, None)
        if versions_of is not None:
            state = state or ShipmentState(shipment_id)
            state.book.fence_published(versions_of)
        return state

    async def written() -> None:
        """Wait for the changelog write on its way, if any; its failure is raised here once."""
        if writing:
            try:
                await writing[0]
            finally:
                writing.clear()

    async def to_changelog(records: list[ChangelogRecord]) -> list[asyncio.Future[Any]]:
        """Hand ``records`` to the producer (which copies them into its batches) and let go of
        them; each future resolves once the broker has a batch of them."""
        changelog = table.changelog_topic.get_topic_name()
        batches = RecordBatches(await started(), new_batch=changelog_batch)
        for r in records:
            await batches.add(changelog, r.key, r.value, partition=r.partition)
        records.clear()
        return await batches.flush()

    async def write(begun: int, applied: Held) -> None:
        """Encode the begun checkpoint's states in turns of ``checkpoint_turn_seconds`` (the
        agent's batches go between them) and send each turn's records as it goes: the turn's
        history chunks first, and once the broker has them, the records that name them. Then
        wait for the broker to have them all, keep them in the table, and only then ack the
        events they cover (in turns as well). The worker holds a turn's records at a time, not
        the whole checkpoint's (at 5,000 readings/s over 10,000 shipments, about 8,000 records
        and 30 MB). If the broker fails them, their states stay dirty and the events go back to
        the held events: the next checkpoint that lands writes those states again (newer) and acks
        the events."""
        kept: list[ChangelogRecord] = []  # the chunks and deletions sent, for ``stored``
        pending: list[asyncio.Future[Any]] = []
        began, encoding, turns, written_bytes, written_records = time.monotonic(), 0.0, 0, 0, 0
        try:
            while True:
                turn = time.monotonic()
                done = states.encode(settings.stream.checkpoint_turn_seconds)
                encoding += time.monotonic() - turn
                turns += 1
                taken = states.records(begun)  # raises if given up
                written_records += len(taken)
                written_bytes += sum(len(r.key) + len(r.value or b"") for r in taken)
                chunks, rest = write_order(taken)
                kept += chunks
                kept += [r for r in rest if r.value is None]
                if chunks:  # confirmed before the records naming them are sent
                    await asyncio.gather(*await to_changelog(chunks))
                if rest:
                    pending += await to_changelog(rest)
                if done:
                    break
                await asyncio.sleep(TURN_PAUSE_S)  # a turn: the agent's next batch goes first
            await asyncio.gather(*pending)
            checkpointed = states.checkpointing
        except BaseException:
            states.cancel()
            held.give_back(applied)
            raise
        states.stored(kept)
        for _ in acks(app, applied, ACKS_PER_TURN):
            await asyncio.sleep(TURN_PAUSE_S)  # a turn, as above
        log.info(
            "state.checkpointed",
            events=len(applied),
            states=checkpointed,
            encoded_early=states.early,
            records=written_records,
            bytes=written_bytes,
            turns=turns,
            turns_s=round(encoding, 3),
            seconds=round(time.monotonic() - began, 3),
        )

    async def checkpoint(*, durable: bool = True, sliced: bool = False) -> None:
        """Changed states to the changelog, then ack what they cover. Caller holds the lock.
        ``sliced``, only the states of shipments on the next slice's input partitions and
        the events of those (``streams.checkpoint_slices``; one slice: every partition).

        The records go straight to the producer, appended into a batch per partition
        (``RecordBatches``), and are awaited together (Faust's ``send_changelog`` queues them
        one by one in a small buffer that, full, stalls the agent: thousands of states per
        second overflowed it; its ``Topic.send`` doubles the cost of each record). Not
        ``durable``, the agent goes on while they are on their way (at 5,000 readings/s over
        10,000 shipments, 5 s of changed states are about 8,000 records, 30-40 MB); the next
        checkpoint waits for them before it begins, and raises if they failed (as a
        checkpoint that waited in place did; the one after retries). A durable one returns
        once the broker has them (the clock's held alerts, a rebalance, a stop).

        The states are encoded by ``write`` in turns (``ShipmentStates.begin``), not here:
        encoding every changed state at once held the event loop, and every reading waiting
        behind it, for as long as all of them took.
        """
        await written()  # one at a time, in order (before anything here can raise)
        if in_flight:
            # a failed output stays here: every later checkpoint fails too, so nothing after
            # it is stored or acked (a restart replays and re-emits, idempotently)
            await asyncio.gather(*in_flight)
            in_flight.clear()
        now = time.monotonic()
        partitions = slices.take(now) if sliced else None
        if partitions is None:
            slices.all_taken(now)
        applied = held.take(partitions)
        begun = states.begin(partitions)  # the states as the events ``applied`` left them
        writing.append(asyncio.ensure_future(write(begun, applied)))
        if durable:
            await written()

    async def publish_outbox() -> None:
        """Publish the held alerts (the clock's, and those of restored states), then release
        them. Caller holds the lock."""
        held = states.outbox()
        if held:
            await publish(BatchOutput(alerts=held))
            states.release(held)

    guard = OffsetGuard()
    stalls = StallWatch()
    applied_events = [0, 0]  # events the agent applied: so far, at the clock's last look

    @app.agent(channels.inputs, name="process")
    async def process(stream: faust.StreamT[bytes]) -> None:
        async for events in event_batches(
            stream, settings.stream.batch_max, settings.stream.batch_seconds
        ):
            for topic, count in Counter(event.message.topic for event in events).items():
                EVENTS_IN.labels(topic).inc(count)
            async with lock:
                if closing[0]:
                    # after the shutdown checkpoint: what is applied now would be published
                    # but never checkpointed, and the next owner, reading these events again
                    # in another interleaving of the topics, could publish the same versions
                    # with other contents; left unacked, they are its to read
                    log.info("process.left_after_shutdown", events=len(events))
                    continue
                events = await admit_in_order(
                    app, guard, owned_events(events, lost), agent="process"
                )
                generation = app.consumer_generation_id
                fresh = {
                    e.message.partition
                    for e in events
                    if fenced.get(e.message.partition) != generation
                }
                if fresh:
                    await fence(fresh)
                    fenced.update(dict.fromkeys(fresh, generation))
                load = load_fenced if unstated else states.load
                out = process_batch(settings, (event.message for event in events), load)
                await publish_outbox()  # restored with their states: before what follows them
                await publish_batch(out)
                states.update(out.states)
                OWNED_SHIPMENTS.set(states.cached)
                held.add(events)
                applied_events[0] += len(events)
                now = last_batch[0] = time.monotonic()
                if len(held) >= settings.stream.checkpoint_events:
                    await checkpoint(durable=False)
                elif slices.due(now) and not (writing and not writing[0].done()):
                    # the next slice (once the last checkpoint landed: the agent goes on)
                    await checkpoint(durable=False, sliced=True)

    # the timer looks often enough for both: a quiet stream, and one due by checkpoint_seconds
    timer_every = min(settings.stream.checkpoint_seconds, settings.stream.checkpoint_idle_seconds)

    @app.timer(interval=timer_every)  # type: ignore[untyped-decorator]  # faust's decorator is untyped
    async def checkpoint_timer() -> None:
        """Checkpoint when due, or as soon as the stream is idle (no batch for
        ``checkpoint_idle_seconds``): offsets commit and lag reaches zero. Under load the
        agent checkpoints every ``checkpoint_seconds``, so a state that several events
        changed in between is encoded and written once."""
        async with lock:
            if (held or states.dirty) and timer_checkpoints(
                settings.stream, time.monotonic(), slices.last, last_batch[0]
            ):
                await checkpoint(durable=False)

    def clock_paused() -> bool:
        """The worker is stopping, rebalancing or still recovering its table."""
        return closing[0] or app.rebalancing or not app.tables.actives_ready

    async def learn_log_starts() -> None:
        """The first offsets of the input partitions the group never committed on, where
        reading them starts (``next_offset``)."""
        starts = [tp for tp in uncommitted(app) if tp.topic in inputs and tp not in log_start]
        if starts:
            log_start.update(await app.consumer.earliest_offsets(*starts))

    gate = ManifestsFirst(settings.stream.manifests_first_seconds)
    shipments_topic = topic_name(settings, Topic.SHIPMENTS)
    # every input but the manifests: each of their events waits for its shipment's manifest
    after_manifests = inputs - {shipments_topic}

    def waits_for_manifests(tp: Any) -> bool:
        """A partition of an input other than the shipments topic waits for the manifests
        in this consumer generation."""
        return (
            tp.topic in after_manifests
            and gate.max_wait_s > 0
            and not gate.done(app.consumer_generation_id)
        )

    @app.timer(interval=MANIFESTS_FIRST_LOOK_S)  # type: ignore[untyped-decorator]  # faust's decorator is untyped
    async def manifests_first() -> None:
        """After an assignment, hold the telemetry and custody partitions back until the
        shipments partitions are read up to their end (``streams.manifests_first``)."""
        generation = app.consumer_generation_id
        if gate.done(generation) or clock_paused():
            return
        await learn_log_starts()
        consumer: Any = app.consumer
        assigned = consumer.assignment()
        held = [tp for tp in assigned if tp.topic in after_manifests]
        shipments = [tp for tp in assigned if tp.topic == shipments_topic]
        due = partial(guard.due, generation=generation)
        now = time.monotonic()
        if gate.waits(
            generation,
            {tp: consumer.highwater(tp) for tp in shipments},
            {tp: next_offset(app, tp, due, log_start) for tp in shipments},
            now,
        ):
            consumer.pause_partitions(held)  # again: see streams.manifests_first
            return
        consumer.resume_partitions(held)  # Faust's own resume left them paused
        if not gate.held_back:
            return  # nothing was behind
        if gate.timed_out:
            log.warning("input.manifests_first_gave_up", waited_s=round(gate.waited_s(now), 2))
        else:
            log.info("input.manifests_read_first", waited_s=round(gate.waited_s(now), 2))

    @app.timer(interval=settings.stream.tick_seconds)  # type: ignore[untyped-decorator]  # faust's decorator is untyped
    async def live_clock() -> None:
        """Settle alerts held back during late bursts; with the silence timer, tick the wall
        clock into every owned shipment (ongoing logger silence, transit time, timeouts)."""
        async with lock:
            # During a rebalance and until table recovery has finished, the table holds
            # partly recovered states: settling or ticking one would publish from, and
            # checkpoint, a state older than the changelog's.
            if clock_paused():
                log.debug("clock.waits", rebalancing=app.rebalancing)
                return
            owned = owned_partitions(app, settings)
            # A shipment is settled only once everything on its partitions has been applied:
            # one that only looks quiet because a backlog is still being worked through
            # (after a restart or rebalance, or fetched and waiting in the stream's buffer)
            # keeps waiting, as replay would.
            generation = app.consumer_generation_id
            await learn_log_starts()
            due = partial(guard.due, generation=generation)
            applied = backlog(app, due, log_start)
            behind = {tp: n for tp, n in applied.items() if n and tp.topic in inputs}
            progressed = applied_events[0] != applied_events[1]
            applied_events[1] = applied_events[0]
            for tp in stalls.observe(behind, time.monotonic(), progressed=progressed):
                # nothing moved on it for a while: a message dropped at its end (see
                # StallWatch) is read again; one merely slow is read twice, idempotently
                offset = next_offset(app, tp, due, log_start)
                log.warning("input.stalled", topic=tp.topic, partition=tp.partition, at=offset)
                await read_again(app, tp, offset)
            owned -= {tp.partition for tp in behind}
            gates = (
                sorted(owned),
                sorted(f"{tp.topic}:{tp.partition}+{n}" for tp, n in behind.items()),
            )
            if gates != last_gates[0]:  # what the clock settles, logged when it changes
                log.info("clock.partitions", settles=gates[0], behind=gates[1])
                last_gates[0] = gates
            if not owned:
                return
            # a shipment still receiving (a late burst in flight) is settled once it is quiet
            quiet_since = time.monotonic() - settings.stream.settle_quiet_seconds
            candidates = states.owned(owned, quiet_since=quiet_since)
        now = datetime.now(tz=UTC)

        def may_go_on() -> bool:
            """Between the sweep's turns a rebalance may have begun (see above)."""
            return not clock_paused() and app.consumer_generation_id == generation

        async def step(part: Iterator[tuple[str, ShipmentState]]) -> None:
            """One turn of the sweep: its states settled and ticked, what they emit published."""
            out = clock_step(settings, part, now)
            states.update(out.states, touched=False)
            if out.alerts:
                # what the clock emits depends on when it ran: durable before it is published
                states.hold(out.alerts)
                await checkpoint()
            await publish_outbox()
            out.alerts = []
            await publish(out)

        # A first settle replays the shipment's history (about 5 ms at 100 readings): after a
        # catch-up every quiet shipment settles at once. In turns, the agent's batches go
        # between them instead of waiting for the whole sweep.
        await in_turns(lock, candidates, settings.stream.clock_turn_seconds, step, go_on=may_go_on)

    @app.on_partitions_revoked.connect  # type: ignore[arg-type]  # mode types the handler narrower than its docs
    async def on_revoked(sender: Any, revoked: Any, **kwargs: Any) -> None:
        """Another worker may move a revoked shipment on: decode from the table next time."""
        async with lock:
            try:
                # the checkpoint waits for the broker, so table recovery (this worker's for
                # the partitions it keeps, the new owner's for the others) reads these states
                # and not the previous value of each key; a failed one acks nothing
                await checkpoint()
                await app.producer.flush()
            finally:
                states.forget()
                unstated.clear()  # a partition kept is fenced again in the next generation
                lost.update(revoked)

    @app.on_before_shutdown.connect  # type: ignore[arg-type]  # as above
    async def on_shutdown(sender: Any, **kwargs: Any) -> None:
        """A clean stop checkpoints what was processed, so the consumer commits it; batches
        still buffered are left to the next owner (Faust stops the agent only after this)."""
        async with lock:
            await checkpoint()
            closing[0] = True

    @app.on_partitions_assigned.connect  # type: ignore[arg-type]  # as above
    async def on_assigned(sender: Any, assigned: Any, **kwargs: Any) -> None:
        """Partitions given (back) to this worker are processed again; its telemetry and
        custody partitions once the manifests are read (``manifests_first``)."""
        hold_resumes(app.consumer, waits_for_manifests)
        async with lock:
            lost.difference_update(assigned)

    return process


def timer_checkpoints(
    stream: StreamSettings, now: float, last_checkpoint: float, last_batch: float
) -> bool:
    """Whether the checkpoint timer writes what is changed now: ``checkpoint_seconds`` have
    passed since the last checkpoint, or no batch came for ``checkpoint_idle_seconds``. (Under
    load the agent checkpoints every ``checkpoint_seconds`` itself; the timer covers a stream
    that went quiet, whose offsets should commit without waiting that long.)"""
    return (
        now - last_checkpoint >= stream.checkpoint_seconds
        or now - last_batch >= stream.checkpoint_idle_seconds
    )


def owned_events(events: Sequence[Any], lost: Set[Any]) -> list[Any]:
    """The events of a batch whose partition was not revoked meanwhile (``lost``, until the
    new assignment is known). Whoever owns their partition now reads them again from the last
    committed offset, after its table recovery; applied here they would overwrite the newer
    state at the next checkpoint. (Events of an older consumer generation are dropped by the
    continuity guard.)"""
    return [event for event in events if event.message.tp not in lost]


def owned_partitions(app: faust.App, settings: Settings) -> set[int]:
    """Partitions of the (co-partitioned) input topics this worker actively owns."""
    telemetry = topic_name(settings, Topic.TELEMETRY)
    return {tp.partition for tp in app.assignor.assigned_actives() if tp.topic == telemetry}
