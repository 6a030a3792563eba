"""Propose which column of an uploaded file holds each request field, and let analysts correct it."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from voc.core.fields import PERSONAL_FIELD_NAMES, REQUEST_FIELD_NAMES, REQUEST_FIELDS, label
from voc.ingest.dates import parse_datetimes, parse_times
from voc.ingest.header import header_words, layout_key, name_score
from voc.ingest.layouts import KNOWN_LAYOUTS, Layout
from voc.ingest.normalize import is_zip_code, normalize_districts, parse_location, parse_numbers
from voc.ingest.vocabulary import MISSING_TOKENS

GUESS_BELOW = 0.6  # confidences under this are shown to the analyst as guesses
# A known layout's column whose values voc cannot check, or whose values contradict the field: its share of
# the layout's confidence (a contradicted column falls under GUESS_BELOW, so the analyst is asked to check it).
LAYOUT_UNCHECKED = 0.9
LAYOUT_CONTRADICTED = 0.5
_MIN_CONFIDENCE = 0.45
_LAYOUT_MIN_SHARE = 0.8  # share of a layout's signature columns that must be present
_SAMPLE = 200  # distinct values looked at when sniffing a column
_POINT_HINT = re.compile(r",|point|latitude", re.IGNORECASE)
_SAMPLE_HEAD = 2_000  # rows searched for them first
_SAMPLE_ROWS = 20_000  # rows searched at most: a column with fewer distinct values in them has few in all


@dataclass(frozen=True)
class ColumnMatch:
    """One field's column, how sure the proposal is (0..1) and why."""

    field: str
    column: str
    confidence: float
    reason: str


@dataclass(frozen=True)
class ProposedMapping:
    """Field -> column matches (each column used at most once) and the layout recognised."""

    matches: dict[str, ColumnMatch]
    layout: str | None = None

    def columns(self) -> dict[str, str]:
        """Return field -> column for the mapped fields."""
        return {field: match.column for field, match in self.matches.items()}

    def missing_required(self) -> list[str]:
        """Return the required fields that have no column, in field order."""
        return [f.name for f in REQUEST_FIELDS if f.required and f.name not in self.matches]


@dataclass(frozen=True)
class _Evidence:
    """What a column's values show: its distinct present values, its present rows, how full it is."""

    distinct: pd.Series  # the first _SAMPLE distinct present values, in order of appearance
    rows: pd.Series  # the present values of the first _SAMPLE_HEAD rows, repeats kept
    filled: float  # share of the first _SAMPLE_HEAD rows that hold a value


def _evidence(values: pd.Series) -> _Evidence:
    head = values.iloc[:_SAMPLE_HEAD]
    present = head[~_missing_values(head)]
    # The first rows usually hold _SAMPLE distinct values: only a column with fewer is deduplicated whole.
    distinct = _distinct(present)
    if len(distinct) < _SAMPLE and len(values) > _SAMPLE_HEAD:
        more = values.iloc[:_SAMPLE_ROWS]
        distinct = _distinct(more[~_missing_values(more)])
    return _Evidence(distinct.iloc[:_SAMPLE], present, _share(~_missing_values(head)))


def _missing_values(values: pd.Series) -> np.ndarray:
    text = values.astype("str").str.strip().str.casefold()
    return (values.isna() | text.isin(MISSING_TOKENS)).to_numpy(dtype=bool)


def _distinct(values: pd.Series) -> pd.Series:
    return pd.Series(values.unique(), dtype=object)


def _share(mask: pd.Series | np.ndarray) -> float:
    return float(np.mean(mask)) if len(mask) else 0.0


def _looks_like_dates(column: _Evidence) -> bool:
    _, unreadable = parse_datetimes(column.distinct, timezone="UTC")
    return _share(~unreadable) >= 0.8


def _looks_like_times(column: _Evidence) -> bool:
    _, unreadable = parse_times(column.distinct)
    return _share(~unreadable) >= 0.8


def _looks_like(low: float, high: float) -> Callable[[_Evidence], bool]:
    def check(column: _Evidence) -> bool:
        numbers, _ = parse_numbers(column.distinct)
        in_range = numbers.between(low, high)
        # Whole numbers only is a code or a count, not a coordinate.
        fractional = (numbers % 1 != 0).any()
        return _share(in_range) >= 0.8 and bool(fractional)

    return check


