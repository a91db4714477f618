"""Custody rules (coi_mismatch, custody_gap, non_conformant_receipt) and custodian enrichment."""

from __future__ import annotations

import pytest

from alerts.testing import at, custody, manifest, reading, run

CRYO = manifest("cryo-150")


@pytest.mark.parametrize(("coi", "fires"), [("COI-T1", False), (None, False), ("COI-OTHER", True)])
def test_coi_mismatch(coi: str | None, fires: bool) -> None:
    result = run([CRYO, custody(0, "packing", coi_id=coi)])
    alerts = result.of_type("coi_mismatch")
    assert bool(alerts) is fires
    if fires:
        (alert,) = alerts
        assert alert.severity == "critical"
        assert alert.details["found_coi_id"] == "COI-OTHER"
        assert alert.details["expected_coi_id"] == "COI-T1"
        assert alert.opened_at == at(0)


@pytest.mark.parametrize(
    ("condition", "fires"), [("conformant", False), (None, False), ("non_conformant", True)]
)
def test_non_conformant_receipt(condition: str | None, fires: bool) -> None:
    event = custody(
        600, "receiving", "CUR-77", "HOSP-1", roles=("courier", "hospital"), condition=condition
    )
    result = run([CRYO, event])
    assert bool(result.of_type("non_conformant_receipt")) is fires


def chain(middle_from: str) -> list[object]:
    return [
        custody(0, "departing", "HUB-NE", "CUR-77"),
        custody(300, "accepting", middle_from, "AIR-1", roles=("courier", "airline")),
        custody(600, "receiving", "AIR-1", "HOSP-1", roles=("airline", "hospital")),
    ]


@pytest.mark.parametrize(("middle_from", "gaps"), [("CUR-77", 0), ("CUR-99", 1)])
def test_custody_gap_when_from_party_is_not_the_custodian(middle_from: str, gaps: int) -> None:
    result = run([CRYO, *chain(middle_from)])  # type: ignore[list-item]
    alerts = result.of_type("custody_gap")
    assert len(alerts) == gaps
    if gaps:
        assert alerts[0].details["expected_party"] == "CUR-77"
        assert alerts[0].details["from_party"] == "CUR-99"


def test_custody_gap_uses_occurred_at_order_not_arrival_order() -> None:
    events = chain("CUR-77")
    result = run([CRYO, events[2], events[0], events[1]])  # type: ignore[list-item]
    # the last handoff alone looked like a gap; once the chain is complete it is withdrawn
    for alert in result.of_type("custody_gap"):
        assert alert.status == "resolved"
        assert alert.details["withdrawn"] is True
        assert alert.message.startswith("Withdrawn")


def test_alert_names_custodian_at_its_time() -> None:
    events = [
        CRYO,
        custody(0, "departing", "HUB-NE", "CUR-77"),
        reading(10, -149),
        custody(30, "accepting", "CUR-77", "AIR-1", roles=("courier", "airline")),
        reading(40, -180),
        reading(50, -149),
    ]
    result = run(events)  # type: ignore[arg-type]
    first, second = result.of_type("temperature_excursion")
    assert first.custodian is not None and first.custodian.party_id == "CUR-77"
    assert "while with courier CUR-77" in first.message
    assert second.custodian is not None and second.custodian.party_id == "AIR-1"


def test_late_custody_event_corrects_custodian_of_emitted_alert() -> None:
    early = run([CRYO, reading(10, -149)])
    (before,) = early.of_type("temperature_excursion")
    assert before.custodian is None
    later = run([custody(0, "departing", "HUB-NE", "CUR-77")], state=early.state)
    (after,) = [a for a in later.alerts if a.type == "temperature_excursion"]
    assert after.alert_id == before.alert_id
    assert after.version == 2
    assert after.custodian is not None and after.custodian.party_id == "CUR-77"


def test_messages_carry_no_signature_names() -> None:
    signed = custody(
        0,
        "packing",
        coi_id="COI-OTHER",
        signature={
            "name": "A. Rivera",
            "meaning": "responsibility",
            "signed_at": at(0).isoformat(),
        },
    )
    (alert,) = run([CRYO, signed]).of_type("coi_mismatch")
    assert "Rivera" not in alert.model_dump_json()


def test_state_exposes_custody_intervals_and_custodian_at() -> None:
    events = [CRYO, *chain("CUR-77")]
    state = run(events).state  # type: ignore[arg-type]
    assert state is not None
    intervals = [
        (start, until, party.party_id) for start, until, party in state.custody_intervals()
    ]
    assert intervals == [
        (at(0), at(300), "CUR-77"),
        (at(300), at(600), "AIR-1"),
        (at(600), None, "HOSP-1"),
    ]
    assert state.custodian_at(at(299)) == state.custody_intervals()[0][2]
    assert state.custodian_at(at(-1)) is None
