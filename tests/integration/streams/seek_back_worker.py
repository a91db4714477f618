"""A worker of the pipeline's app settings whose agent seeks one partition back mid-stream.

Run as ``python seek_back_worker.py OUT FROM AT`` with the usual ``CRYOTRACE_*`` environment:
over partition 0 of the telemetry topic, once offset AT is handed over it calls
``continuity.read_again`` back to FROM, then writes every offset handed over (JSON) to OUT
when the partition's end has come again and nothing more arrives for a second.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

import faust
from faust.types import TP

from streams.app import create_app
from streams.continuity import read_again
from streams.settings import get_settings
from streams.topics import Topic, topic_name


def main() -> None:
    out, back_to, at = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    settings = get_settings()
    app = create_app(settings, "process")
    name = topic_name(settings, Topic.TELEMETRY)
    tp = TP(name, 0)
    handed: list[int] = []
    last = [time.monotonic()]
    sought = [False]

    @app.agent(app.topic(name, value_type=bytes), name="seek_back")
    async def seek_back(stream: Any) -> None:
        async for event in stream.events():
            if event.message.partition != 0:
                continue
            handed.append(event.message.offset)
            last[0] = time.monotonic()
            if event.message.offset == at and not sought[0]:
                sought[0] = True
                await read_again(app, tp, back_to)

    @app.timer(interval=0.5)  # type: ignore[untyped-decorator]  # faust's decorator is untyped
    async def report() -> None:
        if not sought[0] or out.exists() or time.monotonic() - last[0] < 1.0:
            return
        end = app.consumer.highwater(tp) - 1
        if end in handed[handed.index(at) :]:
            out.write_text(json.dumps(handed))

    sys.argv = [sys.argv[0]]
    asyncio.set_event_loop(asyncio.new_event_loop())
    faust.Worker(app, loglevel="warning", quiet=True).execute_from_commandline()


if __name__ == "__main__":
    main()
