"""Benchmark: what the processor's read-back of the alerts topic costs a record, on one core.

After an assignment the processor reads each partition's alerts since 120 s before its newest
changelog record (``streams.published_versions``) and fences them in the shipments' alert
books. This measures the part that grows with the window, off the broker: parsing the records
into versions and content digests (in the read-back's thread), then fencing them in restored
states (on the event loop). Timed with the process CPU clock, best of the rounds.
"""

from __future__ import annotations

import argparse
import time

from alerts.state import ShipmentState
from schemas.recording import RecordingLine
from streams.offline import OfflineRunner
from streams.published_versions import published_versions
from streams.settings import Settings
from streams.simulator.run import SimulationConfig, simulate
from streams.wire import encode


def _records(shipments: int, seed: int) -> list[bytes]:
    """Every alert version a replay of a simulated fleet publishes, as on the topic."""
    lines = simulate(SimulationConfig(shipments=shipments, seed=seed)).lines
    runner = OfflineRunner(Settings().rules)
    runner.run([RecordingLine.model_validate(line) for line in lines])
    return [encode(alert) for alert in runner.alerts]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shipments", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    records = _records(args.shipments, args.seed)
    parse_s, fence_s = [], []
    for _ in range(args.rounds):
        started = time.process_time()
        versions = published_versions(records)
        parse_s.append(time.process_time() - started)
        fresh = {sid: ShipmentState(sid) for sid in versions}  # nothing emitted: all fenced
        started = time.process_time()
        for shipment_id, published in versions.items():
            fresh[shipment_id].book.fence_published(published)
        fence_s.append(time.process_time() - started)
    print(f"{len(records):,} alert records of {len(versions):,} shipments")
    print(f"parse into versions and digests: {1e6 * min(parse_s) / len(records):.1f} us a record")
    print(f"fence in the alert books: {1e6 * min(fence_s) / len(records):.2f} us a record")


if __name__ == "__main__":
    main()
