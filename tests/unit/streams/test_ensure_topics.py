"""ensure_topics returns once the topics it created have every partition led (fake admin client)."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from streams import kafka_clients
from streams.kafka_clients import TopicsNotReadyError, ensure_topics
from streams.settings import Settings


class FakeAdmin:
    """Creates topics whose partitions get a leader only after ``leaderless`` describes."""

    leaderless: ClassVar[int] = 0
    instances: ClassVar[list[FakeAdmin]] = []

    def __init__(self, **_: Any) -> None:
        self.created: dict[str, int] = {}
        self.describes = 0
        FakeAdmin.instances.append(self)

    def list_topics(self) -> list[str]:
        return []

    def create_topics(self, topics: list[Any]) -> None:
        self.created = {t.name: t.num_partitions for t in topics}

    def describe_topics(self, names: list[str]) -> list[dict[str, Any]]:
        self.describes += 1
        led = self.describes > FakeAdmin.leaderless
        return [
            {
                "topic": name,
                "partitions": [
                    {"partition": p, "leader": 1 if led else -1} for p in range(self.created[name])
                ],
            }
            for name in names
        ]

    def close(self) -> None:
        pass


@pytest.fixture
def admin(monkeypatch: pytest.MonkeyPatch) -> type[FakeAdmin]:
    FakeAdmin.instances = []
    monkeypatch.setattr(kafka_clients, "KafkaAdminClient", FakeAdmin)
    return FakeAdmin


def test_waits_until_the_created_partitions_are_led(admin: type[FakeAdmin]) -> None:
    admin.leaderless = 3
    specs = ensure_topics(Settings(kafka_bootstrap="127.0.0.1:1"))
    (used,) = admin.instances
    assert used.created == {spec.name: spec.partitions for spec in specs}
    assert used.describes == 4  # three without leaders, then the one that had them


def test_partitions_never_led_is_a_clear_error(
    admin: type[FakeAdmin], monkeypatch: pytest.MonkeyPatch
) -> None:
    admin.leaderless = 10**9
    monkeypatch.setattr(kafka_clients, "TOPICS_READY_S", 0.2)
    with pytest.raises(TopicsNotReadyError, match="had no leader after"):
        ensure_topics(Settings(kafka_bootstrap="127.0.0.1:1"))
