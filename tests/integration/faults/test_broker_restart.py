"""The broker stopped and started mid-stream (a private broker): workers and sink ride it out;
alerts equal replay, every reading in the warehouse exactly once, lag back to zero."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from faultkit import (
    Outcome,
    all_alive,
    fault_settings,
    full_or_ci,
    has_tables,
    live_alerts,
    produce_in_order,
    repeated_versions,
    replay_fleet,
    scalar,
    score_overall,
    simulated_lines,
    stored_readings,
    unreachable,
    wait_alive,
    wait_caught_up,
    warehouse,
)

from streams.infra.kafka import LocalKafka
from streams.kafka_clients import ensure_topics
from streams.produce import produce_lines
from streams.settings import Settings
from streams.supervise import free_port
from streams.testing import alert_diff, final_alerts, running_worker, same_outcome

OUTAGE_S = full_or_ci(60, 15)


@pytest.fixture(scope="module")
def private_broker() -> Iterator[LocalKafka]:
    """A broker of this module's own (never the shared one at 9092: others use it)."""
    kafka = LocalKafka(port=free_port(), controller_port=free_port(), heap="512m")
    try:
        kafka.up()
    except Exception as exc:
        unreachable("a private local Kafka", exc)
    yield kafka
    kafka.reset()
    shutil.rmtree(kafka.home, ignore_errors=True)  # this port's folder: logs and config


def test_broker_stopped_and_started_mid_stream(
    private_broker: LocalKafka,
    isolated_settings: Settings,
    fresh_postgres_url: str,
    tmp_path: Path,
    fault_row: Callable[[str, str], Outcome],
) -> None:
    lines, truth = simulated_lines()
    row = fault_row(
        "Kafka broker stopped and started mid-stream",
        f"{len(lines)} messages, broker down {OUTAGE_S:.0f} s between two halves,"
        " 1 processor + 1 sink, 4 partitions",
    )
    settings = fault_settings(
        isolated_settings, bootstrap=private_broker.bootstrap, warehouse_url=fresh_postgres_url
    )
    fleet = replay_fleet(lines, truth, settings)
    ensure_topics(settings)
    half = len(lines) // 2
    produce_lines(lines[:half], settings=settings)
    with (
        running_worker(settings, "process", tmp_path / "process.log") as processor,
        running_worker(settings, "sink", tmp_path / "sink.log") as sink,
        warehouse(fresh_postgres_url) as engine,
    ):
        workers = [processor, sink]
        wait_alive(
            workers,
            lambda: (
                live_alerts(settings)
                and has_tables(engine, "readings")
                and scalar(engine, "SELECT count(*) FROM readings")
            ),
            180,
            "the first alerts and readings",
        )
        assert private_broker.down()
        stopped = time.monotonic()
        while time.monotonic() - stopped < OUTAGE_S:
            all_alive(*workers)  # a worker may log and retry, never exit
            time.sleep(1)
        private_broker.up()
        restarted = time.monotonic()
        # ordered: the stock producer may reorder a retried batch, and replay cannot know
        produce_in_order(lines[half:], settings)
        wait_caught_up(settings, fleet, workers, engine)
        recovered = time.monotonic() - restarted
        readings = stored_readings(engine)
        all_alive(*workers)

    alerts = live_alerts(settings)
    assert same_outcome(fleet.expected_alerts, final_alerts(alerts)), alert_diff(
        fleet.expected_alerts, final_alerts(alerts)
    )
    live_score = score_overall(truth, alerts, tmp_path / "live")
    assert live_score == score_overall(truth, fleet.replay.alerts, tmp_path / "replay")
    row.figures.update(
        {
            "broker down": f"{OUTAGE_S:.0f} s",
            "time to recover (broker up to alerts, warehouse and lag settled)": f"{recovered:.0f} s",
            "readings stored / expected": f"{len(readings)} / {len(fleet.readings)}",
            "duplicate rows": sum(n - 1 for n in readings.values()),
            "final alerts = replay": len(fleet.expected_alerts),
            "truth recall": live_score["recall"],
            "repeated alert versions": repeated_versions(alerts),
            "lag after": 0,
            "worker restarts": 0,
        }
    )
    row.passed("all invariants hold")
