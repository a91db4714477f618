"""ETA accuracy: replay simulated fleets offline and score the ETAs and ETA alerts against truth.

    python benchmarks/eta_accuracy.py [--shipments 200] [--seeds 1 2 3 4 5] [--json]

For every seed it simulates a fleet (``streams.simulator``), runs the rules over the
recording with ``streams.offline.OfflineRunner`` (what ``cryotrace replay`` does), writes
``alerts.jsonl`` and ``eta.jsonl`` and scores them with ``streams.scoring.report.score_run``
(what ``cryotrace score`` does). It prints, per seed, the p50 error as a share of the time
left at 25/50/75 % of each trip next to the naive baseline's (remaining great-circle km /
last observed speed), the p90 coverage, and the recall/precision of the ETA alert types,
then checks the targets and exits 1 when one is missed:

- p50 error at half-way (mean over trips) <= 10 % of the remaining time;
- 85-95 % of arrivals at or before the p90 ETA.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from schemas.recording import RecordingLine
from streams.offline import OfflineRunner
from streams.scoring.report import score_run
from streams.simulator.run import SimulationConfig, simulate

ETA_ALERT_TYPES = ("late_delivery_risk", "hold_time_risk", "dwell_exceeded")
MAX_P50_RATIO_AT_HALF = 0.10
P90_COVERAGE = (0.85, 0.95)


def run_seed(shipments: int, seed: int) -> dict[str, Any]:
    """Simulate, replay and score one fleet; the ETA block plus the ETA alert scores."""
    sim = simulate(SimulationConfig(shipments=shipments, seed=seed))
    started = time.perf_counter()
    runner = OfflineRunner()
    runner.run(RecordingLine.model_validate(line) for line in sim.lines)
    replay_s = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        for name, items in (("alerts.jsonl", runner.alerts), ("eta.jsonl", runner.eta)):
            with (out / name).open("w", encoding="utf-8") as f:
                for item in items:
                    f.write(item.model_dump_json() + "\n")
        score = score_run(sim.truth, out)
    return {
        "seed": seed,
        "shipments": shipments,
        "eta_updates": len(runner.eta),
        "replay_s": round(replay_s, 2),
        "eta": score["eta"],
        "alerts": {k: v for k, v in score["alerts"].items() if k in ETA_ALERT_TYPES},
    }


def verdict(result: dict[str, Any]) -> list[str]:
    """The targets a seed's result misses (empty: all met)."""
    eta = result["eta"]
    if eta is None:
        return ["no ETA updates"]
    missed = []
    half = eta["p50_mae_ratio"].get("50")
    if half is None or half > MAX_P50_RATIO_AT_HALF:
        missed.append(f"p50 error at 50 % = {half} > {MAX_P50_RATIO_AT_HALF}")
    coverage = eta["p90_coverage"]
    low, high = P90_COVERAGE
    if coverage is None or not low <= coverage <= high:
        missed.append(f"p90 coverage {coverage} outside {low}-{high}")
    return missed


def _row(result: dict[str, Any]) -> str:
    eta = result["eta"]
    ours, base = eta["p50_mae_ratio"], (eta["baseline"] or {}).get("p50_mae_ratio", {})
    cells = " ".join(
        f"{ours.get(k, float('nan')):>6.3f} /{base.get(k, float('nan')):>7.3f}"
        for k in ("25", "50", "75")
    )
    med = eta["p50_median_ratio"]
    alerts = " ".join(
        f"{k.split('_')[0]} {v['recall']}/{v['precision']}"
        for k, v in sorted(result["alerts"].items())
    )
    return (
        f"{result['seed']:>4} {cells}   {med.get('50', float('nan')):>6.3f}  "
        f"{eta['p90_coverage']:>6.3f}  {eta['points']:>4}  {alerts}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shipments", type=int, default=200)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--json", action="store_true", help="one JSON document instead")
    args = parser.parse_args(argv)
    results = [run_seed(args.shipments, seed) for seed in args.seeds]
    failures = {r["seed"]: verdict(r) for r in results if verdict(r)}
    if args.json:
        print(json.dumps({"results": results, "failures": failures}, indent=2))
        return 1 if failures else 0
    print(f"ETA accuracy over {args.shipments} simulated shipments per seed")
    print("p50 error / time left, mean over trips: ours / naive baseline at 25, 50, 75 %")
    print(
        "seed     25 %            50 %            75 %         "
        "med50   p90cov   pts  alerts recall/precision"
    )
    for result in results:
        print(_row(result))
    print(
        f"targets: p50 error at 50 % <= {MAX_P50_RATIO_AT_HALF:.0%}; "
        f"p90 coverage {P90_COVERAGE[0]:.0%}-{P90_COVERAGE[1]:.0%}"
    )
    for seed, missed in failures.items():
        print(f"seed {seed}: MISSED {'; '.join(missed)}")
    if not failures:
        print("all targets met on every seed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
