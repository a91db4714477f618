"""History and EncodingCache: a state's readings and manifest kept as the JSON they are stored as."""

from __future__ import annotations

import math
import operator
import zlib
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import Any, TypeVar, overload

import orjson

from alerts.readings import CompactReading
from schemas.manifest import ShipmentManifest

__all__ = [
    "CHUNK_READINGS",
    "EncodingCache",
    "History",
    "chunk_items",
    "dump_record",
    "exact",
    "seal_chunk",
]

_M = TypeVar("_M")


def dump_record(data: dict[str, Any]) -> bytes:
    """A state's record as JSON: a key that is not text written as its text, as
    ``orjson.OPT_NON_STR_KEYS`` writes it. That option made every dump about a fifth slower
    (18.0-24.7 against 23.7-29.9 us a 3.4 KB record of the bench's data, which has no such
    key), so it is only asked for when a plain dump refuses a key."""
    try:
        return orjson.dumps(data)
    except orjson.JSONEncodeError:
        return orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS)


def exact(data: bytes) -> bytes:
    """``data`` in a buffer of its own size: ``orjson.dumps`` returns its output in the buffer
    it grew while writing (4 KiB at least, then doubled), which a kept result holds on to."""
    return bytes(memoryview(data))


CHUNK_READINGS = 32
"""Readings per sealed history chunk. A checkpoint writes the state's record with its tail
(up to this many readings less one) and each chunk once; a restart reads one record per
chunk, and Faust's recovery pays per record. In process (``bench_pipeline_core.py``, 2,000
shipments of 100 readings) chunks of 8 wrote 3,621 changelog bytes per reading, of 16 and 32
about 4,150 (14,894 with the whole state in one record); at the issue's default size
(``cryotrace bench``, 10,000 shipments) recovery took 21.6-22.1 s with 8, 6.4 s with 32
(4.8 s whole)."""


CHUNK_LEVEL = 1
"""The zlib level a sealed chunk is compressed at. A chunk's JSON (about 3.6 KB for 32
readings of the bench's data as rows) takes about 820 bytes at level 1 and 710 at level 6,
for 40 and 62 us of CPU once per chunk; decompressing costs about 18 us, only when a sealed
reading is read (a late reading, an ETA replay, a restart). As columns (``seal_chunk``),
about 510 bytes at level 1 and 470 at level 6."""

_FIELDS = len(CompactReading._fields)

_MAX_EXACT = float(2**53)
"""Below it every whole float is an integer an ``int`` gives back exactly."""


def seal_chunk(readings: Iterable[Sequence[Any]]) -> bytes:
    """A chunk as stored and kept: its readings as columns (``_column``) in a JSON object
    ``{"n": count, "c": [column per field]}``, compressed.

    A logger's readings repeat most fields and step others by the same amount (its id, the
    sequence number, the reporting interval), which rows leave to zlib's 32 KB window and
    columns make plain: 810-820 bytes a chunk of the bench's data as rows, 500-510 as
    columns, the largest part of what a worker holds per shipment besides its objects.
    The event id, when it is ``<logger_id>:<seq>`` (a logger's own numbering), is left out
    (null); the time, when every one is a whole number of seconds, is stored as the first
    and the steps between them. Every value reads back equal and of the same type."""
    rows = list(readings)
    columns = [list(c) for c in zip(*rows, strict=True)] if rows else [[] for _ in range(_FIELDS)]
    if len(columns) != _FIELDS:
        raise ValueError(f"a reading to seal does not hold {_FIELDS} fields")
    times, ids, loggers, seqs = columns[0], columns[1], columns[2], columns[3]
    if (
        times
        and set(map(type, times)) == {float}
        and all(map(float.is_integer, times))
        and min(times) > 0.0
        and max(times) < _MAX_EXACT
    ):
        stored_times: Any = {"t+": _steps(list(map(int, times)))}
    else:
        stored_times = _column(times)
    if set(map(type, loggers)) == {str} and set(map(type, seqs)) == {int}:
        own = map(_OWN_ID.format, loggers, seqs)
        ids = [None if i == o else i for i, o in zip(ids, own, strict=True)]
    out = [stored_times, _column(ids), *map(_column, columns[2:])]
    return zlib.compress(orjson.dumps({"n": len(rows), "c": out}), CHUNK_LEVEL)


