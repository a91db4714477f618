"""``cryotrace produce FILE``: send a recording to Kafka."""

from __future__ import annotations

import argparse
from pathlib import Path

from schemas.recording import read_recording
from streams.kafka_clients import ensure_topics
from streams.produce import produce_lines
from streams.settings import get_settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="recording (JSON Lines)")
    parser.add_argument(
        "--speedup", type=float, default=None, help="pace by received_at, x real time"
    )


def run(args: argparse.Namespace) -> int:
    settings = get_settings()
    ensure_topics(settings)
    sent = produce_lines(read_recording(args.file), settings=settings, speedup=args.speedup)
    print(f"produced {sent} messages to {settings.kafka.bootstrap}")
    return 0
