"""`voc import ...`: requests, stakeholder sessions, surveys, post-closure ratings, candidates, districts, areas."""

from __future__ import annotations

from pathlib import Path

import click

from voc.cli.common import OPERATOR, echo_report, open_engine, parse_pairs, print_json
from voc.cli.contract import FAILED, ContractGroup, failure
from voc.cli.themes import BACKGROUND_OPTION, load_theme_build_in_thread, regroup_message
from voc.core.config import load_settings
from voc.core.errors import VocError

INPUT_FILE = click.Path(exists=True, dir_okay=False)


@click.group("import", cls=ContractGroup)
@click.pass_context
def import_group(ctx: click.Context) -> None:
    """Import files into the store."""
    from voc.ingest.child import READERS, SHEET_READERS, start_forkserver

    # The readers load in the background while the store opens; only district and area files need GeoPandas.
    start_forkserver(READERS if ctx.invoked_subcommand in ("districts", "areas") else SHEET_READERS)


@import_group.command("requests")
@click.argument("files", nargs=-1, required=True, type=INPUT_FILE)
@click.option("--sheet", help="Workbook sheet to read (default: the sheet that holds records).")
@click.option("--map", "pairs", multiple=True, metavar="COLUMN=field", help="Map a column onto a field.")
@click.option("--profile", help="Use this remembered mapping profile.")
@click.option("--source", help="Name of the source system (default: the profile or recognised layout).")
@click.option("--dry-run", is_flag=True, help="Check and report; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per file.")
@BACKGROUND_OPTION
@click.pass_context
def import_requests_command(
    ctx: click.Context,
    files: tuple[str, ...],
    sheet: str | None,
    pairs: tuple[str, ...],
    profile: str | None,
    source: str | None,
    dry_run: bool,
    as_json: bool,
    themes_in_background: bool,
) -> None:
    """Import service-request exports (xlsx, xlsm, xls, ods, csv, txt)."""
    from voc.ingest.read import PendingRead

    settings = load_settings()
    # The first file is read while the import's modules load and the store opens; the others in turn.
    first = PendingRead(Path(files[0]), sheet=sheet, max_bytes=settings.max_upload_bytes)
    from voc.core.fields import REQUEST_FIELD_NAMES
    from voc.ingest.pipeline import ImportOptions, import_file

    if not (dry_run or themes_in_background):
        load_theme_build_in_thread()
    overrides = parse_pairs(pairs, REQUEST_FIELD_NAMES)
    options = ImportOptions(sheet=sheet, overrides=overrides, profile=profile, source=source, dry_run=dry_run)
    engine = open_engine()
    failed = written = False
    # Each file is imported on its own: a refused file is reported and the next one still imported.
    for position, name in enumerate(files):
        path = Path(name)
        try:
            reading = first if position == 0 else None
            report = import_file(engine, path, settings, options, role=OPERATOR, reading=reading)
        except (VocError, OSError) as error:
            failed = True
            if as_json:
                print_json({"file": path.name, **failure(error)})
            else:
                click.echo(f"{path.name}: refused. {failure(error)['error']}", err=True)
            continue
        written = written or report.upload_id is not None
        if as_json:
            print_json(report.as_json())
        else:
            echo_report(report)
    if written:
        message = regroup_message(in_background=themes_in_background)  # once for all the files
        if not as_json:  # whose output is one JSON object per file
            click.echo(message)
    if failed:
        ctx.exit(FAILED)


@import_group.command("sessions")
@click.argument("file", type=INPUT_FILE)
@BACKGROUND_OPTION
def import_sessions_command(file: str, themes_in_background: bool) -> None:
    """Import a sheet of stakeholder sessions (date, district, category, summary, raised)."""
    from voc.ingest.sessions import read_sessions, save_sessions

    path = Path(file)
    data = path.read_bytes()
    settings = load_settings()
    saved = save_sessions(
        open_engine(), read_sessions(data, path.name), user=settings.user, role=OPERATOR, timezone=settings.timezone,
        file_name=path.name, data=data,
    )  # fmt: skip
    click.echo(f"Imported {saved.sessions} sessions as upload {saved.upload_id}: {saved.contacts} new contacts.")
    click.echo(regroup_message(in_background=themes_in_background))


@import_group.command("survey")
@click.argument("file", type=INPUT_FILE)
@click.option("--dictionary", type=INPUT_FILE, help="The question dictionary file.")
@click.option("--survey", "survey_name", help="The survey's name (default: from the file name).")
@click.option("--wave", help="The wave's label (default: the file's wave column, or a year in its name).")
@click.option("--year", type=int, help="The wave's year, when its label names none.")
@click.option("--json", "as_json", is_flag=True, help="Print the import report as JSON.")
def import_survey_command(
    file: str, dictionary: str | None, survey_name: str | None, wave: str | None, year: int | None, as_json: bool
) -> None:
    """Import a survey: a respondent-level file (one row per resident) or a published summary table."""
    from voc.survey.store import import_survey

    path = Path(file)
    words = Path(dictionary) if dictionary else None
    report = import_survey(
        open_engine(), path.read_bytes(), path.name, user=load_settings().user, role=OPERATOR, survey=survey_name,
        wave=wave, year=year,
        dictionary=words.read_bytes() if words else None, dictionary_name=words.name if words else "",
    )  # fmt: skip
    if as_json:
        print_json(report.as_json())
        return
    click.echo(f"{path.name}: {report.message}")
    for note in report.notes:
        click.echo(f"  {note}")
    for problem in report.problems.itertuples():
        click.echo(f"  row {problem.row}, {problem.column}: {problem.message} (left out)")


