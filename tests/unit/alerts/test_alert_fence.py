"""Alert versions fenced after a crash: a version already on the topic never gets other contents."""

from __future__ import annotations

from alerts.findings import Finding
from alerts.lifecycle import AlertBook, Holder
from alerts.state import ShipmentState
from alerts.testing import through_store
from schemas.alert import Alert, content_digest

AID = "SHP-9:lid_open:1"


def lid(opened: float, resolved: float | None = None) -> Finding:
    details = {"duration_s": (resolved or opened) - opened}
    return Finding("lid_open", f"lid@{opened}", opened, resolved or opened, resolved, details)


def emit(book: AlertBook, *found: Finding, holder: Holder = None) -> list[Alert]:
    return book.reconcile(found, complete=True, coi_id="COI-1", custodian=lambda _: holder)


def published(*alerts: Alert) -> dict[str, dict[int, str]]:
    """What a crashed worker left on the topic, as ``fence_published`` takes it."""
    out: dict[str, dict[int, str]] = {}
    for alert in alerts:
        out.setdefault(alert.alert_id, {})[alert.version] = content_digest(alert)
    return out


def crashed_worker_published(*found: Finding, holder: Holder = None) -> list[Alert]:
    """The alerts a worker that saw these findings (from an empty book) published."""
    return emit(AlertBook("SHP-9"), *found, holder=holder)


def test_a_new_alert_with_other_contents_is_numbered_after_the_published_version() -> None:
    # the crashed worker applied the reading before the handoff: no custodian yet
    (before,) = crashed_worker_published(lid(0))
    assert (before.version, before.custodian) == (1, None)
    book = AlertBook("SHP-9")
    book.fence_published(published(before))
    # the next owner read the handoff first: same episode, other contents
    (again,) = emit(book, lid(0), holder=("CUR-31", "courier"))
    assert again.alert_id == AID
    assert again.version == 2
    assert again.custodian is not None and again.custodian.party_id == "CUR-31"
    assert book.emitted[AID][0] == 2 and not book.fence
    (resolved,) = emit(book, lid(0, 60), holder=("CUR-31", "courier"))
    assert resolved.version == 3


def test_the_same_contents_keep_their_version_and_lift_the_fence() -> None:
    first = crashed_worker_published(lid(0))
    book = AlertBook("SHP-9")
    book.fence_published(published(*first))
    (again,) = emit(book, lid(0))
    assert again == first[0]  # a repeat: consumers drop it by alert_id + version
    assert not book.fence
    (second,) = emit(book, lid(0, 60))
    assert second.version == 2


def test_repeats_below_the_last_fenced_version_keep_the_fence_until_it_is_reached() -> None:
    crashed = AlertBook("SHP-9")
    v1 = emit(crashed, lid(0))
    v2 = emit(crashed, lid(0, 60))
    v3 = emit(crashed, lid(0, 60), holder=("CUR-31", "courier"))
    book = AlertBook("SHP-9")
    assert book.fence_published(published(*v1, *v2, *v3)) is True
    assert book.fence_published(published(*v1, *v2)) is False  # read back again: no news
    assert emit(book, lid(0)) == v1
    assert emit(book, lid(0, 60)) == v2
    assert AID in book.fence  # version 3 is still ahead
    (other,) = emit(book, lid(0, 60), holder=("CUR-77", "courier"))
    assert other.version == 4
    assert not book.fence


def test_versions_the_book_emitted_itself_are_not_fenced() -> None:
    book = AlertBook("SHP-9")
    (mine,) = emit(book, lid(0))
    assert book.fence_published(published(mine)) is False
    assert not book.fence
    (resolved,) = emit(book, lid(0, 60))
    assert resolved.version == 2


def test_a_version_ahead_of_the_book_moves_its_next_version_past_it() -> None:
    crashed = AlertBook("SHP-9")
    emit(crashed, lid(0))
    (ahead,) = emit(crashed, lid(0, 60))  # v2: published after the last checkpoint
    book = AlertBook("SHP-9")
    emit(book, lid(0))  # the checkpointed state: v1
    book.fence_published(published(ahead))
    (other,) = emit(book, lid(0, 90))
    assert other.version == 3


def test_an_id_the_counters_passed_and_the_book_forgot_is_retired_not_fenced() -> None:
    (gone,) = crashed_worker_published(lid(0, 60))
    book = AlertBook("SHP-9")
    book.counters["lid_open"] = 1  # the id was taken and its alert since retired
    book.fence_published(published(gone))
    assert not book.fence


def test_retiring_an_episode_drops_its_fence() -> None:
    crashed = AlertBook("SHP-9")
    v1, v2 = emit(crashed, lid(0)), emit(crashed, lid(0, 60))
    book = AlertBook("SHP-9")
    book.fence_published(published(*v1, *v2))
    assert emit(book, lid(0)) == v1
    assert AID in book.fence
    book.retire(set(book.anchors), before=0.0)
    assert not book.fence


def test_the_fence_survives_the_state_record_and_an_empty_one_writes_nothing() -> None:
    state = ShipmentState("SHP-9")
    assert "fence" not in state.to_dict()["book"]
    (before,) = crashed_worker_published(lid(0))
    state.book.fence_published(published(before))
    restored = through_store(state)  # as a checkpoint writes it and the next owner reads it
    assert restored.book.fence == state.book.fence == {AID: (1, {1: content_digest(before)})}
    (again,) = emit(restored.book, lid(0), holder=("CUR-31", "courier"))
    assert again.version == 2
