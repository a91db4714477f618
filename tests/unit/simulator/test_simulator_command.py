"""`cryotrace simulate` writes a recording and a truth file."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from schemas.recording import read_recording
from streams.commands import simulate as simulate_command


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    simulate_command.add_arguments(parser)
    return parser.parse_args(list(argv))


def test_simulate_writes_recording_and_truth(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, truth = tmp_path / "run.jsonl", tmp_path / "truth.json"
    args = _args(
        "--shipments", "12", "--seed", "5", "--out", str(out), "--truth", str(truth),
        "--start", "2027-01-04T00:00:00Z", "--days", "3",
    )  # fmt: skip
    assert simulate_command.run(args) == 0
    summary = json.loads(capsys.readouterr().out)
    lines = list(read_recording(out))
    assert summary["lines"] == len(lines)
    document = json.loads(truth.read_text())
    assert document["generator"]["start"] == "2027-01-04T00:00:00Z"
    assert len(document["arrivals"]) == 12
    assert all(line.received_at is not None for line in lines)
    assert min(a["arrived_at"] for a in document["arrivals"]) >= "2027-01-04"


def test_simulate_needs_an_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert simulate_command.run(_args("--shipments", "3")) == 2
    assert "--out" in capsys.readouterr().err
