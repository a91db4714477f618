"""`cryotrace demo` end to end on the embedded default: real Kafka, worker processes, DuckDB."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from schemas.alert import Alert
from schemas.decode import Decoded, decode
from schemas.recording import read_recording
from schemas.telemetry import TelemetryReading
from sinks.engine import make_engine
from streams.demo import SECRET_ENV
from streams.offline import OfflineRunner
from streams.settings import Settings
from streams.supervise import settings_env
from streams.testing import alert_diff, final_alerts


def test_demo_streams_a_fleet_into_the_warehouse(
    isolated_settings: Settings, tmp_path: Path
) -> None:
    workdir = tmp_path / "demo"
    secret = "whsec_" + base64.b64encode(b"demo-test-secret-never-logged").decode()
    env = {**os.environ, **settings_env(isolated_settings), SECRET_ENV: secret}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "streams.cli",
            "demo",
            "--shipments",
            "12",
            "--workdir",
            str(workdir),
            "--json",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    summary = json.loads(result.stdout.strip().splitlines()[-1])

    expected_readings: set[str] = set()
    for line in read_recording(workdir / "recording.jsonl"):
        assert line.received_at is not None
        outcome = decode(line.topic, line.payload, received_at=line.received_at)
        if isinstance(outcome, Decoded):
            expected_readings.update(
                e.event_id for e in outcome.events if isinstance(e, TelemetryReading)
            )
    engine = make_engine(isolated_settings.warehouse.url)
    with engine.connect() as conn:
        stored = {row[0] for row in conn.execute(sa.text("SELECT event_id FROM readings"))}
        shipments = conn.execute(sa.text("SELECT count(*) FROM shipments")).scalar()
    engine.dispose()
    assert stored == expected_readings
    assert shipments == 12
    assert summary["warehouse"]["readings"] == len(expected_readings)
    assert summary["produced"] == sum(1 for _ in read_recording(workdir / "recording.jsonl"))
    # scored against the simulator's truth, with webhooks verified by the reference receiver
    assert summary["score"]["overall"]["precision"] == 1.0
    assert summary["alerts_by_type"]
    assert summary["webhooks_received"] > 0
    assert summary["warehouse"]["webhook_deliveries"] >= summary["webhooks_received"]
    assert summary["dashboard"].startswith("cryotrace dashboard --warehouse ")
    # the live run's final alerts are exactly what offline replay derives from the recording
    runner = OfflineRunner()
    runner.run(read_recording(workdir / "recording.jsonl"))
    live = (workdir / "live" / "alerts.jsonl").read_text().splitlines()
    expected = final_alerts(runner.alerts)
    assert final_alerts(Alert.model_validate_json(v) for v in live) == expected, alert_diff(
        expected, final_alerts(Alert.model_validate_json(v) for v in live)
    )
    # the webhook secret signed every delivery, yet appears in no output and no log
    raw_secret = base64.b64decode(secret.removeprefix("whsec_"))
    for text in (
        result.stdout,
        result.stderr,
        *(p.read_text() for p in (workdir / "logs").iterdir()),
    ):
        assert secret not in text
        assert secret.removeprefix("whsec_") not in text
        assert raw_secret.decode() not in text
