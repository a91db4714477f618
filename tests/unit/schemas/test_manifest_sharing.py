"""Manifests share equal sites and windows, and dump exactly as before."""

from __future__ import annotations

import orjson

from alerts.testing import manifest
from schemas.manifest import ShipmentManifest


def _again(model: ShipmentManifest, **changes: object) -> ShipmentManifest:
    data = orjson.loads(model.model_dump_json())
    data.update(changes)
    return ShipmentManifest.model_validate(data)


def test_equal_sites_and_windows_are_one_object_across_manifests() -> None:
    first = manifest()
    second = _again(first, shipment_id="SHP-OTHER")
    assert second.origin is first.origin and second.destination is first.destination
    assert second.promised_window is first.promised_window
    assert second.model_dump_json() != first.model_dump_json()  # only the parts are shared


def test_different_parts_stay_apart_and_dumps_are_unchanged() -> None:
    first = manifest()
    moved = dict(first.origin.model_dump(mode="json"), lat=-0.0)
    second = _again(first, origin=moved)
    assert second.origin is not first.origin and second.origin.model_dump_json().count("-0.0")
    assert _again(second).model_dump_json() == second.model_dump_json()
