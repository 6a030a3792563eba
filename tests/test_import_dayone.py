"""A new county's first uploads: unknown channel values kept and listed, unmapped types usable at once."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from tests.conftest import REAL
from voc.core.access import Role
from voc.core.config import Settings
from voc.ingest.pipeline import ImportOptions, import_requests
from voc.store.models import ServiceRequest

SETTINGS = Settings(
    database_url="", timezone="America/New_York", max_upload_bytes=5_000_000, redact_personal=True, user="ana"
)


def _import(engine: sa.Engine, frame: pd.DataFrame, name: str, **options):
    data = frame.to_csv(index=False).encode()
    return import_requests(engine, data, name, SETTINGS, ImportOptions(**options), role=Role.ANALYST)


def test_unknown_channel_values_are_kept_as_typed_and_listed(engine: sa.Engine) -> None:
    # Baltimore's real channels, two of them renamed as a CRM nobody here has seen might write them.
    frame = pd.read_csv(REAL / "baltimore311_2019-10_sample.csv", dtype=str, keep_default_na=False)
    frame["MethodReceived"] = frame["MethodReceived"].replace({"Phone": "Voice In", "API": "Kiosk"})
    report = _import(engine, frame, "baltimore.csv")
    kiosk = int((frame["MethodReceived"] == "Kiosk").sum())
    assert report.as_json()["unknown_channels"] == [{"channel": "Kiosk", "contacts": kiosk}]
    with engine.connect() as connection:
        stored = dict(
            connection.execute(
                sa.select(ServiceRequest.channel, sa.func.count()).group_by(ServiceRequest.channel)
            ).all()
        )
    assert stored["Kiosk"] == kiosk
    assert stored["phone"] == int((frame["MethodReceived"] == "Voice In").sum())
