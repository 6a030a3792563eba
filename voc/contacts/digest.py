"""A watch's digest: what is emerging under its filter, what was acted on and the effect so far, with links."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from urllib.parse import urlencode

import pandas as pd
import sqlalchemy as sa

from voc.contacts.alert_text import district_name
from voc.contacts.closure import ClosureSummary, acknowledge_time
from voc.contacts.closure_months import closure_figures
from voc.contacts.overview import current_month
from voc.contacts.questions import opportunities
from voc.contacts.satisfaction import reopened_sentence
from voc.contacts.trends import (
    Filters,
    category_departments,
    category_district_counts,
    district_names,
    emerging_report,
)
from voc.contacts.triage import acted_issues, with_states
from voc.contacts.watches import SavedWatch
from voc.core.config import ClosureRules
from voc.core.digest import Digest, DigestAction, DigestIssue, DigestQuestion
from voc.core.errors import VocError
from voc.core.periods import month_label, month_range, month_shift
from voc.store.triage import DISMISSED

CHART_MONTHS = 24
# An action's effect is followed in the digests for a year after the issue was acted on.
ACTED_MONTHS = 12
QUESTIONS_SHOWN = 5
REOPENED_CATEGORIES_SHOWN = 3


def period_month(
    engine: sa.Engine, *, month: str | None, week: str | None, today: date, timezone: str
) -> tuple[str, str]:
    """Return (period, month): the period a digest is sent for and the complete month it reports.

    A week (YYYY-Www, ISO) reports the latest month complete by its Sunday; neither reports the
    latest complete month as of `today`.
    """
    if month and week:
        raise VocError("Give --month or --week, not both.")
    if month:
        if not pd.Series([month]).str.fullmatch(r"\d{4}-(0[1-9]|1[0-2])").all():
            raise VocError(f"{month!r} is not a month: write YYYY-MM, e.g. 2026-10.")
        return month, month
    if week:
        try:
            year, number = week.split("-W")
            sunday = date.fromisocalendar(int(year), int(number), 7)
        except ValueError:
            raise VocError(f"{week!r} is not an ISO week: write YYYY-Www, e.g. 2026-W44.") from None
        today = sunday + timedelta(days=1)
    latest = current_month(engine, today=today, timezone=timezone)
    if latest is None:
        raise VocError("No contacts yet: a digest needs a complete month. Import one with `voc import requests FILE`.")
    return week or latest, latest


def build_digest(
    engine: sa.Engine, watch: SavedWatch, *, period: str, month: str, public_url: str | None, closure: ClosureRules,
    timezone: str, county: str = "voc",
) -> Digest:  # fmt: skip
    """Return the digest of a watch: the issues of `month` under its filter (dismissed ones only counted),
    each with the last 24 months of the series it names, the issues acted on in the 12 months to it, and
    what "closed" meant for the month's contacts under the filter.

    A county-wide issue (no district drives it) belongs to every district's watch.
    """
    departments = category_departments(engine)
    labels = district_names(engine)
    issues = with_states(engine, emerging_report(engine, month=month).issues, last_month=month)
    issues = issues[_under(watch, issues["category"], issues["district_codes"], departments)]
    counts = category_district_counts(engine, last_month=month)
    shown = issues[issues["state"] != DISMISSED]
    acted = acted_issues(engine, last_month=month)
    acted = acted[(acted["month"] >= month_shift(month, 1 - ACTED_MONTHS)) & (acted["month"] <= month)]
    acted = acted[_under(watch, acted["category"], acted["district_codes"], departments)]
    name = f"watch {watch.name}" if watch.name else "the whole county"
    return Digest(
        watch=watch.name,
        period=period,
        month=month,
        subject=f"{county}: what is emerging for {name}, {_period_label(period)}",
        scope=_scope(watch, labels),
        issues=tuple(
            _issue(row, counts, watch, labels, month=month, public_url=public_url) for row in shown.itertuples()
        ),
        acted=tuple(
            DigestAction(
                row.sentence, row.action, row.effect, _link(public_url, [row.category], row.district_codes, month)
            )
            for row in acted.itertuples()
        ),
        dismissed=int((issues["state"] == DISMISSED).sum()),
        questions=_questions(engine, watch, departments, month=month),
        closed_not_fixed=closed_not_fixed(engine, watch, month=month, rules=closure, timezone=timezone),
        link=_link(public_url, watch.categories, watch.districts, month, departments=watch.departments),
    )


def _questions(
    engine: sa.Engine, watch: SavedWatch, departments: dict[str, str], *, month: str
) -> tuple[DigestQuestion, ...]:
    """The information opportunities under the watch, at most QUESTIONS_SHOWN, costliest first."""
    found = opportunities(engine, month=month)
    codes = found["district_code"].map(lambda code: (code,) if code else ())
    found = found[_under(watch, found["category"], codes, departments)].head(QUESTIONS_SHOWN)
    return tuple(
        DigestQuestion(row.sentence, row.action if isinstance(row.action, str) else None,
                       row.effect if isinstance(row.effect, str) else None)
        for row in found.itertuples()
    )  # fmt: skip


def closed_not_fixed(
    engine: sa.Engine, watch: SavedWatch, *, month: str, rules: ClosureRules, timezone: str
) -> tuple[str, ...]:
    """Sentences on the month's contacts under the watch: how many closed ones came back (reopened in the
    CRM or reported again nearby), how long closing took in business days, how many incidents they were,
    how soon they were acknowledged (when their records say); then the categories with the most reopened,
    REOPENED_CATEGORIES_SHOWN at most. Empty without contacts."""
    filters = Filters(first_month=month, last_month=month, categories=watch.categories,
                      departments=watch.departments, districts=watch.districts)  # fmt: skip
    figures = closure_figures(engine, filters, rules=rules, timezone=timezone)
    summary = figures.summary
    if not summary.contacts:
        return ()
    sentences = [
        f"Of {summary.closed_or_reopened:,} contacts of {month_label(month)} closed, {summary.reopened:,} came back "
        f"({summary.reopened_status:,} reopened in the CRM, {summary.reported_again:,} reported again within "
        f"{rules.repeat_metres:,.0f} m and {rules.repeat_days:,.0f} days). Half were closed within "
        f"{summary.business_median_days:,.1f} business days, nine in ten within {summary.business_p90_days:,.0f}. "
        f"{summary.contacts:,} contacts were {summary.incidents:,} incidents."
    ]
    if summary.acknowledged:
        unit = summary.acknowledge_unit
        sentences.append(
            f"Of the {summary.acknowledged:,} contacts whose record says when they were acknowledged, half were "
            f"acknowledged within {acknowledge_time(summary.acknowledge_median, unit)}, nine in ten within "
            f"{acknowledge_time(summary.acknowledge_p90, unit)}."
        )
    if summary.satisfaction.answers:
        sentences.append(_satisfaction_sentence(summary))
    worst = figures.by_category
    worst = worst[worst["reopened"] > 0].sort_values(["reopened", "category"], ascending=[False, True])
    sentences += [
        f"{row.category}: {row.reopened:,} came back after closure ({row.reopen_rate:.1%} of those closed)."
        for row in worst.head(REOPENED_CATEGORIES_SHOWN).itertuples()
    ]
    return tuple(sentences)


def _satisfaction_sentence(summary: ClosureSummary) -> str:
    """How residents rated the closure; whether reopened contacts were rated lower when both groups answered enough."""
    rating = summary.satisfaction
    if rating.share != rating.share:
        return f"{rating.answers:,} residents answered the survey after closure: too few for a share."
    said = f"Of {rating.answers:,} residents who answered the survey after closure, {rating.text} were satisfied."
    compared = reopened_sentence(summary.satisfaction_reopened, summary.satisfaction_not_reopened)
    return f"{said} {compared}" if compared else said


def _under(watch: SavedWatch, categories: pd.Series, districts: pd.Series, departments: dict[str, str]) -> pd.Series:
    """Tell which issues (their categories and driving districts) fall under the watch's filter."""
    keep = pd.Series(True, index=categories.index)
    if watch.departments:
        keep &= categories.map(departments).isin(watch.departments)
    if watch.categories:
        keep &= categories.isin(watch.categories)
    if watch.districts:
        keep &= districts.map(lambda codes: not len(codes) or bool(set(codes) & set(watch.districts)))
    return keep


