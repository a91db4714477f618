"""ShipmentState: everything the engine keeps per shipment, JSON-serialisable for a changelog."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from alerts.custody_checks import CompactCustody
from alerts.encoded import EncodingCache, History, exact
from alerts.eta import EtaState
from alerts.findings import Finding
from alerts.fold import ReadingFold
from alerts.lifecycle import AlertBook, to_datetime
from alerts.pending import PendingEvent, PendingIndex
from alerts.readings import CompactReading
from alerts.seen import SeenIds
from schemas.custody import Party
from schemas.manifest import ShipmentManifest

__all__ = ["STATE_FORMAT", "PendingEvent", "ShipmentState"]

STATE_FORMAT = 2
"""Version of the JSON layout; bump on an incompatible change. 2: ``seen`` as runs
(``alerts.seen.SeenIds.to_list``)."""

_READS = frozenset({1, STATE_FORMAT})
"""Layouts ``from_dict`` reads (1: ``seen`` as plain id strings, which ``SeenIds`` reads)."""

_PREFIX = b'{"format":%d,"shipment_id":' % STATE_FORMAT
"""The encoded state's first bytes (``to_dict``'s first keys), up to the shipment id."""


@dataclass(slots=True)
class ShipmentState:
    """The per-shipment state.

    - ``history``: readings sorted by ``(recorded_at, event_id)``, bounded, mostly kept as
      their JSON text (``alerts.encoded.History``); ``base`` is the
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
    marks: list[tuple[tuple[float, str], ReadingFold]] = field(
        default_factory=list, repr=False, compare=False
    )
    """Runtime cache, not serialised: fold checkpoints ``(sort key of last reading, fold)``."""
    since_mark: int = field(default=0, repr=False, compare=False)
    """Readings folded in order since the last checkpoint (runtime only)."""
    encoding: EncodingCache = field(
        default_factory=EncodingCache, init=False, repr=False, compare=False
    )
    """Runtime cache: the manifest's JSON (``to_bytes``)."""
    held: PendingIndex = field(default_factory=PendingIndex, init=False, repr=False, compare=False)
    """Runtime index of ``pending`` (ids, newest and oldest time) for ``engine._hold``."""

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

    def to_dict(self, *, full: bool = True) -> dict[str, Any]:
        """Compact JSON-able form (tuples become lists); without ``full`` the history,
        manifest and ETA mark keys hold None (``encodable`` fills them in from its cache)."""
        manifest = None
        if self.manifest is not None and full:
            manifest = self.manifest.model_dump(mode="json")
        return {
            "format": STATE_FORMAT,
            "shipment_id": self.shipment_id,
            "manifest": manifest,
            "history": [list(r) for r in self.history] if full else None,
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
            "eta_mark": _mark_list(mark) if full and (mark := self.eta_mark()) else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ShipmentState:
        """Inverse of ``to_dict``."""
        if data.get("format") not in _READS:
            raise ValueError(f"unsupported shipment state format {data.get('format')!r}")
        manifest = data["manifest"]
        floor = data["floor"]
        readings = [CompactReading.from_list(r) for r in data["history"]]
        state = cls(
            shipment_id=data["shipment_id"],
            manifest=None if manifest is None else ShipmentManifest.model_validate(manifest),
            history=History(readings),
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
        """Compact JSON text."""
        return self.to_bytes().decode("utf-8")

    def encodable(self) -> dict[str, Any]:
        """``to_dict`` for ``orjson.dumps`` only: the history (``History.encode``) and the
        manifest come as ``orjson.Fragment`` s of their kept JSON (see ``alerts.encoded``), so
        a checkpoint encodes only the new readings; the bytes are the same."""
        data = self.to_dict(full=False)
        data["history"] = orjson.Fragment(self.history.encode())
        if self.manifest is not None:
            data["manifest"] = self.encoding.manifest_fragment(self.manifest)
        mark = self.eta_mark()
        if mark is not None:
            data["eta_mark"] = self.encoding.mark_fragment(mark, _mark_list)
        return data

    def to_bytes(self) -> bytes:
        """The state as compact JSON bytes (what the changelog stores).

        Sized to fit (``alerts.encoded.exact``), and the very object of the last call when the
        bytes did not change (the one the table keeps); the history's text then points into
        these bytes (``History.embedded``) instead of being held a second time.
        """
        history = self.history
        previous = history.text
        out = orjson.dumps(self.encodable(), option=orjson.OPT_NON_STR_KEYS)
        out = previous if out == previous else exact(out)
        history.embedded(out, self._history_offset())
        return out

    def _history_offset(self) -> int:
        """Where the history's JSON starts in ``to_bytes`` (the keys before it: ``to_dict``)."""
        manifest = 4 if self.manifest is None else len(self.encoding.manifest_json)  # null
        return (
            len(_PREFIX)
            + len(orjson.dumps(self.shipment_id))
            + len(b',"manifest":')
            + manifest
            + len(b',"history":')
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> ShipmentState:
        """Inverse of ``to_json``."""
        return cls.from_dict(orjson.loads(text))


def _mark_list(mark: tuple[float, EtaState]) -> list[Any]:
    return [mark[0], mark[1].to_dict()]
