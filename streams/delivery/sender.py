"""The HTTP side of one endpoint: signed POSTs over a pooled httpx client, bounded in time."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from alerts.webhooks.signing import WebhookSecret, signature_headers

__all__ = ["USER_AGENT", "AttemptResult", "WebhookSender"]

USER_AGENT = "cryotrace-webhooks/1"


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

    Errors are reported, never raised; they name the failure, never the secret or headers."""

    def __init__(
        self,
        url: str,
        secret: WebhookSecret,
        *,
        timeout_s: float,
        concurrency: int,
        clock: Callable[[], float] = time.time,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = url
        self._secret = secret
        self._timeout_s = timeout_s
        self._clock = clock
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout_s),
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
            follow_redirects=False,
            headers={"user-agent": USER_AGENT, "content-type": "application/json"},
            transport=transport,
        )

    async def send(self, msg_id: str, body: bytes) -> AttemptResult:
        """POST ``body`` signed for ``msg_id`` at the current time."""
        headers = signature_headers(self._secret, msg_id, int(self._clock()), body)
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self._timeout_s):
                response = await self._client.post(self.url, content=body, headers=headers)
        except (TimeoutError, httpx.TimeoutException):
            return AttemptResult(None, f"timeout after {self._timeout_s:g} s", _ms(started))
        except httpx.HTTPError as exc:
            return AttemptResult(None, _describe(exc), _ms(started))
        return AttemptResult(
            response.status_code,
            None if response.is_success else f"HTTP {response.status_code}",
            _ms(started),
            response.headers.get("retry-after"),
        )

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000.0, 3)


def _describe(exc: httpx.HTTPError) -> str:
    """Exception class and message, short; httpx messages carry no headers or secrets."""
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}"[:200] if text else type(exc).__name__