_OWN_ID = "{}:{}"
"""A logger's own event id: ``<logger_id>:<seq>``."""


_NUMBERS = frozenset({bool, int, float})
"""Types whose values equal values of the others (no other type of JSON value equals any of theirs)."""


def _steps(values: list[int]) -> list[int]:
    """The first value and the steps between consecutive ones (integers: exact)."""
    return values[:1] + list(map(operator.sub, values[1:], values))


def _column(values: list[Any]) -> Any:
    """A column as stored: ``{"=": value}`` when every value is the same (equal, of one type,
    a float's sign of zero included: what JSON tells apart), ``{"+": steps}`` for integers
    (``_steps``), else the values."""
    if not values:
        return values
    first = values[0]
    if values.count(first) == len(values):  # all equal; and alike? (1 == 1.0 == True)
        if type(first) not in _NUMBERS or (
            len(set(map(type, values))) == 1
            and (first != 0 or len({math.copysign(1.0, v) for v in values}) == 1)
        ):
            return {"=": first}
        return values
    if type(first) is int and set(map(type, values)) == {int}:
        return {"+": _steps(values)}
    return values


def _values(column: Any, count: int) -> list[Any]:
    """Inverse of ``_column`` (and of the time's ``{"t+": steps}``)."""
    if type(column) is list:
        return column
    if "=" in column:
        return [column["="]] * count
    steps: list[int] = column["+"] if "+" in column else column["t+"]
    out = list(accumulate(steps))
    return out if "+" in column else list(map(float, out))


def chunk_items(chunk: bytes) -> list[Any]:
    """A stored chunk's readings as lists. Read as an earlier build stored them too: rows
    (a JSON array of lists) compressed, or plain (it starts with ``[``, which no zlib stream
    does)."""
    data: Any = orjson.loads(chunk if chunk[:1] == b"[" else zlib.decompress(chunk))
    if type(data) is list:
        return data
    count = data["n"]
    columns = [_values(c, count) for c in data["c"]]
    if len(columns) != _FIELDS or any(len(c) != count for c in columns):
        raise ValueError(f"a history chunk's columns do not hold {count} readings")
    ids = columns[1]
    if None in ids:  # left out: a logger's own ids
        own = map(_OWN_ID.format, columns[2], columns[3])
        columns[1] = [o if i is None else i for i, o in zip(ids, own, strict=True)]
    return list(map(list, zip(*columns, strict=True)))


