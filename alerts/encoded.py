"""EncodingCache: a state's history and manifest JSON kept between checkpoints, so only new readings are encoded."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import orjson

from alerts.readings import CompactReading
from schemas.manifest import ShipmentManifest

__all__ = ["EncodingCache", "exact"]


def exact(data: bytes) -> bytes:
    """``data`` in a buffer of its own size: ``orjson.dumps`` returns its output in the buffer
    it grew while writing (4 KiB at least, then doubled), which a kept result holds on to."""
    return bytes(memoryview(data))


@dataclass(slots=True)
class EncodingCache:
    """The JSON of a history prefix and of a manifest, as ``orjson.Fragment`` s.

    A history only grows at its end (in-order readings), takes a late reading inside, or
    loses a prefix (eviction). The cached text covers ``history[:count]`` and stays valid
    while that prefix is untouched: its first element is still ``first`` (nothing was
    evicted: evicted readings never come back) and its last is still ``last`` (a reading
    placed inside the prefix would have shifted it). Identity, not equality: the readings
    are the very objects encoded. Otherwise the whole history is encoded again.

    The text is not kept apart: ``text[start:end]`` holds it, where ``text`` is the last
    fragment or, once ``embedded`` was told, the state bytes that fragment went into (the
    bytes the changelog table keeps anyway), so the history's JSON is held once.

    The fragments' bytes are exactly what ``orjson.dumps`` gives for the plain lists, so the
    stored state is byte for byte what it was without the cache.
    """

    count: int = 0
    first: CompactReading | None = None
    last: CompactReading | None = None
    text: bytes = b"[]"
    """Bytes holding ``history[:count]`` encoded, comma-separated, at ``[start:end]``."""
    start: int = 1
    end: int = 1
    manifest: ShipmentManifest | None = None
    manifest_json: bytes = b""
    manifest_fragment_: orjson.Fragment | None = None

    @property
    def items(self) -> bytes:
        """The cached ``history[:count]`` text, comma-separated, without the brackets."""
        return self.text[self.start : self.end]

    def history(self, history: Sequence[CompactReading]) -> orjson.Fragment:
        """The JSON array of ``history`` (each reading as a list)."""
        count = self.count
        if count and (
            count > len(history)
            or history[0] is not self.first
            or history[count - 1] is not self.last
        ):
            count = 0
        if count < len(history):
            tail = orjson.dumps([list(r) for r in history[count:]])
            if count:  # "[" + cached items + "," + the tail's items and "]", in one copy
                text = b"".join(
                    (b"[", memoryview(self.text)[self.start : self.end], b",", memoryview(tail)[1:])
                )
            else:
                text = exact(tail)
            self.count, self.first, self.last = len(history), history[0], history[-1]
        elif not history:
            self.count, self.first, self.last = 0, None, None
            text = b"[]"
        elif self.start == 1 and self.end == len(self.text) - 1:
            text = self.text  # the cache is the last fragment itself
        else:
            text = b"".join((b"[", memoryview(self.text)[self.start : self.end], b"]"))
        self.text, self.start, self.end = text, 1, len(text) - 1
        return orjson.Fragment(text)

    def embedded(self, whole: bytes, offset: int) -> None:
        """The last fragment went into ``whole`` at ``offset``: keep the text from there.
        Checked, so a wrong offset only keeps the fragment (never wrong text)."""
        text = self.text
        if whole is not text and whole.startswith(text, offset):
            self.text, self.start, self.end = whole, offset + 1, offset + len(text) - 1

    def manifest_fragment(self, manifest: ShipmentManifest) -> orjson.Fragment:
        """The manifest's ``model_dump(mode="json")`` as JSON (models are immutable)."""
        if self.manifest is not manifest or self.manifest_fragment_ is None:
            self.manifest = manifest
            self.manifest_json = exact(orjson.dumps(manifest.model_dump(mode="json")))
            self.manifest_fragment_ = orjson.Fragment(self.manifest_json)
        return self.manifest_fragment_
