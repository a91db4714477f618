"""The custody hash chain: canonical content and link hashes."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from sinks.chain import CHAIN_FIELDS, GENESIS_HASH, canonical_content, link_hash


def _row(**overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(CHAIN_FIELDS)
    row.update(
        event_id="CUS-1",
        shipment_id="SHP-1",
        chain_index=0,
        occurred_at=datetime(2026, 11, 29, 20, 5, tzinfo=UTC),
        step="departing",
        to_party_id="CUR-77",
    )
    row.update(overrides)
    return row


def test_link_hash_is_sha256_of_prev_hash_and_canonical_content() -> None:
    row = _row()
    expected = hashlib.sha256(GENESIS_HASH.encode() + b"\n" + canonical_content(row)).hexdigest()
    assert link_hash(GENESIS_HASH, row) == expected


@pytest.mark.parametrize("field", [f for f in CHAIN_FIELDS if f != "occurred_at"])
def test_every_chained_field_changes_the_hash(field: str) -> None:
    row = _row()
    changed = _row(**{field: "something else"})
    assert link_hash(GENESIS_HASH, row) != link_hash(GENESIS_HASH, changed)


def test_the_previous_hash_changes_the_hash() -> None:
    assert link_hash(GENESIS_HASH, _row()) != link_hash("f" * 64, _row())


def test_the_same_instant_in_another_zone_hashes_the_same() -> None:
    instant = datetime(2026, 11, 29, 20, 5, tzinfo=UTC)
    elsewhere = instant.astimezone(timezone(timedelta(hours=-5)))
    assert link_hash(GENESIS_HASH, _row(occurred_at=instant)) == link_hash(
        GENESIS_HASH, _row(occurred_at=elsewhere)
    )


def test_fields_outside_the_chain_do_not_matter() -> None:
    assert link_hash(GENESIS_HASH, _row()) == link_hash(GENESIS_HASH, _row(ingested_at=1))


def test_naive_timestamps_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        canonical_content(_row(occurred_at=datetime(2026, 11, 29, 20, 5)))
