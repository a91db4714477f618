"""Verify the per-shipment custody hash chains stored in the warehouse."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import sqlalchemy as sa

from sinks.chain import CHAIN_FIELDS, GENESIS_HASH, link_hash
from sinks.models import CUSTODY_EVENTS

__all__ = ["BrokenLink", "LinkProblem", "verify_chain", "verify_rows"]

LinkProblem = Literal["row_hash", "prev_hash", "chain_index"]


@dataclass(frozen=True, slots=True)
class BrokenLink:
    """A custody row whose stored link does not match the recomputed one."""

    shipment_id: str
    event_id: str
    chain_index: int
    problem: LinkProblem
    expected: str
    stored: str

    def describe(self) -> str:
        """One line naming the shipment, event and the mismatch."""
        return (
            f"{self.shipment_id} #{self.chain_index} {self.event_id}: {self.problem} "
            f"expected {self.expected} stored {self.stored}"
        )


def verify_chain(engine: sa.Engine) -> list[BrokenLink]:
    """Recompute every shipment's chain from its stored rows; ``[]`` means all links hold."""
    table = CUSTODY_EVENTS
    columns = [table.c[name] for name in CHAIN_FIELDS]
    query = sa.select(*columns, table.c.prev_hash, table.c.row_hash).order_by(
        table.c.shipment_id, table.c.chain_index
    )
    with engine.connect() as connection:
        return verify_rows(connection.execute(query).mappings())


def verify_rows(rows: Iterable[Mapping[Any, Any]]) -> list[BrokenLink]:
    """Check custody rows ordered by shipment and ``chain_index`` (one shipment's or all).

    Indexes count from 0 per shipment, each ``prev_hash`` is the previous row's *stored*
    ``row_hash`` (genesis first), and each ``row_hash`` is recomputed from the stored
    content. So one edited row is named once (``row_hash``) instead of breaking every later
    link; a row whose hash was recomputed after an edit is caught by the next row's
    ``prev_hash``.
    """
    broken: list[BrokenLink] = []
    shipment: str | None = None
    expected_index = 0
    prev_hash = GENESIS_HASH
    for row in rows:
        if row["shipment_id"] != shipment:
            shipment, expected_index, prev_hash = row["shipment_id"], 0, GENESIS_HASH
        stored_index = row["chain_index"]
        found: list[tuple[LinkProblem, str, str]] = []
        if stored_index != expected_index:
            found.append(("chain_index", str(expected_index), str(stored_index)))
        if row["prev_hash"] != prev_hash:
            found.append(("prev_hash", prev_hash, row["prev_hash"]))
        recomputed = link_hash(row["prev_hash"], row)
        if row["row_hash"] != recomputed:
            found.append(("row_hash", recomputed, row["row_hash"]))
        broken.extend(
            BrokenLink(row["shipment_id"], row["event_id"], stored_index, *problem)
            for problem in found
        )
        expected_index = stored_index + 1
        prev_hash = row["row_hash"]
    return broken
