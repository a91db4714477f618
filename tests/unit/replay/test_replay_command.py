"""``cryotrace replay FILE --out DIR``: output files and summary."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from alerts.testing import custody, manifest, reading
from schemas.alert import Alert
from schemas.deadletter import DeadLetter
from schemas.errors import ConfigError
from schemas.eta import EtaUpdate
from schemas.recording import write_recording
from streams.cli import main
from streams.commands import replay


def write_sample(path: Path) -> None:
    models = [
        ("shipments", manifest("cryo-150")),
        ("custody", custody(0, "departing", "HUB-NE", "CUR-77")),
        ("telemetry", reading(0, -180)),
        ("telemetry", reading(10, -149)),
        ("telemetry", reading(20, -185)),
    ]
    lines: list[dict[str, object]] = [
        {"topic": t, "key": "SHP-T1", "value": m.model_dump(mode="json", exclude_none=True)}
        for t, m in models
    ]
    lines.append({"topic": "telemetry", "key": "SHP-T1", "raw": "\u00ffnot json"})
    write_recording(path, lines)
    with path.open("a", encoding="utf-8") as stream:
        stream.write("this is not a recording line\n")


def test_replay_writes_every_output_file(tmp_path: Path) -> None:
    source = tmp_path / "rec.jsonl"
    write_sample(source)
    out = tmp_path / "out"
    assert main(["replay", str(source), "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(replay.OUTPUT_FILES)
    alerts = [Alert.model_validate_json(x) for x in (out / "alerts.jsonl").read_text().splitlines()]
    assert {(a.alert_id, a.status) for a in alerts} >= {
        ("SHP-T1:temperature_excursion:1", "open"),
        ("SHP-T1:temperature_excursion:1", "resolved"),
    }
    letters = [
        DeadLetter.model_validate_json(x)
        for x in (out / "deadletter.jsonl").read_text().splitlines()
    ]
    assert [d.reason for d in letters] == ["invalid_json", "invalid_json"]
    etas = [EtaUpdate.model_validate_json(x) for x in (out / "eta.jsonl").read_text().splitlines()]
    assert etas and all(u.shipment_id == "SHP-T1" and u.eta_p90 >= u.eta_p50 for u in etas)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["eta_updates"] == len(etas)
    assert summary["lines"] == 7
    assert summary["alert_versions"] == len(alerts)
    assert summary["alerts_by_type"]["temperature_excursion"] == 1


def test_replay_is_byte_for_byte_repeatable(tmp_path: Path) -> None:
    source = tmp_path / "rec.jsonl"
    write_sample(source)
    for name in ("a", "b"):
        assert main(["replay", str(source), "--out", str(tmp_path / name)]) == 0
    for name in replay.OUTPUT_FILES:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_replay_takes_a_rule_configuration(tmp_path: Path) -> None:
    source = tmp_path / "rec.jsonl"
    write_recording(
        source,
        [
            {"topic": "shipments", "key": "SHP-T1", "value": manifest().model_dump(mode="json")},
            {
                "topic": "telemetry",
                "key": "SHP-T1",
                "value": reading(0, -180, shock_g=4.0).model_dump(mode="json"),
            },
        ],
    )
    config = tmp_path / "rules.json"
    config.write_text(json.dumps({"shock_g": 3.0}))
    args = replay_args(source, tmp_path / "out", config)
    assert replay.run(args, log=io.StringIO()) == 0
    assert '"type":"shock"' in (tmp_path / "out" / "alerts.jsonl").read_text()


def test_missing_file_or_bad_config_is_a_clean_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        replay.run(replay_args(tmp_path / "nope.jsonl", tmp_path / "out", None))
    source = tmp_path / "rec.jsonl"
    write_sample(source)
    bad = tmp_path / "rules.json"
    bad.write_text('{"shock_g": -1}')
    with pytest.raises(ConfigError):
        replay.run(replay_args(source, tmp_path / "out", bad))
    assert main(["replay", str(tmp_path / "nope.jsonl"), "--out", str(tmp_path)]) == 1


def replay_args(source: Path, out: Path, config: Path | None) -> object:
    import argparse

    return argparse.Namespace(file=source, out=out, warehouse=None, config=config)
