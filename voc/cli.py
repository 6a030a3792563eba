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

from voc.core.access import Role
from voc.core.config import PROJECT_ROOT, load_settings
from voc.core.errors import VocError
from voc.store.engine import open_store

# The command line acts as the machine's operator: whoever can run it can read the store and the
# users file directly, so it has the admin role; VOC_USER names them in the audit log.
OPERATOR = Role.ADMIN


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
@_friendly_errors
def serve(port: int, address: str) -> None:
    """Upgrade the store and serve the app (refused beyond localhost until sign-in is configured)."""
    from voc.core.access import access_mode
    from voc.core.users import load_users

    oidc = _secrets_have_auth(PROJECT_ROOT / ".streamlit" / "secrets.toml")
    users = load_users(load_settings().users_file)
    mode = access_mode(oidc_configured=oidc, local_users=len(users.users), address=address)
    click.echo(f"Sign-in: {mode.value}.", err=True)
    _engine()
    app = PROJECT_ROOT / "app.py"
    arguments = ["-m", "streamlit", "run", str(app), "--server.port", str(port)]
    os.execv(sys.executable, [sys.executable, *arguments, "--server.address", address])


def _secrets_have_auth(path: Any) -> bool:
    """Tell whether Streamlit's secrets file sets up an identity provider ([auth])."""
    import tomllib

    try:
        return "auth" in tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return False


@main.command()
@click.option("--if-empty", is_flag=True, help="Load only when the store holds no contacts.")
@_friendly_errors
def demo(if_empty: bool) -> None:
    """Load the demo county (Palmetto County, FL) into the store."""
    from voc.demo.load import load_demo, store_is_empty

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
    from voc.store.uploads import list_uploads

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
    from voc.store.uploads import undo as undo_upload

    result = undo_upload(_engine(), upload_id, user=load_settings().user, role=OPERATOR)
    click.echo(
        f"Undid upload {upload_id}: removed {result.deleted:,} contacts it added and restored "
        f"{result.restored:,} it had changed."
    )


@main.group("import")
def import_group() -> None:
    """Import files into the store."""


def _parse_map(pairs: tuple[str, ...]) -> dict[str, str | None]:
    """Read --map COLUMN=field options into field -> column."""
    from voc.core.fields import REQUEST_FIELD_NAMES

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
            report = import_requests(engine, path.read_bytes(), path.name, settings, options, role=OPERATOR)
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

    from voc.ingest.sessions import read_sessions, save_sessions

    path = Path(file)
    data = path.read_bytes()
    settings = load_settings()
    saved = save_sessions(
        _engine(), read_sessions(data, path.name), user=settings.user, role=OPERATOR, timezone=settings.timezone,
        file_name=path.name, data=data,
    )  # fmt: skip
    click.echo(f"Imported {saved.sessions} sessions as upload {saved.upload_id}: {saved.contacts} new contacts.")


@import_group.command("survey")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dictionary", type=click.Path(exists=True, dir_okay=False), help="The question dictionary file.")
@click.option("--survey", "survey_name", help="The survey's name (default: from the file name).")
@click.option("--wave", help="The wave's label (default: the file's wave column, or a year in its name).")
@click.option("--year", type=int, help="The wave's year, when its label names none.")
@click.option("--json", "as_json", is_flag=True, help="Print the import report as JSON.")
@_friendly_errors
def import_survey_command(
    file: str, dictionary: str | None, survey_name: str | None, wave: str | None, year: int | None, as_json: bool
) -> None:
    """Import a survey: a respondent-level file (one row per resident) or a published summary table."""
    from pathlib import Path

    from voc.survey.store import import_survey

    path = Path(file)
    words = Path(dictionary) if dictionary else None
    report = import_survey(
        _engine(), path.read_bytes(), path.name, user=load_settings().user, role=OPERATOR, survey=survey_name,
        wave=wave, year=year,
        dictionary=words.read_bytes() if words else None, dictionary_name=words.name if words else "",
    )  # fmt: skip
    if as_json:
        _print_json(report.as_json())
        return
    click.echo(f"{path.name}: {report.message}")
    for note in report.notes:
        click.echo(f"  {note}")
    for problem in report.problems.itertuples():
        click.echo(f"  row {problem.row}, {problem.column}: {problem.message} (left out)")


