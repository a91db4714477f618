"""Fixtures shared by the alert-engine unit tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from alerts.testing import estimates_made


@pytest.fixture
def estimates() -> Iterator[list[float]]:
    """The times ``alerts.eta`` estimates at, from now on."""
    with estimates_made() as made:
        yield made
