"""Triage in headless Chromium on the demo county: each issue's state, an acted one's action and effect, the form."""

from __future__ import annotations

from datetime import date

import pytest

from tests.browser import ARTIFACTS, chromium_page, open_page, running_app
from voc.contacts.triage import acknowledge, act_on_issue
from voc.core.access import Role
from voc.store.engine import open_store

pytestmark = pytest.mark.browser
MONTH = "2026-10"


def test_the_trends_page_shows_each_issue_with_its_state_action_and_effect(demo_copy: str) -> None:
    engine = open_store(demo_copy)
    act_on_issue(
        engine, "illegal-dumping-2026-08", month=MONTH, description="Cameras at the three dump sites",
        action_date=date(2026, 8, 15), user="ana", role=Role.ANALYST,
    )  # fmt: skip
    acknowledge(engine, "streetlight-out-2026-08", "seen", month=MONTH, user="ana", role=Role.ANALYST)
    engine.dispose()
    with running_app(demo_copy) as url, chromium_page(height=1200) as page:
        open_page(page, f"{url}/trends")
        page.get_by_text("Set an issue's state").click()
        page.wait_for_selector("text=Save the state")
        panel = page.locator('[data-testid="stExpander"]').first
        text = panel.inner_text()
        assert "Acted on · Illegal dumping in District 5" in text
        assert (
            "Action: Cameras at the three dump sites" in text and "Effect so far: Illegal dumping in District 5" in text
        )
        assert "Seen · Streetlight out in District 1" in text and "New · Flooding / standing water" in text
        assert page.locator('[data-testid="stException"]').count() == 0
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        panel.screenshot(path=str(ARTIFACTS / "trends-triage.png"))
