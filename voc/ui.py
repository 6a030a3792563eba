"""The only Streamlit adapter: cached engine and loaders shared by the pages."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import streamlit as st

from voc.config import load_settings
from voc.overview import Overview, load_overview
from voc.store import data_version, open_store


@st.cache_resource(show_spinner=False)
def _engine_for(url: str) -> sa.Engine:
    return open_store(url)


def engine() -> sa.Engine:
    """Return the store's engine, upgrading the schema on first use."""
    return _engine_for(load_settings().database_url)


def county_today() -> date:
    """Return today's date in the county's timezone."""
    return datetime.now(ZoneInfo(load_settings().timezone)).date()


@st.cache_data(show_spinner=False, max_entries=32)
def _overview(url: str, version: int, today: date) -> Overview | None:
    return load_overview(_engine_for(url), today=today, timezone=load_settings().timezone)


def overview() -> Overview | None:
    """Return the Overview figures, recomputed only when the store's data changes."""
    url = load_settings().database_url
    return _overview(url, data_version(_engine_for(url)), county_today())
