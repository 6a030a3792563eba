"""The budget meeting's pack as data: what voc.priorities gathers and voc.present renders as HTML or PDF."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class ProjectEvidence:
    """One funded project's page: who it is, and the evidence and points behind its score."""

    facts: list[tuple[str, str]]  # (label, value as text): id, kind, category, district, cost, score, rank...
    evidence: list[tuple[str, str]]  # (label, value as text): demand, trend, repeat places, reopens, survey priority
    breakdown: pd.DataFrame  # criterion, value, score, weight_share, points (voc.priorities.ranking.breakdown)
    name: str


@dataclass(frozen=True)
class MeetingPack:
    """Everything the meeting pack shows, as frames and sentences; no figure is computed when rendering."""

    title: str
    subtitle: str  # the scenario, the demand window, when it was made
    funding: list[str]  # what the budget funds and the next dollar buys, any fund and year budgets, the -10%/+10%
    budget: float
    steps: pd.DataFrame  # voc.priorities.funding.funding_steps
    ranking: pd.DataFrame  # rank, name, source_id, funding, fund_year, total, estimated_cost, best_rank, worst_rank
    weights: pd.DataFrame  # criterion, weight, share
    stability: list[str]  # how solid the order is as weights move and candidates are removed
    projects: list[ProjectEvidence]  # the funded, in rank order
    provenance: pd.DataFrame  # voc.store.uploads.upload_provenance
    about: list[str]  # how the ranking was built (voc.priorities.ranking.about_lines)
