"""Faust's own ceiling: an agent of the pipeline's app configuration that only iterates events.

Run as ``python -m streams.bench.ceiling`` with the usual ``CRYOTRACE_*`` environment; its
consumer group is ``<app id>-ceiling``. Nothing is decoded and nothing is written: what it
reaches is the most any agent fed message by message by Faust reaches on this machine.
"""

from __future__ import annotations

from typing import Any

import faust

from streams.app import create_app, declare_channels
from streams.settings import Settings, get_settings

CEILING_SUFFIX = "-ceiling"


def build_app(settings: Settings) -> faust.App:
    """The pipeline's Faust app settings, one agent over the input topics that does nothing."""
    app = create_app(
        settings.model_copy(update={"app_id": settings.app_id + CEILING_SUFFIX}), "process"
    )
    channels = declare_channels(app, settings)

    @app.agent(channels.inputs, name="ceiling")
    async def ceiling(stream: Any) -> None:
        async for _event in stream.events():  # acked as the iteration moves on
            pass

    return app


def main() -> None:
    app = build_app(get_settings())
    faust.Worker(app, loglevel="warning", quiet=True).execute_from_commandline()


if __name__ == "__main__":
    main()
