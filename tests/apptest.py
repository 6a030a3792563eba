"""Open a page of the app in Streamlit's AppTest, and find its tables."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def open_app_page(monkeypatch: pytest.MonkeyPatch, url: str, page: str | None = None) -> AppTest:
    """Run the app on the store at `url`, switch to `page` (e.g. "pages/map.py") and check nothing crashed."""
    monkeypatch.setenv("VOC_DATABASE_URL", url)
    app = AppTest.from_file(APP, default_timeout=90)
    app.run()
    if page:
        app.switch_page(page)
        app.run()
    assert not app.exception
    return app


def only_table(app: AppTest, column: str) -> pd.DataFrame:
    """Return the page's only table having the given column."""
    (table,) = (frame.value for frame in app.dataframe if column in frame.value.columns)
    return table
