"""Prometheus metrics of a worker: one registry, named once, updated by the agents."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

EVENTS_IN = Counter("cryotrace_events_in", "Input messages consumed", ["topic"], registry=REGISTRY)
ALERTS_OUT = Counter(
    "cryotrace_alerts", "Alert versions emitted", ["type", "status"], registry=REGISTRY
)
DEAD_LETTERS = Counter(
    "cryotrace_dead_letters", "Dead letters emitted", ["reason"], registry=REGISTRY
)
CONSUMER_LAG = Gauge(
    "cryotrace_consumer_lag",
    "Messages between the committed offset and the log end on assigned partitions",
    registry=REGISTRY,
)
SINK_BATCH_SECONDS = Histogram(
    "cryotrace_sink_batch_seconds",
    "Warehouse flush time per micro-batch",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
    registry=REGISTRY,
)
GC_PAUSE_SECONDS = Histogram(
    "cryotrace_gc_pause_seconds",
    "Time the garbage collector held the worker, per collection",
    ["generation"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
    registry=REGISTRY,
)
WEBHOOK_OUTCOMES = Counter(
    "cryotrace_webhook_deliveries", "Webhook delivery attempts", ["outcome"], registry=REGISTRY
)
OWNED_SHIPMENTS = Gauge(
    "cryotrace_owned_shipments", "Shipment states cached by this worker", registry=REGISTRY
)
