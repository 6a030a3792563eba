"""A parsed table comes back from the limited child exactly as read (voc.ingest.child, pickled with gc paused)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from tests.files import REAL
from voc.ingest.limits import MAX_BYTES, MAX_ROWS
from voc.ingest.read import parse_table, read_table


def _same(copy: pd.DataFrame, original: pd.DataFrame) -> None:
    """The same columns, index and dtypes, and cell by cell the same values of the same Python types."""
    assert list(copy.columns) == list(original.columns) and copy.index.equals(original.index)
    assert list(copy.dtypes) == list(original.dtypes)
    for name in range(original.shape[1]):
        for got, want in zip(copy.iloc[:, name], original.iloc[:, name], strict=True):
            assert type(got) is type(want)
            assert got == want or (isinstance(want, float) and math.isnan(want) and math.isnan(got))


@pytest.mark.parametrize("name", ["kc311_potholes_2020JanFeb.xlsx", "baltimore311_2019-10_sample.csv"])
def test_a_real_export_read_through_the_child_equals_its_parse_here(name: str) -> None:
    data = (REAL / name).read_bytes()
    here = parse_table(data, name, sheet=None, max_bytes=MAX_BYTES, max_rows=MAX_ROWS)
    there = read_table(data, name)
    _same(there.frame, here.frame)
    assert there.row_numbers.tolist() == here.row_numbers.tolist() and there.header_row == here.header_row
