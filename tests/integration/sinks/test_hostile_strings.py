"""Hostile strings in every text field reach the warehouse as data, never as SQL.

(NUL never gets this far: the decoder rejects it, since PostgreSQL text cannot hold it.)"""

from __future__ import annotations

import sqlalchemy as sa

from sinks import testing as build
from sinks.engine import make_engine
from sinks.writer import WarehouseSink

HOSTILE = [
    "x'); DROP TABLE readings; --",
    "' OR '1'='1",
    '"; DELETE FROM alerts; --',
    "%s %(x)s {0} $1 :param ? \\\\",
    "ünïcødé ☃ 𝄞 \u202e",
    "semi;colon -- comment /* block */",
]


def test_hostile_text_round_trips_through_every_table(
    sink: WarehouseSink, warehouse_url: str
) -> None:
    for index, text in enumerate(HOSTILE):
        sid = f"SHP-{index}-{text}"
        sink.add(build.manifest(sid, coi_id=f"COI-{text}", logger_id=text))
        sink.add(build.reading(1, sid, event_id=f"EV-{index}-{text}", logger_id=text))
        sink.add(build.custody_event(1, sid, seal_id=text, site_id=text))
        sink.add(build.alert(1, sid, message=text, coi_id=text))
        sink.add(build.deadletter(offset=100 + index).model_copy(update={"raw": text, "key": text}))
    report = sink.flush()
    assert report is not None
    engine = make_engine(warehouse_url)
    try:
        with engine.connect() as conn:
            tables = set(sa.inspect(conn).get_table_names())
            assert {"readings", "alerts", "shipments", "custody_events", "deadletters"} <= tables
            logger_ids = set(conn.execute(sa.text("SELECT logger_id FROM readings")).scalars())
            messages = set(conn.execute(sa.text("SELECT message FROM alerts")).scalars())
            seals = set(conn.execute(sa.text("SELECT seal_id FROM custody_events")).scalars())
            raws = set(conn.execute(sa.text("SELECT raw FROM deadletters")).scalars())
            shipment_ids = set(conn.execute(sa.text("SELECT shipment_id FROM shipments")).scalars())
    finally:
        engine.dispose()
    assert logger_ids == set(HOSTILE)
    assert messages == set(HOSTILE)
    assert seals == set(HOSTILE)
    assert raws == set(HOSTILE)
    assert shipment_ids == {f"SHP-{i}-{t}" for i, t in enumerate(HOSTILE)}
