"""History and EncodingCache: a state's readings and manifest kept as the JSON they are stored as."""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, overload

import orjson

from alerts.readings import CompactReading
from schemas.manifest import ShipmentManifest

__all__ = ["EncodingCache", "History", "exact"]

_M = TypeVar("_M")


def exact(data: bytes) -> bytes:
    """``data`` in a buffer of its own size: ``orjson.dumps`` returns its output in the buffer
    it grew while writing (4 KiB at least, then doubled), which a kept result holds on to."""
    return bytes(memoryview(data))


class History(Sequence[CompactReading]):
    """A shipment's kept readings, sorted by ``sort_key``, mostly held only as JSON text.

    The readings encoded at the last checkpoint (the prefix) live only as their JSON inside
    the text ``encode`` returned or, once ``embedded`` was told, inside the state bytes that
    text went into (the bytes the changelog table keeps anyway): ``text[start:end]`` is
    their comma-separated JSON and ``offsets[i]`` where reading ``i`` starts in it. Readings
    after the prefix (the tail) are objects until the next ``encode``. ``ts`` holds every
    reading's time, so positions are found without decoding; a reading is decoded from its
    text only when asked for (late placement, ETA replay, eviction), as an equal object.

    The text is exactly what ``orjson.dumps`` gives for the plain list of lists, so the
    stored state is byte for byte what it was with a plain list.
    """

    __slots__ = ("_end", "_last", "_offsets", "_start", "_tail", "_text", "_ts", "_version")

    def __init__(self, readings: Iterable[CompactReading] = ()) -> None:
        tail = list(readings)
        self._text = b"[]"
        self._start = self._end = 1
        self._offsets = array("I")
        """Where each prefix reading's JSON starts in ``text``, relative to ``start``."""
        self._tail = tail
        self._ts = array("d", [r.t for r in tail])
        self._last = tail[-1] if tail else None
        self._version = 0
        """Changed by every change of the prefix (what ``_recent`` decoded may be stale)."""

    # -- Sequence --------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._ts)

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
            n = len(self._offsets)
            if start >= n:
                return self._tail[start - n : stop - n]
            return self._decode(start, min(stop, n)) + self._tail[: max(0, stop - n)]
        if index < 0:
            index += size
        if not 0 <= index < size:
            raise IndexError("history index out of range")
        if index == size - 1:
            assert self._last is not None
            return self._last
        n = len(self._offsets)
        if index >= n:
            return self._tail[index - n]
        recent = _recent
        if recent.history is self and recent.version == self._version:
            at = index - recent.first
            if 0 <= at < len(recent.items):
                return recent.items[at]
            # reading on from the last decoded ones (a replay by index): decode ahead
            stop = min(n, index + _AHEAD) if at == len(recent.items) else index + 1
        else:
            stop = index + 1
        items = self._decode(index, stop)
        recent.history, recent.version, recent.first, recent.items = (
            self,
            self._version,
            index,
            items,
        )
        return items[0]

    def __iter__(self) -> Iterator[CompactReading]:
        items = self._decode(0, len(self._offsets))
        if items:  # a replay iterates, then reads by index: both from one decoding
            recent = _recent
            recent.history, recent.version, recent.first, recent.items = (
                self,
                self._version,
                0,
                items,
            )
        yield from items
        yield from self._tail

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
        """The newest reading (None when empty)."""
        return self._last

    def append(self, reading: CompactReading) -> None:
        """Add a reading that sorts after every kept one."""
        self._tail.append(reading)
        self._ts.append(reading.t)
        self._last = reading

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
        """Insert a reading at its sorted place (after equal keys, as ``insort``). Prefix
        readings from there on become tail objects again (encoded anew at the next
        ``encode``); the ones before it keep their text."""
        at = self.after(reading.sort_key)
        n = len(self._offsets)
        self._version += 1
        if at < n:
            moved = self._decode(at, n)
            self._end = self._start + self._offsets[at] - 1 if at else self._start
            del self._offsets[at:]
            self._tail[:0] = moved
            n = at
        self._tail.insert(at - n, reading)
        self._ts.insert(at, reading.t)
        if at == len(self._ts) - 1:
            self._last = reading

    def evict(self, count: int) -> None:
        """Drop the ``count`` oldest readings."""
        if count <= 0:
            return
        n = len(self._offsets)
        self._version += 1
        if count >= n:
            del self._tail[: count - n]
            self._text, self._start, self._end = b"[]", 1, 1
            self._offsets = array("I")
        else:
            cut = self._offsets[count]
            self._start += cut
            self._offsets = array("I", [o - cut for o in self._offsets[count:]])
        del self._ts[:count]
        if not self._ts:
            self._last = None

    # -- encoding --------------------------------------------------------------------------

    @property
    def text(self) -> bytes:
        """The bytes the prefix's text is read from (the state bytes once ``embedded``)."""
        return self._text

    @property
    def items(self) -> bytes:
        """The prefix's text, comma-separated, without the brackets."""
        return self._text[self._start : self._end]

    def encode(self) -> bytes:
        """The JSON array of every reading (each as a list); all of them become prefix."""
        tail = self._tail
        text, start, end = self._text, self._start, self._end
        if not tail:
            if start == 1 and end == len(text) - 1:
                return text
            text = b"".join((b"[", memoryview(text)[start:end], b"]"))
            self._text, self._start, self._end = text, 1, len(text) - 1
            return text
        encoded = orjson.dumps([list(r) for r in tail])
        self._version += 1
        offsets = self._offsets
        base = end - start + 1 if offsets else 0  # the new readings' text follows a ","
        if any("]" in r.event_id or (r.logger_id and "]" in r.logger_id) for r in tail):
            position = 0  # a "]" inside a string: the readings' lengths one by one
            for r in tail:
                offsets.append(base + position)
                position += len(orjson.dumps(list(r))) + 1
        else:  # each reading's text ends at its first "]" (a flat list of scalars)
            position, find = 1, encoded.find
            for _ in tail:
                offsets.append(base + position - 1)
                position = find(b"]", position) + 2  # past "],"
        if base:
            text = b"".join((b"[", memoryview(text)[start:end], b",", memoryview(encoded)[1:]))
        else:
            text = exact(encoded)
        self._text, self._start, self._end = text, 1, len(text) - 1
        self._tail = []
        return text

    def embedded(self, whole: bytes, offset: int) -> None:
        """The last ``encode`` went into ``whole`` at ``offset``: read the text from there.
        Checked, so a wrong offset only keeps the encoded text (never wrong text)."""
        text = self._text
        if (
            not self._tail
            and self._start == 1
            and self._end == len(text) - 1
            and whole is not text
            and whole.startswith(text, offset)
        ):
            self._text, self._start, self._end = whole, offset + 1, offset + len(text) - 1
            self._version += 1

    def _decode(self, first: int, stop: int) -> list[CompactReading]:
        """Prefix readings ``first`` to ``stop`` (exclusive), decoded from their text."""
        if first >= stop:
            return []
        offsets, start = self._offsets, self._start
        begin = start + offsets[first]
        end = start + offsets[stop] - 1 if stop < len(offsets) else self._end
        data = orjson.loads(b"".join((b"[", memoryview(self._text)[begin:end], b"]")))
        make = CompactReading._make  # equal values; not shared (``from_list``): short-lived
        return [make(item) for item in data]


_AHEAD = 64
"""Readings decoded at once when a caller reads the prefix one index after another."""


class _Recent:
    """The prefix readings decoded last (one history at a time, so bounded): a replay that
    reads a ``History`` index by index decodes ahead instead of one reading per call."""

    __slots__ = ("first", "history", "items", "version")

    def __init__(self) -> None:
        self.history: History | None = None
        self.version = 0
        self.first = 0
        self.items: list[CompactReading] = []


_recent = _Recent()


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
