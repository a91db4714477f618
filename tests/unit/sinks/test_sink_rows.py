"""Wire models to warehouse rows: flattening, lanes, natural keys."""

from __future__ import annotations

from sinks import rows
from sinks import testing as build


def test_reading_columns_flatten_the_location() -> None:
    with_fix = build.reading(1)
    without_fix = build.reading(2, location=None)
    columns = rows.reading_columns([with_fix, without_fix])
    assert with_fix.location is not None
    assert columns["lat"] == [with_fix.location.lat, None]
    assert columns["accuracy_m"] == [with_fix.location.accuracy_m, None]
    assert columns["event_id"] == [with_fix.event_id, without_fix.event_id]
    assert {len(values) for values in columns.values()} == {2}


def test_shipment_row_names_lane_hub_and_carrier() -> None:
    manifest = build.manifest()
    columns = rows.shipment_columns([manifest])
    assert columns["lane"] == [f"{manifest.origin.site_id}->{manifest.destination.site_id}"]
    assert columns["hub_site_id"] == [manifest.origin.site_id]  # the origin is the hub
    assert columns["carrier"] == [manifest.legs[0].carrier]
    assert columns["promised_end"] == [manifest.promised_window.end]


def test_deadletter_key_is_the_source_position_when_known() -> None:
    letter = build.deadletter(offset=42)
    assert rows.deadletter_id(letter) == f"{letter.source_topic}:0:42"


def test_deadletter_key_without_position_hashes_raw_and_reason() -> None:
    first = rows.deadletter_id(build.deadletter(offset=None, reason="invalid_json"))
    again = rows.deadletter_id(build.deadletter(offset=None, reason="invalid_json"))
    other = rows.deadletter_id(build.deadletter(offset=None, reason="not_utf8"))
    assert first == again
    assert first != other
    assert first.startswith("sha256:")


def test_take_rows_keeps_the_named_positions_in_order() -> None:
    columns: rows.Columns = {"a": [1, 2, 3], "b": ["x", "y", "z"]}
    assert rows.take_rows(columns, [2, 0]) == {"a": [3, 1], "b": ["z", "x"]}


def test_first_of_each_keeps_the_first_row_per_key_in_order() -> None:
    columns: rows.Columns = {"k": ["a", "b", "a", "c", "b"], "v": [1, 2, 3, 4, 5]}
    assert rows.first_of_each(columns, "k") == {"k": ["a", "b", "c"], "v": [1, 2, 4]}
    unique: rows.Columns = {"k": ["a", "b"], "v": [1, 2]}
    assert rows.first_of_each(unique, "k") == unique
