"""Shared fixtures: the real Kafka and PostgreSQL, isolated per test by topic prefix and app id."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from streams.settings import Settings

IN_CI = bool(os.environ.get("CI"))


def unreachable(what: str, exc: BaseException) -> None:
    """With CI set a missing service fails the test; on a laptop it skips with the reason."""
    message = f"{what} unreachable: {type(exc).__name__}: {exc}"
    if IN_CI:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def _docker_answers() -> bool:
    try:
        import docker

        docker.from_env(timeout=2).ping()
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    """A real Kafka 4.x: CRYOTRACE_KAFKA_BOOTSTRAP, testcontainers with Docker, else local jars."""
    if bootstrap := os.environ.get("CRYOTRACE_KAFKA_BOOTSTRAP"):
        yield bootstrap
        return
    if _docker_answers():
        from testcontainers.kafka import KafkaContainer

        with KafkaContainer("apache/kafka:4.1.1").with_kraft() as container:
            yield container.get_bootstrap_server()
        return
    from streams.infra.kafka import LocalKafka
    from streams.settings import get_settings

    try:
        yield LocalKafka.configured(get_settings()).up()
    except Exception as exc:
        unreachable("Kafka", exc)


@pytest.fixture(scope="session")
def sasl_broker() -> Iterator[Any]:
    """A second local broker with a SASL_PLAINTEXT (PLAIN) listener and one user, ``cryotrace``."""
    import secrets

    from streams.infra.kafka import LocalKafka
    from streams.supervise import free_port

    kafka = LocalKafka(
        port=free_port(),
        controller_port=free_port(),
        heap="512m",
        sasl_port=free_port(),
        sasl_users={"cryotrace": "sasl-" + secrets.token_hex(12)},
    )
    try:
        kafka.up()
    except Exception as exc:
        unreachable("a SASL-enabled local Kafka", exc)
    yield kafka
    kafka.reset()


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """A real PostgreSQL: CRYOTRACE_POSTGRES_URL, else the project's local Debian cluster."""
    from streams.infra.postgres import ensure_postgres

    try:
        url = ensure_postgres()
        import sqlalchemy

        engine = sqlalchemy.create_engine(url)
        with engine.connect() as conn:
            conn.execute(sqlalchemy.text("SELECT 1"))
        engine.dispose()
        return url
    except Exception as exc:
        unreachable("PostgreSQL", exc)
        raise


@pytest.fixture
def fresh_postgres_url(postgres_url: str) -> Iterator[str]:
    """A new, empty database on the real server for one test; dropped afterwards."""
    import psycopg
    from sqlalchemy.engine import make_url

    base = make_url(postgres_url)
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = dict(
        host=base.host, port=base.port, user=base.username, dbname=base.database, autocommit=True
    )
    if base.password:
        admin["password"] = base.password
    with psycopg.connect(**admin) as conn:  # type: ignore[arg-type]
        conn.execute(f'CREATE DATABASE "{name}"')
    yield base.set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(**admin) as conn:  # type: ignore[arg-type]
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def duckdb_url(tmp_path: Path) -> str:
    """A DuckDB warehouse file of its own for one test."""
    return f"duckdb:///{tmp_path / 'warehouse.duckdb'}"


@pytest.fixture
def isolated_settings(kafka_bootstrap: str, tmp_path: Path) -> Settings:
    """Settings with a unique topic prefix and app id: tests share a broker, not their data."""
    run = uuid.uuid4().hex[:10]
    return Settings(
        app_id=f"test-{run}",
        kafka_bootstrap=kafka_bootstrap,
        topic_prefix=f"t{run}",
        warehouse_url=f"duckdb:///{tmp_path / 'warehouse.duckdb'}",
        topics={"partitions": 4},  # type: ignore[arg-type]
        home=None,
    )
