"""Wire models: range checks, unit normalisation, profiles, custody steps, JSON output."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError
from schema_samples import custody, manifest, telemetry

from schemas import (
    BUILTIN_PROFILES,
    CUSTODY_STEPS,
    Alert,
    CustodyEvent,
    EtaUpdate,
    ShipmentManifest,
    TelemetryReading,
    to_celsius,
)


def _error_locs(exc: pytest.ExceptionInfo[ValidationError]) -> set[str]:
    return {".".join(str(part) for part in error["loc"]) for error in exc.value.errors()}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("temperature_c", -273.16),
        ("temperature_c", 100.01),
        ("temperature_min_c", -300.0),
        ("temperature_max_c", 150.0),
        ("ambient_c", 101.0),
        ("tilt_deg", 180.5),
        ("tilt_deg", -1.0),
        ("shock_g", -0.1),
        ("battery_pct", 100.5),
        ("battery_pct", -1),
        ("seq", -1),
    ],
)
def test_reading_out_of_range_value_is_rejected_at_its_field(field: str, value: float) -> None:
    with pytest.raises(ValidationError) as exc:
        TelemetryReading.model_validate(telemetry(**{field: value}))
    assert field in _error_locs(exc)


@pytest.mark.parametrize(
    ("location", "loc"),
    [({"lat": 90.1, "lon": 0}, "location.lat"), ({"lat": 0, "lon": -180.5}, "location.lon")],
)
def test_location_out_of_range_is_rejected(location: dict[str, float], loc: str) -> None:
    with pytest.raises(ValidationError) as exc:
        TelemetryReading.model_validate(telemetry(location=location))
    assert loc in _error_locs(exc)


def test_boundary_values_are_accepted() -> None:
    reading = TelemetryReading.model_validate(
        telemetry(
            temperature_c=-273.15,
            ambient_c=100,
            tilt_deg=180,
            battery_pct=0,
            shock_g=0,
            location={"lat": -90, "lon": 180},
        )
    )
    assert reading.temperature_c == -273.15
    assert reading.location is not None and reading.location.lon == 180.0


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_nan_and_infinity_are_rejected(value: float) -> None:
    with pytest.raises(ValidationError):
        TelemetryReading.model_validate(telemetry(shock_g=value))


def test_min_above_max_is_rejected() -> None:
    with pytest.raises(ValidationError, match="temperature_min_c"):
        TelemetryReading.model_validate(telemetry(temperature_min_c=-150, temperature_max_c=-160))


@pytest.mark.parametrize(
    ("value", "unit", "celsius"),
    [
        (-40.0, "F", -40.0),
        (212.0, "F", 100.0),
        (-296.3, "F", (-296.3 - 32) * 5 / 9),
        (0.0, "K", -273.15),
        (77.0, "K", 77.0 - 273.15),
        (-196.0, "C", -196.0),
        (-196.0, "c", -196.0),
    ],
)
def test_temperature_object_is_converted_to_celsius(
    value: float, unit: str, celsius: float
) -> None:
    wire = telemetry(temperature={"value": value, "unit": unit})
    del wire["temperature_c"]
    reading = TelemetryReading.model_validate(wire)
    assert reading.temperature_c == pytest.approx(celsius, abs=1e-6)
    assert "temperature" not in reading.model_dump()


def test_temperature_object_below_absolute_zero_after_conversion_is_rejected() -> None:
    wire = telemetry(temperature={"value": -500, "unit": "F"})
    del wire["temperature_c"]
    with pytest.raises(ValidationError) as exc:
        TelemetryReading.model_validate(wire)
    assert "temperature_c" in _error_locs(exc)


@pytest.mark.parametrize(
    "temperature",
    [{"value": 10, "unit": "R"}, {"value": "cold", "unit": "C"}, {"value": True}, [1, "C"]],
)
def test_bad_temperature_object_is_rejected(temperature: Any) -> None:
    wire = telemetry(temperature=temperature)
    del wire["temperature_c"]
    with pytest.raises(ValidationError):
        TelemetryReading.model_validate(wire)


def test_temperature_and_disagreeing_temperature_c_are_rejected() -> None:
    with pytest.raises(ValidationError, match="disagree"):
        TelemetryReading.model_validate(
            telemetry(temperature_c=-150.0, temperature={"value": 100, "unit": "K"})
        )


def test_to_celsius_rejects_unknown_unit() -> None:
    with pytest.raises(ValueError, match="unit"):
        to_celsius(1.0, "R")


def test_location_only_ping_is_valid() -> None:
    wire = {
        "event_id": "e",
        "shipment_id": "s",
        "recorded_at": "2026-11-29T21:10:00Z",
        "location": {"lat": 1, "lon": 2},
    }
    reading = TelemetryReading.model_validate(wire)
    assert reading.temperature_c is None and reading.location is not None


@pytest.mark.parametrize("missing", ["event_id", "shipment_id", "recorded_at"])
def test_required_reading_field_missing_is_rejected(missing: str) -> None:
    wire = telemetry()
    del wire[missing]
    with pytest.raises(ValidationError) as exc:
        TelemetryReading.model_validate(wire)
    assert missing in _error_locs(exc)


def test_unknown_fields_are_ignored() -> None:
    reading = TelemetryReading.model_validate(telemetry(humidity_pct=40, firmware="1.2"))
    assert "humidity_pct" not in reading.model_dump()


def test_models_are_frozen() -> None:
    reading = TelemetryReading.model_validate(telemetry())
    with pytest.raises(ValidationError):
        reading.temperature_c = 0.0  # type: ignore[misc]


def test_json_dump_has_rfc3339_z_timestamps() -> None:
    wire = telemetry(recorded_at="2026-11-29T22:10:00+01:00")
    dumped = TelemetryReading.model_validate(wire).model_dump(mode="json")
    assert dumped["recorded_at"] == "2026-11-29T21:10:00Z"


# -- manifests and profiles --------------------------------------------------------------


def test_builtin_profiles_follow_the_design_table() -> None:
    assert set(BUILTIN_PROFILES) == {
        "cryo-150",
        "cryo-130",
        "cryo-120",
        "dry-ice",
        "fridge-2-8",
        "crt-15-25",
    }
    fridge = BUILTIN_PROFILES["fridge-2-8"]
    assert (fridge.upper_c, fridge.lower_c, fridge.alarm_delay_s) == (8, 2, 900)
    cryo = BUILTIN_PROFILES["cryo-150"]
    assert (cryo.upper_c, cryo.warning_upper_c, cryo.hysteresis_c) == (-150, -160, 2)


def test_manifest_with_builtin_profile_uses_it() -> None:
    shipment = ShipmentManifest.model_validate(manifest())
    assert shipment.effective_profile == BUILTIN_PROFILES["cryo-150"]


def test_unknown_profile_without_inline_profile_is_rejected() -> None:
    with pytest.raises(ValidationError, match="unknown product_profile"):
        ShipmentManifest.model_validate(manifest(product_profile="cryo-999"))


def test_inline_profile_fields_override_the_named_profile() -> None:
    shipment = ShipmentManifest.model_validate(
        manifest(profile={"upper_c": -140, "warning_upper_c": -145, "cumulative_budget_s": 600})
    )
    effective = shipment.effective_profile
    base = BUILTIN_PROFILES["cryo-150"]
    assert (effective.upper_c, effective.warning_upper_c) == (-140, -145)
    assert effective.cumulative_budget_s == 600
    assert effective.name == base.name
    assert effective.hysteresis_c == base.hysteresis_c


def test_inline_profile_alone_defines_a_custom_profile() -> None:
    shipment = ShipmentManifest.model_validate(
        manifest(product_profile="lab-x", profile={"upper_c": 10, "lower_c": 0})
    )
    assert shipment.effective_profile.name == "lab-x"
    assert (shipment.effective_profile.upper_c, shipment.effective_profile.lower_c) == (10, 0)


def test_inline_override_that_breaks_limit_order_is_rejected() -> None:
    with pytest.raises(ValidationError, match="warning_upper_c"):
        ShipmentManifest.model_validate(manifest(profile={"upper_c": -170}))


def test_manifest_round_trip_keeps_the_inline_override() -> None:
    shipment = ShipmentManifest.model_validate(manifest(profile={"upper_c": -140}))
    again = ShipmentManifest.model_validate(shipment.model_dump(mode="json"))
    assert again == shipment
    assert again.effective_profile == shipment.effective_profile


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("origin", "lat"), 95.0),
        (("destination", "lon"), 200.0),
        (("promised_window", "end"), "2026-11-30T07:00:00Z"),
        (("shipper", "rated_hold_h"), 0),
    ],
)
def test_manifest_invalid_nested_values_are_rejected(path: tuple[str, str], value: Any) -> None:
    wire = manifest()
    wire[path[0]] = {**wire[path[0]], path[1]: value}
    with pytest.raises(ValidationError):
        ShipmentManifest.model_validate(wire)


def test_shipper_and_legs_are_optional() -> None:
    wire = manifest()
    del wire["shipper"], wire["legs"]
    shipment = ShipmentManifest.model_validate(wire)
    assert shipment.shipper is None and shipment.legs == []


# -- custody -------------------------------------------------------------------------------


@pytest.mark.parametrize("step", sorted(CUSTODY_STEPS))
def test_every_cbv_custody_step_is_accepted(step: str) -> None:
    assert CustodyEvent.model_validate(custody(step=step)).step == step


@pytest.mark.parametrize(
    "spelling",
    [
        "https://ref.gs1.org/cbv/BizStep-receiving",
        "urn:epcglobal:cbv:bizstep:receiving",
        "receiving",
    ],
)
def test_custody_step_accepts_cbv_uri_and_urn(spelling: str) -> None:
    assert CustodyEvent.model_validate(custody(step=spelling)).step == "receiving"


@pytest.mark.parametrize("step", ["shipping", "commissioning", "", "Departing"])
def test_step_outside_the_allow_list_is_rejected(step: str) -> None:
    with pytest.raises(ValidationError) as exc:
        CustodyEvent.model_validate(custody(step=step))
    assert "step" in _error_locs(exc)


def test_handoff_is_an_event_with_a_to_party() -> None:
    assert CustodyEvent.model_validate(custody()).is_handoff
    assert not CustodyEvent.model_validate(custody(to_party=None)).is_handoff


# -- alerts and ETAs -------------------------------------------------------------------------


def _alert(**overrides: Any) -> dict[str, Any]:
    alert: dict[str, Any] = {
        "alert_id": "SHP-0001:temperature_excursion:1",
        "version": 2,
        "status": "resolved",
        "type": "temperature_excursion",
        "severity": "critical",
        "shipment_id": "SHP-0001",
        "coi_id": "COI-7A3F-0001",
        "opened_at": "2026-11-29T22:00:00Z",
        "updated_at": "2026-11-29T22:40:00Z",
        "resolved_at": "2026-11-29T22:40:00Z",
        "custodian": {"party_id": "CUR-77", "role": "courier"},
        "location": {"lat": 41.4, "lon": -74.8},
        "details": {"limit_c": -150, "peak_c": -141.2, "duration_s": 2400},
        "message": "Payload above -150 °C for 40 min",
    }
    alert.update(overrides)
    return alert


def test_alert_round_trips_through_json() -> None:
    alert = Alert.model_validate(_alert())
    assert Alert.model_validate_json(alert.model_dump_json()) == alert
    assert alert.model_dump(mode="json")["opened_at"] == "2026-11-29T22:00:00Z"


@pytest.mark.parametrize(
    ("field", "value"), [("status", "closed"), ("severity", "fatal"), ("version", 0)]
)
def test_alert_rejects_values_outside_its_vocabulary(field: str, value: Any) -> None:
    with pytest.raises(ValidationError):
        Alert.model_validate(_alert(**{field: value}))


def test_eta_p90_before_p50_is_rejected() -> None:
    eta = {
        "shipment_id": "SHP-0001",
        "computed_at": "2026-11-29T22:00:00Z",
        "eta_p50": "2026-11-30T10:00:00Z",
        "eta_p90": "2026-11-30T09:00:00Z",
        "risk": "on_time",
    }
    with pytest.raises(ValidationError, match="eta_p90"):
        EtaUpdate.model_validate(eta)
    accepted = EtaUpdate.model_validate({**eta, "eta_p90": "2026-11-30T11:00:00Z"})
    assert accepted.eta_p90 > accepted.eta_p50
