"""The one decoder: bytes of any logical topic to validated wire models, or a dead letter."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import msgspec
import orjson
from pydantic import BaseModel, ValidationError

from schemas.custody import CustodyEvent
from schemas.deadletter import DeadLetter, FieldError
from schemas.epcis import EpcisError, epcis_events
from schemas.fastpath import fast_telemetry
from schemas.manifest import ShipmentManifest
from schemas.telemetry import TelemetryReading
from schemas.timestamps import NAIVE_TIMESTAMP

__all__ = [
    "FUTURE_TOLERANCE",
    "MAX_FIELD_ERRORS",
    "MAX_PAYLOAD_BYTES",
    "TOPIC_MODELS",
    "Decoded",
    "Event",
    "decode",
]

Event = ShipmentManifest | TelemetryReading | CustodyEvent
"""A decoded domain event."""

MAX_PAYLOAD_BYTES: Final = 1_048_576
"""Payloads larger than this (bytes, UTF-8) are dead-lettered as ``too_large``."""

FUTURE_TOLERANCE: Final = timedelta(seconds=300)
"""How far after the receiving clock a reading's own time may lie."""

MAX_FIELD_ERRORS: Final = 100
"""A dead letter lists at most this many field errors."""

_MAX_RAW_CHARS: Final = 65_536
"""Dead letters keep at most this much of a too-large payload."""

TOPIC_MODELS: Final[dict[str, type[BaseModel]]] = {
    "telemetry": TelemetryReading,
    "custody": CustodyEvent,
    "shipments": ShipmentManifest,
}
"""Logical topics carrying one plain wire model each (``epcis`` is handled by its adapter)."""


class Decoded(msgspec.Struct):
    """A successfully decoded message: one event, or several for an EPCIS document.

    (A ``msgspec.Struct``, built in C: a dataclass's ``__init__`` cost a tenth of a
    microsecond more per message on the hot path; not frozen, which costs more still.)
    """

    events: list[Event] = msgspec.field(default_factory=list)


@dataclass(slots=True)
class _Rejected(Exception):
    """Internal: carries a dead-letter reason out of a decoding step."""

    reason: str
    errors: list[FieldError] = field(default_factory=list)


_NOT_UTF8: Final = [FieldError(loc="", msg="payload is not valid UTF-8", type="not_utf8")]


_SURROGATES: Final = [
    FieldError(loc="", msg="payload escapes unpaired UTF-16 surrogates", type="not_utf8")
]


_TOO_LARGE: Final = [
    FieldError(loc="", msg=f"payload is over {MAX_PAYLOAD_BYTES} bytes", type="too_large")
]


def _reject_nan(constant: str) -> Any:
    raise ValueError(f"{constant} is not valid JSON")


def _as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _field_errors(exc: ValidationError) -> list[FieldError]:
    errors = exc.errors(include_url=False, include_input=False, include_context=False)
    return [
        FieldError(
            loc=".".join(str(part) for part in error["loc"]),
            msg=error["msg"],
            type=error["type"],
        )
        for error in errors[:MAX_FIELD_ERRORS]
    ]


def _schema_rejection(exc: ValidationError) -> _Rejected:
    errors = _field_errors(exc)
    naive = any(error.type == NAIVE_TIMESTAMP for error in errors)
    return _Rejected(NAIVE_TIMESTAMP if naive else "schema", errors)


def _parse_json(payload: bytes | str) -> Any:
    """Parse JSON with orjson, falling back to the standard library for what orjson refuses."""
    try:
        return orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        if "surrogate" in str(exc):  # "\ud800"-style escapes: no valid Unicode text
            raise _Rejected("not_utf8", _SURROGATES) from None
    if isinstance(payload, bytes):
        try:
            text = payload.decode("utf-8")
        except UnicodeDecodeError:
            raise _Rejected("not_utf8", _NOT_UTF8) from None
    else:
        text = payload
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise _Rejected("not_utf8", _NOT_UTF8) from None
    try:  # e.g. integers beyond 64 bits, which are valid JSON
        return json.loads(text, parse_constant=_reject_nan)
    except (ValueError, RecursionError) as exc:
        raise _Rejected(
            "invalid_json", [FieldError(loc="", msg=str(exc)[:200], type="json_invalid")]
        ) from None


def _raw_text(payload: object) -> str:
    """The payload as text for a dead letter (invalid UTF-8 replaced, never raising)."""
    try:
        if isinstance(payload, bytes | bytearray | memoryview):
            text = bytes(payload[: _MAX_RAW_CHARS * 4]).decode("utf-8", errors="replace")
        elif isinstance(payload, str):
            text = payload.encode("utf-8", errors="replace").decode("utf-8")
        elif isinstance(payload, Mapping):
            text = orjson.dumps(payload, default=repr).decode("utf-8")
        else:
            text = repr(payload)
    except Exception:
        text = "<unprintable payload>"
    return text[:_MAX_RAW_CHARS].replace("\x00", "\ufffd")


