"""The widgets several pages share: filters that live in the URL, weights, scenarios, the mapping editor."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from voc.app import columns, loaders, plain
from voc.app.actions import act
from voc.app.frame import role
from voc.app.funding import part_budget_key
from voc.contacts.actions import add_action
from voc.contacts.trends import Filters
from voc.core.access import Role, allows
from voc.core.periods import month_label
from voc.ingest.mapping import NOT_MAPPED, mapping_rows, overrides_from_rows
from voc.ingest.pipeline import Preview
from voc.priorities.funding import FundingRules
from voc.priorities.ranking import CandidateFilters, Criterion
from voc.priorities.scenarios import save_scenario
from voc.store.uploads import sha256_of

EDITOR_ROW_PIXELS = 35  # st.data_editor's row height


def file_key(data: bytes) -> str:
    """Return the stem of the widget keys of an uploaded file's mapping, import and report: `upload_<digest>`."""
    return f"upload_{sha256_of(data)[:12]}"


def saved_editor(
    table: pd.DataFrame, *, key: str, save: str, action: Callable[..., Any], done: Any, args: tuple = (),
    empty: str = "", **options: Any,
) -> None:  # fmt: skip
    """Show an editable table with a button `save` (key `<key>_save`) that passes the edited table to act().

    `action(engine, *args, edited, user=..., role=...)` stores it; `done` is act()'s success message;
    `empty` says, above an empty table, why it is empty and what to do.
    `options` go to st.data_editor (num_rows, disabled, column_config from voc.app.columns).
    """
    if table.empty and empty:
        st.info(empty)
    given = options.pop("column_config", None)
    edited = st.data_editor(
        table, key=key, hide_index=True, column_config=columns.configured(table, given), placeholder=columns.MISSING,
        **options,
    )  # fmt: skip
    if st.button(save, key=f"{key}_save", type="primary"):
        act(action, *args, edited, done=done)


def mapping_editor(plan: Preview, key: str) -> dict[str, str | None]:
    """Show the proposed mapping as an editable table; return the analyst's changes."""
    file_columns = [NOT_MAPPED, *map(str, plan.raw.frame.columns)]
    rows = mapping_rows(plan.mapping)
    edited = st.data_editor(
        rows,
        key=key,
        hide_index=True,
        height=EDITOR_ROW_PIXELS * (len(rows) + 1) + 3,  # every field at once: no box scrolling inside the page
        disabled=["field", "label", "confidence", "reason"],
        column_order=["label", "column", "confidence", "reason"],
        column_config=columns.mapping(file_columns),
    )
    return overrides_from_rows(edited, plan.mapping)


def accept_values_in_url(
    key: str, options: Sequence[Any], format_func: Callable[[Any], str], *, as_range: bool = False
) -> None:
    """Let a URL name a bound widget's options by value (`?trends_by=district_code`) as well as by label.

    Streamlit reads a bound widget's URL parameter as the option's label (format_func's text,
    "District") and drops anything else. On a session's first run, a URL naming options by value
    seeds the widget through session state instead (a pair for a range slider). Call before the widget.
    """
    wanted = st.query_params.get_all(key)
    by_value = {str(option): option for option in options}
    if key in st.session_state or not wanted or not all(value in by_value for value in wanted):
        return
    if {format_func(option) for option in options} & set(wanted):
        return  # a value that is also a label: Streamlit reads it already
    chosen = [by_value[value] for value in wanted]
    st.session_state[key] = (chosen[0], chosen[-1]) if as_range else chosen[0]


def lazy_tabs(panels: dict[str, Callable[[], None]], *, key: str) -> None:
    """Lay out one tab per panel, bound to the URL under `key`, and run only the open tab's panel.

    A first visit computes one panel, not all of them; a click on another tab reruns the page, whose other
    parts come from the warm cache.
    """
    tabs = st.tabs(list(panels), key=key, bind="query-params")
    for tab, panel in zip(tabs, panels.values(), strict=True):
        if tab.open:
            with tab:
                panel()


def trend_filters(page: str) -> Filters:
    """Lay out the shared filters (months, department, district, category, type); they live in the URL."""
    options = loaders.choices()
    months = options["month"]
    accept_values_in_url(f"{page}_months", months, month_label, as_range=True)
    first, last = st.select_slider(
        "Months",
        options=months,
        value=(months[max(0, len(months) - 24)], months[-1]),
        format_func=month_label,
        key=f"{page}_months",
        bind="query-params",
    )
    picks = {}
    for column, (dimension, label) in zip(
        st.columns(4),
        [
            ("department", "Department"),
            ("district_code", "District"),
            ("category", "Category"),
            ("contact_type", "Type"),
        ],
        strict=True,
    ):
        picks[dimension] = column.multiselect(
            label, options[dimension], key=f"{page}_{dimension}", placeholder="All", bind="query-params"
        )
    not_mapped = sorted(set(loaders.unmapped_type_names()) & set(options["category"]))
    if not_mapped:
        shown = ", ".join(not_mapped[:12]) + (", ..." if len(not_mapped) > 12 else "")
        plain.show(
            f"Not yet mapped: {shown}. Each of these raw request types counts as a category of its own until it is "
            "given one on the Data page.",
            kind="caption",
        )
    return Filters(
        first_month=first,
        last_month=last,
        departments=tuple(picks["department"]),
        districts=tuple(picks["district_code"]),
        categories=tuple(picks["category"]),
        contact_types=tuple(picks["contact_type"]),
    )


