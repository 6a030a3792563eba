"""A parsed table comes back from the limited child exactly as read (voc.ingest.transfer)."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from tests.files import REAL
from voc.ingest.limits import MAX_BYTES, MAX_ROWS
from voc.ingest.read import parse_table, read_table
from voc.ingest.transfer import pack, unpack


def _same(copy: pd.DataFrame, original: pd.DataFrame) -> None:
    """The same columns, index and dtypes, and cell by cell the same values of the same Python types."""
    assert list(copy.columns) == list(original.columns) and copy.index.equals(original.index)
    assert list(copy.dtypes) == list(original.dtypes)
    for name in range(original.shape[1]):
        for got, want in zip(copy.iloc[:, name], original.iloc[:, name], strict=True):
            assert type(got) is type(want)
            assert got == want or (isinstance(want, float) and math.isnan(want) and math.isnan(got))


def test_every_kind_of_column_comes_back_as_it_was() -> None:
    moment = dt.datetime(2026, 3, 1, 8, 30, 15, 123456)
    frame = pd.DataFrame(
        {
            "text": ["a", "", "é\u2060x"],
            "floats with a blank": [1.5, "", float("nan")],
            "ints": [1, 2, 2**40],
            "bools": [True, False, True],
            "stamps with a blank": [moment, "", moment],
            "dates": [dt.date(2026, 1, 1)] * 3,
            "times": [dt.time(8, 0), dt.time(23, 59, 59, 999999), dt.time(0, 0)],
            "durations": [dt.timedelta(days=1, seconds=3), dt.timedelta(0), dt.timedelta(microseconds=1)],
            "mixed": [1.0, "n/a", moment],  # three types: an Arrow array each
            "huge int": [2**70, 1, 2],  # past 64 bits: stays pickled
            "surrogate": ["\udcff", "a", "b"],  # not UTF-8: stays pickled
            "numbers": [1.0, 2.0, 3.0],
        },
        index=[5, 6, 7],
        dtype=object,  # as calamine's values arrive, pandas inferring nothing
    ).astype({"numbers": float})
    frame.columns = ["text", "floats with a blank", "ints", "bools", "Status", "Status", "times", "durations",
                     "mixed", "huge int", "surrogate", "numbers"]  # fmt: skip
    _same(unpack(pack(frame)), frame)


@pytest.mark.parametrize("name", ["kc311_potholes_2020JanFeb.xlsx", "baltimore311_2019-10_sample.csv"])
def test_a_real_export_read_through_the_child_equals_its_parse_here(name: str) -> None:
    data = (REAL / name).read_bytes()
    here = parse_table(data, name, sheet=None, max_bytes=MAX_BYTES, max_rows=MAX_ROWS)
    there = read_table(data, name)
    _same(there.frame, here.frame)
    assert there.row_numbers.tolist() == here.row_numbers.tolist() and there.header_row == here.header_row
