"""Stored description vectors, themes and the monthly theme roll-up."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd
import sqlalchemy as sa

from voc.store.bulk import bulk_insert, bulk_update
from voc.store.models import DescriptionEmbedding, Theme
from voc.store.query import read_frame
from voc.store.requests import fingerprints
from voc.store.theme_counts import LABELS, REQUESTS, THEME_COUNTS, THEME_ROLLUP

EMBEDDINGS = DescriptionEmbedding.__table__
THEMES = Theme.__table__
_CENTRE_TYPE = np.dtype("<f4")
_VECTOR_TYPE = np.dtype("<f2")
_CHUNK = 5_000
_READ_CHUNK = 50_000


@dataclass(frozen=True)
class ToEmbed:
    """What embed_new_descriptions has to do: texts to embed, vectors to drop, vectors found current.

    parts: frames of at most 50,000 rows (request_id, description, text_hash, upload_id, and replaces:
    whether the contact has a vector already, of any model); dropped: request ids whose description is
    now empty but still has a vector; current: request_id and upload_id of vectors whose text was
    found unchanged under another upload_id, to be stamped with it.
    """

    parts: list[pd.DataFrame]
    dropped: list[int]
    current: pd.DataFrame


def descriptions_to_embed(
    connection: sa.Connection, *, model: str, upload_id: int | None = None, after_upload: int = 0
) -> ToEmbed:
    """Return the descriptions without a vector of `model` for their current text, and the vectors to drop.

    upload_id limits the check to the rows an upload wrote (inserted or updated); the vectors it finds
    current are left to the next full check to stamp, so an upload writes no more than it did. None
    checks every stored contact of an upload after `after_upload` that could need it: a described
    one without a vector, and one whose vector was checked under another upload_id (written since,
    or put back by an undo); the texts of the others are those their vectors were made from, and are
    not read.
    """
    joined = REQUESTS.outerjoin(
        EMBEDDINGS, sa.and_(EMBEDDINGS.c.request_id == REQUESTS.c.id, EMBEDDINGS.c.model == model)
    )
    any_vector = EMBEDDINGS.alias("any_vector")  # of any model: a new vector replaces it
    query = sa.select(
        REQUESTS.c.id.label("request_id"),
        REQUESTS.c.description,
        REQUESTS.c.upload_id,
        EMBEDDINGS.c.text_hash.label("stored_hash"),
        sa.exists().where(any_vector.c.request_id == REQUESTS.c.id).label("replaces"),
    ).select_from(joined)
    if upload_id is not None:
        query = query.where(REQUESTS.c.upload_id == upload_id)
    else:
        if after_upload:
            query = query.where(REQUESTS.c.upload_id > after_upload)
        described = sa.func.trim(sa.func.coalesce(REQUESTS.c.description, "")) != ""
        query = query.where(
            sa.or_(
                sa.and_(EMBEDDINGS.c.request_id.is_(None), described),
                sa.and_(
                    EMBEDDINGS.c.request_id.is_not(None), EMBEDDINGS.c.upload_id.is_distinct_from(REQUESTS.c.upload_id)
                ),
            )
        )
    result = connection.execute(query)
    names = list(result.keys())
    stale: list[pd.DataFrame] = []
    dropped: list[int] = []
    current: list[pd.DataFrame] = []
    # A part at a time, keeping only what is stale: the check of every contact (each theme build
    # makes it) held a million descriptions and their hashes at once, 0.25 GB (measured). The parts
    # are left apart: joined, a 1,000,000-row upload's were held twice at once, the import's peak.
    for part in result.partitions(_READ_CHUNK):
        rows = pd.DataFrame([tuple(row) for row in part], columns=names).astype(_TO_EMBED_TYPES)
        empty = rows["description"].fillna("").str.strip() == ""
        dropped.extend(rows.loc[empty & rows["replaces"], "request_id"].tolist())
        rows = rows[~empty].assign(text_hash=lambda r: fingerprints(r["description"]))
        same = rows["text_hash"] == rows["stored_hash"]
        changed = rows.loc[~same, ["request_id", "description", "text_hash", "upload_id", "replaces"]]
        if len(changed):
            stale.append(changed)
        if upload_id is None:
            current.append(rows.loc[same, ["request_id", "upload_id"]])
    found = pd.concat(current, ignore_index=True) if current else pd.DataFrame(columns=["request_id", "upload_id"])
    return ToEmbed(stale, dropped, found.astype(_STAMP_TYPES))


_TO_EMBED_TYPES = {
    "request_id": "int64", "description": "str", "upload_id": "Int64", "stored_hash": "str", "replaces": "bool"
}  # fmt: skip
_STAMP_TYPES = {"request_id": "int64", "upload_id": "Int64"}


def stamp_embeddings(connection: sa.Connection, current: pd.DataFrame) -> None:
    """Record that these vectors (request_id, upload_id) were found current for their request's upload_id."""
    bulk_update(connection, EMBEDDINGS, current, key="request_id")


