"""Fixtures shared by the alert-engine unit tests."""

from __future__ import annotations

from typing import Any

import pytest

from alerts.eta_route import Estimate, estimate


@pytest.fixture
def estimates(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The times ``alerts.eta`` estimates at, from now on."""
    calls: list[float] = []

    def counted(*args: Any) -> Estimate:
        calls.append(args[-1])
        return estimate(*args)

    monkeypatch.setattr("alerts.eta.estimate", counted)
    return calls
