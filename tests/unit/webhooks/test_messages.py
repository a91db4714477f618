"""Webhook ids are stable per alert version and subscriber; the body is the alert's wire JSON."""

from __future__ import annotations

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
