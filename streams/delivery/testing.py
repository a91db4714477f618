"""Test helpers: real HTTP endpoints with scripted answers; a table, a sender and a clock for tests without them."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from aiohttp import web

from alerts.webhooks.signing import SignatureError, WebhookSecret, verify
from streams.delivery.sender import AttemptResult

__all__ = [
    "AnsweringSender",
    "ManualClock",
    "MemoryTable",
    "Reply",
    "Request",
    "ScriptedEndpoint",
    "running_endpoints",
]


@dataclass(frozen=True)
class Reply:
    """How to answer one request: a status after ``delay_s`` seconds, with extra headers."""

    status: int = 200
    delay_s: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Request:
    """One request as received: headers (lower-case), body, arrival time, signature check."""

    headers: dict[str, str]
    body: bytes
    received_at: float
    verified: bool

    @property
    def webhook_id(self) -> str:
        return self.headers.get("webhook-id", "")


class ScriptedEndpoint:
    """An endpoint answering its n-th request (1-based) with ``script(n)``; records them all."""

    def __init__(
        self, name: str, secret: WebhookSecret, script: Callable[[int], Reply] | None = None
    ) -> None:
        self.name = name
        self.secret = secret
        self.script = script or (lambda _: Reply())
        self.requests: list[Request] = []
        self.url = ""
        self._lock = threading.Lock()

    def accepted(self) -> list[Request]:
        """Requests answered 2xx in order (by the script's reply for their number)."""
        with self._lock:
            return [r for n, r in enumerate(self.requests, 1) if 200 <= self.script(n).status < 300]

    def snapshot(self) -> list[Request]:
        with self._lock:
            return list(self.requests)

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers = {k.lower(): v for k, v in request.headers.items()}
        now = time.time()
        try:
            verify([self.secret], headers, body, now=now)
            ok = True
        except SignatureError:
            ok = False
        with self._lock:
            self.requests.append(Request(headers, body, now, ok))
            number = len(self.requests)
        reply = self.script(number)
        if reply.delay_s:
            await asyncio.sleep(reply.delay_s)
        return web.Response(status=reply.status, headers=reply.headers, text="{}")


@contextmanager
def running_endpoints(*endpoints: ScriptedEndpoint) -> Iterator[tuple[ScriptedEndpoint, ...]]:
    """Serve every endpoint on its own 127.0.0.1 port from one background event loop."""
    loop = asyncio.new_event_loop()
    runners: list[web.AppRunner] = []
    started = threading.Event()

    async def start() -> None:
        for endpoint in endpoints:
            app = web.Application()
            app.router.add_post("/{tail:.*}", endpoint.handle)
            runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            host, port = runner.addresses[0][:2]
            endpoint.url = f"http://{host}:{port}/hooks/{endpoint.name}"
            runners.append(runner)

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(start())
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, name="webhook-endpoints", daemon=True)
    thread.start()
    if not started.wait(10):
        raise RuntimeError("webhook test endpoints did not start")
    try:
        yield endpoints
    finally:

        async def stop() -> None:
            for runner in runners:
                await runner.cleanup()

        asyncio.run_coroutine_threadsafe(stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


class MemoryTable:
    """The part of a Faust table the delivery stores use, in memory (call it on a running
    event loop). ``changelog`` lists the records sent. Each is acknowledged at once or,
    with ``hold=True``, only when :meth:`answer` says so: a broker answering later, or
    failing."""

    def __init__(self, *, hold: bool = False) -> None:
        self.data: dict[bytes, bytes] = {}
        self.changelog: list[tuple[int, bytes, bytes | None]] = []
        self._hold = hold
        self._unanswered: list[asyncio.Future[None]] = []

    def send_changelog(
        self, partition: int, key: bytes, value: bytes | None
    ) -> asyncio.Future[None]:
        self.changelog.append((partition, key, value))
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self._hold:
            self._unanswered.append(future)
        else:
            future.set_result(None)
        return future

    def answer(self, error: Exception | None = None) -> int:
        """Acknowledge every record held so far (or fail them with ``error``); returns how
        many were answered."""
        unanswered, self._unanswered = self._unanswered, []
        for future in unanswered:
            if error is None:
                future.set_result(None)
            else:
                future.set_exception(error)
        return len(unanswered)


class AnsweringSender:
    """A lane's sender without HTTP: every attempt gets ``result``; ``sent`` lists the
    webhook ids in order."""

    def __init__(self, result: AttemptResult) -> None:
        self.result = result
        self.sent: list[str] = []

    async def send(self, msg_id: str, body: bytes) -> AttemptResult:
        self.sent.append(msg_id)
        return self.result

    async def aclose(self) -> None:
        pass


class ManualClock:
    """A clock the test moves by hand (epoch seconds)."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
