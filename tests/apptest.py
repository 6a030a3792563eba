"""Open a page of the app in Streamlit's AppTest, and find its tables."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")
_PLAIN = re.compile(r'data-voc-text="(\w+)"[^>]*>(.*)</\w+>$', re.DOTALL)


def open_app_page(
    monkeypatch: pytest.MonkeyPatch,
    url: str,
    page: str | None = None,
    *,
    query: dict[str, str] | None = None,
    timeout: float = 90,
) -> AppTest:
    """Run the app on the store at `url` (with `query` in its URL), switch to `page` and check nothing crashed."""
    monkeypatch.setenv("VOC_DATABASE_URL", url)
    app = AppTest.from_file(APP, default_timeout=timeout)
    app.query_params.update(query or {})
    app.run()
    if page:
        app.switch_page(page)
        app.run()
    assert not app.exception
    return app


def open_shared_url(monkeypatch: pytest.MonkeyPatch, url: str, page: str, query: dict[str, str | list[str]]) -> AppTest:
    """Open a page as a bookmarked or e-mailed URL does: the session's first run is that page, with the query."""
    monkeypatch.setenv("VOC_DATABASE_URL", url)
    app = AppTest.from_file(APP, default_timeout=90)
    app.switch_page(page)
    app.query_params.update(query)
    app.run()
    assert not app.exception
    return app


def open_tab(app: AppTest, key: str, label: str) -> None:
    """Open a tab as a click on it does (a tab bound to the URL is a widget: only the open one runs), and rerun."""
    app.session_state[key] = label
    app.run()
    assert not app.exception


def only_table(app: AppTest, column: str) -> pd.DataFrame:
    """Return the page's only table having the given column."""
    (table,) = (frame.value for frame in app.dataframe if column in frame.value.columns)
    return table


def plain_texts(app: AppTest | object, kind: str) -> list[str]:
    """Return, unescaped, the texts of one kind a page (or a part: app.sidebar) showed with voc.app.plain.show."""
    found = (_PLAIN.search(element.value) for element in app.html)  # type: ignore[attr-defined]
    return [html.unescape(match[2]) for match in found if match and match[1] == kind]
