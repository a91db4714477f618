"""After an assignment, telemetry waits until the shipments partitions are read to their end."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from streams.manifests_first import ManifestsFirst, hold_resumes

A, B = "shipments:0", "shipments:1"


def test_telemetry_waits_until_every_shipments_partition_is_read_to_its_end() -> None:
    gate = ManifestsFirst(max_wait_s=10.0)
    assert gate.waits(1, {A: 100, B: 50}, {A: 0, B: 0}, now=0.0)
    assert gate.waits(1, {A: 100, B: 50}, {A: 100, B: 49}, now=0.2)
    assert not gate.done(1)
    assert not gate.waits(1, {A: 100, B: 50}, {A: 100, B: 50}, now=0.4)
    assert gate.done(1) and gate.held_back and not gate.timed_out
    assert gate.waited_s(0.4) == 0.4


def test_the_end_to_reach_is_the_first_seen_so_manifests_produced_later_do_not_hold_it() -> None:
    gate = ManifestsFirst(max_wait_s=10.0)
    assert gate.waits(1, {A: 100}, {A: 0}, now=0.0)
    assert not gate.waits(1, {A: 180}, {A: 100}, now=0.2)  # 80 more arrived meanwhile


def test_a_partition_whose_end_is_not_known_yet_is_waited_for() -> None:
    gate = ManifestsFirst(max_wait_s=10.0)
    assert gate.waits(1, {A: None}, {A: 0}, now=0.0)
    assert gate.waits(1, {A: 10}, {A: 0}, now=0.2)
    assert not gate.waits(1, {A: None}, {A: 10}, now=0.4)  # its end was learnt above


def test_nothing_behind_holds_nothing_back() -> None:
    gate = ManifestsFirst(max_wait_s=10.0)
    assert not gate.waits(1, {A: 100, B: 0}, {A: 100, B: 0}, now=0.0)
    assert gate.done(1) and not gate.held_back
    assert not ManifestsFirst(max_wait_s=10.0).waits(1, {}, {}, now=0.0)  # none assigned


def test_the_wait_gives_up_after_max_wait() -> None:
    gate = ManifestsFirst(max_wait_s=10.0)
    assert gate.waits(1, {A: 100}, {A: 3}, now=0.0)
    assert gate.waits(1, {A: 100}, {A: 3}, now=9.9)
    assert not gate.waits(1, {A: 100}, {A: 3}, now=10.0)
    assert gate.timed_out and gate.held_back
    assert not gate.waits(1, {A: 100}, {A: 3}, now=11.0)  # done for the generation


def test_no_wait_at_all_with_a_max_wait_of_zero() -> None:
    gate = ManifestsFirst(max_wait_s=0.0)
    assert not gate.waits(1, {A: 100}, {A: 0}, now=0.0)
    assert not gate.held_back


def test_a_new_generation_waits_again() -> None:
    gate = ManifestsFirst(max_wait_s=10.0)
    assert not gate.waits(1, {A: 100}, {A: 100}, now=0.0)
    assert gate.done(1) and not gate.done(2)
    assert gate.waits(2, {A: 130}, {A: 100}, now=5.0)
    assert gate.held_back  # in generation 2
    assert gate.waited_s(6.0) == 1.0
    assert not gate.waits(2, {A: 130}, {A: 130}, now=6.0)


class Consumer:
    """What ``hold_resumes`` touches of Faust's consumer: its ``resume_partitions``."""

    def __init__(self) -> None:
        self.resumed: list[set[Any]] = []

    def resume_partitions(self, tps: Iterable[Any]) -> None:
        self.resumed.append(set(tps))


def test_faust_resumes_every_partition_but_those_held() -> None:
    consumer = Consumer()
    waiting = {"telemetry:0"}
    hold_resumes(consumer, lambda tp: tp in waiting)
    hold_resumes(consumer, lambda tp: False)  # once: the first stays
    consumer.resume_partitions(["shipments:0", "telemetry:0", "changelog:0"])
    assert consumer.resumed == [{"shipments:0", "changelog:0"}]
    waiting.clear()  # the wait is over: resumed when asked
    consumer.resume_partitions(["telemetry:0"])
    assert consumer.resumed[-1] == {"telemetry:0"}
