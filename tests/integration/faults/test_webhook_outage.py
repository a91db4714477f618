"""Webhook endpoints down for minutes (nothing listening): once they are back, every alert
reaches every subscriber at least once, at its final version; nothing dead-lettered."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from faultkit import (
    FULL,
    Outcome,
    delivery_lag,
    fault_settings,
    full_or_ci,
    live_alerts,
    replay_fleet,
    score_overall,
    simulated_lines,
    wait_alerts_equal,
    wait_alive,
)

from alerts.webhooks.signing import WebhookSecret
from schemas.alert import ALERT_SEVERITIES, Alert
from schemas.deadletter import DeadLetter
from streams.delivery.records import AttemptBatch
from streams.kafka_clients import ensure_topics
from streams.produce import produce_lines
from streams.settings import Settings
from streams.supervise import free_port
from streams.testing import final_alerts, read_topic, running_worker
from streams.topics import Topic

OUTAGE_S = full_or_ci(300, 60)
RETRY_ENV = (
    {}
    if FULL
    else {"CRYOTRACE_DELIVERY__BACKOFF_MAX_S": "15", "CRYOTRACE_DELIVERY__MAX_ATTEMPTS": "24"}
)
"""Full length: the default retry policy (12 attempts, backoff doubling up to 900 s, so the
last attempt comes 16 to 32 min after the first). CI: backoff capped at 15 s, 24 attempts
(at least 2.5 min of retries), so recovery is seen within seconds of the endpoints' return."""
RETRY_POLICY = (
    "default retry policy (12 attempts, backoff up to 900 s)"
    if FULL
    else "retry backoff capped at 15 s, 24 attempts"
)
SECRET_ENV = "CRYOTRACE_FAULT_WEBHOOK_SECRET"
SUBSCRIBERS = {"hub-ops": "info", "hospital-desk": "critical"}


@contextmanager
def receiver(port: int, store: Path, log: Path, secret: str) -> Iterator[subprocess.Popen[bytes]]:
    """The reference receiver (``cryotrace webhook-receiver``) as a child process."""
    with log.open("ab") as out:
        child = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streams.cli",
                "webhook-receiver",
                "--port",
                str(port),
                "--secret-env",
                SECRET_ENV,
                "--store",
                str(store),
            ],
            env={**os.environ, SECRET_ENV: secret},
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        yield child
    finally:
        child.terminate()
        child.wait(30)


def received(store: Path) -> list[Alert]:
    if not store.exists():
        return []
    return [
        Alert.model_validate(json.loads(line)["alert"])
        for line in store.read_text().splitlines()
        if line.strip()
    ]


def undeliverable(settings: Settings) -> list[DeadLetter]:
    """Dead letters of deliveries that gave up."""
    letters = (DeadLetter.model_validate_json(v) for v in read_topic(settings, Topic.DEADLETTER))
    return [d for d in letters if d.reason == "webhook_undeliverable"]


def wanted(alerts: dict[str, dict[str, Any]], min_severity: str) -> set[str]:
    rank = ALERT_SEVERITIES.index(min_severity)
    return {a for a, body in alerts.items() if ALERT_SEVERITIES.index(body["severity"]) >= rank}


def test_webhook_endpoints_down_for_minutes(
    isolated_settings: Settings, tmp_path: Path, fault_row: Callable[[str, str], Outcome]
) -> None:
    lines, truth = simulated_lines()
    row = fault_row(
        "Webhook endpoints down (connection refused)",
        f"{len(lines)} messages, 2 subscribers down {OUTAGE_S:.0f} s from the start,"
        f" {RETRY_POLICY}, 1 processor + 1 deliverer",
    )
    settings = fault_settings(isolated_settings)
    fleet = replay_fleet(lines, truth, settings)
    expected = fleet.expected_alerts
    secret = str(WebhookSecret.generate())
    ports = {name: free_port() for name in SUBSCRIBERS}
    subscriptions = tmp_path / "subscriptions.json"
    subscriptions.write_text(
        json.dumps(
            {
                "subscribers": [
                    {
                        "id": name,
                        "url": f"http://127.0.0.1:{ports[name]}/hooks/{name}",
                        "secret_env": SECRET_ENV,
                        "all_shipments": True,
                        "min_severity": severity,
                    }
                    for name, severity in SUBSCRIBERS.items()
                ]
            }
        )
    )
    env = {
        SECRET_ENV: secret,
        "CRYOTRACE_SUBSCRIPTIONS": str(subscriptions),
        **RETRY_ENV,
    }
    ensure_topics(settings)
    produce_lines(lines, settings=settings)
    stores = {name: tmp_path / f"{name}.jsonl" for name in SUBSCRIBERS}
    with (
        running_worker(settings, "process", tmp_path / "process.log") as processor,
        running_worker(settings, "deliver", tmp_path / "deliver.log", env) as deliverer,
    ):
        down_since = time.monotonic()
        workers = [processor, deliverer]
        wait_alerts_equal(settings, fleet, workers, 300)

        def failed_attempts() -> int:
            return sum(
                1
                for value in read_topic(settings, Topic.DELIVERIES)
                for a in AttemptBatch.model_validate_json(value).attempts
                if a.outcome != "delivered"
            )

        wait_alive(workers, failed_attempts, 120, "failed delivery attempts while down")
        while time.monotonic() - down_since < OUTAGE_S:
            wait_alive(workers, lambda: True, 5, "workers alive while the endpoints are down")
            time.sleep(1)
        failed_while_down = failed_attempts()
        with (
            receiver(ports["hub-ops"], stores["hub-ops"], tmp_path / "r1.log", secret),
            receiver(ports["hospital-desk"], stores["hospital-desk"], tmp_path / "r2.log", secret),
        ):
            up = time.monotonic()

            def all_delivered() -> bool:
                assert undeliverable(settings) == [], "deliveries gave up during the outage"
                for name, severity in SUBSCRIBERS.items():
                    got = final_alerts(received(stores[name]))
                    if not wanted(expected, severity) <= set(got):
                        return False
                # the all-alerts subscriber holds every alert at its final version
                return final_alerts(received(stores["hub-ops"])) == expected

            wait_alive(workers, all_delivered, 600, "every alert at every subscriber")
            recovered = time.monotonic() - up
            wait_alive(workers, lambda: delivery_lag(settings) == 0, 120, "delivery lag 0")
            assert processor.alive() and deliverer.alive()

    assert undeliverable(settings) == []
    alerts = live_alerts(settings)
    assert final_alerts(alerts) == expected
    live_score = score_overall(truth, alerts, tmp_path / "live")
    assert live_score == score_overall(truth, fleet.replay.alerts, tmp_path / "replay")
    deliveries = {name: received(stores[name]) for name in SUBSCRIBERS}
    row.figures.update(
        {
            "endpoints down": f"{OUTAGE_S:.0f} s",
            "failed attempts while down": failed_while_down,
            "time to deliver everything after recovery": f"{recovered:.0f} s",
            "alerts expected (hub-ops / hospital-desk)": " / ".join(
                str(len(wanted(expected, s))) for s in SUBSCRIBERS.values()
            ),
            "webhooks received (hub-ops / hospital-desk)": " / ".join(
                str(len(deliveries[n])) for n in SUBSCRIBERS
            ),
            "alerts missing": 0,
            "undeliverable": 0,
            "final alerts = replay": len(expected),
            "truth recall": live_score["recall"],
            "lag after": 0,
            "worker restarts": 0,
        }
    )
    row.passed("all invariants hold")
