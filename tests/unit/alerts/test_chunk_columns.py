"""History chunks sealed as columns: every value reads back as it was, in fewer bytes than rows."""

from __future__ import annotations

import zlib
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alerts.encoded import CHUNK_LEVEL, chunk_items, seal_chunk
from alerts.readings import CompactReading

FIELDS = len(CompactReading._fields)

_finite = st.floats(allow_nan=False, allow_infinity=False)  # what JSON holds
_value = st.one_of(st.none(), st.booleans(), st.integers(-(2**62), 2**62), _finite, st.text())
_time = st.one_of(_finite, st.integers(1, 2**40).map(float), st.sampled_from([0.0, -0.0, 2.0**53]))
_seq = st.one_of(st.none(), st.integers(-(2**40), 2**40), st.sampled_from([True, 1.0]))
_logger = st.one_of(st.none(), st.sampled_from(["LOG-1", "LOG-2", "", "a:b"]), st.integers(0, 9))


@st.composite
def _rows(draw: st.DrawFn) -> list[list[Any]]:
    """Readings as lists, any value in any field; event ids often ``<logger>:<seq>``."""
    rows = []
    for _ in range(draw(st.integers(0, 40))):
        logger, seq = draw(_logger), draw(_seq)
        own = f"{logger}:{seq}"
        event_id = draw(st.one_of(st.just(own), st.text(), st.sampled_from([own + "0", "x"])))
        rest = [draw(_value) for _ in range(FIELDS - 4)]
        rows.append([draw(_time), event_id, logger, seq, *rest])
    if rows and draw(st.booleans()):  # runs of one value, as a logger's fields are
        column = draw(st.integers(0, FIELDS - 1))
        for row in rows:
            row[column] = rows[0][column]
    return rows


@given(_rows())
@settings(deadline=None)  # correctness, not speed: a loaded 2-core runner ran past 200 ms once
def test_any_readings_read_back_as_their_rows_would(rows: list[list[Any]]) -> None:
    back = chunk_items(seal_chunk(rows))
    # the JSON of what is read equals the rows' own: same values, types, and signs of zero
    assert orjson.dumps(back) == orjson.dumps(rows)
    assert back == rows


@pytest.mark.parametrize(
    "column",
    [[0.0, -0.0, 0.0], [-0.0, -0.0, -0.0], [1, 1.0, True], [0, False, 0.0], [None, None, 0]],
    ids=["signed-zeros", "negative-zeros", "one-three-types", "zero-three-types", "none-then-0"],
)
def test_values_equal_but_not_alike_are_not_taken_for_one(column: list[Any]) -> None:
    rows = _logger_readings(3)
    for row, value in zip(rows, column, strict=True):
        row[4] = value  # the temperature
        row[12] = value  # the last field
    assert orjson.dumps(chunk_items(seal_chunk(rows))) == orjson.dumps(rows)


def _logger_readings(count: int) -> list[list[Any]]:
    """A logger's readings as the bench sends them: one every 600 s, sequence numbers."""
    return [
        [
            1_796_260_560.0 + 600 * i,
            f"LOG-BSH-000042:{i}",
            "LOG-BSH-000042",
            i,
            -180.0 + (i * 37 % 90) / 10,
            None,
            None,
            40.4399 + i * 0.007391,
            -79.9899 - i * 0.092357,
            None,
            None,
            None,
            90.0,
        ]
        for i in range(count)
    ]


def test_a_loggers_readings_take_fewer_bytes_as_columns_than_as_rows() -> None:
    rows = _logger_readings(32)
    sealed = seal_chunk(rows)
    as_rows = zlib.compress(orjson.dumps(rows), CHUNK_LEVEL)
    assert len(sealed) < 0.75 * len(as_rows)
    stored = orjson.loads(zlib.decompress(sealed))
    assert stored["n"] == 32
    times, ids, loggers, seqs = stored["c"][:4]
    assert times == {"t+": [1_796_260_560, *[600] * 31]}  # whole seconds: first, then steps
    assert ids == {"=": None}  # every id is <logger>:<seq>: left out
    assert loggers == {"=": "LOG-BSH-000042"} and seqs == {"+": [0, *[1] * 31]}
    assert chunk_items(sealed) == rows


def test_times_not_whole_seconds_and_ids_of_their_own_are_kept_as_they_are() -> None:
    rows = _logger_readings(3)
    rows[1][0] += 0.25
    rows[2][1] = "LOG-BSH-000042:two"
    stored = orjson.loads(zlib.decompress(seal_chunk(rows)))
    assert stored["c"][0] == [r[0] for r in rows]
    assert stored["c"][1] == [None, None, "LOG-BSH-000042:two"]
    assert chunk_items(seal_chunk(rows)) == rows


def test_a_reading_without_every_field_is_refused() -> None:
    rows = _logger_readings(2)
    rows[1].pop()
    with pytest.raises(ValueError):
        seal_chunk(rows)


def test_a_chunk_whose_columns_do_not_hold_its_count_is_refused() -> None:
    stored = orjson.loads(zlib.decompress(seal_chunk(_logger_readings(4))))
    stored["n"] = 5
    with pytest.raises(ValueError, match="columns do not hold 5 readings"):
        chunk_items(zlib.compress(orjson.dumps(stored)))
