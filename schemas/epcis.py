"""EPCIS 2.0 adapter: ObjectEvents with sensor data or custody steps to cryotrace events.

Accepts an ``EPCISDocument`` (also an ``EPCISQueryDocument``) or a single event. Only
``ObjectEvent`` is used: its ``sensorElementList`` becomes telemetry readings and, when its
business step is a custody step and it names a ``possessing_party`` source or destination, it
also becomes a custody event. Other events are skipped; a message yielding nothing at all is
rejected as ``epcis_unsupported``.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Final, TypeVar

import orjson
from pydantic import BaseModel, ValidationError

from schemas.cbv import CUSTODY_STEPS, cbv_name
from schemas.custody import CustodyEvent
from schemas.errors import DecodeError
from schemas.telemetry import TelemetryReading
from schemas.timestamps import NAIVE_TIMESTAMP
from schemas.units import to_celsius

__all__ = ["EVENT_TYPES", "EpcisError", "epc_serial", "epcis_events"]

EVENT_TYPES: Final = frozenset(
    {
        "ObjectEvent",
        "AggregationEvent",
        "TransactionEvent",
        "TransformationEvent",
        "AssociationEvent",
    }
)
"""EPCIS 2.0 event types (only ``ObjectEvent`` yields cryotrace events)."""

SHIPMENT_ID_FIELD: Final = "cryotrace:shipment_id"
COI_ID_FIELD: Final = "cryotrace:coi_id"
_UNITS: Final = {"CEL": "C", "FAH": "F", "KEL": "K"}
_ANGLE_UNITS: Final = frozenset({"DD", "DEG"})
_POSSESSING_PARTY: Final = "possessing_party"
_MEASUREMENTS: Final = frozenset(
    {"temperature_c", "temperature_min_c", "temperature_max_c", "ambient_c", "location"}
)

_ModelT = TypeVar("_ModelT", bound=BaseModel)


class EpcisError(DecodeError):
    """An EPCIS message cryotrace cannot use; ``reason`` is the dead-letter reason."""

    def __init__(self, reason: str, errors: list[dict[str, str]] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.errors: list[dict[str, str]] = errors or []


def _error(loc: str, msg: str, kind: str = "epcis") -> EpcisError:
    return EpcisError("schema", [{"loc": loc, "msg": msg, "type": kind}])


def _type_of(obj: dict[str, Any]) -> str | None:
    kind = obj.get("type", obj.get("isA"))
    return kind if isinstance(kind, str) else None


def _vocabulary_name(value: str) -> str:
    """``gs1:MT-Temperature``, ``https://gs1.org/voc/Temperature`` ... -> ``Temperature``."""
    name = value.rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    return name.removeprefix("MT-")


def _component(value: str) -> str:
    """``latitude``, ``cbv:Comp-latitude``, ``https://ref.gs1.org/cbv/Comp-latitude``."""
    return value.rsplit("/", 1)[-1].rsplit(":", 1)[-1].removeprefix("Comp-")


def _source_type(value: str) -> str:
    """``possessing_party``, ``urn:epcglobal:cbv:sdt:possessing_party``, ``cbv:SDT-...``."""
    return value.rsplit("/", 1)[-1].rsplit(":", 1)[-1].removeprefix("SDT-")


def epc_serial(epc: str) -> str:
    """The serial number of an EPC: after ``/21/`` in a GS1 Digital Link URI, the last field
    of an ``urn:epc:id:sgtin:`` URN, otherwise the EPC whole."""
    if "/21/" in epc:
        serial = epc.split("/21/", 1)[1].split("/", 1)[0].split("?", 1)[0]
        return serial or epc
    if epc.startswith("urn:epc:id:sgtin:"):
        serial = epc.rsplit(".", 1)[-1]
        return serial or epc
    return epc


def _event_list(message: dict[str, Any]) -> list[Any]:
    kind = _type_of(message)
    if kind in EVENT_TYPES:
        return [message]
    body = message.get("epcisBody")
    if isinstance(body, dict):
        if "queryResults" in body:
            results = body["queryResults"]
            body = results.get("resultsBody", {}) if isinstance(results, dict) else {}
        events = body.get("eventList") if isinstance(body, dict) else None
        if isinstance(events, list):
            return events
        raise _error("epcisBody.eventList", "an EPCIS document needs an eventList array")
    raise EpcisError(
        "epcis_unsupported",
        [{"loc": "type", "msg": "not an EPCIS document or event", "type": "epcis_unsupported"}],
    )


