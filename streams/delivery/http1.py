"""A minimal HTTP/1.1 client for webhook POSTs: keep-alive connections to one endpoint on asyncio protocols."""

from __future__ import annotations

import asyncio
import base64
import ssl
from collections import deque
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

__all__ = ["Endpoint", "Http1Error", "Http1Pool", "Response"]

MAX_HEAD_BYTES = 64 * 1024
MAX_BODY_BYTES = 1024 * 1024
"""Response bodies are read and discarded; a longer one closes the connection."""


class Http1Error(ConnectionError):
    """A response that is not HTTP/1.x, too large, or a connection closed before it ended."""


@dataclass(frozen=True, slots=True)
class Response:
    """What a webhook sender needs of a response: its status and ``Retry-After``."""

    status: int
    retry_after: str | None


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where requests go and the constant start of every request head."""

    host: str
    port: int
    tls: bool
    head: bytes
    """``POST <target> HTTP/1.1`` and the headers every request carries, CRLF-terminated."""

    @classmethod
    def parse(cls, url: str, fixed_headers: dict[str, str]) -> Endpoint:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("webhook URL must be http:// or https:// with a host")
        tls = parts.scheme == "https"
        port = parts.port or (443 if tls else 80)
        host = parts.hostname
        authority = f"[{host}]" if ":" in host else host
        if parts.port is not None:
            authority += f":{parts.port}"
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        lines = [f"POST {target} HTTP/1.1", f"host: {authority}"]
        if parts.username is not None:
            userinfo = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
            lines.append("authorization: Basic " + base64.b64encode(userinfo.encode()).decode())
        lines += [f"{name}: {value}" for name, value in fixed_headers.items()]
        return cls(host, port, tls, ("\r\n".join(lines) + "\r\n").encode("latin-1"))


class _Connection(asyncio.Protocol):
    """One keep-alive connection: one request at a time, its response parsed as it arrives."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.reusable = False
        self.received_any = False
        self._buffer = bytearray()
        self._waiter: asyncio.Future[Response] | None = None
        self._response: Response | None = None
        self._remaining = 0  # body bytes still expected (content-length)
        self._mode = "head"  # head | length | chunked | close

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def request(self, data: bytes) -> asyncio.Future[Response]:
        assert self.transport is not None
        self._waiter = asyncio.get_running_loop().create_future()
        self._buffer.clear()
        self._mode = "head"
        self.reusable = False
        self.received_any = False
        self.transport.write(data)
        return self._waiter

    def abort(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.abort()

    def data_received(self, data: bytes) -> None:
        self.received_any = True
        self._buffer += data
        try:
            self._parse()
        except Http1Error as exc:
            self._fail(exc)
            self.abort()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self._mode == "close" and self._response is not None:
            self._done()
        else:
            self._fail(Http1Error("connection closed before the response ended"))

    def _parse(self) -> None:
        while self._waiter is not None and not self._waiter.done():
            if self._mode == "head" and not self._parse_head():
                return
            if self._mode == "length":
                taken = min(self._remaining, len(self._buffer))
                del self._buffer[:taken]
                self._remaining -= taken
                if self._remaining:
                    return
                self._done()
            elif self._mode == "chunked":
                if not self._parse_chunks():
                    return
                self._done()
            elif self._mode == "close":
                if len(self._buffer) > MAX_BODY_BYTES:
                    raise Http1Error("response body too large")
                self._buffer.clear()
                return

    def _parse_head(self) -> bool:
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(self._buffer) > MAX_HEAD_BYTES:
                raise Http1Error("response head too large")
            return False
        head = bytes(self._buffer[:end]).decode("latin-1")
        del self._buffer[: end + 4]
        status_line, *lines = head.split("\r\n")
        version, _, rest = status_line.partition(" ")
        if not version.startswith("HTTP/1.") or not rest[:3].isdigit():
            raise Http1Error("not an HTTP/1.x response")
        status = int(rest[:3])
        headers: dict[str, str] = {}
        for line in lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if 100 <= status < 200:  # interim (100 Continue): the real response follows
            return True
        connection = headers.get("connection", "").lower()
        keep_alive = "close" not in connection and (
            version != "HTTP/1.0" or "keep-alive" in connection
        )
        self._response = Response(status, headers.get("retry-after"))
        if status in (204, 304):
            self._mode, self._remaining = "length", 0
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            self._mode = "chunked"
        elif "content-length" in headers:
            try:
                self._remaining = int(headers["content-length"])
            except ValueError:
                raise Http1Error("bad content-length") from None
            if not 0 <= self._remaining <= MAX_BODY_BYTES:
                raise Http1Error("response body too large")
            self._mode = "length"
        else:
            self._mode, keep_alive = "close", False
        self.reusable = keep_alive
        return True

    def _parse_chunks(self) -> bool:
        """Consume whole chunks; True once the last chunk and the trailers are in."""
        while True:
            line_end = self._buffer.find(b"\r\n")
            if line_end < 0:
                if len(self._buffer) > MAX_HEAD_BYTES:
                    raise Http1Error("bad chunk")
                return False
            size_text = bytes(self._buffer[:line_end]).split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise Http1Error("bad chunk size") from None
            if size > MAX_BODY_BYTES:
                raise Http1Error("response body too large")
            if size == 0:  # the last chunk; trailers (if any) end with an empty line
                end = self._buffer.find(b"\r\n\r\n", line_end)
                if end < 0:
                    return False
                del self._buffer[: end + 4]
                return True
            if len(self._buffer) < line_end + 2 + size + 2:
                return False
            del self._buffer[: line_end + 2 + size + 2]

    def _done(self) -> None:
        waiter, response = self._waiter, self._response
        self._mode, self._response = "head", None
        if self._buffer:  # bytes after the response: the connection is out of step
            self.reusable = False
        if waiter is not None and not waiter.done() and response is not None:
            waiter.set_result(response)

    def _fail(self, exc: Exception) -> None:
        self.reusable = False
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(exc)


class Http1Pool:
    """Keep-alive connections to one endpoint, opened on demand and reused; at most
    ``max_idle`` are kept open between requests. Callers bound the requests in flight."""

    def __init__(self, endpoint: Endpoint, *, max_idle: int) -> None:
        self.endpoint = endpoint
        self._max_idle = max_idle
        self._idle: deque[_Connection] = deque()
        self._busy: set[_Connection] = set()
        self._ssl = ssl.create_default_context() if endpoint.tls else None

    async def post(self, headers: bytes, body: bytes) -> Response:
        """POST ``body`` with ``headers`` (CRLF-terminated lines) after the fixed head.

        A reused connection that the server closed while idle (nothing received) is
        replaced once by a fresh one; receivers deduplicate by ``webhook-id`` anyway."""
        data = b"".join(
            (self.endpoint.head, headers, b"content-length: %d\r\n\r\n" % len(body), body)
        )
        connection = self._take_idle()
        if connection is not None:
            try:
                return await self._exchange(connection, data)
            except Http1Error:
                if connection.received_any:
                    raise
        return await self._exchange(await self._open(), data)

    async def _exchange(self, connection: _Connection, data: bytes) -> Response:
        self._busy.add(connection)
        try:
            response = await connection.request(data)
        except BaseException:
            connection.abort()
            raise
        finally:
            self._busy.discard(connection)
        if connection.reusable and not connection.closed and len(self._idle) < self._max_idle:
            self._idle.append(connection)
        else:
            connection.abort()
        return response

    def _take_idle(self) -> _Connection | None:
        while self._idle:
            connection = self._idle.pop()
            if not connection.closed:
                return connection
        return None

    async def _open(self) -> _Connection:
        loop = asyncio.get_running_loop()
        endpoint = self.endpoint
        _, protocol = await loop.create_connection(
            _Connection,
            endpoint.host,
            endpoint.port,
            ssl=self._ssl,
            server_hostname=endpoint.host if self._ssl is not None else None,
        )
        return protocol

    def close(self) -> None:
        """Close every connection (requests in flight fail)."""
        for connection in [*self._idle, *self._busy]:
            connection.abort()
        self._idle.clear()
        self._busy.clear()
