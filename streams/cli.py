"""The ``cryotrace`` command line: one subcommand per module under ``streams.commands``."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType

from schemas.errors import CryotraceError


@dataclass(frozen=True)
class Command:
    """A subcommand: name, help line, implementing module and the issue that builds it."""

    name: str
    help: str
    module: str
    pending_issue: int | None = None


COMMANDS: tuple[Command, ...] = (
    Command(
        "demo",
        "the main job: local Kafka, DuckDB warehouse, a worker, a simulated fleet",
        "demo",
        pending_issue=9,
    ),
    Command("worker", "run one Faust stream worker", "worker", pending_issue=5),
    Command(
        "simulate",
        "a simulated fleet as a recording (and ground truth), or into Kafka",
        "simulate",
        pending_issue=4,
    ),
    Command("produce", "send a recording file to Kafka", "produce", pending_issue=2),
    Command("replay", "run the rules offline over a recording", "replay", pending_issue=5),
    Command("check", "validate a recording; one JSON line per message", "check", pending_issue=3),
    Command(
        "score",
        "score alerts and ETAs against a simulator's ground truth",
        "score",
        pending_issue=4,
    ),
    Command("dashboard", "the web dashboard over the warehouse", "dashboard", pending_issue=9),
    Command(
        "webhook-receiver",
        "reference receiver verifying webhook signatures",
        "webhook_receiver",
        pending_issue=7,
    ),
    Command(
        "bench", "the benchmark: raw ceiling, textbook Faust, cryotrace", "bench", pending_issue=10
    ),
    Command(
        "infra", "start, stop or show the local Kafka (and PostgreSQL)", "infra", pending_issue=2
    ),
    Command("audit", "verify the custody hash chains in the warehouse", "audit", pending_issue=6),
    Command(
        "schemas", "export the JSON Schemas of the wire models", "schemas_export", pending_issue=3
    ),
)


def _load(command: Command) -> ModuleType | None:
    try:
        return importlib.import_module(f"streams.commands.{command.module}")
    except ModuleNotFoundError as exc:
        if exc.name == f"streams.commands.{command.module}":
            return None
        raise


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, ModuleType | None]]:
    """The parser with every subcommand; modules not built yet answer with their issue number."""
    parser = argparse.ArgumentParser(
        prog="cryotrace",
        description="Stream processing for the cold chain of cell therapies.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    modules: dict[str, ModuleType | None] = {}
    for command in COMMANDS:
        module = _load(command)
        suffix = "" if module else f" (not built yet: issue {command.pending_issue or '?'})"
        child = sub.add_parser(command.name, help=command.help + suffix, description=command.help)
        if module is not None:
            module.add_arguments(child)
        modules[command.name] = module
    return parser, modules


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    parser, modules = build_parser()
    args = parser.parse_args(argv)
    module = modules[args.command]
    if module is None:
        command = next(c for c in COMMANDS if c.name == args.command)
        print(
            f"cryotrace {command.name}: not built yet (issue {command.pending_issue})",
            file=sys.stderr,
        )
        return 2
    try:
        result: int = module.run(args)
    except CryotraceError as exc:
        print(f"cryotrace {args.command}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return result


if __name__ == "__main__":
    sys.exit(main())
