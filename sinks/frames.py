"""Column lists to pandas frames typed by the table: the frame GX validates is the one DuckDB scans."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd  # type: ignore[import-untyped]
import sqlalchemy as sa

from sinks.models import TABLES
from sinks.rows import Columns

__all__ = ["typed_frame"]


def _float_array(values: list[Any]) -> Any:
    """``float64`` (``None`` -> NaN, as pandas' inference makes it), else ``values`` as given."""
    if values and values[0] is None and values.count(None) == len(values):
        return np.full(len(values), np.nan)  # an absent field: 100x cheaper than converting
    try:
        return np.array(values, dtype=np.float64)
    except (TypeError, ValueError):  # not numbers (only a model built without validation)
        return values


def _integer_array(values: list[Any]) -> Any:
    """``int64`` when every value is an ``int``, else ``values`` for pandas to infer as before."""
    if all(type(value) is int for value in values):
        try:
            return np.array(values, dtype=np.int64)
        except OverflowError:  # beyond 64 bits: the database rejects it, as before
            return values
    return values


_CONVERTERS = {sa.Double: _float_array, sa.BigInteger: _integer_array, sa.Integer: _integer_array}


def typed_frame(table: str, columns: Columns) -> pd.DataFrame:
    """``columns`` as a frame with a default index, numeric columns converted by their SQL type.

    ``Double`` columns become ``float64`` straight from the lists (``None`` -> NaN, which
    pandas' own inference also does for a column holding any number, and which DuckDB
    stores as NULL) instead of being inferred value by value; an all-``None`` column is
    ``float64`` too, not ``object``, so the checks and the scan stay vectorised. Integer
    columns become ``int64`` when they hold only ``int``. Every other column, and any column
    whose values do not convert, is left to pandas' inference as ``pd.DataFrame(columns)``
    would do.
    """
    types = TABLES[table].c
    data: dict[str, Any] = {}
    for name, values in columns.items():
        convert = _CONVERTERS.get(type(types[name].type)) if name in types else None
        data[name] = values if convert is None else convert(values)
    return pd.DataFrame(data, copy=False)
