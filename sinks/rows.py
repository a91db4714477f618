"""Wire models to column lists of the warehouse tables (no ORM objects on the hot path)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from operator import itemgetter
from typing import Any, TypeVar

import orjson

from schemas.alert import Alert
from schemas.custody import CustodyEvent
from schemas.deadletter import DeadLetter
from schemas.eta import EtaUpdate
from schemas.manifest import ShipmentManifest
from schemas.telemetry import TelemetryReading
from sinks.deliveries import WebhookDelivery

__all__ = [
    "Columns",
    "alert_columns",
    "custody_rows",
    "deadletter_columns",
    "deadletter_id",
    "delivery_columns",
    "eta_columns",
    "first_of_each",
    "json_text",
    "reading_columns",
    "row_at",
    "shipment_columns",
    "take_rows",
    "to_columns",
]

_R = TypeVar("_R")

Columns = dict[str, list[Any]]
"""A batch of one table, column-wise: column name -> values, all lists of equal length."""


def json_text(value: Any) -> str:
    """Compact JSON with sorted keys (datetimes as RFC 3339)."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS).decode()


def to_columns(rows: Sequence[dict[str, Any]], names: Iterable[str]) -> Columns:
    """Column lists from row dicts."""
    return {name: [row[name] for row in rows] for name in names}


def row_at(columns: Columns, index: int) -> dict[str, Any]:
    """Row ``index`` of ``columns`` as a dict."""
    return {name: values[index] for name, values in columns.items()}


def take_rows(columns: Columns, keep: Sequence[int]) -> Columns:
    """Only the rows at positions ``keep``, in that order."""
    return {name: [values[i] for i in keep] for name, values in columns.items()}


def first_of_each(columns: Columns, key: str) -> Columns:
    """``columns`` with only the first row of each ``key`` value (the same lists when unique)."""
    values = columns[key]
    if len(set(values)) == len(values):
        return columns
    first: dict[Any, int] = {}
    for index, value in enumerate(values):
        first.setdefault(value, index)
    return take_rows(columns, sorted(first.values()))


_READING_FIELDS = (
    "event_id",
    "shipment_id",
    "logger_id",
    "seq",
    "recorded_at",
    "temperature_c",
    "temperature_min_c",
    "temperature_max_c",
)
_READING_TAIL = ("lid_open", "tilt_deg", "shock_g", "battery_pct", "ambient_c")


def reading_columns(readings: Sequence[TelemetryReading]) -> Columns:
    """``readings`` rows, column-wise (the hot path: one C-level ``map`` per column).

    Field values are read from each model's ``__dict__`` (where pydantic keeps them) with
    ``itemgetter``: about half the cost of attribute access per value.
    """
    fields = [vars(r) for r in readings]
    columns: Columns = {name: list(map(itemgetter(name), fields)) for name in _READING_FIELDS}
    locations = list(map(itemgetter("location"), fields))
    columns["lat"] = [None if loc is None else loc.lat for loc in locations]
    columns["lon"] = [None if loc is None else loc.lon for loc in locations]
    columns["accuracy_m"] = [None if loc is None else loc.accuracy_m for loc in locations]
    for name in _READING_TAIL:
        columns[name] = list(map(itemgetter(name), fields))
    return columns


def _manifest_row(m: ShipmentManifest) -> dict[str, Any]:
    carrier = next((leg.carrier for leg in m.legs if leg.carrier), None)
    hub = next((s.site_id for s in (m.origin, m.destination) if s.role == "hub"), None)
    return {
        "shipment_id": m.shipment_id,
        "coi_id": m.coi_id,
        "product_profile": m.product_profile,
        "profile_json": None if m.profile is None else json_text(m.profile.model_dump()),
        "origin_site_id": m.origin.site_id,
        "origin_role": m.origin.role,
        "origin_lat": m.origin.lat,
        "origin_lon": m.origin.lon,
        "destination_site_id": m.destination.site_id,
        "destination_role": m.destination.role,
        "destination_lat": m.destination.lat,
        "destination_lon": m.destination.lon,
        "lane": f"{m.origin.site_id}->{m.destination.site_id}",
        "hub_site_id": hub,
        "carrier": carrier,
        "promised_start": m.promised_window.start,
        "promised_end": m.promised_window.end,
        "logger_id": m.logger_id,
        "reporting_interval_s": m.reporting_interval_s,
        "shipper_id": None if m.shipper is None else m.shipper.shipper_id,
        "shipper_rated_hold_h": None if m.shipper is None else m.shipper.rated_hold_h,
        "shipper_charged_at": None if m.shipper is None else m.shipper.charged_at,
        "legs_json": json_text([leg.model_dump(mode="json") for leg in m.legs]),
        "created_at": m.created_at,
    }


