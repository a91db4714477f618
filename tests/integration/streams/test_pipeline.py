"""The walking skeleton end to end on real parts: Kafka in, worker, alerts out, PostgreSQL rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa

from alerts.testing import at, manifest, reading
from schemas.recording import RecordingLine
from sinks.engine import make_engine
from streams.kafka_clients import ensure_topics
from streams.produce import produce_lines
from streams.settings import Settings
from streams.testing import running_worker, wait_until


def _line(topic: str, value: Any, received_minute: float) -> RecordingLine:
    return RecordingLine(
        topic=topic,
        key=value.shipment_id,
        value=value.model_dump(mode="json"),
        received_at=at(received_minute),
    )


def _scalar(engine: sa.Engine, sql: str) -> Any:
    with engine.connect() as conn:
        return conn.execute(sa.text(sql)).scalar()


def test_readings_alerts_and_dead_letters_reach_the_warehouse(
    isolated_settings: Settings, fresh_postgres_url: str, tmp_path: Path
) -> None:
    settings = isolated_settings.model_copy(
        update={
            "warehouse": isolated_settings.warehouse.model_copy(
                update={"url": fresh_postgres_url, "batch_seconds": 0.2}
            )
        }
    )
    ensure_topics(settings)
    temps = [-182.0, -181.5, -140.0, -135.5, -181.0, -182.5]
    lines = [_line("shipments", manifest("cryo-150"), 0)]
    lines += [_line("telemetry", reading(10 * i, t, seq=i), 10 * i + 1) for i, t in enumerate(temps)]
    lines.append(_line("telemetry", reading(50, -181.0, seq=5), 61))  # a re-upload: duplicate
    lines.append(RecordingLine(topic="telemetry", key="SHP-T1", raw="{broken", received_at=at(62)))
    assert produce_lines(lines, settings=settings) == len(lines)

    engine = make_engine(fresh_postgres_url)
    with running_worker(settings, "all", tmp_path / "worker.log") as worker:
        wait_until(
            lambda: _has_tables(engine)
            and _scalar(engine, "SELECT count(*) FROM deadletters") == 1
            and _scalar(
                engine,
                "SELECT count(*) FROM alerts WHERE alert_type = 'temperature_excursion'"
                " AND status = 'resolved'",
            )
            == 1,
            timeout=120,
            what=f"rows in the warehouse (worker log: {worker.log_path})",
        )
    assert _scalar(engine, "SELECT count(*) FROM readings") == len(temps)
    with engine.connect() as conn:
        alert = conn.execute(
            sa.text("SELECT * FROM alerts WHERE alert_type = 'temperature_excursion'")
        ).mappings().one()
        dead = conn.execute(sa.text("SELECT reason FROM deadletters")).scalar()
    assert alert["shipment_id"] == "SHP-T1"
    assert dead == "invalid_json"
    engine.dispose()


def _has_tables(engine: sa.Engine) -> bool:
    return {"alerts", "readings", "deadletters"} <= set(sa.inspect(engine).get_table_names())
