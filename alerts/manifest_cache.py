"""PerManifest: one value derived from a manifest per live manifest object, found by identity."""

from __future__ import annotations

import weakref
from typing import Generic, TypeVar

from schemas.manifest import ShipmentManifest

__all__ = ["PerManifest"]

_V = TypeVar("_V")


class PerManifest(Generic[_V]):
    """Values derived from manifests (a rule set, a route plan), one per live manifest object.

    Found by identity: hashing a pydantic model per reading is slow. The entry goes when its
    manifest is collected (``weakref.finalize``), so the cache holds as many entries as there
    are live manifests and never keeps one alive. (A dict cleared past 4,096 entries missed
    every lookup at 10,000 shipments.) ``tag`` tells values of one manifest apart (the rule
    config); a value of another tag is replaced.
    """

    __slots__ = ("_items",)

    def __init__(self) -> None:
        self._items: dict[int, tuple[weakref.ref[ShipmentManifest], object, _V]] = {}

    def get(self, manifest: ShipmentManifest, tag: object = None) -> _V | None:
        """The value kept for ``manifest`` and ``tag`` (None if none)."""
        item = self._items.get(id(manifest))
        if item is not None and item[0]() is manifest and item[1] is tag:
            return item[2]
        return None

    def put(self, manifest: ShipmentManifest, value: _V, tag: object = None) -> _V:
        """Keep ``value`` for ``manifest`` and ``tag``; returns it."""
        key = id(manifest)
        item = self._items.get(key)
        if item is None or item[0]() is not manifest:
            weakref.finalize(manifest, self._items.pop, key, None)
        self._items[key] = (weakref.ref(manifest), tag, value)
        return value

    def __len__(self) -> int:
        return len(self._items)
