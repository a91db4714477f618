"""A sink worker yields the CPU to the alert path: every thread of it runs at a lower priority."""

from __future__ import annotations

import os
from pathlib import Path

from streams.kafka_clients import ensure_topics
from streams.settings import Settings
from streams.testing import running_worker, wait_until


def _nice_of_threads(pid: int) -> set[int]:
    """The nice value of every thread of a process (field 19 of /proc/<pid>/task/<tid>/stat)."""
    values = set()
    for tid in os.listdir(f"/proc/{pid}/task"):
        stat = Path(f"/proc/{pid}/task/{tid}/stat").read_text()
        values.add(int(stat.rsplit(")", 1)[1].split()[16]))
    return values


def test_the_sink_runs_below_the_processor(isolated_settings: Settings, tmp_path: Path) -> None:
    settings = isolated_settings.model_copy(
        update={"warehouse": isolated_settings.warehouse.model_copy(update={"nice": 7})}
    )
    ensure_topics(settings)
    base = os.getpriority(os.PRIO_PROCESS, 0)
    with (
        running_worker(settings, "process", tmp_path / "process.log") as processor,
        running_worker(settings, "sink", tmp_path / "sink.log") as sink,
    ):
        # both fully started: Faust's threads (the consumer's, the sink's flush pool) exist
        wait_until(lambda: "Ready" in processor.output(), 120, "the processor to start")
        wait_until(lambda: "sink.ready" in sink.output(), 120, "the sink to start")
        sink_nice, processor_nice = _nice_of_threads(sink.pid), _nice_of_threads(processor.pid)
    assert sink_nice == {min(base + 7, 19)}
    assert processor_nice == {base}
