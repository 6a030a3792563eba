"""Shared fixtures: stores on SQLite and PostgreSQL, the demo county, a running app server."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.stores import fresh_postgres_schema
from tests.workers import Child, Forks, Spawn, start_worker
from voc.store.engine import open_store

IN_CI = bool(os.environ.get("CI"))
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def unavailable(reason: str) -> None:
    """Skip on a developer's machine; fail in CI, where every test is mandatory."""
    if IN_CI:
        pytest.fail(f"{reason} (mandatory in CI)")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _no_configured_users(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Run every test with no users file (the open demo mode) unless it makes one: never the developer's own."""
    monkeypatch.setenv("VOC_USERS_FILE", str(tmp_path_factory.mktemp("access") / "voc_users.toml"))


@pytest.fixture(autouse=True)
def _served_on_loopback() -> Iterator[None]:
    """Run AppTests as a server listening on 127.0.0.1 would (the open demo mode needs loopback)."""
    from streamlit import config

    before = config.get_option("server.address")
    config.set_option("server.address", "127.0.0.1")
    yield
    config.set_option("server.address", before)


@pytest.fixture(scope="session")
def postgres_server() -> str:
    url = os.environ.get("VOC_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    try:
        engine = sa.create_engine(url)
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        engine.dispose()
    except sa.exc.OperationalError:
        unavailable(
            f"PostgreSQL is not reachable at {url}: start it, or set VOC_TEST_POSTGRES_URL "
            "to a database voc may create schemas in"
        )
    return url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'voc.db'}"


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    yield from fresh_postgres_schema(postgres_server)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest) -> str:
    """A URL of a new, empty store, once on SQLite and once on PostgreSQL."""
    return request.getfixturevalue(f"{request.param.replace('postgresql', 'postgres')}_url")


@pytest.fixture
def engine(store_url: str) -> Iterator[sa.Engine]:
    engine = open_store(store_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def demo_county():
    from voc.demo.county import build_demo_county

    return build_demo_county()


@pytest.fixture(scope="session")
def demo_store_url(tmp_path_factory: pytest.TempPathFactory, demo_county) -> str:
    """A SQLite store holding the demo county, shared by the tests that only read it."""
    from voc.demo.load import load_demo

    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'voc.db'}"
    engine = open_store(url)
    load_demo(engine, user="test", county=demo_county)
    engine.dispose()
    return url


@pytest.fixture
def demo_copy(demo_store_url: str, tmp_path: Path) -> str:
    """A copy of the demo county's store of the test's own, for tests that write to it."""
    shutil.copy(demo_store_url.removeprefix("sqlite:///"), tmp_path / "voc.db")
    return f"sqlite:///{tmp_path / 'voc.db'}"


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Spawn]:
    """Start worker processes (tests/workers.py) on a store; any still running at the end of the test are killed."""
    children: list[Child] = []

    def start(url: str, *arguments: str) -> Child:
        children.append(start_worker(tmp_path / f"child-{len(children)}.stderr", url, *arguments))
        return children[-1]

    yield start
    for child in children:
        child.stop()


@pytest.fixture
def forks(tmp_path: Path, spawn: Spawn) -> Iterator[Forks]:
    """The fork worker, still loading voc when the test starts; forks wait until it is ready."""
    forks = Forks(spawn("", "fork"), tmp_path)
    yield forks
    forks.kill_unfinished()
