"""Alert lifecycle: stable alert ids, versions, and only the real changes emitted."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from alerts.findings import SEVERITIES, Finding
from alerts.messages import custodian_suffix, message
from schemas.alert import Alert, AlertStatus, content_digest

__all__ = ["AlertBook", "Custodian", "alert_status", "to_datetime"]

Holder = tuple[str, str | None] | None
"""A custodian as ``(party_id, role)``, or None when unknown."""
Custodian = Callable[[float], Holder]
"""The custodian at an epoch time."""


def to_datetime(epoch_s: float) -> datetime:
    """An epoch time in seconds as an aware UTC datetime."""
    return datetime.fromtimestamp(epoch_s, UTC)


def _iso(epoch_s: float | None) -> str | None:
    return None if epoch_s is None else to_datetime(epoch_s).isoformat().replace("+00:00", "Z")


def alert_status(content: dict[str, Any]) -> AlertStatus:
    """An alert version's status from its content (``AlertBook`` contents)."""
    if content["resolved_t"] is not None:
        return "resolved"
    return "updated" if content["updated_t"] > content["raised_t"] else "open"


def _prefix(anchor: str) -> str:
    return anchor.partition("@")[0] if "@" in anchor else anchor


def _overlaps(a_open: float, a_end: float, b_open: float, b_end: float) -> bool:
    return a_open <= b_end and b_open <= a_end


def _number(alert_id: str) -> int:
    return int(alert_id.rsplit(":", 1)[1])