def _looks_like_points(values: pd.Series) -> bool:
    text = values.astype("str")
    # Every point parse_location reads holds a comma, "point" or "latitude": a column where most
    # values have none of them (nearly every column) is told apart without parsing.
    if _share(text.str.contains(_POINT_HINT).to_numpy(dtype=bool, na_value=False)) < 0.8:
        return False
    latitudes, _, _ = parse_location(text)
    return _share(latitudes.notna()) >= 0.8


def _holds_points(column: _Evidence) -> bool:
    return _looks_like_points(column.distinct)


def _looks_like_addresses(column: _Evidence) -> bool:
    # Addresses hold letters and are no map points (a "Location" column may be either).
    has_letters = column.distinct.astype("str").str.contains(r"[A-Za-z]{2}").to_numpy(dtype=bool, na_value=False)
    return _share(has_letters) >= 0.8 and not _looks_like_points(column.distinct)


def _looks_like_zip_codes(column: _Evidence) -> bool:
    # Counted over rows, not distinct values: a few odd values ("N/A - see notes") each written
    # once weigh as much as a ZIP written a hundred times among distinct values.
    return _share(is_zip_code(column.rows)) >= 0.8


def _looks_like_districts(column: _Evidence) -> bool:
    # A short list of values, nearly every row of which reduces to a short code ("District 8" -> "8").
    if len(column.distinct) > 100:
        return False
    codes, _ = normalize_districts(column.rows)
    return _share(codes.str.len().le(12).to_numpy(dtype=bool, na_value=False)) >= 0.8


_VALUE_CHECKS: dict[str, tuple[Callable[[_Evidence], bool], str]] = {
    "opened_at": (_looks_like_dates, "values read as dates"),
    "closed_at": (_looks_like_dates, "values read as dates"),
    "acknowledged_at": (_looks_like_dates, "values read as dates"),
    "opened_time": (_looks_like_times, "values read as times of day"),
    "closed_time": (_looks_like_times, "values read as times of day"),
    "latitude": (_looks_like(-90, 90), "values within [-90, 90]"),
    "longitude": (_looks_like(-180, 180), "values within [-180, 180]"),
    "location": (_holds_points, "values look like map points"),
    "address": (_looks_like_addresses, "values look like addresses"),
    "zip_code": (_looks_like_zip_codes, "most rows hold a ZIP code"),
    "district": (_looks_like_districts, "a short list of district codes"),
}
# The id's and a required field's column must be mostly filled: an always- or nearly-empty column
# ("submitted_photo") is not the opened date, whatever its name says.
_REQUIRED_FILLED = 0.5
_NEEDS_FILLED = frozenset({"source_id"} | {f.name for f in REQUEST_FIELDS if f.required})


def _values_agree(field: str, column: _Evidence) -> bool | None:
    """Say whether a column's values suit a field: True, False, or None if unknown."""
    if field in _NEEDS_FILLED and column.filled < _REQUIRED_FILLED:
        return False
    if not len(column.distinct):
        # An optional column may be empty this month (nothing closed yet) and filled the next.
        return None
    if field == "source_id":
        return bool(column.rows.nunique() >= 0.5 * len(column.rows))
    if field == "description":
        # Free text varies; a handful of repeated labels (KC's DETAIL) is a code list.
        return None if len(column.distinct) > 10 or len(column.rows) < 50 else False
    check = _VALUE_CHECKS.get(field)
    return None if check is None else check[0](column)


def _recognise_layout(columns: Sequence[str], layouts: Sequence[Layout]) -> Layout | None:
    """Return the known layout whose signature the header matches best, if any."""
    present = {layout_key(column) for column in columns}
    best, best_rank = None, (0.0, 0)
    for layout in layouts:
        found = sum(layout_key(column) in present for column in layout.signature)
        rank = (found / len(layout.signature), found)
        if rank[0] >= _LAYOUT_MIN_SHARE and rank > best_rank:
            best, best_rank = layout, rank
    return best


