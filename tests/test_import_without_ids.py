"""Files without a record-id column: keys derived from content, idempotent re-uploads, overlapping months."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from tests.files import REAL
from voc.core.access import Role
from voc.core.config import Settings
from voc.ingest.pipeline import ImportOptions, import_requests
from voc.ingest.validate import DERIVED_ID_PREFIX, DERIVED_IDS_NOTE
from voc.store.models import ServiceRequest

SETTINGS = Settings(
    database_url="", timezone="America/Los_Angeles", max_upload_bytes=5_000_000, redact_personal=True, user="ana"
)
# Los Angeles' 2017 export with its id column (and the other id-like columns) removed, as some
# CRMs' reports come.
WITHOUT_IDS = (
    pd.read_csv(REAL / "myla311_2017_subset.csv", dtype=str, keep_default_na=False)
    .drop(columns=["SRNumber", "TBMPage", "TBMColumn", "TBMRow"])
    .iloc[:240]
)


def _import(engine: sa.Engine, frame: pd.DataFrame, name: str):
    data = frame.to_csv(index=False).encode()
    return import_requests(engine, data, name, SETTINGS, ImportOptions(), role=Role.ANALYST)


def _stored_ids(engine: sa.Engine) -> list[str]:
    with engine.connect() as connection:
        return list(connection.execute(sa.select(ServiceRequest.__table__.c.source_id)).scalars())


def test_a_file_without_ids_imports_with_derived_keys_and_says_so(engine: sa.Engine) -> None:
    report = _import(engine, WITHOUT_IDS, "december.csv")
    assert "source_id" not in report.mapping
    assert report.rejected == 0
    assert report.inserted == len(WITHOUT_IDS)
    assert report.record_ids == DERIVED_IDS_NOTE
    assert report.as_json()["record_ids"] == DERIVED_IDS_NOTE
    ids = _stored_ids(engine)
    assert len(set(ids)) == len(WITHOUT_IDS)
    assert all(key.startswith(DERIVED_ID_PREFIX) for key in ids)


def test_uploading_the_same_file_again_changes_nothing(engine: sa.Engine) -> None:
    first = _import(engine, WITHOUT_IDS, "december.csv")
    again = _import(engine, WITHOUT_IDS, "december.csv")
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, first.inserted)
    assert again.message.startswith("Nothing changed")


def test_an_overlapping_next_file_adds_only_the_new_contacts(engine: sa.Engine) -> None:
    first = _import(engine, WITHOUT_IDS.iloc[:160], "first.csv")
    # The next export repeats 80 of the first's rows, some of them since closed.
    following = WITHOUT_IDS.iloc[80:].copy()
    following.loc[following.index[:5], "Status"] = "Closed"
    following.loc[following.index[:5], "ClosedDate"] = "01/05/2018 09:00:00 AM"
    second = _import(engine, following, "second.csv")
    assert (first.inserted, second.inserted, second.updated, second.unchanged) == (160, 80, 5, 75)
    assert len(_stored_ids(engine)) == len(WITHOUT_IDS)


def test_rows_identical_in_time_type_and_address_are_kept_apart(engine: sa.Engine) -> None:
    twice = pd.concat([WITHOUT_IDS.iloc[:3], WITHOUT_IDS.iloc[:1]], ignore_index=True)
    report = _import(engine, twice, "twice.csv")
    assert report.inserted == 4
    assert _import(engine, twice, "twice.csv").inserted == 0
