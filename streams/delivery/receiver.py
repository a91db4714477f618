"""A reference webhook receiver: verifies Standard Webhooks signatures, drops replays, keeps alerts."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import orjson
import structlog
from aiohttp import web
from pydantic import ValidationError

from alerts.webhooks.signing import DEFAULT_TOLERANCE_S, SignatureError, WebhookSecret, verify
from schemas.alert import Alert

__all__ = ["ReceivedAlert", "WebhookReceiver", "create_receiver_app"]

log = structlog.get_logger(__name__)

MAX_BODY_BYTES = 1_000_000


@dataclass(frozen=True, slots=True)
class ReceivedAlert:
    """One accepted request: its webhook id, when it arrived, the alert."""

    webhook_id: str
    received_at: float
    alert: Alert


@dataclass
class WebhookReceiver:
    """Verification and replay protection, independent of the HTTP server.

    A request is accepted once per ``webhook-id``: ids are remembered for twice the
    timestamp tolerance (an older replay already fails the timestamp check)."""

    secrets: list[WebhookSecret]
    tolerance_s: float = DEFAULT_TOLERANCE_S
    clock: Callable[[], float] = time.time
    sink: Callable[[ReceivedAlert], None] = lambda _: None
    _seen: OrderedDict[str, float] = field(default_factory=OrderedDict)

    def remember(self, ids: Iterable[str]) -> None:
        """Treat ``ids`` as already received (e.g. from a store file)."""
        now = self.clock()
        for msg_id in ids:
            self._seen[msg_id] = now

    def handle(self, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str]]:
        """HTTP status and JSON answer for one request."""
        now = self.clock()
        try:
            msg_id = verify(self.secrets, headers, body, now=now, tolerance_s=self.tolerance_s)
        except SignatureError as exc:
            log.warning("receiver.rejected", reason=str(exc))
            return 401, {"error": str(exc)}
        self._forget_older_than(now - 2 * self.tolerance_s)
        if msg_id in self._seen:
            log.warning("receiver.replay", webhook_id=msg_id)
            # not processed again; 2xx so that a sender whose answer got lost stops retrying
            return 200, {"status": "duplicate", "webhook_id": msg_id}
        try:
            alert = Alert.model_validate_json(body)
        except ValidationError:
            return 400, {"error": "body is not a cryotrace alert"}
        self._seen[msg_id] = now
        self.sink(ReceivedAlert(msg_id, now, alert))
        return 200, {"status": "accepted", "webhook_id": msg_id}

    def _forget_older_than(self, limit: float) -> None:
        while self._seen:
            msg_id, seen_at = next(iter(self._seen.items()))
            if seen_at >= limit:
                break
            self._seen.pop(msg_id)


def create_receiver_app(receiver: WebhookReceiver) -> web.Application:
    """An aiohttp application answering POST on any path."""

    async def on_post(request: web.Request) -> web.Response:
        body = await request.content.read(MAX_BODY_BYTES + 1)
        if len(body) > MAX_BODY_BYTES:
            return web.json_response({"error": "body too large"}, status=413)
        headers = {k.lower(): v for k, v in request.headers.items()}
        status, answer = receiver.handle(headers, body)
        return web.json_response(answer, status=status)

    app = web.Application(client_max_size=MAX_BODY_BYTES + 1)
    app.router.add_post("/{tail:.*}", on_post)
    return app


def jsonl_sink(out: IO[str]) -> Callable[[ReceivedAlert], None]:
    """Write each accepted alert as one JSON line ``{"webhook_id", "received_at", "alert"}``."""

    def write(received: ReceivedAlert) -> None:
        line = orjson.dumps(
            {
                "webhook_id": received.webhook_id,
                "received_at": received.received_at,
                "alert": received.alert.model_dump(mode="json"),
            }
        ).decode()
        out.write(line + "\n")
        out.flush()

    return write


def stored_ids(path: Path) -> list[str]:
    """Webhook ids already in a store file (so a restarted receiver still drops replays)."""
    if not path.exists():
        return []
    ids = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            ids.append(str(orjson.loads(line)["webhook_id"]))
        except (orjson.JSONDecodeError, KeyError, TypeError):
            continue
    return ids
