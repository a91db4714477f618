"""Alert versions read back from the topic: the digest of a version survives its wire form."""

from __future__ import annotations

import orjson
import pytest
import structlog.testing

from schemas.alert import Alert, content_digest
from schemas.recording import RecordingLine
from streams.offline import OfflineRunner
from streams.published_versions import published_versions
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


def test_a_record_that_is_no_alert_is_skipped_and_logged(alerts: list[Alert]) -> None:
    with structlog.testing.capture_logs() as logs:
        versions = published_versions([b"not json", orjson.dumps({"alert_id": "x"})])
    assert versions == {}
    assert [entry["event"] for entry in logs] == ["alerts.unreadable_record"] * 2
