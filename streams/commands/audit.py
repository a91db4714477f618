"""``cryotrace audit verify [--warehouse URL]``: check every custody hash chain."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict

import sqlalchemy as sa

from sinks.audit import verify_chain
from sinks.engine import make_engine
from streams.settings import get_settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["verify"], help="verify: recompute every chain")
    parser.add_argument(
        "--warehouse",
        metavar="URL",
        help="warehouse URL (default: CRYOTRACE_WAREHOUSE_URL, else duckdb:///data/warehouse.duckdb)",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per broken link")


def run(args: argparse.Namespace) -> int:
    """Exit 0 when every link holds, 1 on a broken chain, 2 when there is nothing to audit."""
    url = args.warehouse or get_settings().warehouse.url
    engine = make_engine(url)
    try:
        if not sa.inspect(engine).has_table("custody_events"):
            print(f"no custody_events table in {engine.url.render_as_string(hide_password=True)}")
            return 2
        broken = verify_chain(engine)
        with engine.connect() as connection:
            links, shipments = connection.execute(
                sa.text("SELECT COUNT(*), COUNT(DISTINCT shipment_id) FROM custody_events")
            ).one()
    finally:
        engine.dispose()
    for link in broken:
        if args.json:
            print(json.dumps({"ok": False, **asdict(link)}))
        else:
            print(f"BROKEN {link.describe()}")
    if args.json:
        print(json.dumps({"ok": not broken, "shipments": shipments, "links": links}))
    else:
        verdict = "intact" if not broken else f"{len(broken)} broken link(s)"
        print(f"custody chains: {shipments} shipments, {links} links, {verdict}")
    return 1 if broken else 0
