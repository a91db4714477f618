"""Token parsing and the lock retry, without a server or a database."""

from __future__ import annotations

import base64

import pytest
import sqlalchemy as sa

from sinks.audit import verify_rows
from sinks.chain import GENESIS_HASH, link_hash
from streams.dashboard.auth import presented_token, token_matches
from streams.dashboard.warehouse import (
    WarehouseBusy,
    WarehouseUnavailable,
    open_read_only,
    retry_while_locked,
)


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.mark.parametrize(
    ("header", "token"),
    [
        ("Bearer abc", "abc"),
        ("bearer   abc  ", "abc"),
        (_basic("nurse", "abc"), "abc"),
        (_basic("", "a:b"), "a:b"),
        ("Basic !!!", None),
        (_basic("nurse", ""), None),
        ("Token abc", None),
        ("Bearer", None),
        ("", None),
        (None, None),
    ],
)
def test_presented_token(header: str | None, token: str | None) -> None:
    assert presented_token(header) == token


def test_token_matches_only_the_exact_token() -> None:
    assert token_matches("s3cret", "Bearer s3cret")
    assert not token_matches("s3cret", "Bearer s3cre")
    assert not token_matches("s3cret", "Bearer s3cret2")
    assert not token_matches("s3cret", None)


def _lock_error() -> sa.exc.OperationalError:
    return sa.exc.OperationalError(
        "SELECT 1",
        {},
        Exception('IO Error: Could not set lock on file "w.duckdb": Conflicting lock'),
    )


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def time(self) -> float:
        return self.now


def test_retry_waits_out_a_lock_with_growing_delays() -> None:
    clock = FakeClock()
    failures = iter([_lock_error(), _lock_error(), _lock_error()])

    def call() -> str:
        error = next(failures, None)
        if error is not None:
            raise error
        return "rows"

    assert retry_while_locked(call, budget_s=5, sleep=clock.sleep, clock=clock.time) == "rows"
    assert clock.sleeps == [0.05, 0.1, 0.2]


def test_retry_gives_up_with_a_clear_message_after_the_budget() -> None:
    clock = FakeClock()

    def call() -> None:
        raise _lock_error()

    with pytest.raises(WarehouseBusy, match="locked by its writing process"):
        retry_while_locked(call, budget_s=1.0, sleep=clock.sleep, clock=clock.time)
    assert sum(clock.sleeps) == pytest.approx(1.0)


def test_other_database_errors_are_not_retried() -> None:
    clock = FakeClock()

    def call() -> None:
        raise sa.exc.ProgrammingError(
            "SELECT", {}, Exception("Catalog Error: no v_shipment_status")
        )

    with pytest.raises(WarehouseUnavailable, match="Catalog Error") as info:
        retry_while_locked(call, sleep=clock.sleep, clock=clock.time)
    assert not isinstance(info.value, WarehouseBusy)
    assert clock.sleeps == []


def test_in_memory_duckdb_is_refused() -> None:
    with pytest.raises(WarehouseUnavailable):
        open_read_only("duckdb:///:memory:")


def _chain(n: int) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    prev = GENESIS_HASH
    for i in range(n):
        row: dict[str, object] = {
            "event_id": f"E{i}", "shipment_id": "S", "chain_index": i, "coi_id": "C",
            "occurred_at": None, "step": "departing", "from_party_id": "A", "from_role": "hub",
            "to_party_id": "B", "to_role": "courier", "site_id": "A", "seal_id": "X",
            "logger_id": None, "condition": "conformant", "signer_name": None,
            "signature_meaning": None, "signed_at": None, "prev_hash": prev,
        }  # fmt: skip
        row["row_hash"] = link_hash(prev, row)
        prev = str(row["row_hash"])
        rows.append(row)
    return rows


def test_an_intact_chain_has_no_broken_links() -> None:
    assert verify_rows(_chain(4)) == []


def test_an_edited_row_is_named_once() -> None:
    rows = _chain(4)
    rows[2]["seal_id"] = "FORGED"
    assert [(b.event_id, b.problem) for b in verify_rows(rows)] == [("E2", "row_hash")]


def test_a_missing_link_breaks_index_and_prev_hash() -> None:
    rows = _chain(4)
    del rows[1]
    problems = [(b.event_id, b.problem) for b in verify_rows(rows)]
    assert problems == [("E2", "chain_index"), ("E2", "prev_hash")]
