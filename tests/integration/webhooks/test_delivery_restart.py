"""A delivery worker stopped or killed mid-retry: the next one recovers the retry state from Kafka."""

from __future__ import annotations

from pathlib import Path

import pytest
from delivery_helpers import (
    SECRET,
    accepted_alerts,
    alert,
    alert_bytes,
    attempts,
    produce,
    subscriptions_file,
    while_alive,
)

from streams.delivery.testing import Reply, ScriptedEndpoint, running_endpoints
from streams.kafka_clients import ensure_topics
from streams.settings import Settings
from streams.testing import running_worker, wait_until
from streams.topics import Topic

RETRY_AFTER_S = 8


@pytest.mark.parametrize("how", ["stop", "kill"])
def test_a_pending_retry_survives_a_restarted_worker(
    isolated_settings: Settings, tmp_path: Path, how: str
) -> None:
    settings = isolated_settings
    ensure_topics(settings)
    endpoint = ScriptedEndpoint(
        "ops",
        SECRET,
        lambda n: Reply(503, headers={"Retry-After": str(RETRY_AFTER_S)}) if n == 1 else Reply(),
    )
    delivery = {"CRYOTRACE_DELIVERY__COALESCE_S": "0", "CRYOTRACE_DELIVERY__BACKOFF_BASE_S": "0.1"}
    with running_endpoints(endpoint):
        env = subscriptions_file(
            tmp_path / "subs.json",
            {"ops": endpoint},
            {"ops": {"sites": ["HOSP-1"], "party_id": "CUR-1"}},
        )
        produce(
            settings,
            Topic.ALERTS,
            [alert_bytes(alert("R:exc:1", 1, shipment_id="SHP-R", custodian="CUR-1"))],
        )
        with running_worker(
            settings, "deliver", tmp_path / "first.log", {**env, **delivery}
        ) as first:
            wait_until(
                while_alive(
                    first, lambda: any(a.outcome == "retrying" for a in attempts(settings))
                ),
                90,
                "the first attempt to fail and be recorded",
            )
            first.kill() if how == "kill" else first.stop()
        assert len(endpoint.snapshot()) == 1
        with running_worker(
            settings, "deliver", tmp_path / "second.log", {**env, **delivery}
        ) as second:
            wait_until(
                while_alive(second, lambda: accepted_alerts(endpoint) == [("R:exc:1", 1, "open")]),
                120,
                "the retry from the recovered state",
            )
            # attempt records are published in batches (every 0.2 s): wait for the second one
            wait_until(
                while_alive(second, lambda: len(attempts(settings)) >= 2),
                60,
                "the second attempt record",
            )
    first_request, retry = endpoint.snapshot()
    assert retry.webhook_id == first_request.webhook_id  # the same delivery, deduplicable
    assert retry.received_at - first_request.received_at >= RETRY_AFTER_S  # Retry-After kept
    log = [(a.attempt, a.outcome, a.http_status) for a in attempts(settings)]
    assert log == [(1, "retrying", 503), (2, "delivered", 200)]
