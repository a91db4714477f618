"""Supervise worker processes: start ``cryotrace worker`` children, wait on conditions, stop them."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel

from streams.settings import Settings

T = TypeVar("T")


def settings_env(settings: Settings) -> dict[str, str]:
    """Environment variables that make a child process see the same settings (secrets
    included): the connection, topics and log level, and every set field of the
    ``stream`` and ``warehouse`` sections (a bench or test changes those for its workers)."""
    env = {
        "CRYOTRACE_APP_ID": settings.app_id,
        "CRYOTRACE_KAFKA_BOOTSTRAP": settings.kafka.bootstrap,
        "CRYOTRACE_TOPIC_PREFIX": settings.topics.prefix,
        "CRYOTRACE_TOPICS__PARTITIONS": str(settings.topics.partitions),
        "CRYOTRACE_WAREHOUSE_URL": settings.warehouse.url,
        "CRYOTRACE_LOG_LEVEL": settings.log_level,
        **_section_env("WAREHOUSE", settings.warehouse),
        **_section_env("STREAM", settings.stream),
    }
    kafka = settings.kafka
    env["CRYOTRACE_KAFKA__SECURITY_PROTOCOL"] = kafka.security_protocol
    if kafka.sasl_mechanism:
        env["CRYOTRACE_KAFKA__SASL_MECHANISM"] = kafka.sasl_mechanism
        env["CRYOTRACE_KAFKA__SASL_USERNAME"] = kafka.sasl_username or ""
        if kafka.sasl_password:
            env["CRYOTRACE_KAFKA__SASL_PASSWORD"] = kafka.sasl_password.get_secret_value()
    return env


def _section_env(name: str, section: BaseModel) -> dict[str, str]:
    """``CRYOTRACE_<NAME>__<FIELD>`` for every field of a section of plain values that is set
    (an unset optional field stays unset: the child applies its own default)."""
    env = {}
    for field, value in section.model_dump().items():
        if value is None:
            continue
        text = str(value).lower() if isinstance(value, bool) else str(value)
        env[f"CRYOTRACE_{name}__{field.upper()}"] = text
    return env


class WorkerProcess:
    """A ``cryotrace worker`` child process with its output in a log file."""

    def __init__(
        self,
        settings: Settings,
        role: str,
        log_path: Path,
        extra_env: Mapping[str, str] | None = None,
        web_port: int | None = None,
    ) -> None:
        self.log_path = log_path
        env = {**os.environ, **settings_env(settings), **dict(extra_env or {})}
        env.pop("CRYOTRACE_HOME", None)
        self._log = log_path.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streams.cli",
                "worker",
                "--role",
                role,
                *(["--web-port", str(web_port)] if web_port else []),
            ],
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL, as a crash would."""
        if self.alive():
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self, timeout: float = 60.0) -> int:
        """SIGTERM and wait for a clean exit (SIGKILL after timeout); returns the exit code."""
        if self.alive():
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log.close()
        return self.process.returncode

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(
    probe: Callable[[], T | None], timeout: float, what: str, interval: float = 0.2
) -> T:
    """Poll ``probe`` until it returns something truthy; on timeout fail naming ``what``."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what} (last: {last!r})")
