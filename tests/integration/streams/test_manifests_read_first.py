"""A processor started on a backlog reads the manifests before the readings (streams.manifests_first)."""

from __future__ import annotations

from datetime import datetime, timedelta
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
CUSTODY_EVERY = timedelta(hours=4)
"""Custody events of that shipment, one every 4 hours over the same 5 days: held without the
manifest, they expire as the readings do. With only the telemetry partitions waiting
(custody left out of ``after_manifests`` in ``streams.process_agent``) 22 of the 29 were
dead-lettered as ``manifest_timeout``."""
CUSTODY_EVENTS = timedelta(seconds=data.INTERVAL_S * READINGS) // CUSTODY_EVERY
"""29: one every ``CUSTODY_EVERY`` over the readings' span."""


def _custody_event(number: int, start: datetime) -> bytes:
    """Custody event ``number`` of shipment 0: an inspection at the hub, ``CUSTODY_EVERY``
    after the one before, naming another COI than the manifest's (so each one applied opens
    a ``coi_mismatch`` alert)."""
    at = start + number * CUSTODY_EVERY
    return orjson.dumps(
        {
            "event_id": f"CUS-{data.shipment_id(0)}:{number}",
            "shipment_id": data.shipment_id(0),
            "coi_id": "COI-NOT-THIS-ONE",
            "occurred_at": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "step": "inspecting",
            "site_id": "HUB-NE",
            "condition": "conformant",
        }
    )


def _backlog(settings: Settings, *, readings: bool, custody: bool) -> None:
    """``MANIFESTS`` manifests ahead of shipment 0's, then its readings and custody events."""
    ensure_topics(settings)
    start = data.start_for(READINGS + 2)
    with TopicProducer(settings) as producer:
        for index in [*range(1, MANIFESTS + 1), 0]:  # the one the events need comes last
            producer.send(Topic.SHIPMENTS, data.shipment_id(index), data.manifest(index, start))
        for seq in range(READINGS if readings else 0):
            producer.send(Topic.TELEMETRY, data.shipment_id(0), data.reading(0, seq, -180.0, start))
        for number in range(CUSTODY_EVENTS if custody else 0):
            producer.send(Topic.CUSTODY, data.shipment_id(0), _custody_event(number, start))


def _settings(isolated_settings: Settings) -> Settings:
    return isolated_settings.model_copy(
        update={"stream": isolated_settings.stream.model_copy(update={"silence_timer": False})}
    )


def _through_backlog(settings: Settings, tmp_path: Path) -> str:
    """Run a processor until its group has read every input to the end; its log."""
    inputs = [topic_name(settings, topic) for topic in INPUT_TOPICS]
    group = app_id_for(settings, "process")
    with running_worker(settings, "process", tmp_path / "worker.log") as worker:
        wait_until(
            lambda: group_lag(settings, group, inputs) == 0,
            timeout=120,
            what=f"the processor through the backlog (worker log: {worker.log_path})",
        )
        return worker.log_path.read_text()


def test_readings_of_a_backlog_wait_in_kafka_until_the_manifests_are_read(
    isolated_settings: Settings, tmp_path: Path
) -> None:
    settings = _settings(isolated_settings)
    _backlog(settings, readings=True, custody=False)
    log = _through_backlog(settings, tmp_path)

    assert "input.manifests_read_first" in log
    dead = [orjson.loads(value) for value in read_topic(settings, Topic.DEADLETTER)]
    assert [d["reason"] for d in dead] == []
    etas = [orjson.loads(value) for value in read_topic(settings, Topic.ETA)]
    assert any(eta["shipment_id"] == data.shipment_id(0) for eta in etas)


def test_custody_events_of_a_backlog_wait_in_kafka_until_the_manifests_are_read(
    isolated_settings: Settings, tmp_path: Path
) -> None:
    settings = _settings(isolated_settings)
    _backlog(settings, readings=False, custody=True)
    log = _through_backlog(settings, tmp_path)

    assert "input.manifests_read_first" in log
    dead = [orjson.loads(value) for value in read_topic(settings, Topic.DEADLETTER)]
    assert [d["reason"] for d in dead] == []
    alerts = [orjson.loads(value) for value in read_topic(settings, Topic.ALERTS)]
    applied = {a["details"]["event_id"] for a in alerts if a["type"] == "coi_mismatch"}
    assert applied == {f"CUS-{data.shipment_id(0)}:{n}" for n in range(CUSTODY_EVENTS)}
