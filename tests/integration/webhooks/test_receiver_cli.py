"""``cryotrace webhook-receiver`` as a real process: accepts signed alerts once, rejects the rest."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from alerts.webhooks.messages import webhook_body
from alerts.webhooks.signing import WebhookSecret, signature_headers
from schemas.alert import Alert

SECRET = WebhookSecret.generate()
ALERT = Alert.model_validate(
    {
        "alert_id": "SHP-R1:lid_open:1",
        "version": 1,
        "status": "open",
        "type": "lid_open",
        "severity": "warning",
        "shipment_id": "SHP-R1",
        "opened_at": "2026-11-29T22:00:00Z",
        "updated_at": "2026-11-29T22:00:00Z",
        "message": "Lid open",
    }
)


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[tuple[str, Path, subprocess.Popen[bytes]]]:
    store = tmp_path / "alerts.jsonl"
    env = {**os.environ, "RECEIVER_SECRET": str(SECRET)}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streams.cli",
            "webhook-receiver",
            "--port",
            "0",
            "--secret-env",
            "RECEIVER_SECRET",
            "--store",
            str(store),
        ],
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
    )
    assert process.stderr is not None
    line = b""
    deadline = time.monotonic() + 30
    while b"listening on" not in line and time.monotonic() < deadline:
        line = process.stderr.readline()
    match = re.search(rb"http://[\d.]+:\d+/", line)
    assert match, f"receiver did not start: {line!r}"
    try:
        yield match.group(0).decode(), store, process
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(10)
        process.stderr.close()


def _post(url: str, body: bytes, msg_id: str, timestamp: int, **overrides: str) -> httpx.Response:
    headers = {**signature_headers(SECRET, msg_id, timestamp, body), **overrides}
    return httpx.post(url + "hooks", content=body, headers=headers, timeout=5)


def test_receiver_verifies_signature_timestamp_and_replays(
    receiver: tuple[str, Path, subprocess.Popen[bytes]],
) -> None:
    url, store, _ = receiver
    body = webhook_body(ALERT)
    now = int(time.time())

    accepted = _post(url, body, "msg_a", now)
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"

    replay = _post(url, body, "msg_a", now)
    assert replay.json()["status"] == "duplicate"

    signed = signature_headers(SECRET, "msg_b", now, body)
    tampered = body.replace(b"Lid open", b"Lid shut")
    assert httpx.post(url, content=tampered, headers=signed, timeout=5).status_code == 401
    assert _post(url, body, "msg_c", now - 3600).status_code == 401  # stale
    other = WebhookSecret.generate()
    forged = signature_headers(other, "msg_d", now, body)
    assert httpx.post(url, content=body, headers=forged, timeout=5).status_code == 401
    no_signature = httpx.post(url, content=body, timeout=5)
    assert no_signature.status_code == 401

    lines = [json.loads(line) for line in store.read_text().splitlines()]
    assert [line["webhook_id"] for line in lines] == ["msg_a"]
    assert Alert.model_validate(lines[0]["alert"]) == ALERT


def test_a_missing_secret_fails_at_start(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "NO_SUCH_SECRET"}
    result = subprocess.run(
        [sys.executable, "-m", "streams.cli", "webhook-receiver", "--secret-env", "NO_SUCH_SECRET"],
        env=env,
        capture_output=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert b"NO_SUCH_SECRET is not set" in result.stderr
