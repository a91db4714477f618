"""The HTTP side of one endpoint: signed POSTs over a pooled client, bounded in time."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import aiohttp
import httpx

from alerts.webhooks.signing import WebhookSecret, signature_headers
from streams.delivery.http1 import Endpoint, Http1Pool

__all__ = [
    "USER_AGENT",
    "AiohttpSender",
    "AttemptResult",
    "Http1Sender",
    "HttpClient",
    "HttpxSender",
    "WebhookSender",
    "make_sender",
]

USER_AGENT = "cryotrace-webhooks/1"
HttpClient = Literal["http1", "aiohttp", "httpx"]


@dataclass(frozen=True, slots=True)
class AttemptResult:
    """What one POST got: the HTTP status (None without a response), a short error, timing."""

    status: int | None
    error: str | None
    duration_ms: float
    retry_after: str | None = None


class WebhookSender:
    """Posts signed alert bodies to one endpoint with at most ``concurrency`` requests in
    flight and ``timeout_s`` per request from connect to the last byte of the response.

    Errors are reported, never raised; they name the failure, never the secret or headers.
    Subclasses bind an HTTP client library."""

    def __init__(
        self,
        url: str,
        secret: WebhookSecret,
        *,
        timeout_s: float,
        concurrency: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.url = url
        self._secret = secret
        self._timeout_s = timeout_s
        self._concurrency = concurrency
        self._clock = clock
        self._connect()

    def _connect(self) -> None:
        """Create the client's connection pool (subclasses whose pool needs no running loop)."""

    async def send(self, msg_id: str, body: bytes) -> AttemptResult:
        """POST ``body`` signed for ``msg_id`` at the current time."""
        headers = signature_headers(self._secret, msg_id, int(self._clock()), body)
        headers["user-agent"] = USER_AGENT
        headers["content-type"] = "application/json"
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self._timeout_s):
                status, retry_after = await self._post(headers, body)
        except (TimeoutError, httpx.TimeoutException):
            return AttemptResult(None, f"timeout after {self._timeout_s:g} s", _ms(started))
        except (httpx.HTTPError, aiohttp.ClientError, OSError, ValueError) as exc:
            # an endpoint URL may carry a token: it never goes into an error text
            error = _describe(exc).replace(self.url, "<url>")
            return AttemptResult(None, error, _ms(started))
        ok = 200 <= status < 300
        return AttemptResult(status, None if ok else f"HTTP {status}", _ms(started), retry_after)

    async def _post(self, headers: dict[str, str], body: bytes) -> tuple[int, str | None]:
        raise NotImplementedError

    async def aclose(self) -> None:
        """Close the connection pool."""


class HttpxSender(WebhookSender):
    """The sender on httpx (simple, typed; about 5x slower per request than aiohttp here)."""

    def _connect(self) -> None:
        concurrency = self._concurrency
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(self._timeout_s),
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
            follow_redirects=False,
        )

    async def _post(self, headers: dict[str, str], body: bytes) -> tuple[int, str | None]:
        response = await self._client.post(self.url, content=body, headers=headers)
        return response.status_code, response.headers.get("retry-after")

    async def aclose(self) -> None:
        await self._client.aclose()


class AiohttpSender(WebhookSender):
    """The sender on aiohttp's client (already installed with Faust)."""

    _session: aiohttp.ClientSession | None = None

    async def _post(self, headers: dict[str, str], body: bytes) -> tuple[int, str | None]:
        if self._session is None:  # a session belongs to the running loop: made lazily
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(
                    limit=self._concurrency, limit_per_host=self._concurrency
                ),
                timeout=aiohttp.ClientTimeout(total=self._timeout_s),
                skip_auto_headers=("User-Agent",),
            )
        async with self._session.post(
            self.url, data=body, headers=headers, allow_redirects=False
        ) as response:
            await response.read()
            return response.status, response.headers.get("retry-after")

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()


class Http1Sender(WebhookSender):
    """The sender on :mod:`streams.delivery.http1`: keep-alive HTTP/1.1 connections on
    asyncio's own transports (the default; about a quarter of aiohttp's CPU per request)."""

    def _connect(self) -> None:
        self._pool = Http1Pool(Endpoint.parse(self.url, {}), max_idle=self._concurrency)

    async def _post(self, headers: dict[str, str], body: bytes) -> tuple[int, str | None]:
        head = "".join([f"{name}: {value}\r\n" for name, value in headers.items()])
        response = await self._pool.post(head.encode("latin-1"), body)
        return response.status, response.retry_after

    async def aclose(self) -> None:
        self._pool.close()


def make_sender(
    client: HttpClient,
    url: str,
    secret: WebhookSecret,
    *,
    timeout_s: float,
    concurrency: int,
    clock: Callable[[], float] = time.time,
) -> WebhookSender:
    """A sender on the configured HTTP client library."""
    kinds: dict[str, type[WebhookSender]] = {
        "http1": Http1Sender,
        "aiohttp": AiohttpSender,
        "httpx": HttpxSender,
    }
    kind = kinds[client]
    return kind(url, secret, timeout_s=timeout_s, concurrency=concurrency, clock=clock)


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000.0, 3)


def _describe(exc: BaseException) -> str:
    """Exception class and message, short; client messages carry no headers or secrets."""
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}"[:200] if text else type(exc).__name__
