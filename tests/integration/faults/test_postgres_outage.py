"""PostgreSQL down for 30 s while the sink writes (a private cluster): no row lost or doubled,
source offsets committed only after their rows, lag back to zero, alerts equal replay."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from faultkit import (
    FULL,
    Outcome,
    all_alive,
    fault_settings,
    has_tables,
    live_alerts,
    processing_lag,
    replay_fleet,
    scalar,
    score_overall,
    simulated_lines,
    sink_lag,
    stored_readings,
    unreachable,
    wait_alive,
    warehouse,
    warehouse_diff,
    warehouse_matches,
)

from streams.infra.postgres import LocalPostgres
from streams.kafka_clients import ensure_topics
from streams.produce import produce_lines
from streams.settings import Settings
from streams.supervise import WorkerProcess, free_port
from streams.testing import final_alerts, running_worker, same_outcome

OUTAGE_S = 30.0
SINK_FATES = ["retries", "killed"] if FULL else ["retries"]
"""The sink rides the outage out; at full length it is also SIGKILLed while the database is
down, so only uncommitted offsets can bring its rows back."""


@pytest.fixture
def private_postgres() -> Iterator[LocalPostgres]:
    """A cluster of this test's own on a free port (never the shared one at 55432)."""
    cluster = LocalPostgres(port=free_port())
    try:
        cluster.up()
    except Exception as exc:
        unreachable("a private PostgreSQL cluster", exc)
    yield cluster
    cluster.down()
    shutil.rmtree(cluster.data_dir, ignore_errors=True)
    (cluster.data_dir.parent / f"postgres-{cluster.port}.log").unlink(missing_ok=True)


@pytest.mark.parametrize("sink_fate", SINK_FATES)
def test_postgres_down_while_the_sink_writes(
    private_postgres: LocalPostgres,
    isolated_settings: Settings,
    tmp_path: Path,
    fault_row: Callable[[str, str], Outcome],
    sink_fate: str,
) -> None:
    lines, truth = simulated_lines()
    killed = sink_fate == "killed"
    row = fault_row(
        "PostgreSQL down 30 s while the sink writes"
        + (" (sink SIGKILLed while it is down)" if killed else ""),
        f"{len(lines)} messages, two thirds produced during the outage,"
        " 1 processor + 1 sink, 4 partitions",
    )
    settings = fault_settings(isolated_settings, warehouse_url=private_postgres.url)
    fleet = replay_fleet(lines, truth, settings)
    ensure_topics(settings)
    first = len(lines) // 3
    produce_lines(lines[:first], settings=settings)
    restarts = 0
    with (
        running_worker(settings, "process", tmp_path / "process.log") as processor,
        running_worker(settings, "sink", tmp_path / "sink.log") as first_sink,
        warehouse(private_postgres.url) as engine,
    ):
        sink: WorkerProcess = first_sink
        wait_alive(
            [processor, sink],
            lambda: (
                has_tables(engine, "readings") and scalar(engine, "SELECT count(*) FROM readings")
            ),
            180,
            "the first readings in the warehouse",
        )
        assert private_postgres.down()
        stopped = time.monotonic()
        produce_lines(lines[first:], settings=settings)
        # the processor does not need the warehouse: it catches up during the outage
        wait_alive(
            [processor, sink],
            lambda: processing_lag(settings) == 0,
            OUTAGE_S - 3 - (time.monotonic() - stopped),
            "processor lag 0 while the database is down",
        )
        while time.monotonic() - stopped < OUTAGE_S - 2:
            all_alive(processor, sink)
            time.sleep(1)
        # offsets only after rows: nothing produced since the database went down is committed
        lag_down = sink_lag(settings)
        assert lag_down is not None and lag_down >= len(lines) - first, lag_down
        if killed:
            sink.kill()
            restarts = 1
        while time.monotonic() - stopped < OUTAGE_S:
            time.sleep(0.2)
        private_postgres.up()
        restarted = time.monotonic()
        if killed:
            sink = WorkerProcess(settings, "sink", tmp_path / "sink-2.log")
        try:
            try:
                wait_alive(
                    [processor, sink],
                    lambda: warehouse_matches(engine, fleet),
                    180,
                    "the warehouse",
                )
            except AssertionError as exc:
                raise AssertionError(f"{exc}\n{warehouse_diff(engine, fleet)}") from None
            wait_alive([processor, sink], lambda: sink_lag(settings) == 0, 120, "sink lag 0")
            recovered = time.monotonic() - restarted
            readings = stored_readings(engine)
            all_alive(processor, sink)
            retries = sink.output().count("warehouse.retry")
        finally:
            if sink is not first_sink:
                sink.stop()
        alerts = live_alerts(settings)
        assert same_outcome(fleet.expected_alerts, final_alerts(alerts))
    live_score = score_overall(truth, alerts, tmp_path / "live")
    assert live_score == score_overall(truth, fleet.replay.alerts, tmp_path / "replay")

    row.figures.update(
        {
            "database down": f"{OUTAGE_S:.0f} s",
            "sink lag while down": lag_down,
            "sink write retries": retries,
            "time to recover (database up to all rows and lag 0)": f"{recovered:.0f} s",
            "readings stored / expected": f"{len(readings)} / {len(fleet.readings)}",
            "duplicate rows": sum(n - 1 for n in readings.values()),
            "alerts table = replay": len(fleet.expected_alerts),
            "truth recall": live_score["recall"],
            "lag after": 0,
            "worker restarts": f"{restarts} (deliberate SIGKILL)" if killed else 0,
        }
    )
    row.passed("all invariants hold")
