"""The workers' Faust monitor: no per-message statistics, the stalled-stream clock kept."""

from __future__ import annotations

from types import SimpleNamespace

from faust.types import TP

from streams.app import create_app
from streams.lean_monitor import LeanMonitor
from streams.settings import Settings

SETTINGS = Settings(app_id="monitor", topic_prefix="monitor")
TOPIC_PARTITION = TP("monitor.telemetry.v1", 3)


def test_every_worker_app_gets_the_lean_monitor() -> None:
    for role in ("process", "sink", "deliver", "all"):
        assert isinstance(create_app(SETTINGS, role).monitor, LeanMonitor)


def test_it_keeps_when_a_stream_last_took_an_event_and_counts_nothing() -> None:
    monitor = create_app(SETTINGS, "process").monitor
    message = SimpleNamespace(time_in=None)
    stream = SimpleNamespace(task_owner=None)
    monitor.on_message_in(TOPIC_PARTITION, 7, message)
    state = monitor.on_stream_event_in(TOPIC_PARTITION, 7, stream, None)
    monitor.on_stream_event_out(TOPIC_PARTITION, 7, stream, None, state)
    monitor.on_message_out(TOPIC_PARTITION, 7, message)
    assert TOPIC_PARTITION in monitor.stream_inbound_time  # Faust's stalled-stream check
    assert monitor.messages_received_total == 0
    assert monitor.events_total == 0
    assert not monitor.events_by_stream
    assert not monitor.events_runtime
    assert message.time_in is None
