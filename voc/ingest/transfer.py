"""How a parse's result travels from the limited child back to the server: fast, and exactly as read.

A workbook's table is object columns of calamine's values (str, float, int, bool, dates, times):
pickled one Python object at a time, 100,000 rows by 20 columns took 11 s, more than the parse.
A column whose values are all of one type (blank cells, "", aside) travels instead as one Arrow
array, which pickles as a few buffers; the parent makes the same Python values again in C. Any
other column, and everything that is not a plain DataFrame, is pickled as before. The garbage
collector is paused while millions of objects are made: it would otherwise walk them again and again.
"""

from __future__ import annotations

import datetime as dt
import gc
import io
import pickle
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

# The Python types calamine gives a cell, and the Arrow type each column of one of them travels as.
_ARROW_TYPES: dict[type, pa.DataType] = {
    str: pa.string(),
    float: pa.float64(),
    int: pa.int64(),
    bool: pa.bool_(),
    dt.datetime: pa.timestamp("us"),
    dt.date: pa.date32(),
    dt.time: pa.time64("us"),
    dt.timedelta: pa.duration("us"),
}


def pack(value: object) -> bytes:
    """Return a picklable value as bytes, with the object columns of its plain DataFrames as Arrow arrays."""
    buffer = io.BytesIO()
    with _collector_paused():
        _Packer(buffer, protocol=5).dump(value)
    return buffer.getvalue()


def unpack(data: bytes) -> Any:
    """Return the value pack() was given, its DataFrames' object columns holding the same Python values."""
    with _collector_paused():
        return pickle.loads(data)


class _Packer(pickle.Pickler):
    def reducer_override(self, obj: object) -> Any:
        if type(obj) is not pd.DataFrame or not (obj.dtypes == object).any():  # noqa: E721 (subclasses differ)
            return NotImplemented
        columns = [_packed_column(column) for _, column in obj.items()]
        return _unpacked_frame, (columns, obj.columns, obj.index, obj.attrs)


def _packed_column(column: pd.Series) -> object:
    """An object column as (Arrow array, its nulls were "") when its values are of one type, else its values."""
    if column.dtype != object or not len(column):
        return column.array
    values = column.to_numpy()
    kinds = set(map(type, values))
    blanks = str in kinds and len(kinds) == 2 and all(v == "" for v in values if type(v) is str)
    typed = kinds - {str} if blanks else kinds
    arrow_type = _ARROW_TYPES.get(typed.pop()) if len(typed) == 1 else None
    if arrow_type is None:
        return values
    try:
        present = [None if type(v) is str else v for v in values] if blanks else values
        return pa.array(present, type=arrow_type), blanks
    except (pa.ArrowException, OverflowError, ValueError):  # lone surrogates, ints past 64 bits, ...
        return values


def _unpacked_frame(columns: list[object], names: pd.Index, index: pd.Index, attrs: dict) -> pd.DataFrame:
    # Each column keeps its dtype: from a bare object array, pandas would infer "str" for text.
    frame = pd.DataFrame({n: _unpacked_column(column, index) for n, column in enumerate(columns)})
    frame.columns = names
    frame.attrs = attrs
    return frame


def _unpacked_column(column: object, index: pd.Index) -> pd.Series:
    if isinstance(column, np.ndarray):
        return pd.Series(column, index=index, dtype=object, copy=False)
    if not isinstance(column, tuple):
        return pd.Series(column, index=index, copy=False)
    array, blanks = column
    values = np.empty(len(array), dtype=object)
    values[:] = array.to_pylist()
    if blanks:
        values[array.is_null().to_numpy(zero_copy_only=False)] = ""
    return pd.Series(values, index=index, dtype=object, copy=False)


@contextmanager
def _collector_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
