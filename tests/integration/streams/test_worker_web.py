"""Worker endpoints on real worker processes: health, readiness, Prometheus metrics, and a
shipment's live state answered by whichever worker owns its partition."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from alerts.testing import at, manifest, reading
from schemas.recording import RecordingLine
from streams.kafka_clients import ensure_topics
from streams.produce import produce_lines
from streams.settings import Settings
from streams.supervise import free_port
from streams.testing import running_worker, wait_until


def _get(url: str) -> httpx.Response | None:
    try:
        return httpx.get(url, timeout=5)
    except httpx.HTTPError:
        return None


def test_health_ready_metrics_and_routed_shipment_state(
    isolated_settings: Settings, tmp_path: Path
) -> None:
    settings = isolated_settings
    ensure_topics(settings)
    shipments = [f"SHP-W{i}" for i in range(8)]
    lines = []
    for sid in shipments:
        for topic, model in (
            ("shipments", manifest(shipment_id=sid)),
            ("telemetry", reading(10, -140.0, shipment_id=sid)),
        ):
            lines.append(
                RecordingLine(
                    topic=topic, key=sid, value=model.model_dump(mode="json"), received_at=at(11)
                )
            )
    produce_lines(lines, settings=settings)
    ports = [free_port(), free_port()]
    with (
        running_worker(settings, "process", tmp_path / "a.log", web_port=ports[0]),
        running_worker(settings, "process", tmp_path / "b.log", web_port=ports[1]),
    ):
        for port in ports:
            health = wait_until(lambda p=port: _get(f"http://127.0.0.1:{p}/health"), 90, "health")
            assert health.json() == {"status": "ok"}

        def both_ready() -> bool:
            answers = [_get(f"http://127.0.0.1:{p}/ready") for p in ports]
            return all(a is not None and a.status_code == 200 for a in answers) and all(
                a.json()["assigned"] for a in answers if a is not None
            )

        wait_until(both_ready, 120, "both workers ready with partitions")

        def every_shipment_known_on(port: int) -> bool:
            for sid in shipments:
                answer = _get(f"http://127.0.0.1:{port}/shipments/{sid}")
                if answer is None or answer.status_code != 200:
                    return False
            return True

        # Each worker answers for every shipment: its own from memory, the others routed.
        for port in ports:
            wait_until(lambda p=port: every_shipment_known_on(p), 120, f"shipments via {port}")

        def with_excursion_open() -> dict[str, Any] | None:
            """The routed shipment's state once its reading's excursion is open: the manifest
            makes the shipment known, and its reading may come a turn later (a processor
            reads the manifests first after an assignment, streams.manifests_first)."""
            url = f"http://127.0.0.1:{ports[0]}/shipments/{shipments[3]}"
            state: dict[str, Any] = httpx.get(url, timeout=5).json()
            alerts = state["alerts"].values()
            opened = any(a["type"] == "temperature_excursion" and a["open"] for a in alerts)
            return state if opened else None

        state = wait_until(with_excursion_open, 60, "the routed shipment's excursion")
        assert state["shipment_id"] == shipments[3]
        assert state["coi_id"] == "COI-T1"
        missing = httpx.get(f"http://127.0.0.1:{ports[0]}/shipments/SHP-NOPE", timeout=5)
        assert missing.status_code == 404

        metrics = "".join(httpx.get(f"http://127.0.0.1:{p}/metrics", timeout=5).text for p in ports)
        assert 'cryotrace_alerts_total{status="open",type="temperature_excursion"}' in metrics
        assert "cryotrace_consumer_lag" in metrics
        assert "cryotrace_events_in_total" in metrics
