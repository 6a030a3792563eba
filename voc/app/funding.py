"""The funding line on the Priorities page: the budget and the committee's rules, and what they fund."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from voc.app import columns, loaders, plain, show
from voc.core.config import load_settings
from voc.core.errors import VocError
from voc.present import priority_charts
from voc.present.pack import pack_writer
from voc.priorities.funding import (
    FundingLine,
    FundingRules,
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
from voc.priorities.pack import meeting_pack
from voc.priorities.ranking import RankingBasis
from voc.priorities.view import RankView

BUDGET_STEP = 100_000


def funding_controls(page: str, candidates: pd.DataFrame) -> FundingRules | None:
    """Lay out the budget and the mandated and excluded candidates (in the URL); None without a budget.

    `candidates` (source_id, name) are every stored candidate, so that a filter never drops a choice.
    """
    names = dict(zip(candidates["source_id"].astype(str), candidates["name"].astype(str), strict=True))
    budget_slot, mandated_slot, excluded_slot = st.columns([1, 2, 2])
    budget = budget_slot.number_input(
        "Budget ($)", min_value=0, value=None, step=BUDGET_STEP, format="%d", key=f"{page}_budget",
        placeholder="No funding line", bind="query-params",
        help="The money the meeting has: the candidates giving the most total score within it are funded.",
    )  # fmt: skip
    chosen = {}
    for slot, what, help_text in ((mandated_slot, "mandated", "Funded whatever they score."),
                                  (excluded_slot, "excluded", "Never funded, whatever they score.")):  # fmt: skip
        chosen[what] = slot.multiselect(
            f"Candidates {what}", list(names), format_func=lambda i: f"{names[i]} ({i})", key=f"{page}_{what}",
            placeholder="None", help=help_text, bind="query-params",
        )  # fmt: skip
    fund_budgets, year_budgets = part_budgets(page, candidates)
    if budget is None:
        return None
    return FundingRules(float(budget), tuple(chosen["mandated"]), tuple(chosen["excluded"]), fund_budgets, year_budgets)


def part_budgets(
    page: str, candidates: pd.DataFrame
) -> tuple[tuple[tuple[str, float], ...], tuple[tuple[int, float], ...]]:
    """Lay out a budget per fund and per fiscal year, when the candidates carry them; return those set."""
    funds = sorted(candidates["fund"].dropna().astype(str).unique())
    years = sorted(int(year) for year in candidates["fiscal_year"].dropna().unique())
    if not funds and not years:
        return (), ()
    chosen: dict[str, list] = {"fund": [], "year": []}
    with st.expander("Budgets by fund and fiscal year"):
        st.caption("Leave one blank for no limit of its own; a candidate without a fund or year counts only "
                   "against the total budget.")  # fmt: skip
        for what, keys, label in (("fund", funds, str), ("year", years, fiscal_label)):
            for slot, key in zip(st.columns(4) * len(keys), keys, strict=False):
                money = slot.number_input(
                    f"{label(key)} ($)", min_value=0, value=None, step=BUDGET_STEP, format="%d",
                    key=part_budget_key(page, what, key), placeholder="No limit",
                )  # fmt: skip
                if money is not None:
                    chosen[what].append((key, float(money)))
    return tuple(chosen["fund"]), tuple(chosen["year"])


def part_budget_key(page: str, what: str, key: object) -> str:
    """The session key of one fund's or fiscal year's budget (what: "fund" or "year")."""
    return f"{page}_{what}_budget_{key}"


def funded_line(table: pd.DataFrame, rules: FundingRules | None) -> FundingLine | None:
    """Fund the ranking's candidates within the rules; show a refusal and return None when no set fits."""
    if rules is None:
        return None
    try:
        return funding_line(table, rules)
    except VocError as reason:  # dollar signs and candidate names: as typed, never Markdown (or LaTeX)
        plain.show(reason, kind="error")
        return None


def funding_panel(table: pd.DataFrame, line: FundingLine, *, key: str) -> None:
    """Show the funding line: what the budget funds, the next dollar, the ±10% budgets and the steps chart."""
    st.subheader("The funding line")
    st.text(funding_summary(line))
    if within := describe_limits(limit_spending(table, line)):
        st.text(within)
    for move in budget_moves(table, line):
        st.text(describe_move(move))
    show.chart(
        partial(priority_charts.funding_line, funding_steps(table, line), budget=line.rules.budget),
        name="priorities-funding", key=key, title=f"What a budget of ${line.rules.budget:,.0f} funds",
    )  # fmt: skip
    st.caption(
        "Each bar is a candidate's estimated cost, starting where the one above ends: the funded in rank order, "
        "then the next ten left out. The funded set is the one with the most total score within the budget, so a "
        "cheaper candidate can pass a dearer one ranked above it. Excluded candidates and those without a cost "
        "are not drawn."
    )


def with_funding(table: pd.DataFrame, line: FundingLine | None) -> tuple[pd.DataFrame, columns.Columns]:
    """Return the ranking with each candidate's funding beside its score, and the columns to show."""
    if line is None:
        return table, columns.RANKING
    shown = {key: label for key, label in columns.RANKING.items() if key != "total"}
    config = {"rank": shown.pop("rank"), "name": shown.pop("name"), "funding": "Funding",
              "total": columns.RANKING["total"], **shown}  # fmt: skip
    return table.assign(funding=funding_status(table, line)), config


def pack_buttons(basis: RankingBasis, view: RankView, line: FundingLine, *, key: str) -> None:
    """Offer the meeting pack of the ranking and funding line on the page, as PDF and HTML, made when clicked."""
    timezone = load_settings().timezone

    def made(suffix: str) -> bytes:
        meeting = meeting_pack(basis, view, line, scenario="as set on the Priorities page",
                               provenance=loaders.provenance(), made_at=datetime.now(ZoneInfo(timezone)))  # fmt: skip
        return pack_writer(suffix)(meeting)

    left, right = st.columns(2)
    for slot, suffix, mime in ((left, ".pdf", "application/pdf"), (right, ".html", "text/html")):
        show.deferred_download(
            slot, f"Download the meeting pack ({suffix[1:].upper()})", partial(made, suffix),
            file_name=f"meeting-pack{suffix}", mime=mime, key=f"{key}_{suffix[1:]}", icon=":material/description:",
        )  # fmt: skip
