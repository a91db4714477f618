"""Standard Webhooks signing: the specification's test vector, verification and its failures."""

from __future__ import annotations

import pytest

from alerts.webhooks.signing import SignatureError, WebhookSecret, sign, signature_headers, verify

# The example of the Standard Webhooks specification (and its reference libraries' tests).
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TIMESTAMP = 1614265330
SPEC_BODY = b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_signature_matches_the_specification_example() -> None:
    secret = WebhookSecret.parse(SPEC_SECRET)
    assert sign(secret, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY) == SPEC_SIGNATURE


def test_a_signed_request_verifies_and_returns_its_id() -> None:
    secret = WebhookSecret.generate()
    headers = signature_headers(secret, "msg_1", 1000, b"{}")
    assert verify([secret], headers, b"{}", now=1000) == "msg_1"


@pytest.mark.parametrize(
    ("body", "now", "why"),
    [
        (b'{"x": 2}', 1000, "tampered body"),
        (b"{}", 1000 + 301, "stale"),
        (b"{}", 1000 - 301, "from the future"),
    ],
)
def test_tampered_stale_and_future_requests_fail(body: bytes, now: int, why: str) -> None:
    secret = WebhookSecret.generate()
    headers = signature_headers(secret, "msg_1", 1000, b"{}")
    with pytest.raises(SignatureError):
        verify([secret], headers, body, now=now)


def test_a_tampered_id_or_timestamp_fails() -> None:
    secret = WebhookSecret.generate()
    headers = signature_headers(secret, "msg_1", 1000, b"{}")
    with pytest.raises(SignatureError):
        verify([secret], {**headers, "webhook-id": "msg_2"}, b"{}", now=1000)
    with pytest.raises(SignatureError):
        verify([secret], {**headers, "webhook-timestamp": "1001"}, b"{}", now=1000)


def test_another_secret_fails_and_rotation_accepts_either() -> None:
    old, new = WebhookSecret.generate(), WebhookSecret.generate()
    headers = signature_headers(old, "msg_1", 1000, b"{}")
    with pytest.raises(SignatureError):
        verify([new], headers, b"{}", now=1000)
    assert verify([new, old], headers, b"{}", now=1000) == "msg_1"
    both = f"{sign(new, 'msg_1', 1000, b'{}')} {headers['webhook-signature']}"
    assert verify([old], {**headers, "webhook-signature": both}, b"{}", now=1000) == "msg_1"


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_missing_headers_fail(missing: str) -> None:
    secret = WebhookSecret.generate()
    headers = signature_headers(secret, "msg_1", 1000, b"{}")
    del headers[missing]
    with pytest.raises(SignatureError):
        verify([secret], headers, b"{}", now=1000)


def test_secret_format_and_it_never_shows() -> None:
    secret = WebhookSecret.parse(SPEC_SECRET)
    assert str(secret) == SPEC_SECRET
    assert "MfKQ9r8" not in repr(secret)
    assert WebhookSecret.parse(str(WebhookSecret.generate())).key
    for bad in ("whsec_not base64!", "whsec_c2hvcnQ="):
        with pytest.raises(ValueError):
            WebhookSecret.parse(bad)
