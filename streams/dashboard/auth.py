"""Optional bearer-token auth for the dashboard (Basic with the token as password for browsers)."""

from __future__ import annotations

import base64
import binascii
import hmac

__all__ = ["PUBLIC_PATHS", "presented_token", "token_matches"]

PUBLIC_PATHS = frozenset({"/healthz"})
"""Paths answered without a token (they reveal no data)."""


def presented_token(authorization: str | None) -> str | None:
    """The token in an ``Authorization`` header: ``Bearer T`` or ``Basic base64(any:T)``."""
    if not authorization:
        return None
    scheme, _, value = authorization.strip().partition(" ")
    scheme = scheme.lower()
    value = value.strip()
    if scheme == "bearer" and value:
        return value
    if scheme == "basic" and value:
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        _, colon, password = decoded.partition(":")
        return password if colon and password else None
    return None


def token_matches(expected: str, authorization: str | None) -> bool:
    """Constant-time check of the presented token against ``expected``."""
    presented = presented_token(authorization)
    if presented is None:
        return False
    return hmac.compare_digest(presented.encode("utf-8"), expected.encode("utf-8"))
