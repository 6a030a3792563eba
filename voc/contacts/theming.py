"""Build the themes from the stored description vectors, and read them back for pages and alerts."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlalchemy as sa

from voc.contacts.theme_names import name_themes, naming_sample, theme_name
from voc.contacts.themes import (
    TOP_COLUMNS,
    group_vectors,
    representatives,
    rising_themes,
    theme_count,
    theme_counts,
    top_themes,
)
from voc.contacts.trends import Filters
from voc.core.memory import give_back_freed_memory
from voc.core.periods import month_shift
from voc.ingest.embedding import MODEL, embed_new_descriptions
from voc.ingest.normalize import redact_personal
from voc.store.engine import record_audit, write_transaction
from voc.store.models import utc_now
from voc.store.themes import descriptions_of, load_theme_counts, load_themes, read_embeddings, replace_themes

EXAMPLES_PER_THEME = 3


@dataclass(frozen=True)
class ThemeBuild:
    themes: int
    described: int  # contacts with a description, all grouped
    embedded: int  # descriptions embedded by this build (those no import had embedded)
    seconds: float


def store_themes(engine: sa.Engine, *, version: int, user: str, seed: int = 0) -> ThemeBuild:
    """Group every stored description into themes and store them as covering build request `version`.

    Call it through voc.contacts.regrouping, which makes sure one build runs at a time. Descriptions
    without a vector for their current text (written by the demo load, or put back by an undo) are
    embedded first. Fewer than 20 descriptions make no themes: the stored ones are cleared. The same
    store and seed give the same themes.
    """
    started = time.perf_counter()
    give_back_freed_memory()  # an import's, when the build runs in its process: or the build's memory adds to it
    with write_transaction(engine) as connection:  # usually nothing: imports embed their own texts
        embedded = embed_new_descriptions(connection)
    # Clustering takes seconds: it runs outside the write lock, so imports never wait behind it.
    with engine.connect() as connection:
        contacts, vectors = read_embeddings(connection, model=MODEL)
    themes, counts = _themes(contacts, vectors, seed, _texts_of(engine, contacts["request_id"].to_numpy()))
    with write_transaction(engine) as connection:
        replace_themes(connection, themes, counts, built_at=utc_now(), version=version)
        record_audit(connection, user=user, action="build themes", detail=f"{len(themes)} themes")
    return ThemeBuild(len(themes), len(contacts), embedded, time.perf_counter() - started)


def _themes(
    contacts: pd.DataFrame, vectors: np.ndarray, seed: int, texts_at: Callable[[np.ndarray], pd.Series]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the themes (id, name, terms, contacts, example_ids) and their roll-up rows.

    texts_at returns the descriptions at the positions given: naming and examples read a bounded
    number of texts, however many contacts there are.
    """
    nothing = pd.DataFrame(), pd.DataFrame(columns=["month", "theme", "category", "district_code", "contacts"])
    if theme_count(len(contacts)) < 2:
        return nothing
    grouping = group_vectors(vectors, themes=theme_count(len(contacts)), seed=seed)
    k = len(grouping.centres)
    if k < 2:  # every text the same once its place words are left out: nothing to tell apart
        return nothing
    named = naming_sample(len(contacts), seed)  # name_themes would sample the same positions again
    categories = contacts["category"].iloc[named].astype(object).reset_index(drop=True)
    terms = name_themes(texts_at(named), grouping.labels[named], categories=categories, seed=seed)
    examples = representatives(vectors, texts_at, grouping, per_theme=EXAMPLES_PER_THEME)
    ids = contacts["request_id"].to_numpy()
    themes = pd.DataFrame(
        {
            "id": range(k),
            "name": [theme_name(t) for t in terms],
            "terms": terms,
            "contacts": pd.Series(grouping.labels).value_counts().reindex(range(k), fill_value=0).to_numpy(),
            "example_ids": [[int(ids[p]) for p in positions] for positions in examples],
        }
    )
    return themes, theme_counts(contacts, grouping.labels)


