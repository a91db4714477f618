"""Build and run one worker process: the app for a role with its agents declared."""

from __future__ import annotations

import faust

from streams.app import Role, create_app, declare_channels
from streams.kafka_clients import ensure_topics
from streams.settings import Settings


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
    return app


def run_worker(settings: Settings, role: Role = "all", *, web_port: int | None = None) -> None:
    """Create the topics if missing, then run the Faust worker until SIGTERM/SIGINT."""
    ensure_topics(settings)
    app = build_worker_app(settings, role, web_port=web_port)
    worker = faust.Worker(app, loglevel=settings.log_level.lower(), quiet=True)
    worker.execute_from_commandline()