@main.group()
def survey() -> None:
    """Survey results: honest comparisons between waves and districts."""


@survey.command("compare")
@click.option("--survey", "survey_name", help="The survey (default: the one with the newest wave).")
@click.option("--wave", help="The wave (default: the newest).")
@click.option("--district", help="A district code (default: county-wide).")
@click.option("--battery", help="A question battery, e.g. q3 (default: all items).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@_friendly_errors
def survey_compare(
    survey_name: str | None, wave: str | None, district: str | None, battery: str | None, as_json: bool
) -> None:
    """Print each item's satisfaction with its 95% margin and whether it really changed since the wave before."""
    from voc.survey.compare import change_summary, compare_waves, default_view
    from voc.survey.store import current_results, load_benchmarks

    engine = _engine()
    results = current_results(engine)
    survey_name, wave = default_view(results, survey=survey_name, wave=wave)
    table = compare_waves(
        results, survey=survey_name, wave=wave, district=district, battery=battery, benchmarks=load_benchmarks(engine)
    )
    summary = change_summary(table)
    if as_json:
        records = table.astype(object).where(table.notna(), None).to_dict("records")
        _print_json({"survey": survey_name, "wave": wave, "district": district, "summary": summary, "items": records})
        return
    area = f"district {district}" if district else "county-wide"
    click.echo(f"{survey_name}, wave {wave}, {area}: share satisfied (4 or 5 of 5) with its 95% margin of error.")
    for row in table.itertuples():
        share = "no share" if row.satisfied_share != row.satisfied_share else (
            f"{row.satisfied_share:.0%} ±{row.margin * 100:.0f}")  # fmt: skip
        mark = f"; {row.against_benchmark.lower()}" if row.against_benchmark else ""
        click.echo(f"  {row.service_area}: {share} (n={row.n:,}). {row.verdict}{mark}")
    if summary:
        click.echo(summary)


def _parse_candidate_map(pairs: tuple[str, ...]) -> dict[str, str | None]:
    """Read --map COLUMN=field options of a candidate list into field -> column."""
    from voc.priorities.candidates import FIELD_NAMES

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

    from voc.priorities.candidates import CandidateOptions, import_candidates

    path = Path(file)
    options = CandidateOptions(
        sheet=sheet, overrides=_parse_candidate_map(pairs), criteria=criteria or None, default_kind=default_kind,
        dry_run=dry_run,
    )  # fmt: skip
    report = import_candidates(
        _engine(), path.read_bytes(), path.name, user=load_settings().user, role=OPERATOR, options=options
    )
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

    from voc.contacts.overview import current_month
    from voc.priorities.evidence import DEFAULT_RADIUS_M
    from voc.priorities.ranking import (
        CandidateFilters,
        about_lines,
        filter_inputs,
        parse_weights,
        rank_candidates,
        rank_ranges,
        ranking_basis,
        resolve_weights,
    )
    from voc.priorities.scenarios import load_scenarios  # fmt: skip
    from voc.priorities.workbook import ranking_workbook

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
    from voc.contacts.actions import add_action

    action_id = add_action(
        _engine(), action_date=action_date.date(), category=category, district_code=district,
        description=description, user=load_settings().user, role=OPERATOR,
    )  # fmt: skip
    click.echo(f"Recorded action {action_id}.")


@action.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def action_list(as_json: bool) -> None:
    """List the recorded actions, newest first."""
    from voc.contacts.actions import list_actions

    actions = list_actions(_engine())
    if as_json:
        _print_json(actions.to_dict("records"))
    else:
        click.echo(actions.to_string(index=False) if len(actions) else "No actions recorded yet.")


@main.command()
@click.option("--month", help="YYYY-MM to test (default: the latest complete month).")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print JSON: one object per flagged row (issues) and per issue they form (grouped_issues).",
)
@click.option("--all", "show_all", is_flag=True, help="Also list every series tested, not only the flagged ones.")
@_friendly_errors
def alerts(month: str | None, as_json: bool, show_all: bool) -> None:
    """List emerging issues, one sentence each: counts above what each series' own seasonal history predicts."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from voc.contacts.overview import current_month
    from voc.contacts.trends import emerging_report

    engine, settings = _engine(), load_settings()
    month = month or current_month(
        engine, today=datetime.now(ZoneInfo(settings.timezone)).date(), timezone=settings.timezone
    )
    if month is None:
        raise VocError("No contacts yet: nothing to test. Import a month with `voc import requests FILE`.")
    report = emerging_report(engine, month=month)
    rows = report.rows
    shown = rows if show_all else rows[rows["flagged"]] if len(rows) else rows
    if as_json:
        _print_json(
            {"month": month, "issues": shown.to_dict("records"), "grouped_issues": report.issues.to_dict("records")}
        )
        return
    if report.issues.empty:
        click.echo(f"Nothing emerging in {month}: every series is within what its seasonal history predicts.")
    for sentence in report.issues["sentence"]:
        click.echo(f"⚠ {sentence}")
    if show_all:
        click.echo("\nEvery series tested:")
        for row in rows.itertuples():
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

    from voc.ingest.boundaries import import_districts

    path = Path(file)
    result = import_districts(
        _engine(), path.read_bytes(), path.name, user=load_settings().user, role=OPERATOR,
        name_field=name_field, population_field=population_field, code_field=code_field,
    )  # fmt: skip
    first, *more = result.report(path.name)
    click.echo(first)
    for line in more:
        click.echo(f"  {line}")


@main.group()
def user() -> None:
    """Manage who may sign in (local users in the users file) and with which role."""


@user.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(["viewer", "analyst", "admin"]), help="What they may do.")
@_friendly_errors
def user_add(name: str, role: str) -> None:
    """Add a local user, or set a new password and role for one; the password is asked for, never an option."""
    from voc.core.users import add_user

    password = click.prompt("Password (12 characters or more)", hide_input=True, confirmation_prompt=True)
    added = add_user(load_settings().users_file, name, password, role=Role(role), acting_role=OPERATOR)
    click.echo(f"Saved {added.name} ({added.role}) in {load_settings().users_file}.")


@user.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@_friendly_errors
def user_list(as_json: bool) -> None:
    """List the local users and the identity provider's role rules (never a password hash)."""
    from voc.core.users import load_users

    users = load_users(load_settings().users_file)
    rows = [{"name": u.name, "role": str(u.role)} for u in sorted(users.users.values(), key=lambda u: u.name)]
    rules = {"groups": dict(users.rules.groups), "emails": dict(users.rules.emails)}
    if as_json:
        _print_json({"users": rows, "oidc": rules})
        return
    for row in rows:
        click.echo(f"{row['name']}\t{row['role']}")
    for kind, entries in rules.items():
        for key, value in entries.items():
            click.echo(f"{kind[:-1]} {key}\t{value}")
    if not rows and not any(rules.values()):
        click.echo(
            "No users yet: voc serves an open demo on localhost only. Add one with `voc user add NAME --role admin`."
        )