@import_group.command("satisfaction")
@click.argument("file", type=INPUT_FILE)
@click.option("--source", help="Join only to this source system's contacts (default: any source).")
@click.option("--scale-max", type=click.IntRange(2, 100), help="The best score (default: 5, or the top one).")
@click.option("--json", "as_json", is_flag=True, help="Print the import report as JSON.")
def import_satisfaction_command(file: str, source: str | None, scale_max: int | None, as_json: bool) -> None:
    """Import post-closure survey answers (ticket id, score; answered date and comment optional), joined by id."""
    from voc.survey.satisfaction import import_satisfaction

    path = Path(file)
    report = import_satisfaction(
        open_engine(), path.read_bytes(), path.name, user=load_settings().user, role=OPERATOR, source=source,
        scale_max=scale_max,
    )  # fmt: skip
    if as_json:
        print_json(report.as_json())
        return
    upload = f" Stored as upload {report.upload_id}." if report.upload_id else " Nothing stored."
    click.echo(f"{path.name}: {report.message}{upload}")
    for problem in report.left_out.itertuples():
        click.echo(f"  row {problem.row}, {problem.record_id or 'no id'}: {problem.reason} (left out)")


@import_group.command("candidates")
@click.argument("file", type=INPUT_FILE)
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
def import_candidates_command(
    file: str, sheet: str | None, pairs: tuple[str, ...], criteria: tuple[str, ...], default_kind: str,
    dry_run: bool, as_json: bool,
) -> None:  # fmt: skip
    """Import a list of maintenance and capital project candidates (xlsx, csv...), upserted by project id."""
    from voc.priorities.candidates import FIELD_NAMES, CandidateOptions, import_candidates

    path = Path(file)
    options = CandidateOptions(
        sheet=sheet, overrides=parse_pairs(pairs, FIELD_NAMES), criteria=criteria or None, default_kind=default_kind,
        dry_run=dry_run,
    )  # fmt: skip
    report = import_candidates(
        open_engine(), path.read_bytes(), path.name, user=load_settings().user, role=OPERATOR, options=options
    )
    if as_json:
        print_json(report.as_json())
    else:
        echo_report(report)


@import_group.command("districts")
@click.argument("file", type=INPUT_FILE)
@click.option("--name-field", help="Field holding district names (default: guessed, e.g. 'name').")
@click.option("--population-field", help="Field holding residents (default: guessed, e.g. 'population').")
@click.option("--code-field", help="Field holding district codes (default: guessed, e.g. 'district', 'id').")
def import_districts_command(
    file: str, name_field: str | None, population_field: str | None, code_field: str | None
) -> None:
    """Replace the district boundaries (GeoJSON, zipped shapefile or GeoPackage; any CRS)."""
    from voc.ingest.boundaries import import_districts

    path = Path(file)
    result = import_districts(
        open_engine(), path.read_bytes(), path.name, user=load_settings().user, role=OPERATOR,
        name_field=name_field, population_field=population_field, code_field=code_field,
    )  # fmt: skip
    first, *more = result.report(path.name)
    click.echo(first)
    for line in more:
        click.echo(f"  {line}")


@import_group.command("areas")
@click.argument("file", type=INPUT_FILE)
@click.option("--code-field", help="Field holding area codes (default: guessed, e.g. 'GEOID').")
@click.option("--name-field", help="Field holding area names (default: guessed, e.g. 'NAME').")
@click.option("--population-field", help="Field holding residents (default: guessed, e.g. 'B01003_001E').")
@click.option("--income-field", help="Field holding median household income (default: guessed, e.g. 'B19013_001E').")
@click.option("--json", "as_json", is_flag=True, help="Print the import as one JSON object.")
def import_areas_command(
    file: str, code_field: str | None, name_field: str | None, population_field: str | None,
    income_field: str | None, as_json: bool,
) -> None:  # fmt: skip
    """Import small areas (census tracts or block groups with residents and income) for `voc equity`."""
    from voc.ingest.areas import import_areas

    path = Path(file)
    result = import_areas(
        open_engine(), path.read_bytes(), path.name, user=load_settings().user, role=OPERATOR,
        code_field=code_field, name_field=name_field, population_field=population_field, income_field=income_field,
    )  # fmt: skip
    if as_json:
        print_json(result.as_json())
        return
    first, *more = result.report(path.name)
    click.echo(first)
    for line in more:
        click.echo(f"  {line}")
