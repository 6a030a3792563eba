"""`voc ...`: parse the command line, call the library, print."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from functools import wraps
from typing import Any

import click
import sqlalchemy as sa

from voc.config import PROJECT_ROOT, load_settings
from voc.errors import VocError
from voc.store import open_store


def _engine() -> sa.Engine:
    return open_store(load_settings().database_url)


def _friendly_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Print a VocError's message and exit 1, instead of a traceback."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except VocError as error:
            raise click.ClickException(str(error)) from error

    return wrapper


def _print_json(value: Any) -> None:
    click.echo(json.dumps(value, default=str, ensure_ascii=False))


@click.group()
def main() -> None:
    """voc: the Voice of the Customer dashboard for local government."""


@main.command()
@click.option("--port", default=8501, show_default=True, help="Port to serve on.")
@click.option("--address", default="localhost", show_default=True, help="Address to listen on.")
def serve(port: int, address: str) -> None:
    """Upgrade the store and serve the app."""
    _engine()
    app = PROJECT_ROOT / "app.py"
    arguments = ["-m", "streamlit", "run", str(app), "--server.port", str(port)]
    os.execv(sys.executable, [sys.executable, *arguments, "--server.address", address])


@main.command()
@click.option("--if-empty", is_flag=True, help="Load only when the store holds no contacts.")
@_friendly_errors
def demo(if_empty: bool) -> None:
    """Load the demo county (Palmetto County, FL) into the store."""
    from voc.demo_load import load_demo, store_is_empty

    engine = _engine()
    if not store_is_empty(engine):
        if if_empty:
            click.echo("The store already holds contacts: demo not loaded.")
            return
        raise VocError(
            "The store already holds contacts. Load the demo into an empty store "
            "(point VOC_DATABASE_URL at a new database)."
        )
    loaded = load_demo(engine, user=load_settings().user)
    click.echo(
        f"Loaded the demo county as upload {loaded.upload_id}: {loaded.requests:,} contacts over "
        f"{loaded.months} months, {loaded.categories} categories in {loaded.departments} departments, "
        f"in {loaded.seconds:.1f} s."
    )


@main.group()
def db() -> None:
    """Manage the store."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Bring the store's schema to the newest version."""
    _engine()
    click.echo("The store's schema is up to date.")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON, one object per upload.")
def uploads(as_json: bool) -> None:
    """List the upload history, newest first."""
    from voc.uploads import list_uploads

    history = list_uploads(_engine())
    if as_json:
        _print_json(history.to_dict("records"))
        return
    if history.empty:
        click.echo("No uploads yet.")
        return
    click.echo(history.to_string(index=False))


@main.command()
@click.argument("upload_id", type=int)
@_friendly_errors
def undo(upload_id: int) -> None:
    """Put the store back exactly as it was before upload UPLOAD_ID."""
    from voc.uploads import undo as undo_upload

    result = undo_upload(_engine(), upload_id, user=load_settings().user)
    click.echo(
        f"Undid upload {upload_id}: removed {result.deleted:,} contacts it added and restored "
        f"{result.restored:,} it had changed."
    )


@main.group("import")
def import_group() -> None:
    """Import files into the store."""


def _parse_map(pairs: tuple[str, ...]) -> dict[str, str | None]:
    """Read --map COLUMN=field options into field -> column."""
    from voc.fields import REQUEST_FIELD_NAMES

    overrides: dict[str, str | None] = {}
    for pair in pairs:
        column, separator, field_name = pair.rpartition("=")
        if not separator or field_name not in REQUEST_FIELD_NAMES:
            known = ", ".join(REQUEST_FIELD_NAMES)
            raise click.BadParameter(f"{pair!r}: write COLUMN=field, with field one of: {known}", param_hint="--map")
        overrides[field_name] = column or None
    return overrides


