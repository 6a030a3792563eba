"""The store's engine and the one way a page's data is cached: by the store's data version."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from typing import Any, Concatenate, ParamSpec, TypeVar
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import streamlit as st

from voc.core.config import load_settings
from voc.store.engine import data_version, open_store

P = ParamSpec("P")
R = TypeVar("R")
# The data version of each store, looked up once per script run (see one_data_version_per_run).
_RUN_VERSIONS: ContextVar[dict[str, int] | None] = ContextVar("voc_run_versions", default=None)


@st.cache_resource(show_spinner=False)
def _engine_for(url: str) -> sa.Engine:
    engine = open_store(url)
    sa.event.listen(engine, "commit", _forget_run_versions)
    return engine


def _forget_run_versions(_connection: sa.Connection) -> None:
    """A change committed during a run moves the data version: the rest of the run looks it up again."""
    versions = _RUN_VERSIONS.get()
    if versions is not None:
        versions.clear()


@contextmanager
def one_data_version_per_run() -> Iterator[None]:
    """Look each store's data version up once in the block (a script run), however many loaders it calls.

    A page calls a dozen loaders; with eight people browsing, a lookup per loader was most of the
    store's work on a warm cache. A change this process commits inside the block looks it up again.
    """
    token = _RUN_VERSIONS.set({})
    try:
        yield
    finally:
        _RUN_VERSIONS.reset(token)


def _data_version_of(url: str) -> int:
    versions = _RUN_VERSIONS.get()
    if versions is None:
        return data_version(_engine_for(url))
    if url not in versions:
        versions[url] = data_version(_engine_for(url))
    return versions[url]


def engine() -> sa.Engine:
    """Return the store's engine, upgrading the schema on first use."""
    return _engine_for(load_settings().database_url)


def county_today() -> date:
    """Return today's date in the county's timezone."""
    return datetime.now(ZoneInfo(load_settings().timezone)).date()


def by_data_version(*, max_entries: int = 16) -> Callable[[Callable[Concatenate[sa.Engine, P], R]], Callable[P, R]]:
    """Cache a loader `load(engine, *args)` as `loader(*args)`, recomputed only when the store's data changes.

    The cache is keyed by the database URL, the data version (see voc.store.engine.data_version)
    and the arguments, which must be hashable by st.cache_data (strings, numbers, dates, frozen
    dataclasses). st.cache_data shares the results across sessions. Every script run still asks the
    store for its version, once (one indexed MAX query; see one_data_version_per_run).
    """

    def decorate(load: Callable[Concatenate[sa.Engine, P], R]) -> Callable[P, R]:
        def cached(url: str, version: int, *args: Any, **kwargs: Any) -> R:
            return load(_engine_for(url), *args, **kwargs)

        # st.cache_data keys a function's cache by its module, qualified name and source: without
        # the loader's own names every loader decorated here would share `cached`'s one cache.
        cached.__module__, cached.__qualname__, cached.__name__ = load.__module__, load.__qualname__, load.__name__
        stored = st.cache_data(show_spinner=False, max_entries=max_entries)(cached)

        def loader(*args: P.args, **kwargs: P.kwargs) -> R:
            url = load_settings().database_url
            return stored(url, _data_version_of(url), *args, **kwargs)

        loader.__module__, loader.__qualname__, loader.__name__ = load.__module__, load.__qualname__, load.__name__
        loader.__doc__ = load.__doc__
        return loader

    return decorate
