"""Dead letter: an input that could not be decoded or validated, with the reason."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

from schemas.base import WireModel
from schemas.timestamps import Timestamp

__all__ = ["DEADLETTER_REASONS", "DeadLetter", "FieldError"]

DEADLETTER_REASONS: frozenset[str] = frozenset(
    {
        "invalid_json",
        "not_utf8",
        "not_object",
        "schema",
        "future_timestamp",
        "naive_timestamp",
        "unknown_topic",
        "too_large",
        "epcis_unsupported",
        "manifest_timeout",
        "pending_overflow",
        "too_late",
        "custody_overflow",
        "misrouted",
        "webhook_undeliverable",
        "internal_error",
    }
)
"""Reason codes. Decode sets the input ones; the rule engine sets ``manifest_timeout`` and
``pending_overflow`` (held too long or too many without a manifest), ``too_late`` (past the
lateness or history bound) and ``custody_overflow``; the processor sets ``misrouted`` (wrong
partition for its shipment); webhook delivery sets ``webhook_undeliverable`` after its last
attempt; ``internal_error`` means a bug in cryotrace, never bad input."""


def _printable(text: str) -> str:
    """Text every sink can store: unpaired surrogates (from ``\\ud800`` escapes) become ``?``,
    NUL becomes U+FFFD (PostgreSQL text cannot hold NUL)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text.replace("\x00", "\ufffd") if "\x00" in text else text


Text = Annotated[str, AfterValidator(_printable)]
"""A string a dead letter can always serialise, whatever the bad input quoted."""


class FieldError(WireModel):
    """One validation problem: where (dotted path), what and its machine-readable type."""

    loc: Text
    msg: Text
    type: Text


class DeadLetter(WireModel):
    """An input routed to the dead-letter topic instead of being processed."""

    reason: Annotated[Text, Field(min_length=1)]
    errors: list[FieldError] = Field(default_factory=list)
    source_topic: Text
    partition: int | None = None
    offset: int | None = None
    key: Text | None = None
    raw: Text
    received_at: Timestamp
