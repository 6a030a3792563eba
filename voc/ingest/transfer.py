"""How a parse's result travels from the limited child back to the server: fast, and exactly as read.

A workbook's table is object columns of calamine's values (str, float, int, bool, dates, times):
pickled one Python object at a time, 100,000 rows by 20 columns took 11 s, more than the parse.
An object column travels instead as one Arrow array per type of value in it (dates, and "" for the
blank cells), which pickle as a few buffers; the parent makes the same Python values again in C.
A column holding any other type, and everything that is not a plain DataFrame, is pickled as before.
The garbage collector is paused while millions of objects are made: it would walk them again and again.
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
    """An object column as [(its cells of one type, their positions or None for all, Arrow array)], else values."""
    if column.dtype != object or not len(column):
        return column.array
    values = column.to_numpy()
    types = np.array(list(map(type, values)), dtype=object)
    kinds = set(types)
    if not kinds <= _ARROW_TYPES.keys():
        return values
    try:
        if len(kinds) == 1:
            return [(None, pa.array(values, type=_ARROW_TYPES[types[0]]))]
        at = {kind: np.flatnonzero(types == kind) for kind in kinds}  # e.g. dates beside "" for blank cells
        return [(where, pa.array(values[where], type=_ARROW_TYPES[kind])) for kind, where in at.items()]
    except (pa.ArrowException, OverflowError, ValueError):  # lone surrogates, ints past 64 bits, ...
        return values


def _unpacked_frame(columns: list[object], names: pd.Index, index: pd.Index, attrs: dict) -> pd.DataFrame:
    # Each column keeps its dtype: from a bare object array, pandas would infer "str" for text.
    frame = pd.DataFrame({n: _unpacked_column(column, index) for n, column in enumerate(columns)})
    frame.columns = names
    frame.attrs = attrs
    return frame


def _unpacked_column(column: object, index: pd.Index) -> pd.Series:
    if isinstance(column, list):
        values = np.empty(len(index), dtype=object)
        for where, array in column:
            values[slice(None) if where is None else where] = array.to_pylist()
        column = values
    return pd.Series(column, index=index, dtype=object if isinstance(column, np.ndarray) else None, copy=False)


@contextmanager
def _collector_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
