"""SASL/PLAIN against a real local broker: admin, producer, a Faust worker and a consumer all
authenticate; a wrong password is refused; the password never reaches a log."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from pydantic import SecretStr

from alerts.testing import at, manifest, reading
from schemas.alert import Alert
from schemas.recording import RecordingLine
from streams.infra.kafka import LocalKafka
from streams.kafka_clients import ensure_topics
from streams.produce import produce_lines
from streams.settings import KafkaSettings, Settings
from streams.testing import read_topic, running_worker, wait_until
from streams.topics import Topic


def _settings(broker: LocalKafka, password: str, tmp_path: Path) -> Settings:
    run = uuid.uuid4().hex[:8]
    return Settings(
        app_id=f"sasl-{run}",
        topic_prefix=f"sasl{run}",
        warehouse_url=f"duckdb:///{tmp_path / 'w.duckdb'}",
        topics={"partitions": 2},  # type: ignore[arg-type]
        kafka=KafkaSettings(
            bootstrap=f"127.0.0.1:{broker.sasl_port}",
            security_protocol="SASL_PLAINTEXT",
            sasl_mechanism="PLAIN",
            sasl_username="cryotrace",
            sasl_password=SecretStr(password),
        ),
    )


def test_worker_and_clients_authenticate_with_sasl_plain(
    sasl_broker: LocalKafka, tmp_path: Path
) -> None:
    password = sasl_broker.sasl_users["cryotrace"]
    settings = _settings(sasl_broker, password, tmp_path)
    ensure_topics(settings)
    lines = [
        RecordingLine(topic=t, key="SHP-T1", value=m.model_dump(mode="json"), received_at=at(11))
        for t, m in (("shipments", manifest()), ("telemetry", reading(10, -140.0)))
    ]
    assert produce_lines(lines, settings=settings) == 2
    with running_worker(settings, "process", tmp_path / "worker.log") as worker:
        alerts = wait_until(
            lambda: [Alert.model_validate_json(v) for v in read_topic(settings, Topic.ALERTS)],
            120,
            "an alert through the SASL listener",
        )
    assert any(a.type == "temperature_excursion" for a in alerts)
    assert password not in worker.output()


def test_wrong_password_is_refused(sasl_broker: LocalKafka, tmp_path: Path) -> None:
    settings = _settings(sasl_broker, "not-the-password", tmp_path)
    with pytest.raises(Exception) as refused:  # kafka-python raises its own error classes
        ensure_topics(settings)
    assert sasl_broker.sasl_users["cryotrace"] not in str(refused.value)