def _texts_of(engine: sa.Engine, request_ids: np.ndarray) -> Callable[[np.ndarray], pd.Series]:
    """Return a reader of the descriptions at positions of request_ids ("" for a contact removed since)."""

    def texts_at(positions: np.ndarray) -> pd.Series:
        wanted = request_ids[positions]
        found = descriptions_of(engine, wanted.tolist())
        return found.reindex(wanted).fillna("").reset_index(drop=True)

    return texts_at


@dataclass(frozen=True)
class ThemeView:
    """What a page shows of the themes under its filters.

    themes: theme, name, contacts (under the filters), share, contacts_year_earlier, examples
    (a list of PII-redacted descriptions), most contacts first; monthly: month, theme, name,
    contacts; rising: voc.contacts.themes.RISING_COLUMNS for the last three months of the filter.
    """

    themes: pd.DataFrame
    monthly: pd.DataFrame
    rising: pd.DataFrame


def theme_view(engine: sa.Engine, filters: Filters, *, last_month: str, top: int = 8) -> ThemeView | None:
    """Return the themes of the contacts under the filters up to last_month; None before any build."""
    stored = load_themes(engine)
    if stored.empty:
        return None
    names = stored.set_index("id")["name"]
    counts = load_theme_counts(engine, categories=filters.categories, districts=filters.districts)
    first = filters.first_month or month_shift(last_month, -11)
    last = min(filters.last_month or last_month, last_month)
    ranked = top_themes(counts, names, first_month=first, last_month=last, top=top)
    examples = _examples(engine, stored.set_index("id").loc[ranked["theme"], "example_ids"])
    within = counts[(counts["month"] >= first) & (counts["month"] <= last) & counts["theme"].isin(ranked["theme"])]
    monthly = within.groupby(["month", "theme"], as_index=False)["contacts"].sum()
    return ThemeView(
        themes=ranked.assign(examples=ranked["theme"].map(examples)),
        monthly=monthly.assign(name=monthly["theme"].map(names)),
        rising=rising_themes(counts, names, month=last),
    )


def _examples(engine: sa.Engine, example_ids: pd.Series) -> pd.Series:
    """Return each theme's example descriptions as a list, PII-redacted (a contact undone since is left out)."""
    wanted = [i for ids in example_ids for i in ids]
    texts = redact_personal(descriptions_of(engine, wanted)) if wanted else pd.Series(dtype="str")
    return example_ids.map(lambda ids: [texts[i] for i in ids if i in texts.index])


def alert_themes(
    engine: sa.Engine, *, category: str | None, district: str | None, first_month: str, last_month: str, top: int = 3
) -> pd.DataFrame:
    """Return the top themes of an alert's contacts: its category and district (None: all) in its months.

    Columns voc.contacts.themes.TOP_COLUMNS (theme, name, contacts, share of the alert's described
    contacts, contacts_year_earlier), most contacts first; empty before any build or without
    described contacts there.
    """
    stored = load_themes(engine)
    if stored.empty:
        return pd.DataFrame(columns=TOP_COLUMNS)
    counts = load_theme_counts(
        engine, categories=[category] if category else (), districts=[district] if district else ()
    )
    return top_themes(counts, stored.set_index("id")["name"], first_month=first_month, last_month=last_month, top=top)


def stored_themes(engine: sa.Engine) -> pd.DataFrame:
    """Return the stored themes: theme, name, terms, contacts, examples (PII-redacted descriptions), largest first."""
    stored = load_themes(engine)
    if stored.empty:
        return pd.DataFrame(columns=["theme", "name", "terms", "contacts", "examples"])
    examples = _examples(engine, stored.set_index("id")["example_ids"])
    themes = stored.rename(columns={"id": "theme"})[["theme", "name", "terms", "contacts"]]
    return themes.assign(examples=themes["theme"].map(examples))
