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


def _check(pending: list[FutureRecordMetadata]) -> None:
    """Raise if the broker refused any message (kafka-python reports failures on the futures)."""
    for future in pending:
        if future.failed():
            raise CryotraceError(f"Kafka refused a message: {future.exception}")
    pending.clear()


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
    producer = KafkaProducer(
        **kafka_python_config(settings.kafka),
        acks="all",
        linger_ms=20,
        batch_size=256 * 1024,
        compression_type=None,
        max_in_flight_requests_per_connection=5,
        retries=10,
    )
    inputs = {topic.value for topic in INPUT_TOPICS}
    sent = 0
    pending: list[FutureRecordMetadata] = []
    first_event: datetime | None = None
    first_wall = time.monotonic()
    try:
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
            future = producer.send(
                topic_name(settings, Topic(line.topic)),
                key=line.key.encode() if line.key is not None else None,
                value=line_bytes(line),
                headers=_headers(line.received_at),
            )
            pending.append(future)
            sent += 1
            if sent % 10_000 == 0:
                producer.flush()
                _check(pending)
                if on_progress:
                    on_progress(sent)
        producer.flush()
        _check(pending)
    finally:
        producer.close()
    return sent
