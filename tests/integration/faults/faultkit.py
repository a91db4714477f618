"""Fault-suite helpers: a simulated fleet, its replay, the warehouse and lag checks, the report rows."""

from __future__ import annotations

import os
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from schemas.alert import Alert
from schemas.recording import RecordingLine
from schemas.telemetry import TelemetryReading
from sinks.engine import make_engine
from streams.app import DELIVER_SUFFIX, SINK_SUFFIX
from streams.lag import group_lag
from streams.offline import OfflineRunner
from streams.scoring.report import score_run
from streams.settings import Settings
from streams.simulator.run import SimulationConfig, simulate
from streams.supervise import WorkerProcess
from streams.testing import alert_diff, final_alerts, read_topic, same_outcome, wait_until
from streams.topics import INPUT_TOPICS, Topic, topic_name

FULL = os.environ.get("CRYOTRACE_FAULTS_FULL", "") not in ("", "0", "false")
"""``make faults`` sets it: outages at full length and a bigger fleet; CI runs them compressed."""

SHIPMENTS = 60 if FULL else 16
SEED = 23


def unreachable(what: str, exc: BaseException) -> None:
    """As tests/conftest.py: a missing service fails under CI and skips on a laptop."""
    import pytest

    message = f"{what} unreachable: {type(exc).__name__}: {exc}"
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def full_or_ci(full: float, ci: float) -> float:
    """A duration (or size) at full length under ``make faults``, compressed in CI."""
    return full if FULL else ci


@dataclass
class Fleet:
    """A simulated recording, the simulator's ground truth and the offline replay of it."""

    lines: list[RecordingLine]
    truth: dict[str, Any]
    replay: OfflineRunner
    readings: set[str]
    """event_id of every valid telemetry reading the replay decoded (the warehouse's rows)."""

    @property
    def expected_alerts(self) -> dict[str, dict[str, Any]]:
        return final_alerts(self.replay.alerts)


def simulated_lines(
    shipments: int = SHIPMENTS, seed: int = SEED
) -> tuple[list[RecordingLine], Any]:
    simulation = simulate(SimulationConfig(shipments=shipments, seed=seed))
    return [RecordingLine.model_validate(line) for line in simulation.lines], simulation.truth


def replay_fleet(lines: list[RecordingLine], truth: dict[str, Any], settings: Settings) -> Fleet:
    """Replay ``lines`` offline with the live rules; collect the readings it decoded."""
    readings: set[str] = set()

    def listen(record: object) -> None:
        if isinstance(record, TelemetryReading):
            readings.add(record.event_id)

    runner = OfflineRunner(settings.rules, listener=listen)
    runner.run(lines)
    return Fleet(lines, truth, runner, readings)


def fault_settings(
    base: Settings,
    *,
    bootstrap: str | None = None,
    warehouse_url: str | None = None,
    partitions: int = 4,
) -> Settings:
    """Isolated settings for live-versus-replay runs: no wall-clock silence timer (replay has
    none), a 1 s timer tick, 0.2 s sink batches; optionally another broker or warehouse."""
    run = uuid.uuid4().hex[:10]
    return base.model_copy(
        update={
            "app_id": f"fault-{run}",
            "kafka": base.kafka.model_copy(update={"bootstrap": bootstrap or base.kafka.bootstrap}),
            "topics": base.topics.model_copy(
                update={"prefix": f"f{run}", "partitions": partitions}
            ),
            "warehouse": base.warehouse.model_copy(
                update={"url": warehouse_url or base.warehouse.url, "batch_seconds": 0.2}
            ),
            "stream": base.stream.model_copy(update={"silence_timer": False, "tick_seconds": 1.0}),
        }
    )