@import_group.command("requests")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--sheet", help="Workbook sheet to read (default: the sheet that holds records).")
@click.option("--map", "pairs", multiple=True, metavar="COLUMN=field", help="Map a column onto a field.")
@click.option("--profile", help="Use this remembered mapping profile.")
@click.option("--source", help="Name of the source system (default: the profile or recognised layout).")
@click.option("--dry-run", is_flag=True, help="Check and report; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per file.")
def import_requests_command(
    files: tuple[str, ...],
    sheet: str | None,
    pairs: tuple[str, ...],
    profile: str | None,
    source: str | None,
    dry_run: bool,
    as_json: bool,
) -> None:
    """Import service-request exports (xlsx, xlsm, xls, ods, csv, txt)."""
    from pathlib import Path

    from voc.ingest.pipeline import ImportOptions, import_requests

    options = ImportOptions(sheet=sheet, overrides=_parse_map(pairs), profile=profile, source=source, dry_run=dry_run)
    engine, settings = _engine(), load_settings()
    failed = False
    for name in files:
        path = Path(name)
        try:
            report = import_requests(engine, path.read_bytes(), path.name, settings, options)
        except VocError as error:
            failed = True
            if as_json:
                _print_json({"file": path.name, "error": str(error)})
            else:
                click.echo(f"{path.name}: refused. {error}", err=True)
            continue
        if as_json:
            _print_json(report.as_json())
        else:
            _echo_report(report)
    if failed:
        sys.exit(1)


def _echo_report(report: Any) -> None:
    click.echo(f"{report.file_name}: {report.message}")
    shown = report.problems.head(20)
    for problem in shown.itertuples():
        click.echo(f"  row {problem.row}, {problem.column}: {problem.message} ({problem.severity})")
    if len(report.problems) > len(shown):
        click.echo(f"  ... and {len(report.problems) - len(shown):,} more problems (use --json for all).")
    if len(report.unmapped_types):
        names = ", ".join(report.unmapped_types["raw_type"].head(10))
        click.echo(f"  {len(report.unmapped_types)} request types have no category yet: {names}")


@import_group.command("sessions")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@_friendly_errors
def import_sessions_command(file: str) -> None:
    """Import a sheet of stakeholder sessions (date, district, category, summary, raised)."""
    from pathlib import Path

    from voc.sessions import read_sessions, save_sessions

    path = Path(file)
    data = path.read_bytes()
    settings = load_settings()
    saved = save_sessions(
        _engine(), read_sessions(data, path.name), user=settings.user, timezone=settings.timezone,
        file_name=path.name, data=data,
    )  # fmt: skip
    click.echo(f"Imported {saved.sessions} sessions as upload {saved.upload_id}: {saved.contacts} new contacts.")


def _parse_candidate_map(pairs: tuple[str, ...]) -> dict[str, str | None]:
    """Read --map COLUMN=field options of a candidate list into field -> column."""
    from voc.candidates import FIELD_NAMES

    overrides: dict[str, str | None] = {}
    for pair in pairs:
        column, separator, field_name = pair.rpartition("=")
        if not separator or field_name not in FIELD_NAMES:
            raise click.BadParameter(
                f"{pair!r}: write COLUMN=field, with field one of: {', '.join(FIELD_NAMES)}", param_hint="--map"
            )
        overrides[field_name] = column or None
    return overrides


