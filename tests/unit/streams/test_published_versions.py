"""Alert versions read back from the topic: the digest of a version survives its wire form."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
import structlog.testing
from kafka.errors import NoBrokersAvailable

from schemas.alert import Alert, content_digest
from schemas.recording import RecordingLine
from streams import published_versions as published
from streams.offline import OfflineRunner
from streams.published_versions import PublishedVersions, published_versions
from streams.settings import Settings
from streams.simulator.run import SimulationConfig, simulate
from streams.wire import encode


@pytest.fixture(scope="module")
def alerts() -> list[Alert]:
    lines = simulate(SimulationConfig(shipments=12, seed=5)).lines
    runner = OfflineRunner(Settings().rules)
    runner.run([RecordingLine.model_validate(line) for line in lines])
    return list(runner.alerts)


def test_every_version_read_back_has_the_digest_it_was_built_with(alerts: list[Alert]) -> None:
    assert len({a.type for a in alerts}) >= 5  # a varied fleet: many kinds of details
    versions = published_versions(encode(a) for a in alerts)
    for alert in alerts:
        assert versions[alert.shipment_id][alert.alert_id][alert.version] == content_digest(alert)
    assert sum(len(v) for s in versions.values() for v in s.values()) == len(
        {(a.alert_id, a.version) for a in alerts}
    )


def test_other_contents_under_one_version_give_another_digest(alerts: list[Alert]) -> None:
    alert = alerts[0]
    moved = alert.model_copy(update={"message": alert.message + "."})
    bumped = alert.model_copy(update={"version": alert.version + 1})
    assert content_digest(moved) != content_digest(alert)
    assert content_digest(bumped) == content_digest(alert)  # the version is not content


def test_an_alert_whose_id_the_processor_never_gives_is_skipped_and_logged(
    alerts: list[Alert],
) -> None:
    alert = alerts[0]
    foreign = [
        alert.model_copy(update={"alert_id": "not-ours"}),
        alert.model_copy(update={"alert_id": f"{alert.shipment_id}:{alert.type}:x"}),
        alert.model_copy(update={"alert_id": f"SHP-OTHER:{alert.type}:1"}),
    ]
    with structlog.testing.capture_logs() as logs:
        versions = published_versions(encode(a) for a in [*foreign, alert])
    assert versions == {alert.shipment_id: {alert.alert_id: {alert.version: content_digest(alert)}}}
    assert [entry["event"] for entry in logs] == ["alerts.foreign_alert_id"] * 3


def test_a_record_that_is_no_alert_is_skipped_and_logged(alerts: list[Alert]) -> None:
    with structlog.testing.capture_logs() as logs:
        versions = published_versions([b"not json", orjson.dumps({"alert_id": "x"})])
    assert versions == {}
    assert [entry["event"] for entry in logs] == ["alerts.unreadable_record"] * 2


def _failing_then(
    monkeypatch: pytest.MonkeyPatch, failures: int, versions: PublishedVersions
) -> list[list[int]]:
    """``_read_back`` failing ``failures`` times as a broker that does not answer, then
    reading ``versions``; the partitions of each call."""
    calls: list[list[int]] = []

    def read_back(settings: Settings, changelog: str, partitions: list[int]) -> Any:
        calls.append(partitions)
        if len(calls) <= failures:
            raise NoBrokersAvailable()
        return versions, 3

    monkeypatch.setattr(published, "_read_back", read_back)
    monkeypatch.setattr(published, "RETRY_PAUSE_S", 0.0)
    return calls


async def test_a_read_back_the_broker_refuses_is_tried_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    versions: PublishedVersions = {"SHP-1": {"SHP-1:lid_open:1": {1: "d"}}}
    calls = _failing_then(monkeypatch, published.READ_ATTEMPTS - 1, versions)
    with structlog.testing.capture_logs() as logs:
        got = await published.kafka_reader(Settings(), "changelog")({2, 0})
    assert got == versions
    assert calls == [[0, 2]] * published.READ_ATTEMPTS
    events = [entry["event"] for entry in logs]
    retries = ["process.published_versions_retry"] * (published.READ_ATTEMPTS - 1)
    assert events == [*retries, "process.published_versions_read"]


async def test_a_read_back_that_never_succeeds_goes_on_unfenced_and_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = _failing_then(monkeypatch, published.READ_ATTEMPTS, {})
    with structlog.testing.capture_logs() as logs:
        got = await published.kafka_reader(Settings(), "changelog")({1})
    assert got == {}
    assert len(calls) == published.READ_ATTEMPTS
    assert logs[-1]["event"] == "process.published_versions_unread"
    assert logs[-1]["log_level"] == "error"