def _layout_matches(layout: Layout, frame: pd.DataFrame) -> dict[str, ColumnMatch]:
    """Map the fields of a recognised layout onto the frame's own column names, each checked against its values.

    The layout vouches for a column's name; the values decide how sure that is. Values that read as the
    field keep the layout's confidence; a field voc cannot check by its values gets LAYOUT_UNCHECKED of
    it; values that do not read as the field (a renamed or shifted column) get LAYOUT_CONTRADICTED of it.
    """
    columns = list(frame.columns)
    by_key = {layout_key(column): column for column in columns}
    present = sum(layout_key(column) in by_key for column in layout.signature)
    confidence = 1.0 if present == len(layout.signature) else 0.95
    position = {column: i for i, column in reversed(list(enumerate(columns)))}
    matches = {}
    for field, layout_column in layout.columns.items():
        column = by_key.get(layout_key(layout_column))
        if column is None or field in PERSONAL_FIELD_NAMES:
            continue
        agree = _values_agree(field, _evidence(frame.iloc[:, position[column]]))
        reason = f"known layout: {layout.name}"
        if agree is False:
            sure, reason = confidence * LAYOUT_CONTRADICTED, f"{reason}, but its values do not read as this field"
        elif agree:
            sure, reason = confidence, f"{reason}; {_VALUE_CHECKS.get(field, (None, 'values mostly distinct'))[1]}"
        else:
            sure, reason = confidence * LAYOUT_UNCHECKED, f"{reason}; no check of its values"
        matches[field] = ColumnMatch(field, column, round(sure, 3), reason)
    return matches


def _candidates(frame: pd.DataFrame, fields: Sequence[str], columns: Sequence[str]) -> list:
    """Score every (field, column) pair by name, confirmed or vetoed by the values."""
    position = {column: i for i, column in reversed(list(enumerate(frame.columns)))}
    evidence = {column: _evidence(frame.iloc[:, position[column]]) for column in columns}
    found = []
    for field in fields:
        for column in columns:
            score, reason = name_score(field, column)
            if score < _MIN_CONFIDENCE:
                continue
            agree = _values_agree(field, evidence[column])
            if agree is False:
                continue
            if agree and field in _VALUE_CHECKS:
                score = min(1.0, score + 0.05)
                reason = f"{reason}; {_VALUE_CHECKS[field][1]}"
            found.append(ColumnMatch(field, column, round(score, 3), reason))
    if "location" in fields and not any(match.field == "location" for match in found):
        found += _location_by_values(evidence)
    return _labels_over_codes(found)


def _labels_over_codes(found: list[ColumnMatch]) -> list[ColumnMatch]:
    """Drop a column when "<its name> Description" suits the same field: that one holds its labels.

    Miami-Dade's "Case Owner" holds codes, "Case Owner Description" the departments' names.
    """
    named = {(match.field, header_words(match.column)) for match in found}
    return [match for match in found if (match.field, (*header_words(match.column), "description")) not in named]


def _location_by_values(evidence: dict[str, _Evidence]) -> list[ColumnMatch]:
    """Offer, as guesses, text columns whose values are map points whatever their name."""
    guesses = []
    for column, values in evidence.items():
        sample = values.distinct
        is_text = len(sample) and sample.map(lambda v: isinstance(v, str)).all()
        if is_text and _looks_like_points(sample):
            guesses.append(ColumnMatch("location", column, 0.5, "values look like map points"))
    return guesses


def _assign(candidates: list[ColumnMatch]) -> dict[str, ColumnMatch]:
    """Pick the best matches so that each field and each column is used once."""
    order = {name: i for i, name in enumerate(REQUEST_FIELD_NAMES)}
    chosen: dict[str, ColumnMatch] = {}
    used: set[str] = set()
    for match in sorted(candidates, key=lambda m: (-m.confidence, order[m.field])):
        if match.field not in chosen and match.column not in used:
            chosen[match.field] = match
            used.add(match.column)
    return chosen


def _in_field_order(matches: dict[str, ColumnMatch]) -> dict[str, ColumnMatch]:
    return {name: matches[name] for name in REQUEST_FIELD_NAMES if name in matches}