def shipment_columns(manifests: Sequence[ShipmentManifest]) -> Columns:
    """``shipments`` rows; ``lane`` is ``origin->destination`` site ids."""
    return _columns_of(manifests, _manifest_row)


def custody_rows(events: Sequence[CustodyEvent]) -> list[dict[str, Any]]:
    """``custody_events`` rows without the chain columns (set when the chain is extended)."""
    return [
        {
            "event_id": e.event_id,
            "shipment_id": e.shipment_id,
            "coi_id": e.coi_id,
            "occurred_at": e.occurred_at,
            "step": e.step,
            "from_party_id": None if e.from_party is None else e.from_party.party_id,
            "from_role": None if e.from_party is None else e.from_party.role,
            "to_party_id": None if e.to_party is None else e.to_party.party_id,
            "to_role": None if e.to_party is None else e.to_party.role,
            "site_id": e.site_id,
            "seal_id": e.seal_id,
            "logger_id": e.logger_id,
            "condition": e.condition,
            "signer_name": None if e.signature is None else e.signature.name,
            "signature_meaning": None if e.signature is None else e.signature.meaning,
            "signed_at": None if e.signature is None else e.signature.signed_at,
        }
        for e in events
    ]


def _alert_row(a: Alert) -> dict[str, Any]:
    return {
        "alert_id": a.alert_id,
        "version": a.version,
        "status": a.status,
        "alert_type": a.type,
        "severity": a.severity,
        "shipment_id": a.shipment_id,
        "coi_id": a.coi_id,
        "opened_at": a.opened_at,
        "updated_at": a.updated_at,
        "resolved_at": a.resolved_at,
        "custodian_party_id": None if a.custodian is None else a.custodian.party_id,
        "custodian_role": None if a.custodian is None else a.custodian.role,
        "lat": None if a.location is None else a.location.lat,
        "lon": None if a.location is None else a.location.lon,
        "details_json": json_text(a.details),
        "message": a.message,
    }


def alert_columns(alerts: Sequence[Alert]) -> Columns:
    """``alerts`` / ``alert_history`` rows."""
    return _columns_of(alerts, _alert_row)


def _eta_row(u: EtaUpdate) -> dict[str, Any]:
    return {
        "shipment_id": u.shipment_id,
        "computed_at": u.computed_at,
        "eta_p50": u.eta_p50,
        "eta_p90": u.eta_p90,
        "remaining_km": u.remaining_km,
        "speed_kmh": u.speed_kmh,
        "promised_end": u.promised_end,
        "risk": u.risk,
        "details_json": json_text(u.details),
    }


def eta_columns(updates: Sequence[EtaUpdate]) -> Columns:
    """``eta_updates`` rows."""
    return _columns_of(updates, _eta_row)


def deadletter_id(letter: DeadLetter) -> str:
    """``topic:partition:offset`` when the source position is known, else a hash of raw+reason."""
    if letter.partition is not None and letter.offset is not None:
        return f"{letter.source_topic}:{letter.partition}:{letter.offset}"
    digest = hashlib.sha256(f"{letter.reason}\n{letter.raw}".encode()).hexdigest()
    return f"sha256:{digest}"


def _deadletter_row(d: DeadLetter) -> dict[str, Any]:
    return {
        "deadletter_id": deadletter_id(d),
        "reason": d.reason,
        "errors_json": json_text([e.model_dump() for e in d.errors]),
        "source_topic": d.source_topic,
        "source_partition": d.partition,
        "source_offset": d.offset,
        "message_key": d.key,
        "raw": d.raw,
        "received_at": d.received_at,
    }


def deadletter_columns(letters: Sequence[DeadLetter]) -> Columns:
    """``deadletters`` rows."""
    return _columns_of(letters, _deadletter_row)


def _delivery_row(d: WebhookDelivery) -> dict[str, Any]:
    return {
        "delivery_id": d.delivery_id,
        "attempt": d.attempt,
        "subscriber_id": d.subscriber_id,
        "alert_id": d.alert_id,
        "alert_version": d.alert_version,
        "shipment_id": d.shipment_id,
        "outcome": d.outcome,
        "http_status": d.http_status,
        "error": d.error,
        "attempted_at": d.attempted_at,
        "duration_ms": d.duration_ms,
    }


def delivery_columns(deliveries: Sequence[WebhookDelivery]) -> Columns:
    """``webhook_deliveries`` rows."""
    return _columns_of(deliveries, _delivery_row)


def _columns_of(records: Sequence[_R], convert: Callable[[_R], dict[str, Any]]) -> Columns:
    rows = [convert(record) for record in records]
    if not rows:
        return {}
    return to_columns(rows, rows[0].keys())
