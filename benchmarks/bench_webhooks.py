"""Webhook delivery latency: alert produced to Kafka -> POST received, with one endpoint down.

    python benchmarks/bench_webhooks.py [--rate 1000 | --rates 100,300,1000] [--seconds 20]
        [--endpoints 20] [--workers 1] [--down hang|refuse] [--down-scope site|all]
        [--http-client http1|aiohttp|httpx] [--json]

A real delivery worker (``cryotrace worker --role deliver``) consumes the alerts topic of a
fresh topic prefix on the local Kafka (``CRYOTRACE_KAFKA_BOOTSTRAP``, else the embedded
broker). ``--endpoints`` healthy hospital endpoints and one more that is down (``hang``:
accepts the connection and never answers, so each attempt waits out the timeout; ``refuse``:
nothing listens) run in a child process on 127.0.0.1. Every endpoint is a hospital with one
site and alerts are spread evenly over the sites, so the down one gets its share
(``--down-scope site``) — or, with ``--down-scope all``, it subscribes to every alert (the
worst case: each alert then also becomes a durable pending retry). Each alert carries its send time in
``details.sent_at``; the latency is the receiving endpoint's clock minus that (one machine,
one clock). Prints p50/p90/p99/max over the healthy endpoints, the delivery rate and what the
dead endpoint cost. Bounded: producing lasts ``--seconds``, draining at most 30 s more.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import re
import socket
import statistics
import sys
import tempfile
import time
import uuid
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import orjson
import yaml

from alerts.webhooks.signing import WebhookSecret

SHIPMENTS_PER_SITE = 10
TARGET_P99_MS = 500.0


def serve_endpoints(names: list[str], down: str, conn: Connection) -> None:
    """Child process: one aiohttp server per endpoint; latencies back over ``conn`` on request."""
    from aiohttp import web

    latencies: dict[str, list[float]] = {name: [] for name in names}
    hits: dict[str, int] = {name: 0 for name in names}

    def handler(name: str) -> Any:
        async def on_post(request: web.Request) -> web.Response:
            body = await request.read()
            now = time.time()
            hits[name] += 1
            sent_at = orjson.loads(body)["details"].get("sent_at")
            if sent_at:  # warm-up alerts carry 0
                latencies[name].append(now - sent_at)
            return web.Response(status=200)

        return on_post

    async def hang(request: web.Request) -> web.Response:
        hits["down"] += 1
        await asyncio.sleep(3600)
        return web.Response(status=200)

    async def main() -> None:
        urls: dict[str, str] = {}
        runners = []
        for name in [*names, "down"]:
            if name == "down" and down == "refuse":
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", 0))
                    urls[name] = f"http://127.0.0.1:{probe.getsockname()[1]}/down"
                continue
            app = web.Application()
            app.router.add_post("/{tail:.*}", hang if name == "down" else handler(name))
            runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
            await site.start()
            runners.append(runner)
            host, port = runner.addresses[0][:2]
            urls[name] = f"http://{host}:{port}/{name}"
        conn.send(urls)
        loop = asyncio.get_running_loop()
        while True:
            if not await loop.run_in_executor(None, conn.poll, 0.2):
                continue
            if conn.recv() == "count":
                conn.send(sum(hits[name] for name in names))
                continue
            conn.send({"latencies": latencies, "hits": hits})
            break

    hits["down"] = 0
    asyncio.run(main())


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its threads so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _settled(workers: list[Any], partitions: int) -> bool:
    """Every worker owns some partitions and together all of them (their latest
    ``webhooks.resync`` log lines)."""
    owned: list[set[int]] = []
    for worker in workers:
        lines = [
            line
            for line in Path(worker.log_path).read_text(errors="replace").splitlines()
            if "webhooks.resync" in line
        ]
        found = re.search(r'partitions"?[=:] ?\[([0-9, ]*)\]', lines[-1]) if lines else None
        if found is None:
            return False
        owned.append({int(p) for p in found.group(1).split(",") if p.strip()})
    return all(owned) and set().union(*owned) == set(range(partitions))


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def _alert(i: int, shipment: str, sent_at: float) -> bytes:
    return orjson.dumps(
        {
            "alert_id": f"{shipment}:bench:{i}",
            "version": 1,
            "status": "open",
            "type": "temperature_excursion",
            "severity": "critical",
            "shipment_id": shipment,
            "opened_at": "2026-11-29T22:00:00Z",
            "updated_at": "2026-11-29T22:00:00Z",
            "custodian": {"party_id": "CUR-1", "role": "courier"},
            "details": {"sent_at": sent_at},
            "message": "bench",
        }
    )


def _manifest(shipment: str, site: str) -> bytes:
    return orjson.dumps(
        {
            "shipment_id": shipment,
            "coi_id": f"COI-{shipment}",
            "product_profile": "cryo-150",
            "origin": {"site_id": "HUB-NE", "role": "hub", "lat": 40.44, "lon": -79.99},
            "destination": {"site_id": site, "role": "hospital", "lat": 42.3, "lon": -71.1},
            "promised_window": {"start": "2026-11-30T08:00:00Z", "end": "2026-11-30T14:00:00Z"},
            "created_at": "2026-11-28T05:00:00Z",
        }
    )


def run(args: argparse.Namespace) -> dict[str, Any]:
    from kafka import KafkaProducer

    from streams.kafka_clients import ensure_topics, kafka_python_config
    from streams.settings import Settings, get_settings
    from streams.supervise import WorkerProcess, wait_until
    from streams.topics import Topic, topic_name

    bootstrap = os.environ.get("CRYOTRACE_KAFKA_BOOTSTRAP")
    if not bootstrap:
        from streams.infra.kafka import LocalKafka

        bootstrap = LocalKafka.configured(get_settings()).up()
    run_id = uuid.uuid4().hex[:8]
    settings = Settings(
        app_id=f"bench-wh-{run_id}",
        kafka_bootstrap=bootstrap,
        topic_prefix=f"benchwh{run_id}",
        log_level="INFO",  # _settled reads the workers' webhooks.resync (info) lines
    )
    settings.topics = settings.topics.model_copy(update={"partitions": args.partitions})
    ensure_topics(settings)
    names = [f"hosp-{n:02d}" for n in range(args.endpoints)]
    parent, child = multiprocessing.Pipe()
    server = multiprocessing.get_context("spawn").Process(
        target=serve_endpoints, args=(names, args.down, child), daemon=True
    )
    server.start()
    urls: dict[str, str] = parent.recv()

    secret = WebhookSecret.generate()
    workdir = Path(tempfile.mkdtemp(prefix="bench-webhooks-"))
    subscribers = [
        {"id": name, "url": urls[name], "secret_env": "BENCH_SECRET", "sites": [f"SITE-{name}"]}
        for name in names
    ]
    scope: dict[str, Any] = (
        {"all_shipments": True} if args.down_scope == "all" else {"sites": ["SITE-down"]}
    )
    subscribers.append(
        {
            "id": "down",
            "url": urls["down"],
            "secret_env": "BENCH_SECRET",
            "timeout_s": args.timeout_s,
            **scope,
        }
    )
    subs = workdir / "subscriptions.yaml"
    subs.write_text(yaml.safe_dump({"subscribers": subscribers}))
    env = {
        "BENCH_SECRET": str(secret),
        "CRYOTRACE_SUBSCRIPTIONS": str(subs),
        "CRYOTRACE_DELIVERY__COALESCE_S": str(args.coalesce_s),
        "CRYOTRACE_DELIVERY__HTTP_CLIENT": args.http_client,
    }

    producer = KafkaProducer(**kafka_python_config(settings.kafka), linger_ms=2, acks=1)
    shipments = [
        (f"SHP-{name}-{k}", f"SITE-{name}")
        for name in [*names, "down"]
        for k in range(SHIPMENTS_PER_SITE)
    ]
    for shipment, site in shipments:
        producer.send(
            topic_name(settings, Topic.SHIPMENTS),
            key=shipment.encode(),
            value=_manifest(shipment, site),
        )
    producer.flush()
    alerts_topic = topic_name(settings, Topic.ALERTS)

    workers = [
        WorkerProcess(settings, "deliver", workdir / f"worker-{n}.log", env)
        for n in range(args.workers)
    ]
    try:
        # warm-up: one alert per healthy endpoint, until each has one (the worker is ready)
        warm = [shipments[i * SHIPMENTS_PER_SITE] for i in range(len(names))]
        for i, (shipment, _) in enumerate(warm):
            producer.send(alerts_topic, key=shipment.encode(), value=_alert(-1 - i, shipment, 0.0))
        producer.flush()

        def healthy_hits() -> int:
            for worker in workers:
                if not worker.alive():
                    raise RuntimeError(f"worker exited; see {worker.log_path}")
            parent.send("count")
            return int(parent.recv())

        wait_until(lambda: healthy_hits() >= len(names), 120, "the delivery worker to start")
        if len(workers) > 1:  # measure after the group settled, not through its rebalance
            wait_until(
                lambda: _settled(workers, args.partitions), 120, "the workers to share partitions"
            )
        cpu_before = sum(_cpu_seconds(w.pid) for w in workers)

        total = int(args.rate * args.seconds)
        tick = 0.01
        per_tick = args.rate * tick
        began = time.monotonic()
        sent = 0
        while sent < total:
            due = int(min(total, (time.monotonic() - began) / tick * per_tick + per_tick))
            while sent < due:
                shipment = shipments[sent % len(shipments)][0]
                producer.send(
                    alerts_topic, key=shipment.encode(), value=_alert(sent, shipment, time.time())
                )
                sent += 1
            time.sleep(max(0.0, began + (sent / args.rate) - time.monotonic()))
        producer.flush()
        produced_s = time.monotonic() - began

        deadline = time.monotonic() + 30
        expected = sum(
            1 for i in range(total) if not shipments[i % len(shipments)][0].startswith("SHP-down")
        ) + len(names)
        while time.monotonic() < deadline and healthy_hits() < expected:
            time.sleep(0.5)
        cpu_used = sum(_cpu_seconds(w.pid) for w in workers) - cpu_before
        parent.send("report")
        result = parent.recv()
    finally:
        for worker in workers:
            worker.stop(30)
        producer.close()
        server.terminate()

    latencies = [v for name in names for v in result["latencies"][name]]
    received = len(latencies)
    figures: dict[str, Any] = {
        "alerts": total,
        "rate_target_per_s": args.rate,
        "rate_produced_per_s": round(total / produced_s, 1),
        "healthy_endpoints": len(names),
        "down_endpoint": args.down,
        "down_scope": args.down_scope,
        "down_requests": result["hits"]["down"],
        "sent_to_healthy": expected - len(names),
        "delivered_to_healthy": received,
        "coalesce_s": args.coalesce_s,
        "http_client": args.http_client,
        "partitions": args.partitions,
        "delivery_workers": args.workers,
        "worker_cpu_s": round(cpu_used, 1),
        "worker_cpu_ms_per_alert": round(cpu_used * 1000 / total, 3),
    }
    if latencies:
        ms = [v * 1000 for v in latencies]
        figures.update(
            {
                "p50_ms": round(statistics.median(ms), 1),
                "p90_ms": round(_percentile(ms, 90), 1),
                "p99_ms": round(_percentile(ms, 99), 1),
                "max_ms": round(max(ms), 1),
                "target_p99_ms": TARGET_P99_MS,
            }
        )
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=1000.0, help="alerts per second")
    parser.add_argument("--seconds", type=float, default=20.0, help="how long to produce")
    parser.add_argument("--endpoints", type=int, default=20, help="healthy endpoints")
    parser.add_argument("--down", choices=["hang", "refuse"], default="hang")
    parser.add_argument("--down-scope", choices=["site", "all"], default="site")
    parser.add_argument("--timeout-s", type=float, default=2.0, help="the down endpoint's timeout")
    parser.add_argument("--coalesce-s", type=float, default=0.2)
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--http-client", choices=["http1", "aiohttp", "httpx"], default="http1")
    parser.add_argument("--workers", type=int, default=1, help="delivery worker processes")
    parser.add_argument(
        "--rates",
        help="comma-separated rates (e.g. 100,300,1000): one run each, then a p50/p99 table",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object instead of text")
    args = parser.parse_args()
    rates = [float(r) for r in args.rates.split(",")] if args.rates else [args.rate]
    runs = []
    for rate in rates:
        args.rate = rate
        figures = run(args)
        runs.append(figures)
        if args.json:
            print(json.dumps(figures), flush=True)
        else:
            for key, value in figures.items():
                print(f"{key:>22}: {value}")
            print(flush=True)
    if len(runs) > 1 and not args.json:
        print(f"{'alerts/s':>9} {'p50 ms':>9} {'p99 ms':>9} {'delivered':>11} {'cpu ms/alert':>13}")
        for figures in runs:
            print(
                f"{figures['rate_target_per_s']:>9g} {figures.get('p50_ms', '-'):>9} "
                f"{figures.get('p99_ms', '-'):>9} "
                f"{figures['delivered_to_healthy']:>5}/{figures['sent_to_healthy']:<5} "
                f"{figures['worker_cpu_ms_per_alert']:>13}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