class History(Sequence[CompactReading]):
    """A shipment's kept readings, sorted by ``sort_key``, mostly held as sealed chunks.

    The oldest readings are sealed in chunks of exactly ``CHUNK_READINGS``: each chunk is its
    readings' JSON as columns, compressed (``seal_chunk``: a chunk is kept in the
    worker's memory as long as its shipment, and read only when a sealed reading is asked
    for), numbered by a per-history counter, and is stored
    in the changelog once, as a record of its own (``streams.state_store``), while the state's
    own record names the chunks and carries only the open tail. The first ``skip`` readings
    of the first chunk are evicted. Readings after the sealed ones (the tail) are held as
    their JSON, each encoded as it is appended (as objects only after a change inside the
    tail, until ``stored_form`` encodes them); ``seal`` turns every full ``CHUNK_READINGS``
    of them into a new chunk.
    ``ts`` holds every kept reading's time, so positions are found without decoding; a sealed
    or encoded reading is decoded only when asked for (late placement, ETA replay), as an
    equal object. The in-order path asks only for ``last_key``: the newest time is in ``ts``
    and its event id held apart (not the newest reading itself: one object a reading left for
    the collector, docs/benchmarks.md, session 49).

    A late reading that sorts inside a sealed chunk unseals that chunk and every later one
    (their readings become tail objects again, sealed anew under new numbers); a chunk left
    behind that way, or evicted whole, is ``retired``: the changelog keeps it until a state
    record that no longer names it is stored, and then deletes it.
    """

    __slots__ = (
        "_chunks",
        "_fresh",
        "_ids",
        "_last_id",
        "_next",
        "_retired",
        "_skip",
        "_tail",
        "_tail_coded",
        "_tail_parts",
        "_ts",
        "_unsent",
        "_version",
    )

    def __init__(self, readings: Iterable[CompactReading] = ()) -> None:
        tail = list(readings)
        self._chunks: list[bytes] = []
        self._ids: list[int] = []
        self._skip = 0
        self._next = 0
        self._retired: list[int] = []
        self._unsent: list[int] = []
        """Chunks sealed and not yet confirmed stored (``sent``)."""
        self._tail = tail
        self._tail_parts: tuple[bytes, ...] = ()
        self._tail_coded = 0
        """The oldest ``tail_coded`` tail readings are held only as their JSON: ``tail_parts``
        (as lists, comma-separated), then ``fresh``. ``tail`` holds the readings after them
        as objects (only after a change inside the tail). One part per ``stored_form`` that
        encoded some, never grown: one text grown at every checkpoint was copied into a
        larger buffer each time, and every shipment's smaller ones were left as holes in the
        heap (``_tail_text`` joins them)."""
        self._fresh: list[bytes] = []
        """The JSON of each reading appended in order since the last ``stored_form`` (a list's
        items, without its brackets), encoded at ``append`` so that its object is let go of
        at once: a decoded reading's objects take about 410 bytes, its JSON about 150, and a
        checkpoint interval's readings (10 s of the backlog, about 13 a shipment) were held
        as objects until the checkpoint. ``_fold`` makes them one of ``tail_parts``."""
        self._ts = array("d", [r.t for r in tail])
        self._last_id = tail[-1].event_id if tail else None
        self._version = 0
        """Changed by every change of the sealed chunks (what ``_recent`` decoded may be
        stale)."""

    @classmethod
    def restored(cls, stored: dict[str, Any], chunk: Callable[[int], bytes]) -> History:
        """The history of a stored state record (``stored_form``), its chunks read with
        ``chunk(number)``; its chunks count as stored, its retired ones as still to delete.
        Chunks of another size than ``CHUNK_READINGS`` (stored by a build with another size)
        are read into the tail and retired: sealed anew at the next checkpoint."""
        items: list[Any] = stored["tail"]
        ids = [int(i) for i in stored["chunks"]]
        chunks = [chunk(i) for i in ids]
        skip = int(stored["skip"])
        retired = [int(i) for i in stored["retired"]]
        if stored.get("size", CHUNK_READINGS) != CHUNK_READINGS:
            readings = [
                r for text in chunks for r in map(CompactReading.from_list, chunk_items(text))
            ]
            tail = [CompactReading.from_list(r) for r in items]
            history = cls([*readings[skip:], *tail])
            history._next, history._retired = int(stored["next"]), [*retired, *ids]
            return history
        history = cls()
        if items:  # held as its JSON, as ``stored_form`` leaves it
            fields = len(CompactReading._fields)
            if any(len(item) != fields for item in items):
                raise ValueError(f"a stored tail reading does not hold {fields} fields")
            history._tail_parts = (orjson.dumps(items)[1:-1],)
            history._tail_coded = len(items)
            history._ts = array("d", [item[0] for item in items])
            history._last_id = str(items[-1][1])
        times = array("d")
        for text in chunks:
            items = chunk_items(text)
            if len(items) != CHUNK_READINGS:
                raise ValueError(f"a history chunk holds {len(items)} readings")
            times.extend(item[0] for item in items)
        history._ts[:0] = times[skip:]
        history._chunks, history._ids, history._skip = chunks, ids, skip
        history._next = int(stored["next"])
        history._retired = retired
        if history._last_id is None and len(history._ts):  # the last chunk's newest reading
            history._last_id = str(items[-1][1])
        return history

    # -- Sequence --------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._ts)

    @property
    def _sealed(self) -> int:
        """How many kept readings are sealed in chunks."""
        return len(self._chunks) * CHUNK_READINGS - self._skip

    @overload
    def __getitem__(self, index: int) -> CompactReading: ...

    @overload
    def __getitem__(self, index: slice) -> list[CompactReading]: ...

    def __getitem__(self, index: int | slice) -> CompactReading | list[CompactReading]:
        size = len(self._ts)
        if isinstance(index, slice):
            start, stop, step = index.indices(size)
            if step != 1:
                return [self[i] for i in range(start, stop, step)]
            stop = max(start, stop)
            n = self._sealed
            if start >= n:
                return self._tail_slice(start - n, stop - n)
            return self._decode(start, min(stop, n)) + self._tail_slice(0, max(0, stop - n))
        if index < 0:
            index += size
        if not 0 <= index < size:
            raise IndexError("history index out of range")
        n = self._sealed
        if index >= n:
            at, coded = index - n, self._tail_coded
            if at >= coded:
                return self._tail[at - coded]
            fresh = at - coded + len(self._fresh)  # the fresh texts are the newest coded
            if fresh >= 0:  # its own text decoded, the tail's texts left as they are
                return CompactReading._make(orjson.loads(b"[%s]" % self._fresh[fresh]))
            return _coded(self)[at]
        at = index + self._skip
        number = at // CHUNK_READINGS
        recent = _recent
        if not (
            recent.history is self and recent.version == self._version and recent.first == number
        ):
            recent.history, recent.version, recent.first = self, self._version, number
            recent.items = _readings(self._chunks[number])
        return recent.items[at - number * CHUNK_READINGS]

    def __iter__(self) -> Iterator[CompactReading]:
        yield from self._decode(0, self._sealed)
        yield from self._tail_readings()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, History | list | tuple):
            return len(self) == len(other) and list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable, like the list it replaces

    def __repr__(self) -> str:
        return f"History({list(self)!r})"

    # -- changes ---------------------------------------------------------------------------

    @property
    def last(self) -> CompactReading | None:
        """The newest reading (None when empty), decoded if held as JSON."""
        return self[-1] if self._ts else None

    @property
    def last_key(self) -> tuple[float, str] | None:
        """The newest reading's ``sort_key`` (None when empty), nothing decoded."""
        last_id = self._last_id
        return None if last_id is None else (self._ts[-1], last_id)

    def append(self, reading: CompactReading) -> None:
        """Add a reading that sorts after every kept one: held as its JSON (``fresh``), or as
        an object after tail readings held as objects."""
        if self._tail:
            self._tail.append(reading)
        else:
            self._fresh.append(orjson.dumps(list(reading))[1:-1])  # [1:-1]: an exact-size copy
            self._tail_coded += 1
        self._ts.append(reading.t)
        self._last_id = reading.event_id

    def after(self, key: tuple[float, str]) -> int:
        """How many readings sort at or before ``key`` (``bisect_right`` by ``sort_key``)."""
        ts, t = self._ts, key[0]
        at, end = bisect_left(ts, t), bisect_right(ts, t)
        while at < end and self[at].event_id <= key[1]:  # equal times: by event id
            at += 1
        return at

    def upto(self, t: float) -> int:
        """How many readings are at or before time ``t`` (found in ``ts``, nothing decoded)."""
        return bisect_right(self._ts, t)

    def place(self, reading: CompactReading) -> None:
        """Insert a reading at its sorted place (after equal keys, as ``insort``). Sealed
        chunks from the one it falls in on are unsealed (retired; their readings sealed anew
        later); the ones before it stay."""
        at = self.after(reading.sort_key)
        n = self._sealed
        self._unpack()
        if at < n:
            number = (at + self._skip) // CHUNK_READINGS
            first = max(0, number * CHUNK_READINGS - self._skip)
            self._tail[:0] = self._decode(first, n)
            self._retire(number)
            if number == 0:
                self._skip = 0
            n = first
        self._tail.insert(at - n, reading)
        self._ts.insert(at, reading.t)
        if at == len(self._ts) - 1:
            self._last_id = reading.event_id

    def evict(self, count: int) -> None:
        """Drop the ``count`` oldest readings."""
        if count <= 0:
            return
        n = self._sealed
        if count >= n:
            self._retire(0)
            self._skip = 0
            self._unpack()
            del self._tail[: count - n]
        else:
            self._skip += count
            whole = self._skip // CHUNK_READINGS
            if whole:
                self._retire(0, whole)
                self._skip -= whole * CHUNK_READINGS
        del self._ts[:count]
        if not self._ts:
            self._last_id = None

    def _retire(self, first: int, stop: int | None = None) -> None:
        """Drop the chunks ``first`` to ``stop`` (exclusive; None: to the end), whose readings
        are decoded or evicted."""
        dropped = self._ids[first:stop]
        if dropped:
            self._version += 1
            self._retired.extend(dropped)
            del self._chunks[first:stop], self._ids[first:stop]
            gone = set(dropped)
            self._unsent = [i for i in self._unsent if i not in gone]

    # -- storing ---------------------------------------------------------------------------

    def seal(self) -> None:
        """Seal every full ``CHUNK_READINGS`` of the tail into a new chunk (unsent); the rest
        of the tail is left encoded (its JSON, as ``stored_form`` leaves it)."""
        tail = self._tail
        if self._tail_coded + len(tail) < CHUNK_READINGS:
            return
        # the encoded readings as the lists they were dumped from: no reading object is made
        items: list[list[Any]] = orjson.loads(self._tail_text()) if self._tail_coded else []
        items.extend(list(r) for r in tail)
        whole = len(items) // CHUNK_READINGS * CHUNK_READINGS
        for first in range(0, whole, CHUNK_READINGS):
            text = seal_chunk(items[first : first + CHUNK_READINGS])
            self._chunks.append(text)
            self._ids.append(self._next)
            self._unsent.append(self._next)
            self._next += 1
        rest = items[whole:]
        self._tail = []
        self._tail_parts = (orjson.dumps(rest)[1:-1],) if rest else ()
        self._tail_coded = len(rest)
        self._version += 1

    def unsent(self) -> list[tuple[int, bytes]]:
        """The sealed chunks not yet confirmed stored: ``(number, chunk)``."""
        if not self._unsent:
            return []
        where = {number: at for at, number in enumerate(self._ids)}
        return [(number, self._chunks[where[number]]) for number in self._unsent]

    def chunks(self) -> list[tuple[int, bytes]]:
        """Every sealed chunk: ``(number, chunk)``, oldest first."""
        return list(zip(self._ids, self._chunks, strict=True))

    def sent(self, numbers: Iterable[int]) -> None:
        """The chunks ``numbers`` are stored."""
        done = set(numbers)
        self._unsent = [i for i in self._unsent if i not in done]

    @property
    def retired(self) -> list[int]:
        """Chunks no longer kept whose stored copy is not known deleted."""
        return self._retired

    def deleted(self, numbers: Iterable[int]) -> None:
        """The stored copies of the retired chunks ``numbers`` are deleted."""
        if not self._retired:
            return  # nearly always: nothing was retired (a checkpoint asks for every state)
        done = set(numbers)
        self._retired = [i for i in self._retired if i not in done]

    def stored_form(self) -> dict[str, Any]:
        """What the state's own record keeps of the history, for ``orjson.dumps``: the chunk
        size, the chunks' numbers, the next number, the first chunk's evicted readings, the tail (the JSON of
        its readings as lists) and the retired chunks."""
        self._fold()
        tail = self._tail
        if tail:  # encoded once, then held only as JSON
            new = orjson.dumps([list(r) for r in tail])[1:-1]
            self._tail_parts = (*self._tail_parts, new)
            self._tail_coded += len(tail)
            self._tail = []
        return {
            "size": CHUNK_READINGS,
            "next": self._next,
            "chunks": self._ids,
            "skip": self._skip,
            "tail": orjson.Fragment(self._tail_text()),
            "retired": self._retired,
        }

    def _fold(self) -> None:
        """Make the ``fresh`` readings' JSON one more of ``tail_parts``."""
        if self._fresh:
            self._tail_parts = (*self._tail_parts, b"[%s]" % b"],[".join(self._fresh))
            self._fresh = []

    def _tail_text(self) -> bytes:
        """The encoded tail readings as one JSON array (of lists)."""
        self._fold()
        return b"[%s]" % b",".join(self._tail_parts)

    def _tail_readings(self) -> list[CompactReading]:
        """Every tail reading as an object (the encoded ones decoded, equal values)."""
        return _coded(self) + self._tail if self._tail_coded else self._tail

    def _tail_slice(self, start: int, stop: int) -> list[CompactReading]:
        """Tail readings ``start`` to ``stop`` (exclusive, both within the tail)."""
        coded = self._tail_coded
        if start >= coded:
            return self._tail[start - coded : stop - coded]
        return self._tail_readings()[start:stop]

    def _unpack(self) -> None:
        """Hold the whole tail as objects again: it is about to change other than at its end
        (``stored_form`` encodes it anew)."""
        if self._tail_coded:
            self._tail = self._tail_readings()
            self._tail_parts, self._tail_coded, self._fresh = (), 0, []

    def _decode(self, first: int, stop: int) -> list[CompactReading]:
        """Sealed readings ``first`` to ``stop`` (exclusive), decoded from their chunks."""
        if first >= stop:
            return []
        skip = self._skip
        lo, hi = (first + skip) // CHUNK_READINGS, (stop + skip - 1) // CHUNK_READINGS
        out: list[CompactReading] = []
        for text in self._chunks[lo : hi + 1]:
            out.extend(_readings(text))
        offset = lo * CHUNK_READINGS
        return out[first + skip - offset : stop + skip - offset]


