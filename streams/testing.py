"""Test helpers shipped beside the code: real worker processes on isolated topics."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from streams.settings import Settings
from streams.supervise import WorkerProcess, settings_env, wait_until

__all__ = ["WorkerProcess", "running_worker", "settings_env", "wait_until"]


@contextmanager
def running_worker(
    settings: Settings, role: str, log_path: Path, extra_env: Mapping[str, str] | None = None
) -> Iterator[WorkerProcess]:
    """Run a worker for the duration of a ``with`` block; always stopped afterwards."""
    worker = WorkerProcess(settings, role, log_path, extra_env or {})
    try:
        yield worker
    finally:
        worker.stop()
