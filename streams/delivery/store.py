"""Durable retry state: outbox entries, parked alerts and gone markers in a changelog-backed table."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
from pydantic import ValidationError

from alerts.webhooks.outbox import OutboxEntry
from alerts.webhooks.routing import ShipmentSites

__all__ = ["OutboxStore", "SitesStore", "outbox_key"]

_SEP = "\x1f"
_OUTBOX, _PARKED, _GONE = "o", "p", "g"


def outbox_key(subscriber_id: str, alert_id: str) -> bytes:
    """Table key of one subscriber's entry for one alert."""
    return f"{_OUTBOX}{_SEP}{subscriber_id}{_SEP}{alert_id}".encode()


def _key(kind: str, name: str) -> bytes:
    return f"{kind}{_SEP}{name}".encode()


class OutboxStore:
    """Reads and writes the ``webhook-outbox`` Faust table (memory store, Kafka changelog).

    Entries change in memory (:meth:`put`, :meth:`delete`) and reach the changelog on
    :meth:`flush`, once per key however often it changed, in the partition of the shipment
    the entry belongs to, so a restarted or rebalanced worker recovers exactly the entries of
    the partitions it owns. An entry that became idle before it was ever written (delivered
    between two flushes) is never written at all: the common healthy case costs no changelog
    record. Offsets of alerts must be acknowledged only after the flush that follows their
    intake. :meth:`reload` rebuilds the decoded entries from the table after a recovery."""

    def __init__(self, table: Any) -> None:
        self._table = table
        self._entries: dict[bytes, OutboxEntry] = {}
        self._dirty: dict[bytes, int] = {}  # key -> partition
        self._persisted: set[bytes] = set()

    def reload(self, partitions: set[int]) -> None:
        """Decode the entries of ``partitions`` (after start-up or a rebalance)."""
        self._entries = {}
        self._dirty = {}
        self._persisted = set()
        for key, raw in list(self._table.data.items()):
            if raw is None or not bytes(key).startswith(_OUTBOX.encode()):
                continue
            try:
                entry = OutboxEntry.model_validate_json(raw)
            except ValidationError:
                continue
            if entry.partition in partitions:
                self._entries[bytes(key)] = entry
                self._persisted.add(bytes(key))

    def get(self, key: bytes) -> OutboxEntry | None:
        return self._entries.get(key)

    def put(self, key: bytes, entry: OutboxEntry) -> None:
        self._entries[key] = entry
        self._dirty[key] = entry.partition

    def delete(self, key: bytes) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._dirty[key] = entry.partition

    def flush(self) -> int:
        """Write every changed entry to the changelog; returns the records written."""
        written = 0
        dirty, self._dirty = self._dirty, {}
        for key, partition in dirty.items():
            entry = self._entries.get(key)
            if entry is None or (entry.alert is None and key not in self._persisted):
                if key in self._persisted:
                    self._write(partition, key, None)
                    self._persisted.discard(key)
                    written += 1
                continue
            self._write(entry.partition, key, entry.model_dump_json().encode())
            self._persisted.add(key)
            written += 1
        return written

    def entries(self) -> Iterator[tuple[bytes, OutboxEntry]]:
        yield from list(self._entries.items())

    def parked(self, shipment_id: str) -> dict[str, Any] | None:
        """Alerts waiting for a shipment's sites: ``{"partition", "since", "alerts"}``."""
        raw = self._table.data.get(_key(_PARKED, shipment_id))
        return orjson.loads(raw) if raw else None

    def all_parked(self) -> Iterator[tuple[str, dict[str, Any]]]:
        prefix = f"{_PARKED}{_SEP}".encode()
        for key, raw in list(self._table.data.items()):
            if raw is not None and bytes(key).startswith(prefix):
                yield bytes(key)[len(prefix) :].decode(), orjson.loads(raw)

    def park(self, shipment_id: str, parked: dict[str, Any]) -> None:
        self._write(parked["partition"], _key(_PARKED, shipment_id), orjson.dumps(parked))

    def unpark(self, shipment_id: str, partition: int) -> None:
        self._write(partition, _key(_PARKED, shipment_id), None)

    def gone(self, subscriber_id: str) -> dict[str, Any] | None:
        """The marker of an endpoint disabled by HTTP 410: ``{"url_sha256", "at"}``."""
        raw = self._table.data.get(_key(_GONE, subscriber_id))
        return orjson.loads(raw) if raw else None

    def mark_gone(self, subscriber_id: str, marker: dict[str, Any], partitions: set[int]) -> None:
        """Record a disabled endpoint in every partition this worker owns."""
        value = orjson.dumps(marker)
        for partition in partitions:
            self._write(partition, _key(_GONE, subscriber_id), value)

    def _write(self, partition: int, key: bytes, value: bytes | None) -> None:
        if value is None:
            self._table.data.pop(key, None)
        else:
            self._table.data[key] = value
        self._table.send_changelog(partition, key, value)


class SitesStore:
    """Origin and destination of every shipment, from manifests (``webhook-sites`` table)."""

    def __init__(self, table: Any) -> None:
        self._table = table

    def get(self, shipment_id: str) -> ShipmentSites | None:
        raw = self._table.data.get(shipment_id.encode())
        if not raw:
            return None
        value = orjson.loads(raw)
        return ShipmentSites(origin=value["origin"], destination=value["destination"])

    def put(self, shipment_id: str, sites: ShipmentSites, partition: int) -> bool:
        """Store; False when nothing changed (no changelog write)."""
        key = shipment_id.encode()
        value = orjson.dumps({"origin": sites.origin, "destination": sites.destination})
        if self._table.data.get(key) == value:
            return False
        self._table.data[key] = value
        self._table.send_changelog(partition, key, value)
        return True
