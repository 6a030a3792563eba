"""What the commands share: the operator's role, the store, --map pairs, import reports and tables.

Only click and voc.core are imported here: `voc --help` must start fast, so the store, pandas and
the rest of the library are imported inside the commands that use them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import click

from voc.core.access import Role
from voc.core.config import load_settings

if TYPE_CHECKING:
    import sqlalchemy as sa

# The command line acts as the machine's operator: whoever can run it can read the store and the
# users file directly, so it has the admin role; VOC_USER names them in the audit log.
OPERATOR = Role.ADMIN


def open_engine() -> sa.Engine:
    """Open the store VOC_DATABASE_URL names, upgrading its schema."""
    from voc.store.engine import open_store

    return open_store(load_settings().database_url)


def print_json(value: Any) -> None:
    """Print one JSON object on a line; dates and other values JSON lacks as their text."""
    click.echo(json.dumps(value, default=str, ensure_ascii=False))


def parse_pairs(pairs: tuple[str, ...], fields: Sequence[str]) -> dict[str, str | None]:
    """Read --map COLUMN=field options into field -> column; a blank COLUMN unmaps the field."""
    overrides: dict[str, str | None] = {}
    for pair in pairs:
        column, separator, field_name = pair.rpartition("=")
        if not separator or field_name not in fields:
            raise click.BadParameter(
                f"{pair!r}: write COLUMN=field, with field one of: {', '.join(fields)}", param_hint="--map"
            )
        overrides[field_name] = column or None
    return overrides


def echo_report(report: Any, *, title: str | None = None) -> None:
    """Print an import report: its message, the first 20 problems and the request types without a category.

    The message follows `title` (default: the file's name).
    """
    click.echo(f"{title or report.file_name}: {report.message}")
    shown = report.problems.head(20)
    for problem in shown.itertuples():
        click.echo(f"  row {problem.row}, {problem.column}: {problem.message} ({problem.severity})")
    if len(report.problems) > len(shown):
        click.echo(f"  ... and {len(report.problems) - len(shown):,} more problems (use --json for all).")
    if len(report.unmapped_types):
        names = ", ".join(report.unmapped_types["raw_type"].head(10))
        click.echo(f"  {len(report.unmapped_types)} request types have no category yet: {names}")


def echo_table(rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> None:
    """Print rows as aligned columns under their names; a missing value shows as blank."""
    cells = [list(columns), *([("" if row[c] is None else str(row[c])) for c in columns] for row in rows)]
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    for line in cells:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())


def count_closure_figures(engine: sa.Engine) -> None:
    """Count the closure figures of every month not yet counted under the county's rules, so no page waits for it."""
    from voc.contacts.closure_months import count_months
    from voc.contacts.trends import Filters

    settings = load_settings()
    started = time.perf_counter()
    counted = count_months(engine, Filters(), rules=settings.closure, timezone=settings.timezone)
    if counted:
        months = f"{counted} month" + ("" if counted == 1 else "s")
        click.echo(f"Counted the closure figures of {months} in {time.perf_counter() - started:.1f} s.")
