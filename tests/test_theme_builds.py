"""Theme builds never block a page: one build per store at a time, in the background, and pages say how current."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from tests.apptest import only_table, open_app_page, plain_texts
from tests.files import REAL
from voc.contacts import regrouping, theming
from voc.contacts.regrouping import BuildStatus, build_status, request_build, run_requested_builds, status_sentence
from voc.contacts.theming import stored_themes
from voc.store.engine import open_store, record_audit, write_transaction
from voc.store.models import AuditEntry, ServiceRequest
from voc.store.theme_builds import read_build_state, record_start

GAINESVILLE = REAL / "gainesville_mygnv_311_sample5000.csv"
SLOW_BUILD = Path(__file__).with_name("slow_theme_build.py")
BUILD_DELAY = 6.0  # seconds the slowed build sleeps before grouping
WAIT_SECONDS = 120.0


def _slow_builds(monkeypatch: pytest.MonkeyPatch, delay: float = BUILD_DELAY, release: Path | None = None) -> None:
    """Have the app's builds group SECONDS later, or as soon as the `release` file exists."""
    command = (sys.executable, str(SLOW_BUILD), str(delay), *([str(release)] if release else []))
    monkeypatch.setattr(regrouping, "BUILD_COMMAND", command)


def _wait_until_built(engine: sa.Engine) -> BuildStatus:
    deadline = time.monotonic() + WAIT_SECONDS
    while (status := build_status(engine)).running_since is not None or status.pending:
        assert status.failure is None, status.failure
        assert time.monotonic() < deadline, "the background build did not finish"
        time.sleep(0.3)
    return status


def _described(engine: sa.Engine) -> int:
    requests = ServiceRequest.__table__
    query = sa.select(sa.func.count()).where(sa.func.trim(sa.func.coalesce(requests.c.description, "")) != "")
    with engine.connect() as connection:
        return connection.execute(query).scalar_one()


def _builds_recorded(engine: sa.Engine) -> int:
    audit = AuditEntry.__table__
    with engine.connect() as connection:
        return connection.execute(sa.select(sa.func.count()).where(audit.c.action == "build themes")).scalar_one()


def _half_of_gainesville() -> tuple[bytes, bytes]:
    """The real file cut in two by its rows: a first upload, and a second that adds the rest."""
    records = pd.read_csv(GAINESVILLE, dtype=str, keep_default_na=False)
    half = len(records) // 2
    return records.head(half).to_csv(index=False).encode(), records.to_csv(index=False).encode()


def _upload(app, data: bytes, name: str):  # type: ignore[no-untyped-def]
    app.file_uploader(key="upload_files").set_value((name, data, "text/csv")).run()
    started = time.monotonic()
    next(b for b in app.button if b.label == "Import").click().run()
    return time.monotonic() - started


