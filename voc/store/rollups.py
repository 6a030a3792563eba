"""Roll-up tables kept beside the stored requests: counts per period (month or week) and dimensions.

Each roll-up is defined once, as a GROUP BY of the requests a condition selects (`Rollup.counts`).
Undo and request-type edits recount whole periods from it; an import adds the counts of the rows it
wrote and subtracts those of the versions it overwrote, so its cost follows the upload's size, not
the size of the months it touches (at 5M contacts, recounting three months took 20 s).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

# A condition on a period column (the table's, or the requests' opened_month or opened_week).
Within = Callable[[sa.ColumnElement], sa.ColumnElement[bool]]


@dataclass(frozen=True)
class Rollup:
    """A roll-up table and the GROUP BY that fills it.

    `counts(rows)` selects, labelled with the table's column names, the table's key, then its
    measures, of the requests the condition `rows` selects. Measures add up across rows; the first
    one is zero exactly when a row of the table counts no request. `kept` names columns that are
    functions of the key (neither key nor summed): an added row keeps the value already stored.
    """

    table: sa.Table
    period: str  # the table's period column: "month" or "week"
    opened: sa.Column  # the requests' column it holds: opened_month or opened_week
    measures: tuple[str, ...]
    counts: Callable[[sa.ColumnElement[bool]], sa.Select]
    kept: tuple[str, ...] = ()

    def recount(self, connection: sa.Connection, within: Within) -> None:
        """Replace the table's rows of the periods `within` selects with a count of their requests."""
        self.clear(connection, within)
        self.fill(connection, self.counts(within(self.opened)))

    def clear(self, connection: sa.Connection, within: Within) -> None:
        connection.execute(sa.delete(self.table).where(within(self.table.c[self.period])))

    def fill(self, connection: sa.Connection, counts: sa.Select) -> None:
        """Insert counts (shaped as `counts` selects them) of keys the table does not hold."""
        connection.execute(sa.insert(self.table).from_select(list(counts.selected_columns.keys()), counts))

    def add(self, connection: sa.Connection, counts: sa.Select, *, sign: int = 1) -> None:
        """Add counts (shaped as `counts` selects them) to the stored ones, or subtract them (sign -1).

        A key not stored yet is inserted; keys whose counts fall to zero stay until drop_empty.
        """
        counted = counts.subquery()
        columns = list(counted.c.keys())
        signed = sa.select(*(counted.c[c] * sign if c in self.measures else counted.c[c] for c in columns))
        # WHERE: SQLite would read the ON of ON CONFLICT after a bare FROM as a join's.
        signed = signed.where(sa.true())
        upsert = (postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert)(self.table)
        upsert = upsert.from_select(columns, signed)
        summed = {m: self.table.c[m] + upsert.excluded[m] for m in self.measures}
        kept = {k: sa.func.coalesce(self.table.c[k], upsert.excluded[k]) for k in self.kept}
        keys = [c for c in columns if c not in self.measures and c not in self.kept]
        connection.execute(upsert.on_conflict_do_update(index_elements=keys, set_=summed | kept))

    def drop_empty(self, connection: sa.Connection, within: Within) -> None:
        """Delete the rows of the periods `within` selects that no longer count any request."""
        empty = self.table.c[self.measures[0]] == 0
        connection.execute(sa.delete(self.table).where(within(self.table.c[self.period]), empty))
