"""The ETA rules inside the engine: Step.eta, ETA alerts through the lifecycle, event time."""

from __future__ import annotations

import random

from alerts.config import RuleConfig
from alerts.engine import apply, refresh_eta, settle
from alerts.eta_config import EtaConfig
from alerts.state import ShipmentState
from alerts.testing import at, custody, manifest, reading, run
from schemas.recording import RecordingLine
from streams.offline import OfflineRunner

# HUB-NE (40.44, -79.99) to HOSP-1 (42.3, -71.1): ~780 km, promised by minute 30 * 60
ROUTE = [
    (40.44 + (42.3 - 40.44) * f, -79.99 + (-71.1 + 79.99) * f) for f in (0.0, 0.02, 0.04, 0.06)
]


def _drive(end_minute: float) -> list:
    shipment = manifest(
        "cryo-150", promised_window={"start": at(0).isoformat(), "end": at(end_minute).isoformat()}
    )
    events = [shipment, custody(0, "departing", "HUB-NE", "CUR-77")]
    events += [reading(10 + 10 * i, -180, location=where) for i, where in enumerate(ROUTE)]
    return events


def test_apply_returns_eta_updates_on_meaningful_changes() -> None:
    steps = []
    state = None
    for event in _drive(30 * 60):
        step = apply(state, event, RuleConfig())
        state = step.state
        steps.append(step)
    updates = [u for s in steps for u in s.eta]
    assert updates, "the manifest and the first fixes publish ETAs"
    assert all(u.eta_p90 >= u.eta_p50 for u in updates)
    assert updates[-1].computed_at == at(40)
    assert updates[-1].details["phase"] == "road"


def test_late_delivery_risk_goes_through_the_lifecycle_with_its_severity() -> None:
    result = run(_drive(3 * 60))  # ~12 h of road promised in 3 h
    (alert,) = result.of_type("late_delivery_risk")
    assert alert.severity == "critical"
    assert alert.alert_id.endswith("late_delivery_risk:1")
    assert alert.message.startswith("Median ETA")


def test_eta_alerts_do_not_depend_on_reading_order() -> None:
    events = _drive(10 * 60)
    head, readings = events[:2], events[2:]
    in_order = run(events)
    shuffled = list(readings)
    random.Random(3).shuffle(shuffled)
    mixed = run([*head, *shuffled])

    def eta_alerts(r):  # type: ignore[no-untyped-def]
        return sorted(
            (a.type, a.opened_at, a.resolved_at, a.severity, a.details.get("withdrawn"))
            for a in r.final().values()
            if a.type in {"late_delivery_risk", "hold_time_risk", "dwell_exceeded"}
            and "withdrawn" not in a.details
        )

    assert eta_alerts(mixed) == eta_alerts(in_order)


def test_state_round_trip_keeps_the_eta() -> None:
    result = run(_drive(3 * 60))
    assert result.state is not None
    back = ShipmentState.from_json(result.state.to_json())
    assert back.eta.to_dict() == result.state.eta.to_dict()
    assert settle(back, RuleConfig()).alerts == []


def test_eta_config_nests_in_the_rule_config() -> None:
    config = RuleConfig(eta=EtaConfig(hold_derating=0.5, lane_detour={"A>B": 1.5}))
    assert config.eta.hold_derating == 0.5
    assert hash(config) == hash(
        RuleConfig(eta=EtaConfig(hold_derating=0.5, lane_detour={"A>B": 1.5}))
    )


def test_offline_runner_collects_eta_updates() -> None:
    lines = [
        RecordingLine(
            topic="shipments" if i == 0 else "custody" if i == 1 else "telemetry",
            key="SHP-T1",
            value=e.model_dump(mode="json"),
        )
        for i, e in enumerate(_drive(30 * 60))
    ]
    runner = OfflineRunner()
    summary = runner.run(lines)
    assert runner.eta and summary["eta_updates"] == len(runner.eta)


def test_a_batch_refreshes_the_eta_once_as_the_last_event_would() -> None:
    events = _drive(30 * 60)
    per_event = None
    for event in events:
        per_event = apply(per_event, event, RuleConfig()).state
    once = RuleConfig(eta=EtaConfig(batch_refresh_s=10**9))  # the whole drive is one batch
    batched = None
    deferred_updates = []
    for event in events:
        step = apply(batched, event, once, eta_now=False)
        batched = step.state
        deferred_updates += step.eta
    assert batched is not None and per_event is not None
    assert len(deferred_updates) <= 1 and batched.eta.stale  # only the manifest's first one
    (update,) = refresh_eta(batched, once).eta
    assert not batched.eta.stale
    assert update.computed_at == at(40)
    assert per_event.eta.last is not None
    assert batched.eta.last is not None
    assert batched.eta.last[:2] == per_event.eta.last[:2]  # the same estimate at the end
    assert refresh_eta(batched, once).eta == []  # nothing owed any more


def test_a_backlog_batch_still_refreshes_along_the_trip() -> None:
    events = _drive(30 * 60)
    per_event = [u for s in _steps(events, RuleConfig(), eta_now=True) for u in s.eta]
    every_event = RuleConfig(eta=EtaConfig(batch_refresh_s=0))
    batched = [u for s in _steps(events, every_event, eta_now=False) for u in s.eta]
    assert batched == per_event


def _steps(events: list, config: RuleConfig, *, eta_now: bool) -> list:  # type: ignore[type-arg]
    state = None
    steps = []
    for event in events:
        step = apply(state, event, config, eta_now=eta_now)
        state = step.state
        steps.append(step)
    return steps
