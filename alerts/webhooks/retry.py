"""Retry policy as pure functions: classify a response, back off exponentially with jitter."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Literal

__all__ = ["Decision", "RetryPolicy", "backoff_s", "decide", "parse_retry_after"]

Verdict = Literal["delivered", "retry", "dead_letter", "gone"]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently one delivery is retried."""

    max_attempts: int = 12
    base_s: float = 1.0
    max_s: float = 900.0
    max_retry_after_s: float = 3600.0


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do after an attempt: the verdict and, for ``retry``, the delay in seconds."""

    verdict: Verdict
    delay_s: float = 0.0


def backoff_s(policy: RetryPolicy, attempt: int, jitter: float) -> float:
    """Delay after failed attempt number ``attempt`` (1-based): ``base·2^(attempt-1)``
    capped at ``max_s``, then "equal jitter" with ``jitter`` in [0, 1): between half and
    all of it, so retries of many deliveries spread out instead of arriving together."""
    ceiling = min(policy.max_s, policy.base_s * 2.0 ** min(attempt - 1, 62))
    return ceiling / 2 + ceiling / 2 * min(max(jitter, 0.0), 1.0)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """``Retry-After`` as seconds from ``now``: delta-seconds or an HTTP date; None if absent
    or unreadable (negative values count as zero)."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - now).total_seconds())


def decide(
    policy: RetryPolicy,
    attempt: int,
    status: int | None,
    retry_after_s: float | None,
    jitter: float,
) -> Decision:
    """The fate of attempt number ``attempt`` that got HTTP ``status`` (None: no response,
    e.g. a timeout or a refused connection).

    2xx delivers; 410 Gone disables the endpoint; anything else is retried with backoff (at
    least ``Retry-After``, capped at ``max_retry_after_s``) until ``max_attempts``."""
    if status is not None and 200 <= status < 300:
        return Decision("delivered")
    if status == 410:
        return Decision("gone")
    if attempt >= policy.max_attempts:
        return Decision("dead_letter")
    delay = backoff_s(policy, attempt, jitter)
    if retry_after_s is not None:
        delay = max(delay, min(retry_after_s, policy.max_retry_after_s))
    return Decision("retry", delay)
