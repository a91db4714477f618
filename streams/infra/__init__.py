"""Local infrastructure without Docker: a Maven-jar Kafka broker and a Debian PostgreSQL."""

from streams.infra.kafka import LocalKafka
from streams.infra.postgres import LocalPostgres, ensure_postgres

__all__ = ["LocalKafka", "LocalPostgres", "ensure_postgres"]
