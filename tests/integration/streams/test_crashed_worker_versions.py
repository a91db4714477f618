"""A version a crashed worker published keeps its contents: the next owner reads it back first."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from alerts.testing import SHIPMENT, manifest, reading
from schemas.alert import Alert
from schemas.custody import Party
from schemas.recording import RecordingLine
from streams.kafka_clients import ensure_topics
from streams.offline import OfflineRunner
from streams.produce import TopicProducer, produce_lines
from streams.settings import Settings
from streams.testing import running_worker, wait_until
from streams.topic_reader import read_topic
from streams.topics import Topic
from streams.wire import encode


def _recording() -> list[RecordingLine]:
    """One shipment's excursion: opened by the reading at minute 20, resolved at 30."""
    events = [("shipments", manifest("cryo-150"))] + [
        ("telemetry", reading(minute, temp))
        for minute, temp in [(10, -180.0), (20, -140.0), (30, -181.0)]
    ]
    return [
        RecordingLine(topic=topic, key=SHIPMENT, value=event.model_dump(mode="json"))  # type: ignore[arg-type]
        for topic, event in events
    ]


def _live(settings: Settings) -> list[Alert]:
    return [Alert.model_validate_json(value) for value in read_topic(settings, Topic.ALERTS)]


@pytest.mark.parametrize(
    ("contents", "expected"),
    [
        # the crashed worker had read a handoff first: version 1 names a courier
        ("other", [(1, "open", "CUR-31"), (2, "open", None), (3, "resolved", None)]),
        # the same interleaving as the crashed worker's: version 1 again, as a repeat
        ("same", [(1, "open", None), (1, "open", None), (2, "resolved", None)]),
    ],
)
def test_a_version_on_the_topic_is_never_published_again_with_other_contents(
    isolated_settings: Settings, tmp_path: Path, contents: str, expected: list[Any]
) -> None:
    settings = isolated_settings.model_copy(
        update={"stream": isolated_settings.stream.model_copy(update={"silence_timer": False})}
    )
    recording = _recording()
    runner = OfflineRunner(settings.rules)
    runner.run(recording)
    opened = next(a for a in runner.alerts if a.type == "temperature_excursion")
    assert (opened.version, opened.status, opened.custodian) == (1, "open", None)
    if contents == "other":
        courier = Party(party_id="CUR-31", role="courier")
        crashed = opened.model_copy(
            update={"custodian": courier, "message": f"{opened.message} while with CUR-31"}
        )
    else:
        crashed = opened
    ensure_topics(settings)
    # what a worker that crashed before its checkpoint left on the topic (no changelog yet)
    with TopicProducer(settings) as producer:
        producer.send(Topic.ALERTS, SHIPMENT, encode(crashed))
    produce_lines(recording, settings=settings)

    def excursion() -> list[tuple[int, str, str | None]]:
        return [
            (a.version, a.status, a.custodian.party_id if a.custodian else None)
            for a in _live(settings)
            if a.alert_id == opened.alert_id
        ]

    with running_worker(settings, "process", tmp_path / "worker.log") as worker:
        wait_until(
            lambda: len(excursion()) == len(expected),
            timeout=120,
            what=f"the excursion's versions (worker log: {worker.log_path})",
        )
        log = worker.log_path.read_text()
    assert excursion() == expected
    assert "process.published_versions_read" in log
    by_version: dict[tuple[str, int], str] = {}
    for alert in _live(settings):
        body = alert.model_dump_json()
        assert by_version.setdefault((alert.alert_id, alert.version), body) == body