def drop_embeddings(connection: sa.Connection, request_ids: Sequence[int]) -> None:
    """Delete these contacts' vectors; each one's theme goes with it, its contact out of the theme roll-up first."""
    for start in range(0, len(request_ids), _CHUNK):
        chunk = list(request_ids[start : start + _CHUNK])
        THEME_ROLLUP.add(connection, THEME_ROLLUP.counts(REQUESTS.c.id.in_(chunk)), sign=-1)
        connection.execute(sa.delete(EMBEDDINGS).where(EMBEDDINGS.c.request_id.in_(chunk)))


def save_embeddings(connection: sa.Connection, texts: pd.DataFrame, vectors: np.ndarray, *, model: str) -> None:
    """Store the vectors of texts (request_id, text_hash, upload_id, replaces; one row of vectors each).

    Those whose contact has a vector already (replaces) replace it. Vectors are kept as float16: half
    the bytes, and well inside the model's own precision.
    """
    # A new contact has no vector to delete nor theme to count out: at 100,000 of them the statements
    # asking cost PostgreSQL 2 s of a first import (measured).
    drop_embeddings(connection, texts.loc[texts["replaces"], "request_id"].tolist())
    packed = [row.tobytes() for row in vectors.astype(_VECTOR_TYPE)]
    rows = pd.DataFrame(
        {
            "request_id": texts["request_id"].to_numpy(),
            "model": model,
            "text_hash": texts["text_hash"].to_numpy(),
            "upload_id": texts["upload_id"].astype("Int64").to_numpy(),
        }
    ).assign(vector=packed)
    bulk_insert(connection, EMBEDDINGS, rows)
    bulk_insert(
        connection, LABELS, rows[["request_id"]].assign(theme=pd.Series(pd.NA, index=rows.index, dtype="Int64"))
    )


def read_embeddings(connection: sa.Connection, *, model: str) -> tuple[pd.DataFrame, np.ndarray]:
    """Return every embedded contact (request_id, month, category, district_code) and its vector.

    Rows are in request id order; month, category and district_code are categoricals ("" for
    unknown); the texts are left in the store (descriptions_of reads the few a build needs).
    Vectors are float16 as stored, one row each (a (0, 0) array without rows).
    """
    joined = REQUESTS.join(EMBEDDINGS, EMBEDDINGS.c.request_id == REQUESTS.c.id)
    expected = connection.execute(
        sa.select(sa.func.count()).select_from(joined).where(EMBEDDINGS.c.model == model)
    ).scalar_one()
    query = (
        sa.select(REQUESTS.c.id, *(REQUESTS.c[column] for column in _KEY_COLUMNS.values()), EMBEDDINGS.c.vector)
        .select_from(joined)
        .where(EMBEDDINGS.c.model == model)
        .order_by(REQUESTS.c.id)
    )
    # A part at a time, into arrays sized once: a million contacts as row tuples and strings, and
    # their vectors widened to float32, took 0.8 GB beside the 256 MB of float16 they end as.
    ids, keys, vectors = _Growing(np.int64), {name: _Codes() for name in _KEY_COLUMNS}, _Growing(_VECTOR_TYPE)
    for part in connection.execute(query).partitions(_READ_CHUNK):
        ids.add(np.fromiter((row[0] for row in part), dtype=np.int64, count=len(part)), expected)
        for position, name in enumerate(_KEY_COLUMNS, start=1):
            keys[name].add(row[position] for row in part)
        packed = np.frombuffer(b"".join(row[-1] for row in part), dtype=_VECTOR_TYPE)
        vectors.add(packed.reshape(len(part), -1), expected)
    contacts = pd.DataFrame({"request_id": ids.array(), **{name: codes.column() for name, codes in keys.items()}})
    if contacts.empty:
        return contacts, np.empty((0, 0), dtype=_VECTOR_TYPE)
    return contacts, vectors.array()


