"""Checkpoint slices: the input partitions in turn, one slice every checkpoint_seconds / slices."""

from __future__ import annotations

from streams.checkpoint_slices import CheckpointSlices


def test_each_slice_is_due_in_turn_every_checkpoint_seconds_over_slices() -> None:
    slices = CheckpointSlices(3, 6, 9.0, now=100.0)
    assert slices.every == 3.0
    assert not slices.due(102.9)
    assert slices.due(103.0)
    assert slices.take(103.0) == {0, 3}
    assert not slices.due(105.9)
    assert slices.take(106.0) == {1, 4}
    assert slices.take(109.0) == {2, 5}
    assert slices.take(112.0) == {0, 3}  # round again: each partition every 9 s
    assert slices.last == 112.0


def test_the_slices_cover_every_partition_once() -> None:
    slices = CheckpointSlices(4, 10, 10.0, now=0.0)
    taken = [slices.take(float(n)) for n in range(slices.count)]
    covered = [p for part in taken if part is not None for p in part]
    assert sorted(covered) == list(range(10))


def test_no_more_slices_than_partitions_and_one_slice_is_all_of_them() -> None:
    assert CheckpointSlices(6, 2, 10.0, now=0.0).count == 2
    one = CheckpointSlices(1, 6, 10.0, now=0.0)
    assert one.every == 10.0
    assert one.take(10.0) is None  # None: every partition, as a checkpoint of them all


def test_a_checkpoint_of_every_partition_puts_the_next_slice_off() -> None:
    slices = CheckpointSlices(2, 4, 10.0, now=0.0)
    slices.all_taken(4.0)
    assert slices.last == 4.0  # the checkpoint timer's record of the last checkpoint too
    assert not slices.due(8.9)
    assert slices.due(9.0)
    assert slices.take(9.0) == {0, 2}
