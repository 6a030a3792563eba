"""Every table's column labels and formats, in one place: a page names the table, never a label or format."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from voc.core.fields import CONTACT_TYPES, label
from voc.survey.dictionary import KINDS

Columns = dict[str, Any]  # st.dataframe's column_config: a label, a column config, or None to hide
# Counts with thousands separators; other quantities with one decimal, also separated. Percentages are
# fractions shown with the "percent" format.
COUNT = "%,d"
DECIMAL = "%,.1f"
MISSING = "—"  # what an empty cell shows, rather than "None"
# Integer columns that are labels rather than quantities: "2,026" is no year, "1,204" no upload.
_NOT_QUANTITIES = frozenset({"id", "year", "row", "rank", "upload_id", "position"})


def _number(label: str, format: str, **options: Any) -> Any:
    return st.column_config.NumberColumn(label, format=format, **options)


def _percent(label: str) -> Any:
    return _number(label, "percent")


def _choice(label: str, options: list[str]) -> Any:
    return st.column_config.SelectboxColumn(label, options=options, required=True)


def configured(frame: pd.DataFrame, given: Columns | None = None) -> Columns:
    """Complete a table's column_config: every column `given` leaves out gets its label and number format.

    Labels come from voc.core.fields.label (snake_case never reaches a reader); integer quantities show
    as COUNT, other numbers as DECIMAL.
    """
    config = dict(given or {})
    for name in frame.columns:
        if name not in config:
            config[name] = _default(str(name), frame[name])
    return config


def _default(name: str, values: pd.Series) -> Any:
    title = label(name).split(" (")[0]  # a field's label explains its column to map: "Opened (date or ...)"
    if pd.api.types.is_bool_dtype(values):
        return st.column_config.CheckboxColumn(title)
    if pd.api.types.is_integer_dtype(values):
        return _number(title, "%d" if name in _NOT_QUANTITIES or name.endswith("_id") else COUNT)
    if pd.api.types.is_float_dtype(values):
        return _number(title, DECIMAL)
    return title


# Upload --------------------------------------------------------------------------------------------
ROW_PROBLEMS: Columns = {"row": "Row", "column": "Column", "message": "Problem", "severity": "Outcome"}
SURVEY_PROBLEMS: Columns = {"row": "Row", "column": "Column", "message": "Problem"}
SATISFACTION_LEFT_OUT: Columns = {"row": "Row", "record_id": "Record id", "reason": "Left out because"}
UNMAPPED_TYPES: Columns = {"raw_type": "Raw request type", "contacts": _number("Contacts", COUNT)}
SUGGESTIONS: Columns = {
    "raw_type": "Raw request type",
    "contacts": _number("Contacts", COUNT),
    "category": "Suggested category",
    "department": "Suggested department",
    "contact_type": "Type",
    "confidence": st.column_config.ProgressColumn("Confidence", min_value=0.0, max_value=1.0, format="percent"),
    "reason": "Why",
}


def mapping(file_columns: list[str]) -> Columns:
    """The mapping editor of an uploaded file, whose columns the analyst picks among `file_columns`."""
    return {
        "label": st.column_config.TextColumn("Field"),
        "column": _choice("Column in the file", file_columns),
        "confidence": st.column_config.ProgressColumn("Confidence", min_value=0.0, max_value=1.0, format="percent"),
        "reason": st.column_config.TextColumn("Why"),
    }


# Trends and Map ------------------------------------------------------------------------------------
_PERFORMANCE: Columns = {
    "category": "Category",
    "contacts": _number("Contacts", COUNT),
    "closed": _number("Closed", COUNT),
    "median_days": _number("Median days", DECIMAL),
    "p90_days": _number("90% closed within (days)", DECIMAL),
    "target_days": _number("Target (days)", "%.0f"),
    "within_target_share": _percent("Closed within target"),
    "closed_too_fast": _number("Closed in under 5 minutes", COUNT),
    "still_open": _number("Never closed", COUNT),
    "incidents": _number("Incidents", COUNT, help="Reports of one category close in place and time count once"),
    "reopened": _number("Reopened", COUNT, help="Reopened in the CRM, or the problem reported again after closure"),
    "reopen_rate": _percent("Reopen rate"),
    "business_median_days": _number("Median business days", DECIMAL),
    "business_p90_days": _number("90% closed within (business days)", "%.0f"),
    "answers": _number("Survey answers", COUNT, help="Residents who answered the survey after closure"),
    "satisfied_after_closure": st.column_config.TextColumn(
        "Satisfied after closure (90% interval)",
        help="Top two answers of five; not shown below 30 answers, when sampling alone moves a share too much",
    ),
    "satisfied_share": None,
    "satisfied_low": None,
    "satisfied_high": None,
}
PERFORMANCE_ORDER = (
    "category", "contacts", "incidents", "acknowledge_median", "acknowledge_p90", "closed", "median_days",
    "business_median_days", "p90_days", "business_p90_days", "target_days", "within_target_share", "reopened",
    "reopen_rate", "satisfied_after_closure", "answers", "closed_too_fast", "still_open",
)  # fmt: skip


def performance(acknowledge_unit: str) -> Columns:
    """Service performance's columns, time to acknowledge in `acknowledge_unit` (voc.contacts.closure's unit)."""
    how, p90_format = ("clock hours", DECIMAL) if acknowledge_unit == "hours" else ("business days", "%.0f")
    return {
        **_PERFORMANCE,
        "acknowledged": None,
        "acknowledge_median": _number(
            f"Median to acknowledge ({acknowledge_unit})", DECIMAL,
            help=f"In {how}, over the contacts whose export says when they were acknowledged; a dash when none does",
        ),
        "acknowledge_p90": _number(f"90% acknowledged within ({acknowledge_unit})", p90_format),
    }  # fmt: skip


DISTRICTS: Columns = {
    "name": "District",
    "contacts": _number("Contacts", COUNT),
    "per_1000": _number("Per 1,000", DECIMAL, help="Contacts per 1,000 residents"),
    "contacts_year_earlier": _number("Year before", COUNT, help="Contacts in the same months a year earlier"),
    "change_pct": _number("Change", "%+.1f%%"),
}
PLACES: Columns = {
    "place": "Place",
    "contacts": _number("Contacts", COUNT),
    "departments": _number("Departments", COUNT),
    "categories": "Categories",
    "first_opened": st.column_config.DatetimeColumn("First contact", format="D MMM YYYY"),
    "last_opened": st.column_config.DatetimeColumn("Latest contact", format="D MMM YYYY"),
}
PROFILE_SURVEY: Columns = {
    "service_area": "Service area",
    "satisfied_share": _percent("Satisfied here"),
    "margin": _percent("± (95%)"),
    "rest_share": _percent("Rest of county"),
    "verdict": "Difference",
    "n": _number("Respondents here", COUNT),
}
THEMES: Columns = {
    "theme": None,
    "name": st.column_config.TextColumn("Theme", help="Its most distinctive words and phrases"),
    "contacts": _number("Contacts", COUNT),
    "share": _percent("Share"),
    "contacts_year_earlier": _number("Year before", COUNT, help="Contacts in the same months a year earlier"),
    "examples": st.column_config.ListColumn("What residents wrote (nearest the theme's centre)", width="large"),
}
FREQUENT_TERMS: Columns = {
    "term": "Word or phrase",
    "share": _percent("Share of descriptions"),
}
RISING_TERMS: Columns = {
    "term": "Word or phrase",
    "current_share": _percent("Share now"),
    "previous_share": _percent("Share a year before"),
    "status": "Rising or new",
}
RISING_THEMES: Columns = {
    "theme": None,
    "name": "Theme",
    "current": _number("Last 3 months", COUNT),
    "previous": _number("Same months a year before", COUNT),
    "current_share": _percent("Share now"),
    "previous_share": _percent("Share a year before"),
    "ratio": None,
    "z": None,
}
PROFILE_CANDIDATES: Columns = {
    "name": "Project",
    "kind": "Kind",
    "category": "Category",
    "estimated_cost": _number("Estimated cost", "dollar"),
}

# Surveys -------------------------------------------------------------------------------------------
SURVEY_ORDER = [
    "service_area", "satisfied_share", "margin", "n", "previous_share", "change", "verdict", "benchmark_share",
    "against_benchmark",
]  # fmt: skip
SURVEY: Columns = {
    "service_area": "Item",
    "satisfied_share": _percent("Satisfied"),
    "margin": _percent("± margin"),
    "n": _number("Respondents", COUNT),
    "previous_share": _percent("Wave before"),
    "change": _percent("Change"),
    "verdict": "Real change?",
    "benchmark_share": _percent("Benchmark"),
    "against_benchmark": "Against the benchmark",
}
SURVEY_PRIORITIES: Columns = {
    "service_area": "Item",
    "importance": _number("Importance", "%.2f"),
    "importance_source": "Importance",
    "satisfied_share": _percent("Satisfied"),
    "n": None,
    "is_rating": _number("I-S rating", "%.3f"),
    "tier": "Tier",
    "quadrant": "Quadrant",
}
BESIDE: Columns = {
    "service_area": "Service area",
    "area": "Area",
    "district_code": None,
    "satisfied_share": _percent("Satisfied"),
    "margin": _percent("± margin"),
    "categories": "Categories",
    "contacts": _number("Contacts", COUNT),
    "per_1000": _number("Per 1,000", DECIMAL),
    "previous_per_1000": _number("Year before", DECIMAL),
    "trend": _percent("Trend"),
    "unhappy_and_calling": st.column_config.CheckboxColumn("Unhappy and calling"),
}

# Priorities ----------------------------------------------------------------------------------------
RANKING: Columns = {
    "rank": "Rank",
    "name": "Candidate",
    "kind": "Kind",
    "category": "Category",
    "district_code": "District",
    "total": st.column_config.ProgressColumn("Score", min_value=0, max_value=100, format="%.1f"),
    "best_rank": "Best rank, weights ±10%",
    "worst_rank": "Worst rank, weights ±10%",
    "contacts": _number("Contacts (12 months)", COUNT),
    "per_1000": _number("Per 1,000 residents", DECIMAL),
    "change_pct": _number("Change on year before", "%+.0f%%"),
    "repeat_places": _number("Repeat places", COUNT),
    "reopened": _number("Reopened after closure", COUNT, help="Linked contacts reported again nearby after closure"),
    "is_rating": _number("Survey I-S", "%.3f"),
    "estimated_cost": _number("Estimated cost", "dollar"),
    "fund": "Fund",
    "fiscal_year": _number("Fiscal year", "%d"),
    "cost_per_resident": _number("Cost per resident", "dollar"),
    "contacts_per_million": _number("Contacts per $1M", DECIMAL),
    "linked_by": "Contacts linked",
    "status": "Status",
    "source_id": "Id",
}
SMALL_AREAS: Columns = {
    "code": "Area",
    "name": "Name",
    "population": _number("Residents", COUNT),
    "income": _number("Median household income", "$%,.0f"),
    "income_tier": _number("Income fifth (1 lowest)", "%d"),
    "contacts": _number("Contacts", COUNT),
    "per_1000": _number("Contacts per 1,000 residents", DECIMAL),
    "median_days": _number("Median days to close", DECIMAL),
}
INCOME_FIFTHS: Columns = {
    "income_tier": "Income fifth",
    "areas": _number("Areas", COUNT),
    "population": _number("Residents", COUNT),
    "lowest_income": _number("Lowest median income", "$%,.0f"),
    "highest_income": _number("Highest median income", "$%,.0f"),
    "contacts": _number("Contacts", COUNT),
    "per_1000": _number("Contacts per 1,000 residents", DECIMAL),
    "median_days": _number("Median days to close", DECIMAL),
}
# Beside a candidate's own demand: the small area it lies in.
CANDIDATE_AREA: Columns = {
    "area_per_1000": _number("Area's contacts per 1,000", DECIMAL,
                             help="Contacts per 1,000 residents of the small area the candidate lies in"),
    "income_tier": "Area's income fifth",
}  # fmt: skip
# The figures first, so the long explanations never push the points off a projected screen.
BREAKDOWN_ORDER = ["criterion", "value", "score", "weight_share", "points", "meaning", "scale"]
BREAKDOWN: Columns = {
    "criterion": "Criterion",
    "meaning": "What the value is",
    "value": _number("Value", "%,.2f"),
    "scale": "How the value scores",
    "score": _number("Score (0-100)", DECIMAL),
    "weight_share": _percent("Weight share"),
    "points": _number("Points", DECIMAL),
}


# Data: the editors ---------------------------------------------------------------------------------
REQUEST_TYPES: Columns = {
    "raw_type": st.column_config.TextColumn("Raw request type", required=True),
    "category": st.column_config.TextColumn("Category"),
    "department": st.column_config.TextColumn("Department"),
    "contact_type": _choice("Type", list(CONTACT_TYPES)),
    "contacts": _number("Stored contacts", COUNT),
}
POPULATIONS: Columns = {
    "code": "Code",
    "name": "District",
    "population": _number("Residents", COUNT, min_value=0, step=1),
}
QUESTIONS: Columns = {
    "question": "Column",
    "label": st.column_config.TextColumn("Label", required=True),
    "kind": _choice("Kind", list(KINDS)),
    "codes": "Response codes",
    "picks_from": "Picks from",
    "position": None,
}


def targets(categories: list[str]) -> Columns:
    """The service-target editor, a row per category among `categories`."""
    return {
        "category": _choice("Category", categories),
        "target_days": st.column_config.NumberColumn("Target (days)", min_value=0.1, step=0.5, required=True),
    }


def links(areas: list[str], categories: list[str]) -> Columns:
    """The editor linking survey service areas to complaint categories."""
    return {"service_area": _choice("Survey service area", areas), "category": _choice("Category", categories)}


def benchmarks(items: list[str]) -> Columns:
    """The survey benchmark editor, a row per item among `items`."""
    return {
        "service_area": _choice("Item", items),
        "benchmark_share": st.column_config.NumberColumn(
            "Percent satisfied (0-1 or 0-100)", min_value=0.0, max_value=100.0, required=True
        ),
        "source": "Source",
    }


QUESTIONS_TO_ANSWER: Columns = {
    "category": st.column_config.TextColumn("Topic"),
    "district_code": st.column_config.TextColumn("District", help="Blank: county-wide"),
    "contacts_per_month": _number("Contacts a month", "%.0f", help="Mean of the last 12 months"),
    "status": st.column_config.TextColumn("Why"),
    "sentence": st.column_config.TextColumn("What the figures say", width="large"),
    "action": st.column_config.TextColumn("Latest information action"),
    "effect": st.column_config.TextColumn("Its effect on the questions", width="large"),
}
WATCHES: Columns = {
    "name": "Name", "departments": "Departments", "categories": "Categories", "districts": "Districts",
    "recipients": "Recipients",
}  # fmt: skip