def test_a_page_upload_and_undo_return_while_the_themes_regroup_in_the_background(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    _slow_builds(monkeypatch)
    first, everything = _half_of_gainesville()
    app = open_app_page(monkeypatch, sqlite_url, "pages/upload.py")
    _upload(app, first, "gainesville_first_half.csv")
    assert not app.exception
    engine = open_store(sqlite_url)
    running = build_status(engine)
    # The page returned with the build still running: it sleeps BUILD_DELAY s before grouping anything.
    assert running.running_since is not None and stored_themes(engine).empty
    assert any(i.startswith("Themes are being grouped for the first time (started ") for i in plain_texts(app, "info"))

    _wait_until_built(engine)
    first_themes = stored_themes(engine)
    assert first_themes["contacts"].sum() == _described(engine) > 20

    app = open_app_page(monkeypatch, sqlite_url, "pages/upload.py")
    seconds = _upload(app, everything, "gainesville_all.csv")
    assert not app.exception
    assert any(
        i.startswith("Themes are being regrouped to include the latest upload") for i in plain_texts(app, "info")
    )
    trends = open_app_page(monkeypatch, sqlite_url, "pages/trends.py", query={"trends_tab": "Themes"})
    # Stale, and saying so: the themes of the first upload, under the caption naming the build under way.
    assert any(
        c.startswith("Themes are being regrouped to include the latest upload") for c in plain_texts(trends, "caption")
    )
    shown = only_table(trends, "examples")
    assert set(shown["name"]) <= set(first_themes["name"])
    assert build_status(engine).running_since is not None, f"the page waited for the build ({seconds:.1f} s)"

    _wait_until_built(engine)
    assert stored_themes(engine)["contacts"].sum() == _described(engine) > first_themes["contacts"].sum()
    trends = open_app_page(monkeypatch, sqlite_url, "pages/trends.py", query={"trends_tab": "Themes"})
    assert any(c.startswith("Themes cover the contacts as stored at ") for c in plain_texts(trends, "caption"))

    app = open_app_page(monkeypatch, sqlite_url, "pages/upload.py")
    app.selectbox(key="upload_undo_choice").set_value(2)
    app.checkbox(key="upload_undo_confirm").check().run()
    app.button(key="upload_undo").click().run()
    assert not app.exception
    assert build_status(engine).running_since is not None  # the undo, too, left the regrouping running
    _wait_until_built(engine)
    # Undone as uploaded: the themes count exactly the contacts the first upload left.
    assert stored_themes(engine)["contacts"].sum() == _described(engine) == first_themes["contacts"].sum()
    engine.dispose()


def _import_gainesville(url: str) -> sa.Engine:
    from dataclasses import replace

    from tests.factories import SETTINGS
    from voc.core.access import Role
    from voc.ingest.pipeline import ImportOptions, import_requests

    engine = open_store(url)
    settings = replace(SETTINGS, timezone="America/New_York")
    import_requests(engine, GAINESVILLE.read_bytes(), GAINESVILLE.name, settings, ImportOptions(), role=Role.ANALYST)
    return engine


def test_one_build_at_a_time_and_a_request_during_a_build_gets_one_more(
    monkeypatch: pytest.MonkeyPatch, store_url: str
) -> None:
    _slow_builds(monkeypatch, delay=4.0)
    engine = _import_gainesville(store_url)
    started = regrouping.regroup_in_background(engine, user="ana")
    assert started.running_since is not None
    # The app claimed for the build's process; the process claims again once it has read what to build.
    deadline = time.monotonic() + WAIT_SECONDS
    while (claimed := build_status(engine).running_since) == started.running_since:
        assert time.monotonic() < deadline, "the background build never started"
        time.sleep(0.1)
    # Another build asked for meanwhile neither starts nor waits: the running one owns the store's builds.
    clock = time.monotonic()
    assert run_requested_builds(engine, user="ana", wait=False) is None
    with write_transaction(engine) as connection:  # a second change while it runs, asking for themes again
        record_audit(connection, user="ana", action="change", detail="a change the running build has not read")
    again = regrouping.regroup_in_background(engine, user="ana")
    assert time.monotonic() - clock < 3.0 and again.running_since == claimed
    requested = read_build_state(engine).requested_version
    assert requested > read_build_state(engine).running_version
    _wait_until_built(engine)
    state = read_build_state(engine)
    # The first build covered the request before the second: it grouped once more, and only once.
    assert state.built_version == requested and _builds_recorded(engine) == 2
    assert run_requested_builds(engine, user="ana", wait=False) is None  # nothing left to do
    assert _builds_recorded(engine) == 2
    engine.dispose()


def test_a_claim_whose_process_died_is_taken_over(sqlite_url: str) -> None:
    engine = _import_gainesville(sqlite_url)
    request_build(engine)
    import subprocess

    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = f"{os.uname().nodename}:{int(finished.stdout)}"
    with write_transaction(engine) as connection:
        record_start(connection, version=read_build_state(connection).requested_version, runner=dead,
                     at=read_build_state(connection).requested_at)  # fmt: skip
    assert build_status(engine).running_since is None and build_status(engine).pending
    built = run_requested_builds(engine, user="ana", wait=False)
    assert built is not None and built.described == _described(engine)
    assert not build_status(engine).pending
    engine.dispose()


def test_a_failed_build_says_why_and_releases_its_claim(monkeypatch: pytest.MonkeyPatch, sqlite_url: str) -> None:
    engine = _import_gainesville(sqlite_url)
    request_build(engine)

    def broken(*args: object, **kwargs: object) -> None:
        raise MemoryError("out of memory while grouping")

    monkeypatch.setattr(theming, "store_themes", broken)
    with pytest.raises(MemoryError):
        run_requested_builds(engine, user="ana", wait=True)
    status = build_status(engine)
    assert status.running_since is None and status.pending
    assert status_sentence(status, timezone="America/New_York") == (
        "These themes cover no contacts yet: the last regrouping failed (MemoryError: out of memory while grouping)."
    )
    engine.dispose()


def test_the_command_line_waits_by_default_and_undo_regroups(voc, sqlite_url: str) -> None:  # type: ignore[no-untyped-def]
    first, everything = _half_of_gainesville()
    folder = Path(sqlite_url.removeprefix("sqlite:///")).parent
    (folder / "first.csv").write_bytes(first)
    (folder / "all.csv").write_bytes(everything)
    done = voc("import", "requests", folder / "first.csv")
    assert done.exit_code == 0, done.output
    engine = open_store(sqlite_url)
    # The command returned with the store complete: the themes cover what it imported.
    assert not build_status(engine).pending and stored_themes(engine)["contacts"].sum() == _described(engine)
    done = voc("import", "requests", folder / "all.csv")
    assert done.exit_code == 0 and "descriptions in" in done.output
    done = voc("undo", "2")
    assert done.exit_code == 0 and "descriptions in" in done.output, done.output
    assert not build_status(engine).pending and stored_themes(engine)["contacts"].sum() == _described(engine)
    engine.dispose()


def test_the_status_says_which_data_the_themes_cover() -> None:
    from datetime import UTC, datetime

    built = datetime(2026, 3, 2, 14, 5, tzinfo=UTC)
    running = datetime(2026, 3, 2, 14, 9, tzinfo=UTC)
    zone = "America/New_York"
    assert status_sentence(BuildStatus(built, None, False, None), timezone=zone) == (
        "Themes cover the contacts as stored at 09:05 on 2 Mar 2026, every change since included."
    )
    assert status_sentence(BuildStatus(built, running, True, None), timezone=zone) == (
        "Themes are being regrouped to include the latest upload (started 09:09 on 2 Mar 2026); until then these "
        "are the themes of the contacts as stored at 09:05 on 2 Mar 2026."
    )
    assert status_sentence(BuildStatus(built, None, True, None), timezone=zone) == (
        "These themes cover the contacts as stored at 09:05 on 2 Mar 2026: newer changes wait for `voc themes build`."
    )
    assert status_sentence(BuildStatus(None, None, False, None), timezone=zone) == ""


@pytest.mark.browser
def test_an_open_page_swaps_in_the_new_themes_when_the_build_ends(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, tmp_path: Path
) -> None:
    from tests.browser import chromium_page, open_page, running_app, screenshot

    engine = _import_gainesville(sqlite_url)
    release = tmp_path / "release-the-build"
    _slow_builds(monkeypatch, delay=WAIT_SECONDS, release=release)  # running until the page has shown it running
    regrouping.regroup_in_background(engine, user="ana")
    with running_app(sqlite_url) as url, chromium_page() as page:
        open_page(page, f"{url}/trends?trends_tab=Themes", timeout_ms=120_000)
        page.get_by_role("tab", name="Themes").click()
        page.wait_for_selector("text=Themes are being grouped for the first time (started", timeout=30_000)
        screenshot(page, "themes-being-grouped")
        release.touch()
        # No reload: the panel looks again every few seconds and the page reruns once the build ended.
        page.wait_for_selector("text=Themes cover the contacts as stored at", timeout=int(WAIT_SECONDS * 1000))
        page.wait_for_function("document.querySelectorAll('.vega-embed canvas, .vega-embed svg').length >= 1")
        assert page.locator('[data-testid="stException"]').count() == 0
        screenshot(page, "themes-grouped")
    engine.dispose()