def _load(payload: bytes | str | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(payload, bytes | bytearray | memoryview):
        payload = bytes(payload)
        if len(payload) > MAX_PAYLOAD_BYTES:
            raise _Rejected("too_large", _TOO_LARGE)
        obj = _parse_json(payload)
    elif isinstance(payload, str):
        if len(payload) > MAX_PAYLOAD_BYTES or (
            len(payload) * 4 > MAX_PAYLOAD_BYTES
            and len(payload.encode("utf-8", errors="surrogatepass")) > MAX_PAYLOAD_BYTES
        ):
            raise _Rejected("too_large", _TOO_LARGE)
        obj = _parse_json(payload)
    elif isinstance(payload, Mapping):
        obj = payload if type(payload) is dict else dict(payload)
    else:
        raise _Rejected(
            "not_object",
            [FieldError(loc="", msg="payload must be bytes, text or a mapping", type="type")],
        )
    if type(obj) is not dict:
        raise _Rejected(
            "not_object",
            [FieldError(loc="", msg=f"JSON {type(obj).__name__} is not an object", type="type")],
        )
    return obj


def _event_time(event: Event) -> datetime | None:
    if isinstance(event, TelemetryReading):
        return event.recorded_at
    if isinstance(event, CustodyEvent):
        return event.occurred_at
    return None


def _check_future(events: list[Event], received_at: datetime) -> None:
    limit = received_at + FUTURE_TOLERANCE
    for index, event in enumerate(events):
        moment = _event_time(event)
        if moment is not None and moment > limit:
            name = "recorded_at" if isinstance(event, TelemetryReading) else "occurred_at"
            loc = name if len(events) == 1 else f"{index}.{name}"
            raise _Rejected(
                "future_timestamp",
                [
                    FieldError(
                        loc=loc,
                        msg=f"more than {int(FUTURE_TOLERANCE.total_seconds())} s after "
                        "the receiving clock",
                        type="future_timestamp",
                    )
                ],
            )


def _decode_events(topic: str, payload: bytes | str | Mapping[str, Any]) -> list[Event]:
    model = TOPIC_MODELS.get(topic)
    if model is None and topic != "epcis":
        raise _Rejected(
            "unknown_topic",
            [FieldError(loc="topic", msg=f"unknown logical topic {topic[:100]!r}", type="topic")],
        )
    obj = _load(payload)
    if model is None:
        try:
            return list[Event](epcis_events(obj))
        except EpcisError as exc:
            errors = [FieldError(**error) for error in exc.errors[:MAX_FIELD_ERRORS]]
            raise _Rejected(exc.reason, errors) from None
        except ValidationError as exc:
            raise _schema_rejection(exc) from None
    try:
        event: Any = model.model_validate(obj)
    except ValidationError as exc:
        raise _schema_rejection(exc) from None
    return [event]


def decode(
    topic: str,
    payload: bytes | str | Mapping[str, Any],
    *,
    received_at: datetime,
    key: str | None = None,
    partition: int | None = None,
    offset: int | None = None,
    check_future: bool = True,
) -> Decoded | DeadLetter:
    """Decode and validate one message of logical ``topic``; never raises.

    ``topic`` is ``telemetry``, ``custody``, ``shipments`` or ``epcis``. ``received_at`` is
    the receiving clock (a naive value is taken as UTC); readings and custody events more than
    ``FUTURE_TOLERANCE`` after it are rejected unless ``check_future`` is false. Returns the
    events, or a ``DeadLetter`` with the reason, field errors and the payload as text.
    """
    try:
        received = received_at if received_at.tzinfo is UTC else _as_utc(received_at)
        if topic == "telemetry" and type(payload) is bytes and len(payload) <= MAX_PAYLOAD_BYTES:
            # Valid JSON holds no raw NUL, and the fast path declines "\\u0000": _reject_nul passes.
            reading = fast_telemetry(payload, received + FUTURE_TOLERANCE if check_future else None)
            if reading is not None:
                return Decoded([reading])
        try:
            _reject_nul(payload)
            events = _decode_events(topic, payload)
            if check_future:
                _check_future(events, received)
            return Decoded(events)
        except _Rejected as rejected:
            return DeadLetter(
                reason=rejected.reason,
                errors=rejected.errors,
                source_topic=str(topic)[:256],
                partition=partition,
                offset=offset,
                key=key,
                raw=_raw_text(payload),
                received_at=received,
            )
    except Exception as exc:
        return _internal_error(topic, payload, received_at, key, partition, offset, exc)


_NUL: Final = [FieldError(loc="", msg="text must not contain NUL (\\u0000)", type="nul_character")]


def _reject_nul(payload: bytes | str | Mapping[str, Any]) -> None:
    """NUL has no place in identifiers or text, and PostgreSQL text cannot store it."""
    if isinstance(payload, bytes):
        found = b"\\u0000" in payload or b"\x00" in payload
    elif isinstance(payload, str):
        found = "\\u0000" in payload or "\x00" in payload
    else:
        try:
            found = b"\\u0000" in orjson.dumps(payload)
        except (TypeError, orjson.JSONEncodeError):
            return  # not serialisable: validation reports it
    if found:
        raise _Rejected("schema", _NUL)


def _internal_error(
    topic: object,
    payload: object,
    received_at: object,
    key: object,
    partition: object,
    offset: object,
    exc: Exception,
) -> DeadLetter:
    """Last resort: a dead letter built without validation for an unexpected failure."""
    return DeadLetter.model_construct(
        reason="internal_error",
        errors=[FieldError.model_construct(loc="", msg=type(exc).__name__, type="internal")],
        source_topic=str(topic)[:256],
        partition=partition if type(partition) is int else None,
        offset=offset if type(offset) is int else None,
        key=key if isinstance(key, str) else None,
        raw=_raw_text(payload),
        received_at=received_at if isinstance(received_at, datetime) else datetime.now(UTC),
    )
