"""Where this worker's consumer stands: messages not yet read on each assigned partition."""

from __future__ import annotations

from typing import Any

import faust


def unread(app: faust.App) -> dict[Any, int]:
    """Messages between the consumer's read position and the log end, per assigned partition."""
    consumer: Any = app.consumer
    behind: dict[Any, int] = {}
    for tp in consumer.assignment():
        # Faust keeps no public read position; its consumer tracks it in _read_offset
        read = consumer._read_offset.get(tp)
        behind[tp] = max(0, consumer.highwater(tp) - (read + 1 if read is not None else 0))
    return behind


def committed(app: faust.App, tp: Any) -> int | None:
    """The offset this worker's consumer last committed (or started at) on ``tp``, if any."""
    consumer: Any = app.consumer
    # Faust keeps no public committed position either; its consumer tracks it here
    offset: int | None = consumer._committed_offset.get(tp)
    return offset
