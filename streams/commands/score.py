"""``cryotrace score``: score a run's alerts and ETAs against a simulator's ground truth."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from streams.scoring.report import DEFAULT_TOLERANCE_S, score_run


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--truth", type=Path, required=True, help="truth file from simulate")
    parser.add_argument(
        "--out", type=Path, required=True, help="run directory (alerts.jsonl, eta.jsonl)"
    )
    parser.add_argument(
        "--tolerance-s",
        type=float,
        default=DEFAULT_TOLERANCE_S,
        help=f"match window widening on each side, seconds (default {DEFAULT_TOLERANCE_S:g})",
    )
    parser.add_argument("--json", action="store_true", help="print the score as JSON")


def run(args: argparse.Namespace) -> int:
    truth = json.loads(args.truth.read_text(encoding="utf-8"))
    score = score_run(truth, args.out, tolerance_s=args.tolerance_s)
    if args.json:
        print(json.dumps(score, sort_keys=True))
        return 0
    print(f"{'type':<24} {'recall':>7} {'precis':>7} {'tp':>4} {'fp':>4} {'fn':>4} {'delay_s':>8}")
    for name, row in score["alerts"].items():
        print(
            f"{name:<24} {_cell(row['recall'])} {_cell(row['precision'])} {row['tp']:>4} "
            f"{row['fp']:>4} {row['fn']:>4} {_cell(row['detection_delay_s_p50'], 8)}"
        )
    eta = score["eta"]
    if eta is not None:
        print(f"eta p50 MAE/remaining: {eta['p50_mae_ratio']}  p90 coverage: {eta['p90_coverage']}")
        if eta["baseline"]:
            print(f"baseline p50 MAE/remaining: {eta['baseline']['p50_mae_ratio']}")
    return 0


def _cell(value: float | None, width: int = 7) -> str:
    return f"{'-':>{width}}" if value is None else f"{value:>{width}.3g}"
