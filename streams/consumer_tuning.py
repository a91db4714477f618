"""Consumer settings Faust does not expose: the fetch wait it hard-codes at 1500 ms."""

from __future__ import annotations

from typing import Any

FETCH_MAX_WAIT_MS = 100
"""Faust hard-codes aiokafka's ``fetch_max_wait_ms`` at 1500: a partition whose records were
just consumed waits for the fetch already in flight for the others, up to that long. Workers
ask the broker to answer within 100 ms instead (throughput and latency both gain)."""


def shorten_fetch_wait(max_wait_ms: int = FETCH_MAX_WAIT_MS) -> None:
    """Make Faust's worker consumers use ``max_wait_ms`` (idempotent; process-wide)."""
    from faust.transport.drivers import aiokafka as driver

    thread = driver.AIOKafkaConsumerThread
    if getattr(thread, "_cryotrace_fetch_wait", None) == max_wait_ms:
        return
    original = getattr(thread, "_cryotrace_original_create", thread._create_worker_consumer)

    def create(self: Any, transport: Any) -> Any:
        consumer = original(self, transport)
        consumer._fetch_max_wait_ms = max_wait_ms
        return consumer

    thread._cryotrace_original_create = original  # type: ignore[attr-defined]
    thread._cryotrace_fetch_wait = max_wait_ms  # type: ignore[attr-defined]
    thread._create_worker_consumer = create  # type: ignore[method-assign]
