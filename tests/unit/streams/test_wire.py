"""The receiving clock of a consumed message: its header when replayed, else the record time."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

from streams.wire import RECEIVED_AT_HEADER, received_at, received_at_headers

MOMENT = datetime(2026, 3, 1, 12, 0, 5, tzinfo=UTC)
STAMP = datetime(2026, 3, 1, 13, 0, tzinfo=UTC).timestamp()


def test_a_replayed_message_carries_its_clock_in_a_header_list_or_mapping() -> None:
    headers = received_at_headers(MOMENT)
    as_list = SimpleNamespace(headers=list(headers.items()), timestamp=STAMP)
    as_mapping = SimpleNamespace(headers=headers, timestamp=STAMP)
    assert received_at(as_list) == MOMENT
    assert received_at(as_mapping) == MOMENT


def test_without_the_header_the_record_timestamp_counts() -> None:
    for headers in (None, [], [("other", b"1")]):
        message = SimpleNamespace(headers=headers, timestamp=STAMP)
        assert received_at(message) == datetime.fromtimestamp(STAMP, tz=UTC)


def test_an_unreadable_header_falls_back_to_the_record_timestamp() -> None:
    message = SimpleNamespace(headers=[(RECEIVED_AT_HEADER, b"soon")], timestamp=STAMP)
    assert received_at(message) == datetime.fromtimestamp(STAMP, tz=UTC)
