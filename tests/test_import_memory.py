"""An upload hands the memory its tables freed back to the system when they were large, and only then."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa

from tests.files import REAL
from voc.core import memory
from voc.core.access import Role
from voc.core.config import Settings
from voc.ingest import pipeline

SETTINGS = Settings(
    database_url="", timezone="America/Los_Angeles", max_upload_bytes=5_000_000, redact_personal=True, user="ana"
)
MONTH = pd.read_csv(REAL / "myla311_2017_subset.csv", dtype=str, keep_default_na=False).iloc[:240]


@pytest.mark.parametrize(("threshold", "collections"), [(240, 3), (241, 0)])
def test_an_upload_collects_the_whole_heap_only_from_the_threshold(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch, threshold: int, collections: int
) -> None:
    calls: list[None] = []
    monkeypatch.setattr(memory, "GIVE_BACK_FROM_ROWS", threshold)
    monkeypatch.setattr(memory, "give_back_freed_memory", lambda: calls.append(None))
    data = MONTH.to_csv(index=False).encode()
    report = pipeline.import_requests(engine, data, "month.csv", SETTINGS, pipeline.ImportOptions(), role=Role.ANALYST)
    assert report.rows_read == 240 and report.upload_id is not None
    assert len(calls) == collections  # after the read, before the write, after the rows are written
