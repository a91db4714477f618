"""A late custody handoff corrects alerts already withdrawn by a settle, as if it had come first."""

from __future__ import annotations

from alerts.testing import custody, manifest, reading, run


def _without_versions(alerts: dict[str, object]) -> dict[str, dict[str, object]]:
    return {k: a.model_dump(mode="json", exclude={"version"}) for k, a in alerts.items()}  # type: ignore[attr-defined]


def test_custody_after_a_withdrawal_still_names_the_custodian() -> None:
    handoff = custody(5, "departing", "HUB-NE", "CUR-31")
    # readings every 10 min with a silent hour, then the missing readings arrive late
    on_time = [reading(m, -180.0, seq=m // 10) for m in (10, 20, 90, 100)]
    late = [reading(m, -180.0, seq=m // 10) for m in (30, 40, 50, 60, 70, 80)]

    first = run([manifest(), handoff, *on_time, *late])
    # live: the timer settles the late burst before the custody event is consumed
    settled_early = run([manifest(), *on_time, *late])
    live = run([handoff], state=settled_early.state)

    expected = _without_versions(first.final())
    got = _without_versions({**settled_early.final(), **live.final()})
    assert got == expected
    silent = [a for a in first.final().values() if a.type == "logger_silent"]
    assert silent, "the silent hour raised (and the late data withdrew) logger_silent"
    assert all(a.custodian is not None and a.custodian.party_id == "CUR-31" for a in silent)
