"""Final alerts do not depend on how the input topics interleave (live Kafka reads them in
any interleaving, each topic in order); the ETA alerts depend on telemetry and custody."""

from __future__ import annotations

import random

import pytest

from schemas.recording import RecordingLine
from streams.offline import OfflineRunner
from streams.settings import Settings
from streams.simulator.run import SimulationConfig, simulate
from streams.testing import alert_diff, final_alerts, interleaved

RULES = Settings().rules


@pytest.mark.parametrize("seed", [11, 23])
def test_final_alerts_are_the_same_for_any_topic_interleaving(seed: int) -> None:
    lines = [
        RecordingLine.model_validate(line)
        for line in simulate(SimulationConfig(shipments=12, seed=seed)).lines
    ]
    in_file_order = OfflineRunner(RULES)
    in_file_order.run(lines)
    expected = final_alerts(in_file_order.alerts)
    assert {"late_delivery_risk", "dwell_exceeded"} <= {a["type"] for a in expected.values()}
    for k in range(3):
        runner = OfflineRunner(RULES)
        runner.run(interleaved(lines, random.Random(k)))
        got = final_alerts(runner.alerts)
        assert got == expected, alert_diff(expected, got)
