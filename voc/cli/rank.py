"""`voc rank`: the candidate projects ranked by customer demand and the county's own criteria."""

from __future__ import annotations

import click

from voc.cli.common import open_engine, print_json
from voc.cli.contract import ContractCommand
from voc.core.config import load_settings


@click.command(cls=ContractCommand)
@click.option(
    "--weights", default="", metavar="KEY=W,...", help="Weights, e.g. demand=40,condition=30 (others: defaults)."
)
@click.option("--scenario", help="Start from a saved weight scenario.")
@click.option("--radius", "radius_m", type=float, default=None, help="Metres around a candidate (default 1,600).")
@click.option("--kind", "kinds", multiple=True, help="Rank only this kind (repeat for several).")
@click.option("--district", "districts", multiple=True, help="Rank only this district (repeat for several).")
@click.option("--budget", type=float, help="Fund the best set within this many dollars (marks each `funded`).")
@click.option("--mandated", multiple=True, metavar="ID", help="Fund this candidate whatever it scores (repeatable).")
@click.option("--excluded", multiple=True, metavar="ID", help="Never fund this candidate (repeatable).")
@click.option(
    "--fund-budget",
    "fund_budgets",
    multiple=True,
    metavar="FUND=AMOUNT",
    help='At most this many dollars from one fund, e.g. "General Fund=2000000" (repeatable).',
)
@click.option(
    "--year-budget",
    "year_budgets",
    multiple=True,
    metavar="YEAR=AMOUNT",
    help="At most this many dollars in one fiscal year, e.g. 2027=5000000 (repeatable).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON: the weights and one object per candidate.")
@click.option("--xlsx", "xlsx_path", type=click.Path(dir_okay=False, writable=True), help="Write the ranking to XLSX.")
def rank(
    weights: str, scenario: str | None, radius_m: float | None, kinds: tuple[str, ...], districts: tuple[str, ...],
    budget: float | None, mandated: tuple[str, ...], excluded: tuple[str, ...], fund_budgets: tuple[str, ...],
    year_budgets: tuple[str, ...], as_json: bool, xlsx_path: str | None,
) -> None:  # fmt: skip
    """Rank the candidates by customer demand and the county's own criteria, and fund the best set within a budget.

    Without --budget, a scenario saved with a budget brings its budget, mandated and excluded candidates,
    and its budgets by fund and fiscal year. A candidate without a fund or year counts only against the total.
    """
    from datetime import datetime
    from pathlib import Path
    from zoneinfo import ZoneInfo

    from voc.priorities.evidence import DEFAULT_RADIUS_M
    from voc.priorities.funding import (
        budget_moves,
        describe_limits,
        describe_move,
        funding_line,
        funding_record,
        funding_summary,
        limit_spending,
        parse_limits,
    )
    from voc.priorities.ranking import CandidateFilters, parse_weights
    from voc.priorities.stability import removal_summary
    from voc.priorities.view import stored_funding_rules, stored_rank_view
    from voc.priorities.workbook import ranking_workbook

    engine, settings = open_engine(), load_settings()
    basis, view = stored_rank_view(
        engine,
        today=datetime.now(ZoneInfo(settings.timezone)).date(),
        timezone=settings.timezone,
        weights=parse_weights(weights),
        scenario=scenario,
        radius_m=radius_m or DEFAULT_RADIUS_M,
        filters=CandidateFilters(kinds=kinds, districts=districts),
        rules=settings.closure,
    )
    table = view.table
    rules = stored_funding_rules(
        engine, scenario=scenario, budget=budget, mandated=mandated, excluded=excluded,
        fund_budgets=parse_limits(fund_budgets, "--fund-budget", str),
        year_budgets=parse_limits(year_budgets, "--year-budget", int),
    )  # fmt: skip
    line = funding_line(table, rules) if rules else None
    if line:
        table = table.assign(funded=line.funded.to_numpy())
    if xlsx_path:
        Path(xlsx_path).write_bytes(ranking_workbook(view.ranking, table, view.weights, about=view.about))
    if as_json:
        columns = ["rank", "source_id", "name", "kind", "category", "district_code", "total", "best_rank",
                   "worst_rank", "contacts", "per_1000", "change_pct", "repeat_places", "reopened", "is_rating",
                   "estimated_cost", "fund", "fiscal_year", "cost_per_resident", "contacts_per_million", "linked_by",
                   *(f"score_{c.key}" for c in basis.criteria),
                   *(f"points_{c.key}" for c in basis.criteria), *(["funded"] if line else [])]  # fmt: skip
        records = table[columns].astype(object).where(table[columns].notna(), None).to_dict("records")
        moved = view.removals.merge(basis.inputs[["id", "source_id"]], on="id")
        removals = moved[["source_id", "pairs_reordered", "positions_moved", "largest_move"]].to_dict("records")
        funding = (
            {"funding": funding_record(line, budget_moves(table, line), limit_spending(table, line))} if line else {}
        )
        print_json({"last_month": basis.last_month, "radius_m": basis.radius_m, "weights": view.weights,
                    "candidates": records, "removals": removals, **funding})  # fmt: skip
        return
    for row in table.itertuples():
        moves = f"  (rank {row.best_rank}-{row.worst_rank} as weights move ±10%, alone or together)"
        steady = "" if row.solid else moves
        funded = ("funded  " if row.funded else "        ") if line else ""
        click.echo(f"{row.rank:>4}. {row.total:5.1f}  {funded}{row.name}{steady}")
    click.echo(removal_summary(view.removals))
    if line:
        click.echo(funding_summary(line))
        if within := describe_limits(limit_spending(table, line)):
            click.echo(within)
        for move in budget_moves(table, line):
            click.echo(describe_move(move))
    if xlsx_path:
        click.echo(f"Wrote {xlsx_path}.")


@click.command(cls=ContractCommand)
@click.option("--scenario", required=True, help="The saved scenario: its weights, budget, mandated and excluded.")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False, writable=True),
              help="The file to write: .html or .pdf.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print JSON: the file written and the funded candidates.")
def pack(scenario: str, out_path: str, as_json: bool) -> None:
    """Write the budget meeting's pack: the ranking with its funding line, each funded project's evidence,
    the weights and their stability, and where the data came from."""
    from datetime import datetime
    from pathlib import Path
    from zoneinfo import ZoneInfo

    from voc.present.pack import pack_writer
    from voc.priorities.pack import stored_meeting_pack

    path = Path(out_path)
    write = pack_writer(path.suffix)
    engine, settings = open_engine(), load_settings()
    now = datetime.now(ZoneInfo(settings.timezone))
    meeting = stored_meeting_pack(engine, scenario=scenario, today=now.date(), timezone=settings.timezone, made_at=now)
    path.write_bytes(write(meeting))
    funded = [fact[1] for project in meeting.projects for fact in project.facts if fact[0] == "Id"]
    if as_json:
        print_json({"out": str(path), "funded": funded, "bytes": path.stat().st_size})
        return
    click.echo(f"Wrote {path}: {len(funded)} funded projects. {meeting.funding[0]}")