def propose_mapping(frame: pd.DataFrame, *, layouts: Sequence[Layout] = KNOWN_LAYOUTS) -> ProposedMapping:
    """Propose a column for each request field: known layout first, then names, then values.

    Personal fields (name, phone, e-mail) are never proposed; an analyst sets them with
    `override`. Matches with confidence below GUESS_BELOW are guesses.
    """
    columns = [str(column) for column in frame.columns]
    frame = frame.set_axis(columns, axis=1)
    layout = _recognise_layout(columns, layouts)
    matches = _layout_matches(layout, frame) if layout else {}
    used = {match.column for match in matches.values()}
    fields = [name for name in REQUEST_FIELD_NAMES if name not in matches and name not in PERSONAL_FIELD_NAMES]
    free = [column for column in dict.fromkeys(columns) if column not in used]
    matches |= _assign(_candidates(frame, fields, free))
    return ProposedMapping(_in_field_order(matches), layout.name if layout else None)


def override(mapping: ProposedMapping, changes: dict[str, str | None]) -> ProposedMapping:
    """Apply an analyst's corrections: field -> column, or None to unmap.

    A column given to a new field leaves the field that had it. Unknown field names
    raise KeyError (a programming error, not a user one).
    """
    matches = dict(mapping.matches)
    for field, column in changes.items():
        if field not in REQUEST_FIELD_NAMES:
            raise KeyError(f"unknown request field: {field}")
        matches.pop(field, None)
        if column is None:
            continue
        for other in [name for name, match in matches.items() if match.column == column]:
            del matches[other]
        matches[field] = ColumnMatch(field, column, 1.0, "set by analyst")
    return ProposedMapping(_in_field_order(matches), mapping.layout)


NOT_IMPORTED = "(not imported)"


def column_roles(mapping: ProposedMapping, columns: Sequence[str]) -> pd.DataFrame:
    """Return, per column of the file in order, what it becomes (a field's label), the confidence and why.

    Columns no field takes become NOT_IMPORTED, with no confidence.
    """
    by_column = {match.column: match for match in mapping.matches.values()}
    rows = []
    for column in map(str, columns):
        match = by_column.get(column)
        becomes = label(match.field) if match else NOT_IMPORTED
        rows.append([column, becomes, match.confidence if match else None, match.reason if match else ""])
    return pd.DataFrame(rows, columns=["column", "becomes", "confidence", "why"])


def mapping_doubts(mapping: ProposedMapping) -> list[str]:
    """Return plain sentences on what an analyst should check before importing: required fields unsure or missing."""
    doubts = [f"No column was found for {label(name)}: choose it below." for name in mapping.missing_required()]
    for spec in REQUEST_FIELDS:
        match = mapping.matches.get(spec.name)
        if spec.required and match is not None and match.confidence < GUESS_BELOW:
            doubts.append(f"{label(spec.name)} is a guess ({match.confidence:.0%} sure): check its column below.")
    if "source_id" not in mapping.matches:
        doubts.append(
            "No record-ID column: each contact's key will be derived from its opened time, request type and "
            "address, so uploading the same rows again does not count them twice. Choose the ID column below if "
            "the file has one."
        )
    return doubts


NOT_MAPPED = "(not mapped)"


def mapping_rows(mapping: ProposedMapping) -> pd.DataFrame:
    """Return one row per field for the mapping editor: field, label, column, confidence, reason.

    Least confident first, so the rows to check lead: required fields without a column, then the mapped
    ones by rising confidence, then the optional fields without a column.
    """
    rows = []
    for spec in REQUEST_FIELDS:
        match = mapping.matches.get(spec.name)
        rows.append(
            {
                "field": spec.name,
                "label": spec.label + (" (required)" if spec.required else ""),
                "column": match.column if match else NOT_MAPPED,
                "confidence": match.confidence if match else None,
                "reason": match.reason if match else "",
                "order": match.confidence if match else (-1.0 if spec.required else 2.0),
            }
        )
    return pd.DataFrame(rows).sort_values("order", kind="stable").drop(columns="order").reset_index(drop=True)


def overrides_from_rows(edited: pd.DataFrame, proposed: ProposedMapping) -> dict[str, str | None]:
    """Return the analyst's changes in an edited mapping table as field -> column (None: unmapped)."""
    current = proposed.columns()
    changes: dict[str, str | None] = {}
    for field_name, column in zip(edited["field"], edited["column"], strict=True):
        chosen = None if column in (None, "", NOT_MAPPED) else str(column)
        if chosen != current.get(field_name):
            changes[field_name] = chosen
    return changes
