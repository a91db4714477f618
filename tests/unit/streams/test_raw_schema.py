"""RawBytes hands over the events Faust's own bytes schema would, without its codecs."""

from __future__ import annotations

import faust
import pytest
from faust.types import Message

from streams.raw_schema import RawBytes


def message(key: bytes | None, value: bytes | None) -> Message:
    return Message(
        topic="cryotrace.telemetry.v1",
        partition=3,
        offset=42,
        timestamp=1_790_000_000.0,
        timestamp_type=0,
        headers=[("received_at", b"2026-11-29T12:00:00Z")],
        key=key,
        value=value,
        checksum=None,
    )


@pytest.mark.parametrize(
    ("key", "value"),
    [
        (b"SHP-0001", b'{"shipment_id": "SHP-0001"}'),
        (b"SHP-0001", None),  # a tombstone on the compacted manifests topic
        (None, b"not json at all \xff"),  # undecodable bytes are schemas.decode's to judge
    ],
)
async def test_events_are_those_of_fausts_bytes_schema(
    key: bytes | None, value: bytes | None
) -> None:
    app = faust.App("raw-schema-test", broker="kafka://127.0.0.1:1")
    faust_schema = faust.Schema(
        key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw"
    )
    consumed = message(key, value)
    ours = await RawBytes().compile(app)(consumed)
    theirs = await faust_schema.compile(app)(consumed)
    assert type(ours) is type(theirs)  # the app's configured event class
    assert ours.app is theirs.app
    assert (ours.key, ours.value, ours.headers) == (theirs.key, theirs.value, theirs.headers)
    assert (ours.key, ours.value) == (key, value)
    assert ours.message is consumed


def test_topics_declared_with_it_keep_bytes_types() -> None:
    app = faust.App("raw-schema-types", broker="kafka://127.0.0.1:1")
    topic = app.topic("cryotrace.alerts.v1", schema=RawBytes())
    assert (topic.key_type, topic.value_type) == (bytes, bytes)
    assert isinstance(topic.schema, RawBytes)
