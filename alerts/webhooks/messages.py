"""The request one alert makes: a webhook id stable per alert version and subscriber, the body."""

from __future__ import annotations

import base64
import hashlib

from schemas.alert import Alert

__all__ = ["webhook_body", "webhook_id"]


def webhook_id(subscriber_id: str, alert: Alert) -> str:
    """``msg_<base32>``: the same for every attempt of one alert version to one subscriber, so
    receivers can deduplicate; different across versions and subscribers."""
    digest = hashlib.sha256(
        f"{subscriber_id}\x00{alert.alert_id}\x00{alert.version}".encode()
    ).digest()
    return "msg_" + base64.b32encode(digest[:20]).decode("ascii").lower()


def webhook_body(alert: Alert) -> bytes:
    """The alert JSON of design.md, exactly as published on the alerts topic (the same bytes
    as ``orjson.dumps(alert.model_dump(mode="json"))``, serialised by pydantic-core in one
    pass: a third cheaper)."""
    return Alert.__pydantic_serializer__.to_json(alert)
