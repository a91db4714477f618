"""Webhook delivery rules: subscriptions, routing, Standard Webhooks signing, retry, coalescing."""

from alerts.webhooks.messages import webhook_body, webhook_id
from alerts.webhooks.outbox import (
    OutboxEntry,
    delivered,
    dropped,
    enqueue,
    failed,
    forgettable,
    settled,
)
from alerts.webhooks.retry import Decision, RetryPolicy, backoff_s, decide, parse_retry_after
from alerts.webhooks.routing import (
    Route,
    Router,
    ShipmentSites,
    filters_pass,
    matches,
    route,
)
from alerts.webhooks.signing import (
    DEFAULT_TOLERANCE_S,
    SignatureError,
    WebhookSecret,
    sign,
    signature_headers,
    verify,
)
from alerts.webhooks.subscriptions import (
    Subscriber,
    Subscriptions,
    load_subscriptions,
    resolve_secrets,
)

__all__ = [
    "DEFAULT_TOLERANCE_S",
    "Decision",
    "OutboxEntry",
    "RetryPolicy",
    "Route",
    "Router",
    "ShipmentSites",
    "SignatureError",
    "Subscriber",
    "Subscriptions",
    "WebhookSecret",
    "backoff_s",
    "decide",
    "delivered",
    "dropped",
    "enqueue",
    "failed",
    "filters_pass",
    "forgettable",
    "load_subscriptions",
    "matches",
    "parse_retry_after",
    "resolve_secrets",
    "route",
    "settled",
    "sign",
    "signature_headers",
    "verify",
    "webhook_body",
    "webhook_id",
]