@dataclass(slots=True)
class AlertBook:
    """What has been emitted for one shipment: ``(type, anchor)`` -> alert id -> last version.

    - ``alert_id`` is ``<shipment_id>:<type>:<n>`` with ``n`` counting that type's alerts in
      the order they were first emitted; it keeps its meaning (one physical episode).
    - When a late event changes an episode's anchor (it starts earlier, or two episodes merge),
      the new episode takes over the id of the earliest emitted alert it overlaps; an emitted
      alert whose episode no longer exists is resolved with ``details.superseded_by`` (the id
      that now covers it) or ``details.withdrawn`` (nothing covers it any more).
    - ``version`` grows by one with every change of content; nothing is emitted otherwise.
    - ``status`` follows from the content, not from the version, so that the final alert does
      not depend on how many corrections led to it: ``resolved`` once it has ``resolved_at``,
      ``updated`` when the episode has moved on since the alert was raised (``updated_at``
      later than the moment the condition, after any delay, was first met), else ``open`` (a late custodian correction leaves an ``open`` alert ``open``).
    - ``fence``: versions already on the topic that this book did not emit (a worker that
      crashed published them after the state's last checkpoint; ``fence_published``), as
      ``alert id -> (last version, {version: content digest})``. Re-applying the same
      events in another interleaving of the topics may give one of those versions other
      contents: such an emission is numbered after the last one instead, so one version
      never has two contents on the topic. An emission with the same contents keeps its
      version (a repeat, which consumers drop by ``alert_id`` + ``version``).
    """

    shipment_id: str
    anchors: dict[str, str] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)
    emitted: dict[str, list[Any]] = field(default_factory=dict)
    fence: dict[str, tuple[int, dict[int, str]]] = field(default_factory=dict)
    _last: dict[str, tuple[Finding, Holder, str | None]] = field(
        default_factory=dict, repr=False, compare=False
    )
    """Cache (not serialised): the finding and enrichment each alert was last built from."""

    def reconcile(
        self,
        findings: Iterable[Finding],
        *,
        complete: bool,
        coi_id: str | None,
        custodian: Custodian,
        skip: frozenset[str] = frozenset(),
    ) -> list[Alert]:
        """Emit the alert versions that bring the emitted state in line with ``findings``.

        With ``complete`` the findings are the whole derivation, so emitted alerts missing
        from it are superseded or withdrawn; otherwise they are only the changed ones.
        Alert types in ``skip`` are left as they are, emitted or not.
        """
        derived = sorted(
            (f for f in findings if f.type not in skip), key=lambda f: (f.opened_at, f.key)
        )
        keys = {f.key for f in derived}
        orphans: dict[str, str] = {}
        if complete:
            orphans = {
                aid: key
                for key, aid in self.anchors.items()
                if key not in keys and key.partition("|")[0] not in skip
            }
        for f in derived:
            if f.key not in self.anchors:
                self.anchors[f.key] = self._take_over(f, orphans) or self._new_id(f.type)
        out: list[Alert] = []
        last = self._last
        for f in derived:
            aid = self.anchors[f.key]
            holder = custodian(f.opened_at)
            seen = last.get(aid)
            if seen is not None and seen[0] == f and seen[1] == holder and seen[2] == coi_id:
                continue
            self._emit(aid, self._content(f, coi_id, holder), coi_id, out)
            last[aid] = (f, holder, coi_id)
        for aid in sorted(orphans, key=lambda a: (a.rsplit(":", 1)[0], _number(a))):
            key = orphans[aid]
            del self.anchors[key]
            self._last.pop(aid, None)
            self._emit(aid, self._retired(aid, key, derived), coi_id, out)
        if complete:
            self._reenrich_retired(custodian, coi_id, skip, out)
        return out

    def _reenrich_retired(
        self, custodian: Custodian, coi_id: str | None, skip: frozenset[str], out: list[Alert]
    ) -> None:
        """Withdrawn and superseded alerts keep naming the custodian at their opening time:
        custody that arrives after an alert was retired still corrects it, as it would have
        had it arrived before (the final alerts must not depend on arrival order)."""
        anchored = set(self.anchors.values())
        for aid in sorted(self.emitted, key=lambda a: (a.rsplit(":", 1)[0], _number(a))):
            content = self.emitted[aid][1]
            if aid in anchored or content["type"] in skip:
                continue
            holder = custodian(content["opened_t"])
            wanted = None if holder is None else list(holder)
            if content["custodian"] == wanted:
                continue
            note = content.get("note", "")
            text = content["message"].removeprefix(note)
            old = content["custodian"]
            if old is not None:
                text = text.removesuffix(custodian_suffix((old[0], old[1])))
            updated = dict(content)
            updated.update(custodian=wanted, message=note + text + custodian_suffix(holder))
            self._emit(aid, updated, coi_id, out)

    def retire(self, keys: set[str], before: float) -> None:
        """Forget the alerts of the episodes ``keys`` (their findings retired) and the
        superseded or withdrawn alerts resolved before ``before``. Their ids stay taken (the
        counters keep counting); a custody correction that arrives later no longer
        re-versions them."""
        anchors, emitted, last, fence = self.anchors, self.emitted, self._last, self.fence
        for key in keys:
            aid = anchors.pop(key, None)
            if aid is not None:
                emitted.pop(aid, None)
                last.pop(aid, None)
                fence.pop(aid, None)
        anchored = set(anchors.values())
        for aid in [
            aid
            for aid, (_, c) in emitted.items()
            if aid not in anchored and c["resolved_t"] is not None and c["resolved_t"] < before
        ]:
            del emitted[aid]
            fence.pop(aid, None)

    def fence_published(self, published: Mapping[str, Mapping[int, str]]) -> bool:
        """Learn the versions of this shipment's alerts already on the topic
        (``alert id -> {version: content_digest}``): those this book has not emitted are
        fenced (see the class). Versions up to the book's own are its own; an id not in the
        book that its counters have passed was retired and is never emitted again. True when
        it fenced any."""
        prefix = len(self.shipment_id) + 1
        fenced_any = False
        for aid, digests in published.items():
            snapshot = self.emitted.get(aid)
            if snapshot is None:
                kind = aid[prefix : aid.rindex(":")]
                if _number(aid) <= self.counters.get(kind, 0):
                    continue
            own = 0 if snapshot is None else snapshot[0]
            ahead = {v: d for v, d in digests.items() if v > own}
            fenced = self.fence.get(aid)
            if fenced is not None:
                ahead = {**fenced[1], **ahead}
            if ahead and (fenced is None or ahead != fenced[1]):
                self.fence[aid] = (max(ahead), ahead)
                fenced_any = True
        return fenced_any

    def _past_fence(self, aid: str, alert: Alert) -> Alert:
        """``alert`` numbered after the fenced versions if it would give one of them other
        contents; the fence on ``aid`` is lifted once the book's version reaches the last."""
        fenced = self.fence.get(aid)
        if fenced is None:
            return alert
        last, digests = fenced
        version = alert.version
        if version <= last and digests.get(version) != content_digest(alert):
            version = last + 1
            alert = alert.model_copy(update={"version": version})
        if version >= last:
            del self.fence[aid]
        return alert

    def _new_id(self, kind: str) -> str:
        n = self.counters.get(kind, 0) + 1
        self.counters[kind] = n
        return f"{self.shipment_id}:{kind}:{n}"

    def _take_over(self, f: Finding, orphans: dict[str, str]) -> str | None:
        prefix = _prefix(f.anchor)
        best: str | None = None
        for aid, key in orphans.items():
            kind, _, anchor = key.partition("|")
            if kind != f.type or _prefix(anchor) != prefix or "@" not in anchor:
                continue
            c = self.emitted[aid][1]
            end = c["resolved_t"] if c["resolved_t"] is not None else float("inf")
            if not _overlaps(c["opened_t"], end, f.opened_at, f.end):
                continue
            if best is None or _number(aid) < _number(best):
                best = aid
        if best is not None:
            del self.anchors[orphans.pop(best)]
        return best

    def _retired(self, aid: str, key: str, derived: list[Finding]) -> dict[str, Any]:
        previous = dict(self.emitted[aid][1])
        details = dict(previous["details"])
        details.pop("withdrawn", None)
        details.pop("superseded_by", None)
        kind, _, anchor = key.partition("|")
        end = previous["resolved_t"] if previous["resolved_t"] is not None else float("inf")
        successor = next(
            (
                self.anchors[f.key]
                for f in derived
                if f.type == kind
                and "@" in anchor
                and _prefix(f.anchor) == _prefix(anchor)
                and _overlaps(previous["opened_t"], end, f.opened_at, f.end)
            ),
            None,
        )
        if successor is not None:
            details["superseded_by"] = successor
            note = f"Superseded by {successor}: "
        else:
            details["withdrawn"] = True
            note = "Withdrawn after late data: "
        resolved = (
            previous["resolved_t"] if previous["resolved_t"] is not None else previous["updated_t"]
        )
        previous.update(
            details=details,
            resolved_t=resolved,
            updated_t=max(previous["updated_t"], resolved),
            message=note + previous["message"].removeprefix(previous.get("note", "")),
            note=note,
        )
        return previous

    def _content(self, f: Finding, coi_id: str | None, holder: Holder) -> dict[str, Any]:
        details = {
            k: (_iso(v) if k.endswith("_at") and isinstance(v, float) else v)
            for k, v in f.details.items()
        }
        return {
            "type": f.type,
            "coi_id": coi_id,
            "opened_t": f.opened_at,
            "updated_t": f.updated_at,
            "resolved_t": f.resolved_at,
            "raised_t": f.raised,
            "custodian": None if holder is None else list(holder),
            "location": None if f.location is None else list(f.location),
            "details": details,
            "message": message(f, holder),
        }

    def _emit(
        self, aid: str, content: dict[str, Any], coi_id: str | None, out: list[Alert]
    ) -> None:
        snapshot = self.emitted.get(aid)
        if snapshot is not None and snapshot[1] == content:
            return
        version = 1 if snapshot is None else snapshot[0] + 1
        alert = self._alert(aid, version, content)
        if self.fence:  # only after another worker crashed (see fence_published)
            alert = self._past_fence(aid, alert)
        self.emitted[aid] = [alert.version, content]
        out.append(alert)

    def _alert(self, aid: str, version: int, c: dict[str, Any]) -> Alert:
        """The alert version, validated in one call from plain data: pydantic builds the
        custodian and location models itself (6.1-7.2 µs an alert, where their models made
        here first took 7.4-10.2: ``benchmarks/bench_alert_build.py``)."""
        holder = c["custodian"]
        loc = c["location"]
        return Alert.model_validate(
            {
                "alert_id": aid,
                "version": version,
                "status": alert_status(c),
                "type": c["type"],
                "severity": c["details"].get("severity") or SEVERITIES.get(c["type"], "warning"),
                "shipment_id": self.shipment_id,
                "coi_id": c["coi_id"],
                "opened_at": to_datetime(c["opened_t"]),
                "updated_at": to_datetime(c["updated_t"]),
                "resolved_at": None if c["resolved_t"] is None else to_datetime(c["resolved_t"]),
                "custodian": None if holder is None else {"party_id": holder[0], "role": holder[1]},
                "location": None if loc is None else {"lat": loc[0], "lon": loc[1]},
                "details": c["details"],
                "message": c["message"],
            }
        )

    def to_dict(self) -> dict[str, Any]:
        """Compact JSON form."""
        data = {"anchors": self.anchors, "counters": self.counters, "emitted": self.emitted}
        if self.fence:
            data["fence"] = {
                aid: [last, sorted(digests.items())] for aid, (last, digests) in self.fence.items()
            }
        return data

    @classmethod
    def from_dict(cls, shipment_id: str, data: dict[str, Any]) -> AlertBook:
        """Inverse of ``to_dict``."""
        return cls(
            shipment_id,
            dict(data["anchors"]),
            dict(data["counters"]),
            {k: list(v) for k, v in data["emitted"].items()},
            {
                aid: (int(last), {int(v): str(d) for v, d in digests})
                for aid, (last, digests) in data.get("fence", {}).items()
            },
        )
