"""The HTTP sender against real local servers: healthy, slow, timeout, 5xx, 410, Retry-After, refused."""

from __future__ import annotations

import json
import socket

import pytest

from alerts.webhooks.signing import WebhookSecret
from streams.delivery.sender import HttpClient, WebhookSender, make_sender
from streams.delivery.testing import Reply, ScriptedEndpoint, running_endpoints

SECRET = WebhookSecret.generate()
BODY = json.dumps({"alert_id": "A:1", "version": 1}).encode()


@pytest.fixture(params=["http1", "aiohttp", "httpx"])
def client(request: pytest.FixtureRequest) -> HttpClient:
    return request.param  # type: ignore[no-any-return]


def _sender(client: HttpClient, url: str, timeout_s: float = 2.0) -> WebhookSender:
    return make_sender(client, url, SECRET, timeout_s=timeout_s, concurrency=4)


async def test_healthy_endpoint_gets_a_signed_post_of_the_exact_body(client: HttpClient) -> None:
    with running_endpoints(ScriptedEndpoint("ok", SECRET)) as (ok,):
        sender = _sender(client, ok.url)
        result = await sender.send("msg_1", BODY)
        await sender.aclose()
    assert (result.status, result.error) == (200, None)
    (request,) = ok.requests
    assert request.verified and request.body == BODY
    assert request.webhook_id == "msg_1"
    assert request.headers["content-type"] == "application/json"


async def test_a_slow_endpoint_within_the_timeout_is_delivered(client: HttpClient) -> None:
    slow = ScriptedEndpoint("slow", SECRET, lambda _: Reply(200, delay_s=0.4))
    with running_endpoints(slow):
        sender = _sender(client, slow.url, timeout_s=2.0)
        result = await sender.send("msg_1", BODY)
        await sender.aclose()
    assert result.status == 200
    assert result.duration_ms >= 400


async def test_a_hanging_endpoint_times_out(client: HttpClient) -> None:
    hang = ScriptedEndpoint("hang", SECRET, lambda _: Reply(200, delay_s=5.0))
    with running_endpoints(hang):
        sender = _sender(client, hang.url, timeout_s=0.3)
        result = await sender.send("msg_1", BODY)
        await sender.aclose()
    assert result.status is None
    assert result.error is not None and "timeout" in result.error
    assert result.duration_ms < 2000


async def test_server_errors_gone_and_retry_after_are_reported(client: HttpClient) -> None:
    answers = {1: Reply(500), 2: Reply(503, headers={"Retry-After": "7"}), 3: Reply(410)}
    flaky = ScriptedEndpoint("flaky", SECRET, lambda n: answers[n])
    with running_endpoints(flaky):
        sender = _sender(client, flaky.url)
        results = [await sender.send(f"msg_{n}", BODY) for n in (1, 2, 3)]
        await sender.aclose()
    assert [r.status for r in results] == [500, 503, 410]
    assert results[0].error == "HTTP 500"
    assert results[1].retry_after == "7"


async def test_a_refused_connection_is_an_error_without_a_status(client: HttpClient) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sender = _sender(client, f"http://127.0.0.1:{port}/hook")
    result = await sender.send("msg_1", BODY)
    await sender.aclose()
    assert result.status is None
    assert result.error is not None and "onnect" in result.error
    assert str(SECRET) not in result.error


async def test_errors_never_carry_the_endpoint_url(client: HttpClient) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/hook?token=s3cr3t-token"
    sender = _sender(client, url)
    result = await sender.send("msg_1", BODY)
    await sender.aclose()
    assert result.error is not None
    assert "s3cr3t-token" not in result.error
