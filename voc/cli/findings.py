"""`voc alerts` and `voc survey compare`: what is emerging in the contacts, and what really changed in the survey."""

from __future__ import annotations

import click

from voc.cli.common import open_engine, print_json
from voc.cli.contract import ContractCommand, ContractGroup
from voc.core.config import load_settings
from voc.core.errors import VocError


@click.command(cls=ContractCommand)
@click.option("--month", help="YYYY-MM to test (default: the latest complete month).")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print JSON: one object per flagged row (issues) and per issue they form (grouped_issues).",
)
@click.option("--all", "show_all", is_flag=True, help="Also list every series tested, not only the flagged ones.")
def alerts(month: str | None, as_json: bool, show_all: bool) -> None:
    """List emerging issues, one sentence each: counts above what each series' own seasonal history predicts."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from voc.contacts.overview import current_month
    from voc.contacts.trends import emerging_report

    engine, settings = open_engine(), load_settings()
    month = month or current_month(
        engine, today=datetime.now(ZoneInfo(settings.timezone)).date(), timezone=settings.timezone
    )
    if month is None:
        raise VocError("No contacts yet: nothing to test. Import a month with `voc import requests FILE`.")
    report = emerging_report(engine, month=month)
    rows = report.rows
    shown = rows if show_all else rows[rows["flagged"]] if len(rows) else rows
    if as_json:
        issues = report.issues.to_dict("records")
        print_json({"month": month, "issues": shown.to_dict("records"), "grouped_issues": issues})
        return
    if report.issues.empty:
        click.echo(f"Nothing emerging in {month}: every series is within what its seasonal history predicts.")
    for sentence in report.issues["sentence"]:
        click.echo(f"⚠ {sentence}")
    if show_all:
        click.echo("\nEvery series tested:")
        for row in rows.itertuples():
            click.echo(("⚠ " if row.flagged else "  ") + row.sentence)


@click.group(cls=ContractGroup)
def survey() -> None:
    """Survey results: honest comparisons between waves and districts."""


@survey.command("compare")
@click.option("--survey", "survey_name", help="The survey (default: the one with the newest wave).")
@click.option("--wave", help="The wave (default: the newest).")
@click.option("--district", help="A district code (default: county-wide).")
@click.option("--battery", help="A question battery, e.g. q3 (default: all items).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def survey_compare(
    survey_name: str | None, wave: str | None, district: str | None, battery: str | None, as_json: bool
) -> None:
    """Print each item's satisfaction with its 95% margin and whether it really changed since the wave before."""
    from voc.survey.compare import change_summary, compare_waves, default_view
    from voc.survey.store import current_results, load_benchmarks

    engine = open_engine()
    results = current_results(engine)
    survey_name, wave = default_view(results, survey=survey_name, wave=wave)
    table = compare_waves(
        results, survey=survey_name, wave=wave, district=district, battery=battery, benchmarks=load_benchmarks(engine)
    )
    summary = change_summary(table)
    if as_json:
        records = table.astype(object).where(table.notna(), None).to_dict("records")
        print_json({"survey": survey_name, "wave": wave, "district": district, "summary": summary, "items": records})
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
