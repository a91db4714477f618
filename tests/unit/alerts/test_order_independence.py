"""Final alerts do not depend on how the topics interleave; the same order is deterministic."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from alerts.engine import Event
from alerts.state import ShipmentState
from alerts.testing import custody, manifest, reading, run, without_mark
from schemas.alert import Alert


def shipment() -> dict[str, list[Event]]:
    """One small shipment per topic, each topic in its own (recording) order."""
    telemetry: list[Event] = [
        reading(0, -185, seq=1, location=(40.4, -80.0)),
        reading(10, -149, seq=2, lid_open=True),
        reading(20, -140, seq=3, location=(40.9, -78.0), lid_open=False),
        reading(15, -150.5, seq=5),  # late, within the open excursion
        reading(40, -160, seq=6, shock_g=12.0),
        reading(50, -185, seq=7, shock_g=0.1),
        reading(120, -185, seq=8, battery_pct=12.0),
        reading(130, -149, seq=9, tilt_deg=80.0),
        reading(145, -185, seq=10, tilt_deg=2.0),
    ]
    custody_events: list[Event] = [
        custody(-5, "packing", coi_id="COI-T1"),
        custody(5, "departing", "HUB-NE", "CUR-77"),
        custody(100, "accepting", "CUR-99", "AIR-1", roles=("courier", "airline")),
        custody(
            150,
            "receiving",
            "AIR-1",
            "HOSP-1",
            roles=("airline", "hospital"),
            condition="non_conformant",
            coi_id="COI-X",
            site_id="HOSP-1",
        ),
    ]
    manifests: list[Event] = [manifest("cryo-150", profile={"max_transit_h": 2})]
    return {"telemetry": telemetry, "custody": custody_events, "shipments": manifests}


def comparable(final: dict[str, Alert]) -> dict[str, dict[str, Any]]:
    return {aid: a.model_dump(mode="json", exclude={"version"}) for aid, a in final.items()}


@st.composite
def interleavings(draw: st.DrawFn) -> list[Event]:
    """A random merge of the topics keeping each topic's own order (as Kafka does)."""
    topics = {name: list(events) for name, events in shipment().items()}
    merged: list[Event] = []
    while any(topics.values()):
        name = draw(st.sampled_from(sorted(n for n, evs in topics.items() if evs)))
        merged.append(topics[name].pop(0))
    return merged


def recording_order() -> list[Event]:
    topics = shipment()
    return [*topics["shipments"], *topics["custody"], *topics["telemetry"]]


def test_reference_order_raises_every_expected_type() -> None:
    types = {a.type for a in run(recording_order()).final().values()}
    assert types >= {
        "temperature_excursion",
        "temperature_warning",
        "lid_open",
        "shock",
        "tilt",
        "low_battery",
        "logger_silent",
        "sequence_gap",
        "coi_mismatch",
        "custody_gap",
        "non_conformant_receipt",
        "max_transit_exceeded",
    }


@settings(max_examples=120, deadline=None)
@given(order=interleavings())
def test_final_alerts_do_not_depend_on_topic_interleaving(order: list[Event]) -> None:
    expected = comparable(run(recording_order()).final())
    assert comparable(run(order).final()) == expected


@settings(max_examples=30, deadline=None)
@given(order=interleavings())
def test_same_order_gives_identical_output_including_versions(order: list[Event]) -> None:
    first, second = run(order), run(order)
    assert [a.model_dump() for a in first.alerts] == [a.model_dump() for a in second.alerts]
    assert first.state is not None and second.state is not None
    assert first.state.to_json() == second.state.to_json()


@settings(max_examples=30, deadline=None)
@given(order=interleavings(), cut=st.integers(min_value=0, max_value=13))
def test_state_json_round_trip_mid_stream_changes_nothing(order: list[Event], cut: int) -> None:
    straight = run(order)
    head = run(order[:cut], settled=False)
    restored = None if head.state is None else ShipmentState.from_json(head.state.to_json())
    tail = run(order[cut:], state=restored)
    assert [a.model_dump() for a in head.alerts + tail.alerts] == [
        a.model_dump() for a in straight.alerts
    ]
    assert tail.state is not None and straight.state is not None
    # the stored ETA replay mark is a cache that depends on the replays a state went through
    # (a restored state is not known exact, so its first settle replays): all else is equal
    assert without_mark(tail.state) == without_mark(straight.state)
