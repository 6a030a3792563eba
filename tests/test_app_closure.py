"""AppTest of what "closed" meant on the demo county: service performance on Trends, the district profile on Map."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.apptest import only_table, open_app_page, plain_texts
from voc.contacts.closure import acknowledge_time, closure_by_category, closure_flags, closure_summary
from voc.core.config import ClosureRules

SERVICE_PERFORMANCE = {"trends_tab": "Service performance"}


def _flags(demo_county, first: str, last: str, *, district: str | None = None) -> pd.DataFrame:
    """The demo's contacts of the months (of a district when given) flagged from the generated frame, not from the
    store; reports again are looked for county-wide."""
    requests = demo_county.requests
    flags = closure_flags(
        requests[requests["opened_month"] >= first].reset_index(drop=True), rules=ClosureRules(),
        timezone=demo_county.timezone,
    )  # fmt: skip
    kept = flags["opened_month"].between(first, last)
    return flags[kept & flags["district_code"].eq(district)] if district else flags[kept]


def _calendar_days(shown: str) -> float:
    """The calendar days of a card's "business days (4.5 calendar)"."""
    return float(shown.split("(")[1].split()[0])


def _metrics(app) -> dict[str, tuple[str, str]]:  # type: ignore[no-untyped-def]
    return {metric.label: (metric.value, metric.delta) for metric in app.metric}


def test_service_performance_shows_reopens_business_days_and_incidents(
    monkeypatch: pytest.MonkeyPatch, demo_store_url: str, demo_county
) -> None:
    app = open_app_page(monkeypatch, demo_store_url, "pages/trends.py", query=SERVICE_PERFORMANCE, timeout=240)
    first, last = app.select_slider(key="trends_months").value
    flags = _flags(demo_county, first, last)
    summary = closure_summary(flags)
    shown = _metrics(app)
    assert shown["Reopened after closure"] == (
        f"{summary.reopen_rate:.1%}",
        f"{summary.reopened:,} of {summary.closed_or_reopened:,} closed",
    )
    # Business days exactly; calendar days from the days-to-close histogram, within 2% or half a day.
    assert shown["Median to close"][0] == f"{summary.business_median_days:g}"
    assert _calendar_days(shown["Median to close"][1]) == pytest.approx(summary.median_days, rel=0.02, abs=0.5)
    assert shown["90% closed within"][0] == f"{summary.business_p90_days:g}"
    assert _calendar_days(shown["90% closed within"][1]) == pytest.approx(summary.p90_days, rel=0.02, abs=0.5)
    assert shown["Incidents"] == (f"{flags['incident'].nunique():,}", f"{len(flags):,} contacts")
    unit = summary.acknowledge_unit
    assert shown["Median to acknowledge"] == (
        acknowledge_time(summary.acknowledge_median, unit),
        f"90% within {acknowledge_time(summary.acknowledge_p90, unit)}",
    )

    table = only_table(app, "reopen_rate").set_index("category")
    expected = closure_by_category(flags).set_index("category")
    for column in ("incidents", "reopened"):
        assert table[column].to_dict() == expected[column].to_dict(), column
    assert table["reopen_rate"].to_dict() == pytest.approx(expected["reopen_rate"].to_dict())
    acknowledged = expected.index[expected["acknowledged"] > 0]
    for column in ("acknowledge_median", "acknowledge_p90"):
        assert table.loc[acknowledged, column].to_dict() == pytest.approx(expected.loc[acknowledged, column].to_dict())
    assert table.loc["Parking violations", ["acknowledge_median", "acknowledge_p90"]].isna().all()  # a dash
    assert table.loc["Potholes", "incidents"] < table.loc["Potholes", "contacts"]


def test_service_performance_shows_satisfaction_after_closure(
    monkeypatch: pytest.MonkeyPatch, demo_store_url: str
) -> None:
    from voc.contacts.closure_months import closure_figures
    from voc.contacts.trends import Filters
    from voc.store.engine import open_store

    app = open_app_page(monkeypatch, demo_store_url, "pages/trends.py", query=SERVICE_PERFORMANCE, timeout=240)
    first, last = app.select_slider(key="trends_months").value
    figures = closure_figures(
        open_store(demo_store_url), Filters(first, last), rules=ClosureRules(), timezone="America/New_York"
    )
    summary = figures.summary
    rating = summary.satisfaction
    assert _metrics(app)["Satisfied after closure"] == (
        f"{rating.share:.0%}",
        f"{rating.low:.0%}–{rating.high:.0%} · {rating.answers:,} answers",
    )
    reopened, rest = summary.satisfaction_reopened, summary.satisfaction_not_reopened
    assert any(
        text.startswith(f"Residents whose contact was reopened or reported again after closure: {reopened.text}")
        and f"against {rest.text} of the others" in text
        for text in plain_texts(app, "caption")
    )
    table = only_table(app, "reopen_rate").set_index("category")
    expected = figures.by_category.set_index("category")
    assert table["satisfied_after_closure"].to_dict() == expected["satisfied_after_closure"].to_dict()
    # One month: most categories have fewer than 30 answers, told as such, never as a bare share.
    app.select_slider(key="trends_months").set_value((last, last)).run()
    table = only_table(app, "reopen_rate").set_index("category")
    month = closure_figures(
        open_store(demo_store_url), Filters(last, last), rules=ClosureRules(), timezone="America/New_York"
    ).by_category.set_index("category")
    few = month.index[(month["answers"] > 0) & (month["answers"] < 30)]
    assert len(few) > 10 and (table.loc[few, "satisfied_after_closure"] == "too few answers").all()


def test_the_district_profile_opens_with_its_closure_figures(
    monkeypatch: pytest.MonkeyPatch, demo_store_url: str, demo_county
) -> None:
    app = open_app_page(monkeypatch, demo_store_url, "pages/map.py", timeout=240)
    assert not app.metric
    first, last = app.select_slider(key="map_months").value
    app.selectbox(key="map_district").set_value("4").run()
    assert not app.exception
    flags = _flags(demo_county, first, last, district="4")
    summary = closure_summary(flags)
    shown = _metrics(app)
    assert shown["Incidents"] == (f"{summary.incidents:,}", f"{summary.contacts:,} contacts")
    assert shown["Reopened after closure"][0] == f"{summary.reopen_rate:.1%}"
    assert shown["Median to acknowledge"][0] == acknowledge_time(summary.acknowledge_median, summary.acknowledge_unit)
