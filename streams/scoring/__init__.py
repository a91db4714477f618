"""Scoring a run's alerts and ETAs against a simulator's ground truth."""

from streams.scoring.alerts import AlertRecord, AlertScore, TruthWindow, final_alerts, score_alerts
from streams.scoring.eta import EtaPoint, Trip, score_eta

__all__ = [
    "AlertRecord",
    "AlertScore",
    "EtaPoint",
    "Trip",
    "TruthWindow",
    "final_alerts",
    "score_alerts",
    "score_eta",
]
