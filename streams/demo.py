"""The demo: a simulated regional network streamed through local Kafka, workers, warehouse,
webhooks to a reference receiver, then a scored summary against the simulator's truth."""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from schemas.errors import CryotraceError
from schemas.recording import RecordingLine, read_recording
from streams.app import DELIVER_SUFFIX, SINK_SUFFIX
from streams.infra.kafka import LocalKafka
from streams.kafka_clients import ensure_topics
from streams.lag import end_offsets, group_lag
from streams.produce import produce_lines
from streams.scoring.report import score_run
from streams.settings import Settings
from streams.supervise import WorkerProcess, free_port, wait_until
from streams.topic_reader import read_topic
from streams.topics import INPUT_TOPICS, Topic, topic_name

SECRET_ENV = "CRYOTRACE_DEMO_WEBHOOK_SECRET"  # noqa: S105 - the variable name, not a secret
"""The demo's webhook secret lives only in this variable of the demo's children."""


@dataclass
class DemoOptions:
    """What the demo simulates and how many workers it runs."""

    shipments: int = 200
    seed: int = 7
    workers: int = 2
    timeout_s: float = 900.0
    workdir: Path = Path("data/demo")
    webhooks: bool = True


@dataclass
class DemoResult:
    """What the demo did, for the summary and for tests."""

    produced: int = 0
    seconds: float = 0.0
    table_counts: dict[str, int] = field(default_factory=dict)
    score: dict[str, Any] = field(default_factory=dict)
    alerts_by_type: dict[str, int] = field(default_factory=dict)
    dead_letters: int = 0
    webhooks_received: int = 0
    web_ports: list[int] = field(default_factory=list)


def ensure_kafka(settings: Settings, console: Console) -> None:
    """Start the embedded broker when the configured bootstrap is the local one and nothing answers."""
    local = LocalKafka.serving(settings)
    if local is None or local.answers():
        return
    console.print(f"starting local Kafka on {local.bootstrap} (first run downloads the jars)")
    local.up()


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "streams.cli", *args]


def simulate(options: DemoOptions) -> tuple[list[RecordingLine], dict[str, Any]]:
    """A simulated fleet from ``cryotrace simulate`` (deterministic for a seed) and its truth."""
    options.workdir.mkdir(parents=True, exist_ok=True)
    recording = options.workdir / "recording.jsonl"
    truth = options.workdir / "truth.json"
    done = subprocess.run(  # noqa: S603 - our own CLI with fixed arguments
        _cli(
            "simulate",
            "--shipments",
            str(options.shipments),
            "--seed",
            str(options.seed),
            "--out",
            str(recording),
            "--truth",
            str(truth),
        ),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise CryotraceError(f"cryotrace simulate failed: {done.stderr[-2000:]}")
    return list(read_recording(recording)), json.loads(truth.read_text())


def _subscriptions(options: DemoOptions, lines: list[RecordingLine]) -> Path:
    """One subscriber per hospital of the simulated network, all on the reference receiver."""
    hospitals = sorted(
        {
            site["site_id"]
            for line in lines
            if line.topic == "shipments" and line.value
            for site in (line.value.get("origin", {}), line.value.get("destination", {}))
            if site.get("role") == "hospital"
        }
    )
    path = options.workdir / "subscriptions.json"
    path.write_text(
        json.dumps(
            {
                "subscribers": [
                    {
                        "id": f"hospital-{site.lower()}",
                        "url": "http://127.0.0.1:{port}/hooks/" + site,
                        "secret_env": SECRET_ENV,
                        "sites": [site],
                        "min_severity": "warning",
                    }
                    for site in hospitals
                ]
            },
            indent=2,
        )
    )
    return path


def warehouse_counts(url: str) -> dict[str, int]:
    """Row count of every warehouse table."""
    from sinks.engine import make_engine
    from sinks.models import metadata

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return {
                table.name: int(
                    conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
                )
                for table in metadata.sorted_tables
                if table.name != "alembic_version"
            }
    finally:
        engine.dispose()


def run_demo(settings: Settings, options: DemoOptions, console: Console) -> DemoResult:
    """Run the whole demo; every child process is stopped on the way out (Ctrl-C included)."""
    started = time.monotonic()
    result = DemoResult()
    # A recorded week replays far faster than the wall clock: the live silence timer is off,
    # and the timer settles alerts held back by late bursts every second.
    # Each run streams into topics and consumer groups of its own, so its summary is its own;
    # the warehouse is shared and idempotent, so a second run leaves the same rows.
    run = time.strftime("%Y%m%d-%H%M%S")
    settings = settings.model_copy(
        update={
            "app_id": f"{settings.app_id}-demo-{run}",
            "topics": settings.topics.model_copy(
                update={"prefix": f"{settings.topics.prefix}-demo-{run}"}
            ),
            "stream": settings.stream.model_copy(
                update={"silence_timer": False, "tick_seconds": 1.0}
            ),
        }
    )
    ensure_kafka(settings, console)
    ensure_topics(settings)
    lines, truth = simulate(options)
    logs = options.workdir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    received = options.workdir / "webhooks-received.jsonl"
    received.unlink(missing_ok=True)
    children: list[WorkerProcess | subprocess.Popen[bytes]] = []
    groups = [
        ("stream workers", settings.app_id, [topic_name(settings, t) for t in INPUT_TOPICS]),
        ("warehouse sink", settings.app_id + SINK_SUFFIX, [topic_name(settings, t) for t in Topic]),
    ]
    try:
        result.web_ports = [free_port() for _ in range(options.workers)]
        for index, port in enumerate(result.web_ports):
            children.append(
                WorkerProcess(settings, "process", logs / f"worker-{index}.log", web_port=port)
            )
        children.append(WorkerProcess(settings, "sink", logs / "sink.log"))
        if options.webhooks:
            children.extend(_start_webhooks(settings, options, lines, logs, received))
            groups.append(
                (
                    "webhook delivery",
                    settings.app_id + DELIVER_SUFFIX,
                    [topic_name(settings, Topic.ALERTS)],
                )
            )
        console.print(
            f"{options.workers} stream workers, 1 warehouse sink"
            + (", 1 webhook deliverer and a reference receiver" if options.webhooks else "")
            + f" started (logs in {logs})"
        )
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        ) as progress:
            task = progress.add_task(f"streaming {options.shipments} shipments", total=len(lines))
            result.produced = produce_lines(
                lines, settings=settings, on_progress=lambda n: progress.update(task, completed=n)
            )
            progress.update(task, completed=result.produced)
            _wait_for(settings, children, groups, options.timeout_s, progress)
            # the timer settles alerts held back by late bursts: wait until none come any more
            _wait_quiet(
                settings,
                Topic.ALERTS,
                quiet_s=settings.stream.settle_quiet_seconds + 3 * settings.stream.tick_seconds,
            )
        _score(settings, options, truth, result)
        if options.webhooks:
            wait_until(
                lambda: _received(received) > 0 or not result.alerts_by_type,
                60,
                "the first webhooks at the receiver",
            )
    finally:
        for child in children:
            if isinstance(child, WorkerProcess):
                child.stop()
            else:
                child.terminate()
                child.wait(30)
    result.webhooks_received = _received(received)
    result.table_counts = warehouse_counts(settings.warehouse.url)
    result.seconds = time.monotonic() - started
    return result


