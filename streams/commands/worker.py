"""``cryotrace worker [--role all|process|sink] [--web-port N]``: one Faust stream worker."""

from __future__ import annotations

import argparse

from streams.settings import get_settings
from streams.worker import run_worker


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--role",
        choices=["all", "process", "sink", "deliver"],
        default="all",
        help="process: rules and alerts; sink: the warehouse writer "
        "(one process with DuckDB); deliver: webhooks (needs CRYOTRACE_SUBSCRIPTIONS); "
        "all: process and sink, and deliver when subscriptions are configured",
    )
    parser.add_argument(
        "--web-port", type=int, default=None, help="serve /health, /metrics on this port"
    )


def run(args: argparse.Namespace) -> int:
    run_worker(get_settings(), args.role, web_port=args.web_port)
    return 0
