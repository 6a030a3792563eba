"""`voc types`: how the CRM's raw request types map onto the county's categories, departments and contact types.

Until a raw type is mapped it counts as a category of its own; `voc types list --unmapped` suggests
a category for each (the county's own categories by name, else a starter taxonomy).
"""

from __future__ import annotations

from pathlib import Path

import click

from voc.cli.common import OPERATOR, echo_table, open_engine, print_json
from voc.cli.contract import ContractGroup
from voc.core.config import load_settings
from voc.core.fields import CONTACT_TYPES


@click.group(cls=ContractGroup)
def types() -> None:
    """List, set, import and export how raw request types map onto categories."""


@types.command("list")
@click.option("--unmapped", is_flag=True, help="Only the types not mapped yet, each with a suggested category.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON, one object per type.")
def types_list(unmapped: bool, as_json: bool) -> None:
    """List the raw request types with their category, department, contact type and stored contacts."""
    from voc.ingest.request_types import type_table
    from voc.ingest.taxonomy import type_suggestions

    engine = open_engine()
    table = type_suggestions(engine) if unmapped else type_table(engine)
    records = table.astype(object).where(table.notna(), None).to_dict("records")
    if as_json:
        print_json(records)
        return
    if not records:
        click.echo("No request types waiting for a category." if unmapped else "No request types yet.")
        return
    echo_table(records, list(table.columns))


@types.command("set")
@click.argument("raw_type")
@click.option("--category", required=True, help="The county's category for this raw type.")
@click.option("--department", help="Its department (default: the one it had, else the one its contacts name).")
@click.option("--contact-type", type=click.Choice(CONTACT_TYPES), help="Default: the one it had, else guessed.")
def types_set(raw_type: str, category: str, department: str | None, contact_type: str | None) -> None:
    """Map RAW_TYPE onto a category (and department and contact type); its stored contacts follow at once."""
    from voc.ingest.request_types import set_request_type

    changed = set_request_type(
        open_engine(), raw_type, category=category, department=department, contact_type=contact_type,
        user=load_settings().user, role=OPERATOR,
    )  # fmt: skip
    click.echo(f"Mapped {raw_type!r} onto {category!r}: {changed:,} stored contacts changed.")


@types.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def types_import(file: Path) -> None:
    """Map the raw types a CSV or XLSX lists (columns raw_type, category, department, contact_type); keep the rest."""
    from voc.ingest.read import read_table
    from voc.ingest.request_types import merge_type_map, type_map_from_table

    engine = open_engine()
    rows = type_map_from_table(read_table(file.read_bytes(), file.name).frame)
    changed = merge_type_map(engine, rows, user=load_settings().user, role=OPERATOR)
    click.echo(f"Imported {len(rows):,} request types from {file.name}: {changed:,} stored contacts changed.")


@types.command("export")
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
def types_export(file: Path) -> None:
    """Write every raw type with its mapping and stored contacts to FILE (.csv, or .xlsx), to edit and import."""
    from voc.ingest.request_types import type_table
    from voc.present.export import csv_bytes, xlsx_bytes

    table = type_table(open_engine())
    as_xlsx = file.suffix.casefold() == ".xlsx"
    file.write_bytes(xlsx_bytes(table, sheet="Request types") if as_xlsx else csv_bytes(table))
    click.echo(f"Wrote {len(table):,} request types to {file}.")
