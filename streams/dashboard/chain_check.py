"""One shipment's custody hash chain, checked link by link as ``sinks.audit.verify_chain`` does."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sinks.audit import BrokenLink, LinkProblem
from sinks.chain import GENESIS_HASH, link_hash

__all__ = ["verify_shipment_chain"]


def verify_shipment_chain(rows: Sequence[Mapping[str, Any]]) -> list[BrokenLink]:
    """Recompute the links of one shipment's custody rows (ordered by ``chain_index``).

    Same rules as :func:`sinks.audit.verify_chain` over the whole warehouse: indexes count
    from 0, each ``prev_hash`` is the previous row's stored ``row_hash`` (genesis first),
    and each ``row_hash`` is recomputed from the stored content.
    """
    broken: list[BrokenLink] = []
    expected_index = 0
    prev_hash = GENESIS_HASH
    for row in rows:
        found: list[tuple[LinkProblem, str, str]] = []
        if row["chain_index"] != expected_index:
            found.append(("chain_index", str(expected_index), str(row["chain_index"])))
        if row["prev_hash"] != prev_hash:
            found.append(("prev_hash", prev_hash, row["prev_hash"]))
        recomputed = link_hash(row["prev_hash"], row)
        if row["row_hash"] != recomputed:
            found.append(("row_hash", recomputed, row["row_hash"]))
        broken.extend(
            BrokenLink(row["shipment_id"], row["event_id"], row["chain_index"], *problem)
            for problem in found
        )
        expected_index = row["chain_index"] + 1
        prev_hash = row["row_hash"]
    return broken
