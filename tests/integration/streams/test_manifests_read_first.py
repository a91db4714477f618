"""A processor started on a backlog reads the manifests before the readings (streams.manifests_first)."""

from __future__ import annotations

from pathlib import Path

import orjson

from alerts.config import RuleConfig
from streams.app import app_id_for
from streams.bench import data
from streams.kafka_clients import ensure_topics
from streams.lag import group_lag
from streams.produce import TopicProducer
from streams.settings import Settings
from streams.testing import running_worker, wait_until
from streams.topic_reader import read_topic
from streams.topics import INPUT_TOPICS, Topic, topic_name

MANIFESTS = 4_000
"""Manifests ahead of the one the readings need, in the shipments topic (about 1,000 in its
partition): fetched side by side, the readings would reach the rules long before it."""
READINGS = RuleConfig().max_pending_per_shipment + 200
"""Readings of that one shipment, 10 minutes apart (almost 5 days): held without their
manifest, those more than a day older than the newest held one would be dead-lettered
(``manifest_timeout``), and beyond 500 the oldest (``pending_overflow``). With telemetry read
alongside the manifests (``CRYOTRACE_STREAM__MANIFESTS_FIRST_SECONDS=0``) 555 of the 700
were dead-lettered as ``manifest_timeout``."""


def test_readings_of_a_backlog_wait_in_kafka_until_the_manifests_are_read(
    isolated_settings: Settings, tmp_path: Path
) -> None:
    settings = isolated_settings.model_copy(
        update={"stream": isolated_settings.stream.model_copy(update={"silence_timer": False})}
    )
    ensure_topics(settings)
    start = data.start_for(READINGS + 2)
    with TopicProducer(settings) as producer:
        for index in [*range(1, MANIFESTS + 1), 0]:  # the one the readings need comes last
            producer.send(Topic.SHIPMENTS, data.shipment_id(index), data.manifest(index, start))
        for seq in range(READINGS):
            producer.send(Topic.TELEMETRY, data.shipment_id(0), data.reading(0, seq, -180.0, start))
    inputs = [topic_name(settings, topic) for topic in INPUT_TOPICS]
    group = app_id_for(settings, "process")

    with running_worker(settings, "process", tmp_path / "worker.log") as worker:
        wait_until(
            lambda: group_lag(settings, group, inputs) == 0,
            timeout=120,
            what=f"the processor through the backlog (worker log: {worker.log_path})",
        )
        log = worker.log_path.read_text()

    assert "input.manifests_read_first" in log
    dead = [orjson.loads(value) for value in read_topic(settings, Topic.DEADLETTER)]
    assert [d["reason"] for d in dead] == []
    etas = [orjson.loads(value) for value in read_topic(settings, Topic.ETA)]
    assert any(eta["shipment_id"] == data.shipment_id(0) for eta in etas)
