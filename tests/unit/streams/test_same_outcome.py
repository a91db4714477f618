"""Live against replay: equal final alerts, apart from live-only alerts since withdrawn."""

from __future__ import annotations

from typing import Any

from streams.testing import same_outcome, withdrawn_extras


def _alert(status: str = "open", **details: Any) -> dict[str, Any]:
    return {"status": status, "details": details}


REPLAY = {"S1:lid_open:1": _alert("resolved"), "S2:shock:1": _alert()}


def test_identical_final_alerts_are_the_same_outcome() -> None:
    assert same_outcome(REPLAY, dict(REPLAY))
    assert withdrawn_extras(REPLAY, dict(REPLAY)) == set()


def test_a_live_only_alert_withdrawn_since_is_set_aside() -> None:
    live = {**REPLAY, "S3:sequence_gap:2": _alert("resolved", withdrawn=True)}
    assert withdrawn_extras(REPLAY, live) == {"S3:sequence_gap:2"}
    assert same_outcome(REPLAY, live)


def test_a_live_only_alert_still_standing_is_a_difference() -> None:
    live = {**REPLAY, "S3:sequence_gap:2": _alert("open")}
    assert withdrawn_extras(REPLAY, live) == set()
    assert not same_outcome(REPLAY, live)


def test_a_missing_or_different_alert_is_a_difference_even_beside_withdrawn_extras() -> None:
    extra = {"S3:sequence_gap:2": _alert("resolved", withdrawn=True)}
    assert not same_outcome(REPLAY, {"S2:shock:1": _alert(), **extra})
    assert not same_outcome(REPLAY, {**REPLAY, "S2:shock:1": _alert("resolved"), **extra})


def test_an_alert_replay_has_is_compared_even_when_live_withdrew_it() -> None:
    live = {**REPLAY, "S2:shock:1": _alert("resolved", withdrawn=True)}
    assert not same_outcome(REPLAY, live)
