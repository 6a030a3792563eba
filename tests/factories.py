"""Small, exact frames of normalised service requests for store tests, and the settings test imports run with."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import sqlalchemy as sa

from voc.core.config import Settings
from voc.core.periods import local_month, local_week
from voc.ingest.locate import locate
from voc.store.engine import record_audit, write_transaction
from voc.store.requests import REQUEST_COLUMNS, WriteCounts, save_requests
from voc.store.uploads import start_upload

SETTINGS = Settings(
    database_url="", timezone="America/New_York", max_upload_bytes=5_000_000, redact_personal=True, user="ana"
)


def request_frame(rows: list[dict[str, object]], *, source: str = "crm") -> pd.DataFrame:
    """Build normalised rows from a few given values per row; the rest get plain defaults."""
    frame = pd.DataFrame(rows)
    frame["source"] = source
    frame["opened_at"] = pd.to_datetime(frame["opened_at"], utc=True)
    closed = frame["closed_at"] if "closed_at" in frame else pd.Series([None] * len(frame))
    frame["closed_at"] = pd.to_datetime(closed, utc=True)
    frame["opened_month"] = local_month(frame["opened_at"], "America/New_York")
    frame["opened_week"] = local_week(frame["opened_at"], "America/New_York")
    frame["days_to_close"] = (frame["closed_at"] - frame["opened_at"]).dt.total_seconds() / 86400
    defaults = {
        "request_type": "POTHOLE",
        "category": "Potholes",
        "department": "Roads & Drainage",
        "contact_type": "request",
        "channel": "phone",
        "status": "Open",
        "district_code": "1",
    }
    for column, value in defaults.items():
        frame[column] = frame[column].fillna(value) if column in frame else value
    return frame.reindex(columns=list(REQUEST_COLUMNS))


def located(rows: pd.DataFrame) -> pd.DataFrame:
    """Give rows their H3 cells as an import does, with no district boundaries to check them against."""
    return locate(rows, gpd.GeoDataFrame({"code": []}, geometry=[], crs="EPSG:4326")).rows


def saved_upload(engine: sa.Engine, rows: pd.DataFrame, name: str = "export.csv") -> tuple[int, WriteCounts]:
    """Write normalised rows as one upload by "ana", as an import does; return its id and counts."""
    with write_transaction(engine) as connection:
        upload_id = start_upload(connection, kind="requests", file_name=name, sha256="x", user="ana")
        counts = save_requests(connection, rows, upload_id=upload_id)
        record_audit(connection, user="ana", action="import", detail=name)
    return upload_id, counts
