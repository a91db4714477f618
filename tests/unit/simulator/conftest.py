"""Simulated runs shared by the simulator tests (each built once per session)."""

from __future__ import annotations

import pytest

from streams.simulator import Simulation, SimulationConfig, simulate


@pytest.fixture(scope="session")
def default_run() -> Simulation:
    """The default size (200 shipments), as `cryotrace simulate` makes it."""
    return simulate(SimulationConfig(shipments=200, seed=7))


@pytest.fixture(scope="session")
def small_run() -> Simulation:
    return simulate(SimulationConfig(shipments=30, seed=3))
