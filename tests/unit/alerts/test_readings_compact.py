"""A compact reading holds the decoded reading's values as they are and encodes exactly as they do."""

from __future__ import annotations

import math

import orjson
import pytest

from alerts.readings import CompactReading, compact
from alerts.testing import reading


def test_compact_keeps_each_value_of_the_reading() -> None:
    decoded = reading(
        3.0,
        -180.5,
        logger_id="LOG-7",
        location=(40.5, -0.0),
        battery_pct=90.0,
    )
    kept = compact(decoded)
    assert kept.t == decoded.recorded_at.timestamp()
    assert (kept.event_id, kept.logger_id, kept.temp) == (decoded.event_id, "LOG-7", -180.5)
    assert kept.lat == 40.5
    assert math.copysign(1.0, kept.lon) == -1.0  # -0.0 == 0.0, but encodes as "-0.0"
    assert orjson.dumps(list(kept)).count(b"-0.0") == 1
    # the reading's own objects, not copies looked up in a table
    assert kept.logger_id is decoded.logger_id and kept.battery_pct is decoded.battery_pct
    assert decoded.location is not None and kept.lat is decoded.location.lat


def test_a_restored_reading_equals_the_kept_one_and_encodes_the_same() -> None:
    kept = compact(reading(0.0, -180.5, logger_id="LOG-7", location=(40.5, -79.9)))
    restored = CompactReading.from_list(orjson.loads(orjson.dumps(list(kept))))
    assert restored == kept
    assert orjson.dumps(list(restored)) == orjson.dumps(list(kept))


def test_a_stored_reading_of_another_shape_is_refused() -> None:
    with pytest.raises(ValueError):
        CompactReading.from_list([1.0, "e-1"])
