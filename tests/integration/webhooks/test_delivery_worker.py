"""Webhook delivery in a real worker process on real Kafka against real local HTTP endpoints."""

from __future__ import annotations

from pathlib import Path

import orjson
from delivery_helpers import (
    SECRET,
    accepted_alerts,
    alert,
    alert_bytes,
    attempts,
    bodies,
    dead_letters,
    produce,
    subscriptions_file,
    while_alive,
)

from alerts.testing import manifest
from streams.delivery.testing import Reply, ScriptedEndpoint, running_endpoints
from streams.kafka_clients import ensure_topics
from streams.settings import Settings
from streams.testing import running_worker, wait_until
from streams.topics import Topic

FAST_RETRIES = {
    "CRYOTRACE_DELIVERY__COALESCE_S": "2.0",
    "CRYOTRACE_DELIVERY__MAX_ATTEMPTS": "3",
    "CRYOTRACE_DELIVERY__BACKOFF_BASE_S": "0.2",
    "CRYOTRACE_DELIVERY__BACKOFF_MAX_S": "1.0",
}


def _manifest(shipment_id: str, destination: str) -> tuple[str, bytes]:
    value = manifest(
        shipment_id=shipment_id,
        destination={"site_id": destination, "role": "hospital", "lat": 42.3, "lon": -71.1},
    )
    return shipment_id, orjson.dumps(value.model_dump(mode="json"))


