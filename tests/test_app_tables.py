"""Every table of the app reads the same: human headers, separated thousands, one decimal, a dash for a blank."""

from __future__ import annotations

import ast
from pathlib import Path

import pandas as pd
import pytest

from tests.apptest import open_app_page
from voc.app import columns

ROOT = Path(__file__).resolve().parents[1]


def _format(config: object) -> str | None:
    return config["type_config"].get("format") if isinstance(config, dict) else None  # type: ignore[index]


def test_columns_left_out_get_a_label_and_a_number_format() -> None:
    frame = pd.DataFrame(
        {"opened_at": pd.to_datetime(["2026-10-31"]), "contacts": [12_345], "per_1000": [3.14159], "year": [2026],
         "upload_id": [7], "still_open": [True], "category": ["Potholes"], "given": [1]}
    )  # fmt: skip
    config = columns.configured(frame, {"given": "As given"})
    assert config["given"] == "As given"
    assert config["opened_at"] == "Opened"  # the field's label, without the mapping's explanation
    assert config["category"] == "Category"
    assert (config["contacts"]["label"], _format(config["contacts"])) == ("Contacts", columns.COUNT)
    assert (config["per_1000"]["label"], _format(config["per_1000"])) == (
        "Contacts per 1,000 residents",
        columns.DECIMAL,
    )
    assert _format(config["year"]) == _format(config["upload_id"]) == "%d"  # no "2,026"
    assert config["still_open"]["type_config"]["type"] == "checkbox"


def test_the_app_shows_tables_only_through_show_table() -> None:
    """st.dataframe is called in one place, so no table escapes the labels, formats and dash for blanks."""
    calls = []
    for path in [*(ROOT / "voc" / "app").glob("*.py"), *(ROOT / "pages").glob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr == "dataframe":
                calls.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert len(calls) == 1 and calls[0].startswith("voc/app/show.py:"), calls


@pytest.mark.parametrize("page", ["pages/trends.py"])
def test_a_demo_table_shows_dashes_and_formats(monkeypatch: pytest.MonkeyPatch, demo_store_url: str, page: str) -> None:
    app = open_app_page(monkeypatch, demo_store_url, page)
    records = next(frame for frame in app.dataframe if "closed_at" in frame.value.columns)
    assert records.value["closed_at"].isna().any()  # the demo's still-open contacts: shown as a dash
    shown = records.proto
    assert shown.placeholder == columns.MISSING
    assert '"source_id": {"label": "Record ID"' in shown.columns
