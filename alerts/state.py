"""ShipmentState: everything the engine keeps per shipment, JSON-serialisable for a changelog."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from alerts.custody_checks import CompactCustody
from alerts.encoded import EncodingCache, History
from alerts.eta import EtaState
from alerts.findings import Finding
from alerts.fold import FrozenFold, ReadingFold
from alerts.lifecycle import AlertBook, to_datetime
from alerts.pending import PendingEvent, PendingIndex
from alerts.readings import CompactReading
from alerts.seen import SeenIds
from schemas.custody import Party
from schemas.manifest import ShipmentManifest

__all__ = ["DOCUMENT_FORMAT", "STATE_FORMAT", "PendingEvent", "ShipmentState"]

STATE_FORMAT = 4
"""Version of the stored record's JSON layout (``record``); bump on an incompatible change.
3: the history as numbered chunks stored apart (``alerts.encoded.History``); 4: chunks sealed
as columns (``alerts.encoded.seal_chunk``; a build that reads only 3 would fail on them, so
it refuses the record instead). Chunks sealed as rows still read."""

DOCUMENT_FORMAT = 2
"""Version of the one-document layout (``to_dict``: the history inline). 2: ``seen`` as runs
(``alerts.seen.SeenIds.to_list``)."""

_READS = frozenset({1, DOCUMENT_FORMAT, 3, STATE_FORMAT})
"""Layouts ``from_dict`` reads (1: ``seen`` as plain id strings, which ``SeenIds`` reads)."""


@dataclass(slots=True)
class ShipmentState:
    """The per-shipment state.

    - ``history``: readings sorted by ``(recorded_at, event_id)``, bounded, mostly kept as
      sealed, compressed JSON chunks stored apart (``alerts.encoded.History``); ``base`` is the
      fold of the readings evicted from it and ``floor`` the sort key of the last evicted
      one, so ``fold`` (the live result) always equals ``base`` folded over ``history``.
    - ``seen``: recent event ids (insertion-ordered, bounded) for de-duplication, as runs of
      logger sequence numbers (``alerts.seen``).
    - ``custody``: custody events sorted by ``(occurred_at, event_id)``.
    - ``book``: emitted alert snapshots and episode counters.
    - ``pending``: events that arrived before the manifest, in arrival order.
    - ``latest_t``: the latest event time seen; ``clock``: the latest live clock from ``tick``.
    - ``eta``: the ETA rules' track, last published window and ETA alert episodes;
      ``eta_base`` the ETA state after every event up to ``eta_base_t`` (the evicted
      readings), where a replay of the history starts (``alerts.eta.rederive``).
    - ``deferred``: late readings were placed and the ``engine.DEFERRED_TYPES`` wait for
      the next in-order reading, ``tick`` or ``settle``.
    """

    shipment_id: str
    manifest: ShipmentManifest | None = None
    history: History = field(default_factory=History)
    base: ReadingFold = field(default_factory=ReadingFold)
    floor: tuple[float, str] | None = None
    fold: ReadingFold = field(default_factory=ReadingFold)
    seen: SeenIds = field(default_factory=SeenIds)
    custody: list[CompactCustody] = field(default_factory=list)
    departed: float | None = None
    delivered: float | None = None
    transit: Finding | None = None
    latest_t: float | None = None
    clock: float | None = None
    deferred: bool = False
    eta: EtaState = field(default_factory=EtaState)
    eta_base: EtaState | None = None
    eta_base_t: float | None = None
    book: AlertBook = field(init=False)
    pending: list[PendingEvent] = field(default_factory=list)
    marks: list[tuple[tuple[float, str], FrozenFold]] = field(
        default_factory=list, repr=False, compare=False
    )
    """Runtime cache, not serialised: fold checkpoints ``(sort key of last reading, the fold
    frozen)`` (``ReadingFold.frozen``)."""
    since_mark: int = field(default=0, repr=False, compare=False)
    """Readings folded in order since the last checkpoint (runtime only)."""
    encoding: EncodingCache = field(
        default_factory=EncodingCache, init=False, repr=False, compare=False
    )
    """Runtime cache: the manifest's and the ETA mark's JSON (``record``)."""
    held: PendingIndex | None = field(default=None, init=False, repr=False, compare=False)
    """Runtime index of ``pending`` (ids, newest and oldest time) for ``engine._hold``, made
    at the first held event (an empty index took 288 bytes a state that never held one)."""

    def __post_init__(self) -> None:
        self.book = AlertBook(self.shipment_id)

    def custody_intervals(self) -> list[tuple[datetime, datetime | None, Party]]:
        """Who held the shipment when: ``(from, until or None, party)`` per handoff, in
        ``occurred_at`` order (each party holds it until the next handoff)."""
        handoffs = [c for c in self.custody if c.to_id is not None]
        out: list[tuple[datetime, datetime | None, Party]] = []
        for i, c in enumerate(handoffs):
            until = handoffs[i + 1].t if i + 1 < len(handoffs) else None
            party = Party(party_id=str(c.to_id), role=c.to_role)
            out.append((to_datetime(c.t), None if until is None else to_datetime(until), party))
        return out

    def custodian_at(self, moment: datetime) -> Party | None:
        """The custodian at ``moment``: the ``to_party`` of the latest handoff at or before it."""
        held = None
        for start, _, party in self.custody_intervals():
            if start > moment:
                break
            held = party
        return held

    def to_dict(self) -> dict[str, Any]:
        """The whole state as one JSON-able document (tuples become lists, the history
        inline): ``from_dict`` reads it back without any chunk."""
        data = self._fields()
        data["format"] = DOCUMENT_FORMAT
        if self.manifest is not None:
            data["manifest"] = self.manifest.model_dump(mode="json")
        data["history"] = [list(r) for r in self.history]
        mark = self.eta_mark()
        data["eta_mark"] = None if mark is None else _mark_list(mark)
        return data

    def record(self) -> dict[str, Any]:
        """The state's own changelog record, for ``orjson.dumps`` only: the history as
        ``History.stored_form`` (the sealed chunks are records of their own, see
        ``streams.state_store``), the manifest and the ETA mark as ``orjson.Fragment`` s of
        their JSON, each encoded once (``EncodingCache``). Call ``history.seal()`` first."""
        data = self._fields()
        data["history"] = self.history.stored_form()
        if self.manifest is not None:
            data["manifest"] = self.encoding.manifest_fragment(self.manifest)
        mark = self.eta_mark()
        if mark is not None:
            data["eta_mark"] = self.encoding.mark_fragment(mark, _mark_list)
        return data

    def _fields(self) -> dict[str, Any]:
        """Every key of the stored forms; the manifest, history and ETA mark still None."""
        return {
            "format": STATE_FORMAT,
            "shipment_id": self.shipment_id,
            "manifest": None,
            "history": None,
            "base": self.base.to_dict(),
            "floor": None if self.floor is None else list(self.floor),
            "fold": self.fold.to_dict(),
            "seen": self.seen.to_list(),
            "custody": [list(c) for c in self.custody],
            "departed": self.departed,
            "delivered": self.delivered,
            "transit": None if self.transit is None else self.transit.to_list(),
            "latest_t": self.latest_t,
            "clock": self.clock,
            "deferred": self.deferred,
            "eta": self.eta.to_dict(),
            "eta_base": None if self.eta_base is None else self.eta_base.to_dict(),
            "eta_base_t": self.eta_base_t,
            "book": self.book.to_dict(),
            "pending": self.pending,
            "eta_mark": None,
        }

    @classmethod
    def from_dict(
        cls, data: dict[str, Any], chunk: Callable[[int], bytes] | None = None
    ) -> ShipmentState:
        """Inverse of ``to_dict`` and of ``record`` (whose history chunks ``chunk(number)``
        returns as stored)."""
        if data.get("format") not in _READS:
            raise ValueError(f"unsupported shipment state format {data.get('format')!r}")
        manifest = data["manifest"]
        floor = data["floor"]
        stored = data["history"]
        if isinstance(stored, dict):
            if chunk is None:
                raise ValueError("a stored shipment state needs its history chunks to load")
            history = History.restored(stored, chunk)
        else:
            history = History([CompactReading.from_list(r) for r in stored])
        state = cls(
            shipment_id=data["shipment_id"],
            manifest=None if manifest is None else ShipmentManifest.model_validate(manifest),
            history=history,
            base=ReadingFold.from_dict(data["base"]),
            floor=None if floor is None else (float(floor[0]), str(floor[1])),
            fold=ReadingFold.from_dict(data["fold"]),
            seen=SeenIds(data["seen"]),
            custody=[CompactCustody.from_list(c) for c in data["custody"]],
            departed=data["departed"],
            delivered=data["delivered"],
            transit=None if data["transit"] is None else Finding.from_list(data["transit"]),
            latest_t=data["latest_t"],
            clock=data["clock"],
            deferred=data["deferred"],
            eta=EtaState.from_dict(data["eta"]) if "eta" in data else EtaState(),
            eta_base=EtaState.from_dict(data["eta_base"]) if data.get("eta_base") else None,
            eta_base_t=data.get("eta_base_t"),
            pending=[list(p) for p in data["pending"]],
        )
        state.book = AlertBook.from_dict(state.shipment_id, data["book"])
        mark = data.get("eta_mark")
        if mark:
            state.eta.marks = [(float(mark[0]), EtaState.from_dict(mark[1]))]
        return state

    def eta_mark(self) -> tuple[float, EtaState] | None:
        """The newest ETA replay mark (``alerts.eta.rederive``), stored with the state so that
        a restored state's first settle resumes there instead of replaying its whole history
        (5-24 ms per shipment for 100-1,000 kept readings, against 0.2-0.3 ms). None when a
        replay could not resume there (late events before it, or the history cut after it)."""
        marks = self.eta.marks
        if not marks:
            return None
        mark = marks[-1]
        base_t = self.eta_base_t
        if mark[1].dirty or (base_t is not None and mark[0] < base_t):
            return None
        return mark

    def to_json(self) -> str:
        """The whole state as one compact JSON document (``to_dict``)."""
        return orjson.dumps(self.to_dict(), option=orjson.OPT_NON_STR_KEYS).decode("utf-8")

    @classmethod
    def from_json(cls, text: str | bytes) -> ShipmentState:
        """Inverse of ``to_json``."""
        return cls.from_dict(orjson.loads(text))


def _mark_list(mark: tuple[float, EtaState]) -> list[Any]:
    return [mark[0], mark[1].to_dict()]
