"""Workers added and removed while streaming (3 workers on 6 partitions): live equals replay."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from faultkit import Outcome

from schemas.alert import Alert
from schemas.recording import RecordingLine
from streams.kafka_clients import ensure_topics
from streams.lag import group_lag
from streams.offline import OfflineRunner
from streams.partitioning import partition_for
from streams.produce import produce_lines
from streams.settings import Settings
from streams.simulator.run import SimulationConfig, simulate
from streams.supervise import WorkerProcess, free_port
from streams.testing import (
    alert_diff,
    final_alerts,
    read_topic,
    same_outcome,
    wait_until,
    withdrawn_extras,
)
from streams.topics import INPUT_TOPICS, Topic, topic_name

SHIPMENTS = 18
PARTITIONS = 6


@pytest.fixture(scope="module")
def recording() -> list[RecordingLine]:
    lines = simulate(SimulationConfig(shipments=SHIPMENTS, seed=23)).lines
    return [RecordingLine.model_validate(line) for line in lines]


def _settings(isolated: Settings) -> Settings:
    # Offline replay has no wall clock: compare without the live silence timer.
    return isolated.model_copy(
        update={
            "topics": isolated.topics.model_copy(update={"partitions": PARTITIONS}),
            "stream": isolated.stream.model_copy(
                update={"silence_timer": False, "tick_seconds": 1.0}
            ),
        }
    )


def _owns_partitions(port: int) -> bool:
    """The worker answering on ``port`` has recovered its tables and owns partitions."""
    try:
        answer = httpx.get(f"http://127.0.0.1:{port}/ready", timeout=2.0)
    except httpx.HTTPError:
        return False
    return answer.status_code == 200 and bool(answer.json()["assigned"])


_NOTABLE = re.compile(r"Traceback|Error|ERROR|CRITICAL|newly assigned|Revoking|stale_events")


def _diagnosis(
    expected: dict[str, Any], actual: dict[str, Any], workers: list[WorkerProcess]
) -> str:
    """Where a failure came from: the differing shipments' partitions and each worker's story."""
    differing = {alert_id.split(":")[0] for alert_id in set(expected) ^ set(actual)}
    differing |= {a for a in set(expected) & set(actual) if expected[a] != actual[a]}
    lines = [
        "partitions: "
        + ", ".join(
            f"{s} -> {partition_for(s.split(':')[0], PARTITIONS)}" for s in sorted(differing)
        )
    ]
    for worker in workers:
        state = "alive" if worker.alive() else f"exited {worker.process.returncode}"
        lines.append(f"--- {worker.log_path.name} ({state})")
        notable = [line for line in worker.output().splitlines() if _NOTABLE.search(line)]
        lines.extend(line[:300] for line in notable[-25:])
    return "\n".join(lines)


def _live(settings: Settings) -> list[Alert]:
    return [Alert.model_validate_json(value) for value in read_topic(settings, Topic.ALERTS)]


def test_workers_joining_and_leaving_mid_stream_equal_replay(
    isolated_settings: Settings,
    recording: list[RecordingLine],
    tmp_path: Path,
    fault_row: Callable[[str, str], Outcome],
) -> None:
    row = fault_row(
        "Rebalance: workers added and removed while streaming",
        f"{len(recording)} messages in thirds; worker a, then b and c join, b leaves (SIGTERM),"
        f" a is SIGKILLed, d joins; {PARTITIONS} partitions",
    )
    settings = _settings(isolated_settings)
    runner = OfflineRunner(settings.rules)
    runner.run(recording)
    expected = final_alerts(runner.alerts)
    ensure_topics(settings)
    third = len(recording) // 3
    workers: list[WorkerProcess] = []

    def start(name: str) -> WorkerProcess:
        """Start a worker and wait until the rebalance it causes has given it partitions."""
        port = free_port()
        worker = WorkerProcess(settings, "process", tmp_path / f"{name}.log", {}, web_port=port)
        workers.append(worker)
        wait_until(lambda: _owns_partitions(port), 120, f"worker {name} to own partitions")
        return worker

    try:
        a = start("a")
        produce_lines(recording[:third], settings=settings)
        wait_until(lambda: len(read_topic(settings, Topic.ALERTS)) > 0, 120, "the first alerts")
        b = start("b")  # joins: a gives up about half of the partitions
        produce_lines(recording[third : 2 * third], settings=settings)
        start("c")  # joins: three workers on six partitions
        produce_lines(recording[2 * third :], settings=settings)
        assert b.stop() == 0  # leaves cleanly mid-stream
        a.kill()  # crashes mid-stream: no clean shutdown, no final commit
        d = start("d")  # a replacement joins
        try:
            wait_until(
                lambda: same_outcome(expected, final_alerts(_live(settings))),
                300,
                "live alerts to equal replay's",
            )
        except AssertionError as exc:
            actual = final_alerts(_live(settings))
            diff = alert_diff(expected, actual)
            raise AssertionError(
                f"{exc}\n{diff}\n{_diagnosis(expected, actual, workers)}"
            ) from None
        inputs = [topic_name(settings, topic) for topic in INPUT_TOPICS]
        wait_until(lambda: group_lag(settings, settings.app_id, inputs) == 0, 60, "lag zero")
        survivors = [w for w in workers if w is not a and w is not b]
        assert all(w.alive() for w in survivors), "a worker exited (crash loop?)"
        assert d in survivors
    finally:
        for worker in workers:
            worker.stop()

    live = _live(settings)
    assert same_outcome(expected, final_alerts(live))
    # At-least-once may repeat a version; it must never give one version two contents.
    by_version: dict[tuple[str, int], dict[str, Any]] = {}
    for alert in live:
        body = alert.model_dump(mode="json")
        assert by_version.setdefault((alert.alert_id, alert.version), body) == body
    row.figures.update(
        {
            "final alerts = replay": len(expected),
            "withdrawn live-only alerts (raised in a pause)": len(
                withdrawn_extras(expected, final_alerts(live))
            ),
            "alert versions published (repeats included)": len(live),
            "lag after": 0,
            "clean stop exit code": 0,
        }
    )
    row.passed("all invariants hold")
