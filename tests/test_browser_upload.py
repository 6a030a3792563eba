"""Upload a real export through the real Upload page in headless Chromium and read the report."""

from __future__ import annotations

import pytest

from tests.browser import SCRIPT_FINISHED, chromium_page, open_page, running_app, screenshot
from tests.files import REAL
from voc.app.frame import PAGES

pytestmark = pytest.mark.browser


def test_upload_page_imports_a_file_and_shows_the_report(sqlite_url: str) -> None:
    export = REAL / "myla311_2018_mini.csv"
    with running_app(sqlite_url) as url, chromium_page() as page:
        open_page(page, f"{url}/upload")
        page.wait_for_selector("h1:has-text('Upload')")
        # The first request of a fresh server asks for /upload: the app frame must still run it.
        links = page.locator('[data-testid="stSidebarNavLink"]').all_inner_texts()
        assert [link.split()[-1] for link in links] == [page.title for page in PAGES]
        page.set_input_files('[data-testid="stFileUploaderDropzoneInput"]', str(export))
        page.wait_for_selector("text=Recognised layout", timeout=60_000)
        page.get_by_role("button", name="Import", exact=True).click()
        page.wait_for_selector("text=Imported as upload 1: 300 new", timeout=60_000)
        page.wait_for_selector('[data-testid="stMetric"]:has-text("Rows read")')
        page.wait_for_selector(SCRIPT_FINISHED)
        main = page.inner_text('[data-testid="stMain"]')
        assert "Rows read" in main and "Rejected" in main
        assert "request types have no category yet" in main
        assert page.locator('[data-testid="stException"]').count() == 0
        screenshot(page, "upload-report")
