"""The demo: local Kafka, workers, a simulated fleet streamed through them, and the warehouse counts."""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from schemas.errors import CryotraceError
from schemas.recording import RecordingLine, read_recording
from streams.app import SINK_SUFFIX
from streams.infra.kafka import LocalKafka
from streams.kafka_clients import ensure_topics
from streams.lag import group_lag
from streams.produce import produce_lines
from streams.settings import Settings
from streams.supervise import WorkerProcess, wait_until
from streams.topics import INPUT_TOPICS, Topic, topic_name


@dataclass
class DemoOptions:
    """What the demo simulates and how many workers it runs."""

    shipments: int = 20
    seed: int = 7
    workers: int = 2
    timeout_s: float = 600.0
    workdir: Path = Path("data/demo")


@dataclass
class DemoResult:
    """What the demo did, for the summary and for tests."""

    produced: int = 0
    seconds: float = 0.0
    table_counts: dict[str, int] = field(default_factory=dict)


def ensure_kafka(settings: Settings, console: Console) -> None:
    """Start the embedded broker when the configured bootstrap is the local one and nothing answers."""
    local = LocalKafka(
        port=settings.local.kafka_port,
        controller_port=settings.local.controller_port,
        heap=settings.local.kafka_heap,
    )
    if settings.kafka.bootstrap != local.bootstrap or local.answers():
        return
    console.print(f"starting local Kafka on {local.bootstrap} (first run downloads the jars)")
    local.up()


def simulate(options: DemoOptions) -> list[RecordingLine]:
    """A simulated fleet from ``cryotrace simulate`` (deterministic for a seed)."""
    options.workdir.mkdir(parents=True, exist_ok=True)
    recording = options.workdir / "recording.jsonl"
    truth = options.workdir / "truth.json"
    done = subprocess.run(  # noqa: S603 - our own CLI with fixed arguments
        [
            sys.executable,
            "-m",
            "streams.cli",
            "simulate",
            "--shipments",
            str(options.shipments),
            "--seed",
            str(options.seed),
            "--out",
            str(recording),
            "--truth",
            str(truth),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise CryotraceError(f"cryotrace simulate failed: {done.stderr[-2000:]}")
    return list(read_recording(recording))


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
    ensure_kafka(settings, console)
    ensure_topics(settings)
    lines = simulate(options)
    logs = options.workdir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    workers: list[WorkerProcess] = []
    try:
        workers.extend(
            WorkerProcess(settings, "process", logs / f"worker-{index}.log")
            for index in range(options.workers)
        )
        workers.append(WorkerProcess(settings, "sink", logs / "sink.log"))
        console.print(
            f"{options.workers} stream workers and 1 warehouse sink started (logs in {logs})"
        )
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        ) as progress:
            task = progress.add_task("producing", total=len(lines))
            result.produced = produce_lines(
                lines,
                settings=settings,
                on_progress=lambda n: progress.update(task, completed=n),
            )
            progress.update(task, completed=result.produced, description="produced")
            _wait_for_pipeline(settings, workers, options.timeout_s, progress)
    finally:
        for worker in workers:
            worker.stop()
    result.table_counts = warehouse_counts(settings.warehouse.url)
    result.seconds = time.monotonic() - started
    return result


def _wait_for_pipeline(
    settings: Settings, workers: list[WorkerProcess], timeout: float, progress: Progress
) -> None:
    inputs = [topic_name(settings, t) for t in INPUT_TOPICS]
    everything = [topic_name(settings, t) for t in Topic]
    stages = (
        ("stream workers", settings.app_id, inputs),
        ("warehouse sink", settings.app_id + SINK_SUFFIX, everything),
    )
    for label, group, topics in stages:
        task = progress.add_task(f"waiting for {label}", total=None)

        def caught_up(group: str = group, topics: list[str] = topics) -> bool:
            dead = [w for w in workers if not w.alive()]
            if dead:
                raise CryotraceError(f"a worker exited early; see {dead[0].log_path}")
            return group_lag(settings, group, topics) == 0

        wait_until(caught_up, timeout, f"{label} to catch up", interval=0.5)
        progress.update(task, total=1, completed=1, description=f"{label} caught up")
