"""A store that fails under an upload, or cannot be reached at all (issue 14, part 6).

The failures are real: SQLite turned read-only (query_only), PostgreSQL dropping the connection in
the middle of the upload's transaction (a trigger terminating its own backend), a server on a port
where nothing listens. Each says what happened and that nothing was written; nothing was.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.apptest import open_app_page, plain_texts
from tests.browser import chromium_page, open_page, running_app, screenshot
from tests.files import REAL
from tests.stores import store_state
from voc.core.access import Role
from voc.core.config import Settings
from voc.core.errors import StoreUnavailable
from voc.ingest.pipeline import ImportOptions, import_requests
from voc.store.engine import open_store

MONTH = REAL / "baltimore311_2019-10_sample.csv"
SETTINGS = Settings(database_url="", timezone="America/New_York", max_upload_bytes=200 * 1024**2,
                    redact_personal=True, user="ana")  # fmt: skip
DROP_CONNECTION = """
CREATE FUNCTION voc_drop_connection() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM pg_terminate_backend(pg_backend_pid()); RETURN NEW; END $$;
CREATE TRIGGER voc_drop_connection BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION voc_drop_connection();
"""
MENDED = "DROP TRIGGER voc_drop_connection ON audit_log; DROP FUNCTION voc_drop_connection();"


def _on_postgresql(url: str, sql: str) -> None:
    """Run SQL on the store at `url` when it is PostgreSQL (SQLite breaks per connection: _failing_engine)."""
    engine = open_store(url)
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(sql)
    engine.dispose()


def _failing_engine(url: str) -> sa.Engine:
    engine = open_store(url)
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", lambda dbapi, _record: dbapi.execute("PRAGMA query_only = 1"))
        engine.dispose()  # connections opened from now on are read-only
    return engine


def test_a_store_failing_under_an_upload_says_so_and_writes_nothing(store_url: str) -> None:
    healthy = open_store(store_url)
    before = store_state(healthy)
    _on_postgresql(store_url, DROP_CONNECTION)
    failing = _failing_engine(store_url)
    with pytest.raises(StoreUnavailable) as failure:
        import_requests(failing, MONTH.read_bytes(), MONTH.name, SETTINGS, ImportOptions(), role=Role.ANALYST)
    message = str(failure.value)
    assert message.startswith("The store failed while saving, so nothing was written (")
    reason = "readonly database" if failing.dialect.name == "sqlite" else "terminating connection"
    assert reason in message
    failing.dispose()
    _on_postgresql(store_url, MENDED)
    assert store_state(healthy) == before
    # The store works again once mended: the same engine's pool recovers from the dropped connection.
    again = import_requests(healthy, MONTH.read_bytes(), MONTH.name, SETTINGS, ImportOptions(), role=Role.ANALYST)
    assert again.inserted == 300
    healthy.dispose()


def test_the_upload_page_says_the_store_failed_and_nothing_was_written(
    monkeypatch: pytest.MonkeyPatch, postgres_url: str
) -> None:
    app = open_app_page(monkeypatch, postgres_url, "pages/upload.py")
    app.file_uploader(key="upload_files").set_value((MONTH.name, MONTH.read_bytes(), "text/csv")).run()
    assert not app.exception
    before = store_state(open_store(postgres_url))
    _on_postgresql(postgres_url, DROP_CONNECTION)
    next(button for button in app.button if button.label == "Import").click().run()
    assert not app.exception
    (shown,) = plain_texts(app, "error")
    assert shown.startswith("The store failed while saving, so nothing was written (terminating connection")
    _on_postgresql(postgres_url, MENDED)
    assert store_state(open_store(postgres_url)) == before


def test_an_unreachable_store_is_one_clear_line_on_the_page_and_in_the_log(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    nowhere = "postgresql+psycopg://voc@127.0.0.1:1/voc"  # nothing listens on port 1
    with running_app(nowhere, log=log) as url, chromium_page() as page:
        open_page(page, f"{url}/trends")
        screenshot(page, "store-unreachable")
        shown = page.locator('[data-voc-text="error"]').inner_text()
        assert page.locator('[data-testid="stException"]').count() == 0
    assert shown.startswith("Cannot open the store postgresql+psycopg://voc@127.0.0.1:1/voc (connection failed")
    output = log.read_text()
    assert "Traceback" not in output
    logged = [line for line in output.splitlines() if "Cannot open the store" in line]
    assert logged and all(line == shown for line in logged)  # one line a page run, no traceback
