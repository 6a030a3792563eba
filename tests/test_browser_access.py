"""In Chromium: a viewer's navigation and URLs, a hand-written Trends URL, script payloads staying inert."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tests.browser import chromium_page, open_page, running_app, screenshot
from tests.files import REAL
from voc.contacts.actions import add_action
from voc.core.access import Role
from voc.core.config import load_settings
from voc.core.users import add_user
from voc.ingest.boundaries import import_districts
from voc.ingest.pipeline import import_requests
from voc.ingest.request_types import save_type_map, type_table
from voc.store.districts import load_districts
from voc.store.engine import open_store

pytestmark = pytest.mark.browser
PASSWORD = "a long enough passphrase"
IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "<script>alert(1)</script>"
LINK = "[see here](javascript:alert(1))"
LATEX = r"$\href{javascript:alert(1)}{x}$"


def _nav_links(page) -> list[str]:  # type: ignore[no-untyped-def]
    return [link.inner_text().split()[-1] for link in page.locator('[data-testid="stSidebarNav"] a').all()]


def test_a_viewer_signs_in_and_cannot_reach_analyst_pages(demo_store_url: str, tmp_path: Path) -> None:
    users = tmp_path / "voc_users.toml"
    add_user(users, "vera", PASSWORD, role=Role.VIEWER, acting_role=Role.ADMIN)
    with running_app(demo_store_url, env={"VOC_USERS_FILE": str(users)}) as url, chromium_page() as page:
        open_page(page, f"{url}/upload")
        page.wait_for_selector("h1:has-text('Sign in to voc')")
        # Streamlit says the page does not exist (it is in nobody's navigation until sign-in): close that.
        page.wait_for_selector("text=Page not found")
        page.keyboard.press("Escape")
        page.get_by_label("User name").fill("vera")
        page.get_by_label("Password", exact=True).fill("wrong password here")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_selector("text=Wrong user name or password.")
        screenshot(page, "access-sign-in-refused")
        page.get_by_label("User name").fill("vera")
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_selector("h1:has-text('Overview')")
        assert _nav_links(page) == ["Overview", "Trends", "Map", "Surveys", "Priorities"]
        assert "Signed in as vera (viewer)" in page.inner_text('[data-testid="stSidebar"]')
        screenshot(page, "access-viewer-overview")

        # Local sign-in lasts as long as the browser tab's session: opening a URL afresh asks again,
        # so a viewer's URLs are tested in AppTest (tests/test_app_access.py).
        page.get_by_role("link", name="Trends").click()
        page.wait_for_selector("h1:has-text('Trends')")
        page.get_by_role("tab", name="Actions").click()
        page.wait_for_selector("text=Analysts record actions here")
        assert page.get_by_role("button", name="Record the action").count() == 0
        screenshot(page, "access-viewer-trends-actions")


def test_a_hand_written_trends_url_restores_the_view(demo_store_url: str) -> None:
    with running_app(demo_store_url) as url, chromium_page() as page:
        open_page(page, f"{url}/trends?trends_by=district_code&trends_months=2025-01&trends_months=2025-06")
        page.wait_for_selector("h1:has-text('Trends')")
        checked = '[data-testid="stButtonGroup"] button[aria-checked="true"]'
        # The heading can be drawn before the button groups below it: wait for both groups' choices.
        page.wait_for_function(f"document.querySelectorAll('{checked}').length >= 2")
        buttons = page.locator(checked).all_inner_texts()
        assert buttons == ["District", "Month"]
        slider = page.inner_text('[data-testid="stSlider"]')
        assert "Jan 2025" in slider and "Jun 2025" in slider
        screenshot(page, "trends-url-district")


@pytest.fixture
def payload_store(demo_copy: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A copy of the demo county whose uploaded text fields carry script, markdown and LaTeX payloads."""
    url = demo_copy
    monkeypatch.setenv("VOC_DATABASE_URL", url)
    engine = open_store(url)
    types = type_table(engine).drop(columns=["contacts"])
    flooding = types["category"] == "Flooding / standing water"
    types.loc[flooding, "category"] = f"{IMG} {LINK}"
    types.loc[flooding, "department"] = SCRIPT
    save_type_map(engine, types, user="ana", role=Role.ANALYST)
    districts = load_districts(engine)
    districts.loc[districts["code"] == "3", "name"] = f"{SCRIPT} {LATEX}"
    import_districts(engine, districts.to_json().encode(), "districts.geojson", user="ana", role=Role.ANALYST,
                     code_field="code", name_field="name", population_field="population")  # fmt: skip
    add_action(engine, action_date=date(2026, 4, 1), description=f"{IMG} {LINK} {LATEX}", user="ana",
               role=Role.ANALYST)  # fmt: skip
    crm = (REAL / "baltimore311_2019-10_sample.csv").read_text().replace("ECC-Information Request", SCRIPT)
    import_requests(engine, crm.encode(), f"{IMG}.csv", load_settings(), role=Role.ANALYST)
    engine.dispose()
    return url


def test_script_payloads_in_uploaded_text_stay_inert(payload_store: str) -> None:
    dialogs: list[str] = []
    with running_app(payload_store) as url, chromium_page() as page:
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        for path, name in [
            ("", "overview"),
            ("trends?trends_by=district_code", "trends"),
            ("trends?trends_tab=Actions&trends_category=Potholes", "trends-actions"),
            ("upload?upload_tab=History", "upload"),
            ("data", "data"),
        ]:
            open_page(page, f"{url}/{path}")
            page.wait_for_timeout(1500)  # let charts and tables draw (and any injected script run)
            screenshot(page, f"payloads-{name}")
            assert page.locator('img[src="x"]').count() == 0
            assert page.locator('a[href^="javascript"]').count() == 0
            assert page.locator("script:text('alert(1)')").count() == 0
            assert page.locator('[data-testid="stException"]').count() == 0
            if name == "overview":
                main = page.inner_text('[data-testid="stMain"]')
                # The emerging-issue sentence names the category and the district: shown as typed.
                assert f"{IMG} {LINK} in {SCRIPT} {LATEX}:" in main
        assert dialogs == []


def test_the_open_demo_answers_no_other_host_name(demo_store_url: str) -> None:
    # DNS rebinding: a name the attacker controls resolves to this machine, so the visitor's browser
    # sends the attacker's Host (and a matching Origin), which Streamlit's own checks accept.
    rebinding = ("--host-resolver-rules=MAP evil.example 127.0.0.1",)
    with running_app(demo_store_url) as url, chromium_page(args=rebinding) as page:
        port = url.rsplit(":", 1)[1]
        open_page(page, f"http://evil.example:{port}/upload")
        screenshot(page, "rebinding-refused")
        refusal = page.locator('[data-voc-text="error"]').inner_text()
        assert refusal.startswith(
            f"This open demo answers only to localhost, and it was reached as 'evil.example:{port}'"
        )
        assert _nav_links(page) == [] and page.locator('[data-testid="stFileUploader"]').count() == 0
        open_page(page, f"http://localhost:{port}/upload")
        page.wait_for_selector('[data-testid="stFileUploader"]')
        assert page.locator('[data-voc-text="error"]').count() == 0
