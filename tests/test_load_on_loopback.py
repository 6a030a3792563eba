"""Analysts uploading from several processes while department heads load pages from a real server.

The app runs with `streamlit run` on loopback; three `voc import requests` processes (two files
each, overlapping one another's records) and two headless-Chromium processes (Overview and Trends
in turn) are released together. Bounded: six uploads, eight page loads, a few minutes at most.
No upload and no page may fail or say "database is locked", and every record of every file is
stored exactly once, as the reports count it. On SQLite, the store where writers and readers
share one file and a lock; PostgreSQL's concurrent writers are tested in test_import_concurrency.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.browser import running_app
from tests.stores import assert_consistent, stored_requests
from tests.workers import COUNTS, SETTINGS, Spawn, request_row, source_id, write_csv
from voc.core.access import Role
from voc.ingest.pipeline import ImportOptions, import_requests
from voc.store.engine import open_store

pytestmark = pytest.mark.browser

ANALYSTS, FILES_EACH, ROWS = 3, 2, 1_500
STEP = 1_000  # each file starts this many records after the one before: a third of it overlaps the next
BROWSERS, LOADS = 2, 4
SECONDS = 240.0  # the longest any process may take


def upload_files(folder: Path) -> list[list[Path]]:
    """Each analyst's exports; consecutive files, also across analysts, share 500 records."""
    files = []
    for analyst in range(ANALYSTS):
        paths = []
        for k in range(FILES_EACH):
            first = (analyst * FILES_EACH + k) * STEP
            rows = [request_row(n) for n in range(first, first + ROWS)]
            paths.append(write_csv(folder / f"analyst-{analyst}-{k}.csv", rows))
        files.append(paths)
    return files


def test_uploads_and_page_loads_from_several_processes(sqlite_url: str, tmp_path: Path, spawn: Spawn) -> None:
    store_url = sqlite_url
    engine = open_store(store_url)
    base = write_csv(tmp_path / "base.csv", [request_row(n) for n in range(STEP)])
    assert (
        import_requests(
            engine, base.read_bytes(), base.name, SETTINGS, ImportOptions(source="crm"), role=Role.ANALYST
        ).inserted
        == STEP
    )
    files = upload_files(tmp_path)
    with running_app(store_url) as url:
        browsers = [spawn(store_url, "browse", url, str(LOADS)) for _ in range(BROWSERS)]
        upload = ("cli", "import", "requests", "--json", "--source", "crm")
        uploaders = [spawn(store_url, *upload, *map(str, paths)) for paths in files]
        for child in browsers + uploaders:
            child.expect("ready", timeout=SECONDS)
        for child in browsers + uploaders:
            child.go()
        codes = [child.finish(timeout=SECONDS) for child in uploaders + browsers]
    outputs = [(child.stderr, "\n".join(child.seen)) for child in uploaders + browsers]
    assert codes == [0] * len(codes), outputs
    assert not any("locked" in (err + out).lower() or "Traceback" in err for err, out in outputs), outputs

    loads = [line.split("\t") for child in browsers for line in child.seen if line.startswith("loaded")]
    assert len(loads) == BROWSERS * LOADS
    assert all(exceptions == "0" and locked == "False" for _, _, _, exceptions, locked in loads), loads

    reports = [json.loads(line) for child in uploaders for line in child.seen if line.startswith("{")]
    assert len(reports) == ANALYSTS * FILES_EACH
    for report in reports:
        assert report["rows_read"] == ROWS and report["rejected"] == 0 and report["updated"] == 0, report
        assert sum(report[count] for count in COUNTS[1:]) == ROWS, report
    last = (ANALYSTS * FILES_EACH - 1) * STEP + ROWS
    assert STEP + sum(report["inserted"] for report in reports) == last  # each record inserted exactly once
    assert set(stored_requests(engine)) == {("crm", source_id(n)) for n in range(last)}
    assert_consistent(engine)
    engine.dispose()
