"""The HTTP/1.1 client against raw local servers: framing, keep-alive, stale connections, errors."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest

from streams.delivery.http1 import Endpoint, Http1Error, Http1Pool

Answer = Callable[[int], list[bytes]]
"""The n-th request (1-based) on a server -> the byte pieces to write back, in order."""

HEADERS = b"webhook-id: msg_1\r\n"


class RawServer:
    """A TCP server reading whole requests and answering with scripted bytes; it records
    each request and the connection it came on."""

    def __init__(self, answer: Answer, *, close_after: bool = False) -> None:
        self.answer = answer
        self.close_after = close_after
        self.requests: list[tuple[int, bytes]] = []  # (connection number, raw request)
        self.connections = 0
        self.writers: list[asyncio.StreamWriter] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        number = self.connections
        self.writers.append(writer)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                body = await reader.readexactly(length)
                self.requests.append((number, head + body))
                for piece in self.answer(len(self.requests)):
                    writer.write(piece)
                    await writer.drain()
                    await asyncio.sleep(0.01)  # pieces arrive in separate reads
                if self.close_after:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@asynccontextmanager
async def serving(server: RawServer) -> AsyncIterator[Http1Pool]:
    listener = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    pool = Http1Pool(
        Endpoint.parse(f"http://127.0.0.1:{port}/hooks/x?a=1", {"user-agent": "t"}), max_idle=4
    )
    try:
        yield pool
    finally:
        pool.close()
        listener.close()
        for writer in server.writers:
            writer.close()
        await listener.wait_closed()


def ok(body: bytes = b"{}", extra: bytes = b"") -> list[bytes]:
    return [b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n%s\r\n" % (len(body), extra), body]


async def test_request_line_headers_and_body_are_sent_as_given() -> None:
    server = RawServer(lambda _: ok())
    async with serving(server) as pool:
        response = await pool.post(HEADERS, b'{"a":1}')
    assert response.status == 200
    (_, raw), *_ = server.requests
    head, body = raw.split(b"\r\n\r\n", 1)
    lines = head.split(b"\r\n")
    assert lines[0] == b"POST /hooks/x?a=1 HTTP/1.1"
    assert lines[1].startswith(b"host: 127.0.0.1:")
    assert {b"user-agent: t", b"webhook-id: msg_1", b"content-length: 7"} <= set(lines)
    assert body == b'{"a":1}'


async def test_a_keep_alive_connection_is_reused_for_the_next_request() -> None:
    server = RawServer(lambda _: ok())
    async with serving(server) as pool:
        statuses = [(await pool.post(HEADERS, b"{}")).status for _ in range(3)]
    assert statuses == [200, 200, 200]
    assert [connection for connection, _ in server.requests] == [1, 1, 1]


async def test_a_response_split_over_many_reads_is_put_together() -> None:
    def answer(_: int) -> list[bytes]:
        whole = b"HTTP/1.1 503 Busy\r\nRetry-After: 7\r\ncontent-length: 10\r\n\r\n0123456789"
        return [whole[i : i + 7] for i in range(0, len(whole), 7)]

    server = RawServer(answer)
    async with serving(server) as pool:
        first = await pool.post(HEADERS, b"{}")
        second = await pool.post(HEADERS, b"{}")
    assert (first.status, first.retry_after) == (503, "7")
    assert second.status == 503
    assert [connection for connection, _ in server.requests] == [1, 1]


async def test_a_chunked_response_with_trailers_ends_where_it_says() -> None:
    chunked = [
        b"HTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked\r\n\r\n",
        b"4\r\nabcd\r\n",
        b"3;ext=1\r\nefg\r\n",
        b"0\r\nX-Trailer: y\r\n\r\n",
    ]
    server = RawServer(lambda n: chunked if n == 1 else ok())
    async with serving(server) as pool:
        first = await pool.post(HEADERS, b"{}")
        second = await pool.post(HEADERS, b"{}")
    assert (first.status, second.status) == (202, 200)
    assert [connection for connection, _ in server.requests] == [1, 1]


async def test_an_interim_100_continue_is_skipped() -> None:
    server = RawServer(lambda _: [b"HTTP/1.1 100 Continue\r\n\r\n", *ok()])
    async with serving(server) as pool:
        assert (await pool.post(HEADERS, b"{}")).status == 200


async def test_connection_close_and_http_1_0_are_not_reused() -> None:
    answers = {
        1: ok(extra=b"Connection: close\r\n"),
        2: [b"HTTP/1.0 200 OK\r\ncontent-length: 0\r\n\r\n"],
        3: ok(),
    }
    server = RawServer(lambda n: answers[n])
    async with serving(server) as pool:
        statuses = [(await pool.post(HEADERS, b"{}")).status for _ in range(3)]
    assert statuses == [200, 200, 200]
    assert [connection for connection, _ in server.requests] == [1, 2, 3]


async def test_a_body_delimited_by_closing_the_connection_is_read_to_the_end() -> None:
    server = RawServer(
        lambda _: [b"HTTP/1.1 200 OK\r\n\r\n", b"partial", b" body"], close_after=True
    )
    async with serving(server) as pool:
        response = await pool.post(HEADERS, b"{}")
    assert response.status == 200


async def test_an_idle_connection_closed_by_the_server_is_replaced_once() -> None:
    server = RawServer(lambda _: ok())
    async with serving(server) as pool:
        await pool.post(HEADERS, b"{}")
        for writer in server.writers:  # the server drops the idle connection, unannounced
            writer.transport.abort()
        response = await pool.post(HEADERS, b"{}")
    assert response.status == 200
    assert [connection for connection, _ in server.requests] == [1, 2]


async def test_a_connection_closed_mid_response_is_an_error() -> None:
    server = RawServer(
        lambda _: [b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nshort"], close_after=True
    )
    async with serving(server) as pool:
        with pytest.raises(Http1Error, match="closed before"):
            await pool.post(HEADERS, b"{}")


async def test_garbage_instead_of_http_is_an_error() -> None:
    server = RawServer(lambda _: [b"SSH-2.0-OpenSSH\r\n\r\n"])
    async with serving(server) as pool:
        with pytest.raises(Http1Error, match="not an HTTP"):
            await pool.post(HEADERS, b"{}")


async def test_a_request_cancelled_by_a_timeout_closes_its_connection() -> None:
    server = RawServer(lambda n: [] if n == 1 else ok())  # the first request hangs
    async with serving(server) as pool:
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.2):
                await pool.post(HEADERS, b"{}")
        response = await pool.post(HEADERS, b"{}")
    assert response.status == 200
    assert [connection for connection, _ in server.requests] == [1, 2]


def test_the_endpoint_head_carries_target_host_and_basic_credentials() -> None:
    endpoint = Endpoint.parse("https://us%40r:p%3Aw@[::1]:8443/p/a?t=1", {})
    assert (endpoint.host, endpoint.port, endpoint.tls) == ("::1", 8443, True)
    lines = endpoint.head.decode().split("\r\n")
    assert lines[0] == "POST /p/a?t=1 HTTP/1.1"
    assert lines[1] == "host: [::1]:8443"
    assert lines[2] == "authorization: Basic dXNAcjpwOnc="  # base64("us@r:p:w")
    default = Endpoint.parse("https://example.org", {})
    assert (default.port, default.head.split(b"\r\n")[:2]) == (
        443,
        [b"POST / HTTP/1.1", b"host: example.org"],
    )
