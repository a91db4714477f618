"""decode: one outcome per message, a dead-letter reason for every kind of bad input."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import orjson
import pytest
from schema_samples import RECEIVED_AT, SAMPLES, custody, manifest, telemetry

from schemas import (
    DEADLETTER_REASONS,
    FUTURE_TOLERANCE,
    MAX_PAYLOAD_BYTES,
    CustodyEvent,
    DeadLetter,
    Decoded,
    ShipmentManifest,
    TelemetryReading,
    decode,
)
from schemas.decode import MAX_FIELD_ERRORS


def _dead(topic: str, payload: Any, **kwargs: Any) -> DeadLetter:
    result = decode(topic, payload, received_at=kwargs.pop("received_at", RECEIVED_AT), **kwargs)
    assert isinstance(result, DeadLetter), result
    assert result.reason in DEADLETTER_REASONS
    return result


def _decoded(topic: str, payload: Any, **kwargs: Any) -> Decoded:
    result = decode(topic, payload, received_at=kwargs.pop("received_at", RECEIVED_AT), **kwargs)
    assert isinstance(result, Decoded), result
    return result


# -- one test per reason code --------------------------------------------------------------


def test_invalid_json_is_dead_lettered_with_the_raw_text() -> None:
    letter = _dead("telemetry", b'{"event_id": ')
    assert letter.reason == "invalid_json"
    assert letter.raw == '{"event_id": '
    assert letter.errors and letter.errors[0].type == "json_invalid"


def test_nan_literal_is_invalid_json() -> None:
    assert _dead("telemetry", b'{"temperature_c": NaN}').reason == "invalid_json"


def test_invalid_utf8_is_dead_lettered_with_replacement_characters() -> None:
    letter = _dead("telemetry", b'{"event_id": "\xff\xfe"}')
    assert letter.reason == "not_utf8"
    assert "\ufffd" in letter.raw


def test_lone_surrogate_in_text_payload_is_not_utf8() -> None:
    letter = _dead("telemetry", '{"event_id": "\udc80"}')
    assert letter.reason == "not_utf8"
    orjson.dumps(letter.model_dump(mode="json"))  # the dead letter itself stays encodable


@pytest.mark.parametrize("payload", [b"[1, 2]", b'"text"', b"42", b"null", b"true"])
def test_json_that_is_not_an_object_is_dead_lettered(payload: bytes) -> None:
    assert _dead("telemetry", payload).reason == "not_object"


def test_schema_violation_lists_field_errors() -> None:
    wire = telemetry(battery_pct=140, shipment_id="")
    letter = _dead("telemetry", orjson.dumps(wire))
    assert letter.reason == "schema"
    assert {error.loc for error in letter.errors} == {"battery_pct", "shipment_id"}
    assert all(error.msg and error.type for error in letter.errors)


def test_field_errors_are_capped() -> None:
    wire = manifest(legs=[{"mode": "road"}] * (MAX_FIELD_ERRORS + 50))
    letter = _dead("shipments", orjson.dumps(wire))
    assert len(letter.errors) == MAX_FIELD_ERRORS


def test_nested_field_error_has_a_dotted_location() -> None:
    letter = _dead("shipments", orjson.dumps(manifest(origin={"site_id": "X", "role": "hub"})))
    assert {"origin.lat", "origin.lon"} <= {error.loc for error in letter.errors}


def test_reading_more_than_five_minutes_ahead_is_future_timestamp() -> None:
    ahead = RECEIVED_AT + FUTURE_TOLERANCE + timedelta(seconds=1)
    wire = telemetry(recorded_at=ahead.isoformat())
    letter = _dead("telemetry", orjson.dumps(wire))
    assert letter.reason == "future_timestamp"
    assert letter.errors[0].loc == "recorded_at"


def test_reading_exactly_at_the_tolerance_is_accepted() -> None:
    edge = RECEIVED_AT + FUTURE_TOLERANCE
    _decoded("telemetry", orjson.dumps(telemetry(recorded_at=edge.isoformat())))


def test_future_custody_event_is_rejected_too() -> None:
    ahead = (RECEIVED_AT + timedelta(hours=1)).isoformat()
    assert _dead("custody", orjson.dumps(custody(occurred_at=ahead))).reason == "future_timestamp"


def test_future_check_can_be_switched_off() -> None:
    ahead = (RECEIVED_AT + timedelta(days=1)).isoformat()
    _decoded("telemetry", orjson.dumps(telemetry(recorded_at=ahead)), check_future=False)


def test_timestamp_without_zone_is_naive_timestamp() -> None:
    letter = _dead("telemetry", orjson.dumps(telemetry(recorded_at="2026-11-29T21:10:00")))
    assert letter.reason == "naive_timestamp"
    assert letter.errors[0].loc == "recorded_at"


def test_unknown_topic_is_dead_lettered() -> None:
    letter = _dead("weather", orjson.dumps(telemetry()))
    assert letter.reason == "unknown_topic"
    assert letter.source_topic == "weather"


@pytest.mark.parametrize("as_text", [False, True])
def test_payload_over_the_limit_is_too_large(as_text: bool) -> None:
    filler = "x" * MAX_PAYLOAD_BYTES
    payload: bytes | str = json.dumps(telemetry(note=filler))
    if not as_text:
        payload = payload.encode()
    letter = _dead("telemetry", payload)
    assert letter.reason == "too_large"
    assert len(letter.raw) < MAX_PAYLOAD_BYTES


def test_epcis_without_usable_events_is_epcis_unsupported() -> None:
    letter = _dead("epcis", orjson.dumps({"type": "AggregationEvent", "action": "ADD"}))
    assert letter.reason == "epcis_unsupported"


def test_json_that_is_no_epcis_at_all_is_epcis_unsupported() -> None:
    assert _dead("epcis", orjson.dumps(telemetry())).reason == "epcis_unsupported"


def test_payload_of_unsupported_python_type_is_dead_lettered() -> None:
    assert _dead("telemetry", 12345).reason == "not_object"


def test_every_decoder_reason_has_a_test() -> None:
    tested = {
        "invalid_json",
        "not_utf8",
        "not_object",
        "schema",
        "future_timestamp",
        "naive_timestamp",
        "unknown_topic",
        "too_large",
        "epcis_unsupported",
    }
    # set (and tested) by the rule engine, the processor and webhook delivery
    set_elsewhere = {
        "manifest_timeout",
        "pending_overflow",
        "too_late",
        "custody_overflow",
        "misrouted",
        "webhook_undeliverable",
        "internal_error",
    }
    assert tested | set_elsewhere == DEADLETTER_REASONS


# -- dead letter metadata --------------------------------------------------------------------


def test_dead_letter_carries_kafka_coordinates() -> None:
    letter = _dead("telemetry", b"{", key="SHP-0001", partition=3, offset=99)
    assert (letter.key, letter.partition, letter.offset) == ("SHP-0001", 3, 99)
    assert letter.received_at == RECEIVED_AT
    assert letter.source_topic == "telemetry"


def test_dead_letter_serialises_to_json_with_z_timestamp() -> None:
    letter = _dead("telemetry", b"{")
    assert letter.model_dump(mode="json")["received_at"] == "2026-11-29T22:00:00Z"


def test_naive_receiving_clock_is_taken_as_utc() -> None:
    naive = RECEIVED_AT.replace(tzinfo=None)
    letter = _dead("telemetry", b"{", received_at=naive)
    assert letter.received_at == RECEIVED_AT


# -- successful decoding and round trips -------------------------------------------------------

ROUND_TRIPS: list[tuple[str, Callable[..., dict[str, Any]], type[Any]]] = [
    ("telemetry", telemetry, TelemetryReading),
    ("custody", custody, CustodyEvent),
    ("shipments", manifest, ShipmentManifest),
]


@pytest.mark.parametrize(("topic", "sample", "model"), ROUND_TRIPS)
def test_model_to_json_to_decode_round_trip_is_equal(
    topic: str, sample: Callable[..., dict[str, Any]], model: type[Any]
) -> None:
    original = model.model_validate(sample())
    wire = orjson.dumps(original.model_dump(mode="json"))
    assert _decoded(topic, wire).events == [original]


@pytest.mark.parametrize("topic", ["telemetry", "custody", "shipments", "epcis"])
def test_bytes_text_and_mapping_payloads_decode_alike(topic: str) -> None:
    sample = SAMPLES[topic]()
    as_bytes = _decoded(topic, orjson.dumps(sample)).events
    assert _decoded(topic, json.dumps(sample)).events == as_bytes
    assert _decoded(topic, sample).events == as_bytes


def test_epoch_millisecond_timestamp_decodes() -> None:
    millis = int(datetime(2026, 11, 29, 21, 10, tzinfo=RECEIVED_AT.tzinfo).timestamp() * 1000)
    [reading] = _decoded("telemetry", orjson.dumps(telemetry(recorded_at=millis))).events
    assert isinstance(reading, TelemetryReading)
    assert reading.model_dump(mode="json")["recorded_at"] == "2026-11-29T21:10:00Z"


def test_integer_beyond_64_bits_is_still_json() -> None:
    letter = _dead("telemetry", json.dumps(telemetry(seq=2**70)).encode())
    assert letter.reason == "schema"
    assert [error.loc for error in letter.errors] == ["seq"]
    big_ignored = _decoded("telemetry", json.dumps(telemetry(vendor_counter=2**70)).encode())
    assert len(big_ignored.events) == 1
