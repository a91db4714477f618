"""``cryotrace simulate``: a simulated fleet as a recording (and its truth), or into Kafka."""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime
from pathlib import Path

from schemas.errors import CryotraceError
from schemas.recording import RecordingLine
from schemas.timestamps import parse_timestamp
from streams.simulator import SimulationConfig, simulate
from streams.simulator.clock import DEFAULT_START, rfc3339, to_ms
from streams.simulator.output import write_recording_file, write_truth_file


def _start(text: str) -> datetime:
    try:
        return parse_timestamp(text)
    except (ValueError, CryotraceError) as exc:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an RFC 3339 time with a zone (e.g. 2026-11-30T00:00:00Z)"
        ) from exc


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--shipments", type=int, default=200, help="shipments (default 200)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (same seed, same bytes)")
    parser.add_argument("--out", type=Path, default=None, help="recording file (JSON Lines)")
    parser.add_argument("--truth", type=Path, default=None, help="ground-truth file (JSON)")
    parser.add_argument(
        "--start",
        type=_start,
        default=DEFAULT_START,
        help=f"simulated start, RFC 3339 with zone (default {rfc3339(to_ms(DEFAULT_START))})",
    )
    parser.add_argument("--days", type=float, default=7.0, help="simulated days (default 7)")
    parser.add_argument("--kafka", action="store_true", help="also produce the recording to Kafka")
    parser.add_argument(
        "--speedup",
        type=float,
        default=None,
        help="with --kafka: pace by received_at at this many x real time (default: flat out)",
    )


def run(args: argparse.Namespace) -> int:
    if args.shipments < 1:
        print("--shipments must be at least 1", file=sys.stderr)
        return 2
    if args.out is None and not args.kafka:
        print("give --out RECORDING and/or --kafka", file=sys.stderr)
        return 2
    began = time.perf_counter()
    config = SimulationConfig(
        shipments=args.shipments, seed=args.seed, start=args.start, days=args.days
    )
    simulation = simulate(config)
    summary: dict[str, object] = {
        "shipments": args.shipments,
        "seed": args.seed,
        "lines": len(simulation.lines),
        "faults": len(simulation.truth["faults"]),
        "fault_types": len({f["type"] for f in simulation.truth["faults"]}),
    }
    if args.out is not None:
        summary["bytes"] = write_recording_file(args.out, simulation.lines)
        summary["out"] = str(args.out)
    if args.truth is not None:
        write_truth_file(args.truth, simulation.truth)
        summary["truth"] = str(args.truth)
    summary["simulate_s"] = round(time.perf_counter() - began, 3)
    if args.kafka:
        from streams.kafka_clients import ensure_topics
        from streams.produce import produce_lines
        from streams.settings import get_settings

        settings = get_settings()
        ensure_topics(settings)
        lines = (RecordingLine.model_validate(line) for line in simulation.lines)
        summary["produced"] = produce_lines(lines, settings=settings, speedup=args.speedup)
        summary["bootstrap"] = settings.kafka.bootstrap
    print(json.dumps(summary, sort_keys=True))
    return 0
