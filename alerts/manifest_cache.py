"""PerManifest: one value derived from a manifest, kept on the manifest object itself."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from schemas.manifest import ShipmentManifest

__all__ = ["PerManifest"]

_V = TypeVar("_V")


class PerManifest(Generic[_V]):
    """Values derived from manifests (a rule set, a route plan), one per manifest object.

    Each value is kept in the manifest's instance dict, under a key no field has: pydantic's
    equality, dumps and repr read only the fields, and the value goes when the manifest does.
    A dict by ``id`` with a ``weakref.finalize`` per entry (to drop it with its manifest) took
    582 bytes a manifest for the rule sets and 1,058 for the route plans, beside the states
    the walk of ``benchmarks/bench_state_memory.py`` counts; a dict cleared past 4,096
    entries missed every lookup at 10,000 shipments. A value is taken only by the object it
    was put on (a copy of the manifest, whose fields may differ, gets its own), and ``tag``
    tells values of one manifest apart (the rule config): a value of another tag is replaced.
    """

    __slots__ = ("_key",)

    def __init__(self, name: str) -> None:
        self._key = f"__derived_{name}__"

    def get(self, manifest: ShipmentManifest, tag: object = None) -> _V | None:
        """The value kept for ``manifest`` and ``tag`` (None if none)."""
        item: tuple[int, object, Any] | None = manifest.__dict__.get(self._key)
        if item is not None and item[0] == id(manifest) and item[1] is tag:
            value: _V = item[2]
            return value
        return None

    def put(self, manifest: ShipmentManifest, value: _V, tag: object = None) -> _V:
        """Keep ``value`` for ``manifest`` and ``tag``; returns it."""
        manifest.__dict__[self._key] = (id(manifest), tag, value)
        return value
