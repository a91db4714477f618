"""`cryotrace score` over a run directory and a truth file."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from streams.commands import score as score_command

TRUTH = {
    "faults": [
        {
            "shipment_id": "S1",
            "type": "shock",
            "start": "2026-12-01T08:00:00Z",
            "end": "2026-12-01T08:00:00Z",
        },
        {
            "shipment_id": "S2",
            "type": "shock",
            "start": "2026-12-01T09:00:00Z",
            "end": "2026-12-01T09:00:00Z",
        },
    ],
    "tolerated": [],
    "arrivals": [{"shipment_id": "S1", "arrived_at": "2026-12-01T16:00:00Z"}],
    "trips": [
        {
            "shipment_id": "S1",
            "departed_at": "2026-12-01T08:00:00Z",
            "arrived_at": "2026-12-01T16:00:00Z",
        }
    ],
}


def _run(tmp_path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    truth = tmp_path / "truth.json"
    truth.write_text(json.dumps(TRUTH))
    parser = argparse.ArgumentParser()
    score_command.add_arguments(parser)
    args = parser.parse_args(["--truth", str(truth), "--out", str(tmp_path), *extra])
    assert score_command.run(args) == 0
    return capsys.readouterr().out


def test_score_json_reads_alert_versions_and_etas(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    alerts = [
        {
            "alert_id": "S1:shock:1",
            "version": 1,
            "type": "shock",
            "shipment_id": "S1",
            "opened_at": "2026-12-01T08:00:00Z",
        },
        {
            "alert_id": "S1:shock:1",
            "version": 2,
            "type": "shock",
            "shipment_id": "S1",
            "opened_at": "2026-12-01T08:00:00Z",
        },
    ]
    (tmp_path / "alerts.jsonl").write_text("".join(json.dumps(a) + "\n" for a in alerts))
    eta = {
        "shipment_id": "S1",
        "computed_at": "2026-12-01T08:30:00Z",
        "eta_p50": "2026-12-01T16:00:00Z",
        "eta_p90": "2026-12-01T17:00:00Z",
    }
    (tmp_path / "eta.jsonl").write_text(json.dumps(eta) + "\n")
    result = json.loads(_run(tmp_path, capsys, "--json"))
    assert result["alerts"]["shock"] == {
        "recall": 0.5,
        "precision": 1.0,
        "tp": 1,
        "fp": 0,
        "fn": 1,
        "ignored": 0,
        "detection_delay_s_p50": 0.0,
    }
    assert result["eta"]["p50_mae_ratio"] == {"25": 0.0, "50": 0.0, "75": 0.0}
    assert result["eta"]["p90_coverage"] == 1.0


def test_score_without_eta_lines_has_a_null_eta_block(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = json.loads(_run(tmp_path, capsys, "--json"))
    assert result["eta"] is None
    assert result["alerts"]["shock"]["fn"] == 2


def test_score_table_names_each_type(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert "shock" in _run(tmp_path, capsys)
