"""Webhook ids are stable per alert version and subscriber; the body is the alert's wire JSON."""

from __future__ import annotations

import random

from webhook_builders import alert

from alerts.webhooks.messages import webhook_body, webhook_id
from schemas.alert import Alert
from streams.wire import encode


def test_the_id_is_stable_and_distinct_per_version_and_subscriber() -> None:
    assert webhook_id("a", alert(1)) == webhook_id("a", alert(1))
    ids = {webhook_id(s, alert(v)) for s in ("a", "b") for v in (1, 2)}
    assert len(ids) == 4
    assert all(i.startswith("msg_") for i in ids)


def test_the_body_is_the_alert_as_published_on_the_alerts_topic() -> None:
    original = alert(2, "resolved")
    assert webhook_body(original) == encode(original)
    assert Alert.model_validate_json(webhook_body(original)) == original


def test_the_body_equals_the_topic_bytes_for_any_numbers_and_text() -> None:
    details = {
        "sent_at": 1764345600.123456,
        "tiny": 1e-7,
        "huge": 1e16,
        "negative_zero": -0.0,
        "text": "°C ünï \u2028 <>&'\"",
        "nested": {"list": [1, 2.5, None, True], "int": -(2**62)},
    }
    numbers = random.Random(7)
    details.update({f"x{n}": numbers.random() * 10 ** numbers.randint(-30, 30) for n in range(200)})
    original = alert(1, details=details)
    assert webhook_body(original) == encode(original)
