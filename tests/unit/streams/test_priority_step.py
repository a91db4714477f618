"""Which workers lower their CPU priority, and by how much."""

from __future__ import annotations

from streams.settings import Settings, WarehouseSettings
from streams.worker import priority_step


def test_only_a_sink_worker_steps_down_by_its_setting() -> None:
    settings = Settings(warehouse=WarehouseSettings(nice=3))
    steps = {role: priority_step(settings, role) for role in ("process", "sink", "deliver", "all")}
    assert steps == {"process": 0, "sink": 3, "deliver": 0, "all": 0}


def test_by_default_the_sink_steps_down_by_five() -> None:
    assert priority_step(Settings(), "sink") == 5
