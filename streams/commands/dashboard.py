"""``cryotrace dashboard --warehouse URL --host H --port P [--token-env NAME]``: the web dashboard."""

from __future__ import annotations

import argparse
import os
import sys

from schemas.errors import ConfigError
from streams.settings import get_settings

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``cryotrace dashboard``."""
    parser.add_argument(
        "--warehouse",
        metavar="URL",
        help="warehouse URL (default: CRYOTRACE_WAREHOUSE_URL, else duckdb:///data/warehouse.duckdb);"
        " a DuckDB file is opened read-only",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    parser.add_argument(
        "--port", type=int, default=8050, help="port (default 8050; 0 picks a free one)"
    )
    parser.add_argument(
        "--token-env",
        metavar="NAME",
        help="require 'Authorization: Bearer <token>' with the token read from this environment variable",
    )
    parser.add_argument(
        "--refresh",
        type=int,
        default=30,
        metavar="SECONDS",
        help="fleet page auto-refresh (default 30)",
    )
    parser.add_argument(
        "--busy-timeout",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="how long a request waits for a DuckDB file locked by its writer (default 5)",
    )


def _token(name: str | None) -> str | None:
    if name is None:
        return None
    token = os.environ.get(name, "")
    if not token.strip():
        raise ConfigError(f"--token-env {name}: the environment variable is unset or empty")
    return token.strip()


def run(args: argparse.Namespace) -> int:
    """Serve the dashboard until interrupted."""
    from streams.dashboard.app import create_app
    from streams.dashboard.reader import WarehouseReader
    from streams.dashboard.server import serve_forever
    from streams.dashboard.warehouse import WarehouseUnavailable

    if args.refresh < 1:
        raise ConfigError("--refresh must be at least 1 second")
    token = _token(args.token_env)
    url = args.warehouse or get_settings().warehouse.url
    reader = WarehouseReader(url, busy_budget_s=args.busy_timeout)
    shown = reader.engine.url.render_as_string(hide_password=True)
    try:
        reader.ping()
    except WarehouseUnavailable as exc:
        print(
            f"cryotrace dashboard: warning: {exc} (serving anyway; pages answer 503)",
            file=sys.stderr,
        )
    app = create_app(reader, token=token, refresh_s=args.refresh)

    def started(address: str) -> None:
        auth = " (token required)" if token else ""
        print(f"dashboard on {address}/ over {shown}{auth}", flush=True)

    serve_forever(app, args.host, args.port, started=started)
    return 0