@import_group.command("candidates")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--sheet", help="Workbook sheet to read (default: the sheet that holds records).")
@click.option("--map", "pairs", multiple=True, metavar="COLUMN=field", help="Map a column onto a field.")
@click.option(
    "--criterion",
    "criteria",
    multiple=True,
    metavar="COLUMN",
    help="A column of the county's own scores (repeat; default: recognised by name).",
)
@click.option(
    "--kind",
    "default_kind",
    type=click.Choice(["capital", "maintenance"]),
    default="capital",
    show_default=True,
    help="The kind of a row without one.",
)
@click.option("--dry-run", is_flag=True, help="Check and report; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
@_friendly_errors
def import_candidates_command(
    file: str, sheet: str | None, pairs: tuple[str, ...], criteria: tuple[str, ...], default_kind: str,
    dry_run: bool, as_json: bool,
) -> None:  # fmt: skip
    """Import a list of maintenance and capital project candidates (xlsx, csv...), upserted by project id."""
    from pathlib import Path

    from voc.candidates import CandidateOptions, import_candidates

    path = Path(file)
    options = CandidateOptions(
        sheet=sheet, overrides=_parse_candidate_map(pairs), criteria=criteria or None, default_kind=default_kind,
        dry_run=dry_run,
    )  # fmt: skip
    report = import_candidates(_engine(), path.read_bytes(), path.name, user=load_settings().user, options=options)
    if as_json:
        _print_json(report.as_json())
    else:
        _echo_report(report)


@main.command()
@click.option(
    "--weights", default="", metavar="KEY=W,...", help="Weights, e.g. demand=40,condition=30 (others: defaults)."
)
@click.option("--scenario", help="Start from a saved weight scenario.")
@click.option("--radius", "radius_m", type=float, default=None, help="Metres around a candidate (default 1,600).")
@click.option("--kind", "kinds", multiple=True, help="Rank only this kind (repeat for several).")
@click.option("--district", "districts", multiple=True, help="Rank only this district (repeat for several).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON: the weights and one object per candidate.")
@click.option("--xlsx", "xlsx_path", type=click.Path(dir_okay=False, writable=True), help="Write the ranking to XLSX.")
@_friendly_errors
def rank(
    weights: str, scenario: str | None, radius_m: float | None, kinds: tuple[str, ...], districts: tuple[str, ...],
    as_json: bool, xlsx_path: str | None,
) -> None:  # fmt: skip
    """Rank the candidates by customer demand and the county's own criteria."""
    from datetime import datetime
    from pathlib import Path
    from zoneinfo import ZoneInfo

    from voc.evidence import DEFAULT_RADIUS_M
    from voc.overview import current_month
    from voc.ranking import (
        CandidateFilters,
        about_lines,
        filter_inputs,
        load_scenarios,
        parse_weights,
        rank_candidates,
        rank_ranges,
        ranking_basis,
        resolve_weights,
    )  # fmt: skip
    from voc.ranking_export import ranking_workbook

    engine, settings = _engine(), load_settings()
    today = datetime.now(ZoneInfo(settings.timezone)).date()
    last_month = current_month(engine, today=today, timezone=settings.timezone)
    basis = ranking_basis(engine, last_month=last_month, radius_m=radius_m or DEFAULT_RADIUS_M)
    if basis.inputs.empty:
        raise VocError("No candidates yet: import a list with `voc import candidates FILE`.")
    start = {}
    if scenario:
        saved = load_scenarios(engine)
        if scenario not in saved:
            raise VocError(f"No saved scenario {scenario!r}; saved: {', '.join(saved) or 'none'}.")
        start = saved[scenario]
    chosen = resolve_weights({**start, **parse_weights(weights)}, basis.criteria)
    filters = CandidateFilters(kinds=kinds, districts=districts)
    shown = filter_inputs(basis.inputs, filters)
    if shown.empty:
        raise VocError(f"No candidate matches {filters.describe()}.")
    ranked = rank_candidates(shown, basis.scores, chosen, basis.criteria)
    table = ranked.table.merge(rank_ranges(shown, basis.scores, chosen, basis.criteria), on="id")
    if xlsx_path:
        about = about_lines(basis, filters, shown=len(table))
        Path(xlsx_path).write_bytes(ranking_workbook(ranked, table, chosen, about=about))
    if as_json:
        columns = ["rank", "source_id", "name", "kind", "category", "district_code", "total", "best_rank",
                   "worst_rank", "contacts", "per_1000", "change_pct", "repeat_places", "is_rating",
                   "estimated_cost", "contacts_per_million", "linked_by",
                   *(f"points_{c.key}" for c in basis.criteria)]  # fmt: skip
        records = table[columns].astype(object).where(table[columns].notna(), None).to_dict("records")
        _print_json({"last_month": last_month, "radius_m": basis.radius_m, "weights": chosen, "candidates": records})
        return
    for row in table.itertuples():
        steady = "" if row.solid else f"  (rank {row.best_rank}-{row.worst_rank} as weights move ±10%)"
        click.echo(f"{row.rank:>4}. {row.total:5.1f}  {row.name}{steady}")
    if xlsx_path:
        click.echo(f"Wrote {xlsx_path}.")


@main.group()
def action() -> None:
    """Record and list actions (process changes, procedures, information campaigns)."""


@action.command("add")
@click.option("--date", "action_date", required=True, type=click.DateTime(formats=["%Y-%m-%d"]), help="YYYY-MM-DD")
@click.option("--category", help="The category it addresses (blank: all).")
@click.option("--district", help="The district code (blank: county-wide).")
@click.option("--description", required=True, help="What changed.")
@_friendly_errors
def action_add(action_date: Any, category: str | None, district: str | None, description: str) -> None:
    """Record an action, to see its effect on the Trends page."""
    from voc.actions import add_action

    action_id = add_action(
        _engine(), action_date=action_date.date(), category=category, district_code=district,
        description=description, user=load_settings().user,
    )  # fmt: skip
    click.echo(f"Recorded action {action_id}.")


@action.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def action_list(as_json: bool) -> None:
    """List the recorded actions, newest first."""
    from voc.actions import list_actions

    actions = list_actions(_engine())
    if as_json:
        _print_json(actions.to_dict("records"))
    else:
        click.echo(actions.to_string(index=False) if len(actions) else "No actions recorded yet.")


@main.command()
@click.option("--month", help="YYYY-MM to test (default: the latest complete month).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON: one object per flagged issue.")
@click.option("--all", "show_all", is_flag=True, help="Also list every series tested, not only the flagged ones.")
@_friendly_errors
def alerts(month: str | None, as_json: bool, show_all: bool) -> None:
    """List emerging issues: counts above what each series' own seasonal history predicts."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from voc.overview import current_month
    from voc.trends import emerging_issues

    engine, settings = _engine(), load_settings()
    month = month or current_month(
        engine, today=datetime.now(ZoneInfo(settings.timezone)).date(), timezone=settings.timezone
    )
    if month is None:
        raise VocError("No contacts yet: nothing to test. Import a month with `voc import requests FILE`.")
    rows = emerging_issues(engine, month=month)
    shown = rows if show_all else rows[rows["flagged"]] if len(rows) else rows
    if as_json:
        _print_json({"month": month, "issues": shown.to_dict("records")})
        return
    if shown.empty:
        click.echo(f"Nothing emerging in {month}: every series is within what its seasonal history predicts.")
    for row in shown.itertuples():
        click.echo(("⚠ " if row.flagged else "  ") + row.sentence)


@import_group.command("districts")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--name-field", help="Field holding district names (default: guessed, e.g. 'name').")
@click.option("--population-field", help="Field holding residents (default: guessed, e.g. 'population').")
@click.option("--code-field", help="Field holding district codes (default: guessed, e.g. 'district', 'id').")
@_friendly_errors
def import_districts_command(
    file: str, name_field: str | None, population_field: str | None, code_field: str | None
) -> None:
    """Replace the district boundaries (GeoJSON, zipped shapefile or GeoPackage; any CRS)."""
    from pathlib import Path

    from voc.geo import import_districts

    path = Path(file)
    result = import_districts(
        _engine(), path.read_bytes(), path.name, user=load_settings().user,
        name_field=name_field, population_field=population_field, code_field=code_field,
    )  # fmt: skip
    fields = f"codes from {result.code_field!r}, names from {result.name_field or 'the codes'!r}"
    population = f"populations from {result.population_field!r}" if result.population_field else "no populations"
    click.echo(f"Imported {result.count} districts from {path.name} ({fields}, {population}; {result.source_crs}).")
    if result.repaired or result.merged:
        click.echo(f"  Repaired {result.repaired} invalid shapes; merged {result.merged} parts sharing a code.")
    if result.codes_without_boundary:
        codes = ", ".join(result.codes_without_boundary)
        click.echo(f"  Stored contacts name districts that have no boundary now: {codes}.")


if __name__ == "__main__":
    main()
