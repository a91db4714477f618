"""ReadingFold: every reading rule folded over readings in event-time order, O(1) per reading."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

import orjson

from alerts.device import sequence_gap, silence
from alerts.encoded import exact
from alerts.episodes import EpisodeTracker
from alerts.excursions import OutOfRange
from alerts.findings import Finding, Point
from alerts.readings import CompactReading
from alerts.rules import HI, LO, RuleSet

__all__ = ["FrozenFold", "ReadingFold", "settled_at"]

FrozenFold = tuple[bytes, tuple[Finding, ...]]
"""``ReadingFold.frozen``: the fold's JSON without its findings, and the findings."""


_NO_EXTRA: dict[str, Any] = {}
"""Shared empty details extension (never mutated)."""


def settled_at(f: Finding) -> float | None:
    """The time of the last reading that shaped a finding, once no later reading can change it
    (None while one can): an episode's end, or a sequence gap's reading (a gap is an event,
    never resolved; only readings before it can fill it)."""
    if f.resolved_at is not None:
        return f.resolved_at
    return f.opened_at if f.type == "sequence_gap" else None


@dataclass(slots=True)
class ReadingFold:
    """The accumulated result of the reading rules over a prefix of the sorted readings.

    ``findings`` holds the latest derived state of every alert episode seen so far, keyed
    by ``Finding.key``. Folding is deterministic, so folding the same readings in the same
    (event-time) order always gives the same findings.
    """

    trackers: dict[str, EpisodeTracker] = field(default_factory=dict)
    out_of_range: OutOfRange = field(default_factory=OutOfRange)
    last_t: float | None = None
    last_lat: float | None = None
    """The newest location's latitude (None: no location yet); with ``last_lon``, two values
    rather than a tuple made at every reading and left for the collector (docs/benchmarks.md,
    session 49)."""
    last_lon: float | None = None
    last_seq: dict[str, int] = field(default_factory=dict)
    findings: dict[str, Finding] = field(default_factory=dict)

    def step(self, r: CompactReading, rules: RuleSet) -> list[Finding]:
        """Fold the next reading (not earlier than any folded one); the changed findings."""
        changed: list[Finding] = []
        t = r.t
        lat, lon = r.lat, r.lon
        if lat is not None and lon is not None:
            self.last_lat = lat
            self.last_lon = lon
        last_t = self.last_t
        if last_t is not None and t - last_t > rules.silent_after_s:
            found = silence(last_t, t, rules.silent_after_s, self.last_location)
            if found is not None:
                changed.append(found)
        self.last_t = t
        logger, seq = r.logger_id, r.seq
        if logger is not None and seq is not None:
            previous = self.last_seq.get(logger)
            if previous != seq:
                if previous is not None and seq > previous + 1:
                    found = sequence_gap(logger, previous, seq, t, self.last_location)
                    if found is not None:
                        changed.append(found)
                self.last_seq[logger] = seq
        hi = r.temp_max if r.temp_max is not None else r.temp
        lo = r.temp_min if r.temp_min is not None else r.temp
        extra: dict[str, Any] = _NO_EXTRA
        if hi is not None and lo is not None:
            out = (rules.upper_c is not None and hi > rules.upper_c) or (
                rules.lower_c is not None and lo < rules.lower_c
            )
            found = self.out_of_range.step(t, out, rules.budget_s)
            if found is not None:
                changed.append(found)
            extra = {"cumulative_out_of_range_s": self.out_of_range.total_s}
        trackers = self.trackers
        location: Point | None = None  # made once a tracker needs it
        for key, band, index in rules.slots:
            value = hi if index == HI else lo if index == LO else cast(float | None, r[index])
            if value is None:
                continue
            tracker = trackers.get(key)
            if tracker is None or tracker.start is None:
                # idle: inline ``band.breach`` (the common case, so no call)
                over = band.direction * (value - band.limit)
                if over < 0 or (over == 0 and not band.inclusive):
                    continue
                if tracker is None:
                    tracker = trackers[key] = EpisodeTracker()
            if location is None:
                location = self.last_location
            found = tracker.step(band, t, value, location, extra if band.unit == "c" else _NO_EXTRA)
            if found is not None:
                changed.append(found)
        findings = self.findings
        for found in changed:
            findings[found.key] = found
        return changed

    @property
    def last_location(self) -> Point | None:
        """The newest location, ``(lat, lon)`` (None: no reading had one)."""
        lat, lon = self.last_lat, self.last_lon
        return None if lat is None or lon is None else (lat, lon)

    def retire(self, before: float) -> set[str]:
        """Drop the findings settled before ``before`` (``settled_at``); their keys."""
        findings = self.findings
        gone = {
            key
            for key, f in findings.items()
            if (end := settled_at(f)) is not None and end < before
        }
        for key in gone:
            del findings[key]
        return gone

    def copy(self) -> ReadingFold:
        """An independent copy (findings are replaced, never mutated, so they are shared)."""
        return ReadingFold(
            {k: EpisodeTracker.from_list(v.to_list()) for k, v in self.trackers.items()},
            OutOfRange.from_list(self.out_of_range.to_list()),
            self.last_t,
            self.last_lat,
            self.last_lon,
            dict(self.last_seq),
            dict(self.findings),
        )

    def to_dict(self) -> dict[str, Any]:
        """Compact JSON form."""
        data = self._without_findings()
        data["findings"] = [f.to_list() for f in self.findings.values()]
        return data

    def _without_findings(self) -> dict[str, Any]:
        """``to_dict`` but its findings."""
        return {
            "trackers": {k: v.to_list() for k, v in self.trackers.items()},
            "oor": self.out_of_range.to_list(),
            "last_t": self.last_t,
            "loc": None if self.last_lat is None else [self.last_lat, self.last_lon],
            "seq": self.last_seq,
        }

    def frozen(self) -> FrozenFold:
        """The fold as kept where a copy is held only to be folded on from later
        (``state.marks``): its findings as a tuple of the same (never mutated) objects, the
        rest as its JSON. ``benchmarks/bench_state_memory.py``: about 525 bytes a mark at 100
        readings and 760 at 1,000, against 1.2 and 1.6 KB as a copy; the findings as JSON
        too would repeat them in every mark (2.45 KB a mark at 1,000 readings)."""
        return exact(orjson.dumps(self._without_findings())), tuple(self.findings.values())

    @classmethod
    def thawed(cls, frozen: FrozenFold) -> ReadingFold:
        """Inverse of ``frozen``: an independent fold, equal to the one frozen."""
        text, findings = frozen
        fold = cls.from_dict({**orjson.loads(text), "findings": []})
        fold.findings = {f.key: f for f in findings}
        return fold

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ReadingFold:
        """Inverse of ``to_dict``."""
        findings = [Finding.from_list(item) for item in data["findings"]]
        loc = data["loc"]
        return cls(
            {k: EpisodeTracker.from_list(v) for k, v in data["trackers"].items()},
            OutOfRange.from_list(data["oor"]),
            data["last_t"],
            None if loc is None else float(loc[0]),
            None if loc is None else float(loc[1]),
            dict(data["seq"]),
            {f.key: f for f in findings},
        )
