"""The custody hash chain on a real warehouse: append-only links and tamper detection."""

from __future__ import annotations

import argparse

import pytest
import sqlalchemy as sa

from sinks import testing as build
from sinks.audit import verify_chain
from sinks.chain import GENESIS_HASH, link_hash
from sinks.writer import REWRITE_EXPECTATION, WarehouseSink
from streams.commands import audit as audit_command

pytestmark = pytest.mark.integration


def _chain(sink: WarehouseSink, shipment_id: str = "SHP-0001") -> list[sa.RowMapping]:
    query = sa.text(
        "SELECT * FROM custody_events WHERE shipment_id = :shipment ORDER BY chain_index"
    )
    with sink.engine.connect() as connection:
        return list(connection.execute(query, {"shipment": shipment_id}).mappings())


def test_links_follow_occurred_at_and_hash_their_predecessor(sink: WarehouseSink) -> None:
    events = [build.custody_event(n) for n in (2, 0, 1)]
    for event in events:
        sink.add(event)
    sink.add(build.custody_event(0, shipment_id="SHP-0002"))
    sink.flush()
    chain = _chain(sink)
    assert [row["event_id"] for row in chain] == [
        e.event_id for e in sorted(events, key=lambda e: e.occurred_at)
    ]
    assert [row["chain_index"] for row in chain] == [0, 1, 2]
    prev_hash = GENESIS_HASH
    for row in chain:
        assert row["prev_hash"] == prev_hash
        assert row["row_hash"] == link_hash(prev_hash, row)
        prev_hash = row["row_hash"]
    assert _chain(sink, "SHP-0002")[0]["prev_hash"] == GENESIS_HASH
    assert verify_chain(sink.engine) == []


def test_stored_events_are_never_rewritten_and_late_ones_are_appended(
    sink: WarehouseSink,
) -> None:
    sink.add(build.custody_event(0))
    sink.add(build.custody_event(2))
    sink.flush()
    before = _chain(sink)
    late = build.custody_event(1)  # happened between the two, arrives after both
    edited_replay = build.custody_event(0, seal_id="SEAL-NEW")  # same event_id, new content
    sink.add(late)
    sink.add(edited_replay)
    sink.flush()
    after = _chain(sink)
    assert after[:2] == before
    assert [row["event_id"] for row in after] == [
        before[0]["event_id"],
        before[1]["event_id"],
        late.event_id,
    ]
    assert after[2]["chain_index"] == 2
    assert after[2]["prev_hash"] == before[1]["row_hash"]
    assert after[0]["seal_id"] == "SEAL-88"
    assert verify_chain(sink.engine) == []
    quarantined = _quarantined(sink)
    assert [(expectation, '"seal_id":"SEAL-NEW"' in row) for expectation, row in quarantined] == [
        (REWRITE_EXPECTATION, True)
    ]
    sink.add(build.custody_event(0))  # an exact replay is no rewrite
    sink.add(edited_replay)  # the same rewrite again is quarantined once
    sink.flush()
    assert _quarantined(sink) == quarantined


def _quarantined(sink: WarehouseSink) -> list[tuple[str, str]]:
    query = sa.text("SELECT expectation, row_json FROM quarantine ORDER BY quarantine_id")
    with sink.engine.connect() as connection:
        return [(row[0], row[1]) for row in connection.execute(query)]


def test_an_edited_row_is_named_by_the_audit(sink: WarehouseSink) -> None:
    for n in range(3):
        sink.add(build.custody_event(n))
    sink.flush()
    target = _chain(sink)[1]
    with sink.engine.begin() as connection:
        connection.execute(
            sa.text("UPDATE custody_events SET condition = 'non_conformant' WHERE event_id = :e"),
            {"e": target["event_id"]},
        )
    broken = verify_chain(sink.engine)
    assert [(b.shipment_id, b.event_id, b.chain_index, b.problem) for b in broken] == [
        (target["shipment_id"], target["event_id"], 1, "row_hash")
    ]
    assert broken[0].stored == target["row_hash"]


def test_a_rehashed_edit_is_caught_by_the_next_link(sink: WarehouseSink) -> None:
    for n in range(3):
        sink.add(build.custody_event(n))
    sink.flush()
    chain = _chain(sink)
    forged = dict(chain[1]) | {"to_party_id": "CUR-99"}
    forged_hash = link_hash(forged["prev_hash"], forged)
    with sink.engine.begin() as connection:
        connection.execute(
            sa.text(
                "UPDATE custody_events SET to_party_id = 'CUR-99', row_hash = :h WHERE event_id = :e"
            ),
            {"h": forged_hash, "e": chain[1]["event_id"]},
        )
    broken = verify_chain(sink.engine)
    assert [(b.event_id, b.problem, b.expected) for b in broken] == [
        (chain[2]["event_id"], "prev_hash", forged_hash)
    ]


def test_a_deleted_link_is_found(sink: WarehouseSink) -> None:
    for n in range(3):
        sink.add(build.custody_event(n))
    sink.flush()
    chain = _chain(sink)
    with sink.engine.begin() as connection:
        connection.execute(
            sa.text("DELETE FROM custody_events WHERE event_id = :e"), {"e": chain[1]["event_id"]}
        )
    problems = {(b.event_id, b.problem) for b in verify_chain(sink.engine)}
    assert problems == {(chain[2]["event_id"], "chain_index"), (chain[2]["event_id"], "prev_hash")}


def test_audit_verify_command_exits_1_on_a_broken_chain(
    sink: WarehouseSink, warehouse_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    for n in range(2):
        sink.add(build.custody_event(n))
    sink.flush()
    args = argparse.Namespace(action="verify", warehouse=warehouse_url, json=False)
    assert audit_command.run(args) == 0
    assert "1 shipments, 2 links, intact" in capsys.readouterr().out
    with sink.engine.begin() as connection:
        connection.execute(sa.text("UPDATE custody_events SET seal_id = 'SEAL-X'"))
    assert audit_command.run(args) == 1
    out = capsys.readouterr().out
    assert out.count("BROKEN SHP-0001") == 2