@user.command("role")
@click.argument("name")
@click.argument("role", type=click.Choice(["viewer", "analyst", "admin"]))
@_friendly_errors
def user_role(name: str, role: str) -> None:
    """Change a local user's role."""
    from voc.core.users import set_role

    set_role(load_settings().users_file, name, role=Role(role), acting_role=OPERATOR)
    click.echo(f"{name} is now {role}.")


@user.command("remove")
@click.argument("name")
@_friendly_errors
def user_remove(name: str) -> None:
    """Remove a local user."""
    from voc.core.users import remove_user

    remove_user(load_settings().users_file, name, acting_role=OPERATOR)
    click.echo(f"Removed {name}.")


@user.command("grant")
@click.argument("who")
@click.option("--role", required=True, type=click.Choice(["viewer", "analyst", "admin", "none"]))
@click.option("--group", is_flag=True, help="WHO is a group of the identity provider, not an e-mail address.")
@_friendly_errors
def user_grant(who: str, role: str, group: bool) -> None:
    """Give an identity provider's e-mail address (or --group) a role; --role none removes the rule."""
    from voc.core.users import set_rule

    kind = "groups" if group else "emails"
    set_rule(load_settings().users_file, kind=kind, key=who, role=None if role == "none" else Role(role),
             acting_role=OPERATOR)  # fmt: skip
    click.echo(f"{'Group' if group else 'E-mail'} {who}: {role}.")


if __name__ == "__main__":
    main()
