"""Same seed, same bytes; another seed, another fleet."""

from __future__ import annotations

from pathlib import Path

from streams.simulator import SimulationConfig, simulate
from streams.simulator.output import truth_text, write_recording_file


def _bytes(tmp_path: Path, seed: int, name: str) -> tuple[bytes, str]:
    run = simulate(SimulationConfig(shipments=25, seed=seed))
    path = tmp_path / f"{name}.jsonl"
    write_recording_file(path, run.lines)
    return path.read_bytes(), truth_text(run.truth)


def test_same_seed_gives_identical_recording_and_truth(tmp_path: Path) -> None:
    first = _bytes(tmp_path, 11, "a")
    second = _bytes(tmp_path, 11, "b")
    assert first == second


def test_different_seed_gives_a_different_recording(tmp_path: Path) -> None:
    first = _bytes(tmp_path, 11, "a")
    other = _bytes(tmp_path, 12, "b")
    assert first[0] != other[0]
    assert first[1] != other[1]
