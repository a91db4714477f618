"""The sink on a real warehouse: idempotent upserts, quarantine, retries."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from schemas.telemetry import TelemetryReading
from sinks import testing as build
from sinks.errors import SinkUnavailable
from sinks.writer import WarehouseSink

pytestmark = pytest.mark.integration


def _count(sink: WarehouseSink, table: str) -> int:
    with sink.engine.connect() as connection:
        total: int = connection.execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar_one()
        return total


def _all(sink: WarehouseSink, sql: str) -> list[Any]:
    with sink.engine.connect() as connection:
        return list(connection.execute(sa.text(sql)).all())


def _one_of_each() -> list[Any]:
    return [
        build.manifest(),
        *(build.reading(i) for i in range(20)),
        build.custody_event(0, step="packing", to_party=None),
        build.custody_event(1),
        build.alert(1),
        build.alert(2),
        build.eta_update(hours=1),
        build.eta_update(hours=2),
        build.delivery(1, "failed"),
        build.delivery(2),
        build.deadletter(offset=7),
        build.deadletter(offset=None),
    ]


EXPECTED_ROWS = {
    "shipments": 1,
    "readings": 20,
    "custody_events": 2,
    "alerts": 1,
    "alert_history": 2,
    "eta_updates": 2,
    "webhook_deliveries": 2,
    "deadletters": 2,
    "quarantine": 0,
}


def test_the_same_data_twice_writes_every_row_once(sink: WarehouseSink) -> None:
    records = _one_of_each()
    for record in records + records:
        sink.add(record)
    report = sink.flush()
    assert report.duplicates == len(records)
    for record in records:
        sink.add(record)
    sink.flush()
    assert {table: _count(sink, table) for table in EXPECTED_ROWS} == EXPECTED_ROWS
    assert sink.pending == 0


def test_a_replay_among_new_rows_is_written_again_with_conflict_checks(
    sink: WarehouseSink,
) -> None:
    def flush(readings: range) -> Any:
        for i in readings:
            sink.add(build.reading(i))
        return sink.flush()

    first = flush(range(10))
    assert (first.attempts, first.checked_conflicts) == (1, False)  # plain bulk insert
    replayed = flush(range(5, 15))  # 5 stored, 5 new: the plain insert fails, then ON CONFLICT
    assert (replayed.attempts, replayed.checked_conflicts) == (2, True)
    assert _count(sink, "readings") == 15
    clean = flush(range(15, 20))  # still checked: the previous batch met stored keys
    assert (clean.attempts, clean.checked_conflicts) == (1, True)
    fresh = flush(range(20, 25))  # the checked batch met none: plain inserts again
    assert (fresh.attempts, fresh.checked_conflicts) == (1, False)
    assert _count(sink, "readings") == 25
    assert _all(sink, "SELECT COUNT(DISTINCT event_id) FROM readings") == [(25,)]


def test_a_stored_quarantined_row_does_not_fail_the_batch(sink: WarehouseSink) -> None:
    bad = build.reading(0).model_copy(update={"temperature_c": 412.0})  # the warehouse's gate
    for batch in ([bad, build.reading(1)], [bad, build.reading(2)]):
        for record in batch:
            sink.add(record)
        report = sink.flush()
        assert report.quarantined == {"readings": 1}
    assert report.checked_conflicts  # its quarantine_id was stored by the first flush
    assert _count(sink, "quarantine") == 1
    assert _count(sink, "readings") == 2


def test_alerts_keep_the_highest_version_whatever_the_arrival_order(sink: WarehouseSink) -> None:
    sink.add(build.alert(2))
    sink.flush()
    sink.add(build.alert(1))
    sink.flush()
    assert _all(sink, "SELECT version, status FROM alerts") == [(2, "resolved")]
    sink.add(build.alert(3, status="updated"))
    sink.flush()
    assert _all(sink, "SELECT version, status FROM alerts") == [(3, "updated")]
    assert [v for (v,) in _all(sink, "SELECT version FROM alert_history ORDER BY version")] == [
        1,
        2,
        3,
    ]


def test_a_newer_manifest_replaces_the_stored_one(sink: WarehouseSink) -> None:
    first = build.manifest()
    revised = build.manifest(created_at=first.created_at.replace(hour=23), logger_id="LOG-99")
    sink.add(revised)
    sink.flush()
    sink.add(first)
    sink.flush()
    assert _all(sink, "SELECT logger_id FROM shipments") == [("LOG-99",)]


def test_a_bad_row_is_quarantined_and_the_rest_committed(sink: WarehouseSink) -> None:
    good = [build.reading(i) for i in range(10)]
    # model_construct skips pydantic, as a buggy producer upstream of the sink could
    bad = TelemetryReading.model_construct(**{**good[0].__dict__, "event_id": "bad", "lat": 0})
    bad = bad.model_copy(update={"temperature_c": 412.0})
    for record in [*good[:5], bad, *good[5:]]:
        sink.add(record)
    report = sink.flush()
    assert report.quarantined == {"readings": 1}
    assert _count(sink, "readings") == len(good)
    assert _all(sink, "SELECT event_id FROM readings WHERE event_id = 'bad'") == []
    (table, expectation, row_json) = _all(
        sink, "SELECT table_name, expectation, row_json FROM quarantine"
    )[0]
    assert table == "readings"
    assert expectation == "temperature_c between -273.15 and 100.0"
    assert '"event_id":"bad"' in row_json
    assert '"temperature_c":412.0' in row_json
    sink.add(bad)
    sink.flush()
    assert _count(sink, "quarantine") == 1


def test_a_batch_with_a_bad_row_is_written_once_without_it(sink: WarehouseSink) -> None:
    bad = build.reading(3).model_copy(update={"battery_pct": 140.0})
    for record in [build.reading(i) for i in range(3)] + [bad]:
        sink.add(record)
    report = sink.flush()
    assert (report.attempts, report.quarantined) == (1, {"readings": 1})
    assert _count(sink, "readings") == 3
    assert _all(sink, "SELECT expectation FROM quarantine") == [
        ("battery_pct between 0.0 and 100.0",)
    ]


def test_missing_values_are_stored_as_null(sink: WarehouseSink) -> None:
    sink.add(build.reading(0, location=None))  # no position, no min/max temperatures
    sink.add(build.reading(1))
    sink.flush()
    nulls = _all(
        sink,
        "SELECT seq, lat IS NULL, temperature_min_c IS NULL, temperature_max_c IS NULL "
        "FROM readings ORDER BY seq",
    )
    assert nulls == [(0, True, True, True), (1, False, True, True)]


def test_validation_off_writes_without_quarantine(warehouse_url: str) -> None:
    with WarehouseSink(warehouse_url, validate=False) as sink:
        for i in range(3):
            sink.add(build.reading(i))
        assert sink.flush().quarantined == {}
        assert _count(sink, "readings") == 3


def test_an_unreachable_database_raises_after_the_deadline_and_keeps_the_batch() -> None:
    sink = WarehouseSink(
        "postgresql://nobody@127.0.0.1:9/none?connect_timeout=1",
        migrate=False,
        retry_deadline_s=0.5,
    )
    try:
        records = [build.reading(i) for i in range(3)]
        for record in records:
            sink.add(record)
        with pytest.raises(SinkUnavailable, match="attempts"):
            sink.flush()
        assert sink.pending == len(records)
    finally:
        sink.close(flush=False)


def test_add_rejects_what_the_warehouse_cannot_store(sink: WarehouseSink) -> None:
    with pytest.raises(TypeError, match="dict"):
        sink.add({"event_id": "x"})  # type: ignore[arg-type]


def test_the_sink_runs_duckdb_on_one_thread(duckdb_url: str) -> None:
    with WarehouseSink(duckdb_url) as sink, sink.engine.connect() as connection:
        threads = connection.exec_driver_sql("SELECT current_setting('threads')").scalar_one()
    assert int(threads) == 1
