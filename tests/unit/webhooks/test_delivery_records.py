"""Attempt batches: the wire JSON is each record's model dump, and it reads back as warehouse rows."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import orjson

from streams.delivery.records import DeliveryAttempt, delivery_records, encode_attempts


def _attempt(n: int, **fields: object) -> DeliveryAttempt:
    data: dict[str, object] = {
        "delivery_id": f"msg_{n}",
        "attempt": n,
        "subscriber_id": "ops",
        "alert_id": "SHP-1:temperature_excursion:1",
        "alert_version": 2,
        "shipment_id": "SHP-1",
        "outcome": "retrying",
        "attempted_at": datetime(2026, 11, 29, 22, 0, 0, 123456, tzinfo=UTC),
        "http_status": 503,
        "error": "HTTP 503",
        "duration_ms": 12.5,
    }
    data.update(fields)
    return DeliveryAttempt.model_validate(data)


def test_a_batch_is_the_model_dump_of_each_attempt_and_reads_back() -> None:
    records = [
        _attempt(1),
        _attempt(2, outcome="delivered", http_status=200, error=None, shipment_id=None),
    ]
    value = encode_attempts(records)
    assert orjson.loads(value) == {"attempts": [r.model_dump(mode="json") for r in records]}
    assert orjson.loads(value)["attempts"][0]["attempted_at"] == "2026-11-29T22:00:00.123456Z"
    rows = list(delivery_records(SimpleNamespace(value=value, topic="t", offset=0)))
    assert rows == [r.to_row() for r in records]
