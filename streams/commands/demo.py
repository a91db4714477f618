"""``cryotrace demo``: the main job on the embedded default (local Kafka, DuckDB)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rich.console import Console
from rich.table import Table

from streams.demo import DemoOptions, run_demo
from streams.settings import get_settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--shipments", type=int, default=20, help="simulated shipments")
    parser.add_argument("--seed", type=int, default=7, help="simulator seed")
    parser.add_argument("--workers", type=int, default=2, help="stream worker processes")
    parser.add_argument(
        "--timeout", type=float, default=600.0, help="seconds to wait for the pipeline"
    )
    parser.add_argument(
        "--workdir", type=Path, default=Path("data/demo"), help="recording and logs"
    )
    parser.add_argument("--json", action="store_true", help="print the summary as one JSON object")


def run(args: argparse.Namespace) -> int:
    console = Console()
    settings = get_settings()
    options = DemoOptions(
        shipments=args.shipments,
        seed=args.seed,
        workers=args.workers,
        timeout_s=args.timeout,
        workdir=args.workdir,
    )
    result = run_demo(settings, options, Console(stderr=True) if args.json else console)
    if args.json:
        summary = {
            "produced": result.produced,
            "seconds": round(result.seconds, 1),
            "warehouse": result.table_counts,
        }
        print(json.dumps(summary, sort_keys=True))
        return 0
    table = Table(title=f"warehouse {settings.warehouse.url}")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, count in sorted(result.table_counts.items()):
        table.add_row(name, str(count))
    console.print(table)
    console.print(
        f"processed {result.produced} messages through Kafka {settings.kafka.bootstrap} "
        f"in {result.seconds:.1f} s"
    )
    return 0
