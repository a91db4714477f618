"""``cryotrace infra up|down|status [--postgres]``: the local broker and database."""

from __future__ import annotations

import argparse
import json

from streams.infra.kafka import LocalKafka
from streams.infra.postgres import LocalPostgres
from streams.kafka_clients import ensure_topics
from streams.settings import get_settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["up", "down", "status"])
    parser.add_argument("--postgres", action="store_true", help="also a local PostgreSQL server")
    parser.add_argument("--no-topics", action="store_true", help="do not create the topics on up")


def run(args: argparse.Namespace) -> int:
    settings = get_settings()
    kafka = LocalKafka.configured(settings)
    postgres = LocalPostgres(port=settings.local.postgres_port)
    if args.action == "up":
        bootstrap = kafka.up()
        print(f"kafka: {bootstrap}")
        if not args.no_topics:
            settings = settings.model_copy(
                update={"kafka": settings.kafka.model_copy(update={"bootstrap": bootstrap})}
            )
            specs = ensure_topics(settings)
            print(f"topics: {', '.join(spec.name for spec in specs)}")
        if args.postgres:
            print(f"postgres: {postgres.up()}")
        return 0
    if args.action == "down":
        print(f"kafka: {'stopped' if kafka.down() else 'not running'}")
        if args.postgres:
            print(f"postgres: {'stopped' if postgres.down() else 'not running'}")
        return 0
    status = {
        "kafka": {
            "bootstrap": kafka.bootstrap,
            "answers": kafka.answers(),
            "pid": kafka.running_pid(),
        },
        "postgres": {"url": postgres.url, "answers": postgres.answers()},
    }
    print(json.dumps(status, indent=2))
    return 0
