"""SeenIds: a shipment's recent event ids for de-duplication, as runs of logger sequence numbers."""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from typing import Any

__all__ = ["SeenIds"]

_OTHER = 0xFFFFFFFF
"""Run prefix index of an id not of the ``<prefix>:<seq>`` form (kept as its string)."""


_last: list[Any] = [None, None]
"""The last id parsed and its result: the engine asks ``in`` and then ``add`` for one id."""


def _parse(event_id: str) -> tuple[str, int] | None:
    """``(prefix, seq)`` when ``event_id`` is exactly ``f"{prefix}:{seq}"`` (seq canonical)."""
    last = _last
    if event_id is last[0]:
        parsed: tuple[str, int] | None = last[1]
        return parsed
    prefix, sep, digits = event_id.rpartition(":")
    if (
        not sep
        or not digits.isdigit()
        or not digits.isascii()
        or len(digits) > 18
        or (digits[0] == "0" and len(digits) > 1)
    ):
        parsed = None
    else:
        parsed = prefix, int(digits)
    last[0], last[1] = event_id, parsed
    return parsed


_NO_OTHERS: OrderedDict[str, None] = OrderedDict()
"""The ids of another form of every ``SeenIds`` that holds none, shared and never changed:
most hold only a logger's numbered ids, and an empty ``OrderedDict`` each took 128 bytes."""


class SeenIds:
    """Event ids remembered in insertion order, the oldest forgotten first; ``in`` answers
    exactly as a set of the strings would.

    Ids of the form ``<prefix>:<seq>`` (a logger's sequence number, ``LOG-0101:22254``) are
    kept as runs ``(prefix, first seq, count)`` of consecutive numbers added one after the
    other (the usual order: one run per shipment instead of one string and one dict entry
    per id), and for membership as sorted half-open intervals of sequence numbers per prefix.
    Other ids are kept as strings. The stored form (``to_list``) lists the runs in order: a
    run of one as its id, a longer one as ``[prefix, first, count]``; a list of plain id
    strings (the earlier format) reads the same way.
    """

    __slots__ = ("_count", "_first", "_head", "_index", "_others", "_prefix", "_ranges", "_size")

    def __init__(self, ids: Iterable[str | list[Any]] = ()) -> None:
        self._index: dict[str, int] = {}
        self._ranges: list[array[int]] = []
        """Per prefix index: sorted ``[lo, hi, lo, hi, ...]`` of the sequence numbers kept."""
        self._prefix = array("I")  # per run: prefix index, or _OTHER
        self._first = array("q")
        self._count = array("I")
        self._head = 0  # runs before it are forgotten
        self._others: OrderedDict[str, None] = _NO_OTHERS  # made at the first such id
        self._size = 0
        for item in ids:
            if isinstance(item, str):
                self.add(item)
            else:
                prefix, first, count = item
                self._add_run(str(prefix), int(first), int(count))

    # -- queries ---------------------------------------------------------------------------

    def __len__(self) -> int:
        return self._size

    def __contains__(self, event_id: object) -> bool:
        if not isinstance(event_id, str):
            return False
        parsed = _parse(event_id)
        if parsed is None:
            return event_id in self._others
        index = self._index.get(parsed[0])
        if index is None:
            return False
        return bisect_right(self._ranges[index], parsed[1]) & 1 == 1

    def __iter__(self) -> Iterator[str]:
        others = iter(self._others)
        prefixes = list(self._index)
        for run in range(self._head, len(self._prefix)):
            index = self._prefix[run]
            if index == _OTHER:
                yield next(others)
                continue
            prefix, first = prefixes[index], self._first[run]
            for seq in range(first, first + self._count[run]):
                yield f"{prefix}:{seq}"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, SeenIds):
            return self.to_list() == other.to_list()
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        return f"SeenIds({self.to_list()!r})"

    def to_list(self) -> list[str | list[Any]]:
        """The stored form: the runs in order (see the class docstring)."""
        out: list[str | list[Any]] = []
        others = iter(self._others)
        prefixes = list(self._index)
        for run in range(self._head, len(self._prefix)):
            index = self._prefix[run]
            if index == _OTHER:
                out.append(next(others))
            elif self._count[run] == 1:
                out.append(f"{prefixes[index]}:{self._first[run]}")
            else:
                out.append([prefixes[index], self._first[run], self._count[run]])
        return out

    # -- changes ---------------------------------------------------------------------------

    def add(self, event_id: str) -> None:
        """Remember an id not remembered yet (the newest)."""
        parsed = _parse(event_id)
        if parsed is None:
            others = self._others
            if others is _NO_OTHERS:
                self._others = others = OrderedDict()
            others[event_id] = None
            self._prefix.append(_OTHER)
            self._first.append(0)
            self._count.append(1)
            self._size += 1
            return
        self._add_run(parsed[0], parsed[1], 1)

    def popleft(self) -> None:
        """Forget the oldest id."""
        head = self._head
        if head >= len(self._prefix):
            raise KeyError("no event ids remembered")
        index = self._prefix[head]
        if index == _OTHER:
            self._others.popitem(last=False)
        else:
            seq = self._first[head]
            self._remove(self._ranges[index], seq)
            self._first[head] = seq + 1
        self._count[head] -= 1
        self._size -= 1
        if not self._count[head]:
            self._head = head = head + 1
            if head >= 64 and head * 2 >= len(self._prefix):
                self._compact()

    def _add_run(self, prefix: str, first: int, count: int) -> None:
        index = self._index.get(prefix)
        if index is None:
            index = self._index[prefix] = len(self._ranges)
            self._ranges.append(array("q"))
        self._insert(self._ranges[index], first, first + count)
        runs = self._prefix
        last = len(runs) - 1
        if (
            last >= self._head
            and runs[last] == index
            and self._first[last] + self._count[last] == first
        ):
            self._count[last] += count
        else:
            runs.append(index)
            self._first.append(first)
            self._count.append(count)
        self._size += count

    @staticmethod
    def _insert(ranges: array[int], lo: int, hi: int) -> None:
        """Add ``[lo, hi)`` (none of it kept yet) to the sorted intervals, merged with
        adjacent ones."""
        at = bisect_right(ranges, lo)  # even: lo falls between intervals
        joins_left = at > 0 and ranges[at - 1] == lo
        joins_right = at < len(ranges) and ranges[at] == hi
        if joins_left and joins_right:
            del ranges[at - 1 : at + 1]
        elif joins_left:
            ranges[at - 1] = hi
        elif joins_right:
            ranges[at] = lo
        else:
            ranges[at:at] = array("q", (lo, hi))

    @staticmethod
    def _remove(ranges: array[int], seq: int) -> None:
        """Drop ``seq`` (kept) from the intervals."""
        at = bisect_right(ranges, seq)  # odd: inside [ranges[at - 1], ranges[at])
        lo, hi = ranges[at - 1], ranges[at]
        if lo == seq and hi == seq + 1:
            del ranges[at - 1 : at + 1]
        elif lo == seq:
            ranges[at - 1] = seq + 1
        elif hi == seq + 1:
            ranges[at] = seq
        else:
            ranges[at:at] = array("q", (seq, seq + 1))

    def _compact(self) -> None:
        """Drop the forgotten runs and the prefixes no run uses any more."""
        runs = self.to_list()
        self._index, self._ranges = {}, []
        self._prefix, self._first, self._count = array("I"), array("q"), array("I")
        self._head = self._size = 0
        self._others = _NO_OTHERS
        for item in runs:
            if isinstance(item, str):
                self.add(item)
            else:
                self._add_run(item[0], item[1], item[2])