def _readings(text: bytes) -> list[CompactReading]:
    """A chunk's readings, or an encoded tail's (a plain JSON array), decoded (``CompactReading._make``:
    ``from_list`` without its check of the number of fields)."""
    make = CompactReading._make
    return [make(item) for item in chunk_items(text)]


class _Recent:
    """The chunk decoded last (one history at a time, so bounded): a replay that reads a
    ``History`` index by index decodes each chunk once instead of once per reading."""

    __slots__ = ("first", "history", "items", "version")

    def __init__(self) -> None:
        self.history: History | None = None
        self.version = 0
        self.first = 0
        self.items: list[CompactReading] = []


_recent = _Recent()


class _RecentTail:
    """The encoded tail decoded last (one history at a time, so bounded), known by its
    parts: a tuple is never changed (``stored_form`` makes a new one), and this one stays
    alive while it is held here."""

    __slots__ = ("history", "items", "parts")

    def __init__(self) -> None:
        self.history: History | None = None
        self.parts: tuple[bytes, ...] = ()
        self.items: list[CompactReading] = []


_recent_tail = _RecentTail()


def _coded(history: History) -> list[CompactReading]:
    """The readings of ``history``'s encoded tail, decoded (not to be changed: shared)."""
    recent = _recent_tail
    history._fold()
    parts = history._tail_parts
    if recent.history is not history or recent.parts is not parts:
        recent.items = _readings(history._tail_text())  # a plain JSON array, read as it is
        recent.history, recent.parts = history, parts
    return recent.items


