"""Live on Kafka equals offline replay: same final alerts, also across a SIGKILL and restart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from schemas.alert import Alert
from schemas.recording import RecordingLine
from streams.kafka_clients import ensure_topics
from streams.offline import OfflineRunner
from streams.produce import produce_lines
from streams.settings import Settings
from streams.simulator.run import SimulationConfig, simulate
from streams.testing import alert_diff, final_alerts, read_topic, running_worker, wait_until
from streams.topics import Topic

SHIPMENTS = 12


@pytest.fixture(scope="module")
def recording() -> list[RecordingLine]:
    lines = simulate(SimulationConfig(shipments=SHIPMENTS, seed=11)).lines
    return [RecordingLine.model_validate(line) for line in lines]


def _replay(lines: list[RecordingLine], settings: Settings) -> dict[str, dict[str, Any]]:
    runner = OfflineRunner(settings.rules)
    runner.run(lines)
    return final_alerts(runner.alerts)


def _live(settings: Settings) -> dict[str, dict[str, Any]]:
    return final_alerts(Alert.model_validate_json(v) for v in read_topic(settings, Topic.ALERTS))


def _wait_equal(settings: Settings, expected: dict[str, dict[str, Any]], timeout: float) -> None:
    try:
        wait_until(lambda: _live(settings) == expected, timeout, "live alerts to equal replay's")
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{alert_diff(expected, _live(settings))}") from None


def _live_settings(isolated: Settings) -> Settings:
    # Offline replay has no wall clock: compare without the live silence timer.
    return isolated.model_copy(
        update={
            "stream": isolated.stream.model_copy(
                update={"silence_timer": False, "tick_seconds": 1.0}
            )
        }
    )


def test_live_final_alerts_equal_replay(
    isolated_settings: Settings, recording: list[RecordingLine], tmp_path: Path
) -> None:
    settings = _live_settings(isolated_settings)
    expected = _replay(recording, settings)
    assert len({a["type"] for a in expected.values()}) >= 5  # a meaningful mix of alerts
    ensure_topics(settings)
    produce_lines(recording, settings=settings)
    with running_worker(settings, "process", tmp_path / "worker.log"):
        _wait_equal(settings, expected, 240)
    assert _live(settings) == expected


def test_two_workers_one_killed_mid_stream_still_equal_replay(
    isolated_settings: Settings, recording: list[RecordingLine], tmp_path: Path
) -> None:
    settings = _live_settings(isolated_settings)
    expected = _replay(recording, settings)
    ensure_topics(settings)
    half = len(recording) // 2
    produce_lines(recording[:half], settings=settings)
    with (
        running_worker(settings, "process", tmp_path / "a.log") as a,
        running_worker(settings, "process", tmp_path / "b.log"),
    ):
        wait_until(lambda: len(read_topic(settings, Topic.ALERTS)) > 0, 120, "the first alerts")
        produce_lines(recording[half:], settings=settings)
        a.kill()  # SIGKILL mid-stream: no clean shutdown, no final commit
        with running_worker(settings, "process", tmp_path / "a2.log"):
            _wait_equal(settings, expected, 300)
    live = [Alert.model_validate_json(v) for v in read_topic(settings, Topic.ALERTS)]
    assert final_alerts(live) == expected
    # At-least-once may repeat a version; it must never give one version two contents.
    by_version: dict[tuple[str, int], dict[str, Any]] = {}
    for alert in live:
        body = alert.model_dump(mode="json")
        assert by_version.setdefault((alert.alert_id, alert.version), body) == body
