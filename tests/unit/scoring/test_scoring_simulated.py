"""The scorer reads the simulator's truth: a perfect run scores 1, a blind one 0."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from streams.scoring.report import score_run
from streams.simulator import SimulationConfig, simulate


def _truth() -> dict[str, Any]:
    return simulate(SimulationConfig(shipments=40, seed=21)).truth


def _write(path: Path, rows: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))


def test_alerts_at_every_fault_start_and_exact_etas_score_perfectly(tmp_path: Path) -> None:
    truth = _truth()
    alerts = [
        {
            "alert_id": f"{f['shipment_id']}:{f['type']}:{n}",
            "version": 1,
            "type": f["type"],
            "shipment_id": f["shipment_id"],
            "opened_at": f["start"],
        }
        for n, f in enumerate(truth["faults"])
    ]
    etas = [
        {
            "shipment_id": t["shipment_id"],
            "computed_at": t["departed_at"],
            "eta_p50": t["arrived_at"],
            "eta_p90": t["arrived_at"],
        }
        for t in truth["trips"]
    ]
    _write(tmp_path / "alerts.jsonl", alerts)
    _write(tmp_path / "eta.jsonl", etas)
    score = score_run(truth, tmp_path)
    assert score["overall"]["recall"] == score["overall"]["precision"] == 1.0
    assert set(score["eta"]["p50_mae_ratio"].values()) == {0.0}
    assert score["eta"]["p90_coverage"] == 1.0
    assert score["eta"]["points"] == 3 * len(truth["trips"])
    assert all(v is not None for v in score["eta"]["baseline"]["p50_mae_ratio"].values())


def test_an_empty_run_misses_every_fault(tmp_path: Path) -> None:
    truth = _truth()
    score = score_run(truth, tmp_path)
    assert score["overall"]["recall"] == 0.0
    assert score["overall"]["fn"] == len(truth["faults"])
    assert score["eta"] is None
