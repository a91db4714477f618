"""The consumer settings Faust does not expose, as the workers' consumers get them."""

from __future__ import annotations

from typing import Any

import pytest

from streams.app import Role, create_app
from streams.consumer_tuning import FETCH_MAX_WAIT_MS
from streams.settings import Settings

SETTINGS = Settings(app_id="tuning", topic_prefix="tuning")


def _worker_consumer(role: Role) -> Any:
    """The aiokafka consumer Faust's consumer thread would start for ``role`` (not started)."""
    app = create_app(SETTINGS, role)
    app.finalize()
    thread = app.consumer._thread
    return thread._create_worker_consumer(app.transport)


@pytest.mark.parametrize("role", ["process", "sink", "all"])
async def test_every_worker_asks_the_broker_to_answer_within_the_short_fetch_wait(
    role: Role,
) -> None:
    assert _worker_consumer(role)._fetch_max_wait_ms == FETCH_MAX_WAIT_MS


async def test_only_the_sink_waits_for_fuller_fetches() -> None:
    assert _worker_consumer("sink")._fetch_min_bytes == SETTINGS.warehouse.fetch_min_bytes
    assert SETTINGS.warehouse.fetch_min_bytes > 1
    # the processor's alerts wait for nothing: a fetch comes back with the first record
    assert _worker_consumer("process")._fetch_min_bytes == 1
    assert _worker_consumer("all")._fetch_min_bytes == 1
