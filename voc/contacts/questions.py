"""Public information opportunities: questions residents keep asking, where a published answer would save contacts.

A topic (a category of contacts of type "question") is an opportunity, county-wide or in a district,
when its questions rise above what their own seasonal history predicts (the emerging-issue
detection of voc.contacts.alerts, run on the questions alone) or stay high: at least `min_monthly`
a month county-wide over the last 12 months. Each is listed with the contacts a month it costs and, once an
action on its category is logged (a web page, an FAQ, a mailer), that action's effect on the
questions, measured as any action's is.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import sqlalchemy as sa

from voc.contacts.actions import action_effect, list_actions
from voc.contacts.alert_text import district_name
from voc.contacts.alerts import detect_emerging
from voc.contacts.trends import ROLLUP, district_names
from voc.core.periods import month_range, month_shift
from voc.store.query import read_frame

QUESTION = "question"
RISING, HIGH = "rising", "stays high"
OPPORTUNITY_COLUMNS = ["category", "district_code", "contacts_per_month", "status", "sentence"]
MIN_MONTHLY = 10.0


def question_counts(engine: sa.Engine, *, last_month: str) -> pd.DataFrame:
    """Return monthly questions by category and district (month, category, district_code, contacts)."""
    query = (
        sa.select(
            ROLLUP.c.month, ROLLUP.c.category, ROLLUP.c.district_code, sa.func.sum(ROLLUP.c.contacts).label("contacts")
        )
        .where(ROLLUP.c.contact_type == QUESTION, ROLLUP.c.category != "", ROLLUP.c.month <= last_month)
        .group_by(ROLLUP.c.month, ROLLUP.c.category, ROLLUP.c.district_code)
    )
    return read_frame(engine, query, dtypes={"contacts": int})


def information_opportunities(
    counts: pd.DataFrame, *, month: str, min_monthly: float = MIN_MONTHLY, labels: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """Return the topics whose questions rise (county-wide, district_code "", or in a district) or stay high
    (county-wide).

    counts are questions only (see question_counts). contacts_per_month is the mean of the 12 months
    to `month`. A rising row's sentence is the detection's; a high one's says what it costs. Rows are
    ordered by topic, largest first, the county-wide row before its districts.
    """
    if counts.empty:
        return pd.DataFrame(columns=OPPORTUNITY_COLUMNS)
    labels = labels or {}
    counts = counts.assign(district_code=counts["district_code"].fillna("").astype(str))
    year = counts[counts["month"].isin(month_range(month_shift(month, -11), month))]
    local = year[year["district_code"] != ""].groupby(["category", "district_code"])["contacts"].sum()
    county = year.groupby("category")["contacts"].sum()
    county.index = pd.MultiIndex.from_arrays([county.index, [""] * len(county)], names=["category", "district_code"])
    per_month = pd.concat([county, local]) / 12
    detected = detect_emerging(counts, month=month, labels=labels)
    rising = detected[detected["flagged"].astype(bool)].drop_duplicates(["category", "district_code"])
    sentences = dict(
        zip(zip(rising["category"], rising["district_code"], strict=True), rising["sentence"], strict=True)
    )
    rows = []
    for (category, code), cost in per_month.items():
        # A district is listed when it drives a rise: a topic's steady cost is told once, county-wide.
        if (category, code) not in sentences and (code or cost < min_monthly):
            continue
        where = district_name(code, labels) if code else "the county"
        rows.append({
            "category": category, "district_code": code, "contacts_per_month": float(cost),
            "status": RISING if (category, code) in sentences else HIGH,
            "sentence": sentences.get((category, code), f"{category} in {where}: {cost:,.0f} questions a month "
                                      "over the last 12 months."),
        })  # fmt: skip
    frame = pd.DataFrame(rows, columns=OPPORTUNITY_COLUMNS)
    size = frame["category"].map(county.droplevel("district_code") / 12)
    order = frame.assign(_size=size, _local=frame["district_code"] != "")
    order = order.sort_values(
        ["_size", "category", "_local", "contacts_per_month"], ascending=[False, True, True, False]
    )
    return order[OPPORTUNITY_COLUMNS].reset_index(drop=True)


def opportunities(engine: sa.Engine, *, month: str, min_monthly: float = MIN_MONTHLY) -> pd.DataFrame:
    """Return the information opportunities of `month` with the latest action on each topic and its effect on the
    topic's questions (columns OPPORTUNITY_COLUMNS + action, effect; blank where no action is logged)."""
    counts = question_counts(engine, last_month=month)
    found = information_opportunities(counts, month=month, min_monthly=min_monthly, labels=district_names(engine))
    actions = list_actions(engine)
    effects = []
    for row in found.itertuples():
        done = actions[
            (actions["category"] == row.category) & actions["district_code"].fillna("").isin(["", row.district_code])
        ]
        if done.empty:
            effects.append((None, None))
            continue
        latest = done.iloc[0]
        series = counts[counts["category"] == row.category]
        if row.district_code:
            series = series[series["district_code"] == row.district_code]
        where = f" in {district_name(row.district_code, {})}" if row.district_code else ""
        effect = action_effect(series.groupby("month")["contacts"].sum(), f"{latest['action_date']:%Y-%m}",
                               subject=f"Questions about {row.category}{where}")  # fmt: skip
        effects.append(
            (latest["description"], effect.sentence if effect else "No complete month since the action yet.")
        )
    return found.assign(action=[a for a, _ in effects], effect=[e for _, e in effects])
