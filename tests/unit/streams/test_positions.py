"""Partition positions: the backlog counts every message the agent has not applied yet."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from faust.types import TP

from streams.positions import backlog, committed, lag, uncommitted

P0 = TP("telemetry", 0)
P1 = TP("telemetry", 1)
P2 = TP("custody", 0)


def _app(ends: dict[TP, int | None], commits: dict[TP, int | None]) -> Any:
    consumer = SimpleNamespace(
        assignment=lambda: set(ends),
        highwater=ends.get,
        _committed_offset=dict(commits),
    )
    return SimpleNamespace(consumer=consumer)


def test_messages_fetched_but_not_applied_are_behind() -> None:
    app = _app({P0: 500}, {P0: 100})
    # the consumer may have fetched all 500; the agent has applied up to 449
    assert backlog(app, {P0: 450}.get) == {P0: 50}


def test_a_partition_applied_to_its_log_end_is_not_behind() -> None:
    app = _app({P0: 500, P1: 20}, {P0: 100, P1: 20})
    assert backlog(app, {P0: 500}.get) == {P0: 0, P1: 0}


def test_before_anything_is_applied_the_committed_offset_is_the_start() -> None:
    app = _app({P0: 500}, {P0: 480})
    assert backlog(app, lambda tp: None) == {P0: 20}
    assert lag(app) == {P0: 20}


def test_without_a_commit_the_log_start_is_the_start() -> None:
    app = _app({P0: 500, P1: 30, P2: 0}, {})
    assert set(uncommitted(app)) == {P0, P1, P2}
    # P0's first 400 records expired: only 100 remain to read; an empty partition is read
    assert backlog(app, lambda tp: None, {P0: 400}) == {P0: 100, P1: 30, P2: 0}


def test_an_unknown_log_end_counts_as_behind() -> None:
    app = _app({P0: None}, {P0: 10})
    assert backlog(app, {P0: 10}.get) == {P0: 1}


def test_committed_reads_the_consumers_record() -> None:
    app = _app({P0: 5}, {P0: 3})
    assert committed(app, P0) == 3
    assert committed(app, P1) is None
