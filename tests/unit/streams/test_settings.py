"""Settings: environment names, shortcuts, secrets, and the completeness of .env.example."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel

from streams.settings import Settings

ROOT = Path(__file__).resolve().parents[3]


def _env_names(model: type[BaseModel], prefix: str) -> list[str]:
    names: list[str] = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names.extend(_env_names(annotation, f"{prefix}{name.upper()}__"))
        else:
            names.append(f"{prefix}{name.upper()}")
    return names


def test_env_example_lists_every_setting() -> None:
    listed = {
        line.split("=", 1)[0]
        for line in (ROOT / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    }
    missing = [name for name in _env_names(Settings, "CRYOTRACE_") if name not in listed]
    assert missing == []


def test_shortcuts_fold_into_sections(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRYOTRACE_KAFKA_BOOTSTRAP", "broker-a:9092,broker-b:9092")
    monkeypatch.setenv("CRYOTRACE_TOPIC_PREFIX", "staging")
    monkeypatch.setenv("CRYOTRACE_WAREHOUSE_URL", "postgresql://u@db/w")
    monkeypatch.setenv("CRYOTRACE_TOPICS__PARTITIONS", "12")
    settings = Settings()
    assert settings.kafka.bootstrap == "broker-a:9092,broker-b:9092"
    assert settings.topics.prefix == "staging"
    assert settings.topics.partitions == 12
    assert settings.warehouse.url == "postgresql://u@db/w"


def test_sasl_password_is_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRYOTRACE_KAFKA__SASL_PASSWORD", "hunter2-secret")
    settings = Settings()
    assert settings.kafka.sasl_password is not None
    assert settings.kafka.sasl_password.get_secret_value() == "hunter2-secret"
    assert "hunter2-secret" not in repr(settings)
    assert "hunter2-secret" not in str(settings.model_dump())


def test_an_empty_inline_handoff_means_by_role(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRYOTRACE_STREAM__INLINE_HANDOFF", "")
    assert Settings().stream.inline_handoff is None
    monkeypatch.setenv("CRYOTRACE_STREAM__INLINE_HANDOFF", "false")
    assert Settings().stream.inline_handoff is False


def test_a_child_process_sees_the_stream_and_warehouse_settings_it_was_given(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from streams.supervise import settings_env

    given = Settings(
        app_id="child",
        stream={"checkpoint_seconds": 2.5, "silence_timer": False, "data_dir": tmp_path},  # type: ignore[arg-type]
        warehouse={"nice": 9, "batch_size": 123, "url": "duckdb:///child.duckdb"},  # type: ignore[arg-type]
    )
    for name, value in settings_env(given).items():
        monkeypatch.setenv(name, value)
    seen = Settings()
    assert seen.stream == given.stream
    assert seen.warehouse == given.warehouse
    assert seen.app_id == "child"
