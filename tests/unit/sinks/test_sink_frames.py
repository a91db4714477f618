"""Typed frames: numeric columns converted by their SQL type, the rest as pandas infers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd  # type: ignore[import-untyped]

from sinks import rows
from sinks import testing as build
from sinks.expectations import failed_rows
from sinks.frames import typed_frame
from sinks.models import READINGS


def test_double_columns_are_float64_with_nan_for_none() -> None:
    frame = typed_frame("readings", {"temperature_c": [-180.0, None], "lat": [None, None]})
    assert frame["temperature_c"].dtype == np.float64
    assert frame["lat"].dtype == np.float64  # all None: float64, not object
    assert frame["temperature_c"].iloc[0] == -180.0
    assert math.isnan(frame["temperature_c"].iloc[1])


def test_integer_columns_are_int64_only_when_every_value_is_an_int() -> None:
    assert typed_frame("readings", {"seq": [1, 2**62]})["seq"].tolist() == [1, 2**62]
    assert typed_frame("readings", {"seq": [1, 2**62]})["seq"].dtype == np.int64
    inferred = pd.DataFrame({"seq": [1, None]})["seq"].dtype
    assert typed_frame("readings", {"seq": [1, None]})["seq"].dtype == inferred


def test_values_that_do_not_convert_are_left_to_pandas() -> None:
    columns: rows.Columns = {"temperature_c": [1.0, "hot"], "event_id": ["a", None]}
    frame = typed_frame("readings", columns)
    expected = pd.DataFrame(columns)
    assert frame["temperature_c"].tolist() == expected["temperature_c"].tolist()
    assert frame["event_id"].dtype == expected["event_id"].dtype


def test_reading_columns_name_every_stored_column_but_ingested_at() -> None:
    columns = rows.reading_columns([build.reading(0), build.reading(1, location=None)])
    stored = [column.name for column in READINGS.columns if column.name != "ingested_at"]
    assert list(columns) == stored


def test_validation_finds_the_same_rows_on_the_typed_frame() -> None:
    good = [build.reading(i) for i in range(4)]
    too_hot = build.reading(4).model_copy(update={"temperature_max_c": 500.0})
    no_time = build.reading(5).model_copy(update={"recorded_at": None, "location": None})
    too_shaken = build.reading(6).model_copy(update={"shock_g": -1.0})
    columns = rows.reading_columns([*good, too_hot, no_time, too_shaken, good[0]])
    typed = failed_rows("readings", typed_frame("readings", columns))
    assert typed == failed_rows("readings", pd.DataFrame(columns))
    assert set(typed) == {0, 4, 5, 6, 7}
