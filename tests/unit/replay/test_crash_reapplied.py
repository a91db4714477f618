"""A worker crashes mid-stream and the next one applies what it had not checkpointed again, in
another interleaving of the topics: with the published versions fenced, no version has two
contents and the final alerts are replay's."""

from __future__ import annotations

import random
from typing import Any

import pytest

from alerts.state import ShipmentState
from alerts.testing import restored, stored
from schemas.alert import Alert, content_digest
from schemas.recording import RecordingLine
from streams.offline import OfflineRunner
from streams.published_versions import published_versions
from streams.settings import Settings
from streams.simulator.run import SimulationConfig, simulate
from streams.testing import alert_diff, final_alerts, interleaved, same_outcome
from streams.wire import encode

RULES = Settings().rules

CONFLICTING_SEEDS = [51, 69, 80, 92, 107, 182, 235, 248]
"""Crashes (checkpoint, crash point, both interleavings) in which the next owner, without the
fence, published a version with other contents: 8 of seeds 0-299 over this recording."""


@pytest.fixture(scope="module")
def lines() -> list[RecordingLine]:
    return [
        RecordingLine.model_validate(line)
        for line in simulate(SimulationConfig(shipments=18, seed=23)).lines
    ]


@pytest.fixture(scope="module")
def expected(lines: list[RecordingLine]) -> dict[str, Any]:
    """Replay's final alerts."""
    replay = OfflineRunner(RULES)
    replay.run(lines)
    return final_alerts(replay.alerts)


def crash_and_reapply(lines: list[RecordingLine], seed: int, *, fenced: bool) -> list[Alert]:
    """Every alert version on the topic: a worker's until it crashed, then the next owner's.

    The crashed worker read the topics in one interleaving; its states were checkpointed after
    ``k`` lines and it published up to line ``j``. The next owner restores the checkpoint,
    fences what the topic has (as ``streams.process_agent`` does before its first batch) and
    reads every line after ``k`` in another interleaving, to the end."""
    rng = random.Random(seed)
    order = interleaved(lines, rng)
    k = rng.randrange(len(order))
    j = rng.randrange(k, len(order) + 1)
    crashed = OfflineRunner(RULES)
    for line in order[:k]:
        crashed.feed(line)
    checkpoint = {shipment_id: stored(state) for shipment_id, state in crashed.states.items()}
    for line in order[k:j]:
        crashed.feed(line)
    topic = list(crashed.alerts)
    after = OfflineRunner(
        RULES, states={shipment_id: restored(*kept) for shipment_id, kept in checkpoint.items()}
    )
    if fenced:
        for shipment_id, versions in published_versions(encode(a) for a in topic).items():
            state = after.states.setdefault(shipment_id, ShipmentState(shipment_id))
            state.book.fence_published(versions)
    for line in interleaved(order[k:], rng):
        after.feed(line)
    after.finish()
    return topic + after.alerts


def versions_with_two_contents(alerts: list[Alert]) -> list[tuple[str, int]]:
    contents: dict[tuple[str, int], str] = {}
    return [
        (a.alert_id, a.version)
        for a in alerts
        if contents.setdefault((a.alert_id, a.version), content_digest(a)) != content_digest(a)
    ]


@pytest.mark.parametrize("seed", [*range(24), *CONFLICTING_SEEDS])
def test_a_crash_reapplied_in_another_interleaving_keeps_one_content_a_version(
    lines: list[RecordingLine], expected: dict[str, Any], seed: int
) -> None:
    published = crash_and_reapply(lines, seed, fenced=True)
    assert versions_with_two_contents(published) == []
    got = final_alerts(published)
    assert same_outcome(expected, got), alert_diff(expected, got)


def test_without_the_fence_those_crashes_give_a_version_two_contents(
    lines: list[RecordingLine],
) -> None:
    conflicting = [
        seed
        for seed in CONFLICTING_SEEDS
        if versions_with_two_contents(crash_and_reapply(lines, seed, fenced=False))
    ]
    assert conflicting == CONFLICTING_SEEDS
