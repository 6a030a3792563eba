"""Alembic environment: voc passes its own connection in; the schema comes from the table modules of voc.store."""

from alembic import context
from sqlmodel import SQLModel

import voc.store.area_tables  # noqa: F401  (registers the tables on SQLModel.metadata)
import voc.store.cell_closing  # noqa: F401
import voc.store.closing_days  # noqa: F401
import voc.store.closure_counts  # noqa: F401
import voc.store.funding  # noqa: F401
import voc.store.models  # noqa: F401
import voc.store.place_counts  # noqa: F401
import voc.store.proactive_tables  # noqa: F401
import voc.store.theme_builds  # noqa: F401
import voc.store.type_counts  # noqa: F401

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
context.run_migrations()
