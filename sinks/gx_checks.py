"""A Great Expectations expectation that runs a table's whole ``Check`` list in one pass.

GX spends ~10-40 ms of fixed work per expectation per validation, whatever the row count,
so a 13-expectation suite costs more than the database write of a 5,000-row batch. One
multicolumn map expectation per table keeps the GX work per flush to a single metric while
every check stays vectorised (pandas) and the failing rows come from GX's own
``unexpected_index_list``. Importing this module imports Great Expectations (~3 s).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd  # type: ignore[import-untyped]
from great_expectations.compatibility.pydantic import PrivateAttr
from great_expectations.execution_engine.pandas_execution_engine import PandasExecutionEngine
from great_expectations.expectations.expectation import MulticolumnMapExpectation
from great_expectations.expectations.expectation_configuration import ExpectationConfiguration
from great_expectations.expectations.metrics.map_metric_provider.multicolumn_condition_partial import (
    multicolumn_condition_partial,
)
from great_expectations.expectations.metrics.map_metric_provider.multicolumn_map_metric_provider import (
    MulticolumnMapMetricProvider,
)

from sinks.expectations import SUITES, Check

__all__ = ["ExpectRowsToPassTableChecks", "check_passes", "first_failures"]


BoolArray = np.ndarray[Any, np.dtype[np.bool_]]


def _bools(values: Any) -> BoolArray:
    return np.asarray(values, dtype=np.bool_)


def check_passes(check: Check, frame: pd.DataFrame) -> BoolArray:
    """Per row of ``frame``: does it pass ``check``? Nulls pass all but ``not_null``."""
    column = frame[check.column]
    if check.kind == "between" and column.dtype.kind == "f":
        return _float_between(check, column.to_numpy())
    missing = np.asarray(column.isna(), dtype=bool)
    if check.kind == "not_null":
        return ~missing
    if check.kind == "unique":
        return _bools(missing | ~np.asarray(column.duplicated(keep=False), dtype=bool))
    if check.kind == "in_set":
        return _bools(missing | np.asarray(column.isin(check.value_set), dtype=bool))
    values = pd.to_numeric(column, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    inside: BoolArray = ~np.isnan(values)
    if check.min_value is not None:
        inside &= values >= check.min_value
    if check.max_value is not None:
        inside &= values <= check.max_value
    return _bools(missing | inside)


def _float_between(check: Check, values: np.ndarray[Any, np.dtype[np.floating[Any]]]) -> BoolArray:
    """``between`` on a float column: NaN (pandas' null) passes, as in :func:`check_passes`."""
    inside: BoolArray = np.ones(len(values), dtype=bool)
    if check.min_value is not None:
        inside &= values >= check.min_value
    if check.max_value is not None:
        inside &= values <= check.max_value
    return _bools(inside | np.isnan(values))


def rows_pass(checks: Sequence[Check], frame: pd.DataFrame) -> pd.Series:
    """True for the rows of ``frame`` passing every check."""
    passes = np.ones(len(frame), dtype=bool)
    for check in checks:
        passes &= check_passes(check, frame)
    return pd.Series(passes, index=frame.index)


def first_failures(checks: Sequence[Check], frame: pd.DataFrame, rows: Sequence[int]) -> list[str]:
    """For each of ``rows`` (positions in ``frame``), the first check it fails."""
    subset = frame.iloc[list(rows)]
    verdicts = [check_passes(check, subset) for check in checks]
    names = []
    for position in range(len(subset)):
        failed = next((c for c, ok in zip(checks, verdicts, strict=True) if not ok[position]), None)
        names.append("row check" if failed is None else failed.describe())
    return names


class MulticolumnValuesPassTableChecks(MulticolumnMapMetricProvider):
    """Metric ``multicolumn_values.pass_table_checks``: rows passing their table's checks."""

    condition_metric_name = "multicolumn_values.pass_table_checks"
    condition_domain_keys = (
        "batch_id",
        "table",
        "column_list",
        "row_condition",
        "condition_parser",
        "ignore_row_if",
    )
    condition_value_keys = ("table_name",)

    @multicolumn_condition_partial(engine=PandasExecutionEngine)  # type: ignore[untyped-decorator]
    def _pandas(cls, column_list: pd.DataFrame, **kwargs: Any) -> pd.Series:
        return rows_pass(SUITES[kwargs["table_name"]], column_list)


class ExpectRowsToPassTableChecks(MulticolumnMapExpectation):
    """Expect every row to pass the ``Check`` list of ``sinks.expectations.SUITES[table_name]``."""

    table_name: str
    ignore_row_if: Literal["all_values_are_missing", "any_value_is_missing", "never"] = "never"

    map_metric = "multicolumn_values.pass_table_checks"
    success_keys = ("mostly", "table_name")
    args_keys = ("column_list", "table_name")
    library_metadata: ClassVar[dict[str, Any]] = {"maturity": "experimental", "tags": ["cryotrace"]}

    # GX rebuilds ``configuration`` (a pydantic ``dict()`` of the expectation) some 80 times
    # per validation, a third of its fixed cost per batch: build it once per field state.
    _configuration: Any = PrivateAttr(default=None)

    @property
    def configuration(self) -> ExpectationConfiguration:
        """GX's configuration of this expectation, cached until a field changes."""
        if self._configuration is None:
            self._configuration = super().configuration
        configuration: ExpectationConfiguration = self._configuration
        return configuration

    def __setattr__(self, name: str, value: Any) -> None:
        super().__setattr__(name, value)
        if name != "_configuration":
            self._configuration = None


def expectation_for(table: str) -> ExpectRowsToPassTableChecks:
    """The one expectation validating ``table``'s batches."""
    columns = list(dict.fromkeys(check.column for check in SUITES[table]))
    return ExpectRowsToPassTableChecks(column_list=columns, table_name=table)
