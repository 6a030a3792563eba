"""The one cache decorator of the Streamlit adapter: one cache per loader, kept until the store's data changes."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from voc.app.cache import by_data_version
from voc.contacts.actions import add_action
from voc.core.access import Role
from voc.store.engine import open_store

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
