"""A write on a worker thread in an open transaction: committed, or rolled back unseen."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from sinks.background import BackgroundWrite
from sinks.writer import WarehouseSink

pytestmark = pytest.mark.integration

_INSERT = sa.text(
    "INSERT INTO deadletters "
    "(deadletter_id, reason, errors_json, source_topic, raw, received_at, ingested_at) "
    "VALUES (:id, 'bad', '[]', 'topic', 'x', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
)


def _ids(sink: WarehouseSink) -> list[str]:
    with sink.engine.connect() as connection:
        query = sa.text("SELECT deadletter_id FROM deadletters ORDER BY deadletter_id")
        return list(connection.execute(query).scalars())


def test_a_committed_write_is_stored_and_ran_on_another_thread(sink: WarehouseSink) -> None:
    threads: list[threading.Thread] = []

    def write(connection: sa.Connection) -> int:
        threads.append(threading.current_thread())
        return connection.execute(_INSERT, {"id": "kept"}).rowcount

    assert BackgroundWrite(sink.engine, write).commit() == 1
    assert _ids(sink) == ["kept"]
    assert threads != [threading.main_thread()]


def test_a_rolled_back_write_leaves_nothing(sink: WarehouseSink) -> None:
    background = BackgroundWrite(sink.engine, lambda c: c.execute(_INSERT, {"id": "gone"}))
    background.rollback()
    assert _ids(sink) == []


def test_the_write_error_is_raised_by_commit_and_nothing_is_stored(sink: WarehouseSink) -> None:
    def write(connection: sa.Connection) -> None:
        connection.execute(_INSERT, {"id": "twice"})
        connection.execute(_INSERT, {"id": "twice"})  # the primary key fails

    with pytest.raises(sa.exc.IntegrityError, match=r"(?i)primary key|unique|duplicate"):
        BackgroundWrite(sink.engine, write).commit()
    assert _ids(sink) == []