def _canonical_hash(event: dict[str, Any]) -> str:
    try:
        canonical = orjson.dumps(event, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # integers beyond 64 bits
        canonical = json.dumps(event, sort_keys=True, default=str).encode()
    return "epcis:sha256:" + hashlib.sha256(canonical).hexdigest()[:32]


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


class _EventAdapter:
    """Turns one ObjectEvent (at ``loc``) into readings and/or a custody event."""

    def __init__(self, event: dict[str, Any], loc: str, document: dict[str, Any]) -> None:
        self.event = event
        self.loc = loc
        self.base_id = _text(event.get("eventID")) or _canonical_hash(event)
        self.biz_step = cbv_name(event["bizStep"]) if _text(event.get("bizStep")) else None
        disposition = _text(event.get("disposition"))
        self.disposition = cbv_name(disposition) if disposition else None
        self.shipment_id, self.coi_id = self._ids(document)

    def _ids(self, document: dict[str, Any]) -> tuple[Any, Any]:
        event = self.event
        shipment_id = event.get(SHIPMENT_ID_FIELD, document.get(SHIPMENT_ID_FIELD))
        coi_id = event.get(COI_ID_FIELD, document.get(COI_ID_FIELD))
        if shipment_id is None:
            epcs = event.get("epcList")
            if isinstance(epcs, list) and epcs and isinstance(epcs[0], str):
                shipment_id = epc_serial(epcs[0])
            else:
                raise _error(
                    f"{self.loc}.epcList",
                    f"no {SHIPMENT_ID_FIELD} and no EPC to take the shipment from",
                )
        return shipment_id, coi_id

    def _validate(self, model: type[_ModelT], data: dict[str, Any], loc: str) -> _ModelT:
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            errors = exc.errors(include_url=False, include_input=False, include_context=False)
            naive = any(error["type"] == NAIVE_TIMESTAMP for error in errors)
            raise EpcisError(
                NAIVE_TIMESTAMP if naive else "schema",
                [
                    {
                        "loc": ".".join([loc, *(str(part) for part in error["loc"])]),
                        "msg": error["msg"],
                        "type": error["type"],
                    }
                    for error in errors
                ],
            ) from None

    # -- telemetry -------------------------------------------------------------------------

    def readings(self) -> list[TelemetryReading]:
        elements = self.event.get("sensorElementList")
        lid_open = {"container_open": True, "container_closed": False}.get(self.disposition or "")
        groups: list[tuple[dict[str, Any], str]] = []
        if elements is not None:
            if not isinstance(elements, list):
                raise _error(f"{self.loc}.sensorElementList", "must be an array")
            for index, element in enumerate(elements):
                groups.extend(
                    self._element_groups(element, f"{self.loc}.sensorElementList.{index}")
                )
        if not groups and lid_open:
            groups.append(({"recorded_at": self.event.get("eventTime")}, self.loc))
        readings = []
        for number, (data, loc) in enumerate(groups):
            data["event_id"] = self.base_id if len(groups) == 1 else f"{self.base_id}:{number}"
            data["shipment_id"] = self.shipment_id
            if lid_open is not None:
                data["lid_open"] = lid_open
            readings.append(self._validate(TelemetryReading, data, loc))
        return readings

    def _element_groups(self, element: Any, loc: str) -> list[tuple[dict[str, Any], str]]:
        """Readings of one sensor element: its reports grouped by their time."""
        if not isinstance(element, dict):
            raise _error(loc, "a sensor element must be an object")
        metadata = element.get("sensorMetadata", element.get("sensorMetaData")) or {}
        if not isinstance(metadata, dict):
            raise _error(f"{loc}.sensorMetadata", "must be an object")
        reports = element.get("sensorReport")
        if not isinstance(reports, list):
            raise _error(f"{loc}.sensorReport", "must be an array")
        default_time = metadata.get("time", metadata.get("endTime", self.event.get("eventTime")))
        device = _text(metadata.get("deviceID"))
        by_time: dict[str, dict[str, Any]] = {}
        for index, report in enumerate(reports):
            report_loc = f"{loc}.sensorReport.{index}"
            if not isinstance(report, dict):
                raise _error(report_loc, "a sensor report must be an object")
            time = report.get("time", default_time)
            data = by_time.setdefault(
                json.dumps(time, default=str), {"recorded_at": time, "logger_id": device}
            )
            self._apply_report(report, data, report_loc)
        groups = []
        for data in by_time.values():
            self._finish_location(data, loc)
            if data.keys() & _MEASUREMENTS:
                groups.append((data, loc))
        return groups

    @staticmethod
    def _finish_location(data: dict[str, Any], loc: str) -> None:
        lat, lon = data.pop("_lat", None), data.pop("_lon", None)
        if (lat is None) != (lon is None):
            raise _error(loc, "a position needs both a latitude and a longitude Angle report")
        if lat is not None:
            data["location"] = {"lat": lat, "lon": lon}

    def _apply_report(self, report: dict[str, Any], data: dict[str, Any], loc: str) -> None:
        kind = report.get("type")
        if not isinstance(kind, str):
            return
        name = _vocabulary_name(kind)
        if name == "Temperature":
            self._apply_temperature(report, data, loc)
        elif name == "Angle":
            self._apply_angle(report, data, loc)

    def _apply_temperature(self, report: dict[str, Any], data: dict[str, Any], loc: str) -> None:
        uom = report.get("uom", "CEL")
        unit = _UNITS.get(uom) if isinstance(uom, str) else None
        if unit is None:
            raise _error(f"{loc}.uom", f"temperature unit {uom!r} is not CEL, FAH or KEL")
        converted: dict[str, float] = {}
        for field in ("value", "minValue", "maxValue", "meanValue"):
            if field in report:
                value = report[field]
                if isinstance(value, bool) or not isinstance(value, int | float):
                    raise _error(f"{loc}.{field}", "must be a number")
                try:
                    converted[field] = to_celsius(value, unit)
                except ValueError as exc:
                    raise _error(f"{loc}.{field}", str(exc)) from None
        feature = str(report.get("gs1:feature", report.get("feature", "")))
        ambient = any(word in feature.lower() for word in ("ambient", "ambiance"))
        target = "ambient_c" if ambient else "temperature_c"
        if target in data:  # a second payload temperature at the same time: keep the first
            return
        point = converted.get("value", converted.get("meanValue"))
        if point is not None:
            data[target] = point
        if target == "temperature_c":
            if "minValue" in converted:
                data["temperature_min_c"] = converted["minValue"]
            if "maxValue" in converted:
                data["temperature_max_c"] = converted["maxValue"]

    def _apply_angle(self, report: dict[str, Any], data: dict[str, Any], loc: str) -> None:
        component = report.get("component")
        if not isinstance(component, str):
            return
        axis = _component(component)
        if axis not in ("latitude", "longitude"):
            return
        uom = report.get("uom", "DD")
        if not isinstance(uom, str) or uom not in _ANGLE_UNITS:
            raise _error(f"{loc}.uom", f"angle unit {uom!r} is not DD (decimal degrees)")
        value = report.get("value")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _error(f"{loc}.value", "must be a number")
        data["_lat" if axis == "latitude" else "_lon"] = value

    # -- custody ---------------------------------------------------------------------------

    def custody(self) -> CustodyEvent | None:
        if self.biz_step not in CUSTODY_STEPS:
            return None
        source = self._party("sourceList", "source")
        destination = self._party("destinationList", "destination")
        if source is None and destination is None:
            return None
        event = self.event
        location = event.get("bizLocation") or event.get("readPoint") or {}
        condition = (
            self.disposition if self.disposition in ("conformant", "non_conformant") else None
        )
        data: dict[str, Any] = {
            "event_id": self.base_id,
            "shipment_id": self.shipment_id,
            "coi_id": self.coi_id,
            "occurred_at": event.get("eventTime"),
            "step": self.biz_step,
            "from_party": self._party_object(source, "cryotrace:from_role"),
            "to_party": self._party_object(destination, "cryotrace:to_role"),
            "site_id": location.get("id") if isinstance(location, dict) else None,
            "seal_id": event.get("cryotrace:seal_id"),
            "logger_id": event.get("cryotrace:logger_id", self._first_device()),
            "condition": condition,
        }
        return self._validate(CustodyEvent, data, self.loc)

    def _party(self, list_field: str, id_field: str) -> Any:
        entries = self.event.get(list_field)
        if not isinstance(entries, list):
            return None
        for entry in entries:
            if (
                isinstance(entry, dict)
                and isinstance(entry.get("type"), str)
                and _source_type(entry["type"]) == _POSSESSING_PARTY
            ):
                return entry.get(id_field)
        return None

    def _party_object(self, party_id: Any, role_field: str) -> dict[str, Any] | None:
        if party_id is None:
            return None
        return {"party_id": party_id, "role": self.event.get(role_field)}

    def _first_device(self) -> str | None:
        elements = self.event.get("sensorElementList")
        if not isinstance(elements, list):
            return None
        for element in elements:
            if isinstance(element, dict):
                metadata = element.get("sensorMetadata", element.get("sensorMetaData"))
                if isinstance(metadata, dict) and _text(metadata.get("deviceID")):
                    return str(metadata["deviceID"])
        return None


def epcis_events(message: dict[str, Any]) -> list[TelemetryReading | CustodyEvent]:
    """Readings and custody events of an EPCIS 2.0 document or single event.

    Raises ``EpcisError`` (reason ``schema``, ``naive_timestamp`` or ``epcis_unsupported``)
    with field errors whose ``loc`` names the place in the document.
    """
    events = _event_list(message)
    prefix = "" if _type_of(message) in EVENT_TYPES else "epcisBody.eventList."
    produced: list[TelemetryReading | CustodyEvent] = []
    skipped: list[dict[str, str]] = []
    for index, event in enumerate(events):
        loc = f"{prefix}{index}" if prefix else "event"
        if not isinstance(event, dict):
            raise _error(loc, "an EPCIS event must be an object")
        if _type_of(event) != "ObjectEvent":
            skipped.append(
                {
                    "loc": loc,
                    "msg": f"{_type_of(event)!s:.60} is not used",
                    "type": "epcis_unsupported",
                }
            )
            continue
        adapter = _EventAdapter(event, loc, message)
        found: list[TelemetryReading | CustodyEvent] = []
        found.extend(adapter.readings())
        custody = adapter.custody()
        if custody is not None:
            found.append(custody)
        if not found:
            skipped.append(
                {
                    "loc": loc,
                    "msg": "no sensor data and no custody handoff",
                    "type": "epcis_unsupported",
                }
            )
        produced.extend(found)
    if not produced:
        raise EpcisError("epcis_unsupported", skipped[:50])
    return produced
