"""`voc alerts`, `voc performance` and `voc survey compare`: what is emerging in the contacts, how the county
answered them, and what really changed in the survey."""

from __future__ import annotations

import re
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

import click

from voc.cli.common import OPERATOR, open_engine, print_json
from voc.cli.contract import ContractCommand, ContractGroup
from voc.core.config import load_settings
from voc.core.errors import VocError

if TYPE_CHECKING:
    import sqlalchemy as sa


def _month_or_latest(engine: sa.Engine, month: str | None) -> str:
    """Return `month`, or the latest complete month of the stored contacts."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from voc.contacts.overview import current_month

    timezone = load_settings().timezone
    month = month or current_month(engine, today=datetime.now(ZoneInfo(timezone)).date(), timezone=timezone)
    if month is None:
        raise VocError("No contacts yet: nothing to test. Import a month with `voc import requests FILE`.")
    return month


@click.group(cls=ContractGroup, invoke_without_command=True)
@click.option("--month", help="YYYY-MM to test (default: the latest complete month).")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print JSON: one object per flagged row (issues) and per issue they form, with its state (grouped_issues).",
)
@click.option("--all", "show_all", is_flag=True, help="Also list every series tested, not only the flagged ones.")
@click.pass_context
def alerts(ctx: click.Context, month: str | None, as_json: bool, show_all: bool) -> None:
    """List emerging issues, one sentence each with its state: counts above what each series' own seasonal
    history predicts. `voc alerts ack` sets an issue's state."""
    if ctx.invoked_subcommand is not None:
        return
    from voc.contacts.trends import emerging_report
    from voc.contacts.triage import with_states

    engine = open_engine()
    month = _month_or_latest(engine, month)
    report = emerging_report(engine, month=month)
    rows = report.rows
    shown = rows if show_all else rows[rows["flagged"]] if len(rows) else rows
    issues = with_states(engine, report.issues, last_month=month)
    if as_json:
        print_json({"month": month, "issues": shown.to_dict("records"), "grouped_issues": issues.to_dict("records")})
        return
    if issues.empty:
        click.echo(f"Nothing emerging in {month}: every series is within what its seasonal history predicts.")
    for issue in issues.itertuples():
        click.echo(f"⚠ [{issue.state}] {issue.sentence} (id {issue.issue_id})")
        if issue.action:
            click.echo(f"    acted on: {issue.action} (action {int(issue.action_id)}). {issue.effect}")
        elif issue.reason:
            click.echo(f"    {issue.state}: {issue.reason}")
    if show_all:
        click.echo("\nEvery series tested:")
        for row in rows.itertuples():
            click.echo(("⚠ " if row.flagged else "  ") + row.sentence)


@alerts.command("ack")
@click.argument("issue_id")
@click.option(
    "--state", required=True, type=click.Choice(["seen", "acted", "dismissed"]), help="The issue's new state."
)
@click.option("--action", "action_id", type=int, help="The action taken (an id of `voc action list`): with acted.")
@click.option("--reason", help="Why it is dismissed: needed with dismissed.")
@click.option("--month", help="YYYY-MM whose issues ISSUE_ID is among (default: the latest complete month).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON: the issue and its new state.")
def alerts_ack(
    issue_id: str, state: str, action_id: int | None, reason: str | None, month: str | None, as_json: bool
) -> None:
    """Set the state of emerging issue ISSUE_ID (the id `voc alerts` prints): seen, acted or dismissed."""
    from voc.contacts.triage import acknowledge

    engine = open_engine()
    month = _month_or_latest(engine, month)
    issue = acknowledge(
        engine, issue_id, state, month=month, action_id=action_id, reason=reason, user=load_settings().user,
        role=OPERATOR,
    )  # fmt: skip
    if as_json:
        print_json({"issue_id": issue_id, "state": state, "action_id": action_id, "reason": reason,
                    "sentence": issue.sentence})  # fmt: skip
        return
    click.echo(f"{issue_id} is now {state}: {issue.sentence}")


@click.command(cls=ContractCommand)
@click.option("--from", "first_month", help="First YYYY-MM (default: 11 months before --to).")
@click.option("--to", "last_month", help="Last YYYY-MM (default: the latest complete month).")
@click.option("--department", "departments", multiple=True, help="Keep this department (repeatable).")
@click.option("--category", "categories", multiple=True, help="Keep this category (repeatable).")
@click.option("--district", "districts", multiple=True, help="Keep this district code (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON: the summary and one object per category.")
def performance(
    first_month: str | None, last_month: str | None, departments: tuple[str, ...], categories: tuple[str, ...],
    districts: tuple[str, ...], as_json: bool,
) -> None:  # fmt: skip
    """Print service performance, as on Trends: how soon contacts were acknowledged and closed, whether closing
    fixed them, and the figures of each category."""
    from voc.contacts.closure import closure_metrics
    from voc.contacts.closure_months import service_report
    from voc.contacts.trends import Filters
    from voc.core.periods import month_shift

    engine, settings = open_engine(), load_settings()
    last_month = _month_or_latest(engine, _checked_month(last_month))
    first_month = _checked_month(first_month) or month_shift(last_month, -11)
    filters = Filters(first_month, last_month, categories=categories, departments=departments, districts=districts)
    figures, table = service_report(engine, filters, rules=settings.closure, timezone=settings.timezone)
    summary = figures.summary
    if as_json:
        figures = _without_nan(asdict(summary))
        records = table.astype(object).where(table.notna(), None).to_dict("records")
        print_json({"first_month": first_month, "last_month": last_month, "summary": figures, "categories": records})
        return
    click.echo(f"Service performance, {first_month} to {last_month}: {summary.contacts:,} contacts.")
    for metric in closure_metrics(summary, settings.closure):
        click.echo(f"  {metric.label}: {metric.value} · {metric.delta}")
    click.echo("Per category:")
    for row in table.itertuples():
        click.echo(f"  {row.category}: " + "; ".join(_category_figures(row, summary.acknowledge_unit)))


def _category_figures(row: Any, unit: str) -> list[str]:
    """A category's figures in words; those its contacts do not give (nothing acknowledged, closed) left out."""
    from voc.contacts.closure import acknowledge_time

    figures = [f"{row.contacts:,} contacts, {row.incidents:,.0f} incidents"]
    if row.acknowledged > 0:
        median, p90 = (acknowledge_time(value, unit) for value in (row.acknowledge_median, row.acknowledge_p90))
        figures.append(f"half acknowledged within {median}, 90% within {p90}")
    else:
        figures.append("no acknowledged times")
    if row.business_median_days == row.business_median_days:
        days = f"{row.business_median_days:g}"
        figures.append(f"half closed within {days} business day{'' if days == '1' else 's'}")
    if row.reopen_rate == row.reopen_rate:
        figures.append(f"{row.reopen_rate:.1%} reopened")
    if row.answers > 0:
        figures.append(f"satisfied after closure {row.satisfied_after_closure} of {row.answers:,.0f} answers")
    return figures


def _without_nan(figures: dict[str, Any]) -> dict[str, Any]:
    """Figures as JSON holds them: NaN (no figure) as null, nested figures too."""
    return {
        key: _without_nan(value) if isinstance(value, dict) else None if value != value else value
        for key, value in figures.items()
    }


def _checked_month(month: str | None) -> str | None:
    if month is not None and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
        raise VocError(f"{month!r} is not a month: write YYYY-MM, e.g. 2026-10.")
    return month


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