_KEY_COLUMNS = {"month": "opened_month", "category": "category", "district_code": "district_code"}


class _Growing:
    """Rows appended into one array allocated for the rows expected (grown if more come)."""

    def __init__(self, dtype: np.dtype | type) -> None:
        self._rows = np.empty(0, dtype=dtype)
        self._filled = 0

    def add(self, block: np.ndarray, expected: int) -> None:
        end = self._filled + len(block)
        if end > len(self._rows):
            grown = np.empty((max(expected, end), *block.shape[1:]), dtype=self._rows.dtype)
            if self._filled:
                grown[: self._filled] = self._rows[: self._filled]
            self._rows = grown
        self._rows[self._filled : end] = block
        self._filled = end

    def array(self) -> np.ndarray:
        return self._rows[: self._filled]


class _Codes:
    """A text column kept as codes into its distinct values: a few hundred strings for a million rows."""

    def __init__(self) -> None:
        self._values: dict[str, int] = {}
        self._codes: list[np.ndarray] = []

    def add(self, texts: Iterable[str | None]) -> None:
        values = self._values
        self._codes.append(np.fromiter((values.setdefault(t or "", len(values)) for t in texts), dtype=np.int32))

    def column(self) -> pd.Categorical:
        codes = np.concatenate(self._codes) if self._codes else np.empty(0, dtype=np.int32)
        return pd.Categorical.from_codes(codes, categories=list(self._values))


def replace_themes(connection: sa.Connection, themes: pd.DataFrame, fitted: np.ndarray, *, built_at: datetime) -> None:
    """Replace the stored themes (id, name, terms, contacts, example_ids) and their centres (one row each).

    Every contact's theme and the theme roll-up are cleared with them: save_placements, or
    mark_unplaced then place_unplaced, fill them again.
    """
    connection.execute(sa.delete(THEME_COUNTS))
    connection.execute(sa.delete(LABELS))
    connection.execute(sa.delete(THEMES))
    if len(themes):
        centres = [row.tobytes() for row in np.asarray(fitted, dtype=_CENTRE_TYPE)]
        connection.execute(sa.insert(THEMES), themes.assign(built_at=built_at, centre=centres).to_dict("records"))


def save_placements(connection: sa.Connection, placed: pd.DataFrame, counts: pd.DataFrame) -> None:
    """Store every vector's theme (request_id, theme) and the roll-up rows counting them, as a build grouped them."""
    bulk_insert(connection, LABELS, placed)
    bulk_insert(connection, THEME_COUNTS, counts)


def mark_unplaced(connection: sa.Connection) -> None:
    """Give every stored vector that has no description_themes row one without a theme, for place_unplaced."""
    missing = sa.select(EMBEDDINGS.c.request_id, sa.null()).where(
        ~sa.exists().where(LABELS.c.request_id == EMBEDDINGS.c.request_id)
    )
    connection.execute(sa.insert(LABELS).from_select(["request_id", "theme"], missing))


def load_centres(source: sa.Engine | sa.Connection) -> np.ndarray | None:
    """Return the stored themes' fitted centres, one row per theme in id order; None without themes or centres."""
    rows = read_frame(source, sa.select(THEMES.c.centre).order_by(THEMES.c.id))
    if rows.empty or rows["centre"].isna().any():
        return None
    return np.stack([np.frombuffer(bytes(centre), dtype=_CENTRE_TYPE) for centre in rows["centre"]])


def placement_counts(connection: sa.Connection) -> tuple[int, int]:
    """Return how many contacts have a vector, and how many of those are in no theme yet.

    Read from the theme roll-up and the index of vectors without a theme: the work follows those, not the store.
    """
    placed = connection.execute(sa.select(sa.func.coalesce(sa.func.sum(THEME_COUNTS.c.contacts), 0))).scalar_one()
    unplaced = connection.execute(sa.select(sa.func.count()).where(LABELS.c.theme.is_(None))).scalar_one()
    return int(placed) + int(unplaced), int(unplaced)


