"""``cryotrace replay FILE --out DIR [--warehouse URL]``: the rules offline over a recording."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from pydantic import BaseModel

from alerts.config import RuleConfig
from schemas.errors import ConfigError
from schemas.recording import scan_recording
from streams.offline import OfflineRunner, Record

__all__ = ["OUTPUT_FILES", "add_arguments", "run"]

OUTPUT_FILES = ("alerts.jsonl", "eta.jsonl", "deadletter.jsonl", "summary.json")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``cryotrace replay``."""
    parser.add_argument("file", type=Path, help="recording (JSON Lines) to replay")
    parser.add_argument("--out", type=Path, required=True, help="folder for the output files")
    parser.add_argument(
        "--warehouse",
        metavar="URL",
        help="also write events, alerts and dead letters to this warehouse (SQLAlchemy URL)",
    )
    parser.add_argument(
        "--config",
        type=Path,
        metavar="JSON",
        help="rule configuration (alerts.config.RuleConfig fields) as a JSON file",
    )


def _write_jsonl(path: Path, records: Iterable[BaseModel]) -> int:
    count = 0
    with path.open("w", encoding="utf-8") as stream:
        for record in records:
            stream.write(record.model_dump_json())
            stream.write("\n")
            count += 1
    return count


def _load_config(path: Path | None) -> RuleConfig:
    if path is None:
        return RuleConfig()
    try:
        return RuleConfig.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot use rule configuration {path}: {exc}") from exc


def run(args: argparse.Namespace, *, log: IO[str] | None = None) -> int:
    """Replay ``args.file`` and write the output files into ``args.out``."""
    log = log or sys.stderr
    source: Path = args.file
    if not source.is_file():
        raise ConfigError(f"no recording at {source}")
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    config = _load_config(getattr(args, "config", None))
    sink: Any = None
    if args.warehouse:
        from sinks.writer import WarehouseSink

        sink = WarehouseSink(args.warehouse)

    def to_sink(record: Record) -> None:
        sink.add(record)
        if sink.full:
            sink.flush()

    runner = OfflineRunner(config, listener=to_sink if sink is not None else None)
    started = time.perf_counter()
    summary = runner.run(line for _, line in scan_recording(source))
    elapsed = time.perf_counter() - started
    if sink is not None:
        sink.close()  # flushes what is still buffered
    _write_jsonl(out / "alerts.jsonl", runner.alerts)
    _write_jsonl(out / "eta.jsonl", runner.eta)
    _write_jsonl(out / "deadletter.jsonl", runner.dead_letters)
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    rate = summary["lines"] / elapsed if elapsed > 0 else 0.0
    print(
        f"replayed {summary['lines']} lines in {elapsed:.2f} s ({rate:.0f} lines/s): "
        f"{summary['alerts']} alerts ({summary['alert_versions']} versions), "
        f"{summary['dead_letters']} dead letters -> {out}",
        file=log,
    )
    return 0