def test_routing_coalescing_retries_timeouts_and_gone_endpoints(
    isolated_settings: Settings, tmp_path: Path
) -> None:
    settings = isolated_settings
    ensure_topics(settings)
    endpoints = {
        "healthy": ScriptedEndpoint("healthy", SECRET),
        "slow": ScriptedEndpoint("slow", SECRET, lambda _: Reply(200, delay_s=1.0)),
        "flaky": ScriptedEndpoint("flaky", SECRET, lambda n: Reply(500 if n == 1 else 200)),
        "gone": ScriptedEndpoint("gone", SECRET, lambda _: Reply(410)),
        "hang": ScriptedEndpoint("hang", SECRET, lambda _: Reply(200, delay_s=30.0)),
        "hosp-bos": ScriptedEndpoint("hosp-bos", SECRET),
        "hosp-nyc": ScriptedEndpoint("hosp-nyc", SECRET),
        "courier-77": ScriptedEndpoint("courier-77", SECRET),
    }
    every = {"all_shipments": True}
    scopes = {
        "healthy": every,
        "slow": every,
        "flaky": {**every, "types": ["temperature_excursion"]},
        "gone": every,
        "hang": {**every, "timeout_s": 0.5, "min_severity": "critical"},
        "hosp-bos": {"sites": ["HOSP-BOS-01"]},
        "hosp-nyc": {"sites": ["HOSP-NYC-01"]},
        "courier-77": {"party_id": "CUR-77", "min_severity": "warning"},
    }
    with running_endpoints(*endpoints.values()):
        env = subscriptions_file(tmp_path / "subs.yaml", endpoints, scopes)
        produce(
            settings,
            Topic.SHIPMENTS,
            [_manifest("SHP-W1", "HOSP-BOS-01"), _manifest("SHP-W2", "HOSP-NYC-01")],
        )
        a1 = [
            alert("W1:exc:1", 1, shipment_id="SHP-W1", custodian="CUR-77"),
            alert("W1:exc:1", 2, shipment_id="SHP-W1", custodian="CUR-77", status="updated"),
            alert("W1:exc:1", 3, shipment_id="SHP-W1", custodian="CUR-77", status="resolved"),
        ]
        a2 = alert(
            "W1:lid:1",
            1,
            shipment_id="SHP-W1",
            custodian="HOSP-BOS-01",
            type_="lid_open",
            severity="warning",
        )
        b1 = alert("W2:exc:1", 1, shipment_id="SHP-W2", custodian="CUR-88")
        c1 = alert("W3:exc:1", 1, shipment_id="SHP-W3", custodian="CUR-99")  # manifest later
        produce(settings, Topic.ALERTS, [alert_bytes(a) for a in (a1[0], a2, b1, c1)])

        with running_worker(
            settings, "deliver", tmp_path / "worker.log", {**env, **FAST_RETRIES}
        ) as worker:
            wait_until(
                while_alive(worker, lambda: len(accepted_alerts(endpoints["healthy"])) == 4),
                90,
                "healthy endpoint to accept 4 alerts",
            )
            # two updates right after the first delivery: one more delivery, the latest
            produce(settings, Topic.ALERTS, [alert_bytes(a) for a in a1[1:]])
            # c1's shipment has no manifest yet: the hospital gets it once the manifest comes
            assert "W3:exc:1" not in {a.alert_id for a in bodies(endpoints["hosp-bos"])}
            produce(settings, Topic.SHIPMENTS, [_manifest("SHP-W3", "HOSP-BOS-01")])
            wait_until(
                while_alive(
                    worker,
                    lambda: ("W3:exc:1", 1, "open") in accepted_alerts(endpoints["hosp-bos"]),
                ),
                30,
                "the parked alert to reach its hospital",
            )
            wait_until(
                while_alive(
                    worker,
                    lambda: (
                        len(accepted_alerts(endpoints["flaky"])) == 4
                        and len(accepted_alerts(endpoints["slow"])) == 5
                        and _dead_lettered(settings, "hang")
                        >= {("W1:exc:1", 3), ("W2:exc:1", 1), ("W3:exc:1", 1)}
                    ),
                ),
                60,
                "retries, slow deliveries and dead letters to settle",
            )
            gone_requests = len(endpoints["gone"].snapshot())
            late = alert("W2:lid:2", 1, shipment_id="SHP-W2", type_="lid_open", severity="warning")
            produce(settings, Topic.ALERTS, [alert_bytes(late)])
            wait_until(
                while_alive(
                    worker, lambda: ("W2:lid:2", 1, "open") in accepted_alerts(endpoints["healthy"])
                ),
                30,
                "a later alert to reach the healthy endpoint",
            )

    # every request was signed; the body is an alert
    for endpoint in endpoints.values():
        assert all(r.verified for r in endpoint.snapshot()), endpoint.name

    # coalescing: the first version at once, two quick updates as one delivery, the latest
    healthy = accepted_alerts(endpoints["healthy"])
    assert [v for v in healthy if v[0] == "W1:exc:1"] == [
        ("W1:exc:1", 1, "open"),
        ("W1:exc:1", 3, "resolved"),
    ]
    assert len({r.webhook_id for r in endpoints["healthy"].snapshot()}) == 6

    # routing by site: a hospital never sees another site's shipment
    assert {a.shipment_id for a in bodies(endpoints["hosp-bos"])} == {"SHP-W1", "SHP-W3"}
    assert {a.shipment_id for a in bodies(endpoints["hosp-nyc"])} == {"SHP-W2"}
    # routing by party: the courier only gets alerts of its own custody period
    assert {a.alert_id for a in bodies(endpoints["courier-77"])} == {"W1:exc:1"}

    log = attempts(settings)
    # 500 then 200: the same webhook id retried, then delivered
    flaky = [a for a in log if a.subscriber_id == "flaky"]
    first = endpoints["flaky"].snapshot()[0].webhook_id
    assert [(a.attempt, a.outcome, a.http_status) for a in flaky if a.delivery_id == first] == [
        (1, "retrying", 500),
        (2, "delivered", 200),
    ]
    # a hanging endpoint times out on every attempt and is dead-lettered after the last
    hang = [a for a in log if a.subscriber_id == "hang"]
    assert {a.error for a in hang} == {"timeout after 0.5 s"}
    assert all(a.outcome == "dead_lettered" for a in hang if a.attempt == 3)
    assert all(a.outcome == "retrying" for a in hang if a.attempt < 3)
    undeliverable = [d for d in dead_letters(settings) if d.reason == "webhook_undeliverable"]
    assert {d.errors[0].loc for d in undeliverable} >= {"subscriber.hang", "subscriber.gone"}
    # 410 disables the endpoint: nothing more is sent to it
    assert len(endpoints["gone"].snapshot()) == gone_requests
    assert any(a.subscriber_id == "gone" and a.http_status == 410 for a in log)
    assert not any(str(SECRET) in a.model_dump_json() for a in log)


def _dead_lettered(settings: Settings, subscriber_id: str) -> set[tuple[str, int]]:
    return {
        (a.alert_id, a.alert_version)
        for a in attempts(settings)
        if a.subscriber_id == subscriber_id and a.outcome == "dead_lettered"
    }
