"""Data checks per warehouse table, defined in code and run by Great Expectations per batch.

Each table's ``Check`` list runs as one GX expectation (``sinks.gx_checks``): GX's fixed
cost is per expectation, so one expectation per table per flush keeps validation cheap.
"""

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
    """An ephemeral GX context with one pandas asset and one suite per table; built once."""

    def __init__(self) -> None:
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
        logging.getLogger("great_expectations").setLevel(logging.WARNING)
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig
        from great_expectations.execution_engine import pandas_execution_engine
        from great_expectations.validator.v1_validator import Validator

        from sinks.gx_checks import expectation_for, first_failures

        # GX md5-fingerprints every pandas batch smaller than HASH_THRESHOLD bytes (a hash of
        # every cell: a third of its work per 5,000-row batch). The fingerprint is only a
        # marker in the result's meta, read by nothing here or in GX; GX 1.x has no setting
        # for it but this module constant, which it reads per batch: 0 skips the hash.
        pandas_execution_engine.HASH_THRESHOLD = 0

        self._first_failures = first_failures
        self._validator_class = Validator
        self._columns = {
            table: list(dict.fromkeys(check.column for check in checks))
            for table, checks in SUITES.items()
        }
        context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        source = context.data_sources.add_pandas("cryotrace_sink")
        self._batches: dict[str, Any] = {}
        self._suites: dict[str, Any] = {}
        for table in SUITES:
            asset = source.add_dataframe_asset(table)
            self._batches[table] = asset.add_batch_definition_whole_dataframe(table)
            suite = gx.ExpectationSuite(name=table)
            suite.add_expectation(expectation_for(table))
            self._suites[table] = context.suites.add(suite)
        self.lock = threading.Lock()

    def _validate(self, validator: Any, table: str) -> Any:
        result = validator.validate_expectation_suite(self._suites[table])
        (outcome,) = result.results
        if outcome.exception_info and outcome.exception_info.get("raised_exception"):
            message = outcome.exception_info.get("exception_message")
            raise RuntimeError(f"validating {table} failed to run: {message}")
        return outcome

    def failed_rows(self, table: str, frame: Any) -> dict[int, str]:
        # Hand GX only the checked columns, and load the batch once: ``Batch.validate``
        # would load it a second time, so the validator is built from the batch definition
        # directly. A clean batch (the usual case) needs only the verdict; failing rows are
        # then listed by a second, complete pass over the same loaded batch.
        frame = frame[self._columns[table]]
        validator = self._validator_class(
            batch_definition=self._batches[table],
            result_format="BOOLEAN_ONLY",
            batch_parameters={"dataframe": frame},
        )
        if self._validate(validator, table).success:
            return {}
        validator.result_format = "COMPLETE"
        outcome = self._validate(validator, table)
        rows = [int(index) for index in outcome.result.get("unexpected_index_list") or ()]
        names = self._first_failures(SUITES[table], frame, rows)
        return dict(zip(rows, names, strict=True))


_runtime: _Runtime | None = None
_runtime_lock = threading.Lock()


def _get_runtime() -> _Runtime:
    global _runtime
    with _runtime_lock:
        if _runtime is None:
            _runtime = _Runtime()
        return _runtime


def prepare() -> None:
    """Import Great Expectations and build its context now (~3 s of CPU, ~100 MB), so that a
    sink's first flush does not pay for it. Blocking: call it from a thread."""
    _get_runtime()


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
