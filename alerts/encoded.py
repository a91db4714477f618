"""EncodingCache: a state's history and manifest JSON kept between checkpoints, so only new readings are encoded."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import orjson

from alerts.readings import CompactReading
from schemas.manifest import ShipmentManifest

__all__ = ["EncodingCache"]


@dataclass(slots=True)
class EncodingCache:
    """The JSON of a history prefix and of a manifest, as ``orjson.Fragment`` s.

    A history only grows at its end (in-order readings), takes a late reading inside, or
    loses a prefix (eviction). The cached text covers ``history[:count]`` and stays valid
    while that prefix is untouched: its first element is still ``first`` (nothing was
    evicted: evicted readings never come back) and its last is still ``last`` (a reading
    placed inside the prefix would have shifted it). Identity, not equality: the readings
    are the very objects encoded. Otherwise the whole history is encoded again.

    The fragments' bytes are exactly what ``orjson.dumps`` gives for the plain lists, so the
    stored state is byte for byte what it was without the cache.
    """

    count: int = 0
    first: CompactReading | None = None
    last: CompactReading | None = None
    items: bytes = b""
    """``history[:count]`` encoded, comma-separated, without the brackets."""
    manifest: ShipmentManifest | None = None
    manifest_json: orjson.Fragment | None = None

    def history(self, history: Sequence[CompactReading]) -> orjson.Fragment:
        """The JSON array of ``history`` (each reading as a list)."""
        count = self.count
        if count and (
            count > len(history)
            or history[0] is not self.first
            or history[count - 1] is not self.last
        ):
            count = 0
        items = self.items if count else b""
        if count < len(history):
            tail = orjson.dumps([list(r) for r in history[count:]])[1:-1]
            items = items + b"," + tail if items else tail
            self.count, self.first, self.last, self.items = (
                len(history),
                history[0],
                history[-1],
                items,
            )
        elif not history:
            self.count, self.first, self.last, self.items = 0, None, None, b""
        return orjson.Fragment(b"[" + items + b"]")

    def manifest_fragment(self, manifest: ShipmentManifest) -> orjson.Fragment:
        """The manifest's ``model_dump(mode="json")`` as JSON (models are immutable)."""
        if self.manifest is not manifest or self.manifest_json is None:
            self.manifest = manifest
            self.manifest_json = orjson.Fragment(orjson.dumps(manifest.model_dump(mode="json")))
        return self.manifest_json