def produce_in_order(lines: Iterable[RecordingLine], settings: Settings) -> int:
    """Produce like ``cryotrace produce`` but one request in flight per connection: a retry
    (e.g. right after a broker restart) can never reorder a partition, so live input order
    stays the recording's order, which replay follows."""
    from kafka import KafkaProducer

    from streams.kafka_clients import kafka_python_config
    from streams.produce import line_bytes
    from streams.wire import received_at_headers

    producer = KafkaProducer(
        **kafka_python_config(settings.kafka),
        acks="all",
        linger_ms=20,
        retries=20,
        max_in_flight_requests_per_connection=1,
    )
    try:
        futures = [
            producer.send(
                topic_name(settings, Topic(line.topic)),
                key=line.key.encode() if line.key is not None else None,
                value=line_bytes(line),
                headers=list(received_at_headers(line.received_at).items())
                if line.received_at
                else [],
            )
            for line in lines
        ]
        producer.flush(120)
        for future in futures:
            future.get(30)
        return len(futures)
    finally:
        producer.close()


def live_alerts(settings: Settings) -> list[Alert]:
    return [Alert.model_validate_json(v) for v in read_topic(settings, Topic.ALERTS)]


def repeated_versions(alerts: Sequence[Alert]) -> int:
    """Alert versions published more than once (at-least-once repeats the consumers absorb);
    fails if one version ever carried two different contents."""
    seen: dict[tuple[str, int], dict[str, Any]] = {}
    repeats = 0
    for alert in alerts:
        body = alert.model_dump(mode="json")
        known = seen.setdefault((alert.alert_id, alert.version), body)
        assert known == body, f"{alert.alert_id} v{alert.version} published with two contents"
        repeats += known is not body
    return repeats


def score_overall(truth: dict[str, Any], alerts: Iterable[Alert], out: Path) -> dict[str, Any]:
    """The simulator-truth score (pooled over alert types) of a set of alert versions."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "alerts.jsonl").write_text("".join(a.model_dump_json() + "\n" for a in alerts))
    (out / "eta.jsonl").write_text("")
    return dict(score_run(truth, out)["overall"])


# -- consumer groups --------------------------------------------------------------------------


def processing_lag(settings: Settings) -> int | None:
    return group_lag(settings, settings.app_id, [topic_name(settings, t) for t in INPUT_TOPICS])


def sink_lag(settings: Settings) -> int | None:
    return group_lag(
        settings, settings.app_id + SINK_SUFFIX, [topic_name(settings, t) for t in Topic]
    )


def delivery_lag(settings: Settings) -> int | None:
    return group_lag(
        settings, settings.app_id + DELIVER_SUFFIX, [topic_name(settings, Topic.ALERTS)]
    )


def all_alive(*workers: WorkerProcess) -> None:
    """Fail at once, with the log tail, if a worker exited (a crash is never retried here)."""
    for worker in workers:
        if not worker.alive():
            raise AssertionError(f"worker exited:\n{worker.output()[-4000:]}")


def wait_alive(workers: Sequence[WorkerProcess], probe: Any, timeout: float, what: str) -> Any:
    """``wait_until`` that fails early if any worker died meanwhile."""

    def check() -> Any:
        all_alive(*workers)
        return probe()

    return wait_until(check, timeout, what, interval=0.5)


def wait_alerts_equal(
    settings: Settings, fleet: Fleet, workers: Sequence[WorkerProcess], timeout: float
) -> None:
    """Wait until the live final alerts equal replay's; on timeout fail with the difference."""
    try:
        wait_alive(
            workers,
            lambda: same_outcome(fleet.expected_alerts, final_alerts(live_alerts(settings))),
            timeout,
            "live alerts to equal replay's",
        )
    except AssertionError as exc:
        actual = final_alerts(live_alerts(settings))
        raise AssertionError(f"{exc}\n{alert_diff(fleet.expected_alerts, actual)}") from None


# -- the warehouse ---------------------------------------------------------------------------


@contextmanager
def warehouse(url: str) -> Iterator[sa.Engine]:
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


def has_tables(engine: sa.Engine, *names: str) -> bool:
    try:
        return set(names) <= set(sa.inspect(engine).get_table_names())
    except sa.exc.OperationalError:
        return False


def scalar(engine: sa.Engine, sql: str) -> Any:
    with engine.connect() as conn:
        return conn.execute(sa.text(sql)).scalar()


def stored_readings(engine: sa.Engine) -> Counter[str]:
    """How many rows each reading event_id has in the warehouse."""
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT event_id, count(*) FROM readings GROUP BY event_id"))
        return Counter({str(event_id): int(n) for event_id, n in rows})


