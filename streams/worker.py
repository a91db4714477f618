"""Build and run one worker process: the app for a role with its agents declared."""

from __future__ import annotations

import os

import faust
import structlog

from alerts.compiled import active as rules_compiled
from streams.app import Role, create_app, declare_channels
from streams.gc_tuning import PauseWatch, tune_gc
from streams.heap_tuning import fix_mmap_threshold
from streams.kafka_clients import ensure_topics
from streams.logging_setup import configure_logging
from streams.settings import Settings

GC_LOG_EVERY_S = 1.0
"""How often a worker logs the collector's long pauses (``streams.gc_tuning.PauseWatch``)."""


def build_worker_app(
    settings: Settings, role: Role = "all", *, web_port: int | None = None
) -> faust.App:
    """The app of one worker with the agents of its role."""
    from streams.delivery.agent import register_delivery
    from streams.process_agent import register_processor
    from streams.sink_agent import register_sink

    app = create_app(settings, role, web_port=web_port)
    channels = declare_channels(app, settings)
    if role in ("all", "process"):
        register_processor(app, channels, settings)
    if role in ("all", "sink"):
        register_sink(app, channels, settings)
    if role == "deliver" or (role == "all" and settings.delivery.subscriptions):
        register_delivery(app, channels, settings)

    pauses = PauseWatch()

    @app.task  # type: ignore[untyped-decorator]  # faust's decorator is untyped
    async def collect_less() -> None:
        """Once the worker runs: start-up objects out of the collector's sight, rarer passes,
        each timed."""
        tune_gc()
        pauses.start()

    @app.timer(interval=GC_LOG_EVERY_S)  # type: ignore[untyped-decorator]  # faust's decorator is untyped
    async def log_gc_pauses() -> None:
        """The collector's long pauses since the last look, logged outside the collector."""
        pauses.log_long()

    return app


def priority_step(settings: Settings, role: Role) -> int:
    """How much lower the worker's CPU priority goes (``os.nice`` increment): a sink worker's
    ``warehouse.nice``; every other role keeps its priority (alerts and webhooks are what
    couriers wait for; a worker of every role holds the alert path too)."""
    return settings.warehouse.nice if role == "sink" else 0


def run_worker(settings: Settings, role: Role = "all", *, web_port: int | None = None) -> None:
    """Create the topics if missing, then run the Faust worker until SIGTERM/SIGINT."""
    step = priority_step(settings, role)
    if step:
        os.nice(step)  # before any thread starts: every thread of the worker inherits it
    # before the consumer's first fetch: its responses are the first large blocks glibc frees
    threshold = settings.stream.mmap_threshold_bytes
    fixed = fix_mmap_threshold(threshold)
    configure_logging(settings.log_level)
    log = structlog.get_logger(__name__)
    log.info("worker.heap", mmap_threshold_bytes=threshold, fixed=fixed)
    # which the rule modules run as (alerts.compiled): a stale build runs as Python, slower
    log.info("worker.rules", compiled=rules_compiled(), role=role)
    ensure_topics(settings)
    app = build_worker_app(settings, role, web_port=web_port)
    worker = faust.Worker(app, loglevel=settings.log_level.lower(), quiet=True)
    worker.execute_from_commandline()
