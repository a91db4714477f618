"""Kafka client options (bootstrap, TLS, SASL) for kafka-python and Faust, from settings."""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import Sequence
from typing import Any

from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import TopicAlreadyExistsError

from schemas.errors import CryotraceError
from streams.infra.process import wait_for
from streams.settings import KafkaSettings, Settings
from streams.topics import TopicSpec, topic_specs


def kafka_python_config(kafka: KafkaSettings) -> dict[str, Any]:
    """Keyword arguments for kafka-python clients (producer, consumer, admin)."""
    config: dict[str, Any] = {
        "bootstrap_servers": kafka.bootstrap.split(","),
        "security_protocol": kafka.security_protocol,
    }
    if kafka.sasl_mechanism:
        config["sasl_mechanism"] = kafka.sasl_mechanism
        config["sasl_plain_username"] = kafka.sasl_username
        config["sasl_plain_password"] = (
            kafka.sasl_password.get_secret_value() if kafka.sasl_password else None
        )
    if kafka.ssl_cafile:
        config["ssl_cafile"] = str(kafka.ssl_cafile)
    if kafka.ssl_certfile:
        config["ssl_certfile"] = str(kafka.ssl_certfile)
    if kafka.ssl_keyfile:
        config["ssl_keyfile"] = str(kafka.ssl_keyfile)
    return config


def faust_broker_credentials(kafka: KafkaSettings) -> Any:
    """Faust ``broker_credentials`` for the configured security protocol (None for plaintext)."""
    import faust

    context: ssl.SSLContext | None = None
    if kafka.security_protocol in ("SSL", "SASL_SSL"):
        context = ssl.create_default_context(
            cafile=str(kafka.ssl_cafile) if kafka.ssl_cafile else None
        )
        if kafka.ssl_certfile:
            context.load_cert_chain(
                str(kafka.ssl_certfile), str(kafka.ssl_keyfile) if kafka.ssl_keyfile else None
            )
    if kafka.sasl_mechanism:
        password = kafka.sasl_password.get_secret_value() if kafka.sasl_password else ""
        if kafka.sasl_mechanism == "PLAIN":
            return faust.SASLCredentials(
                username=kafka.sasl_username, password=password, ssl_context=context
            )
        from faust.types.auth import SASLMechanism

        return faust.SASLCredentials(
            username=kafka.sasl_username,
            password=password,
            mechanism=SASLMechanism(kafka.sasl_mechanism),
            ssl_context=context,
        )
    if context is not None:
        return faust.SSLCredentials(context)
    return None


def ensure_topics(settings: Settings) -> list[TopicSpec]:
    """Create every declared topic that does not exist yet; returns the specs. Idempotent."""
    specs = topic_specs(settings)
    admin = KafkaAdminClient(
        client_id=f"{settings.app_id}-admin", **kafka_python_config(settings.kafka)
    )
    try:
        existing = set(admin.list_topics())
        missing = [spec for spec in specs if spec.name not in existing]
        if missing:
            new_topics = [
                NewTopic(
                    name=spec.name,
                    num_partitions=spec.partitions,
                    replication_factor=spec.replication_factor,
                    topic_configs={"cleanup.policy": "compact"} if spec.compacted else {},
                )
                for spec in missing
            ]
            # another process may win the race; the topics then exist, which is all we need
            with contextlib.suppress(TopicAlreadyExistsError):
                admin.create_topics(new_topics)
            if not wait_for(lambda: _led(admin, missing), TOPICS_READY_S, interval=0.05):
                raise TopicsNotReadyError(
                    f"topics {[spec.name for spec in missing]} created, but their partitions "
                    f"had no leader after {TOPICS_READY_S:.0f} s"
                )
    finally:
        admin.close()
    return specs


TOPICS_READY_S = 30.0
"""How long ``ensure_topics`` waits for the topics it created to have every partition led. The
broker answers a creation once its controller has the topics; its metadata may still show them
without partitions for a moment (a describe right after a fresh broker's first creation did)."""


class TopicsNotReadyError(CryotraceError):
    """Topics were created but their partitions did not get a leader in time."""


def _led(admin: KafkaAdminClient, specs: Sequence[TopicSpec]) -> bool:
    """Whether the broker's metadata shows each of ``specs`` with all its partitions led."""
    described = {t["topic"]: t for t in admin.describe_topics([spec.name for spec in specs])}
    for spec in specs:
        partitions = described.get(spec.name, {}).get("partitions") or []
        if len(partitions) != spec.partitions or any(p["leader"] < 0 for p in partitions):
            return False
    return True
