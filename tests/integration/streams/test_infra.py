"""Local infrastructure: the Maven-jar broker and topic creation, idempotent, on the real cluster."""

from __future__ import annotations

from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient

from streams.infra.kafka import LocalKafka
from streams.infra.postgres import ensure_postgres
from streams.kafka_clients import ensure_topics, kafka_python_config
from streams.settings import Settings, get_settings
from streams.topics import Topic, topic_name


def test_up_twice_is_one_broker(kafka_bootstrap: str) -> None:
    kafka = LocalKafka.configured(get_settings())
    if kafka.bootstrap != kafka_bootstrap:
        return  # a broker from elsewhere (testcontainers or env): nothing local to compare
    pid = kafka.running_pid()
    assert kafka.up() == kafka_bootstrap
    assert kafka.running_pid() == pid


def test_topics_created_once_copartitioned_with_compacted_manifests(
    isolated_settings: Settings,
) -> None:
    first = ensure_topics(isolated_settings)
    again = ensure_topics(isolated_settings)
    assert first == again
    admin = KafkaAdminClient(**kafka_python_config(isolated_settings.kafka))
    try:
        names = [spec.name for spec in first]
        described = {t["topic"]: t for t in admin.describe_topics(names)}
        assert {len(described[name]["partitions"]) for name in names} == {4}
        shipments = topic_name(isolated_settings, Topic.SHIPMENTS)
        telemetry = topic_name(isolated_settings, Topic.TELEMETRY)
        configs = admin.describe_configs(
            [
                ConfigResource(ConfigResourceType.TOPIC, shipments),
                ConfigResource(ConfigResourceType.TOPIC, telemetry),
            ]
        )
        policy = {}
        for response in configs:
            for resource in response.resources:
                name = resource[3]
                entries = {entry[0]: entry[1] for entry in resource[4]}
                policy[name] = entries["cleanup.policy"]
        assert policy == {shipments: "compact", telemetry: "delete"}
    finally:
        admin.close()


def test_postgres_is_reachable_and_idempotent(postgres_url: str) -> None:
    assert ensure_postgres() == postgres_url
