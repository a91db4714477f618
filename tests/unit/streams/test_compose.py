"""docker-compose.yml (for machines with Docker) parses and defines the runtime parts."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[3]


def test_compose_defines_kafka_kraft_postgres_and_workers() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"kafka", "postgres", "worker", "sink"} <= set(services)
    kafka = services["kafka"]
    assert kafka["image"].startswith("apache/kafka:4.")
    assert kafka["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert services["postgres"]["image"].startswith("postgres:")
    for name in ("worker", "sink"):
        service = services[name]
        assert service["build"]["dockerfile"] == "infra/Dockerfile"
        assert service["command"][:2] == ["cryotrace", "worker"]
        assert service["environment"]["CRYOTRACE_KAFKA_BOOTSTRAP"] == "kafka:9092"
    assert (ROOT / services["worker"]["build"]["dockerfile"]).is_file()
