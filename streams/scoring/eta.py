"""ETA scoring: error of the latest ETA at 25/50/75 % of each trip, against a naive baseline.

At each checkpoint (a fraction of the time between `departed_at` and `arrived_at`), the
latest ETA update computed at or before that moment is taken. Its error is
|eta_p50 - arrived_at| / (arrived_at - checkpoint), the error as a share of the time that
was left; `p50_mae_ratio` is the mean per checkpoint (`p50_median_ratio` the median, less
swayed by a few long flights) and `p90_coverage` the share of
checkpoints where the trip arrived no later than `eta_p90`. A checkpoint with no update
before it is counted as `missing`, not as an error.

The baseline predicts checkpoint + remaining great-circle km / last observed speed, from
the `remaining_km` and `observed_speed_kmh` the simulator records per checkpoint (computed
only from fixes received by then; see `streams.simulator.truth.trip`).
"""

from __future__ import annotations

import bisect
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from schemas.timestamps import parse_timestamp

DEFAULT_FRACTIONS = (0.25, 0.5, 0.75)


@dataclass(frozen=True)
class EtaPoint:
    """One ETA update: when it was computed and its median and pessimistic arrival."""

    shipment_id: str
    computed_at: datetime
    eta_p50: datetime
    eta_p90: datetime

    @classmethod
    def from_json(cls, item: Mapping[str, Any]) -> EtaPoint:
        return cls(
            str(item["shipment_id"]),
            parse_timestamp(item["computed_at"]),
            parse_timestamp(item["eta_p50"]),
            parse_timestamp(item["eta_p90"]),
        )


@dataclass(frozen=True)
class Checkpoint:
    """What the naive baseline knew at one fraction of the trip."""

    fraction: float
    remaining_km: float | None = None
    observed_speed_kmh: float | None = None


@dataclass(frozen=True)
class Trip:
    """A completed trip and its baseline checkpoints."""

    shipment_id: str
    departed_at: datetime
    arrived_at: datetime
    checkpoints: tuple[Checkpoint, ...] = field(
        default=tuple(Checkpoint(f) for f in DEFAULT_FRACTIONS)
    )

    @classmethod
    def from_json(cls, item: Mapping[str, Any]) -> Trip:
        raw = item.get("checkpoints")
        checkpoints = (
            tuple(
                Checkpoint(float(c["fraction"]), c.get("remaining_km"), c.get("observed_speed_kmh"))
                for c in raw
            )
            if raw
            else tuple(Checkpoint(f) for f in DEFAULT_FRACTIONS)
        )
        return cls(
            str(item["shipment_id"]),
            parse_timestamp(item["departed_at"]),
            parse_timestamp(item["arrived_at"]),
            checkpoints,
        )

    def moment(self, fraction: float) -> datetime:
        return self.departed_at + (self.arrived_at - self.departed_at) * fraction


def _label(fraction: float) -> str:
    return str(round(fraction * 100))


def latest_before(updates: Sequence[EtaPoint], moment: datetime) -> EtaPoint | None:
    """The last update (by computed_at, then input order) computed at or before `moment`."""
    times = [u.computed_at for u in updates]
    index = bisect.bisect_right(times, moment)
    return updates[index - 1] if index else None


def score_eta(trips: Iterable[Trip], updates: Iterable[EtaPoint]) -> dict[str, Any] | None:
    """The ETA block of the score, or None when there are no updates at all."""
    by_shipment: dict[str, list[EtaPoint]] = defaultdict(list)
    for point in updates:
        by_shipment[point.shipment_id].append(point)
    if not by_shipment:
        return None
    for series in by_shipment.values():
        series.sort(key=lambda u: u.computed_at)  # stable: input order kept on ties

    errors: dict[str, list[float]] = defaultdict(list)
    baseline: dict[str, list[float]] = defaultdict(list)
    covered: list[bool] = []
    missing = 0
    for trip in trips:
        series = by_shipment.get(trip.shipment_id, [])
        for checkpoint in trip.checkpoints:
            moment = trip.moment(checkpoint.fraction)
            left_s = (trip.arrived_at - moment).total_seconds()
            if left_s <= 0:
                continue
            label = _label(checkpoint.fraction)
            if checkpoint.remaining_km is not None and checkpoint.observed_speed_kmh:
                hours = checkpoint.remaining_km / checkpoint.observed_speed_kmh
                guess = moment + timedelta(hours=hours)
                baseline[label].append(abs((guess - trip.arrived_at).total_seconds()) / left_s)
            update = latest_before(series, moment)
            if update is None:
                missing += 1
                continue
            errors[label].append(abs((update.eta_p50 - trip.arrived_at).total_seconds()) / left_s)
            covered.append(trip.arrived_at <= update.eta_p90)

    def means(table: Mapping[str, list[float]]) -> dict[str, float | None]:
        return {
            label: round(statistics.fmean(values), 4) if values else None
            for label, values in sorted(table.items(), key=lambda kv: float(kv[0]))
        }

    def medians(table: Mapping[str, list[float]]) -> dict[str, float | None]:
        return {
            label: round(statistics.median(values), 4) if values else None
            for label, values in sorted(table.items(), key=lambda kv: float(kv[0]))
        }

    return {
        "p50_mae_ratio": means(errors),
        "p50_median_ratio": medians(errors),
        "p90_coverage": round(sum(covered) / len(covered), 4) if covered else None,
        "points": len(covered),
        "missing": missing,
        "baseline": (
            {"p50_mae_ratio": means(baseline), "p50_median_ratio": medians(baseline)}
            if baseline
            else None
        ),
    }
