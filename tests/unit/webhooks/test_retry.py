"""Retry policy: exponential backoff with jitter, Retry-After, verdicts by status and attempt."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from alerts.webhooks.retry import RetryPolicy, backoff_s, decide, parse_retry_after

POLICY = RetryPolicy(max_attempts=5, base_s=1.0, max_s=10.0, max_retry_after_s=60.0)
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def test_backoff_doubles_until_the_cap_and_jitter_stays_within_half_to_full() -> None:
    full = [backoff_s(POLICY, n, 1.0) for n in range(1, 7)]
    assert full == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
    for n, ceiling in enumerate(full, start=1):
        assert backoff_s(POLICY, n, 0.0) == ceiling / 2
        assert ceiling / 2 <= backoff_s(POLICY, n, 0.37) <= ceiling
    assert backoff_s(POLICY, 10_000, 0.5) <= 10.0  # no overflow


def test_retry_after_as_seconds_or_http_date() -> None:
    assert parse_retry_after("120", NOW) == 120.0
    in_90s = format_datetime(NOW + timedelta(seconds=90), usegmt=True)
    assert parse_retry_after(in_90s, NOW) == pytest.approx(90.0)
    past = format_datetime(NOW - timedelta(seconds=90), usegmt=True)
    assert parse_retry_after(past, NOW) == 0.0
    assert parse_retry_after(None, NOW) is None
    assert parse_retry_after("soon", NOW) is None


@pytest.mark.parametrize("status", [200, 201, 204, 299])
def test_2xx_is_delivered(status: int) -> None:
    assert decide(POLICY, 1, status, None, 0.5).verdict == "delivered"


def test_410_means_gone_even_on_the_first_attempt() -> None:
    assert decide(POLICY, 1, 410, None, 0.5).verdict == "gone"


@pytest.mark.parametrize("status", [None, 400, 401, 404, 429, 500, 502, 503])
def test_failures_retry_with_backoff_until_the_last_attempt(status: int | None) -> None:
    first = decide(POLICY, 1, status, None, 1.0)
    assert (first.verdict, first.delay_s) == ("retry", 1.0)
    assert decide(POLICY, 4, status, None, 1.0).delay_s == 8.0
    assert decide(POLICY, 5, status, None, 1.0).verdict == "dead_letter"


def test_retry_after_lengthens_the_delay_up_to_its_cap_never_shortens_it() -> None:
    assert decide(POLICY, 1, 503, 30.0, 1.0).delay_s == 30.0
    assert decide(POLICY, 1, 503, 3600.0, 1.0).delay_s == 60.0
    assert decide(POLICY, 4, 429, 0.5, 1.0).delay_s == 8.0
