"""The stream processor agent: decode, dead-letter bad input, run the rules, emit alerts."""

from __future__ import annotations

import faust
import structlog

from schemas.deadletter import DeadLetter
from streams.app import Channels
from streams.settings import Settings
from streams.wire import decode_message, encode, shipment_key

log = structlog.get_logger(__name__)

BATCH_MAX = 2000
BATCH_WITHIN_S = 0.05


def register_processor(app: faust.App, channels: Channels, settings: Settings) -> None:
    """Declare the processing agent over the input topics."""

    @app.agent(channels.inputs, name="process")
    async def process(stream: faust.StreamT[bytes]) -> None:
        async for events in stream.noack_take(BATCH_MAX, within=BATCH_WITHIN_S):
            for event in events:
                outcome = decode_message(settings, event.message)
                if isinstance(outcome, DeadLetter):
                    await channels.deadletter.send(
                        key=shipment_key(outcome.key), value=encode(outcome)
                    )
            for event in events:
                await stream.ack(event)
