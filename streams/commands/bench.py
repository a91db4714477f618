"""``cryotrace bench [--events N] [--shipments M] [--json]``: the benchmark of issue 10."""

from __future__ import annotations

import argparse
import json
import os
import platform
from pathlib import Path

from rich.console import Console

from streams.bench.run import BenchOptions, markdown, run_bench, write_markdown
from streams.settings import get_settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--events", type=int, default=1_000_000, help="readings in the backlog")
    parser.add_argument("--shipments", type=int, default=10_000, help="shipments they belong to")
    parser.add_argument(
        "--naive-budget",
        type=float,
        default=60.0,
        help="seconds for each of (a') and (b), from its first commit",
    )
    parser.add_argument(
        "--latency-rate", type=int, default=5000, help="readings/s offered in the latency phase"
    )
    parser.add_argument("--latency-seconds", type=float, default=20.0, help="latency phase length")
    parser.add_argument(
        "--one-worker",
        action="store_true",
        help="run (c) in one worker with every role, not as deployed (a processor and a sink)",
    )
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    parser.add_argument(
        "--markdown",
        type=Path,
        default=None,
        help="also put the table into this file (replacing the previous run's)",
    )
    parser.add_argument("--workdir", type=Path, default=Path("data/bench"), help="logs, warehouse")


def run(args: argparse.Namespace) -> int:
    console = Console(stderr=True)
    options = BenchOptions(
        events=args.events,
        shipments=args.shipments,
        naive_budget_s=args.naive_budget,
        latency_s=args.latency_seconds,
        latency_rate=args.latency_rate,
        workdir=args.workdir,
        one_worker=args.one_worker,
    )
    result = run_bench(get_settings(), options, console)
    summary = result.summary()
    if args.markdown:
        machine = (
            f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
        )
        command = reproduce_command(args)
        by_make = command == reproduce_command(_parser().parse_args([]))  # what `make bench` runs
        write_markdown(args.markdown, markdown(summary, machine, command, by_make=by_make))
    if result.notes:
        console.print("notes: " + "; ".join(result.notes))
    print(json.dumps(summary) if args.json else json.dumps(summary, indent=2))
    return 0


def reproduce_command(args: argparse.Namespace) -> str:
    """The command that measures what ``args`` measured: the sizes, and every phase option
    given another value than its default (the table's "Reproduce" line)."""
    command = f"cryotrace bench --events {args.events} --shipments {args.shipments}"
    defaults = _parser()
    for name, flag in (
        ("naive_budget", "--naive-budget"),
        ("latency_rate", "--latency-rate"),
        ("latency_seconds", "--latency-seconds"),
    ):
        value = getattr(args, name)
        if value != defaults.get_default(name):
            command += f" {flag} {value:g}"
    if args.one_worker:
        command += " --one-worker"
    return command + " --json"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser
