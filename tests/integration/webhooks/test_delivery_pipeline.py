"""End to end: readings and custody in, the processor's alerts out by webhook, attempts in PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from delivery_helpers import SECRET, accepted_alerts, bodies, subscriptions_file, while_alive

from alerts.testing import at, custody, manifest, reading
from sinks.engine import make_engine
from streams.delivery.testing import ScriptedEndpoint, running_endpoints
from streams.kafka_clients import ensure_topics
from streams.produce import produce_lines
from streams.settings import Settings
from streams.testing import recording_line, running_worker, wait_until

SIGNERS = ("Alex Rivera", "Bea Chen")


def _signed(minute: float, step: str, source: str, target: str, signer: str) -> Any:
    signature = {"name": signer, "meaning": "responsibility", "signed_at": at(minute).isoformat()}
    roles = ("hub" if source.startswith("HUB") else "courier", "courier")
    return custody(minute, step, source, target, roles=roles, signature=signature)


def test_alerts_reach_the_right_subscribers_without_personal_data(
    isolated_settings: Settings, fresh_postgres_url: str, tmp_path: Path
) -> None:
    settings = isolated_settings.model_copy(
        update={
            "warehouse": isolated_settings.warehouse.model_copy(
                update={"url": fresh_postgres_url, "batch_seconds": 0.2}
            )
        }
    )
    ensure_topics(settings)
    names = ("hospital", "other-hospital", "courier-77", "courier-88")
    endpoints = {name: ScriptedEndpoint(name, SECRET) for name in names}
    scopes = {
        "hospital": {"sites": ["HOSP-1"]},
        "other-hospital": {"sites": ["HOSP-2"]},
        "courier-77": {"party_id": "CUR-77"},
        "courier-88": {"party_id": "CUR-88"},
    }
    lines = [recording_line("shipments", manifest("cryo-150"), 0)]
    lines.append(
        recording_line("custody", _signed(0, "departing", "HUB-NE", "CUR-77", SIGNERS[0]), 0)
    )
    temps = {10: -182.0, 20: -140.0, 30: -182.0, 110: -139.0, 120: -182.0}
    lines.append(
        recording_line("custody", _signed(100, "departing", "CUR-77", "CUR-88", SIGNERS[1]), 100)
    )
    lines += [recording_line("telemetry", reading(m, t), m) for m, t in temps.items()]
    lines.sort(key=lambda line: line.received_at)  # type: ignore[arg-type, return-value]

    with running_endpoints(*endpoints.values()):
        env = subscriptions_file(tmp_path / "subs.yaml", endpoints, scopes)
        assert produce_lines(lines, settings=settings) == len(lines)
        with running_worker(settings, "all", tmp_path / "worker.log", env) as worker:
            wait_until(
                while_alive(
                    worker,
                    lambda: (
                        sum(
                            status == "resolved" and ":temperature_excursion:" in alert_id
                            for alert_id, _, status in accepted_alerts(endpoints["hospital"])
                        )
                        == 2
                    ),
                ),
                120,
                "both excursions, resolved, at the destination hospital",
            )
            wait_until(
                while_alive(worker, lambda: _by_custody(endpoints)),
                60,
                "each courier to receive the alerts of its custody period",
            )
            engine = make_engine(fresh_postgres_url)
            wait_until(
                while_alive(
                    worker,
                    lambda: (
                        _delivered_ids(engine)
                        == {r.webhook_id for e in endpoints.values() for r in e.accepted()}
                    ),
                ),
                60,
                "every delivery in the warehouse",
            )
            engine.dispose()

    assert _by_custody(endpoints)
    assert bodies(endpoints["other-hospital"]) == []
    for endpoint in endpoints.values():
        for request in endpoint.snapshot():
            assert request.verified
            assert not any(name.encode() in request.body for name in SIGNERS)


def _by_custody(endpoints: dict[str, ScriptedEndpoint]) -> bool:
    """Each courier got exactly the hospital's alerts opened in its custody period."""
    hospital = bodies(endpoints["hospital"])
    handover = at(100)  # CUR-77 held the shipment before, CUR-88 after
    before = {a.alert_id for a in hospital if a.opened_at < handover}
    after = {a.alert_id for a in hospital if a.opened_at >= handover}
    return (
        bool(before and after)
        and {a.alert_id for a in bodies(endpoints["courier-77"])} == before
        and {a.alert_id for a in bodies(endpoints["courier-88"])} == after
    )


def _delivered_ids(engine: sa.Engine) -> set[str] | None:
    sql = "SELECT delivery_id FROM webhook_deliveries WHERE outcome = 'delivered'"
    try:
        with engine.connect() as conn:
            return set(conn.execute(sa.text(sql)).scalars())
    except sa.exc.ProgrammingError:  # the sink has not created its tables yet
        return None
