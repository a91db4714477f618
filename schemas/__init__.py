"""cryotrace wire models (pydantic v2), decoding and normalisation of every input topic."""

from schemas.alert import ALERT_SEVERITIES, ALERT_STATUSES, ALERT_TYPES, Alert, GeoPoint
from schemas.cbv import CUSTODY_STEPS, cbv_name
from schemas.custody import CustodyEvent, Party, Signature
from schemas.deadletter import DEADLETTER_REASONS, DeadLetter, FieldError
from schemas.decode import FUTURE_TOLERANCE, MAX_PAYLOAD_BYTES, Decoded, Event, decode
from schemas.epcis import EpcisError, epcis_events
from schemas.errors import ConfigError, CryotraceError, DecodeError
from schemas.eta import ETA_RISKS, EtaUpdate
from schemas.jsonschema import json_schemas, write_json_schemas
from schemas.manifest import Leg, PromisedWindow, ShipmentManifest, Shipper, Site
from schemas.profiles import BUILTIN_PROFILES, ProductProfile
from schemas.recording import RecordingLine, read_recording, scan_recording, write_recording
from schemas.telemetry import Location, TelemetryReading
from schemas.timestamps import Timestamp, format_timestamp, parse_timestamp
from schemas.units import to_celsius

__all__ = [
    "ALERT_SEVERITIES",
    "ALERT_STATUSES",
    "ALERT_TYPES",
    "BUILTIN_PROFILES",
    "CUSTODY_STEPS",
    "DEADLETTER_REASONS",
    "ETA_RISKS",
    "FUTURE_TOLERANCE",
    "MAX_PAYLOAD_BYTES",
    "Alert",
    "ConfigError",
    "CryotraceError",
    "CustodyEvent",
    "DeadLetter",
    "DecodeError",
    "Decoded",
    "EpcisError",
    "EtaUpdate",
    "Event",
    "FieldError",
    "GeoPoint",
    "Leg",
    "Location",
    "Party",
    "ProductProfile",
    "PromisedWindow",
    "RecordingLine",
    "ShipmentManifest",
    "Shipper",
    "Signature",
    "Site",
    "TelemetryReading",
    "Timestamp",
    "cbv_name",
    "decode",
    "epcis_events",
    "format_timestamp",
    "json_schemas",
    "parse_timestamp",
    "read_recording",
    "scan_recording",
    "to_celsius",
    "write_json_schemas",
    "write_recording",
]
