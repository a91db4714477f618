"""Send recording lines to Kafka: keyed by shipment, timestamped by their receiving time."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from datetime import datetime

import orjson
from kafka import KafkaProducer
from kafka.producer.future import FutureRecordMetadata

from schemas.errors import ConfigError, CryotraceError
from schemas.recording import RecordingLine
from streams.kafka_clients import kafka_python_config
from streams.settings import Settings, get_settings
from streams.topics import INPUT_TOPICS, Topic, topic_name
from streams.wire import received_at_headers


def line_bytes(line: RecordingLine) -> bytes:
    """The message value: the JSON of ``value``, or the ``raw`` text as UTF-8 bytes."""
    if line.value is not None:
        return orjson.dumps(line.value)
    assert line.raw is not None
    try:
        return line.raw.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return line.raw.encode("utf-8", "surrogatepass")


# The record timestamp stays the produce time (brokers reject timestamps far from their
# clock); a recording's receiving clock travels in a header instead.


def _headers(moment: datetime | None) -> list[tuple[str, bytes]]:
    return [] if moment is None else list(received_at_headers(moment).items())


class TopicProducer:
    """A kafka-python producer for our topics that checks every send (in blocks of 10,000)."""

    CHECK_EVERY = 10_000

    def __init__(self, settings: Settings, *, linger_ms: int = 20) -> None:
        self.settings = settings
        self.sent = 0
        self._pending: list[FutureRecordMetadata] = []
        self._producer = KafkaProducer(
            **kafka_python_config(settings.kafka),
            acks="all",
            linger_ms=linger_ms,
            batch_size=512 * 1024,
            retries=10,
            # A retried batch must not overtake a later one (a broker restart reordered a
            # shipment's readings) nor be written twice: the idempotent producer, which
            # kafka-python allows with one request in flight per connection.
            enable_idempotence=True,
            max_in_flight_requests_per_connection=1,
        )

    def send(
        self,
        topic: Topic,
        key: str | None,
        value: bytes,
        headers: list[tuple[str, bytes]] | None = None,
    ) -> None:
        """Queue one message; every CHECK_EVERY sends, wait for the broker and check."""
        self._pending.append(
            self._producer.send(
                topic_name(self.settings, topic),
                key=key.encode("utf-8") if key is not None else None,
                value=value,
                headers=headers or [],
            )
        )
        self.sent += 1
        if len(self._pending) >= self.CHECK_EVERY:
            self.flush()

    def flush(self) -> None:
        """Wait until the broker acknowledged everything sent; raise if it refused any."""
        self._producer.flush()
        for future in self._pending:
            if future.failed():
                raise CryotraceError(f"Kafka refused a message: {future.exception}")
        self._pending.clear()

    def close(self) -> None:
        self._producer.close()

    def __enter__(self) -> TopicProducer:
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            self.flush()
        self.close()


def produce_lines(
    lines: Iterable[RecordingLine],
    *,
    settings: Settings | None = None,
    speedup: float | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> int:
    """Produce every line to its topic; with ``speedup``, pace by ``received_at`` (x real time).

    Returns the number of messages acknowledged by the broker.
    """
    settings = settings or get_settings()
    inputs = {topic.value for topic in INPUT_TOPICS}
    first_event: datetime | None = None
    first_wall = time.monotonic()
    with TopicProducer(settings) as producer:
        for line in lines:
            if line.topic not in inputs:
                raise ConfigError(f"recording line for unknown topic {line.topic!r}")
            if speedup and line.received_at is not None:
                first_event = first_event or line.received_at
                due = (line.received_at - first_event).total_seconds() / speedup
                delay = due - (time.monotonic() - first_wall)
                if delay > 0:
                    producer.flush()
                    time.sleep(delay)  # pacing a real-time replay is the point here
            producer.send(Topic(line.topic), line.key, line_bytes(line), _headers(line.received_at))
            if on_progress and producer.sent % 10_000 == 0:
                on_progress(producer.sent)
    return producer.sent