def stored_alerts(engine: sa.Engine) -> dict[str, dict[str, Any]]:
    """The ``alerts`` table (latest version of each alert) as comparable fields."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT alert_id, status, alert_type, severity, shipment_id, opened_at,"
                " updated_at, resolved_at, custodian_party_id, message FROM alerts"
            )
        ).mappings()
        return {str(row["alert_id"]): _alert_fields(dict(row)) for row in rows}


def expected_stored_alerts(alerts: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """``final_alerts`` JSON in the shape of :func:`stored_alerts`."""
    out = {}
    for alert_id, body in alerts.items():
        alert = Alert.model_validate({**body, "version": 1})
        out[alert_id] = _alert_fields(
            {
                "status": alert.status,
                "alert_type": alert.type,
                "severity": alert.severity,
                "shipment_id": alert.shipment_id,
                "opened_at": alert.opened_at,
                "updated_at": alert.updated_at,
                "resolved_at": alert.resolved_at,
                "custodian_party_id": alert.custodian.party_id if alert.custodian else None,
                "message": alert.message,
            }
        )
    return out


def _alert_fields(row: dict[str, Any]) -> dict[str, Any]:
    def instant(value: datetime | None) -> float | None:
        if value is None:
            return None
        if value.tzinfo is None:  # a driver returning naive UTC
            value = value.replace(tzinfo=UTC)
        return round(value.timestamp(), 3)

    return {
        "status": row["status"],
        "type": row["alert_type"],
        "severity": row["severity"],
        "shipment_id": row["shipment_id"],
        "opened_at": instant(row["opened_at"]),
        "updated_at": instant(row["updated_at"]),
        "resolved_at": instant(row["resolved_at"]),
        "custodian": row["custodian_party_id"],
        "message": row["message"],
    }


def warehouse_matches(engine: sa.Engine, fleet: Fleet) -> bool:
    """Every valid reading exactly once and every alert at its final version, nothing else."""
    if not has_tables(engine, "readings", "alerts"):
        return False
    try:
        readings = stored_readings(engine)
        alerts = stored_alerts(engine)
    except sa.exc.OperationalError:
        return False
    return (
        set(readings) == fleet.readings
        and max(readings.values(), default=1) == 1
        and alerts == expected_stored_alerts(fleet.expected_alerts)
    )


def warehouse_diff(engine: sa.Engine, fleet: Fleet) -> str:
    readings = stored_readings(engine)
    alerts = stored_alerts(engine)
    expected = expected_stored_alerts(fleet.expected_alerts)
    wrong = [a for a in expected if a in alerts and alerts[a] != expected[a]]
    return (
        f"readings missing {len(fleet.readings - set(readings))},"
        f" unexpected {len(set(readings) - fleet.readings)},"
        f" doubled {sum(1 for n in readings.values() if n > 1)};"
        f" alerts missing {sorted(set(expected) - set(alerts))[:5]},"
        f" unexpected {sorted(set(alerts) - set(expected))[:5]},"
        f" differing {[(a, expected[a], alerts[a]) for a in wrong[:2]]}"
    )


# -- the report ------------------------------------------------------------------------------


@dataclass
class Outcome:
    """One row of docs/reliability.md: the fault, the load, what happened, the figures."""

    fault: str
    load: str
    outcome: str = "FAILED"
    figures: dict[str, Any] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)

    def passed(self, outcome: str) -> None:
        self.outcome = outcome
        self.figures["case wall time"] = f"{time.monotonic() - self.started:.0f} s"


# -- caught up everywhere -------------------------------------------------------------------


def wait_caught_up(
    settings: Settings, fleet: Fleet, workers: Sequence[WorkerProcess], engine: sa.Engine
) -> None:
    """Wait until live final alerts equal replay's, the warehouse holds replay's rows and
    neither the processor nor the sink lags; each failure names what differs."""
    wait_alerts_equal(settings, fleet, workers, 300)
    try:
        wait_alive(workers, lambda: warehouse_matches(engine, fleet), 180, "the warehouse")
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{warehouse_diff(engine, fleet)}") from None
    wait_alive(
        workers,
        lambda: processing_lag(settings) == 0 and sink_lag(settings) == 0,
        180,
        "processor and sink lag to reach zero",
    )