def _start_webhooks(
    settings: Settings,
    options: DemoOptions,
    lines: list[RecordingLine],
    logs: Path,
    received: Path,
) -> list[WorkerProcess | subprocess.Popen[bytes]]:
    secret = (
        os.environ.get(SECRET_ENV) or "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    )
    port = free_port()
    path = _subscriptions(options, lines)
    path.write_text(path.read_text().replace("{port}", str(port)))
    env = {**os.environ, SECRET_ENV: secret}
    with (logs / "receiver.log").open("ab") as out:
        receiver = subprocess.Popen(  # noqa: S603 - our own CLI
            _cli(
                "webhook-receiver",
                "--port",
                str(port),
                "--secret-env",
                SECRET_ENV,
                "--store",
                str(received),
            ),
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    deliverer = WorkerProcess(
        settings,
        "deliver",
        logs / "deliver.log",
        extra_env={SECRET_ENV: secret, "CRYOTRACE_SUBSCRIPTIONS": str(path)},
    )
    return [receiver, deliverer]


def _received(path: Path) -> int:
    if not path.exists():
        return 0
    return sum(1 for line in path.read_text().splitlines() if line.strip())


def _wait_for(
    settings: Settings,
    children: list[WorkerProcess | subprocess.Popen[bytes]],
    groups: list[tuple[str, str, list[str]]],
    timeout: float,
    progress: Progress,
) -> None:
    def check_alive() -> None:
        for child in children:
            if isinstance(child, WorkerProcess) and not child.alive():
                raise CryotraceError(f"a worker exited early; see {child.log_path}")
            if isinstance(child, subprocess.Popen) and child.poll() is not None:
                raise CryotraceError("the webhook receiver exited early")

    for label, group, topics in groups:
        task = progress.add_task(f"waiting for {label}", total=None)

        def caught_up(group: str = group, topics: list[str] = topics) -> bool:
            check_alive()
            return group_lag(settings, group, topics) == 0

        wait_until(caught_up, timeout, f"{label} to catch up", interval=0.5)
        progress.update(task, total=1, completed=1, description=f"{label} caught up")


def _wait_quiet(settings: Settings, logical: Topic, quiet_s: float, timeout: float = 120) -> None:
    """Wait until ``logical`` has had no new message for ``quiet_s`` seconds."""
    name = topic_name(settings, logical)
    seen: dict[Any, int] = {}
    changed = [time.monotonic()]

    def quiet() -> bool:
        ends = end_offsets(settings, [name])
        if ends != seen:
            seen.clear()
            seen.update(ends)
            changed[0] = time.monotonic()
        return time.monotonic() - changed[0] >= quiet_s

    wait_until(quiet, timeout, f"{name} to go quiet", interval=0.5)


def _score(
    settings: Settings, options: DemoOptions, truth: dict[str, Any], result: DemoResult
) -> None:
    """Export the live alerts, ETA updates and dead letters, and score them against the truth."""
    live = options.workdir / "live"
    live.mkdir(parents=True, exist_ok=True)
    alerts = read_topic(settings, Topic.ALERTS)
    (live / "alerts.jsonl").write_bytes(b"".join(v + b"\n" for v in alerts))
    eta = read_topic(settings, Topic.ETA)
    (live / "eta.jsonl").write_bytes(b"".join(v + b"\n" for v in eta))
    result.dead_letters = len(read_topic(settings, Topic.DEADLETTER))
    latest: dict[str, dict[str, Any]] = {}
    for value in alerts:
        alert = json.loads(value)
        known = latest.get(alert["alert_id"])
        if known is None or alert["version"] >= known["version"]:
            latest[alert["alert_id"]] = alert
    result.alerts_by_type = dict(sorted(Counter(a["type"] for a in latest.values()).items()))
    result.score = score_run(truth, live)
