"""Owned shipment states: decoded once into a cache over the Faust table, checkpointed on change."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable, Iterator, MutableMapping, Set
from functools import partial
from typing import NamedTuple

import orjson
import structlog

from alerts.encoded import History, dump_record, exact
from alerts.state import ShipmentState
from schemas.alert import Alert
from schemas.errors import CryotraceError
from streams.partitioning import partition_for

log = structlog.get_logger(__name__)


class CheckpointGivenUp(CryotraceError):
    """A begun checkpoint was given up (``forget`` or ``cancel``) before its records were
    taken: they are not all there, so the events it covers must not be acked."""


class StateNotKept(CryotraceError):
    """A shipment's stored record is only in the changelog: this worker kept its digest
    (``RecordDigest``), and its state changed before it was forgotten, so the record could not
    be rebuilt. Only a worker whose rebalance checkpoint failed gets here, and that worker
    crashes; its successor's recovery reads the record from the changelog."""


class RecordDigest(bytes):
    """What the table keeps of a state record this worker stored: the record's SHA-256 (32
    bytes, not its 3-4 KB). The changelog has the record, and the decoded state is cached."""

    __slots__ = ()


def record_digest(record: bytes) -> RecordDigest:
    """The digest the table keeps of a stored state ``record``."""
    return RecordDigest(hashlib.sha256(record).digest())


class ChangelogRecord(NamedTuple):
    """One write for the table's changelog topic (``value`` None: a deletion)."""

    partition: int
    key: bytes
    value: bytes | None


CHUNK_MARK = b"\xff"
"""Separates a shipment's key from a history chunk's number in the chunk's key (a byte no
UTF-8 text holds, so no shipment's own key contains it)."""


def state_key(shipment_id: str) -> bytes:
    """The table key of a shipment's own record (its message key on every topic)."""
    return shipment_id.encode("utf-8")


def chunk_key(shipment_id: str, number: int) -> bytes:
    """The table key of history chunk ``number`` of a shipment."""
    return b"%s%s%d" % (shipment_id.encode("utf-8"), CHUNK_MARK, number)


def write_order(
    records: list[ChangelogRecord],
) -> tuple[list[ChangelogRecord], list[ChangelogRecord]]:
    """A checkpoint's ``records`` (or a turn's) in the two steps they are sent in: the history
    chunks first, and only once the broker has them all, the deletions and the states' own
    records (which name the chunks). A stored record then never names a chunk the broker has
    not got, whatever a producer does with the order of records it retries."""
    chunks = [r for r in records if r.value is not None and CHUNK_MARK in r.key]
    rest = [r for r in records if r.value is None or CHUNK_MARK not in r.key]
    return chunks, rest


class _Sent(NamedTuple):
    """What a checkpoint wrote of one state, kept until the broker has it."""

    history: History
    chunks: list[int]
    deleted: list[int]
    retired: list[int] | None  # the retired chunks its record names (None: record unchanged)
    digest: RecordDigest | None  # its record's (None: record unchanged)


