"""A simulated regional cell-therapy network: a recording with faults and its ground truth."""

from streams.simulator.run import Simulation, SimulationConfig, simulate

__all__ = ["Simulation", "SimulationConfig", "simulate"]
