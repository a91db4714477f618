"""The per-shipment custody hash chain: canonical content and link hashes."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import orjson

__all__ = ["CHAIN_FIELDS", "GENESIS_HASH", "canonical_content", "link_hash"]

GENESIS_HASH = "0" * 64
"""``prev_hash`` of the first link of every shipment's chain."""

CHAIN_FIELDS: tuple[str, ...] = (
    "event_id",
    "shipment_id",
    "chain_index",
    "coi_id",
    "occurred_at",
    "step",
    "from_party_id",
    "from_role",
    "to_party_id",
    "to_role",
    "site_id",
    "seal_id",
    "logger_id",
    "condition",
    "signer_name",
    "signature_meaning",
    "signed_at",
)
"""The stored columns a link hash covers (everything but the hashes and ``ingested_at``)."""


def _canonical_value(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("custody timestamps must be timezone-aware")
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return value


def canonical_content(row: Mapping[Any, Any]) -> bytes:
    """Sorted-key compact JSON of the chained fields, timestamps as UTC with microseconds."""
    content = {name: _canonical_value(row[name]) for name in CHAIN_FIELDS}
    return orjson.dumps(content, option=orjson.OPT_SORT_KEYS)


def link_hash(prev_hash: str, row: Mapping[Any, Any]) -> str:
    """``sha256(prev_hash + "\\n" + canonical_content(row))`` as lowercase hex."""
    digest = hashlib.sha256(prev_hash.encode("ascii"))
    digest.update(b"\n")
    digest.update(canonical_content(row))
    return digest.hexdigest()
