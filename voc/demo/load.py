"""Load the demo county into the store, through the same write path as an analyst's upload."""

from __future__ import annotations

import time
from dataclasses import dataclass

import sqlalchemy as sa

from voc.core.periods import local_week
from voc.demo.county import DemoCounty, build_demo_county
from voc.ingest.locate import locate
from voc.store.areas import save_areas
from voc.store.bulk import frame_records
from voc.store.districts import replace_districts
from voc.store.engine import record_audit, write_transaction
from voc.store.models import Candidate, RequestType, ServiceAreaLink, ServiceRequest, SurveyResult
from voc.store.ratings import rate_contacts
from voc.store.requests import REQUEST_COLUMNS, save_requests
from voc.store.uploads import record_counts, start_upload


@dataclass(frozen=True)
class DemoLoad:
    upload_id: int
    requests: int
    months: int
    categories: int
    departments: int
    seconds: float


def store_is_empty(engine: sa.Engine) -> bool:
    """Tell whether the store holds no service requests."""
    with engine.connect() as connection:
        first = connection.execute(sa.select(ServiceRequest.__table__.c.id).limit(1)).first()
    return first is None


def load_demo(engine: sa.Engine, *, user: str, county: DemoCounty | None = None) -> DemoLoad:
    """Generate the demo county (unless given) and write it in one transaction."""
    started = time.perf_counter()
    county = county or build_demo_county()
    requests = county.requests.assign(opened_week=local_week(county.requests["opened_at"], county.timezone))
    requests = locate(requests, county.districts).rows.reindex(columns=list(REQUEST_COLUMNS))
    with write_transaction(engine) as connection:
        upload_id = start_upload(
            connection,
            kind="demo",
            file_name=f"{county.name} demo data",
            sha256="",
            user=user,
            source=str(requests["source"].iloc[0]),
        )
        replace_districts(connection, county.districts)
        connection.execute(sa.delete(RequestType.__table__))
        connection.execute(sa.insert(RequestType.__table__), frame_records(county.request_types))
        counts = save_requests(connection, requests, upload_id=upload_id)
        connection.execute(
            sa.insert(SurveyResult.__table__),
            frame_records(county.survey.assign(upload_id=upload_id)),
        )
        connection.execute(sa.delete(ServiceAreaLink.__table__))
        connection.execute(sa.insert(ServiceAreaLink.__table__), frame_records(county.service_area_links))
        connection.execute(
            sa.insert(Candidate.__table__),
            frame_records(county.candidates.assign(upload_id=upload_id)),
        )
        save_areas(connection, county.small_areas, upload_id=upload_id)
        rate_contacts(connection, county.closure_ratings, scale_max=5, upload_id=upload_id)
        record_counts(
            connection,
            upload_id,
            rows_read=len(requests),
            inserted=counts.inserted,
            updated=counts.updated,
            unchanged=counts.unchanged,
        )
        record_audit(connection, user=user, action="demo", detail=county.name)
    return DemoLoad(
        upload_id=upload_id,
        requests=len(requests),
        months=requests["opened_month"].nunique(),
        categories=requests["category"].nunique(),
        departments=requests["department"].nunique(),
        seconds=time.perf_counter() - started,
    )
