"""Great Expectations suites: failing rows are named with the check they failed."""

from __future__ import annotations

import pandas as pd  # type: ignore[import-untyped]
import pytest

from sinks import rows
from sinks import testing as build
from sinks.expectations import SUITES, failed_rows


def test_every_validated_table_checks_its_key_is_present() -> None:
    keys = {
        "readings": "event_id",
        "shipments": "shipment_id",
        "custody_events": "event_id",
        "alerts": "alert_id",
        "eta_updates": "shipment_id",
        "webhook_deliveries": "delivery_id",
        "deadletters": "deadletter_id",
    }
    for table, key in keys.items():
        assert any(c.kind == "not_null" and c.column == key for c in SUITES[table])


def test_bad_readings_are_found_with_the_failed_check() -> None:
    good = [build.reading(i) for i in range(5)]
    too_hot = build.reading(5).model_copy(update={"temperature_c": 500.0})
    no_time = build.reading(6).model_copy(update={"recorded_at": None})
    columns = rows.reading_columns([*good, too_hot, no_time])
    failures = failed_rows("readings", pd.DataFrame(columns))
    assert failures == {
        5: "temperature_c between -273.15 and 100.0",
        6: "recorded_at not null",
    }


def test_duplicate_keys_in_a_batch_fail_uniqueness() -> None:
    columns = rows.reading_columns([build.reading(1), build.reading(1), build.reading(2)])
    failures = failed_rows("readings", pd.DataFrame(columns))
    assert failures == {0: "event_id unique", 1: "event_id unique"}


def test_alert_severity_and_version_are_checked() -> None:
    bad_severity = build.alert(1).model_copy(update={"severity": "catastrophic"})
    bad_version = build.alert(1, episode=2).model_copy(update={"version": 0})
    columns = rows.alert_columns([build.alert(1, episode=3), bad_severity, bad_version])
    failures = failed_rows("alert_history", pd.DataFrame(columns))
    assert failures == {
        1: "severity in {info, warning, critical}",
        2: "version >= 1",
    }


def test_clean_batches_pass() -> None:
    columns = rows.reading_columns([build.reading(i) for i in range(20)])
    assert failed_rows("readings", pd.DataFrame(columns)) == {}


def test_nulls_pass_every_check_but_not_null() -> None:
    from sinks.expectations import Check
    from sinks.gx_checks import check_passes

    frame = pd.DataFrame({"v": [None, 5.0, 50.0, "hot"], "k": ["a", None, "a", "b"]})
    between = check_passes(Check("between", "v", 0.0, 10.0), frame)
    assert between.tolist() == [True, True, False, False]  # a non-number is out of range
    assert check_passes(Check("not_null", "v"), frame).tolist() == [False, True, True, True]
    assert check_passes(Check("unique", "k"), frame).tolist() == [False, True, False, True]
    in_set = check_passes(Check("in_set", "k", value_set=("a",)), frame)
    assert in_set.tolist() == [True, True, True, False]


def test_the_gx_configuration_is_built_once_and_follows_field_changes() -> None:
    from sinks.gx_checks import expectation_for

    expectation = expectation_for("readings")
    first = expectation.configuration
    assert expectation.configuration is first
    assert first.kwargs["table_name"] == "readings"
    expectation.table_name = "alerts"
    assert expectation.configuration.kwargs["table_name"] == "alerts"


def test_between_on_a_float_column_passes_nan_and_fails_infinities() -> None:
    from sinks.expectations import Check
    from sinks.gx_checks import check_passes

    floats = pd.DataFrame({"v": [float("nan"), 5.0, 50.0, float("inf"), -float("inf"), 0.0]})
    objects = floats.astype(object)  # the general path, for the same verdicts
    check = Check("between", "v", 0.0, 10.0)
    verdicts = check_passes(check, floats).tolist()
    assert verdicts == [True, True, False, False, False, True]
    assert check_passes(check, objects).tolist() == verdicts
    open_ended = Check("between", "v", 0.0, None)
    assert check_passes(open_ended, floats).tolist() == [True, True, True, True, False, True]


def test_gx_validates_a_batch_without_fingerprinting_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from great_expectations.execution_engine import pandas_execution_engine

    hashed: list[int] = []

    def fingerprint(frame: pd.DataFrame) -> str:
        hashed.append(len(frame))
        return "fingerprint"

    monkeypatch.setattr(pandas_execution_engine, "hash_pandas_dataframe", fingerprint)
    flat = build.reading(1).model_copy(update={"battery_pct": 140.0})
    columns = rows.reading_columns([build.reading(0), flat])
    assert failed_rows("readings", pd.DataFrame(columns)) == {
        1: "battery_pct between 0.0 and 100.0"
    }
    assert hashed == []


def test_prepare_builds_the_runtime_the_first_flush_then_uses() -> None:
    from sinks import expectations

    expectations.prepare()
    runtime = expectations._runtime
    assert runtime is not None
    failed_rows("readings", pd.DataFrame(rows.reading_columns([build.reading(1)])))
    assert expectations._runtime is runtime  # built once per process
