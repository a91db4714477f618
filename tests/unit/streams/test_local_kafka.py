"""LocalKafka from the settings: the local broker's ports and heap, and whether it is the one configured."""

from __future__ import annotations

from pathlib import Path

from streams.infra.kafka import LocalKafka
from streams.settings import LocalInfraSettings, Settings


def _settings(tmp_path: Path, bootstrap: str) -> Settings:
    local = LocalInfraSettings(kafka_port=19092, controller_port=19093, kafka_heap="768m")
    return Settings(kafka_bootstrap=bootstrap, local=local, home=tmp_path)


def test_configured_takes_the_local_ports_and_heap(tmp_path: Path) -> None:
    broker = LocalKafka.configured(_settings(tmp_path, "kafka.example.internal:9092"))
    assert (broker.port, broker.controller_port, broker.heap) == (19092, 19093, "768m")
    assert broker.bootstrap == "127.0.0.1:19092"


def test_serving_only_when_the_bootstrap_is_the_local_broker(tmp_path: Path) -> None:
    """The bench measures, and the demo starts, only this machine's broker."""
    served = LocalKafka.serving(_settings(tmp_path, "127.0.0.1:19092"))
    assert served == LocalKafka.configured(_settings(tmp_path, "127.0.0.1:19092"))
    assert LocalKafka.serving(_settings(tmp_path, "127.0.0.1:9092")) is None  # another port
    assert LocalKafka.serving(_settings(tmp_path, "kafka.example.internal:19092")) is None
