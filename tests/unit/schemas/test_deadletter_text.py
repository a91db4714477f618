"""Dead letters always serialise, whatever the bad input quoted (unpaired surrogates included)."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson

from schemas.deadletter import DeadLetter, FieldError
from schemas.decode import decode

RECEIVED = datetime(2026, 11, 29, tzinfo=UTC)


def test_surrogate_escapes_are_rejected_as_not_utf8() -> None:
    payload = b'{"event_id": "e\\ud800", "shipment_id": "S", "recorded_at": "2026-11-29T00:00:00Z"}'
    result = decode("telemetry", payload, received_at=RECEIVED)
    assert isinstance(result, DeadLetter)
    assert result.reason == "not_utf8"
    orjson.dumps(result.model_dump(mode="json"))


def test_dead_letter_fields_with_surrogates_become_printable() -> None:
    letter = DeadLetter(
        reason="schema",
        errors=[FieldError(loc="a\ud800", msg="bad \udcff value", type="x")],
        source_topic="telemetry",
        key="k\ud801",
        raw="{\ud800}",
        received_at=RECEIVED,
    )
    encoded = orjson.dumps(letter.model_dump(mode="json"))
    assert b"bad ? value" in encoded
    assert letter.raw == "{?}"


def test_nul_in_any_text_is_rejected_and_never_stored() -> None:
    escaped = b'{"event_id": "e\\u0000", "shipment_id": "S", "recorded_at": "2026-11-29T00:00:00Z"}'
    result = decode("telemetry", escaped, received_at=RECEIVED)
    assert isinstance(result, DeadLetter)
    assert (result.reason, result.errors[0].type) == ("schema", "nul_character")
    mapping = {"event_id": "e\x00", "shipment_id": "S", "recorded_at": "2026-11-29T00:00:00Z"}
    assert isinstance(decode("telemetry", mapping, received_at=RECEIVED), DeadLetter)
    raw_nul = decode("telemetry", b'{"event_id": "\x00"}', received_at=RECEIVED)
    assert isinstance(raw_nul, DeadLetter)
    assert "\x00" not in raw_nul.raw
