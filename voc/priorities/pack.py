"""The budget meeting's pack: the ranking with its funding line, each funded project's evidence, the weights,
their stability and where the data came from, gathered as a MeetingPack for voc.present.pack to render."""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pandas as pd
import sqlalchemy as sa

from voc.core.errors import VocError
from voc.core.pack import MeetingPack, ProjectEvidence
from voc.core.periods import month_label, month_shift
from voc.priorities.funding import (
    FUNDED,
    MANDATED,
    FundingLine,
    budget_moves,
    describe_limits,
    describe_move,
    fiscal_label,
    funding_line,
    funding_status,
    funding_steps,
    funding_summary,
    limit_spending,
)
from voc.priorities.ranking import RankingBasis, breakdown
from voc.priorities.stability import removal_summary
from voc.priorities.view import RankView, stored_funding_rules, stored_rank_view
from voc.store.uploads import upload_provenance

RANKING_FIELDS = [
    "rank", "name", "source_id", "funding", "fund_year", "total", "estimated_cost", "best_rank", "worst_rank",
]  # fmt: skip


def meeting_pack(
    basis: RankingBasis, view: RankView, line: FundingLine, *, scenario: str, provenance: pd.DataFrame,
    made_at: datetime,
) -> MeetingPack:  # fmt: skip
    """Gather the pack of a ranking and its funding line; `scenario` names the weights in the title."""
    table = view.table.assign(funding=funding_status(view.table, line), fund_year=_fund_year(view.table))
    funded = table["funding"].isin([FUNDED, MANDATED])
    ranking = pd.concat([table[funded], table[~funded]])[RANKING_FIELDS].reset_index(drop=True)
    window = "no contacts stored yet"
    if basis.last_month:
        window = f"demand from {month_label(month_shift(basis.last_month, -11))} to {month_label(basis.last_month)}"
    top = view.table.head(10)
    stability = [
        f"{int(top['solid'].sum())} of the top {len(top)} keep their rank whatever the weights do within ±10%, one at "
        "a time or all together; the ranking shows each candidate's best and worst rank as they move.",
        removal_summary(view.removals),
    ]
    labels = {c.key: c.label for c in basis.criteria}
    total = sum(view.weights.values())
    weights = pd.DataFrame({"criterion": [labels[k] for k in view.weights], "weight": list(view.weights.values()),
                            "share": [w / total for w in view.weights.values()]})  # fmt: skip
    return MeetingPack(
        title="Priorities for the budget meeting",
        subtitle=f"Scenario “{scenario}”; {window}; made {made_at:%d %B %Y, %H:%M}.",
        funding=[funding_summary(line), *filter(None, [describe_limits(limit_spending(view.table, line))]),
                 *(describe_move(m) for m in budget_moves(view.table, line))],
        budget=line.rules.budget, steps=funding_steps(view.table, line), ranking=ranking, weights=weights,
        stability=[s for s in stability if s],
        projects=[_evidence(view, row, basis.last_month) for row in table[funded].to_dict("records")],
        provenance=provenance, about=view.about,
    )  # fmt: skip


def _evidence(view: RankView, row: dict, last_month: str | None) -> ProjectEvidence:
    cost = row["estimated_cost"]
    year = "none" if _missing(row["fiscal_year"]) else fiscal_label(row["fiscal_year"])
    facts = [("Id", row["source_id"]), ("Kind", row["kind"]), ("Category", _text(row["category"])),
             ("District", _text(row["district_code"])), ("Estimated cost", f"${cost:,.0f}"),
             ("Fund", _text(row["fund"])), ("Fiscal year", year),
             ("Score", f"{row['total']:.1f} of 100"), ("Funding", row["funding"]),
             ("Rank", f"{row['rank']} ({row['best_rank']} to {row['worst_rank']} with weights ±10%)")]  # fmt: skip
    until = f" to {month_label(last_month)}" if last_month else ""
    per_1000 = "" if _missing(row["per_1000"]) else f"; {row['per_1000']:.1f} per 1,000 residents of the area"
    change = "no contacts the year before" if _missing(row["change_pct"]) else f"{row['change_pct']:+.0f}%"
    survey = "no survey service area linked"
    if not _missing(row["is_rating"]):
        survey = f"importance-satisfaction {row['is_rating']:.3f} ({_text(row['tier'])}), {_text(row['survey_area'])}"
    evidence = [
        ("Demand", f"{int(row['contacts']):,} linked contacts in the 12 months{until}{per_1000} "
                   f"(linked {_text(row['linked_by'])})"),
        ("Trend", f"{change} on the 12 months before ({int(row['contacts_before'] or 0):,} contacts)"),
        ("Repeat places", f"{int(row['repeat_places'] or 0)} places nearby with 3 or more linked contacts"),
        ("Reopens", _reopens(row)),
        ("Survey priority", survey),
    ]  # fmt: skip
    parts = breakdown(view.ranking, int(row["id"]))[["criterion", "value", "score", "weight_share", "points"]]
    return ProjectEvidence(facts, evidence, parts, str(row["name"]))


def _fund_year(table: pd.DataFrame) -> pd.Series:
    """Say which fund pays for each candidate and in which fiscal year ("Gas tax, FY2027"; "" when neither is known)."""
    years = table["fiscal_year"].map(lambda year: "" if _missing(year) else fiscal_label(year))
    funds = table["fund"].map(lambda fund: "" if _missing(fund) else str(fund))
    return (funds + ", " + years).str.strip(", ")


def _reopens(row: dict) -> str:
    """Say how many of the linked contacts came back after the county closed them: fixes that did not hold."""
    reopened, contacts = int(row["reopened"] or 0), int(row["contacts"] or 0)
    if not contacts:
        return "no linked contacts, so none reopened"
    if not reopened:
        return f"none of the {contacts:,} linked contacts came back after being closed"
    return (
        f"{reopened:,} of the {contacts:,} linked contacts ({reopened / contacts:.0%}) came back after being closed "
        "(reopened, or the same problem reported again nearby): the fix did not hold"
    )


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value))


def _text(value: object) -> str:
    return "none" if _missing(value) else str(value)


def stored_meeting_pack(
    engine: sa.Engine, *, scenario: str, today: date, timezone: str, made_at: datetime
) -> MeetingPack:
    """Gather the pack of a saved scenario: its weights, budget, mandated and excluded candidates, as `voc rank` ranks.

    Raises VocError for an unknown scenario, one saved without a budget, and as the ranking and funding do.
    """
    basis, view = stored_rank_view(engine, today=today, timezone=timezone, scenario=scenario)
    rules = stored_funding_rules(engine, scenario=scenario)
    if rules is None:
        raise VocError(
            f"The scenario {scenario!r} has no budget: set one on the Priorities page and save the scenario again."
        )
    line = funding_line(view.table, rules)
    return meeting_pack(basis, view, line, scenario=scenario, provenance=upload_provenance(engine), made_at=made_at)
