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
@click.option("--json", "as_json", is_flag=True, help="Print JSON: the weights and one object per candidate.")
@click.option("--xlsx", "xlsx_path", type=click.Path(dir_okay=False, writable=True), help="Write the ranking to XLSX.")
def rank(
    weights: str, scenario: str | None, radius_m: float | None, kinds: tuple[str, ...], districts: tuple[str, ...],
    as_json: bool, xlsx_path: str | None,
) -> None:  # fmt: skip
    """Rank the candidates by customer demand and the county's own criteria."""
    from datetime import datetime
    from pathlib import Path
    from zoneinfo import ZoneInfo

    from voc.priorities.evidence import DEFAULT_RADIUS_M
    from voc.priorities.ranking import CandidateFilters, parse_weights
    from voc.priorities.stability import removal_summary
    from voc.priorities.view import stored_rank_view
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
    if xlsx_path:
        Path(xlsx_path).write_bytes(ranking_workbook(view.ranking, table, view.weights, about=view.about))
    if as_json:
        columns = ["rank", "source_id", "name", "kind", "category", "district_code", "total", "best_rank",
                   "worst_rank", "contacts", "per_1000", "change_pct", "repeat_places", "reopened", "is_rating",
                   "estimated_cost", "cost_per_resident", "contacts_per_million", "linked_by",
                   *(f"score_{c.key}" for c in basis.criteria),
                   *(f"points_{c.key}" for c in basis.criteria)]  # fmt: skip
        records = table[columns].astype(object).where(table[columns].notna(), None).to_dict("records")
        moved = view.removals.merge(basis.inputs[["id", "source_id"]], on="id")
        print_json({"last_month": basis.last_month, "radius_m": basis.radius_m, "weights": view.weights,
                    "candidates": records,
                    "removals": moved[["source_id", "pairs_reordered", "positions_moved", "largest_move"]].to_dict(
                        "records")})  # fmt: skip
        return
    for row in table.itertuples():
        moves = f"  (rank {row.best_rank}-{row.worst_rank} as weights move ±10%, alone or together)"
        steady = "" if row.solid else moves
        click.echo(f"{row.rank:>4}. {row.total:5.1f}  {row.name}{steady}")
    click.echo(removal_summary(view.removals))
    if xlsx_path:
        click.echo(f"Wrote {xlsx_path}.")
