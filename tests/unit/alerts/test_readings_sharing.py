"""Kept readings share repeated strings and values, and still encode exactly as before."""

from __future__ import annotations

import math

import orjson

from alerts.readings import CompactReading, _shared, compact
from alerts.testing import reading


def _fresh(minute: float) -> CompactReading:
    """A reading whose strings and values are new objects, as decoding makes them."""
    values = [float(text) for text in ("-180.5", "40.5", "-79.9", "88.0")]
    return compact(
        reading(
            minute,
            values[0],
            logger_id="".join(["LOG-", str(7)]),
            location=(values[1], values[2]),
            battery_pct=values[3],
        )
    )


def test_readings_share_logger_ids_and_repeated_values() -> None:
    a, b = _fresh(0), _fresh(10)
    assert a.logger_id == "LOG-7" and a.logger_id is b.logger_id
    assert a.battery_pct is b.battery_pct
    assert a.temp is b.temp and a.lat is b.lat and a.lon is b.lon


def test_only_nonzero_floats_are_shared_so_the_json_is_unchanged() -> None:
    assert _shared(90.0) is _shared(float("90.0"))
    assert type(_shared(90)) is int  # 90 == 90.0, but it encodes as "90"
    negative_zero = _shared(-0.0)
    assert math.copysign(1.0, negative_zero) == -1.0  # -0.0 == 0.0, but encodes as "-0.0"
    assert _shared(None) is None and _shared(True) is True


def test_a_restored_reading_equals_the_kept_one_and_shares_the_same_way() -> None:
    kept = _fresh(0)
    first = CompactReading.from_list(orjson.loads(orjson.dumps(list(kept))))
    second = CompactReading.from_list(orjson.loads(orjson.dumps(list(kept))))
    assert first == kept and orjson.dumps(list(first)) == orjson.dumps(list(kept))
    assert first.logger_id is second.logger_id and first.temp is second.temp
