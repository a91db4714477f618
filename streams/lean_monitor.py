"""Faust's monitor without its per-message statistics (cryotrace's metrics are Prometheus')."""

from __future__ import annotations

from time import monotonic
from typing import Any

from faust.sensors import Monitor


class LeanMonitor(Monitor):
    """Faust installs its ``Monitor`` as a sensor on every app, and its hooks run for every
    message and event: counters by topic, stream and task, a timing dict per event, runtime
    samples. Nothing of cryotrace reads them (``streams.metrics`` counts per batch). This one
    keeps the one figure Faust reads back itself: when each partition's stream last took an
    event (``stream_inbound_time``, for its stalled-stream warnings). Commit, send, rebalance
    and table hooks stay Faust's: they are not per message."""

    def on_message_in(self, tp: Any, offset: int, message: Any) -> None:
        """Nothing per message."""

    def on_stream_event_in(self, tp: Any, offset: int, stream: Any, event: Any) -> None:
        self.stream_inbound_time[tp] = monotonic()

    def on_stream_event_out(
        self, tp: Any, offset: int, stream: Any, event: Any, state: Any = None
    ) -> None:
        """Nothing per event."""

    def on_message_out(self, tp: Any, offset: int, message: Any) -> None:
        """Nothing per message."""
