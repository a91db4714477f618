"""Topic declarations: names from the prefix, same partitions everywhere, compaction for manifests."""

from __future__ import annotations

from streams.settings import Settings
from streams.topics import Topic, logical_name, topic_name, topic_specs


def test_names_follow_prefix_and_version() -> None:
    settings = Settings(topic_prefix="acme")
    assert topic_name(settings, Topic.TELEMETRY) == "acme.telemetry.v1"
    assert logical_name(settings, "acme.deadletter.v1") is Topic.DEADLETTER
    assert logical_name(settings, "other.telemetry.v1") is None


def test_every_topic_is_copartitioned_and_only_manifests_compacted() -> None:
    settings = Settings(topics={"partitions": 9})  # type: ignore[arg-type]
    specs = topic_specs(settings)
    assert {spec.logical for spec in specs} == set(Topic)
    assert {spec.partitions for spec in specs} == {9}
    assert [spec.logical for spec in specs if spec.compacted] == [Topic.SHIPMENTS]
