"""Where this worker stands on each assigned partition: committed, applied, and the log end."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import faust


def committed(app: faust.App, tp: Any) -> int | None:
    """The offset this worker's consumer last committed (or started at) on ``tp``, if any.

    None when the group has not committed on ``tp``; Faust also records a committed 0 as None.
    """
    consumer: Any = app.consumer
    # Faust keeps no public committed position; its consumer tracks it here
    offset: int | None = consumer._committed_offset.get(tp)
    return offset


def backlog(
    app: faust.App,
    due: Callable[[Any], int | None],
    log_start: Mapping[Any, int] | None = None,
) -> dict[Any, int]:
    """Messages not yet applied on each assigned partition, up to the log end last fetched.

    A partition is read from ``due(tp)``, the next offset the agent will apply; when it has
    applied nothing in this consumer generation, from the committed offset; failing that,
    from ``log_start`` (the log's first offset, 0 if not given). A message Faust has fetched
    but the agent has not applied (in the stream's buffer, or a batch being gathered) still
    counts. A partition whose log end is not known yet counts as one message behind.
    """
    consumer: Any = app.consumer
    behind: dict[Any, int] = {}
    for tp in consumer.assignment():
        end = consumer.highwater(tp)
        start = next_offset(app, tp, due, log_start)
        behind[tp] = 1 if end is None else max(0, end - start)
    return behind


def next_offset(
    app: faust.App,
    tp: Any,
    due: Callable[[Any], int | None],
    log_start: Mapping[Any, int] | None = None,
) -> int:
    """The next offset of ``tp`` to apply: ``due(tp)``, else the committed offset, else
    ``log_start`` (0 if not given); see ``backlog``."""
    start = due(tp)
    if start is None:
        start = committed(app, tp)
    if start is None:
        start = (log_start or {}).get(tp, 0)
    return start


def uncommitted(app: faust.App) -> list[Any]:
    """Assigned partitions on which the group has no committed offset (see ``committed``)."""
    consumer: Any = app.consumer
    return [tp for tp in consumer.assignment() if committed(app, tp) is None]


def lag(app: faust.App) -> dict[Any, int]:
    """Messages between the committed offset and the log end, per assigned partition."""
    return backlog(app, lambda tp: None)
