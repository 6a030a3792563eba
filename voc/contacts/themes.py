"""Themes: descriptions grouped by meaning, counted over months and places (voc.contacts.theme_names names them).

Pure functions: vectors and texts in, labels and tables out. voc.contacts.theming reads and
writes the store around them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from threadpoolctl import threadpool_limits

from voc.contacts.textmine import share_rises
from voc.core.periods import month_shift
from voc.ingest.normalize import redact_personal

# KMeans learns its centres from at most this many vectors, then places every vector: fitting grows
# with n x k x iterations, placing only with n x k.
FIT_SAMPLE = 20_000
MAX_THEMES = 30
# Vectors widened to float32 at once when placing them: 50,000 x 128 is 25 MB (a million at once, 0.5 GB).
PART_ROWS = 50_000
COUNT_COLUMNS = ["month", "theme", "category", "district_code", "contacts"]
RISING_COLUMNS = ["theme", "name", "current", "previous", "current_share", "previous_share", "ratio", "z"]
TOP_COLUMNS = ["theme", "name", "contacts", "share", "contacts_year_earlier"]


@dataclass(frozen=True)
class Grouping:
    """Each vector's theme (0..themes-1), each theme's centre (unit length) and k-means' own centres.

    fitted are the centres vectors are placed on (place_vectors): stored with the themes, later
    descriptions are placed on them without grouping again.
    """

    labels: np.ndarray
    centres: np.ndarray
    fitted: np.ndarray


def theme_count(n_texts: int) -> int:
    """Return how many themes to look for among n_texts: about sqrt(n / 10), from 2 to MAX_THEMES.

    4,500 real descriptions give 21; fewer than 20 texts give 1 (nothing to group).
    """
    if n_texts < 20:
        return 1
    return int(np.clip(round(np.sqrt(n_texts / 10)), 2, MAX_THEMES))


def distinct_rows(vectors: np.ndarray) -> int:
    """Return how many distinct rows (vectors) the array holds."""
    rows = np.ascontiguousarray(vectors)
    return len(np.unique(rows.view(np.dtype((np.void, rows.dtype.itemsize * rows.shape[1]))))) if len(rows) else 0


def group_vectors(vectors: np.ndarray, *, themes: int, seed: int = 0) -> Grouping:
    """Group unit vectors into at most `themes` themes by k-means on a sample, then place every vector.

    The same vectors and seed give the same grouping. Themes are numbered largest first.
    """
    rng = np.random.default_rng(seed)
    sample = vectors[rng.choice(len(vectors), FIT_SAMPLE, replace=False)] if len(vectors) > FIT_SAMPLE else vectors
    sample = sample.astype(np.float32, copy=False)
    # Identical texts (a form's canned wording) give identical vectors: never look for more themes than
    # there are distinct vectors, or k-means leaves some empty. Fewer themes than asked can come back.
    themes = min(themes, distinct_rows(sample))
    # One thread: k-means nests BLAS threads in OpenMP threads, and on 2 busy cores that ran 4,500
    # descriptions in 5.5 s against 0.2 s single-threaded (measured). The work is small either way.
    with threadpool_limits(1):
        model = KMeans(n_clusters=themes, n_init=4, random_state=seed).fit(sample)
        labels = place_vectors(vectors, model.cluster_centers_)
    by_size = np.argsort(-np.bincount(labels, minlength=themes), kind="stable")
    renumber = np.empty(themes, dtype=np.int64)
    renumber[by_size] = np.arange(themes)
    fitted = model.cluster_centers_[by_size].astype(np.float32)
    centres = fitted / np.maximum(np.linalg.norm(fitted, axis=1, keepdims=True), 1e-12)
    return Grouping(labels=renumber[labels], centres=centres, fitted=fitted)


def place_vectors(vectors: np.ndarray, fitted: np.ndarray) -> np.ndarray:
    """Return the theme of each vector: the nearest of the fitted centres (k-means' own rule), as int64."""
    fitted = fitted.astype(np.float32, copy=False)
    half_norms = 0.5 * np.einsum("ij,ij->i", fitted, fitted)
    # |v - c|^2 = |v|^2 - 2 v.c + |c|^2: the nearest centre has the largest v.c - |c|^2 / 2.
    nearest = [
        np.argmax(part.astype(np.float32, copy=False) @ fitted.T - half_norms, axis=1) for part in _parts(vectors)
    ]
    return np.concatenate(nearest).astype(np.int64) if len(vectors) else np.empty(0, dtype=np.int64)


def representatives(
    vectors: np.ndarray, texts_at: Callable[[np.ndarray], pd.Series], grouping: Grouping, *, per_theme: int = 3
) -> list[list[int]]:
    """Return, for each theme, the positions of up to per_theme texts nearest its centre, distinct texts only.

    texts_at returns the texts at the positions given (a Series in their order): only the nearest
    few of each theme are asked for, so a large store's texts need not be read. Texts are compared
    after PII redaction, so two that differ only in a phone number count once.
    """
    closeness = np.concatenate([
        np.einsum("ij,ij->i", part.astype(np.float32, copy=False), grouping.centres[labels])
        for part, labels in zip(_parts(vectors), _parts(grouping.labels), strict=True)
    ])  # fmt: skip
    order = pd.DataFrame({"theme": grouping.labels, "closeness": closeness})
    order = order.sort_values(["theme", "closeness"], ascending=[True, False], kind="stable")
    # Only the nearest few of each theme can be shown: redact those, not every text.
    order = order.groupby("theme").head(20 * per_theme)
    order["text"] = redact_personal(texts_at(order.index.to_numpy())).str.strip().str.lower().to_numpy()
    order = order[~order.duplicated(["theme", "text"])].groupby("theme").head(per_theme)
    found = order.groupby("theme").apply(lambda rows: rows.index.tolist(), include_groups=False)
    return [found.get(theme, []) for theme in range(len(grouping.centres))]


def _parts(rows: np.ndarray) -> list[np.ndarray]:
    """Split rows into consecutive parts of at most PART_ROWS rows (float16 vectors are widened a part at a time)."""
    return [rows[start : start + PART_ROWS] for start in range(0, len(rows), PART_ROWS)] or [rows]


def rising_themes(
    counts: pd.DataFrame, names: pd.Series, *, month: str, months: int = 3, min_z: float = 2.33
) -> pd.DataFrame:
    """Return the themes whose share of described contacts rose in the `months` months to `month`.

    counts has COUNT_COLUMNS (already filtered to a category or district if wanted); names maps
    theme -> name. The comparison is with the same months a year before, so seasons cancel out,
    with textmine's share test (z of a one-sided Fisher exact test). Returns RISING_COLUMNS,
    strongest first; nothing rises without contacts a year before.
    """
    first = month_shift(month, -(months - 1))
    current = _theme_totals(counts, first, month)
    previous = _theme_totals(counts, month_shift(first, -12), month_shift(month, -12))
    both = pd.DataFrame({"current": current, "previous": previous}).fillna(0).astype("int64")
    n_current, n_previous = int(both["current"].sum()), int(both["previous"].sum())
    if not n_current or not n_previous:
        return pd.DataFrame(columns=RISING_COLUMNS)
    both = both[both["current"] * n_previous > both["previous"] * n_current]
    risen = share_rises(both, n_current, n_previous, min_z=min_z).rename_axis("theme").reset_index()
    risen["name"] = risen["theme"].map(names)
    risen["current_share"] = risen["current"] / n_current
    risen["previous_share"] = risen["previous"] / n_previous
    return risen.sort_values(["z", "current"], ascending=False, kind="stable").reset_index(drop=True)[RISING_COLUMNS]


def top_themes(
    counts: pd.DataFrame, names: pd.Series, *, first_month: str, last_month: str, top: int = 3
) -> pd.DataFrame:
    """Return the `top` themes by contacts in first_month..last_month, with their share and a year earlier.

    counts has COUNT_COLUMNS, already filtered to what is asked about (a category, a district);
    share is of the described contacts in those months. Returns TOP_COLUMNS, most contacts first.
    """
    current = _theme_totals(counts, first_month, last_month)
    if current.empty:
        return pd.DataFrame(columns=TOP_COLUMNS)
    earlier = _theme_totals(counts, month_shift(first_month, -12), month_shift(last_month, -12))
    rows = pd.DataFrame({"contacts": current, "contacts_year_earlier": earlier.reindex(current.index, fill_value=0)})
    rows["share"] = rows["contacts"] / rows["contacts"].sum()
    rows = rows.rename_axis("theme").reset_index()
    rows["name"] = rows["theme"].map(names)
    rows = rows.sort_values(["contacts", "theme"], ascending=[False, True], kind="stable")
    return rows.head(top).reset_index(drop=True)[TOP_COLUMNS]


def _theme_totals(counts: pd.DataFrame, first: str, last: str) -> pd.Series:
    within = counts[(counts["month"] >= first) & (counts["month"] <= last)]
    totals = within.groupby("theme")["contacts"].sum()
    return totals[totals > 0]


def theme_counts(frame: pd.DataFrame, labels: np.ndarray) -> pd.DataFrame:
    """Count contacts by month, theme, category and district: the roll-up the pages read.

    frame has one row per described contact with month, category and district_code (None for
    unknown, stored as ""); labels is each row's theme.
    """
    keys = ["month", "category", "district_code"]
    keyed = pd.DataFrame({key: _filled(frame[key]) for key in keys}).assign(theme=labels)
    counted = keyed.groupby(["month", "theme", "category", "district_code"], observed=True).size()
    counted = counted.rename("contacts").reset_index().astype(dict.fromkeys(keys, object))
    return counted.sort_values(COUNT_COLUMNS[:-1], kind="stable", ignore_index=True)[COUNT_COLUMNS]


def _filled(column: pd.Series) -> pd.Series:
    """Return the column with "" for unknown; a categorical one (as read_embeddings gives) stays categorical."""
    if isinstance(column.dtype, pd.CategoricalDtype) and "" not in column.cat.categories:
        column = column.cat.add_categories([""])
    return column.fillna("")
