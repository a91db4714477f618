"""Great Expectations suites per warehouse table, defined in code and run once per batch."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["SUITES", "Check", "failed_rows"]

CheckKind = Literal["not_null", "unique", "between", "in_set"]


@dataclass(frozen=True, slots=True)
class Check:
    """One expectation on one column of a table."""

    kind: CheckKind
    column: str
    min_value: float | None = None
    max_value: float | None = None
    value_set: tuple[str, ...] = ()

    def describe(self) -> str:
        """Human-readable name stored in ``quarantine.expectation``."""
        if self.kind == "between" and self.max_value is None:
            return f"{self.column} >= {self.min_value}"
        if self.kind == "between":
            return f"{self.column} between {self.min_value} and {self.max_value}"
        if self.kind == "in_set":
            return f"{self.column} in {{{', '.join(self.value_set)}}}"
        return f"{self.column} {self.kind.replace('_', ' ')}"


def _required(*columns: str) -> tuple[Check, ...]:
    return tuple(Check("not_null", column) for column in columns)


_LATLON = (Check("between", "lat", -90.0, 90.0), Check("between", "lon", -180.0, 180.0))
_TEMPERATURE = (-273.15, 100.0)

SUITES: Mapping[str, tuple[Check, ...]] = {
    "readings": (
        *_required("event_id", "shipment_id", "recorded_at"),
        Check("unique", "event_id"),
        Check("between", "temperature_c", *_TEMPERATURE),
        Check("between", "temperature_min_c", *_TEMPERATURE),
        Check("between", "temperature_max_c", *_TEMPERATURE),
        *_LATLON,
        Check("between", "battery_pct", 0.0, 100.0),
        Check("between", "tilt_deg", 0.0, 180.0),
        Check("between", "shock_g", 0.0, None),
    ),
    "shipments": (
        *_required("shipment_id", "coi_id", "product_profile", "promised_start", "promised_end"),
        Check("unique", "shipment_id"),
        Check("between", "origin_lat", -90.0, 90.0),
        Check("between", "origin_lon", -180.0, 180.0),
        Check("between", "destination_lat", -90.0, 90.0),
        Check("between", "destination_lon", -180.0, 180.0),
    ),
    "custody_events": (
        *_required("event_id", "shipment_id", "occurred_at", "step"),
        Check("unique", "event_id"),
    ),
    "alerts": (
        *_required("alert_id", "shipment_id", "opened_at", "updated_at", "alert_type"),
        Check("between", "version", 1, None),
        Check("in_set", "severity", value_set=("info", "warning", "critical")),
        Check("in_set", "status", value_set=("open", "updated", "resolved")),
        *_LATLON,
    ),
    "eta_updates": (
        *_required("shipment_id", "computed_at", "risk"),
        Check("between", "remaining_km", 0.0, None),
        Check("between", "speed_kmh", 0.0, None),
    ),
    "webhook_deliveries": (
        *_required("delivery_id", "subscriber_id", "alert_id", "attempted_at", "outcome"),
        Check("between", "attempt", 1, None),
    ),
    "deadletters": _required("deadletter_id", "reason", "source_topic", "received_at"),
}
"""The expectation suite of every validated table (``alert_history`` reuses ``alerts``)."""


class _Runtime:
    """An ephemeral GX context with one pandas asset and suite per table; built once."""

    def __init__(self) -> None:
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
        logging.getLogger("great_expectations").setLevel(logging.WARNING)
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        source = context.data_sources.add_pandas("cryotrace_sink")
        self._batches: dict[str, Any] = {}
        self._suites: dict[str, Any] = {}
        self._checks: dict[str, dict[tuple[str, str], Check]] = {}
        for table, checks in SUITES.items():
            asset = source.add_dataframe_asset(table)
            self._batches[table] = asset.add_batch_definition_whole_dataframe(table)
            suite = gx.ExpectationSuite(name=table)
            self._checks[table] = {}
            for check in checks:
                expectation = _expectation(check)
                self._checks[table][(expectation.expectation_type, check.column)] = check
                suite.add_expectation(expectation)
            self._suites[table] = context.suites.add(suite)
        self.lock = threading.Lock()

    def failed_rows(self, table: str, frame: Any) -> dict[int, str]:
        batch = self._batches[table].get_batch(batch_parameters={"dataframe": frame})
        result = batch.validate(self._suites[table], result_format="COMPLETE")
        failures: dict[int, str] = {}
        for outcome in result.results:
            if outcome.success:
                continue
            config = outcome.expectation_config
            check = self._checks[table][(config.type, config.kwargs["column"])]
            if outcome.exception_info and outcome.exception_info.get("raised_exception"):
                message = outcome.exception_info.get("exception_message")
                raise RuntimeError(f"expectation {check.describe()!r} failed to run: {message}")
            for index in outcome.result.get("unexpected_index_list") or ():
                failures.setdefault(int(index), check.describe())
        return failures


_GX_CLASSES: dict[CheckKind, str] = {
    "not_null": "ExpectColumnValuesToNotBeNull",
    "unique": "ExpectColumnValuesToBeUnique",
    "in_set": "ExpectColumnValuesToBeInSet",
    "between": "ExpectColumnValuesToBeBetween",
}


def _expectation(check: Check) -> Any:
    import great_expectations.expectations as gxe

    expectation_class = getattr(gxe, _GX_CLASSES[check.kind])
    if check.kind == "in_set":
        return expectation_class(column=check.column, value_set=list(check.value_set))
    if check.kind == "between":
        return expectation_class(
            column=check.column, min_value=check.min_value, max_value=check.max_value
        )
    return expectation_class(column=check.column)


_runtime: _Runtime | None = None
_runtime_lock = threading.Lock()


def _get_runtime() -> _Runtime:
    global _runtime
    with _runtime_lock:
        if _runtime is None:
            _runtime = _Runtime()
        return _runtime


def failed_rows(table: str, frame: Any) -> dict[int, str]:
    """Row positions of ``frame`` (a pandas DataFrame) that fail ``table``'s suite, each with its first failed check.

    ``frame`` must have a default ``RangeIndex``. Importing Great Expectations (~3 s) and
    building the context happen on the first call of the process.
    """
    suite_table = "alerts" if table == "alert_history" else table
    if suite_table not in SUITES or frame.empty:
        return {}
    runtime = _get_runtime()
    with runtime.lock:
        return runtime.failed_rows(suite_table, frame)
