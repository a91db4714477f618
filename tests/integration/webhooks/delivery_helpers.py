"""Helpers of the delivery integration tests: subscriptions files, producing alerts, reading attempts."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import orjson
import yaml

from alerts.webhooks.signing import WebhookSecret
from schemas.alert import Alert
from schemas.deadletter import DeadLetter
from streams.delivery.records import AttemptBatch, DeliveryAttempt
from streams.delivery.testing import ScriptedEndpoint
from streams.settings import Settings
from streams.testing import WorkerProcess, read_topic
from streams.topics import Topic

SECRET = WebhookSecret.generate()


def subscriptions_file(
    path: Path, endpoints: Mapping[str, ScriptedEndpoint], scopes: Mapping[str, dict[str, Any]]
) -> dict[str, str]:
    """Write the file; returns the environment holding the (shared) secret."""
    subscribers = [
        {"id": name, "url": endpoints[name].url, "secret_env": "WH_TEST_SECRET", **scope}
        for name, scope in scopes.items()
    ]
    document = {"subscribers": subscribers}
    path.write_text(json.dumps(document) if path.suffix == ".json" else yaml.safe_dump(document))
    return {"WH_TEST_SECRET": str(SECRET), "CRYOTRACE_SUBSCRIPTIONS": str(path)}


def produce(settings: Settings, topic: Topic, records: Iterable[tuple[str, bytes]]) -> None:
    """Send ``(key, value)`` records to one topic and wait for the broker."""
    from kafka import KafkaProducer

    from streams.kafka_clients import kafka_python_config
    from streams.topics import topic_name

    producer = KafkaProducer(**kafka_python_config(settings.kafka), acks="all")
    try:
        futures = [
            producer.send(topic_name(settings, topic), key=key.encode(), value=value)
            for key, value in records
        ]
        producer.flush(30)
        for future in futures:
            future.get(10)
    finally:
        producer.close()


def alert(
    alert_id: str,
    version: int,
    *,
    shipment_id: str,
    status: str = "open",
    custodian: str | None = None,
    type_: str = "temperature_excursion",
    severity: str = "critical",
) -> Alert:
    return Alert.model_validate(
        {
            "alert_id": alert_id,
            "version": version,
            "status": status,
            "type": type_,
            "severity": severity,
            "shipment_id": shipment_id,
            "opened_at": "2026-11-29T22:00:00Z",
            "updated_at": "2026-11-29T22:00:00Z",
            "resolved_at": "2026-11-29T22:40:00Z" if status == "resolved" else None,
            "custodian": None if custodian is None else {"party_id": custodian, "role": "x"},
            "message": f"{type_} {alert_id} v{version}",
        }
    )


def alert_bytes(a: Alert) -> tuple[str, bytes]:
    return a.shipment_id, orjson.dumps(a.model_dump(mode="json"))


def attempts(settings: Settings) -> list[DeliveryAttempt]:
    """Every attempt record on the deliveries topic, in order per partition."""
    return [
        attempt
        for value in read_topic(settings, Topic.DELIVERIES)
        for attempt in AttemptBatch.model_validate_json(value).attempts
    ]


def dead_letters(settings: Settings) -> list[DeadLetter]:
    return [DeadLetter.model_validate_json(v) for v in read_topic(settings, Topic.DEADLETTER)]


def bodies(endpoint: ScriptedEndpoint) -> list[Alert]:
    return [Alert.model_validate_json(r.body) for r in endpoint.snapshot()]


def accepted_alerts(endpoint: ScriptedEndpoint) -> list[tuple[str, int, str]]:
    """``(alert_id, version, status)`` of the requests the endpoint answered 2xx."""
    out = []
    for request in endpoint.accepted():
        a = Alert.model_validate_json(request.body)
        out.append((a.alert_id, a.version, a.status))
    return out


def while_alive(worker: WorkerProcess, probe: Callable[[], object]) -> Callable[[], object]:
    """``probe``, failing at once (with the worker's log) if the worker died."""

    def check() -> object:
        if not worker.alive():
            raise AssertionError(f"worker exited:\n{worker.output()[-3000:]}")
        return probe()

    return check