class ShipmentStates:
    """The states of the shipments this worker owns.

    The table's changelog is the durable copy. ``table.data`` holds what Faust's recovery read
    from it, and for each state record this worker stored since, only the record's digest
    (``RecordDigest``): ``cache`` keeps the decoded objects, so a batch never re-parses them,
    and the record's bytes as well took 3.5 KB of the 23.6 KB a shipment held (100 readings,
    ``benchmarks/bench_state_memory.py``). ``forget`` puts the bytes back by encoding each
    cached state again, when the digest shows it unchanged. ``dirty`` marks states changed since
    the last checkpoint. A checkpoint encodes each dirty state once and stores it (and returns
    its changelog record) only when the bytes differ. Callers send the records, wait for the
    broker, and only then ack input offsets, so a crash replays exactly the events the
    changelog has not seen. States may change while the records are on their way: ``stored``
    leaves those dirty (each mark is numbered). A checkpoint may be encoded in turns
    (``begin``, then ``encode`` until done) while batches go on between them: a state loaded,
    updated, or given or relieved of held alerts before its turn is encoded first, so the
    records are the states as they were when it began.

    A state's history is mostly sealed chunks (``alerts.encoded.History``), each written
    once under a key of its own (``chunk_key``) before the record that names it; the state's
    own record carries the rest and the open tail, so a checkpoint writes a few KB per
    changed shipment, not its whole history. The chunks are sent, and confirmed, before the
    records that name them (``write_order``). A chunk the history no longer keeps
    (``retired``) is deleted only after a record that no longer names it is stored: its
    tombstone goes with the state's next record.

    Alerts the live clock emits depend on when it ran, so a worker that replays the events
    after a crash would not emit them again the same way (the same version with other
    content). They are therefore ``hold``-ed in an outbox stored with their state, published
    only once the changelog has them, and ``release``-d after; a state restored with a
    non-empty outbox (the worker died in between) publishes it again, unchanged.
    """

    def __init__(self, table: object, partitions: int) -> None:
        self._table = table
        self._data: MutableMapping[bytes, bytes] = table.data  # type: ignore[attr-defined]
        self._partitions = partitions
        self._cache: dict[str, ShipmentState] = {}
        self._dirty: dict[str, int] = {}  # shipment -> number of its latest change
        self._changes = 0
        self._checked: dict[str, int] = {}  # what the last checkpoint encoded, at which change
        self._touched: dict[str, float] = {}
        self._outbox: dict[str, list[Alert]] = {}
        self._deletable: dict[str, list[int]] = {}  # retired chunks no stored record names
        self._sent: dict[str, _Sent] = {}
        # the begun checkpoint's records, encoded and not taken (``records``) yet
        self._records: list[ChangelogRecord] = []
        self._order: list[str] = []  # the begun checkpoint's states, in the order encoded
        self._next = 0  # where ``encode`` goes on in ``_order``
        self._todo: set[str] = set()  # the begun checkpoint's states not encoded yet
        self._begun = 0  # numbers the begun checkpoint; forget and cancel give it up
        self.early = 0  # the begun checkpoint's states a change made encode before their turn

    def load(self, shipment_id: str) -> ShipmentState | None:
        """The current state of one shipment (None if never seen)."""
        state = self._cache.get(shipment_id)
        if state is not None:
            if self._todo:  # the caller may change it: the begun checkpoint's turn comes first
                self._before_change(shipment_id)
        else:
            raw = self._data.get(state_key(shipment_id))
            if raw:
                if isinstance(raw, RecordDigest):
                    raise StateNotKept(
                        f"the stored record of {shipment_id!r} is only in the changelog: its "
                        "state changed before it was forgotten (restart to recover it)"
                    )
                data = orjson.loads(raw)
                held = data.pop("outbox", None)
                state = ShipmentState.from_dict(data, partial(self._chunk, shipment_id))
                self._cache[shipment_id] = state
                if state.history.retired:  # named by the stored record: deleted at its next
                    self._deletable[shipment_id] = list(state.history.retired)
                    self._mark(shipment_id)
                if held:  # the worker that held them may have died before publishing
                    self._outbox[shipment_id] = [Alert.model_validate(a) for a in held]
                    log.info("state.outbox_restored", shipment_id=shipment_id, alerts=len(held))
        return state

    def _chunk(self, shipment_id: str, number: int) -> bytes:
        chunk = self._data.get(chunk_key(shipment_id, number))
        if chunk is None:
            raise LookupError(f"history chunk {number} of {shipment_id!r} is not in the table")
        return chunk

    def update(self, states: dict[str, ShipmentState], *, touched: bool = True) -> None:
        """Take states changed by a batch (``touched``: events arrived now) or by the clock
        (each ``load``-ed before it changed, or a new object)."""
        if self._todo:
            for shipment_id in states:
                self._before_change(shipment_id)
        self._cache.update(states)
        for shipment_id in states:
            self._mark(shipment_id)
        if touched:
            now = time.monotonic()
            for shipment_id in states:
                self._touched[shipment_id] = now

    def _mark(self, shipment_id: str) -> None:
        self._changes += 1
        self._dirty[shipment_id] = self._changes

    @property
    def cached(self) -> int:
        return len(self._cache)

    @property
    def checkpointing(self) -> int:
        """How many states the begun checkpoint encodes (until ``stored``)."""
        return len(self._order)

    @property
    def dirty(self) -> int:
        return len(self._dirty)

    def checkpoint(self) -> list[ChangelogRecord]:
        """The changelog records of every dirty state: its newly sealed history chunks, the
        deletions of chunks no stored record names any more, then its own record when its
        encoding changed. The caller sends them in ``write_order``, waits for the broker,
        then calls ``stored``; until then they stay dirty, so a failed send is retried by the
        next checkpoint instead of being lost. (``begin``, ``encode`` and ``records`` in
        one go.)"""
        begun = self.begin()
        self.encode()
        return self.records(begun)

    def begin(self, partitions: Set[int] | None = None) -> int:
        """Start a checkpoint of every state dirty now (of a shipment on one of
        ``partitions``, if given: the input partitions whose applied events it acks).
        ``encode`` writes their records in turns, and a state that is loaded, updated, or has
        alerts held or released before its turn is encoded first, so every record is its
        state as it was here: what the events applied so far made it, and no later one.
        Returns the checkpoint's number, for ``records``."""
        if partitions is None:
            self._checked = dict(self._dirty)
        else:
            count = self._partitions
            self._checked = {
                shipment_id: change
                for shipment_id, change in self._dirty.items()
                if partition_for(shipment_id, count) in partitions
            }
        self._sent = {}
        self._records = []
        self._order = list(self._checked)
        self._next = 0
        self._todo = set(self._order)
        self.early = 0
        self._begun += 1
        return self._begun

    def encode(self, seconds: float | None = None) -> bool:
        """Encode the begun checkpoint's states for about ``seconds`` (at least one; None:
        all of them). True once none is left: ``records`` has them all."""
        order, todo = self._order, self._todo
        deadline = None if seconds is None else time.perf_counter() + seconds
        while self._next < len(order):
            shipment_id = order[self._next]
            self._next += 1
            if shipment_id in todo:
                self._take(shipment_id)
                if deadline is not None and time.perf_counter() >= deadline:
                    break
        return not todo

    def cancel(self) -> None:
        """Give up the begun checkpoint (its states stay dirty: the next one writes them)."""
        self._begun += 1
        self._records = []
        self._order = []
        self._todo = set()
        self._sent = {}
        self._checked = {}

    def records(self, begun: int) -> list[ChangelogRecord]:
        """The records of checkpoint ``begun`` (``begin``'s number) encoded since the last
        call, handed over: the states keep none of them, so a writer that sends each turn's
        records as the checkpoint goes holds a turn's at a time (``stored`` needs only the
        chunks and deletions among them). All of them once ``encode`` returned True and
        nothing was taken before. Raises ``CheckpointGivenUp`` if it was given up meanwhile."""
        if begun != self._begun:
            raise CheckpointGivenUp(
                f"checkpoint {begun} was given up before its records were taken"
            )
        taken, self._records = self._records, []
        return taken

    def _take(self, shipment_id: str) -> None:
        """Encode one state of the begun checkpoint, now, into its records."""
        self._todo.discard(shipment_id)
        key = state_key(shipment_id)
        records = self._records
        partition = partition_for(shipment_id, self._partitions)
        history = self._cache[shipment_id].history
        history.seal()
        chunks = history.unsent()
        for number, text in chunks:
            records.append(ChangelogRecord(partition, chunk_key(shipment_id, number), text))
        deleted = self._deletable.get(shipment_id, [])
        for number in deleted:
            records.append(ChangelogRecord(partition, chunk_key(shipment_id, number), None))
        history.deleted(deleted)  # the record below no longer names them
        encoded = self._encode(shipment_id)
        retired = None
        digest: RecordDigest | None = record_digest(encoded)
        kept = self._data.get(key)
        if kept != (digest if isinstance(kept, RecordDigest) else encoded):
            records.append(ChangelogRecord(partition, key, encoded))
            retired = list(history.retired)
        else:
            digest = None
        self._sent[shipment_id] = _Sent(history, [n for n, _ in chunks], deleted, retired, digest)

    def _before_change(self, shipment_id: str) -> None:
        """A state the begun checkpoint has not encoded yet is about to change: encode it."""
        if shipment_id in self._todo:
            self.early += 1
            self._take(shipment_id)

    def _encode(self, shipment_id: str) -> bytes:
        data = self._cache[shipment_id].record()
        held = self._outbox.get(shipment_id)
        if held:
            data["outbox"] = [a.model_dump(mode="json") for a in held]
        return exact(dump_record(data))

    def hold(self, alerts: Iterable[Alert]) -> None:
        """Keep ``alerts`` in their shipments' outboxes until ``release``; the next
        checkpoint stores them with the states (which must be cached)."""
        for alert in alerts:
            self._before_change(alert.shipment_id)
            self._outbox.setdefault(alert.shipment_id, []).append(alert)
            self._mark(alert.shipment_id)

    def outbox(self) -> list[Alert]:
        """Every alert held or restored and not released yet, in order per shipment."""
        return [alert for held in self._outbox.values() for alert in held]

    def release(self, alerts: Iterable[Alert]) -> None:
        """The broker has ``alerts``: drop them from the outboxes (stored at the next
        checkpoint)."""
        for alert in alerts:
            held = self._outbox.get(alert.shipment_id)
            if held and alert in held:
                self._before_change(alert.shipment_id)
                held.remove(alert)
                if not held:
                    del self._outbox[alert.shipment_id]
                if alert.shipment_id in self._cache:
                    self._mark(alert.shipment_id)

    def stored(self, records: list[ChangelogRecord]) -> None:
        """The broker has the last checkpoint's records: keep them (the history chunks as they
        are, the states' own records as the digests their encoding took). ``records`` are that
        checkpoint's, or only the history chunks and deletions among them: those are what is
        read here. What that checkpoint covered is clean now, unless it changed again since,
        or its record names retired chunks (the next checkpoint deletes them)."""
        data = self._data
        for record in records:
            if record.value is None:
                data.pop(record.key, None)
            elif CHUNK_MARK in record.key:
                data[record.key] = record.value
        deletable = self._deletable
        for shipment_id, sent in self._sent.items():
            if sent.digest is not None:
                data[state_key(shipment_id)] = sent.digest
            sent.history.sent(sent.chunks)
            if sent.retired:
                deletable[shipment_id] = sent.retired
            elif sent.retired is not None or sent.deleted:
                deletable.pop(shipment_id, None)
        dirty = self._dirty
        for shipment_id, change in self._checked.items():
            if dirty.get(shipment_id) == change:
                del dirty[shipment_id]
        for shipment_id in self._sent:  # a stored record names retired chunks: delete them
            if shipment_id in deletable and shipment_id not in dirty:
                self._mark(shipment_id)
        self._sent = {}
        self._checked = {}
        self._records = []
        self._order = []

    def owned(
        self, partitions: set[int], *, quiet_since: float | None = None
    ) -> Iterator[tuple[str, ShipmentState]]:
        """Every stored or cached state whose shipment lives on one of ``partitions`` (and,
        with ``quiet_since``, got no event after that ``time.monotonic()`` moment)."""
        mark = CHUNK_MARK
        ids = {key.decode("utf-8") for key in list(self._data) if mark not in key}
        ids |= set(self._cache)
        for shipment_id in sorted(ids):
            if quiet_since is not None and self._touched.get(shipment_id, 0.0) > quiet_since:
                continue
            if partition_for(shipment_id, self._partitions) in partitions:
                state = self.load(shipment_id)
                if state is not None:
                    yield shipment_id, state

    def forget(self) -> None:
        """Drop the cache (after a rebalance another worker may have moved a state on). The
        table gets back the record of each cached state it keeps only the digest of: the
        state encoded again, if that matches the digest (the state is unchanged since it was
        stored, as after the checkpoint a rebalance begins with). A state changed since has
        no record here until recovery reads it (``load`` raises ``StateNotKept``). About 38 µs
        of CPU a state (2,000 states of 100 readings): 0.4 s at 10,000, once a rebalance."""
        self.cancel()  # a checkpoint on its way is given up: its events are not acked
        data, unverified = self._data, 0
        for shipment_id in self._cache:
            key = state_key(shipment_id)
            kept = data.get(key)
            if isinstance(kept, RecordDigest):
                encoded = self._encode(shipment_id)
                if record_digest(encoded) == kept:
                    data[key] = encoded
                else:
                    unverified += 1
        if unverified:
            log.warning("state.forgotten_changed", shipments=unverified)
        self._cache.clear()
        self._dirty.clear()
        self._touched.clear()
        self._outbox.clear()
        self._deletable.clear()
