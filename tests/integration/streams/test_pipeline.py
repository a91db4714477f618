"""The walking skeleton end to end on real parts: Kafka in, worker, alerts out, PostgreSQL rows."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any
from unittest.mock import patch

import sqlalchemy as sa
from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient
from kafka.record.default_records import DefaultRecordBatch

from alerts.testing import at, manifest, reading
from schemas.recording import RecordingLine
from sinks.engine import make_engine
from streams.kafka_clients import ensure_topics, kafka_python_config
from streams.process_agent import CHANGELOG_CONFIG, STATE_TABLE
from streams.produce import produce_lines
from streams.settings import Settings
from streams.testing import recording_line, running_worker, wait_until


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
    lines = [recording_line("shipments", manifest("cryo-150"), 0)]
    lines += [
        recording_line("telemetry", reading(10 * i, t, seq=i), 10 * i + 1)
        for i, t in enumerate(temps)
    ]
    lines.append(
        recording_line("telemetry", reading(50, -181.0, seq=5), 61)
    )  # a re-upload: duplicate
    lines.append(RecordingLine(topic="telemetry", key="SHP-T1", raw="{broken", received_at=at(62)))
    assert produce_lines(lines, settings=settings) == len(lines)

    engine = make_engine(fresh_postgres_url)
    with running_worker(settings, "all", tmp_path / "worker.log") as worker:
        wait_until(
            lambda: (
                _has_tables(engine)
                and _scalar(engine, "SELECT count(*) FROM deadletters") == 1
                and _scalar(
                    engine,
                    "SELECT count(*) FROM alerts WHERE alert_type = 'temperature_excursion'"
                    " AND status = 'resolved'",
                )
                == 1
            ),
            timeout=120,
            what=f"rows in the warehouse (worker log: {worker.log_path})",
        )
    assert _scalar(engine, "SELECT count(*) FROM readings") == len(temps)
    with engine.connect() as conn:
        alert = (
            conn.execute(sa.text("SELECT * FROM alerts WHERE alert_type = 'temperature_excursion'"))
            .mappings()
            .one()
        )
        dead = conn.execute(sa.text("SELECT reason FROM deadletters")).scalar()
    assert alert["shipment_id"] == "SHP-T1"
    assert dead == "invalid_json"
    engine.dispose()
    # the state changelog was created to compact early (recovery reads ~one record per shipment)
    changelog = f"{settings.app_id}-{STATE_TABLE}-changelog"
    assert _topic_config(settings, changelog, set(CHANGELOG_CONFIG)) == {
        key: str(value) for key, value in CHANGELOG_CONFIG.items()
    }
    # and its record batches are stored compressed as the settings ask (zstd)
    assert settings.stream.changelog_compression == "zstd"
    assert _stored_codecs(settings, changelog) == {DefaultRecordBatch.CODEC_ZSTD}


def _stored_codecs(settings: Settings, topic: str) -> set[int]:
    """The compression codecs of the record batches the broker holds for ``topic``: read
    with kafka-python, whose batch reader is watched as the consumer parses each batch."""
    from kafka import KafkaConsumer, TopicPartition

    codecs: set[int] = set()
    parse = DefaultRecordBatch.__iter__

    def watched(batch: DefaultRecordBatch) -> Any:
        codecs.add(batch.compression_type)
        return parse(batch)

    consumer = KafkaConsumer(**kafka_python_config(settings.kafka), enable_auto_commit=False)
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends = consumer.end_offsets(partitions)
        assert any(ends.values())
        with patch.object(DefaultRecordBatch, "__iter__", watched):
            deadline = time.monotonic() + 30
            while any(consumer.position(tp) < end for tp, end in ends.items()):
                assert time.monotonic() < deadline, "the changelog was not read to its end"
                consumer.poll(timeout_ms=500)
    finally:
        consumer.close()
    return codecs


def _topic_config(settings: Settings, topic: str, keys: set[str]) -> dict[str, str]:
    admin = KafkaAdminClient(**kafka_python_config(settings.kafka))
    try:
        (response,) = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
        ((_, _, _, _, entries),) = response.resources
        return {entry[0]: entry[1] for entry in entries if entry[0] in keys}
    finally:
        admin.close()


def _has_tables(engine: sa.Engine) -> bool:
    return {"alerts", "readings", "deadletters"} <= set(sa.inspect(engine).get_table_names())


def test_live_timer_raises_logger_silent_for_a_quiet_logger(
    isolated_settings: Settings, tmp_path: Path
) -> None:
    from datetime import UTC, datetime

    from schemas.alert import Alert
    from streams.testing import read_topic
    from streams.topics import Topic

    settings = isolated_settings.model_copy(
        update={"stream": isolated_settings.stream.model_copy(update={"tick_seconds": 0.5})}
    )
    ensure_topics(settings)
    now = datetime.now(tz=UTC)
    minutes_ago_10 = (now - at(0)).total_seconds() / 60 - 10  # a reading 10 min before now
    quiet = manifest("cryo-150", reporting_interval_s=60)
    lines = [
        recording_line("shipments", quiet, minutes_ago_10),
        recording_line("telemetry", reading(minutes_ago_10, -181.0, seq=1), minutes_ago_10),
    ]
    produce_lines(lines, settings=settings)

    def silent() -> list[Alert]:
        alerts = [Alert.model_validate_json(v) for v in read_topic(settings, Topic.ALERTS)]
        return [a for a in alerts if a.type == "logger_silent"]

    with running_worker(settings, "process", tmp_path / "worker.log"):
        [alert, *_] = wait_until(silent, 90, "a logger_silent alert from the live timer")
    assert alert.shipment_id == "SHP-T1"
    # silent from the moment 2 x reporting_interval_s passed without a reading
    assert alert.opened_at == at(minutes_ago_10 + 2)
