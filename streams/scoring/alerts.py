"""Alert scoring: match alerts to truth windows by shipment, type and opening time.

An alert of type T for shipment S *hits* a truth fault of the same (S, T) when its
`opened_at` lies in [start - tolerance, end + tolerance]. A fault is detected (tp) when at
least one alert hits it, missed (fn) otherwise. An alert that hits no fault but lies in a
`tolerated` window (where a correct engine may or may not fire) is ignored; any other alert
is a false alarm (fp). Recall = tp / (tp + fn); precision = hitting alerts / (hitting alerts
+ fp). Detection delay = opened_at of the earliest hitting alert - fault start. Each
`alert_id` counts once, in its final (highest) version.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from schemas.timestamps import parse_timestamp


@dataclass(frozen=True)
class AlertRecord:
    """The facts of one alert that scoring uses."""

    alert_id: str
    type: str
    shipment_id: str
    opened_at: datetime


@dataclass(frozen=True)
class TruthWindow:
    """A truth fault (or tolerated window) for one (shipment, type)."""

    shipment_id: str
    type: str
    start: datetime
    end: datetime

    @classmethod
    def from_json(cls, item: Mapping[str, Any]) -> TruthWindow:
        return cls(
            str(item["shipment_id"]),
            str(item["type"]),
            parse_timestamp(item["start"]),
            parse_timestamp(item["end"]),
        )

    def contains(self, moment: datetime, tolerance: timedelta) -> bool:
        return self.start - tolerance <= moment <= self.end + tolerance


@dataclass(frozen=True)
class AlertScore:
    """Scores of one alert type."""

    tp: int
    fn: int
    fp: int
    hits: int
    ignored: int
    detection_delays_s: tuple[float, ...]

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def precision(self) -> float | None:
        return self.hits / (self.hits + self.fp) if self.hits + self.fp else None

    def to_json(self) -> dict[str, Any]:
        delays = self.detection_delays_s
        return {
            "recall": _round(self.recall),
            "precision": _round(self.precision),
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "ignored": self.ignored,
            "detection_delay_s_p50": _round(statistics.median(delays)) if delays else None,
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def final_alerts(rows: Iterable[Mapping[str, Any]]) -> list[AlertRecord]:
    """One record per `alert_id`: its highest version (the later line on a tie)."""
    latest: dict[str, tuple[int, Mapping[str, Any]]] = {}
    for row in rows:
        alert_id = str(row["alert_id"])
        version = int(row.get("version", 0))
        if alert_id not in latest or version >= latest[alert_id][0]:
            latest[alert_id] = (version, row)
    return [
        AlertRecord(
            alert_id,
            str(row["type"]),
            str(row["shipment_id"]),
            parse_timestamp(row["opened_at"]),
        )
        for alert_id, (_, row) in sorted(latest.items())
    ]


def score_alerts(
    alerts: Iterable[AlertRecord],
    faults: Iterable[TruthWindow],
    tolerated: Iterable[TruthWindow] = (),
    *,
    tolerance_s: float = 600.0,
) -> dict[str, AlertScore]:
    """Per alert type, over every type that has a fault or an alert."""
    tolerance = timedelta(seconds=tolerance_s)
    faults_by: dict[tuple[str, str], list[TruthWindow]] = defaultdict(list)
    for fault in faults:
        faults_by[(fault.shipment_id, fault.type)].append(fault)
    tolerated_by: dict[tuple[str, str], list[TruthWindow]] = defaultdict(list)
    for window in tolerated:
        tolerated_by[(window.shipment_id, window.type)].append(window)

    first_hit: dict[TruthWindow, datetime] = {}
    hits: dict[str, int] = defaultdict(int)
    fps: dict[str, int] = defaultdict(int)
    ignored: dict[str, int] = defaultdict(int)
    for alert in alerts:
        key = (alert.shipment_id, alert.type)
        hit = False
        for fault in faults_by.get(key, ()):
            if fault.contains(alert.opened_at, tolerance):
                hit = True
                if fault not in first_hit or alert.opened_at < first_hit[fault]:
                    first_hit[fault] = alert.opened_at
        if hit:
            hits[alert.type] += 1
        elif any(w.contains(alert.opened_at, tolerance) for w in tolerated_by.get(key, ())):
            ignored[alert.type] += 1
        else:
            fps[alert.type] += 1

    types = sorted({t for _, t in faults_by} | set(hits) | set(fps) | set(ignored))
    scores: dict[str, AlertScore] = {}
    for alert_type in types:
        typed = [f for (_, t), group in faults_by.items() if t == alert_type for f in group]
        detected = [f for f in typed if f in first_hit]
        delays = sorted((first_hit[f] - f.start).total_seconds() for f in detected)
        scores[alert_type] = AlertScore(
            tp=len(detected),
            fn=len(typed) - len(detected),
            fp=fps[alert_type],
            hits=hits[alert_type],
            ignored=ignored[alert_type],
            detection_delays_s=tuple(delays),
        )
    return scores


def overall(scores: Mapping[str, AlertScore]) -> AlertScore:
    """All types pooled (micro-average)."""
    return AlertScore(
        tp=sum(s.tp for s in scores.values()),
        fn=sum(s.fn for s in scores.values()),
        fp=sum(s.fp for s in scores.values()),
        hits=sum(s.hits for s in scores.values()),
        ignored=sum(s.ignored for s in scores.values()),
        detection_delays_s=tuple(sorted(d for s in scores.values() for d in s.detection_delays_s)),
    )
