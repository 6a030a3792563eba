"""The one cache decorator of the Streamlit adapter: one cache per loader, kept until the store's data changes."""

from __future__ import annotations

import functools
from datetime import date

import altair as alt
import pandas as pd
import pytest
import sqlalchemy as sa
import streamlit as st

from tests.apptest import open_app_page
from voc.app import cache
from voc.app.cache import by_data_version, one_data_version_per_run
from voc.contacts.actions import add_action
from voc.core.access import Role
from voc.present import charts
from voc.store.engine import data_version, open_store

calls: list[str] = []


@by_data_version()
def kind_of_store(engine: sa.Engine, label: str) -> str:
    calls.append(label)
    return f"{label} on {engine.dialect.name}"


@by_data_version()
def shouted(engine: sa.Engine, label: str) -> str:
    calls.append(label)
    return label.upper()


def test_two_loaders_called_with_the_same_arguments_keep_their_own_results(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    monkeypatch.setenv("VOC_DATABASE_URL", sqlite_url)
    assert kind_of_store("roads") == "roads on sqlite"
    assert shouted("roads") == "ROADS"
    assert kind_of_store("roads") == "roads on sqlite"
    assert (shouted.__name__, shouted.__qualname__) == ("shouted", "shouted")


def test_a_loader_runs_again_only_when_the_stores_data_changes(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    monkeypatch.setenv("VOC_DATABASE_URL", sqlite_url)
    calls.clear()
    assert kind_of_store("parks") == kind_of_store("parks") == "parks on sqlite"
    assert calls == ["parks"]
    engine = open_store(sqlite_url)
    add_action(engine, action_date=date(2026, 1, 5), description="New crew", user="t",
               role=Role.ANALYST)  # fmt: skip
    engine.dispose()
    assert kind_of_store("parks") == "parks on sqlite"
    assert calls == ["parks", "parks"]


def test_a_page_run_looks_the_data_version_up_once_however_many_loaders_it_calls(
    monkeypatch: pytest.MonkeyPatch, demo_store_url: str
) -> None:
    lookups: list[int] = []

    def counted(engine: sa.Engine) -> int:
        lookups.append(data_version(engine))
        return lookups[-1]

    monkeypatch.setattr(cache, "data_version", counted)
    app = open_app_page(monkeypatch, demo_store_url, "pages/trends.py", query={"trends_tab": "Questions to answer"})
    assert len(app.dataframe) >= 2  # the page called its many loaders
    assert len(lookups) == 2  # the home page's run, then the Trends page's run
    app.run()
    assert not app.exception
    assert len(lookups) == 3


def test_a_change_committed_during_a_run_is_seen_by_the_rest_of_the_run(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    monkeypatch.setenv("VOC_DATABASE_URL", sqlite_url)
    calls.clear()
    with one_data_version_per_run():
        assert kind_of_store("pools") == kind_of_store("pools")
        add_action(cache.engine(), action_date=date(2026, 1, 5), description="New crew", user="t", role=Role.ANALYST)
        kind_of_store("pools")
    assert calls == ["pools", "pools"]


def test_a_chart_is_built_once_for_the_same_data_however_many_people_open_the_page(
    monkeypatch: pytest.MonkeyPatch, demo_store_url: str
) -> None:
    built: list[int] = []
    monthly_bars = charts.monthly_bars

    @functools.wraps(monthly_bars)
    def counted(monthly: pd.DataFrame, **options: object) -> alt.TopLevelMixin:
        built.append(len(monthly))
        return monthly_bars(monthly, **options)

    monkeypatch.setattr(charts, "monthly_bars", counted)
    st.cache_data.clear()
    first = open_app_page(monkeypatch, demo_store_url)
    second = open_app_page(monkeypatch, demo_store_url)  # a second person: a new session
    second.run()
    assert len(built) == 1 and built[0] >= 12
    drawn = [chart.proto.spec for app in (first, second) for chart in app.get("vega_lite_chart")]
    assert len(drawn) == 2 * len(first.get("vega_lite_chart")) >= 6
    assert drawn[: len(drawn) // 2] == drawn[len(drawn) // 2 :]
