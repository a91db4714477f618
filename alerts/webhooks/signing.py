"""Standard Webhooks signatures: ``v1,<base64 HMAC-SHA256 of "id.timestamp.body">``."""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from schemas.errors import CryotraceError

__all__ = [
    "DEFAULT_TOLERANCE_S",
    "SECRET_PREFIX",
    "SignatureError",
    "WebhookSecret",
    "sign",
    "signature_headers",
    "verify",
]

SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)
DEFAULT_TOLERANCE_S = 300
"""Standard Webhooks: reject a timestamp more than five minutes from the receiver's clock."""


class SignatureError(CryotraceError):
    """A webhook request whose signature, id or timestamp does not verify."""


@dataclass(frozen=True)
class WebhookSecret:
    """A signing key. Written ``whsec_<base64>``; its repr never shows the key."""

    key: bytes = field(repr=False)

    @classmethod
    def parse(cls, text: str) -> WebhookSecret:
        """``whsec_<base64>`` (the prefix is optional, as in the reference libraries)."""
        encoded = text.strip().removeprefix(SECRET_PREFIX)
        try:
            key = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("secret must be whsec_ followed by base64") from None
        if len(key) < 16:
            raise ValueError("secret must hold at least 16 bytes")
        return cls(key)

    @classmethod
    def generate(cls) -> WebhookSecret:
        """A fresh random 32-byte secret."""
        return cls(secrets.token_bytes(32))

    def __str__(self) -> str:
        return f"{SECRET_PREFIX}{base64.b64encode(self.key).decode('ascii')}"

    def __repr__(self) -> str:
        return "WebhookSecret(<hidden>)"


def sign(secret: WebhookSecret, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value: ``v1,`` + base64 HMAC-SHA256 of ``id.timestamp.body``."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.digest(secret.key, signed, "sha256")  # one-shot: no HMAC object
    return "v1," + base64.b64encode(digest).decode("ascii")


def signature_headers(
    secret: WebhookSecret, msg_id: str, timestamp: int, body: bytes
) -> dict[str, str]:
    """The three Standard Webhooks headers of one request."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, msg_id, timestamp, body),
    }


def verify(
    secrets_: Iterable[WebhookSecret],
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: float,
    tolerance_s: float = DEFAULT_TOLERANCE_S,
) -> str:
    """Check a request's headers against any of ``secrets_`` (rotation); returns its id.

    ``headers`` must be case-insensitive or lower-case. Raises ``SignatureError`` for missing
    headers, a timestamp outside ``now ± tolerance_s`` or no matching ``v1`` signature."""
    msg_id = headers.get("webhook-id")
    stamp = headers.get("webhook-timestamp")
    signatures = headers.get("webhook-signature")
    if not msg_id or not stamp or not signatures:
        raise SignatureError("missing webhook-id, webhook-timestamp or webhook-signature")
    try:
        timestamp = int(stamp)
    except ValueError:
        raise SignatureError("webhook-timestamp is not an integer") from None
    if abs(now - timestamp) > tolerance_s:
        raise SignatureError("webhook-timestamp outside the tolerance")
    offered = [s.removeprefix("v1,") for s in signatures.split() if s.startswith("v1,")]
    for secret in secrets_:
        expected = sign(secret, msg_id, timestamp, body).removeprefix("v1,")
        if any(hmac.compare_digest(expected, candidate) for candidate in offered):
            return msg_id
    raise SignatureError("no matching signature")
