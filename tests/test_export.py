"""Downloads never turn uploaded text into formulas, and show times in the county's zone."""

from __future__ import annotations

import io

import pandas as pd
from openpyxl import load_workbook

from voc.export import csv_bytes, xlsx_bytes

HOSTILE = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "plain", "<img src=x onerror=alert(1)>"]


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "description": HOSTILE,
            "contacts": range(len(HOSTILE)),
            "opened_at": pd.to_datetime(["2026-03-01 17:00"] * len(HOSTILE), utc=True),
        }
    )


def test_csv_neutralises_formulas_and_keeps_numbers() -> None:
    text = csv_bytes(_frame(), timezone="America/New_York").decode("utf-8-sig")
    read = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    assert read["description"].tolist() == ["'" + v for v in HOSTILE[:5]] + HOSTILE[5:]
    assert read["contacts"].tolist() == [str(i) for i in range(len(HOSTILE))]
    assert read["opened_at"].iloc[0] == "2026-03-01 12:00:00"


def test_xlsx_stores_text_as_text_never_as_formula() -> None:
    workbook = load_workbook(io.BytesIO(xlsx_bytes(_frame(), timezone="America/New_York")))
    sheet = workbook.active
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert [c.value for c in cells] == HOSTILE
    assert all(c.data_type == "s" for c in cells)
    assert sheet.cell(row=2, column=2).value == 0 and sheet.cell(row=2, column=2).data_type == "n"
    assert sheet.cell(row=2, column=3).value.isoformat() == "2026-03-01T12:00:00"
