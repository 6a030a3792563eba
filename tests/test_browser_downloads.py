"""Downloads in a real browser: a chart's PNG and a table's CSV and XLSX, as a department head gets them."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from openpyxl import load_workbook
from PIL import Image

from tests.browser import ARTIFACTS, chromium_page, open_page, running_app

pytestmark = pytest.mark.browser


def _download(page, key: str) -> bytes:  # type: ignore[no-untyped-def]
    """Click the download button with the given widget key; return the file the browser saved."""
    with page.expect_download(timeout=60_000) as download:
        page.locator(f".st-key-{key} button").click()
    path = download.value.path()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    download.value.save_as(ARTIFACTS / download.value.suggested_filename)
    return path.read_bytes()


def test_a_chart_downloads_as_png_and_a_table_as_csv_and_xlsx(demo_store_url: str) -> None:
    with running_app(demo_store_url) as url, chromium_page() as page:
        open_page(page, url)
        page.wait_for_selector(".st-key-overview_monthly_png button")
        png = _download(page, "overview_monthly_png")
        image = Image.open(io.BytesIO(png))
        assert image.format == "PNG" and image.size[0] > 2400
        assert (ARTIFACTS / "contacts-per-month-2026-10.png").exists()

        open_page(page, f"{url}/trends")
        page.wait_for_selector(".st-key-trends_records_csv button")
        csv = pd.read_csv(io.BytesIO(_download(page, "trends_records_csv")), encoding="utf-8-sig", dtype=str)
        workbook = load_workbook(io.BytesIO(_download(page, "trends_records_xlsx")), read_only=True)
        rows = list(workbook.active.iter_rows(values_only=True))
        assert len(csv) == len(rows) - 1 == 500
        assert list(csv.columns) == list(rows[0])
        assert csv["source_id"].tolist() == [str(row[list(rows[0]).index("source_id")]) for row in rows[1:]]
        assert page.locator('[data-testid="stException"]').count() == 0
        _download(page, "trends_chart_png")

        # The table's own toolbar offers no raw CSV: residents' text would reach Excel as formulas.
        table = page.locator('[data-testid="stDataFrame"]').first
        table.scroll_into_view_if_needed()
        table.hover()
        page.wait_for_timeout(1500)  # the toolbar appears under the pointer
        titles = page.locator('[data-testid="stBaseButton-elementToolbar"]').evaluate_all(
            "bs => bs.map(b => b.ariaLabel)"
        )
        assert "Search" in titles, titles
        assert "Download as CSV" not in titles, titles