def candidate_filters(page: str, choices: dict[str, list[str]]) -> CandidateFilters:
    """Lay out the candidate filters (kind, district, category, status); they live in the URL."""
    picks = {}
    fields = [("kind", "Kind"), ("district_code", "District"), ("category", "Category"), ("status", "Status")]
    for column, (name, label) in zip(st.columns(len(fields)), fields, strict=True):
        picks[name] = column.multiselect(label, choices[name], key=f"{page}_{name}", placeholder="All",
                                         bind="query-params")  # fmt: skip
    return CandidateFilters(
        kinds=tuple(picks["kind"]), districts=tuple(picks["district_code"]),
        categories=tuple(picks["category"]), statuses=tuple(picks["status"]),
    )  # fmt: skip


def weight_sliders(page: str, criteria: tuple[Criterion, ...]) -> dict[str, float]:
    """Lay out one weight slider per criterion (0-100, in the URL); return the weights by criterion key."""
    weights = {}
    slots = st.columns(min(len(criteria), 5))
    for index, criterion in enumerate(criteria):
        weights[criterion.key] = slots[index % len(slots)].slider(
            criterion.label, 0, 100, int(criterion.default_weight), step=5, key=f"{page}_w_{criterion.key}",
            help=criterion.meaning, bind="query-params",
        )  # fmt: skip
    return {key: float(value) for key, value in weights.items()}


def _load_scenario(page: str, weights: dict[str, float], funding: FundingRules | None) -> None:
    for key, value in weights.items():
        st.session_state[f"{page}_w_{key}"] = int(value)
    if funding is not None:
        st.session_state[f"{page}_budget"] = int(funding.budget)
        st.session_state[f"{page}_mandated"] = list(funding.mandated)
        st.session_state[f"{page}_excluded"] = list(funding.excluded)
        parts = {part_budget_key(page, "fund", fund): money for fund, money in funding.fund_budgets}
        parts |= {part_budget_key(page, "year", year): money for year, money in funding.year_budgets}
        for key in [k for k in st.session_state if str(k).startswith((f"{page}_fund_budget_", f"{page}_year_budget_"))]:
            st.session_state[key] = None
        for key, money in parts.items():
            st.session_state[key] = int(money)


def scenario_controls(
    page: str, criteria: tuple[Criterion, ...], weights: dict[str, float], funding: FundingRules | None
) -> None:
    """Offer saved scenarios to load, and a name to save the current weights and funding rules under."""
    load, save = st.columns(2)
    # The right column is filled first: a scenario saved in this run is then in the list on the left at once.
    if not allows(role(), Role.ANALYST):
        save.caption("Analysts save named scenarios; share these weights by copying the page's address.")
    else:
        name = save.text_input("Save the weights above as", key=f"{page}_scenario_name", max_chars=100)
        if save.button("Save scenario", key=f"{page}_scenario_save", disabled=not name.strip()):
            with save:
                act(save_scenario, name, weights, funding=funding, done=f"Saved “{name.strip()}”.")
    saved = loaders.scenarios()
    keys = {c.key for c in criteria}
    chosen = load.selectbox("Saved scenarios", list(saved), index=None, key=f"{page}_scenario",
                            placeholder="Choose one to load")  # fmt: skip
    load.button(
        "Load these weights", key=f"{page}_scenario_load", disabled=chosen is None, on_click=_load_scenario,
        args=(page, {k: v for k, v in saved.get(chosen or "", {}).items() if k in keys},
              loaders.scenario_funding().get(chosen or "")),
    )  # fmt: skip


def action_form(choices: dict[str, list[str]]) -> None:
    """Offer to record an action (a process change, a procedure, a campaign) of a category and district."""
    with st.form("trends_action_form", clear_on_submit=True):
        st.markdown("Record a process change, a new procedure or an information campaign to see its effect.")
        when = st.date_input("Date", value=date.today(), key="trends_action_date")
        category = st.selectbox("Category", ["(all)", *choices["category"]], key="trends_action_category")
        district = st.selectbox("District", ["(county-wide)", *choices["district_code"]], key="trends_action_district")
        description = st.text_area("What changed", key="trends_action_description")
        if st.form_submit_button("Record the action", type="primary"):
            act(
                add_action, action_date=when, description=description,
                category=None if category == "(all)" else category,
                district_code=None if district == "(county-wide)" else district,
                done="Recorded. It appears as a dashed line on the chart.",
            )  # fmt: skip
