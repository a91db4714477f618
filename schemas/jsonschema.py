"""JSON Schema export of every wire model (the published contract of each topic)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final, Literal

from pydantic import BaseModel

from schemas.alert import Alert
from schemas.custody import CustodyEvent
from schemas.deadletter import DeadLetter
from schemas.eta import EtaUpdate
from schemas.manifest import ShipmentManifest
from schemas.recording import RecordingLine
from schemas.telemetry import TelemetryReading

__all__ = ["SCHEMA_ID_BASE", "WIRE_MODELS", "json_schemas", "render_schema", "write_json_schemas"]

SCHEMA_ID_BASE: Final = "https://cryotrace.example/schemas/v1/"

Mode = Literal["validation", "serialization"]

WIRE_MODELS: Final[dict[str, tuple[type[BaseModel], Mode]]] = {
    "manifest": (ShipmentManifest, "validation"),
    "telemetry": (TelemetryReading, "validation"),
    "custody": (CustodyEvent, "validation"),
    "recording_line": (RecordingLine, "validation"),
    "alert": (Alert, "serialization"),
    "eta_update": (EtaUpdate, "serialization"),
    "dead_letter": (DeadLetter, "serialization"),
}
"""File stem -> (model, mode). Inputs are described as accepted (validation mode), outputs as
emitted (serialization mode: timestamps are always RFC 3339 strings in UTC)."""


def json_schemas() -> dict[str, dict[str, Any]]:
    """The JSON Schema (draft 2020-12) of every wire model, by file stem."""
    schemas: dict[str, dict[str, Any]] = {}
    for stem, (model, mode) in WIRE_MODELS.items():
        schema = model.model_json_schema(mode=mode)
        schemas[stem] = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"{SCHEMA_ID_BASE}{stem}.schema.json",
            **schema,
        }
    return schemas


def render_schema(schema: dict[str, Any]) -> str:
    """The exact text written for a schema (stable, so committed files can be compared)."""
    return json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def write_json_schemas(directory: str | Path) -> list[Path]:
    """Write ``<stem>.schema.json`` for every wire model into ``directory``; return the paths."""
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for stem, schema in json_schemas().items():
        path = target / f"{stem}.schema.json"
        path.write_text(render_schema(schema), encoding="utf-8")
        written.append(path)
    return written
