"""The score of a run directory (alerts.jsonl, eta.jsonl) against a truth file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from streams.scoring.alerts import TruthWindow, final_alerts, overall, score_alerts
from streams.scoring.eta import EtaPoint, Trip, score_eta

DEFAULT_TOLERANCE_S = 600.0
"""One reporting interval: an alert may open up to this long before or after its window."""


def json_lines(path: Path) -> Iterator[dict[str, Any]]:
    """The JSON objects of a JSON Lines file; nothing when the file does not exist."""
    if not path.exists():
        return
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)


def score_run(
    truth: dict[str, Any], out_dir: Path, *, tolerance_s: float = DEFAULT_TOLERANCE_S
) -> dict[str, Any]:
    """The score document: per-type alert scores, their pooled total and the ETA block."""
    faults = [TruthWindow.from_json(item) for item in truth.get("faults", [])]
    tolerated = [TruthWindow.from_json(item) for item in truth.get("tolerated", [])]
    alerts = final_alerts(json_lines(out_dir / "alerts.jsonl"))
    scores = score_alerts(alerts, faults, tolerated, tolerance_s=tolerance_s)
    trips = [Trip.from_json(item) for item in truth.get("trips", [])]
    updates = [EtaPoint.from_json(item) for item in json_lines(out_dir / "eta.jsonl")]
    return {
        "tolerance_s": tolerance_s,
        "alerts": {name: score.to_json() for name, score in scores.items()},
        "overall": overall(scores).to_json(),
        "eta": score_eta(trips, updates),
    }
