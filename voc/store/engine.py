"""The store: engines for SQLite or PostgreSQL, write transactions, schema upgrades, the audit log."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from voc.core.errors import StoreUnavailable
from voc.store import proactive_tables  # noqa: F401  (registers its tables: migrations and the schema check see them)
from voc.store.models import AuditEntry, utc_now

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 60_000
# Any fixed number shared by all voc processes: imports and upgrades on PostgreSQL queue on it.
POSTGRES_WRITE_LOCK = 7_402_011


def make_engine(url: str) -> sa.Engine:
    """Create an engine; SQLite connections get WAL, a busy timeout and foreign keys."""
    if url.startswith("sqlite"):
        database = sa.engine.make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        _configure_sqlite(engine)
        return engine
    return sa.create_engine(url, pool_pre_ping=True)


def _configure_sqlite(engine: sa.Engine) -> None:
    @sa.event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        # Let SQLAlchemy's "begin" event, not the driver, open transactions (SQLAlchemy's recipe),
        # so a writer can take the write lock up front with BEGIN IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def on_begin(connection: sa.Connection) -> None:
        immediate = connection.get_execution_options().get("voc_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@contextmanager
def write_transaction(engine: sa.Engine) -> Iterator[sa.Connection]:
    """Open one transaction for a change, queued behind other writers rather than failing.

    Everything done inside commits together or not at all. Raises StoreUnavailable when the store
    fails under it (the server gone, the connection dropped, a read-only or full disk): the
    transaction is then rolled back, so nothing of the change was written.
    """
    try:
        with engine.connect().execution_options(voc_write=True) as connection, connection.begin():
            if connection.dialect.name == "postgresql":
                connection.execute(sa.select(sa.func.pg_advisory_xact_lock(POSTGRES_WRITE_LOCK)))
            yield connection
    except (sa.exc.OperationalError, sa.exc.InterfaceError) as error:
        raise StoreUnavailable(
            f"The store failed while saving, so nothing was written ({reason_of(error)}). Check that the "
            "database is running and has space, then try again."
        ) from error


def reason_of(error: Exception) -> str:
    """The driver's own words for a store failure (connection refused, read-only, disk full...), on one line."""
    return " ".join(str(getattr(error, "orig", None) or error).split())


def record_audit(connection: sa.Connection, *, user: str, action: str, detail: str = "") -> None:
    """Log a change to the store; this also moves the data version pages cache by."""
    connection.execute(sa.insert(AuditEntry.__table__).values(at=utc_now(), user=user, action=action, detail=detail))


def data_version(engine: sa.Engine) -> int:
    """Return a number that changes whenever the store's content changes."""
    with engine.connect() as connection:
        return data_version_in(connection)


def data_version_in(connection: sa.Connection) -> int:
    """Return the store's data version (see `data_version`) as a connection's transaction sees it."""
    return connection.execute(sa.select(sa.func.max(AuditEntry.id))).scalar() or 0


def _alembic_config(connection: sa.Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def schema_is_current(engine: sa.Engine) -> bool:
    """Tell whether the store's schema is at the newest migration."""
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_heads()
        head = ScriptDirectory.from_config(_alembic_config(connection)).get_heads()
    return set(current) == set(head)


def upgrade_schema(engine: sa.Engine) -> None:
    """Bring the schema to the newest migration; safe to call from several processes at once."""
    if schema_is_current(engine):
        return
    with write_transaction(engine) as connection:
        command.upgrade(_alembic_config(connection), "head")


def open_store(url: str) -> sa.Engine:
    """Create the engine for a URL and upgrade its schema, as the app and CLI do on start.

    Raises StoreUnavailable, naming the store without its password, when it cannot be created or reached.
    """
    try:
        engine = make_engine(url)
        with engine.connect():
            pass
    except (sa.exc.ArgumentError, sa.exc.DBAPIError, ImportError, OSError) as error:
        # The driver's own words (connection refused, not a database, no such driver...) tell the operator which.
        raise StoreUnavailable(
            f"Cannot open the store {_shown(url)} ({reason_of(error)}). Check VOC_DATABASE_URL."
        ) from error
    upgrade_schema(engine)
    return engine


def _shown(url: str) -> str:
    """The store's URL without its password, or the setting's name when the URL cannot be read."""
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "named by VOC_DATABASE_URL"