@dataclass(slots=True)
class EncodingCache:
    """The JSON of a manifest (models are immutable) and of the newest ETA mark (never changed
    once left) as ``orjson.Fragment`` s, each encoded once."""

    manifest: ShipmentManifest | None = None
    manifest_json: bytes = b""
    manifest_fragment_: orjson.Fragment | None = None
    mark: object = None
    mark_fragment_: orjson.Fragment | None = None

    def mark_fragment(self, mark: _M, as_list: Callable[[_M], list[Any]]) -> orjson.Fragment:
        """``as_list(mark)`` as JSON, encoded again only for another mark."""
        if self.mark is not mark or self.mark_fragment_ is None:
            self.mark = mark
            self.mark_fragment_ = orjson.Fragment(exact(orjson.dumps(as_list(mark))))
        return self.mark_fragment_

    def manifest_fragment(self, manifest: ShipmentManifest) -> orjson.Fragment:
        """The manifest's ``model_dump(mode="json")`` as JSON."""
        if self.manifest is not manifest or self.manifest_fragment_ is None:
            self.manifest = manifest
            self.manifest_json = exact(orjson.dumps(manifest.model_dump(mode="json")))
            self.manifest_fragment_ = orjson.Fragment(self.manifest_json)
        return self.manifest_fragment_
