"""Names from uploads that hold Markdown, links, images and bare URLs show as typed on every page (issue 14).

A viewer's browser must render no link or image from them and fetch nothing beyond the app: the
districts and candidates of the demo county are renamed to hostile text, and every page is opened.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
import sqlalchemy as sa

from tests.browser import chromium_page, open_page, running_app, screenshot
from voc.demo.load import load_demo
from voc.store.engine import open_store

pytestmark = pytest.mark.browser

HOSTILE = (
    "[click](https://evil.example/a) ![pixel](https://evil.example/i.png) https://evil.example/b "
    "www.evil.example :red-background[alarm] $x^2$ mail@evil.example"
)


@pytest.fixture(scope="module")
def hostile_store(tmp_path_factory: pytest.TempPathFactory, demo_county) -> Iterator[tuple[str, str, int]]:
    """The demo county with every district and candidate named by hostile text; yields (url, a code, an id)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('hostile_text') / 'voc.db'}"
    engine = open_store(url)
    load_demo(engine, user="test", county=demo_county)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE districts SET name = :name || ' ' || code"), {"name": HOSTILE})
        connection.execute(sa.text("UPDATE candidates SET name = :name || ' ' || id"), {"name": HOSTILE})
        code = connection.execute(sa.text("SELECT min(code) FROM districts")).scalar_one()
        candidate = connection.execute(sa.text("SELECT min(id) FROM candidates")).scalar_one()
    engine.dispose()
    yield url, code, candidate


def test_hostile_names_render_as_text_on_every_page(hostile_store: tuple[str, str, int], tmp_path: Path) -> None:
    url_db, code, candidate = hostile_store
    with running_app(url_db) as url, chromium_page() as page:
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))
        views = {
            "overview": "",
            "trends": "trends",
            "map": f"map?map_district={code}",
            "surveys": "surveys",
            "priorities": f"priorities?priorities_candidate={candidate}",
            "presentation": "priorities?present=1",
            "upload": "upload",
            "data": "data",
            "users": "users",
        }
        for name, path in views.items():
            open_page(page, f"{url}/{path}")
            page.wait_for_timeout(1000)  # charts and maps load after the script has finished
            screenshot(page, f"hostile-text-{name}")
            assert page.locator('[data-testid="stException"]').count() == 0, name
            assert page.locator('a[href*="evil.example"]').count() == 0, name
            assert page.locator('img[src*="evil.example"]').count() == 0, name
            assert page.locator(".katex").count() == 0, name
        hosts = {urlparse(address).hostname for address in requested if address.startswith("http")}
        assert hosts == {"127.0.0.1"}, hosts

        # The names were on the pages, as typed: the profile heading and the presentation's title.
        open_page(page, f"{url}/map?map_district={code}")
        heading = page.locator('[data-testid="stHeading"]', has_text="red-background").first.inner_text()
        assert heading.replace("\u2060", "").startswith(f"{HOSTILE} {code}")
        open_page(page, f"{url}/priorities?present=1")
        page.get_by_text("One project", exact=True).click()
        title = page.locator("h1", has_text="red-background").first.inner_text()
        screenshot(page, "hostile-text-presentation-project")
        assert page.locator('a[href*="evil.example"], img[src*="evil.example"]').count() == 0
        assert title.replace("\u2060", "").startswith(f"{HOSTILE} ")
