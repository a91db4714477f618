"""A second delivery worker joins mid-retry: retries keep their numbers, whoever owns them now."""

from __future__ import annotations

import json
from pathlib import Path

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
from streams.partitioning import partition_for
from streams.settings import Settings
from streams.testing import running_worker, wait_until
from streams.topics import Topic

RETRY_AFTER_S = 20  # the second worker joins and the group rebalances before retries are due


def _one_shipment_per_partition(partitions: int) -> dict[int, str]:
    found: dict[int, str] = {}
    n = 0
    while len(found) < partitions:
        found.setdefault(partition_for(f"SHP-B{n}", partitions), f"SHP-B{n}")
        n += 1
    return found


def _owned_after_resync(log: Path) -> list[int]:
    """The partitions a worker's last outbox rebuild was for."""
    owned: list[int] = []
    for line in log.read_text().splitlines():
        if '"webhooks.resync"' in line:
            owned = json.loads(line)["partitions"]
    return owned


def test_retries_pending_across_a_rebalance_keep_their_attempt_numbers(
    isolated_settings: Settings, tmp_path: Path
) -> None:
    settings = isolated_settings
    ensure_topics(settings)
    shipments = _one_shipment_per_partition(settings.topics.partitions)
    first_attempts = len(shipments)
    endpoint = ScriptedEndpoint(
        "ops",
        SECRET,
        lambda n: (
            Reply(503, headers={"Retry-After": str(RETRY_AFTER_S)})
            if n <= first_attempts
            else Reply()
        ),
    )
    delivery = {"CRYOTRACE_DELIVERY__COALESCE_S": "0", "CRYOTRACE_DELIVERY__BACKOFF_BASE_S": "0.1"}
    with running_endpoints(endpoint):
        env = {
            **subscriptions_file(
                tmp_path / "subs.json", {"ops": endpoint}, {"ops": {"all_shipments": True}}
            ),
            **delivery,
        }
        produce(
            settings,
            Topic.ALERTS,
            [alert_bytes(alert(f"{sid}:exc:1", 1, shipment_id=sid)) for sid in shipments.values()],
        )
        with running_worker(settings, "deliver", tmp_path / "first.log", env) as first:
            wait_until(
                while_alive(
                    first,
                    lambda: (
                        sum(a.outcome == "retrying" for a in attempts(settings)) == first_attempts
                    ),
                ),
                90,
                "every first attempt to fail and be recorded",
            )
            with running_worker(settings, "deliver", tmp_path / "second.log", env) as second:
                wait_until(
                    while_alive(second, lambda: _owned_after_resync(tmp_path / "second.log")),
                    90,
                    "the second worker to take over partitions",
                )
                wait_until(
                    while_alive(second, lambda: len(attempts(settings)) >= 2 * first_attempts),
                    120,
                    "every retry, delivered and recorded",
                )
                taken_over = _owned_after_resync(tmp_path / "second.log")
                kept = _owned_after_resync(tmp_path / "first.log")
    assert taken_over and kept and not set(taken_over) & set(kept)  # both own a share
    log = sorted((a.shipment_id, a.attempt, a.outcome) for a in attempts(settings))
    assert log == sorted(
        (sid, n, outcome)
        for sid in shipments.values()
        for n, outcome in ((1, "retrying"), (2, "delivered"))
    )
    requests = endpoint.snapshot()
    assert len(requests) == 2 * first_attempts  # no delivery repeated by the handover
    assert sorted(a for a, _, _ in accepted_alerts(endpoint)) == sorted(
        f"{sid}:exc:1" for sid in shipments.values()
    )
    by_id: dict[str, list[float]] = {}
    for request in requests:
        by_id.setdefault(request.webhook_id, []).append(request.received_at)
    assert all(len(at) == 2 and at[1] - at[0] >= RETRY_AFTER_S for at in by_id.values())
