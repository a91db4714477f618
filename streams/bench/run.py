"""Run the benchmark: produce, then measure (a) raw, (b) textbook Faust, (c) cryotrace."""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import orjson
from rich.console import Console

from alerts.compiled import active as rules_compiled
from streams.app import Role, app_id_for
from streams.bench import data, load
from streams.demo import ensure_kafka
from streams.kafka_clients import ensure_topics
from streams.lag import group_lag
from streams.produce import TopicProducer
from streams.settings import Settings
from streams.supervise import WorkerProcess, settings_env, wait_until
from streams.topics import Topic, topic_name

GROUP_START_S = 120.0
"""How long (a') and (b) may take to start and commit for the first time."""


@dataclass
class BenchOptions:
    """Sizes and time boxes, defaulting to a 2-core machine."""

    events: int = 1_000_000
    shipments: int = 10_000
    naive_budget_s: float = 60.0
    pipeline_timeout_s: float = 1800.0
    latency_rate: int = 5000
    latency_s: float = 20.0
    workdir: Path = Path("data/bench")
    one_worker: bool = False
    """(c) in one ``--role all`` worker instead of as deployed (a processor and a sink)."""

    @property
    def roles(self) -> tuple[Role, ...]:
        """The worker roles (c) runs; the first holds the shipment states."""
        return ("all",) if self.one_worker else ("process", "sink")


@dataclass
class BenchResult:
    """Everything ``--json`` prints (see docs/benchmarks.md)."""

    events: int
    shipments: int
    produce_eps: float = 0.0
    raw_eps: float = 0.0
    faust_eps: float = 0.0
    naive_eps: float = 0.0
    pipeline_eps: float = 0.0
    latency_ms_p50: float | None = None
    latency_ms_p99: float | None = None
    latency_samples: int = 0
    latency_rate: int = 0
    latency_offered_eps: float = 0.0
    latency_ms_p50_by_s: list[float] = field(default_factory=list)
    """The median latency of each second's probes (``load.p50_by_second``)."""
    latency_cpu_us: float | None = None
    """CPU per offered reading of the worker holding the states, from the load's start until
    its alerts are read: how fast the machine ran the phase (the p99 moves with it)."""
    pipeline_cpu_us: float = 0.0
    sink_cpu_us: float | None = None
    broker_cpu_us: float | None = None
    """CPU per reading of the local broker (``cryotrace infra up``) while the pipeline worked
    through the backlog; None with another broker (not this machine's to measure)."""
    latency_broker_cpu_us: float | None = None
    """The same per offered reading in the latency phase."""
    workers: str = ""
    compiled: bool = False
    """The rule modules ran compiled (``alerts.compiled``), not as Python."""
    rss_mb: float = 0.0
    rss_idle_mb: float = 0.0
    rss_peak_mb: float = 0.0
    rss_backlog: list[tuple[int, float]] = field(default_factory=list)
    """The resident memory (MB) of the worker holding the states as the backlog went: one
    ``(messages done, MB)`` at each look at the groups' progress."""
    recovery_s: float = 0.0
    notes: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        def ratio(a: float, b: float) -> float | None:
            return round(a / b, 3) if b else None

        return {
            "events": self.events,
            "shipments": self.shipments,
            "raw_eps": round(self.raw_eps),
            "naive_eps": round(self.naive_eps),
            "pipeline_eps": round(self.pipeline_eps),
            "ratio_raw": ratio(self.pipeline_eps, self.raw_eps),
            "ratio_naive": ratio(self.pipeline_eps, self.naive_eps),
            "latency_ms_p50": self.latency_ms_p50,
            "latency_ms_p99": self.latency_ms_p99,
            "latency_ms_p50_by_s": self.latency_ms_p50_by_s,
            "rss_mb": round(self.rss_mb, 1),
            "recovery_s": round(self.recovery_s, 1),
            "pipeline_cpu_us": round(self.pipeline_cpu_us, 1),
            "sink_cpu_us": _rounded(self.sink_cpu_us),
            "broker_cpu_us": _rounded(self.broker_cpu_us),
            "latency_broker_cpu_us": _rounded(self.latency_broker_cpu_us),
            "workers": self.workers,
            "rules_compiled": self.compiled,
            "faust_eps": round(self.faust_eps),
            "ratio_faust": ratio(self.pipeline_eps, self.faust_eps),
            "produce_eps": round(self.produce_eps),
            "latency_samples": self.latency_samples,
            "latency_rate": self.latency_rate,
            "latency_offered_eps": round(self.latency_offered_eps),
            "latency_cpu_us": _rounded(self.latency_cpu_us),
            "rss_idle_mb": round(self.rss_idle_mb, 1),
            "rss_peak_mb": round(self.rss_peak_mb, 1),
            "rss_backlog": [[done, round(mb, 1)] for done, mb in self.rss_backlog],
            "rss_mb_backlog": backlog_memory(
                self.rss_backlog, self.events + self.shipments, self.rss_idle_mb
            ),
        }


def _rounded(value: float | None) -> float | None:
    """A figure that may be unmeasured, to a tenth."""
    return None if value is None else round(value, 1)


BACKLOG_STEPS = (0.25, 0.5, 0.75, 1.0)
"""Shares of the backlog done at which ``backlog_memory`` reads the memory."""


def backlog_memory(
    samples: list[tuple[int, float]], total: int, idle_mb: float
) -> list[float | None]:
    """The memory above idle (MB) at the first look that found each of ``BACKLOG_STEPS`` of
    the ``total`` messages done (None: not reached). A worker's memory that grows with the
    readings its states took in, and not the part there from the start (buffers, the
    shipments' first states), grows from step to step."""
    out: list[float | None] = []
    for share in BACKLOG_STEPS:
        mb = next((mb for done, mb in samples if done >= share * total), None)
        out.append(None if mb is None else round(mb - idle_mb, 1))
    return out


def _cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def local_broker_pid(settings: Settings) -> int | None:
    """The process of the broker the bench talks to when it is this machine's local one
    (``cryotrace infra up``), else None."""
    from streams.infra.kafka import LocalKafka

    local = LocalKafka.serving(settings)
    return None if local is None else local.running_pid()


def _rss_mb(pid: int, field_name: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def _bench_settings(base: Settings, workdir: Path) -> Settings:
    run = uuid.uuid4().hex[:8]
    return base.model_copy(
        update={
            "app_id": f"bench-{run}",
            "topics": base.topics.model_copy(update={"prefix": f"bench-{run}"}),
            "warehouse": base.warehouse.model_copy(
                update={"url": f"duckdb:///{(workdir / f'warehouse-{run}.duckdb').resolve()}"}
            ),
            "stream": base.stream.model_copy(update={"silence_timer": False}),
        }
    )


def produce_backlog(settings: Settings, options: BenchOptions, start: datetime) -> float:
    """Manifests, then ``events`` readings; returns messages per second produced."""
    started = time.perf_counter()
    with TopicProducer(settings) as producer:
        for index in range(options.shipments):
            value = data.manifest(index, start)
            producer.send(Topic.SHIPMENTS, data.shipment_id(index), value)
        for key, value in data.readings(options.events, options.shipments, start):
            producer.send(Topic.TELEMETRY, key, value)
    return (options.events + options.shipments) / (time.perf_counter() - started)


async def _raw_ceiling(settings: Settings, events: int) -> float:
    """An aiokafka consumer that only fetches and JSON-decodes the readings."""
    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(
        topic_name(settings, Topic.TELEMETRY),
        bootstrap_servers=settings.kafka.bootstrap,
        group_id=f"{settings.app_id}-raw",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        max_partition_fetch_bytes=8 * 1024 * 1024,
        fetch_max_bytes=64 * 1024 * 1024,
    )
    await consumer.start()
    try:
        seen = 0
        started: float | None = None
        while seen < events:
            batches = await consumer.getmany(timeout_ms=1000, max_records=20_000)
            for records in batches.values():
                started = started or time.perf_counter()
                for record in records:
                    orjson.loads(record.value)
                seen += sum(len(records) for records in batches.values())
        assert started is not None
        return seen / (time.perf_counter() - started)
    finally:
        await consumer.stop()


def _consumed_rate(
    settings: Settings,
    groups: list[str],
    topics: list[str],
    total: int,
    budget_s: float,
    alive: Callable[[], bool],
    since: float | None = None,
    start_within_s: float | None = None,
    on_look: Callable[[int], None] | None = None,
) -> tuple[float, bool]:
    """Messages/s consumer groups work through, from their first commits to done (or budget);
    with several groups (the stages of a pipeline), a message counts once every one has it.

    The budget counts from now, or with ``start_within_s`` from the first commit, which must
    come within that many seconds (a worker's start-up and first commit then do not eat the
    budget: under load a textbook agent's first commit took 13 s of a 20 s budget).
    A backlog done within the first commit is timed from the last look that saw nothing
    committed, or ``since`` (a lower bound: it includes up to one commit interval of waiting).
    ``on_look`` gets the messages done at each look (0 before the first commit)."""
    none_yet = since
    first: tuple[float, int] | None = None
    last: tuple[float, int] | None = None
    deadline = time.monotonic() + (budget_s if start_within_s is None else start_within_s)
    while time.monotonic() < deadline:
        if not alive():
            raise RuntimeError(f"a worker of {', '.join(groups)} exited")
        lags = [group_lag(settings, group, topics) for group in groups]
        lag = None if None in lags else max(lag for lag in lags if lag is not None)
        now = time.monotonic()
        if on_look is not None:
            on_look(0 if lag is None else max(total - lag, 0))
        if lag is None or lag >= total:
            none_yet = now
        else:
            done = total - lag
            if first is None and start_within_s is not None:
                deadline = now + budget_s
            first = first or (now, done)
            last = (now, done)
            if lag == 0:
                break
        time.sleep(0.5)
    if first is None or last is None:
        return 0.0, False
    if last[0] > first[0]:
        return (last[1] - first[1]) / (last[0] - first[0]), last[1] == total
    if none_yet is not None:
        return last[1] / (last[0] - none_yet), last[1] == total
    return 0.0, False


def _worker_ready(worker: WorkerProcess) -> bool:
    return "Ready" in worker.output()


def _sink_ready(worker: WorkerProcess) -> bool:
    return _worker_ready(worker) and "sink.ready" in worker.output()


def _role_ready(role: Role) -> Callable[[WorkerProcess], bool]:
    """Started, and with a sink, its validation loaded (it loads before any batch)."""
    return _worker_ready if role in ("process", "deliver") else _sink_ready


def _group_rate(
    settings: Settings, module: str, suffix: str, options: BenchOptions, logs: Path
) -> float:
    """Readings/s of ``python -m module`` (consumer group ``<app id><suffix>``) over the
    backlog, from its first commit (within ``GROUP_START_S``) until it is done or
    ``naive_budget_s`` after that commit."""
    inputs = [topic_name(settings, t) for t in (Topic.SHIPMENTS, Topic.TELEMETRY)]
    env = {**os.environ, **settings_env(settings)}
    with (logs / f"{module.rsplit('.', 1)[-1]}.log").open("wb") as out:
        child = subprocess.Popen(  # noqa: S603 - one of our own bench modules, by fixed name
            [sys.executable, "-m", module], env=env, stdout=out, stderr=subprocess.STDOUT
        )
        try:
            rate, _ = _consumed_rate(
                settings,
                [settings.app_id + suffix],
                inputs,
                options.events + options.shipments,
                options.naive_budget_s,
                lambda: child.poll() is None,
                start_within_s=GROUP_START_S,
            )
            return rate
        finally:
            child.terminate()
            child.wait(60)


def run_bench(base: Settings, options: BenchOptions, console: Console) -> BenchResult:
    """The whole benchmark in one run (all numbers come from the same machine state)."""
    settings = _bench_settings(base, options.workdir)
    logs = options.workdir / settings.app_id  # each run its own logs: a worker is ready when
    logs.mkdir(parents=True, exist_ok=True)  # its own log says so, not an earlier run's
    result = BenchResult(
        events=options.events, shipments=options.shipments, latency_rate=options.latency_rate
    )
    ensure_kafka(settings, console)
    ensure_topics(settings)
    inputs = [topic_name(settings, t) for t in (Topic.SHIPMENTS, Topic.TELEMETRY)]
    total = options.events + options.shipments
    budget = f"{options.naive_budget_s:.0f} s box"

    console.print(f"producing {options.shipments} manifests and {options.events} readings")
    steps = options.events // options.shipments
    # the backlog ends a few hours ago; the latency phase's filler readings continue it
    start = data.start_for(
        steps + 2 + int(options.latency_s * options.latency_rate) // options.shipments
    )
    result.produce_eps = produce_backlog(settings, options, start)

    console.print("(a) raw aiokafka consumer, fetch + JSON decode")
    result.raw_eps = asyncio.run(_raw_ceiling(settings, options.events))

    console.print(f"(a') Faust's own ceiling, an agent that only iterates events ({budget})")
    result.faust_eps = _group_rate(settings, "streams.bench.ceiling", "-ceiling", options, logs)

    console.print(f"(b) textbook Faust agent, per-event table write ({budget})")
    result.naive_eps = _group_rate(settings, "streams.bench.naive", "-naive", options, logs)

    console.print("idle worker memory")
    idle_settings = settings.model_copy(
        update={
            "app_id": settings.app_id + "-idle",
            "topics": settings.topics.model_copy(
                update={"prefix": settings.topics.prefix + "-idle"}
            ),
        }
    )
    ensure_topics(idle_settings)
    roles = options.roles
    result.workers = "+".join(roles)
    result.compiled = rules_compiled()  # the workers import the same tree, in the same env
    idle = WorkerProcess(idle_settings, roles[0], logs / "idle.log")
    try:
        wait_until(lambda: _role_ready(roles[0])(idle), 120, "the idle worker")
        result.rss_idle_mb = _rss_mb(idle.pid, "VmRSS")
    finally:
        idle.stop()

    console.print(f"(c) cryotrace pipeline ({result.workers}): decode, rules, alerts, sink")
    workers = [WorkerProcess(settings, role, logs / f"pipeline-{role}.log") for role in roles]
    worker = workers[0]  # the one holding the shipment states
    try:
        for role, each in zip(roles, workers, strict=True):
            wait_until(partial(_role_ready(role), each), 120, f"the {role} worker")
        broker = local_broker_pid(settings)
        broker_at_start = None if broker is None else _cpu_s(broker)
        cpu_at_start, ready_at = [_cpu_s(w.pid) for w in workers], time.monotonic()
        result.pipeline_eps, finished = _consumed_rate(
            settings,
            [app_id_for(settings, role) for role in roles],
            inputs,
            total,
            options.pipeline_timeout_s,
            lambda: all(w.alive() for w in workers),
            since=ready_at,
            on_look=lambda done: result.rss_backlog.append((done, _rss_mb(worker.pid, "VmRSS"))),
        )
        # CPU per reading (each worker from ready to done) moves less with the machine's load
        # than the rate does
        cpu_us = [
            1e6 * (_cpu_s(w.pid) - c) / total for w, c in zip(workers, cpu_at_start, strict=True)
        ]
        result.pipeline_cpu_us = cpu_us[0]
        if broker is not None and broker_at_start is not None:
            result.broker_cpu_us = 1e6 * (_cpu_s(broker) - broker_at_start) / total
        if "sink" in roles:
            result.sink_cpu_us = cpu_us[roles.index("sink")]
        if not finished:
            result.notes.append("pipeline did not finish the backlog within its time box")
        result.rss_peak_mb = _rss_mb(worker.pid, "VmHWM")
        per_10k = options.shipments / 10_000
        result.rss_mb = (result.rss_peak_mb - result.rss_idle_mb) / per_10k
        console.print(f"latency at {options.latency_rate} readings/s for {options.latency_s:.0f} s")
        plan = load.OfferedLoad(
            options.latency_rate,
            options.latency_s,
            options.shipments,
            options.events,
            start,
        )
        cpu_before = _cpu_s(worker.pid)
        broker_before = None if broker is None else _cpu_s(broker)
        samples, result.latency_offered_eps = load.latency(settings, plan)
        offered = options.latency_rate * options.latency_s
        result.latency_cpu_us = 1e6 * (_cpu_s(worker.pid) - cpu_before) / offered
        if broker is not None and broker_before is not None:
            result.latency_broker_cpu_us = 1e6 * (_cpu_s(broker) - broker_before) / offered
        if samples:
            ms = [sample.ms for sample in samples]
            result.latency_samples = len(ms)
            result.latency_ms_p50 = round(statistics.median(ms), 1)
            result.latency_ms_p99 = round(statistics.quantiles(ms, n=100)[98], 1)
            result.latency_ms_p50_by_s = load.p50_by_second(samples)
    finally:
        for each in workers:
            each.stop()

    console.print("table recovery after a restart")
    started = time.monotonic()
    again = WorkerProcess(settings, roles[0], logs / "recovery.log")
    try:
        wait_until(lambda: _worker_ready(again), 600, "the restarted worker to recover")
        result.recovery_s = time.monotonic() - started
    finally:
        again.stop()
    return result


def markdown(summary: dict[str, Any], machine: str, command: str, *, by_make: bool = False) -> str:
    """docs/benchmarks.md: the table, the machine, the command."""
    workers = {
        "process+sink": "a processor and a sink worker, as deployed",
        "all": "one worker with every role",
    }.get(summary.get("workers", ""), summary.get("workers", ""))
    backlog: list[float | None] = summary.get("rss_mb_backlog") or []
    rows = [
        ("readings", f"{summary['events']:,} over {summary['shipments']:,} shipments"),
        ("(a) raw aiokafka fetch + JSON decode", f"{summary['raw_eps']:,} readings/s"),
        (
            "(a') Faust agent that only iterates events (the pipeline's app settings)",
            f"{summary['faust_eps']:,} readings/s",
        ),
        ("(b) textbook Faust agent, table write per event", f"{summary['naive_eps']:,} readings/s"),
        (
            f"(c) cryotrace pipeline (decode, validate, rules, alerts, sink; {workers})",
            f"{summary['pipeline_eps']:,} readings/s",
        ),
        (
            "(c) rule modules (alerts.compiled)",
            "compiled with mypyc" if summary.get("rules_compiled") else "run as Python",
        ),
        (
            "(c) CPU per reading of the worker holding the states, from ready to done",
            f"{summary['pipeline_cpu_us']} µs",
        ),
        *(
            [("(c) CPU per reading of the sink worker", f"{summary['sink_cpu_us']} µs")]
            if summary.get("sink_cpu_us") is not None
            else []
        ),
        *(
            [
                (
                    "(c) CPU per reading of the local broker, backlog / latency phase",
                    f"{summary['broker_cpu_us']} / {summary.get('latency_broker_cpu_us')} µs",
                )
            ]
            if summary.get("broker_cpu_us") is not None
            else []
        ),
        ("c / a", str(summary["ratio_raw"])),
        ("c / b", str(summary["ratio_naive"])),
        ("c / a'", str(summary["ratio_faust"])),
        (
            "latency p50 / p99 at the offered load",
            f"{summary['latency_ms_p50']} / {summary['latency_ms_p99']} ms "
            f"(asked {summary['latency_rate']:,}/s, offered {summary['latency_offered_eps']:,}/s)",
        ),
        *(
            [
                (
                    "latency p50 by second of the phase",
                    " / ".join(f"{ms:,.0f}" for ms in summary["latency_ms_p50_by_s"]) + " ms",
                )
            ]
            if summary.get("latency_ms_p50_by_s")
            else []
        ),
        *(
            [
                (
                    "CPU per reading of the worker holding the states in the latency phase",
                    f"{summary['latency_cpu_us']} µs (the machine's speed: the p99 moves with it)",
                )
            ]
            if summary.get("latency_cpu_us") is not None
            else []
        ),
        ("resident memory per 10,000 active shipments (above idle)", f"{summary['rss_mb']} MB"),
        *(
            [
                (
                    "memory above idle as the backlog went, at "
                    + " / ".join(f"{share:.0%}" for share in BACKLOG_STEPS)
                    + " of it done",
                    " / ".join("-" if mb is None else f"{mb:,.1f}" for mb in backlog)
                    + f" MB ({summary['shipments']:,} shipments)",
                )
            ]
            if any(mb is not None for mb in backlog)
            else []
        ),
        ("table recovery after restart", f"{summary['recovery_s']} s"),
    ]
    table = "\n".join(f"| {k} | {v} |" for k, v in rows)
    return (
        f"{MARK_START}\n"
        f"Measured {datetime.now().date().isoformat()} on {machine}.\n\n"
        f"Reproduce: `{command}`{' (or `make bench`)' if by_make else ''}.\n\n"
        "| measure | figure |\n|---|---|\n"
        f"{table}\n\n"
        "Targets (issue 10): c >= 50,000 readings/s per worker, c/b >= 5, c/a >= 0.3, "
        "p99 < 1 s at 5,000 readings/s, <= 100 MB per 10,000 shipments, recovery < 30 s.\n"
        f"{MARK_END}\n"
    )


MARK_START = "<!-- cryotrace bench: start -->"
MARK_END = "<!-- cryotrace bench: end -->"


def write_markdown(path: Path, block: str) -> None:
    """Put ``block`` (from ``markdown``) into ``path``: in place of the previous run's block,
    so the notes around it stay; a file without one gets it after its title."""
    if not path.exists():
        path.write_text(f"# Benchmarks\n\n{block}")
        return
    text = path.read_text()
    if MARK_START in text and MARK_END in text:
        before, rest = text.split(MARK_START, 1)
        after = rest.split(MARK_END, 1)[1].removeprefix("\n")
        path.write_text(before + block + after)
        return
    title, _, body = text.partition("\n")
    path.write_text(f"{title}\n\n{block}\n{body.lstrip()}")
