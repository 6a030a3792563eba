"""A new county's first uploads: unknown channel values kept and listed, unmapped types usable at once."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import sqlalchemy as sa

from tests.files import REAL
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


RAW_TYPES = [
    "Pothole Repair", "Streetlight Out", "Missed Trash Pickup", "Illegal Dumping", "Graffiti Removal",
    "Overgrown Grass", "Abandoned Vehicle", "Noise Complaint", "Stray Dog", "Fallen Tree Limb",
    "Water Main Leak", "Clogged Storm Drain", "Rodent Sighting", "Sidewalk Damage", "Traffic Signal Out",
    "Tax Bill Question",
]  # fmt: skip
PLANTED = ("Illegal Dumping", "Rodent Sighting")


def _five_years_with_two_rises(last_month: str) -> pd.DataFrame:
    """Five years of monthly contacts for 16 raw types (seasonal, Poisson), two of them tripled in the last month."""
    months = pd.period_range(end=pd.Period(last_month, "M"), periods=60, freq="M")
    generator = np.random.default_rng(13)
    rows = []
    for number, raw_type in enumerate(RAW_TYPES):
        base = 12 + number % 5 * 3
        for month in months:
            mean = base * (1 + 0.25 * np.sin(2 * np.pi * (month.month + number) / 12))
            mean *= 3 if raw_type in PLANTED and str(month) == last_month else 1
            for _ in range(generator.poisson(mean)):
                day = int(generator.integers(1, 28))
                rows.append({"Date Opened": f"{month}-{day:02d} {int(generator.integers(7, 19)):02d}:15",
                             "Problem Type": raw_type})  # fmt: skip
    frame = pd.DataFrame(rows)
    frame.insert(0, "Case Number", [f"C{i:06d}" for i in range(len(frame))])
    return frame


def test_alerts_work_from_the_first_upload_of_unmapped_types(voc, tmp_path) -> None:
    last_month = str(pd.Period(dt.date.today(), "M") - 1)
    history = tmp_path / "history.csv"
    _five_years_with_two_rises(last_month).to_csv(history, index=False)
    imported = json.loads(voc("import", "requests", history, "--json").output)
    assert imported["rejected"] == 0
    assert {row["raw_type"] for row in imported["unmapped_types"]} == set(RAW_TYPES)
    result = voc("alerts", "--month", last_month, "--json")
    assert result.exit_code == 0, result.output
    issues = [issue for issue in json.loads(result.output)["issues"] if issue["district_code"] == ""]
    # Both planted rises are flagged, and they stand out above anything the noise flags.
    assert {issue["category"] for issue in issues[:2]} == set(PLANTED)
