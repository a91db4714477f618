"""Manifests share equal sites, windows and fields sets, and dump exactly as before."""

from __future__ import annotations

import orjson
import pytest

from alerts.testing import manifest
from schemas.fieldsets import SharedFieldsSet
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


def test_manifests_given_the_same_fields_share_one_fields_set_that_refuses_changes() -> None:
    first = manifest()
    given = orjson.loads(first.model_dump_json(exclude_unset=True))
    second = ShipmentManifest.model_validate({**given, "shipment_id": "SHP-OTHER"})
    shared = first.model_fields_set
    assert shared is second.model_fields_set and isinstance(shared, SharedFieldsSet)
    with pytest.raises(TypeError):
        shared.add("shipper")
    fewer = dict(given)
    del fewer["logger_id"]
    third = ShipmentManifest.model_validate(fewer)
    assert third.model_fields_set == shared - {"logger_id"}  # its own set, still exact
    assert third.model_dump_json(exclude_unset=True) == orjson.dumps(fewer).decode()
    copied = first.model_copy(update={"coi_id": "COI-OTHER"})
    assert copied.coi_id == "COI-OTHER" and first.model_fields_set is shared