def place_unplaced(connection: sa.Connection, place: Callable[[np.ndarray], np.ndarray], *, model: str) -> int:
    """Place every vector of `model` in no theme yet with place (vectors -> themes); return how many.

    Each placed contact is added to the theme roll-up as it is stored now. Reads the vectors a part at a time.
    """
    query = (
        sa.select(LABELS.c.request_id, EMBEDDINGS.c.vector)
        .join(EMBEDDINGS, EMBEDDINGS.c.request_id == LABELS.c.request_id)
        .where(LABELS.c.theme.is_(None), EMBEDDINGS.c.model == model)
        .order_by(LABELS.c.request_id)
    )
    parts = []
    for part in connection.execute(query).partitions(_READ_CHUNK):
        ids = np.fromiter((row[0] for row in part), dtype=np.int64, count=len(part))
        vectors = np.frombuffer(b"".join(row[1] for row in part), dtype=_VECTOR_TYPE).reshape(len(part), -1)
        parts.append(pd.DataFrame({"request_id": ids, "theme": place(vectors)}))
    if not parts:
        return 0
    placed = pd.concat(parts, ignore_index=True)
    bulk_update(connection, LABELS, placed, key="request_id")
    ids = placed["request_id"].tolist()
    for start in range(0, len(ids), _CHUNK):
        THEME_ROLLUP.add(connection, THEME_ROLLUP.counts(REQUESTS.c.id.in_(ids[start : start + _CHUNK])))
    return len(placed)


def count_theme_sizes(connection: sa.Connection) -> None:
    """Set each stored theme's contacts to what the theme roll-up counts, and drop roll-up rows counting none."""
    THEME_ROLLUP.drop_empty(connection, lambda month: month.is_not(None))
    per_theme = sa.select(THEME_COUNTS.c.theme, sa.func.sum(THEME_COUNTS.c.contacts)).group_by(THEME_COUNTS.c.theme)
    sizes = dict(connection.execute(per_theme).all())
    for theme in connection.execute(sa.select(THEMES.c.id)).scalars().all():
        connection.execute(sa.update(THEMES).where(THEMES.c.id == theme).values(contacts=int(sizes.get(theme, 0))))


def load_themes(source: sa.Engine | sa.Connection) -> pd.DataFrame:
    """Return the stored themes: id, name, terms, contacts, example_ids, built_at; by id (largest first)."""
    return read_frame(source, sa.select(THEMES).order_by(THEMES.c.id))


def load_theme_counts(
    source: sa.Engine | sa.Connection,
    *,
    categories: Sequence[str] = (),
    districts: Sequence[str] = (),
    first_month: str | None = None,
    last_month: str | None = None,
) -> pd.DataFrame:
    """Return the roll-up rows (month, theme, category, district_code, contacts) matching the filters.

    Empty filters keep everything; unknown category and district are "".
    """
    query = sa.select(THEME_COUNTS.c.month, THEME_COUNTS.c.theme, THEME_COUNTS.c.category,
                      THEME_COUNTS.c.district_code, THEME_COUNTS.c.contacts)  # fmt: skip
    if categories:
        query = query.where(THEME_COUNTS.c.category.in_(list(categories)))
    if districts:
        query = query.where(THEME_COUNTS.c.district_code.in_(list(districts)))
    if first_month:
        query = query.where(THEME_COUNTS.c.month >= first_month)
    if last_month:
        query = query.where(THEME_COUNTS.c.month <= last_month)
    return read_frame(source, query, dtypes={"month": "str", "theme": "int64", "contacts": "int64"})


def descriptions_of(source: sa.Engine | sa.Connection, request_ids: Sequence[int]) -> pd.Series:
    """Return the descriptions of the given service requests, indexed by request id (missing ids left out)."""
    query = sa.select(REQUESTS.c.id, REQUESTS.c.description).where(REQUESTS.c.id.in_(list(request_ids)))
    rows = read_frame(source, query)
    return pd.Series(rows["description"].to_numpy(), index=rows["id"].to_numpy(), dtype="str")
