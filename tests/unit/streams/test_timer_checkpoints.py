"""When the checkpoint timer writes: every ``checkpoint_seconds``, or once the stream is idle."""

from __future__ import annotations

from streams.process_agent import timer_checkpoints
from streams.settings import StreamSettings

STREAM = StreamSettings(checkpoint_seconds=5.0, checkpoint_idle_seconds=1.0)


def test_a_stream_under_load_waits_for_checkpoint_seconds() -> None:
    # a batch 0.1 s ago, the last checkpoint 4.9 s ago: the agent's own next one is near
    assert not timer_checkpoints(STREAM, now=104.9, last_checkpoint=100.0, last_batch=104.8)
    assert timer_checkpoints(STREAM, now=105.0, last_checkpoint=100.0, last_batch=104.9)


def test_an_idle_stream_checkpoints_without_waiting_for_checkpoint_seconds() -> None:
    assert timer_checkpoints(STREAM, now=102.0, last_checkpoint=100.0, last_batch=101.0)
    assert not timer_checkpoints(STREAM, now=102.0, last_checkpoint=100.0, last_batch=101.5)


def test_the_defaults_checkpoint_every_ten_seconds_under_load_and_after_a_quiet_second() -> None:
    defaults = StreamSettings()
    assert (defaults.checkpoint_seconds, defaults.checkpoint_idle_seconds) == (10.0, 1.0)
    assert defaults.checkpoint_events == 50_000
