"""Property: every row read is accounted for exactly once, whatever the file holds."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from voc.core.access import Role
from voc.core.config import Settings
from voc.core.errors import FileRefused
from voc.ingest.pipeline import ImportOptions, import_requests
from voc.store.engine import open_store
from voc.store.models import ServiceRequest

SETTINGS = Settings(
    database_url="", timezone="America/New_York", max_upload_bytes=5_000_000, redact_personal=True, user="ana"
)
dates = st.one_of(
    st.datetimes(
        min_value=__import__("datetime").datetime(2019, 1, 1),
        max_value=__import__("datetime").datetime(2026, 10, 31),
    ).map(lambda d: d.strftime("%Y-%m-%d %H:%M")),
    st.sampled_from(["", "not a date", "31/31/2026", "2026-02-30 10:00"]),
)
rows = st.lists(
    st.fixed_dictionaries(
        {
            "Case Number": st.sampled_from(["", "001", "002", "003", "1", "A-7", "0042", "0042 "]),
            "Date Opened": dates,
            "Date Closed": st.one_of(st.just(""), dates),
            "Problem Type": st.sampled_from(["", "Pothole", "Noise complaint", "Where is my bin?"]),
            "Description": st.text(max_size=30),
        }
    ),
    min_size=1,
    max_size=25,
)


def _csv(records: list[dict[str, str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(records[0]))
    writer.writeheader()
    writer.writerows(records)
    return buffer.getvalue().encode()


def test_rows_read_equals_inserted_updated_unchanged_and_rejected(tmp_path: Path) -> None:
    engine = open_store(f"sqlite:///{tmp_path / 'voc.db'}")
    # Map explicitly: value sniffing may not recognise a column of mostly garbage dates.
    options = ImportOptions(
        overrides={"source_id": "Case Number", "opened_at": "Date Opened", "closed_at": "Date Closed",
                   "request_type": "Problem Type", "description": "Description"}
    )  # fmt: skip

    def stored() -> int:
        with engine.connect() as connection:
            return connection.execute(sa.select(sa.func.count()).select_from(ServiceRequest.__table__)).scalar()

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(rows)
    def check(records: list[dict[str, str]]) -> None:
        before = stored()
        try:
            report = import_requests(engine, _csv(records), "month.csv", SETTINGS, options, role=Role.ANALYST)
        except FileRefused:
            assert stored() == before
            return
        # Wholly blank rows are skipped by the reader, not counted as read.
        assert report.rows_read == sum(any(value.strip() for value in row.values()) for row in records)
        assert report.rows_read == report.inserted + report.updated + report.unchanged + report.rejected
        assert stored() == before + report.inserted
        assert (
            report.rejected == (report.problems["severity"] == "rejected").groupby(report.problems["row"]).any().sum()
        )

    check()
