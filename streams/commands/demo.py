"""``cryotrace demo``: the main job on the embedded default (local Kafka, DuckDB)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from streams.demo import DemoOptions, DemoResult, run_demo
from streams.settings import Settings, get_settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--shipments", type=int, default=200, help="simulated shipments (a week)")
    parser.add_argument("--seed", type=int, default=7, help="simulator seed")
    parser.add_argument("--workers", type=int, default=2, help="stream worker processes")
    parser.add_argument(
        "--timeout", type=float, default=900.0, help="seconds to wait for the pipeline"
    )
    parser.add_argument(
        "--workdir", type=Path, default=Path("data/demo"), help="recording and logs"
    )
    parser.add_argument("--no-webhooks", action="store_true", help="skip webhook delivery")
    parser.add_argument("--serve", action="store_true", help="keep the dashboard up afterwards")
    parser.add_argument("--port", type=int, default=8050, help="dashboard port with --serve")
    parser.add_argument("--json", action="store_true", help="print the summary as one JSON object")


def run(args: argparse.Namespace) -> int:
    settings = get_settings()
    options = DemoOptions(
        shipments=args.shipments,
        seed=args.seed,
        workers=args.workers,
        timeout_s=args.timeout,
        workdir=args.workdir,
        webhooks=not args.no_webhooks,
    )
    console = Console(stderr=args.json)
    result = run_demo(settings, options, console)
    dashboard = f"cryotrace dashboard --warehouse {settings.warehouse.url} --port {args.port}"
    if args.json:
        print(json.dumps(_summary(result, dashboard), sort_keys=True))
    else:
        _print(console, settings, result, dashboard)
    if args.serve:
        from streams.commands import dashboard as dashboard_command

        console.print(f"dashboard on http://127.0.0.1:{args.port}/ (Ctrl-C to stop)")
        return dashboard_command.run(dashboard_command_args(settings.warehouse.url, args.port))
    return 0


def dashboard_command_args(url: str, port: int) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    from streams.commands import dashboard as dashboard_command

    dashboard_command.add_arguments(parser)
    return parser.parse_args(["--warehouse", url, "--port", str(port)])


def _summary(result: DemoResult, dashboard: str) -> dict[str, object]:
    return {
        "produced": result.produced,
        "seconds": round(result.seconds, 1),
        "alerts_by_type": result.alerts_by_type,
        "score": result.score,
        "dead_letters": result.dead_letters,
        "webhooks_received": result.webhooks_received,
        "warehouse": result.table_counts,
        "dashboard": dashboard,
    }


def _eta_accuracy(eta: dict[str, Any] | None) -> Table | str:
    """ETA accuracy against the truth, with the naive baseline beside it."""
    if not eta or not eta.get("points"):
        return "ETA accuracy: no ETA updates were published"
    table = Table(title="ETA accuracy: p50 error / time left (mean over trips)")
    table.add_column("trip done")
    table.add_column("cryotrace", justify="right")
    table.add_column("naive baseline", justify="right")
    naive = (eta.get("baseline") or {}).get("p50_mae_ratio", {})
    for label, ours in eta["p50_mae_ratio"].items():
        theirs = naive.get(label)
        table.add_row(
            f"{float(label):g} %",
            "-" if ours is None else f"{ours:.3f}",
            "-" if theirs is None else f"{theirs:.3f}",
        )
    coverage = eta.get("p90_coverage")
    table.caption = (
        f"arrivals at or before the p90 ETA: {coverage:.1%} of {eta['points']} checkpoints"
        if coverage is not None
        else None
    )
    return table


def _print(console: Console, settings: Settings, result: DemoResult, dashboard: str) -> None:
    alerts = Table(title="alerts against the simulator's ground truth")
    for column in ("type", "alerts", "recall", "precision", "tp", "fp", "fn"):
        alerts.add_column(column, justify="left" if column == "type" else "right")
    scores = result.score.get("alerts", {})
    for kind in sorted(set(scores) | set(result.alerts_by_type)):
        s = scores.get(kind, {})
        alerts.add_row(
            kind,
            str(result.alerts_by_type.get(kind, 0)),
            *(str(s.get(k, "")) for k in ("recall", "precision", "tp", "fp", "fn")),
        )
    console.print(alerts)
    overall = result.score.get("overall", {})
    console.print(f"overall recall {overall.get('recall')}, precision {overall.get('precision')}")
    console.print(_eta_accuracy(result.score.get("eta")))
    rows = Table(title=f"warehouse {settings.warehouse.url}")
    rows.add_column("table")
    rows.add_column("rows", justify="right")
    for name, count in sorted(result.table_counts.items()):
        rows.add_row(name, str(count))
    console.print(rows)
    console.print(
        f"processed {result.produced} messages through Kafka {settings.kafka.bootstrap} in "
        f"{result.seconds:.1f} s; {result.dead_letters} dead letters; "
        f"{result.webhooks_received} webhooks received and verified by the reference receiver"
    )
    console.print()
    console.print(f"dashboard: {dashboard}   (or `cryotrace demo --serve`)")
