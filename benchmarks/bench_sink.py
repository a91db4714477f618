"""Warehouse sink throughput: readings per second into DuckDB and PostgreSQL, validation on.

    python benchmarks/bench_sink.py [--readings 200000] [--batch N] [--backends duckdb,postgresql]
                                    [--stored 0] [--repeat 1] [--no-validate] [--json]

``--batch`` defaults to the live sink's flush size (``WarehouseSettings.batch_size``, the
size bound of the warehouse agent's batches), so the figure is the one production gets.
``--stored N`` first fills the warehouse with N other readings (untimed), for the cost of
writing into a table that already holds data.

PostgreSQL comes from CRYOTRACE_POSTGRES_URL, else the project's local cluster
(``streams.infra.postgres.ensure_postgres``); each run writes into a fresh database. When
that server runs on this machine, the CPU time of the sink's server process is printed too
(PostgreSQL does the insert work there, outside this process's CPU figure).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import structlog

from schemas.telemetry import TelemetryReading
from sinks import testing as build
from sinks.writer import WarehouseSink
from streams.settings import WarehouseSettings

STEP = build.reading(1).recorded_at - build.reading(0).recorded_at


def make_readings(count: int, shipments: int = 200, prefix: str = "SHP") -> list[TelemetryReading]:
    """``count`` valid readings spread over ``shipments`` shipments (built before timing)."""
    template = build.reading(0)
    readings = []
    for i in range(count):
        shipment = f"{prefix}-{i % shipments:05d}"
        seq = i // shipments
        readings.append(
            template.model_copy(
                update={
                    "event_id": f"{shipment}:LOG:{seq}",
                    "shipment_id": shipment,
                    "seq": seq,
                    "recorded_at": build.T0 + seq * STEP,
                    "temperature_c": -180.0 + (i % 50) * 0.1,
                }
            )
        )
    return readings


@contextmanager
def warehouse(backend: str) -> Iterator[str]:
    """A fresh warehouse URL for ``backend``, removed afterwards."""
    if backend == "duckdb":
        with tempfile.TemporaryDirectory() as directory:
            yield f"duckdb:///{Path(directory) / 'bench.duckdb'}"
        return
    import psycopg
    from sqlalchemy.engine import make_url

    from streams.infra.postgres import ensure_postgres

    base = make_url(os.environ.get("CRYOTRACE_POSTGRES_URL") or ensure_postgres())
    name = f"bench_{uuid.uuid4().hex[:8]}"
    admin: dict[str, Any] = {
        "host": base.host,
        "port": base.port,
        "user": base.username,
        "password": base.password,
        "dbname": base.database,
        "autocommit": True,
    }
    with psycopg.connect(**admin) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(**admin) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _server_pid(sink: WarehouseSink) -> int | None:
    """The PostgreSQL backend serving the sink's pooled connection, when it is local."""
    if sink.engine.dialect.name != "postgresql":
        return None
    with sink.engine.connect() as connection:
        pid = int(connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())
    return pid if _process_cpu_s(pid) is not None else None


def _process_cpu_s(pid: int) -> float | None:
    """User + system CPU seconds of process ``pid`` (Linux ``/proc``), None if not visible."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(
    backend: str,
    warm_up: list[TelemetryReading],
    readings: list[TelemetryReading],
    batch: int,
    validate: bool,
) -> dict[str, Any]:
    """Flush ``warm_up`` (untimed), then time adding and flushing ``readings`` in batches."""
    with warehouse(backend) as url:
        sink = WarehouseSink(url, validate=validate, max_batch=batch)
        try:
            for start in range(0, len(warm_up), batch):  # GX, connections, stored rows
                for reading in warm_up[start : start + batch]:
                    sink.add(reading)
                sink.flush()
            server = _server_pid(sink)  # one pooled connection: the same backend throughout
            server_started = _process_cpu_s(server) if server else None
            add_s = validate_s = write_s = 0.0
            cpu_started = time.process_time()
            started = time.perf_counter()
            for start in range(0, len(readings), batch):
                adding = time.perf_counter()
                for reading in readings[start : start + batch]:
                    sink.add(reading)
                add_s += time.perf_counter() - adding
                report = sink.flush()
                validate_s += report.validate_s
                write_s += report.write_s
            elapsed = time.perf_counter() - started
            cpu = time.process_time() - cpu_started
            server_ended = _process_cpu_s(server) if server else None
        finally:
            sink.close(flush=False)
    per_second = len(readings) / elapsed
    return {
        "readings": len(readings),
        "batch": batch,
        "seconds": round(elapsed, 3),
        "readings_per_s": round(per_second),
        "readings_per_cpu_s": round(len(readings) / cpu),
        "add_s": round(add_s, 3),
        "validate_s": round(validate_s, 3),
        "write_s": round(write_s, 3),
        "convert_s": round(elapsed - add_s - validate_s - write_s, 3),
        "server_cpu_s": (
            None
            if server_started is None or server_ended is None
            else round(server_ended - server_started, 2)
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readings", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=WarehouseSettings().batch_size)
    parser.add_argument("--backends", default="duckdb,postgresql")
    parser.add_argument("--no-validate", action="store_true")
    parser.add_argument("--repeat", type=int, default=1, help="runs per backend; the best counts")
    parser.add_argument("--stored", type=int, default=0, help="readings stored before timing")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(30))
    readings = make_readings(args.readings)
    warm_up = make_readings(max(args.batch, args.stored), prefix="WARM")
    results: dict[str, dict[str, Any]] = {}
    for backend in args.backends.split(","):
        runs = [
            run(backend, warm_up, readings, args.batch, not args.no_validate)
            for _ in range(args.repeat)
        ]
        best = max(runs, key=lambda figures: figures["readings_per_s"])
        best["runs_readings_per_s"] = [figures["readings_per_s"] for figures in runs]
        results[backend] = best
    if args.json:
        print(json.dumps(results))
        return
    for backend, figures in results.items():
        server = figures["server_cpu_s"]
        print(
            f"{backend:>10}: {figures['readings_per_s']:>8,} readings/s "
            f"[{figures['readings_per_cpu_s']:,}/CPU-s of this process; runs "
            f"{figures['runs_readings_per_s']}] "
            f"({figures['readings']:,} in {figures['seconds']} s, batches of {figures['batch']:,}; "
            f"validate {figures['validate_s']} s, write {figures['write_s']} s, "
            f"convert+dedupe {figures['convert_s']} s, add {figures['add_s']} s"
            + ("" if server is None else f"; server CPU {server} s")
            + ")"
        )


if __name__ == "__main__":
    main()
