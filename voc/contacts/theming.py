"""Build the themes from the stored description vectors, and read them back for pages and alerts."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd
import sqlalchemy as sa

from voc.contacts.theme_names import name_themes, naming_sample, theme_name
from voc.contacts.themes import (
    TOP_COLUMNS,
    Grouping,
    group_vectors,
    place_vectors,
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
from voc.store.engine import data_version_in, record_audit, write_transaction
from voc.store.models import utc_now
from voc.store.theme_builds import BuildState, read_build_state, record_finish
from voc.store.themes import (
    count_theme_sizes,
    descriptions_of,
    load_centres,
    load_theme_counts,
    load_themes,
    mark_unplaced,
    place_unplaced,
    placement_counts,
    read_embeddings,
    replace_themes,
    save_placements,
)

EXAMPLES_PER_THEME = 3
# Descriptions placed on the stored centres since they were learnt, as a share of those they were learnt
# from, past which a build groups every description again: the centres follow what residents write
# now, and a build's cost follows the new descriptions until then, not the store.
REGROUP_SHARE = 0.25


@dataclass(frozen=True)
class ThemeBuild:
    themes: int
    described: int  # contacts with a description, all in a theme
    embedded: int  # descriptions embedded by this build (those no import had embedded)
    seconds: float
    placed: int = 0  # descriptions placed on the stored centres (0 when this build grouped them all again)
    regrouped: bool = True  # whether this build learnt new centres from every description


def store_themes(engine: sa.Engine, *, version: int, user: str, seed: int = 0) -> ThemeBuild:
    """Bring the themes up to date with every stored description, as covering build request `version`.

    Call it through voc.contacts.regrouping, which makes sure one build runs at a time. Descriptions
    without a vector for their current text (written by the demo load, or put back by an undo) are
    embedded first. Then, while the descriptions not in a theme yet are few (regroup_due), they are
    placed on the stored themes' centres: the cost follows them, not the store. Otherwise every
    description is grouped again. Fewer than 20 descriptions make no themes: the stored ones are
    cleared. The same store and seed, grouped again, give the same themes.
    """
    started = time.perf_counter()
    give_back_freed_memory()  # an import's, when the build runs in its process: or the build's memory adds to it
    with write_transaction(engine) as connection:  # usually nothing: imports embed their own texts
        embedded = embed_new_descriptions(connection)
    with engine.connect() as connection:
        described, unplaced = placement_counts(connection)
        state, fitted = read_build_state(connection), load_centres(connection)
    if fitted is not None and not regroup_due(state, described=described, unplaced=unplaced):
        with write_transaction(engine) as connection:
            placed = place_unplaced(connection, partial(place_vectors, fitted=fitted), model=MODEL)
            count_theme_sizes(connection)
            record_finish(connection, version=version, at=utc_now(), grouped=state.grouped,
                          placed_since=state.placed_since + placed)  # fmt: skip
            detail = f"{len(fitted)} themes kept, {placed} new descriptions placed on their centres"
            record_audit(connection, user=user, action="build themes", detail=detail)
        return ThemeBuild(len(fitted), described, embedded, time.perf_counter() - started, placed, regrouped=False)
    return _regroup(engine, version=version, user=user, seed=seed, embedded=embedded, started=started)


def regroup_due(state: BuildState, *, described: int, unplaced: int) -> bool:
    """Tell whether the stored centres are due to be learnt again from every description.

    They are when the descriptions placed on them since, and those waiting, pass REGROUP_SHARE of
    those they were learnt from, or when the store has grown into another number of themes.
    """
    if state.grouped == 0:
        return True
    if theme_count(described) != theme_count(state.grouped):
        return True
    return state.placed_since + unplaced > REGROUP_SHARE * state.grouped


def _regroup(engine: sa.Engine, *, version: int, user: str, seed: int, embedded: int, started: float) -> ThemeBuild:
    """Group every stored description into themes again and store them, each contact's theme and the roll-up."""
    # Clustering takes seconds: it runs outside the write lock, so imports never wait behind it.
    with engine.connect() as connection:
        seen = data_version_in(connection)  # before the vectors: a write landing between is noticed below
        contacts, vectors = read_embeddings(connection, model=MODEL)
    themes, grouping = _themes(contacts, vectors, seed, _texts_of(engine, contacts["request_id"].to_numpy()))
    with write_transaction(engine) as connection:
        replace_themes(connection, themes, grouping.fitted if grouping else np.empty(0), built_at=utc_now())
        placed = 0
        if grouping is not None and data_version_in(connection) == seen:
            placements = pd.DataFrame({"request_id": contacts["request_id"], "theme": grouping.labels})
            save_placements(connection, placements, theme_counts(contacts, grouping.labels))
        else:  # no themes, or a write landed while grouping: every vector waits for its theme, as stored now
            mark_unplaced(connection)
        if grouping is not None:
            placed = place_unplaced(connection, partial(place_vectors, fitted=grouping.fitted), model=MODEL)
            count_theme_sizes(connection)
        record_finish(connection, version=version, at=utc_now(), grouped=len(contacts), placed_since=placed)
        record_audit(connection, user=user, action="build themes", detail=f"{len(themes)} themes, grouped again")
    return ThemeBuild(len(themes), len(contacts), embedded, time.perf_counter() - started)


def _themes(
    contacts: pd.DataFrame, vectors: np.ndarray, seed: int, texts_at: Callable[[np.ndarray], pd.Series]
) -> tuple[pd.DataFrame, Grouping | None]:
    """Return the themes (id, name, terms, contacts, example_ids) and the grouping (None: no themes).

    texts_at returns the descriptions at the positions given: naming and examples read a bounded
    number of texts, however many contacts there are.
    """
    if theme_count(len(contacts)) < 2:
        return pd.DataFrame(), None
    grouping = group_vectors(vectors, themes=theme_count(len(contacts)), seed=seed)
    k = len(grouping.centres)
    if k < 2:  # every text the same once its place words are left out: nothing to tell apart
        return pd.DataFrame(), None
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
    return themes, grouping


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
