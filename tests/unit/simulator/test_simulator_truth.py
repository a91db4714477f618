"""The truth file agrees with the recording and covers the fault types it promises."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from schemas.decode import Decoded, decode
from schemas.profiles import BUILTIN_PROFILES
from schemas.timestamps import parse_timestamp
from schemas.units import to_celsius
from streams.simulator import Simulation
from streams.simulator.faults import FAULT_KINDS
from streams.simulator.truth import episodes, out_of_range_totals

EXPECTED_ALERT = {
    "excursion_ramp": "temperature_excursion",
    "excursion_spike": "temperature_excursion",
    "excursion_cold": "temperature_excursion",
    "warning_band": "temperature_warning",
    "hold_exhaustion": "hold_time_risk",
    "lid_open": "lid_open",
    "tilt": "tilt",
    "shock": "shock",
    "low_battery": "low_battery",
    "logger_outage": "logger_silent",
    "lost_reading": "sequence_gap",
    "clock_skew": "sequence_gap",
    "late_leg": "late_delivery_risk",
    "long_dwell": "dwell_exceeded",
    "coi_mismatch": "coi_mismatch",
    "custody_gap": "custody_gap",
    "non_conformant": "non_conformant_receipt",
}


def _temperatures(run: Simulation) -> dict[str, dict[datetime, float]]:
    """Decoded payload temperature of every valid reading, by shipment and recorded_at."""
    future = set(run.truth["future_event_ids"])
    out: dict[str, dict[datetime, float]] = defaultdict(dict)
    for line in run.lines:
        value = line.get("value")
        if line["topic"] != "telemetry" or not value or "seq" not in value:
            continue
        if value["event_id"] in future:
            continue
        if "temperature_c" in value:
            temp = value["temperature_c"]
        else:
            temp = to_celsius(value["temperature"]["value"], value["temperature"]["unit"])
        out[value["shipment_id"]][parse_timestamp(value["recorded_at"])] = temp
    return out


def test_default_run_has_at_least_eight_fault_types(default_run: Simulation) -> None:
    types = {f["type"] for f in default_run.truth["faults"]}
    assert len(types) >= 8, types


def test_every_injected_kind_appears_and_raises_its_alert_type(default_run: Simulation) -> None:
    truth = default_run.truth
    kinds = {s["shipment_id"]: s["fault"] for s in truth["shipments"]}
    assert {k for k in kinds.values() if k} == set(FAULT_KINDS)
    expected_types: dict[str, set[str]] = defaultdict(set)
    for fault in truth["faults"]:
        expected_types[fault["shipment_id"]].add(fault["type"])
    for shipment, kind in kinds.items():
        if kind in EXPECTED_ALERT:
            assert EXPECTED_ALERT[kind] in expected_types[shipment], (shipment, kind)


def test_fault_free_shipments_have_no_truth_faults(default_run: Simulation) -> None:
    kinds = {s["shipment_id"]: s["fault"] for s in default_run.truth["shipments"]}
    for fault in default_run.truth["faults"]:
        assert kinds[fault["shipment_id"]] not in (None, "upload_outage"), fault


def test_warning_band_shipments_never_pass_the_limit(default_run: Simulation) -> None:
    truth = default_run.truth
    band = {s["shipment_id"] for s in truth["shipments"] if s["fault"] == "warning_band"}
    assert band
    assert not any(
        f["shipment_id"] in band and f["type"] == "temperature_excursion" for f in truth["faults"]
    )


def test_temperature_windows_open_and_close_on_the_readings(default_run: Simulation) -> None:
    """Excursions open on the first reading past upper/lower_c, close on the first back inside
    by the hysteresis margin; warnings the same on the warning limit."""
    temps = _temperatures(default_run)
    profiles = {
        s["shipment_id"]: BUILTIN_PROFILES[s["profile"]] for s in default_run.truth["shipments"]
    }
    checked = 0
    for fault in default_run.truth["faults"]:
        if fault["type"] not in ("temperature_excursion", "temperature_warning"):
            continue
        profile = profiles[fault["shipment_id"]]
        series = temps[fault["shipment_id"]]
        start, end = parse_timestamp(fault["start"]), parse_timestamp(fault["end"])
        upper = (
            profile.upper_c if fault["type"] == "temperature_excursion" else profile.warning_upper_c
        )
        lower = (
            profile.lower_c if fault["type"] == "temperature_excursion" else profile.warning_lower_c
        )
        value = series[start]
        above = upper is not None and value > upper
        below = lower is not None and value < lower
        assert above or below, fault
        before = [t for t in series if t < start]
        if before:
            previous = series[max(before)]
            assert not (above and upper is not None and previous > upper), fault
        if end in series and end != max(series):
            back = series[end]
            if above:
                assert upper is not None and back <= upper - profile.hysteresis_c
            else:
                assert lower is not None and back >= lower + profile.hysteresis_c
        checked += 1
    assert checked >= 10


def test_custody_faults_point_at_the_faulty_event(default_run: Simulation) -> None:
    coi = {
        line["key"]: line["value"]["coi_id"]
        for line in default_run.lines
        if line["topic"] == "shipments"
    }
    events: dict[tuple[str, datetime], list[dict[str, Any]]] = defaultdict(list)
    for line in default_run.lines:
        value = line.get("value")
        if line["topic"] == "epcis" and value:
            result = decode("epcis", value, received_at=parse_timestamp(line["received_at"]))
            assert isinstance(result, Decoded)
            value = result.events[0].model_dump(mode="json", exclude_none=True)
        if line["topic"] in ("custody", "epcis") and value and "occurred_at" in value:
            events[(value["shipment_id"], parse_timestamp(value["occurred_at"]))].append(value)
    seen = set()
    for fault in default_run.truth["faults"]:
        at = (fault["shipment_id"], parse_timestamp(fault["start"]))
        if fault["type"] == "coi_mismatch":
            assert any(e["coi_id"] != coi[fault["shipment_id"]] for e in events[at])
        elif fault["type"] == "non_conformant_receipt":
            assert any(e.get("condition") == "non_conformant" for e in events[at])
        elif fault["type"] == "custody_gap":
            assert any("to_party" in e for e in events[at])
        else:
            continue
        seen.add(fault["type"])
    assert seen == {"coi_mismatch", "non_conformant_receipt", "custody_gap"}


def test_arrivals_trips_and_faults_refer_to_real_shipments(default_run: Simulation) -> None:
    truth = default_run.truth
    manifests = {
        line["key"]: line["value"] for line in default_run.lines if line["topic"] == "shipments"
    }
    assert {a["shipment_id"] for a in truth["arrivals"]} == set(manifests)
    for fault in truth["faults"]:
        assert fault["shipment_id"] in manifests
        assert parse_timestamp(fault["start"]) <= parse_timestamp(fault["end"])
    arrivals = {a["shipment_id"]: parse_timestamp(a["arrived_at"]) for a in truth["arrivals"]}
    for trip in truth["trips"]:
        departed = parse_timestamp(trip["departed_at"])
        assert departed < arrivals[trip["shipment_id"]] == parse_timestamp(trip["arrived_at"])
        assert [c["fraction"] for c in trip["checkpoints"]] == [0.25, 0.5, 0.75]
    late = {f["shipment_id"] for f in truth["faults"] if f["type"] == "late_delivery_risk"}
    for shipment in late:
        promised_end = parse_timestamp(manifests[shipment]["promised_window"]["end"])
        assert arrivals[shipment] > promised_end
    for shipment, manifest in manifests.items():
        if shipment not in late:
            assert arrivals[shipment] <= parse_timestamp(manifest["promised_window"]["end"])


def test_episodes_open_past_the_limit_and_close_inside_the_margin() -> None:
    points = [(0, -180.0), (1, -149.0), (2, -151.0), (3, -140.0), (4, -152.0), (5, -149.5)]
    found = episodes(points, lambda v: v > -150, lambda v: v <= -152)
    assert found == [(1, 4, True), (5, 5, False)]


def test_out_of_range_time_is_held_until_the_next_reading() -> None:
    profile = BUILTIN_PROFILES["fridge-2-8"].model_copy(update={"cumulative_budget_s": 1200.0})
    minute = 60_000
    points = [
        (0, 5.0),
        (10 * minute, 9.0),
        (20 * minute, 7.8),
        (30 * minute, 9.0),
        (40 * minute, 5.0),
    ]
    raw = out_of_range_totals(profile, points, hysteresis=False)
    held = out_of_range_totals(profile, points, hysteresis=True)
    # judged alone, 7.8 is back in range: 10 + 10 minutes out, the budget reached at 40
    assert raw == (40 * minute, 20 * minute, 10 * minute)
    # with the 0.5 margin 7.8 is still out: 30 minutes, the budget reached at 30
    assert held == (30 * minute, 30 * minute, 10 * minute)


def test_fresh_manifests_carry_an_inline_budget(default_run: Simulation) -> None:
    fresh = [
        line["value"]
        for line in default_run.lines
        if line["topic"] == "shipments" and line["value"]["product_profile"] == "fridge-2-8"
    ]
    assert fresh
    assert all(m["profile"]["cumulative_budget_s"] > 0 for m in fresh)
    assert "out_of_range_budget" in {f["type"] for f in default_run.truth["faults"]}
