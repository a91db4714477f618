"""Worker logs: filtered by the configured level, one JSON object per event on stderr."""

from __future__ import annotations

import json

import pytest
import structlog

from streams.logging_setup import configure_logging


def test_events_below_the_level_are_dropped_and_the_rest_are_json(
    capsys: pytest.CaptureFixture[str],
) -> None:
    try:
        configure_logging("info")
        log = structlog.get_logger("test").bind(shipment_id="SHP-1")
        log.debug("sink.flushed", rows=3)
        log.warning("webhook.retry", attempt=2)
        lines = capsys.readouterr().err.splitlines()
        assert len(lines) == 1
        event = json.loads(lines[0])
        assert event["event"] == "webhook.retry" and event["level"] == "warning"
        assert event["shipment_id"] == "SHP-1" and event["attempt"] == 2
    finally:
        structlog.reset_defaults()
