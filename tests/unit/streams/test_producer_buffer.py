"""Faust's producer buffer: its size counted as before, the app's settings read once."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

from faust.transport.producer import ProducerBuffer

from streams.app import create_app
from streams.settings import Settings

SETTINGS = Settings(app_id="buffer", topic_prefix="buffer")


class CountingConf:
    """An app's settings that count how often ``producer_threaded`` is read."""

    def __init__(self, threaded: bool) -> None:
        self.threaded = threaded
        self.reads = 0

    @property
    def producer_threaded(self) -> bool:
        self.reads += 1
        return self.threaded


def buffer_with(conf: CountingConf) -> Any:
    """A worker app's producer buffer, its app's settings replaced by ``conf``."""
    buffer = create_app(SETTINGS, "process").producer.buffer
    buffer.app = SimpleNamespace(conf=conf)
    return buffer


def test_the_workers_buffer_counts_its_pending_messages_reading_the_setting_once() -> None:
    conf = CountingConf(threaded=False)
    buffer = buffer_with(conf)
    assert isinstance(buffer, ProducerBuffer)
    assert buffer.size == 0
    for n in range(3):
        buffer.pending.put_nowait(object())
        assert buffer.size == n + 1
    assert conf.reads == 1


def test_a_threaded_producers_buffer_counts_the_threads_queue() -> None:
    conf = CountingConf(threaded=True)
    buffer = buffer_with(conf)
    assert buffer.size == 0  # no queue yet
    buffer.queue = asyncio.Queue()
    for _ in range(2):
        buffer.queue.put_nowait(object())
    buffer.pending.put_nowait(object())  # not what a threaded producer counts
    assert buffer.size == 2
    assert conf.reads == 1


def test_wait_until_ebb_returns_at_once_with_the_buffer_at_its_limit() -> None:
    buffer = buffer_with(CountingConf(threaded=False))
    for _ in range(buffer.max_messages):
        buffer.pending.put_nowait(object())
    asyncio.run(asyncio.wait_for(buffer.wait_until_ebb(), timeout=1))
    assert buffer.size == buffer.max_messages