def _issue(
    row: object, counts: pd.DataFrame, watch: SavedWatch, labels: dict[str, str], *, month: str,
    public_url: str | None,
) -> DigestIssue:  # fmt: skip
    """The issue with the monthly series of the district the watch follows that drives it (else the first
    driving district, else the county)."""
    codes = list(row.district_codes)
    followed = [code for code in codes if code in watch.districts] or codes
    chosen = counts[counts["category"] == row.category]
    series = row.category
    if followed:
        chosen = chosen[chosen["district_code"] == followed[0]]
        series = f"{row.category} in {district_name(followed[0], labels)}"
    months = month_range(month_shift(month, 1 - CHART_MONTHS), month)
    monthly = chosen.groupby("month")["contacts"].sum().reindex(months, fill_value=0)
    return DigestIssue(
        issue_id=row.issue_id,
        sentence=row.sentence,
        state=row.state,
        series=series,
        monthly=tuple((m, int(n)) for m, n in monthly.items()),
        link=_link(public_url, [row.category], codes, month),
    )


def _link(
    public_url: str | None, categories: Iterable[str], districts: Iterable[str], month: str, *,
    departments: Iterable[str] = (),
) -> str | None:  # fmt: skip
    """The Trends page showing these filters over the two years to `month`, or None without VOC_PUBLIC_URL."""
    if not public_url:
        return None
    query = [("trends_months", month_shift(month, 1 - CHART_MONTHS)), ("trends_months", month)]
    query += [("trends_department", value) for value in departments]
    query += [("trends_category", value) for value in categories]
    query += [("trends_district_code", value) for value in districts]
    return f"{public_url}/trends?{urlencode(query)}"


def _scope(watch: SavedWatch, labels: dict[str, str]) -> str:
    parts = [", ".join(values) for values in (watch.departments, watch.categories) if values]
    if watch.districts:
        parts.append(", ".join(district_name(code, labels) for code in watch.districts))
    return "; ".join(parts) or "every department, category and district"


def _period_label(period: str) -> str:
    return f"week {period[-2:]} of {period[:4]}" if "-W" in period else month_label(period)
