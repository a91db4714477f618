"""Alert lifecycle: deterministic ids, versions only on change, status, superseding, withdrawal."""

from __future__ import annotations

from alerts.findings import Finding
from alerts.lifecycle import AlertBook
from alerts.testing import at, manifest, reading, run

CRYO = manifest("cryo-150")


def nobody(_: float) -> None:
    return None


def finding(anchor: str, opened: float, resolved: float | None, peak: float = -140.0) -> Finding:
    details = {"limit_c": -150.0, "peak_c": peak, "duration_s": (resolved or opened) - opened}
    return Finding("temperature_excursion", anchor, opened, resolved or opened, resolved, details)


def reconcile(
    book: AlertBook, *found: Finding, complete: bool = True
) -> list[tuple[str, int, str]]:
    alerts = book.reconcile(found, complete=complete, coi_id="COI-1", custodian=nobody)
    return [(a.alert_id, a.version, a.status) for a in alerts]


def test_ids_count_episodes_per_type_and_versions_grow_only_on_change() -> None:
    book = AlertBook("SHP-9")
    assert reconcile(book, finding("upper@0", 0, None)) == [
        ("SHP-9:temperature_excursion:1", 1, "open")
    ]
    assert reconcile(book, finding("upper@0", 0, None)) == []
    assert reconcile(book, finding("upper@0", 0, 60), finding("upper@100", 100, None)) == [
        ("SHP-9:temperature_excursion:1", 2, "resolved"),
        ("SHP-9:temperature_excursion:2", 1, "open"),
    ]


def test_episode_covering_two_emitted_ones_takes_the_first_id_and_supersedes_the_other() -> None:
    book = AlertBook("SHP-9")
    reconcile(book, finding("upper@0", 0, 60), finding("upper@100", 100, 160))
    emitted = reconcile(book, finding("upper@0", 0, 160, peak=-130.0))
    assert emitted == [
        ("SHP-9:temperature_excursion:1", 2, "resolved"),
        ("SHP-9:temperature_excursion:2", 2, "resolved"),
    ]
    second = book.emitted["SHP-9:temperature_excursion:2"][1]
    assert second["details"]["superseded_by"] == "SHP-9:temperature_excursion:1"
    assert second["message"].startswith("Superseded by SHP-9:temperature_excursion:1")
    assert reconcile(book, finding("upper@0", 0, 160, peak=-130.0)) == []


def test_episode_that_disappears_is_withdrawn_once() -> None:
    book = AlertBook("SHP-9")
    reconcile(book, finding("upper@0", 0, 60))
    assert reconcile(book) == [("SHP-9:temperature_excursion:1", 2, "resolved")]
    assert book.emitted["SHP-9:temperature_excursion:1"][1]["details"]["withdrawn"] is True
    assert reconcile(book) == []


def test_partial_reconcile_never_withdraws() -> None:
    book = AlertBook("SHP-9")
    reconcile(book, finding("upper@0", 0, 60))
    assert reconcile(book, complete=False) == []


def test_replaying_the_same_input_gives_the_same_ids_and_versions() -> None:
    events = [CRYO, reading(0, -180), reading(10, -149), reading(20, -140), reading(30, -185)]
    first = [(a.alert_id, a.version, a.status) for a in run(events).alerts]
    assert first == [(a.alert_id, a.version, a.status) for a in run(events).alerts]
    assert ("SHP-T1:temperature_excursion:1", 1, "open") in first
    assert ("SHP-T1:temperature_excursion:1", 2, "updated") in first
    assert ("SHP-T1:temperature_excursion:1", 3, "resolved") in first


def test_alert_times_are_the_readings_own_times() -> None:
    result = run([CRYO, reading(0, -180), reading(10, -149), reading(30, -185)])
    (alert,) = result.of_type("temperature_excursion")
    assert (alert.opened_at, alert.updated_at, alert.resolved_at) == (at(10), at(30), at(30))
