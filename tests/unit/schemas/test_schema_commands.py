"""The check and schemas-export commands, and the committed JSON Schemas being current."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import orjson
import pytest
from schema_samples import custody, telemetry

from schemas.jsonschema import WIRE_MODELS, json_schemas, render_schema
from schemas.recording import write_recording
from streams.commands import check, schemas_export

COMMITTED = Path(__file__).parents[3] / "schemas" / "json"


def _parse(module: object, argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    module.add_arguments(parser)  # type: ignore[attr-defined]
    return parser.parse_args(argv)


def test_committed_json_schemas_are_current() -> None:
    """Fails when a model changed without `cryotrace schemas export schemas/json`."""
    for stem, schema in json_schemas().items():
        committed = COMMITTED / f"{stem}.schema.json"
        assert committed.is_file(), f"missing {committed}"
        assert committed.read_text(encoding="utf-8") == render_schema(schema), (
            f"{committed} is stale: run `cryotrace schemas export schemas/json`"
        )
    assert {path.name for path in COMMITTED.glob("*.schema.json")} == {
        f"{stem}.schema.json" for stem in WIRE_MODELS
    }


def test_schemas_export_writes_every_wire_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = _parse(schemas_export, ["export", str(tmp_path / "out")])
    assert schemas_export.run(args) == 0
    written = sorted((tmp_path / "out").glob("*.schema.json"))
    assert [path.stem.removesuffix(".schema") for path in written] == sorted(WIRE_MODELS)
    telemetry_schema = json.loads((tmp_path / "out" / "telemetry.schema.json").read_text())
    assert set(telemetry_schema["required"]) == {"event_id", "shipment_id", "recorded_at"}
    assert "temperature" in telemetry_schema["properties"]
    assert len(capsys.readouterr().out.splitlines()) == len(WIRE_MODELS)


def _run_check(
    tmp_path: Path, lines: list[dict[str, object]], capsys: pytest.CaptureFixture[bytes]
) -> tuple[int, list[dict[str, object]]]:
    path = tmp_path / "rec.jsonl"
    write_recording(path, lines)
    out = tmp_path / "out.jsonl"
    with out.open("wb") as stream:
        _ok, failed = check.check_recording(path, stream)
    verdicts = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    return (0 if failed == 0 else 1), verdicts


def test_check_prints_one_verdict_per_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[bytes]
) -> None:
    code, verdicts = _run_check(
        tmp_path,
        [
            {"topic": "telemetry", "key": "SHP-0001", "value": telemetry()},
            {"topic": "custody", "key": "SHP-0001", "value": custody(step="shipping")},
            {"topic": "telemetry", "key": "SHP-0001", "raw": "{oops"},
        ],
        capsys,
    )
    assert code == 1
    assert [verdict["ok"] for verdict in verdicts] == [True, False, False]
    assert verdicts[0]["event"]["recorded_at"] == "2026-11-29T21:10:00Z"  # type: ignore[index]
    assert verdicts[1]["reason"] == "schema"
    assert verdicts[1]["errors"][0]["loc"] == "step"  # type: ignore[index]
    assert verdicts[2]["reason"] == "invalid_json"


def test_check_run_exits_zero_when_all_messages_are_valid(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    path = tmp_path / "rec.jsonl"
    write_recording(path, [{"topic": "telemetry", "key": "k", "value": telemetry()}])
    assert check.run(_parse(check, [str(path)])) == 0
    [line] = capsysbinary.readouterr().out.splitlines()
    assert orjson.loads(line)["ok"] is True


def test_check_uses_now_for_lines_without_received_at(tmp_path: Path) -> None:
    path = tmp_path / "rec.jsonl"
    write_recording(path, [{"topic": "telemetry", "key": "k", "value": telemetry()}])
    args = _parse(check, [str(path), "--now", "2026-11-28T00:00:00Z"])
    out = tmp_path / "out.jsonl"
    with out.open("wb") as stream:
        _ok, failed = check.check_recording(path, stream, now=args.now)
    assert failed == 1
    assert orjson.loads(out.read_bytes())["reason"] == "future_timestamp"


def test_check_lists_every_event_of_an_epcis_document(tmp_path: Path) -> None:
    document = json.loads(
        (Path(__file__).parents[2] / "data" / "epcis" / "sensor_temperature_gps.jsonld").read_text()
    )
    path = tmp_path / "rec.jsonl"
    write_recording(path, [{"topic": "epcis", "key": "SHP-0001", "value": document}])
    out = tmp_path / "out.jsonl"
    with out.open("wb") as stream:
        check.check_recording(path, stream)
    verdict = orjson.loads(out.read_bytes())
    assert verdict["ok"] is True and len(verdict["events"]) == 2


def test_cli_dispatches_check_and_schemas_export(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    from streams.cli import main

    recording = tmp_path / "rec.jsonl"
    write_recording(recording, [{"topic": "telemetry", "key": "k", "raw": "not json"}])
    assert main(["check", str(recording)]) == 1
    verdict = orjson.loads(capsysbinary.readouterr().out.splitlines()[0])
    assert verdict["reason"] == "invalid_json"
    assert main(["schemas", "export", str(tmp_path / "json")]) == 0
    assert len(list((tmp_path / "json").glob("*.schema.json"))) == len(WIRE_MODELS)
